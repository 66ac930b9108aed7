"""Closures created before the edit get new code and keep captured values."""


def check(mod, case):
    first, second = mod.adders
    assert (first(10), second(10)) == (11, 12)
    case.save()
    assert first(10) == 11000
    assert second(10) == 12000
    assert mod.make_adder(3)(10) == 13000
    # The statement building `adders` did not change: it was not re-run.
    assert mod.adders[0] is first
