
from __future__ import annotations

def f(x: NotDefinedAnywhere) -> list[Undefined]:
    return 2
