"""A watcher that cannot start: one Python error for it, whichever way the
session was started, with the system's errno and what to do about it."""

import subprocess
import sys

from support.cli import child_env
from support.waiting import TIMEOUT

# Every descriptor the process may open is taken before the second watch():
# the system's notifications cannot start (EMFILE). The first watch() has
# imported everything a session needs, so nothing else fails for lack of one.
NO_DESCRIPTOR_LEFT = """
import errno, os, resource
import jurigged

first = jurigged.watch(".", logger=lambda event: None)
first.stop()
first.join()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
held = []
try:
    while True:
        held.append(os.open(os.devnull, os.O_RDONLY))
except OSError:
    pass
try:
    jurigged.watch(".", logger=lambda event: None)
except OSError as error:
    for fd in held:
        os.close(fd)
    print(type(error).__name__, isinstance(error, jurigged.WatchError), error.errno == errno.EMFILE, sep="|")
    print(error)
else:
    for fd in held:
        os.close(fd)
    print("started")
"""


def test_a_watcher_that_cannot_start_raises_watch_error_with_its_errno_and_the_poll_hint(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", NO_DESCRIPTOR_LEFT],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and len(lines) == 2, (result.stdout, result.stderr)
    assert lines[0] == "WatchError|True|True", lines
    # The errno is in the text as Python writes it, and so is what to do.
    assert lines[1].startswith("[Errno 24] "), lines[1]
    assert "retry with --poll (or watch(poll=True))" in lines[1], lines[1]
    assert "ulimit -n" in lines[1], lines[1]
