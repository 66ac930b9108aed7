"""Dunder methods."""


def check(mod, case):
    a, b = mod.Vec(1), mod.Vec(2)
    assert repr(a + b) == "Vec(3)"
    case.save()
    assert repr(a) == "<vec 1>"
    assert repr(a + b) == "<vec 12>"
