"""Class scope defaults are evaluated in the class namespace."""


def check(mod, case):
    limits = mod.Limits()
    case.save()
    assert limits.get() == 10
    assert limits.get(1) == 2
