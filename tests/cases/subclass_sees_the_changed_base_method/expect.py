"""Subclass sees the changed base method."""


def check(mod, case):
    child = mod.Child()
    case.save()
    assert child.name() == "BASE"
