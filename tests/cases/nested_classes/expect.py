"""Nested classes."""


def check(mod, case):
    inner = mod.Outer().make()
    inner_class = mod.Outer.Inner
    events = case.save()
    assert events == [f"Update {mod.__name__}.Outer.Inner.value @L4"]
    assert inner.value() == 2
    assert mod.Outer.Inner is inner_class
