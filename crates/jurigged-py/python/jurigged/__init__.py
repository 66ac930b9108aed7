"""Live code updates for running Python programs.

Edit a function, save, and the running program uses the new code at once,
through old references, bound methods and existing instances.

    import jurigged
    jurigged.watch()            # watch ./*.py, apply every save
"""

import os as _os

# The native module allocates with mimalloc, whose arenas are committed eagerly
# by default: ~10 MiB more resident memory for nothing jurigged needs. The option
# is read when the module loads; the environment is left as it was.
_previous = _os.environ.get("MIMALLOC_ARENA_EAGER_COMMIT")
_os.environ["MIMALLOC_ARENA_EAGER_COMMIT"] = "0"
try:
    from . import _jurigged  # noqa: F401
finally:
    if _previous is None:
        del _os.environ["MIMALLOC_ARENA_EAGER_COMMIT"]
    else:
        _os.environ["MIMALLOC_ARENA_EAGER_COMMIT"] = _previous

from ._jurigged import (
    CodeFile,
    ConformException,
    Event,
    EventSource,
    OutOfSyncException,
    PatchError,
    ReadOnlyError,
    Recoder,
    StaleException,
    WatchError,
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

# The original's modules, reachable as attributes after `import jurigged` as
# they are there (clients write `jurigged.live.WatchOperation` with no import of
# their own). Each is a few lines of names over the native module.
from . import codetools, db, live, loop, recode, register, utils, version  # noqa: E402

__all__ = [
    "CodeFile",
    "ConformException",
    "Event",
    "EventSource",
    "OutOfSyncException",
    "PatchError",
    "ReadOnlyError",
    "Recoder",
    "StaleException",
    "WatchError",
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


def load_ipython_extension(ip):
    """`%load_ext jurigged` in IPython or a Jupyter kernel (see jurigged.ipython)."""
    from .ipython import load_ipython_extension as load

    load(ip)


def unload_ipython_extension(ip):
    """`%unload_ext jurigged`: stops the extension's watcher."""
    from .ipython import unload_ipython_extension as unload

    unload(ip)
