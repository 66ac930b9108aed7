"""The save thread leaves the program's process-wide state alone (issue 20,
item 8): whatever a save does, on every error path too, the program's threads
see the same `warnings.filters` (the same list, the same filters) and the
collector as they left it.

Before, the syntax check and the commit entered `warnings.catch_warnings` on
the save thread: Python code that swaps the process-wide filters, during which
the GIL passes to the program's threads (often, with a tiny switch interval),
which then ran with jurigged's filters."""

import pytest

from support.cli import function_module, state_is

FAST = ["-d", "0.01"]

# The main thread checks the process state between every few bytecodes (a
# tiny switch interval gives it the GIL whenever the save thread runs Python)
# and reports any difference; it also reports mod.f()'s value as it changes.
PROGRAM = """\
import gc
import sys
import warnings

import mod

sys.setswitchinterval(1e-6)
warnings.simplefilter("default", UserWarning)
filters = warnings.filters
expected = list(filters)
last = None
print("started", flush=True)
while True:
    if warnings.filters is not filters or list(warnings.filters) != expected or not gc.isenabled():
        added = [f for f in warnings.filters if f not in expected]
        print("CHANGED", warnings.filters is filters, added, gc.isenabled(), flush=True)
        warnings.filters = filters
        filters[:] = expected
        gc.enable()
    try:
        value = mod.f()
        value = value if isinstance(value, int) else next(value)
    except Exception as error:
        value = type(error).__name__
    if value != last:
        print(f"state mod={value!r}", flush=True)
        last = value
"""

# Each way a save can go wrong, with the warnings CPython emits on the way (an
# invalid escape sequence is a warning in a file that compiles, and before the
# error in one that does not).
BAD_SAVES = {
    "syntax error": 'x = "\\d"\ndef f(:\n    return 0\n',
    "syntax error found by CPython": 'x = "\\d"\ny = 1 +\ndef f():\n    return 0\n',
    "raising statement": 'x = "\\d"\ndef f():\n    return 0\nraise RuntimeError("boom")\n',
    "raising decorator": 'def bad(f):\n    raise ValueError("no")\n@bad\ndef f():\n    return 0\n',
    "raising default": "def f(x=1 / 0):\n    return 0\n",
    "not UTF-8": b"def f():\n    return '\xff'\n",
}


@pytest.mark.parametrize("kind", list(BAD_SAVES))
def test_a_failing_save_leaves_warning_filters_and_the_collector_alone(run, workspace, kind):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", PROGRAM)
    process = run(*FAST, "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    # Each save gives the program's thread a few chances: several saves make
    # the test fail reliably when the save thread swaps the filters.
    for attempt in range(20):
        bad = BAD_SAVES[kind]
        workspace.save("mod.py", (bad if isinstance(bad, bytes) else bad.encode()) + f"# {attempt}\n".encode())
        process.wait_for(lambda line: line.startswith("Error "), stream="stderr")
        workspace.save("mod.py", function_module(10 + attempt))
        process.wait_for(state_is(mod=10 + attempt), stream="stdout")
    assert not [line for line in process.lines["stdout"] if line.startswith("CHANGED")], process.describe()


def test_a_save_that_changes_a_functions_kind_leaves_the_program_state_alone(run, workspace):
    # From 3.13 CPython warns when a function's code changes kind (a function
    # becomes a generator): the commit silences that warning.
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", PROGRAM)
    process = run(*FAST, "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    for value in range(2, 8):
        body = f"def f():\n    yield {value}\n" if value % 2 == 0 else function_module(value)
        workspace.save("mod.py", body)
        process.wait_for(state_is(mod=value), stream="stdout")
    assert not [line for line in process.lines["stdout"] if line.startswith("CHANGED")], process.describe()
    assert "DeprecationWarning" not in process.stderr, process.describe()
