
from __future__ import annotations

def f() -> Undefined:
    return 1

def g(y: AlsoUndefined) -> int:
    return 2
