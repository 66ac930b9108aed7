"""Fixtures for the end-to-end tests: real modules written to temporary
directories, imported, edited and patched through jurigged. The helpers they and
the tests use live in the `support` package beside this file."""

import faulthandler
import sys
import textwrap
from pathlib import Path

import pytest

# The support package is imported as `support` by every test file, whatever
# directory pytest is started from.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import cli  # noqa: E402
from support.live_modules import Workspace  # noqa: E402


#: No test takes this long, even on a loaded machine (the slowest take well
#: under a minute): one that does is stuck. The run then stops with every
#: thread's traceback instead of waiting out CI's time in silence.
STUCK_TEST = 600

#: Where those tracebacks go: pytest's capture holds the process's stderr while
#: a test runs, and a process that exits from faulthandler never prints it.
#: `cargo xtask pytest` shows this file when the run fails.
STUCK_REPORT = Path(__file__).resolve().parents[2] / "target" / "stuck-test.txt"


def _stuck_report():
    try:
        STUCK_REPORT.parent.mkdir(parents=True, exist_ok=True)
        return open(STUCK_REPORT, "w")
    except OSError:
        return sys.__stderr__


_REPORT = _stuck_report()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if _REPORT is not sys.__stderr__:
        _REPORT.seek(0)
        _REPORT.truncate()
    _REPORT.write(f"stuck for {STUCK_TEST} s: {item.nodeid}\n")
    _REPORT.flush()
    faulthandler.dump_traceback_later(STUCK_TEST, exit=True, file=_REPORT)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    workspace = Workspace(tmp_path)
    yield workspace
    for name in workspace.modules:
        sys.modules.pop(name, None)


# -- a real `jurigged` process (python -m jurigged, or the standalone binary) -----------


@pytest.fixture(params=["python", "binary"])
def entry_kind(request):
    """How jurigged is started: `python -m jurigged` or the standalone binary."""
    return request.param


@pytest.fixture
def entry(entry_kind):
    return cli.entry_point(entry_kind)


@pytest.fixture
def workspace(tmp_path):
    """The program's directory (see cli.Workspace)."""
    return cli.Workspace(tmp_path)


@pytest.fixture
def run(entry, entry_kind, workspace):
    """Starts `jurigged ARGS...` in the workspace; every process is killed at the
    end of the test."""
    processes = []

    def start(*args, stdin=None, env=None, cwd=None):
        process = cli.Process(
            entry + list(args), cwd=cwd or workspace.root, env=cli.child_env(env, entry_kind), stdin=stdin
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()


# -- a client program that imports jurigged itself, as the projects built on it do ----


#: Every client program prints with `say`: one write per line, so that lines
#: from the watcher's thread (loggers, hooks) and the program's never mix.
SAY = """\
import os as _os


def say(*parts):
    _os.write(1, (" ".join(str(part) for part in parts) + "\\n").encode())


"""


@pytest.fixture
def client(workspace):
    """Starts `python prog.py` in the workspace: `say`, then `parts` (dedented),
    with `files` written beside it as modules; killed at the end of the test."""
    processes = []

    def start(*parts, **files):
        for name, text in files.items():
            workspace.write(f"{name}.py", textwrap.dedent(text))
        workspace.write("prog.py", SAY + "".join(textwrap.dedent(part) for part in parts))
        process = cli.Process([sys.executable, "prog.py"], cwd=workspace.root, env=cli.child_env())
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
