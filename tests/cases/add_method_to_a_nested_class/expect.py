"""Add method to a nested class."""


def check(mod, case):
    inner = mod.Outer.Inner()
    case.save()
    assert inner.double() == 2
