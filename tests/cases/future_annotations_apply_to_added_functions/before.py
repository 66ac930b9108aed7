
from __future__ import annotations

def f() -> Undefined:
    return 1
