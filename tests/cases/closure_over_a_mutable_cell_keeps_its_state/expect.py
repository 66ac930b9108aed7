"""Closure over a mutable cell keeps its state."""


def check(mod, case):
    counter = mod.counter
    assert counter() == 1
    assert counter() == 2
    case.save()
    assert counter() == 12
