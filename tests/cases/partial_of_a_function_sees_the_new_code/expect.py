"""Partial of a function sees the new code."""


def check(mod, case):
    case.save()
    assert mod.add_one(2) == 30
