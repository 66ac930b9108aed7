"""Live code updates for running Python programs.

Edit a function, save, and the running program uses the new code at once,
through old references, bound methods and existing instances.

    import jurigged
    jurigged.watch()            # watch ./*.py, apply every save
"""

from ._jurigged import (
    CodeFile,
    ConformException,
    Event,
    EventSource,
    PatchError,
    StaleException,
    Watcher,
    __version__,
    conform,
    default_logger,
    registry,
    verbose_logger,
    watch,
)

__all__ = [
    "CodeFile",
    "ConformException",
    "Event",
    "EventSource",
    "PatchError",
    "StaleException",
    "Watcher",
    "__version__",
    "conform",
    "default_logger",
    "registry",
    "verbose_logger",
    "watch",
]
