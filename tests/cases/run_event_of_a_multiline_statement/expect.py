"""Run event of a multiline statement."""


def check(mod, case):
    events = case.save()
    assert mod.CONFIG == {"a": 2}
    assert len(events) == 1 and events[0].startswith(f"Run {mod.__name__} @L2: CONFIG = {{")
