"""Rename a function."""


def check(mod, case):
    case.save()
    assert not hasattr(mod, "old_name")
    assert mod.new_name() == 2
    assert mod.caller() == 2
