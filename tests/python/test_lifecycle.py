"""End to end: how a program under jurigged ends, forks and waits, started as
`python -m jurigged` and as the standalone binary: it must end exactly as under
`python` (threads joined, atexit handlers run, output flushed, its exit status),
promptly even while a save is being applied, and its forked children must never
hang.

Each test runs real processes on real files in a temporary directory."""

import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from support.cli import FAST, binary_python_version, child_env, entry_point, function_module

# -- ending like python ---------------------------------------------------------------

ENDINGS = {
    "falls-off-the-end": ("", 0),
    "sys-exit-3": ("sys.exit(3)", 3),
    "sys-exit-message": ("sys.exit('bye now')", 1),
    "uncaught": ("raise ValueError('boom')", 1),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_program_ends_as_under_python(run, workspace, ending):
    """Non-daemon threads are joined, then atexit handlers run, then buffered
    output is flushed; the exit status and the last error line are python's."""
    statement, status = ENDINGS[ending]
    workspace.write(
        "app.py",
        f"""\
import atexit
import sys
import threading
import time

def late():
    time.sleep(0.3)
    print("thread done")

atexit.register(print, "atexit ran")
threading.Thread(target=late).start()
sys.stdout.write("main done\\n")
{statement}
""",
    )
    buffered = {"PYTHONUNBUFFERED": None}
    reference = subprocess.run(
        [sys.executable, "app.py"], cwd=workspace.root, capture_output=True, env=child_env(buffered), timeout=60
    )
    assert reference.returncode == status
    assert reference.stdout.decode().splitlines() == ["main done", "thread done", "atexit ran"]
    process = run("app.py", env=buffered)
    assert process.wait_exit() == status, process.describe()
    assert process.lines["stdout"] == ["main done", "thread done", "atexit ran"], process.describe()
    expected_error = reference.stderr.decode().strip().splitlines()[-1:] if reference.stderr.strip() else []
    assert process.lines["stderr"][-1:] == expected_error, process.describe()


FINALIZED_ENDINGS = dict(ENDINGS, **{"os-exit-5": ("os._exit(5)", 5)})


@pytest.mark.parametrize("ending", list(FINALIZED_ENDINGS))
def test_the_interpreter_is_finalized_as_under_python(run, workspace, ending):
    """After atexit, the interpreter is finalized: a file the program wrote and
    never closed holds its text, `__del__` methods of objects still referenced
    run (the session's own daemon thread does not get in the way); os._exit
    skips all of it, as under python."""
    statement, status = FINALIZED_ENDINGS[ending]
    workspace.write(
        "app.py",
        f"""\
import atexit
import os
import sys

class Holder:
    def __del__(self):
        print("del ran")

holder = Holder()
unclosed = open("out.txt", "w")
unclosed.write("hello\\n")
atexit.register(print, "atexit ran")
sys.stdout.write("main done\\n")
{statement}
""",
    )
    buffered = {"PYTHONUNBUFFERED": None}
    out = workspace.root / "out.txt"
    reference = subprocess.run(
        [sys.executable, "app.py"], cwd=workspace.root, capture_output=True, env=child_env(buffered), timeout=60
    )
    assert reference.returncode == status
    expected_out = out.read_bytes()
    expected_lines = reference.stdout.decode().splitlines()
    assert expected_out == (b"" if ending.startswith("os-exit") else b"hello\n")
    # os._exit: nothing flushed, not even stdout (a pipe: block-buffered).
    assert expected_lines == ([] if ending.startswith("os-exit") else ["main done", "atexit ran", "del ran"])
    out.unlink()
    process = run("app.py", env=buffered)
    assert process.wait_exit() == status, process.describe()
    assert process.lines["stdout"] == expected_lines, process.describe()
    assert out.read_bytes() == expected_out, process.describe()
    assert "Fatal Python error" not in process.stderr, process.describe()


# -- the binary's virtual environment -------------------------------------------------


def fake_venv(root, version):
    """A virtual environment as `python -m venv` lays it out, for `version`
    ("3.11"), with a module `venvonly` in its site-packages."""
    root.mkdir()
    (root / "pyvenv.cfg").write_text(f"home = /nowhere\ninclude-system-site-packages = false\nversion = {version}.0\n")
    site = root / "lib" / f"python{version}" / "site-packages"
    site.mkdir(parents=True)
    (site / "venvonly.py").write_text("WHERE = 'the venv'\n")
    return root


def run_binary(workspace, venv):
    workspace.write(
        "app.py",
        """\
import sys
try:
    import venvonly
    print("imported from", venvonly.WHERE, "prefix", sys.prefix)
except ImportError:
    print("not importable")
""",
    )
    env = child_env({"VIRTUAL_ENV": str(venv)}, kind="binary")
    return subprocess.run(
        [*entry_point("binary"), "app.py"], cwd=workspace.root, env=env, capture_output=True, timeout=60, text=True
    )


def test_binary_uses_the_virtualenv_its_pyvenv_cfg_names(workspace):
    major, minor = binary_python_version()
    venv = fake_venv(workspace.elsewhere / "env", f"{major}.{minor}")
    result = run_binary(workspace, venv)
    assert result.returncode == 0, result
    assert result.stdout.strip() == f"imported from the venv prefix {venv}", result
    assert result.stderr == "", result


def test_binary_installed_in_a_virtualenv_uses_it(workspace):
    """As a venv's python: the environment is the one above the binary's
    directory, active or not."""
    major, minor = binary_python_version()
    venv = fake_venv(workspace.elsewhere / "env", f"{major}.{minor}")
    (venv / "bin").mkdir()
    installed = venv / "bin" / "jurigged"
    shutil.copy2(entry_point("binary")[0], installed)
    workspace.write("app.py", "import venvonly\nprint('imported from', venvonly.WHERE)\n")
    env = child_env({"VIRTUAL_ENV": None})
    result = subprocess.run(
        [str(installed), "app.py"], cwd=workspace.root, env=env, capture_output=True, timeout=60, text=True
    )
    assert result.returncode == 0, result
    assert result.stdout.strip() == "imported from the venv", result


def test_binary_refuses_a_virtualenv_of_another_python(workspace):
    venv = fake_venv(workspace.elsewhere / "env", "3.1")
    result = run_binary(workspace, venv)
    assert result.returncode == 0, result
    assert result.stdout.strip() == "not importable", result
    assert "is for Python 3.1" in result.stderr, result


def test_binary_refuses_a_virtualenv_without_pyvenv_cfg(workspace):
    major, minor = binary_python_version()
    venv = fake_venv(workspace.elsewhere / "env", f"{major}.{minor}")
    (venv / "pyvenv.cfg").unlink()
    result = run_binary(workspace, venv)
    assert result.stdout.strip() == "not importable", result
    assert "is not a virtual environment" in result.stderr, result


# -- waits that Ctrl-C ends -------------------------------------------------------------


def test_watcher_join_is_interrupted_by_ctrl_c(run, workspace):
    workspace.write(
        "app.py",
        """\
import jurigged

watcher = jurigged.watch("nothing/*.py", logger=None)
watcher.join(timeout=0.05)
print("timed out", flush=True)
try:
    print("joining", flush=True)
    watcher.join()
except KeyboardInterrupt:
    print("interrupted", flush=True)
watcher.stop()
watcher.join()
print("joined", flush=True)
""",
    )
    process = run("app.py")
    process.wait_for("timed out", stream="stdout")
    # Inside the try: wherever Ctrl-C lands, the join must end with it.
    process.wait_for("joining", stream="stdout")
    process.interrupt()
    process.wait_for("interrupted", stream="stdout")
    process.wait_for("joined", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


def test_an_ignored_sigint_stays_ignored_as_under_python(entry, entry_kind, workspace):
    """Started with SIGINT ignored (a background job), python keeps ignoring it;
    so must jurigged."""
    workspace.write(
        "app.py",
        """\
import os
import time

print("ready", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists("go") and time.monotonic() < deadline:
    time.sleep(0.01)
print("not interrupted", flush=True)
""",
    )
    process = subprocess.Popen(
        [*entry, "app.py"],
        cwd=workspace.root,
        env=child_env(kind=entry_kind),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGINT)
        (workspace.root / "go").touch()
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert out.strip() == "not interrupted", err


@pytest.mark.parametrize("target", ["mod:nosuch", "nosuch"])
def test_loop_target_never_defined_removes_the_trace(run, workspace, target):
    """The trace that waits for a --loop function goes once the module that
    should define it has run (or the program's main code has finished)."""
    workspace.write("mod.py", function_module(1))
    workspace.write("app.py", "import sys\nimport mod\nprint('after import', sys.gettrace())\n")
    process = run("-i", "--loop", target, "app.py", stdin="print('in the REPL', sys.gettrace())\n")
    if target.startswith("mod:"):
        process.wait_for("after import None", stream="stdout")
    process.wait_for("in the REPL None", stream="stdout")
    process.wait_for("does not define nosuch; no loop on it", stream="stderr")
    assert process.wait_exit() == 0, process.describe()


# -- exit during a save ------------------------------------------------------------------


def app_ending_once_a_save_blocks(imports=""):
    """A program that imports `mod` (and `imports`) and ends as soon as a save's
    statement has created the file `blocking` (the save then blocks in it)."""
    return (
        "import os\nimport time\n\nimport mod\n"
        + imports
        + """
print("started", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists("blocking") and time.monotonic() < deadline:
    time.sleep(0.01)
print("ending", flush=True)
"""
    )


def test_exit_does_not_wait_for_a_save_whose_statement_blocks(run, workspace):
    """It once waited 2 s; python does not wait for such a thread at all."""
    workspace.write("mod.py", function_module(1))
    workspace.write("app.py", app_ending_once_a_save_blocks())
    process = run(*FAST, "app.py")
    process.wait_for("started", stream="stdout")
    workspace.save("mod.py", "import time\nopen('blocking', 'w').close()\ntime.sleep(5)\n" + function_module(2))
    process.wait_for("ending", stream="stdout")
    ending = time.monotonic()
    status = process.wait_exit()
    took = time.monotonic() - ending
    assert status == 0, process.describe()
    assert took < 1.5, f"the program took {took:.2f} s to exit after its end\n{process.describe()}"


def test_exit_while_a_save_blocks_never_aborts(run, workspace):
    """A save's statement that ends while the interpreter finalizes (made long
    here by a __del__ that sleeps) must not abort the process: CPython 3.13 and
    before end such a thread by force, which aborts through Rust frames."""
    workspace.write("mod.py", function_module(1))
    # Outside the watched directory: jurigged keeps no reference to it, so its
    # globals die during finalization.
    (workspace.elsewhere / "slowtodie.py").write_text(
        textwrap.dedent(
            """\
            import time

            class SlowToDie:
                def __del__(self, sleep=time.sleep):
                    sleep(1.5)

            keep = SlowToDie()
            """
        )
    )
    workspace.write("app.py", app_ending_once_a_save_blocks("import slowtodie\n"))
    process = run(*FAST, "app.py", env={"PYTHONPATH": str(workspace.elsewhere)})
    process.wait_for("started", stream="stdout")
    workspace.save("mod.py", "import time\nopen('blocking', 'w').close()\ntime.sleep(0.6)\n" + function_module(2))
    process.wait_for("ending", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


# -- fork -----------------------------------------------------------------------------------

FORKS = 400


def test_forked_children_never_deadlock_while_files_change(run, workspace):
    """The parent keeps saving watched files while it forks; each child imports
    a new watched module (registering it) and exits, some through sys.exit (the
    whole shutdown). Every child must end, quickly."""
    for index in range(8):
        workspace.write(f"churn{index}.py", function_module(index))
    workspace.write(
        "app.py",
        textwrap.dedent(
            f"""\
            import importlib
            import os
            import sys
            import threading
            import time
            import warnings

            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)
            churn = [importlib.import_module(f"churn{{i}}") for i in range(8)]
            parent = os.getpid()
            stop = threading.Event()

            def save_forever():
                count = 0
                while not stop.is_set():
                    count += 1
                    path = f"churn{{count % 8}}.py"
                    with open(path + ".tmp", "w") as f:
                        f.write(f"def f():\\n    return {{count}}\\n")
                    os.replace(path + ".tmp", path)

            writer = threading.Thread(target=save_forever, daemon=True)
            writer.start()
            for index in range({FORKS}):
                with open(f"child{{index}}.py", "w") as f:
                    f.write("VALUE = 1\\n")
                importlib.invalidate_caches()
                pid = os.fork()
                if pid == 0:
                    imported = importlib.import_module(f"child{{index}}").VALUE == 1
                    if index % 10 == 0:
                        sys.exit(0 if imported else 5)
                    os._exit(0 if imported else 5)
                deadline = time.monotonic() + 10
                while True:
                    ended, status = os.waitpid(pid, os.WNOHANG)
                    if ended:
                        break
                    if time.monotonic() > deadline:
                        print("child", index, "hangs", flush=True)
                        os.kill(pid, 9)
                        os.waitpid(pid, 0)
                        sys.exit(3)
                    time.sleep(0.001)
                if status != 0:
                    print("child", index, "ended with status", status, flush=True)
                    sys.exit(4)
            stop.set()
            print("all children ended", flush=True)
            """
        ),
    )
    process = run(*FAST, "app.py")
    process.wait_for("all children ended", stream="stdout", timeout=240)
    assert process.wait_exit() == 0, process.describe()
