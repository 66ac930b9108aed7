"""Changing the decorator line reruns the definition and rebinds the name."""


def check(mod, case):
    old_f = mod.f
    old_g = mod.g
    assert mod.made == ["a", "g"]
    case.save()
    assert mod.f() == ("b", 1)
    assert mod.f is not old_f
    # Only the changed definition was re-run with its decorators.
    assert mod.made == ["a", "g", "b"]
    assert mod.g is old_g
