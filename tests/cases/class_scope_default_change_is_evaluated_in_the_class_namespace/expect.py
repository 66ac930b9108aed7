"""Class scope default change is evaluated in the class namespace."""


def check(mod, case):
    case.save()
    assert mod.Limits().get() == 7
