"""An exception in a new statement rejects the save and nothing applies."""

import pytest


def check(mod, case):
    sink = case.load("sink")
    with pytest.raises(ZeroDivisionError):
        case.save()
    assert mod.f() == 1
    assert not hasattr(mod, "raise_here")
    assert sink.log == []
