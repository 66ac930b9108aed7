"""`jurigged attach PID` and `jurigged detach PID`: live updates for a Python that
was started with plain `python` (3.14+: PEP 768's sys.remote_exec). The targets
are real processes of this interpreter; the saves are real files."""

import os
import subprocess
import sys
import textwrap

import pytest

from support import waiting
from support.cli import Process, child_env
from support.waiting import wait_until

NEEDS_314 = pytest.mark.skipif(sys.version_info < (3, 14), reason="sys.remote_exec is new in Python 3.14")

# The target: imports mod, keeps a reference to mod.f taken before any attach,
# and prints both results whenever they change. Short sleeps keep it reaching
# safe points (where a remote script runs).
TARGET = textwrap.dedent(
    """\
    import sys, time
    import mod
    old_f = mod.f
    print("started", flush=True)
    last = None
    for i in range(60000):
        state = f"now={mod.f()} old={old_f()}"
        if state != last:
            print(state, flush=True)
            last = state
        if i % 20 == 0:
            print("tick", i // 20, flush=True)
        time.sleep(0.01)
    """
)


def start_target(workspace, *python_args, env=None):
    workspace.write("mod.py", "def f():\n    return 1\n")
    workspace.write("target.py", TARGET)
    target = Process([sys.executable, *python_args, "target.py"], cwd=workspace.root, env=child_env(env))
    target.wait_for("now=1 old=1")
    return target


@pytest.fixture
def jurigged_cmd(entry, workspace):
    """Runs `jurigged ARGS...` to its end; returns (status, stdout, stderr)."""

    def call(*args, cwd=None, env=None, timeout=waiting.TIMEOUT * 2):
        done = subprocess.run(
            entry + list(args),
            cwd=cwd or workspace.root,
            env=child_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return done.returncode, done.stdout, done.stderr

    return call


def test_a_pid_that_does_not_exist_is_refused(jurigged_cmd):
    status, _, err = jurigged_cmd("attach", "999999999")
    assert status == 1
    assert "no process with pid 999999999" in err


def test_a_process_that_is_not_python_is_refused(jurigged_cmd, workspace):
    sleeper = Process(["sleep", "600"], cwd=workspace.root)
    try:
        status, _, err = jurigged_cmd("attach", str(sleeper.popen.pid))
    finally:
        sleeper.kill()
    assert status == 1
    assert "not a Python interpreter" in err


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="the target runs 3.14+: it can be attached to")
def test_a_python_before_314_is_refused_with_the_version_it_runs(jurigged_cmd, workspace):
    target = start_target(workspace)
    try:
        status, _, err = jurigged_cmd("attach", str(target.popen.pid))
    finally:
        target.kill()
    assert status == 1
    version = "%d.%d" % sys.version_info[:2]
    assert f"runs Python {version}; jurigged attach needs the target to run Python 3.14 or later" in err


@NEEDS_314
def test_an_attached_program_takes_saves_old_references_included_and_detach_stops_them(run, workspace, jurigged_cmd):
    target = start_target(workspace)
    try:
        attach = run("attach", str(target.popen.pid), "-v")
        attach.wait_for("jurigged: attached to pid", stream="stderr")
        assert "using its own package" in attach.stderr
        workspace.save("mod.py", "def f():\n    return 2\n")
        target.wait_for("now=2 old=2")
        # The target's log reaches the attaching terminal too.
        attach.wait_for("Update mod.f", stream="stderr")
        # Attaching twice is refused, naming the session's options.
        status, _, err = jurigged_cmd("attach", str(target.popen.pid))
        assert status == 1
        assert "has a jurigged session already" in err and '"verbose":true' in err
        status, _, err = jurigged_cmd("detach", str(target.popen.pid))
        assert status == 0, err
        assert "its session stopped" in err
        workspace.save("mod.py", "def f():\n    return 3\n")
        # A save after the detach is not applied: the program runs on for ten
        # more ticks (about 2 s, forty debounces) and still has the old code.
        ticks = lambda: [int(line.split()[1]) for line in target.stdout.splitlines() if line.startswith("tick ")]
        saved_at = max(ticks())
        wait_until(lambda: max(ticks()) >= saved_at + 10, what="ten more ticks")
        assert "now=3" not in target.stdout
        status, _, err = jurigged_cmd("detach", str(target.popen.pid))
        assert status == 1 and "has no session started by jurigged attach" in err
    finally:
        target.kill()


@NEEDS_314
def test_a_target_without_jurigged_is_lent_this_installations_package(run, workspace):
    # -S: no site-packages, so the target cannot import its own jurigged.
    target = start_target(workspace, "-S")
    try:
        attach = run("attach", str(target.popen.pid), "--no-follow")
        status = attach.wait_exit()
        assert status == 0, attach.describe()
        assert "this installation's package, lent from" in attach.stderr
        workspace.save("mod.py", "def f():\n    return 5\n")
        target.wait_for("now=5 old=5")
    finally:
        target.kill()


@NEEDS_314
def test_a_target_with_remote_debugging_turned_off_is_refused(jurigged_cmd, workspace):
    target = start_target(workspace, env={"PYTHON_DISABLE_REMOTE_DEBUG": "1"})
    try:
        status, _, err = jurigged_cmd("attach", str(target.popen.pid))
    finally:
        target.kill()
    assert status == 1
    assert "remote debugging turned off" in err


@NEEDS_314
def test_a_target_that_exits_during_the_attach_is_said(run, workspace):
    # A target blocked in one long sleep never reaches a safe point: the attach
    # waits, and the target is ended meanwhile.
    workspace.write("blocked.py", "import time\nprint('blocked', flush=True)\ntime.sleep(600)\n")
    target = Process([sys.executable, "blocked.py"], cwd=workspace.root, env=child_env())
    target.wait_for("blocked")
    attach = run("attach", str(target.popen.pid))
    attach.wait_for("jurigged: waiting for pid", stream="stderr")
    target.kill()
    assert attach.wait_exit() == 1
    assert f"pid {target.popen.pid} exited during the attach" in attach.stderr


@NEEDS_314
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the attach as another user")
def test_an_attach_without_the_permission_says_what_is_needed(workspace):
    target = start_target(workspace)
    try:
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "jurigged", "attach", str(target.popen.pid)],
            cwd="/",
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=waiting.TIMEOUT,
        )
    finally:
        target.kill()
    assert done.returncode == 1, done
    assert "attaching needs the same user as the target" in done.stderr or "CAP_SYS_PTRACE" in done.stderr


@NEEDS_314
def test_ctrl_c_stops_following_and_the_session_keeps_running(run, workspace):
    target = start_target(workspace)
    try:
        attach = run("attach", str(target.popen.pid))
        attach.wait_for("jurigged: following its output", stream="stderr")
        attach.interrupt()
        assert attach.wait_exit() == 0
        assert "stopped following" in attach.stderr and "its session keeps running" in attach.stderr
        workspace.save("mod.py", "def f():\n    return 7\n")
        target.wait_for("now=7 old=7")
    finally:
        target.kill()


FORKING_TARGET = textwrap.dedent(
    """\
    import os, sys, time
    import mod
    print("started", flush=True)
    # Forks once the attach has happened (the test creates the file then).
    while not os.path.exists("fork-now"):
        time.sleep(0.01)
    parent = os.getpid()
    if os.fork() == 0:
        print(f"child pid {os.getpid()}", flush=True)
        last = None
        # Ends with its parent: an orphan would hold the test's pipes open.
        while os.getppid() == parent:
            value = mod.f()
            if value != last:
                print(f"child={value}", flush=True)
                last = value
            time.sleep(0.01)
        os._exit(0)
    time.sleep(600)
    """
)


@NEEDS_314
def test_a_child_forked_after_the_attach_takes_saves(run, workspace):
    workspace.write("mod.py", "def f():\n    return 1\n")
    workspace.write("target.py", FORKING_TARGET)
    target = Process([sys.executable, "target.py"], cwd=workspace.root, env=child_env())
    try:
        target.wait_for("started")
        attach = run("attach", str(target.popen.pid), "--no-follow")
        assert attach.wait_exit() == 0, attach.describe()
        workspace.write("fork-now", "")
        target.wait_for("child=1")
        workspace.save("mod.py", "def f():\n    return 2\n")
        target.wait_for("child=2")
    finally:
        for line in target.stdout.splitlines():
            if line.startswith("child pid "):
                try:
                    os.kill(int(line.split()[2]), 9)
                except ProcessLookupError:
                    pass
        target.kill()
