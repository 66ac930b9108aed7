"""Add a function."""


def check(mod, case):
    events = case.save()
    assert events == [f"Add {mod.__name__}.g @L5"]
    assert mod.g() == 2
