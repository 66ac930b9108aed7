"""End to end: a watched module imported right after a save runs the file as
saved, not a bytecode cache from before it.

Python trusts a `.pyc` whose header holds its source's size and modification
time in whole seconds: a save of the same size within that second is not seen.
A multiprocessing worker started just after a save hit it (one worker in ~65
kept the old code for good: jurigged had read the saved bytes, so no later save
told the two apart). The test builds that cache on purpose."""

import os
import py_compile

from support.cli import FAST

OLD = "def task():\n    return 1\n"
SAVED = "def task():\n    return 2\n"
LATER = "def task():\n    return 3\n"

APP = """\
import time

import work

print("imported", work.task(), flush=True)
deadline = time.monotonic() + 60
while work.task() != 3 and time.monotonic() < deadline:
    time.sleep(0.01)
print("later", work.task(), flush=True)
"""


def write_with_time(path, text, seconds):
    path.write_text(text)
    os.utime(path, (seconds, seconds))


def test_a_module_imported_after_a_same_size_save_within_its_caches_second_runs_the_save(run, workspace):
    source = workspace.path("work.py")
    # Half a second into some whole second, long ago: the cache is written (and
    # stamped) 0.2 s before the save, within the same second, as a fast edit is.
    saved_at = int(os.stat(workspace.root).st_mtime) - 100 + 0.5
    write_with_time(source, OLD, saved_at)
    cached = py_compile.compile(str(source), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    os.utime(cached, (saved_at - 0.2, saved_at - 0.2))
    write_with_time(source, SAVED, saved_at)
    assert len(SAVED) == len(OLD)

    workspace.write("app.py", APP)
    process = run(*FAST, "app.py")
    process.wait_for("imported 2", stream="stdout")
    workspace.save("work.py", LATER)
    process.wait_for("later 3", stream="stdout")
    assert process.wait_exit() == 0, process.describe()
