"""Add a classmethod staticmethod and property."""


def check(mod, case):
    thing = mod.Thing()
    case.save()
    assert mod.Thing.kind() == "Thing"
    assert thing.one() == 1
    assert thing.double == 6
