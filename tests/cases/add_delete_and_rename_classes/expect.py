"""Add delete and rename classes."""


def check(mod, case):
    keep = mod.Keep
    case.save()
    assert not hasattr(mod, "Remove")
    assert not hasattr(mod, "OldName")
    assert mod.Keep is keep
    assert mod.NewName().value() == 2
    assert mod.Added().value() == 3
    assert issubclass(mod.Added, keep)
