"""The original's ``jurigged.live`` names: ``watch()``, its ``Watcher``, the
loggers and the command line.

As in the original, ``default_logger`` here prints every event and
``conservative_logger`` only errors, with ``print`` (to stdout; a program may
replace ``print``); ``jurigged.verbose_logger`` and ``jurigged.default_logger``
are the engine's own, which write coloured lines to stderr.
"""

import sys
import traceback

from ._jurigged import UpdateOperation, WatchOperation, Watcher, cli_main, watch

#: The original's debounce, in seconds.
DEFAULT_DEBOUNCE = 0.05


def cli():
    """Runs the ``jurigged`` command line with ``sys.argv``."""
    sys.exit(cli_main(sys.argv))


def default_logger(event):
    """Prints `event` as the original's logger does: an exception with its
    traceback (a SyntaxError with only its place), an update of a function, an
    addition, a deletion or a watched file as its log line, anything else as
    its str()."""
    if isinstance(event, SyntaxError):
        print("".join(traceback.format_exception(type(event), event, event.__traceback__, limit=0)))
    elif isinstance(event, BaseException):
        print("".join(traceback.format_exception(type(event), event, event.__traceback__)))
    elif isinstance(event, UpdateOperation):
        from .codetools import FunctionDefinition

        if isinstance(event.defn, FunctionDefinition):
            print(str(event))
    else:
        print(str(event))


def conservative_logger(event):
    """Prints errors only, as `default_logger` does."""
    if isinstance(event, Exception):
        default_logger(event)


def to_filter(pattern):
    """A filename filter from a watch pattern (a glob), a list of them, or a
    callable taking a filename (returned as it is)."""
    # Imported here: the standalone binary runs the package's modules in name
    # order, `utils` after this one.
    from .utils import glob_filter, or_filter

    if isinstance(pattern, str):
        return glob_filter(pattern)
    if isinstance(pattern, (list, tuple)):

        return or_filter([to_filter(each) for each in pattern])
    return pattern


def __getattr__(name):
    # The original polls with watchdog's PollingObserverVFS, and clients read or
    # replace `jurigged.live.PollingObserverVFS` (pytest-hot-reloading does).
    # Polling here is the engine's own; the name is given when watchdog is
    # installed, looked up only when asked for (watchdog is not imported
    # otherwise). A replacement assigned by a client is kept, not used.
    if name == "PollingObserverVFS":
        from watchdog.observers.polling import PollingObserverVFS

        return PollingObserverVFS
    if name == "glob_filter":
        from .utils import glob_filter

        return glob_filter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_DEBOUNCE",
    "WatchOperation",
    "Watcher",
    "cli",
    "conservative_logger",
    "default_logger",
    "to_filter",
    "watch",
]
