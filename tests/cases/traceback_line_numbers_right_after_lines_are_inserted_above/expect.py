"""Traceback line numbers right after lines are inserted above."""

import inspect
import linecache

from support.tracebacks import failing_line


def check(mod, case):
    assert failing_line(mod.fail).lineno == 4
    events = case.save()
    assert f"Add {mod.__name__}.helper @L5" in events
    linecache.clearcache()
    frame = failing_line(mod.fail)
    assert frame.lineno == 10
    assert frame.line == "raise ValueError(x)"
    assert mod.fail.__code__.co_firstlineno == 8
    lines, first = inspect.getsourcelines(mod.fail)
    assert first == 8
    assert lines[0] == "def fail():\n"
