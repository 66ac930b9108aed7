"""Function body change is seen through every reference."""


def check(mod, case):
    alias = mod.f
    events = case.save()
    assert events == [f"Update {mod.__name__}.f @L2"]
    assert alias(1) == 3
    assert mod.table["f"](1) == 3
    assert mod.f is alias
