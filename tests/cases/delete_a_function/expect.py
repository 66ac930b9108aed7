"""Delete a function."""


def check(mod, case):
    events = case.save()
    assert events == [f"Delete {mod.__name__}.g @L5"]
    assert not hasattr(mod, "g")
    assert mod.f() == 1
