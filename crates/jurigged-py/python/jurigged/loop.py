"""The develoop: loop on a function, re-running it whenever its code changes.

    from jurigged.loop import loop, xloop

    @loop                        # or @loop(interface="basic") for stdin / breakpoint()
    def experiment():
        ...

In the loop: r re-runs, a aborts a run, c continues the program with the last
result, q quits; saving a watched file re-runs the function. ``xloop`` (alias
``loop_on_error``, or ``loop(only_on_error=True)``) only loops when the function
raises. ``jurigged --dev`` (or ``inject()``) puts ``__`` (with ``__.loop``,
``__.xloop``, ``__.loop_on_error``) in builtins.
"""

import builtins
from types import SimpleNamespace

from ._jurigged import LoopWrapper, loop as _loop, xloop


def loop(function=None, *, interface=None, only_on_error=False):
    """Loops on ``function`` (also ``@loop(interface="basic")``); with
    ``only_on_error=True``, only when it raises (as ``xloop``)."""
    chosen = xloop if only_on_error else _loop
    return chosen(function, interface=interface)


loop_on_error = xloop

__ = SimpleNamespace(loop=loop, xloop=xloop, loop_on_error=xloop)


def inject():
    """Puts ``__`` in builtins, as ``jurigged --dev`` does."""
    builtins.__ = __


__all__ = ["LoopWrapper", "inject", "loop", "loop_on_error", "xloop", "__"]
