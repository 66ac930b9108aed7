"""Updated method traceback has real lines and columns."""

import linecache
import sys

from support.tracebacks import failing_line


def check(mod, case):
    case.save()
    linecache.clearcache()
    frame = failing_line(mod.K().method, 1)
    assert frame.filename == str(case.codefile.filename)
    assert frame.lineno == 4
    assert frame.line == "return 1 + x.missing"
    if sys.version_info >= (3, 11):
        # `x.missing` starts at column 19 of "        return 1 + x.missing".
        assert (frame.colno, frame.end_colno) == (19, 28)
