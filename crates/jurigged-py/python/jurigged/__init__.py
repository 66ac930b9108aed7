"""Live code updates for running Python programs.

Edit a function, save, and the running program uses the new code at once,
through old references, bound methods and existing instances.

    import jurigged
    jurigged.watch()            # watch ./*.py, apply every save
"""

from . import db
from ._jurigged import (
    CodeFile,
    ConformException,
    Event,
    EventSource,
    PatchError,
    Recoder,
    StaleException,
    Watcher,
    __version__,
    conform,
    default_logger,
    glob_filter,
    make_recoder,
    registry,
    verbose_logger,
    virtual_file,
    watch,
)

__all__ = [
    "CodeFile",
    "ConformException",
    "Event",
    "EventSource",
    "PatchError",
    "Recoder",
    "StaleException",
    "Watcher",
    "__version__",
    "conform",
    "db",
    "default_logger",
    "glob_filter",
    "make_recoder",
    "registry",
    "verbose_logger",
    "virtual_file",
    "watch",
]
