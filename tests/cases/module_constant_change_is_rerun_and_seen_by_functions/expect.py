"""Module constant change is rerun and seen by functions."""


def check(mod, case):
    state = mod.state
    events = case.save()
    assert events == [f"Run {mod.__name__} @L2: LIMIT = 20"]
    assert mod.LIMIT == 20
    assert mod.limit() == 20
    assert mod.state is state
