"""A forked child that closes every descriptor it did not open (a daemonizing
`os.closerange(3, 65536)`) closes those of its file watcher too: it can no
longer take saves. It says so once on its stderr, and runs on: no crash, no
panic message, no busy loop (issue 20, item 11). The parent goes on taking
saves."""

import re

from support.cli import function_module

FAST = ["-d", "0.01"]

PROGRAM = """\
import os
import time

import mod

pid = os.fork()
if pid == 0:
    os.closerange(3, 65536)
    print(f"child ready {os.getpid()}", flush=True)
    end = time.monotonic() + 4
    while time.monotonic() < end:
        mod.f()
        time.sleep(0.01)
    times = os.times()
    print(f"child cpu {times.user + times.system:.2f} value {mod.f()}", flush=True)
    os._exit(0)
last = None
while True:
    value = mod.f()
    if value != last:
        print(f"parent {value}", flush=True)
        last = value
    time.sleep(0.005)
"""


def test_a_child_that_closes_its_descriptors_says_it_takes_no_saves_once_and_runs_on(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", PROGRAM)
    process = run(*FAST, "main.py")
    # The child's and the parent's lines come in either order.
    child = re.search(r"child ready (\d+)", process.wait_for("child ready", stream="stdout")).group(1)
    warning = process.wait_for("closed the descriptors", stream="stderr")
    assert warning.startswith("jurigged: warning: ") and "no longer applies saves" in warning
    assert warning.endswith(f"[pid {child}]"), f"the child says it, not the parent\n{process.describe()}"
    workspace.save("mod.py", function_module(2))
    process.wait_for("parent 2", stream="stdout")
    ended = process.wait_for("child cpu", stream="stdout")
    cpu = float(ended.split()[2])
    assert cpu < 1.0, f"the child spun: {ended}\n{process.describe()}"
    assert process.alive()
    stderr = process.stderr
    assert stderr.count("closed the descriptors") == 1, process.describe()
    assert "panicked" not in stderr and "Traceback" not in stderr, process.describe()
