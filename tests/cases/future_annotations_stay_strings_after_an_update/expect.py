"""Future annotations stay strings after an update."""


def check(mod, case):
    assert mod.f.__annotations__ == {"x": "NotDefinedAnywhere", "return": "list[Undefined]"}
    case.save()
    assert mod.f(0) == 2
    assert mod.f.__annotations__ == {"x": "NotDefinedAnywhere", "return": "list[Undefined]"}
