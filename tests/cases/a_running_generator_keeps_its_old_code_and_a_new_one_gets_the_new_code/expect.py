"""A running generator keeps its old code and a new one gets the new code."""


def check(mod, case):
    running = mod.numbers()
    assert next(running) == 1
    case.save()
    assert list(running) == [2, 3]
    assert list(mod.numbers()) == [10, 20, 30]
