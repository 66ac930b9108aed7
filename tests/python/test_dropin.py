"""jurigged-rs as a drop-in for the original jurigged: what the projects built on
it call, as they call it (issue 23's table), each in a real Python program that
edits its own files and checks that the edit took effect."""

import subprocess
import sys
import textwrap

import pytest

from cli_support import Process, child_env, wait_until


@pytest.fixture
def client(workspace):
    """Starts `python prog.py` in the workspace (a client program that imports
    jurigged itself, as the projects do); killed at the end of the test."""
    processes = []

    def start(source, **files):
        for name, text in files.items():
            workspace.write(f"{name}.py", textwrap.dedent(text))
        workspace.write("prog.py", textwrap.dedent(source))
        process = Process([sys.executable, "prog.py"], cwd=workspace.root, env=child_env())
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()


def python_says(code):
    """What a fresh `python -c code` prints (its stdout), failing on an error."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=child_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


# -- the module layout -----------------------------------------------------------------


def test_import_jurigged_makes_the_original_modules_attributes():
    # transformers_sae reads `jurigged.live.conservative_logger` after a bare
    # `import jurigged`; pytest-hot-reloading imports `jurigged.utils`.
    said = python_says(
        """
        import jurigged
        for name in ("live", "codetools", "register", "recode", "utils", "loop"):
            print(name, type(getattr(jurigged, name)).__name__)
        print("shift", callable(jurigged.utils.shift_lineno), callable(jurigged.utils.glob_filter))
        print("version", jurigged.version.version == jurigged.__version__)
        """
    )
    assert said == [
        "live", "module", "codetools", "module", "register", "module",
        "recode", "module", "utils", "module", "loop", "module",
        "shift", "True", "True", "version", "True",
    ]  # fmt: skip


def test_an_evaluated_annotation_naming_watch_operation_is_defined(client):
    # piltover: `def log(s: jurigged.live.WatchOperation)` evaluated at the def.
    process = client(
        """
        import jurigged

        def log(s: jurigged.live.WatchOperation):
            print("logged", type(s).__name__, flush=True)

        log(jurigged.live.WatchOperation("some/file.py"))
        print("defined", log.__annotations__["s"].__name__, flush=True)
        """
    )
    process.wait_for("logged WatchOperation")
    process.wait_for("defined WatchOperation")


def test_shift_lineno_moves_a_code_object_and_those_inside_it():
    said = python_says(
        """
        import jurigged.utils

        def outer():
            def inner():
                return 1
            return inner

        moved = jurigged.utils.shift_lineno(outer.__code__, 10)
        inner = [c for c in moved.co_consts if hasattr(c, "co_firstlineno")][0]
        print(moved.co_firstlineno - outer.__code__.co_firstlineno)
        print(inner.co_firstlineno - outer().__code__.co_firstlineno)
        print(jurigged.utils.shift_lineno("not code", 3))
        """
    )
    assert said == ["10", "10", "not", "code"]
