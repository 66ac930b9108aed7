"""The develoop: loop on a function, re-running it whenever its code changes.

    from jurigged.loop import loop, xloop

    @loop                        # or @loop(interface="basic") for stdin / breakpoint()
    def experiment():
        ...

In the loop: r re-runs, a aborts a run, c continues the program with the last
result, q quits; saving a watched file re-runs the function. ``xloop`` (alias
``loop_on_error``) only loops when the function raises. ``jurigged --dev`` puts
``__`` (with ``__.loop``, ``__.xloop``, ``__.loop_on_error``) in builtins.
"""

from types import SimpleNamespace

from ._jurigged import LoopWrapper, loop, xloop

loop_on_error = xloop

__ = SimpleNamespace(loop=loop, xloop=xloop, loop_on_error=xloop)

__all__ = ["LoopWrapper", "loop", "loop_on_error", "xloop", "__"]
