"""Classmethod and staticmethod."""


def check(mod, case):
    make = mod.Shape.make
    unit = mod.Shape.unit
    instance = mod.Shape()
    events = case.save()
    assert sorted(e.split(" @")[0] for e in events) == [
        f"Update {mod.__name__}.Shape.make",
        f"Update {mod.__name__}.Shape.unit",
    ]
    assert make() == ("Shape", 2)
    assert unit() == 2
    assert mod.Shape.make() == ("Shape", 2)
    assert instance.unit() == 2
