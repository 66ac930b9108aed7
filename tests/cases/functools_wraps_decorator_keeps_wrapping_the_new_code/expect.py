"""Functools wraps decorator keeps wrapping the new code."""


def check(mod, case):
    decorated = mod.f
    original = mod.f.__wrapped__
    assert decorated(1) == 2
    events = case.save()
    # The decorator line (13) or the def line (14): either names the definition.
    assert events in ([f"Update {mod.__name__}.f @L13"], [f"Update {mod.__name__}.f @L14"])
    assert original(1) == 1001
    assert decorated(1) == 1001
    assert mod.f is decorated
    # The decorator still wraps it (and `calls` was not re-created).
    assert mod.calls == ["f", "f"]
