"""Lru cache decorated function gets new code."""


def check(mod, case):
    cached = mod.square
    case.save()
    # A new argument (nothing cached) runs the new code.
    assert cached(3) == 27
    assert mod.square is cached
