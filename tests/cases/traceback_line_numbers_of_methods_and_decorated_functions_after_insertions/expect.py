"""Traceback line numbers of methods and decorated functions after insertions."""

import inspect
import linecache

from support.tracebacks import failing_line


def check(mod, case):
    assert failing_line(mod.K().method).lineno == 12
    assert failing_line(mod.decorated).lineno == 16
    case.save()
    linecache.clearcache()
    assert failing_line(mod.K().method).lineno == 15
    assert failing_line(mod.decorated).lineno == 19
    assert inspect.getsourcelines(mod.K.method)[1] == 14
    assert mod.decorated.__wrapped__.__code__.co_firstlineno in (17, 18)
