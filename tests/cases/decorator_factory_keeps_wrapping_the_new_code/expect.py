"""Decorator factory keeps wrapping the new code."""


def check(mod, case):
    decorated = mod.f
    assert decorated(1) == ("a", 2)
    case.save()
    assert decorated(2) == ("a", 100)
    assert mod.f.__wrapped__(2) == 100
