"""pytest-hot-reloading (pinned, from PyPI) on jurigged-rs, through its documented
flow: the daemon started (`pytest --daemon`, the plugin in `addopts`), a test run
through it, the function under test edited, the next run through the daemon sees
the edit, the daemon stopped.

The plugin subclasses the original's `FunctionDefinition` and `DeleteOperation`,
replaces `GroupDefinition.append` and `jurigged.live.PollingObserverVFS`, and
watches with `watch(pattern=callable, poll=2)` and `registry.auto_register(
filter=glob_filter(...))`: its daemon dies at startup unless all of that is there.
"""

import socket
import subprocess
import sys
import textwrap

import pytest

from support.cli import child_env
from support.waiting import wait_until

if sys.version_info < (3, 10):
    pytest.skip("pytest-hot-reloading requires Python 3.10 or later", allow_module_level=True)

pytest.importorskip("pytest_hot_reloading", reason="installed by `cargo xtask pytest` for this file")

#: The plugin polls every 2 s: a run through the daemon sees an edit within a
#: few polls.
RELOAD_TIMEOUT = 60


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pytest_run(cwd, *args, timeout=120):
    """`python -m pytest ARGS` in `cwd` (the client, or a command to the daemon)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=str(cwd),
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_daemon_reloads_the_function_under_test_between_runs(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\naddopts = -p pytest_hot_reloading.plugin\n")
    (project / "shapes.py").write_text("def area(width, height):\n    return width + height\n")
    (project / "test_shapes.py").write_text(
        textwrap.dedent(
            """\
            import shapes


            def test_area():
                assert shapes.area(3, 4) == 12
            """
        )
    )
    port = str(free_port())
    daemon = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--daemon", "--daemon-port", port],
        cwd=str(project),
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The daemon answers once it has set jurigged up and is serving.
        def first_run():
            assert daemon.poll() is None, f"the daemon died:\n{daemon.stdout.read()}"
            done = pytest_run(project, "--daemon-port", port, "test_shapes.py")
            return done if "Daemon took" in done.stdout else None

        before = wait_until(first_run, timeout=RELOAD_TIMEOUT, what="a run through the daemon")
        assert before.returncode == 1, before.stdout + before.stderr
        assert "1 failed" in before.stdout, before.stdout

        (project / "shapes.py").write_text("def area(width, height):\n    return width * height\n")

        def passes():
            done = pytest_run(project, "--daemon-port", port, "test_shapes.py")
            assert "Daemon took" in done.stdout, done.stdout + done.stderr
            return done if done.returncode == 0 else None

        after = wait_until(passes, timeout=RELOAD_TIMEOUT, what="the daemon's run to see the edit")
        assert "1 passed" in after.stdout, after.stdout
        # One daemon throughout: the edit was applied in it, not by a restart.
        assert daemon.poll() is None
    finally:
        stopped = pytest_run(project, "--daemon-port", port, "--stop-daemon")
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        output = daemon.stdout.read()
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "Traceback" not in output, output
