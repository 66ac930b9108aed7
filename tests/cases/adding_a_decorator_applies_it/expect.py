"""Adding a decorator applies it."""


def check(mod, case):
    case.save()
    assert mod.f() == 42
