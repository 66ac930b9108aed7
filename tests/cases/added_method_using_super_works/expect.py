"""Added method using super works."""


def check(mod, case):
    child = mod.Child()
    case.save()
    assert child.greet() == "child+base"
