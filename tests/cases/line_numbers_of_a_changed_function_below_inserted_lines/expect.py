"""Line numbers of a changed function below inserted lines."""

import inspect
import linecache

from support.tracebacks import failing_line


def check(mod, case):
    case.save()
    linecache.clearcache()
    frame = failing_line(mod.fail)
    assert frame.lineno == 7
    assert frame.line == 'raise ValueError("new")'
    assert inspect.getsourcelines(mod.fail)[1] == 5
