"""Delete method event."""


def check(mod, case):
    events = case.save()
    assert events == [f"Delete {mod.__name__}.Thing.remove @L6"]
    assert "remove" not in vars(mod.Thing)
