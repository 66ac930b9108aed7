"""Body change is seen through an alias, a dict and a from-import."""


def check(mod, case):
    user = case.load("user")
    alias = mod.f
    events = case.save()
    assert events == [f"Update {mod.__name__}.f @L2"]
    assert alias(1) == 101
    assert mod.table["f"](1) == 101
    assert user.f(1) == 101
    assert user.call(1) == 101
    assert user.held[0](1) == 101
    assert mod.f is alias and user.f is alias and mod.table["f"] is alias
