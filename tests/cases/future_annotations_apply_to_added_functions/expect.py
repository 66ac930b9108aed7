"""Future annotations apply to added functions."""


def check(mod, case):
    case.save()
    assert mod.g(0) == 2
    assert mod.g.__annotations__ == {"y": "AlsoUndefined", "return": "int"}
