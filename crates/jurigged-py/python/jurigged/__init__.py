"""Live code updates for running Python programs.

Edit a function, save, and the running program uses the new code at once,
through old references, bound methods and existing instances.
"""

from ._jurigged import (
    CodeFile,
    ConformException,
    Event,
    PatchError,
    StaleException,
    __version__,
    conform,
)

__all__ = [
    "CodeFile",
    "ConformException",
    "Event",
    "PatchError",
    "StaleException",
    "__version__",
    "conform",
]
