"""Wrapper without wraps finds the function in its closure."""


def check(mod, case):
    decorated = mod.f
    assert decorated() == 100
    case.save()
    assert decorated() == 700
    assert mod.f() == 700
