"""The new code needs a __class__ cell the old function lacks: it cannot be conformed in
place, and is re-added in its class instead."""


def check(mod, case):
    child = mod.Child()
    case.save()
    assert child.greet() == "child+base"
    assert mod.Child().greet() == "child+base"
