"""The original's ``jurigged.live`` names: ``watch()``, its ``Watcher``, the
loggers and the command line.

As in the original, ``default_logger`` here prints every event and
``conservative_logger`` only errors (``jurigged.default_logger`` is the
errors-only one, ``jurigged.verbose_logger`` the one that prints everything).
"""

import sys

from ._jurigged import (
    WatchOperation,
    Watcher,
    cli_main,
    default_logger as conservative_logger,
    verbose_logger as default_logger,
    watch,
)


def cli():
    """Runs the ``jurigged`` command line with ``sys.argv``."""
    sys.exit(cli_main(sys.argv))


__all__ = [
    "WatchOperation",
    "Watcher",
    "cli",
    "conservative_logger",
    "default_logger",
    "watch",
]
