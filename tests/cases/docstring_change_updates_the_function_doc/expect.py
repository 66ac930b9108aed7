"""Docstring change updates the function doc."""

import inspect


def check(mod, case):
    alias = mod.f
    case.save()
    assert alias.__doc__ == "New doc."
    assert inspect.getdoc(mod.f) == "New doc."
    assert alias() == 1
