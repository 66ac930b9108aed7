"""Helpers for the end-to-end tests of the `jurigged` command line: real
processes, real files saved in the ways editors save them, output read
incrementally and waited for with deadlines."""

import functools
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from support.waiting import TIMEOUT, wait_until

REPO = Path(__file__).resolve().parents[3]

# Started as a background job (`cmd &` in a script), pytest ignores SIGINT, and
# so would every program it starts: python keeps an ignored SIGINT ignored, and
# the Ctrl-C tests would wait in vain. Children get the default back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

def binary_path():
    """The standalone `jurigged` binary: JURIGGED_BINARY, else target/debug/jurigged."""
    return Path(os.environ.get("JURIGGED_BINARY") or REPO / "target" / "debug" / "jurigged")


def entry_point(kind):
    """The command that starts jurigged: the Python module or the binary."""
    if kind == "python":
        return [sys.executable, "-m", "jurigged"]
    if os.environ.get("JURIGGED_BINARY_TESTS") == "host-only":
        # Set in the sid root (`cargo xtask pytest --py 3.14`): the binary embeds
        # the host's Python, which is not there, and is tested on the host.
        import pytest

        pytest.skip("the standalone binary embeds the host's Python: its tests run on the host")
    binary = binary_path()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise AssertionError(
            f"the jurigged binary {binary} does not exist: build it with "
            "`cargo build -p jurigged-cli` (or point JURIGGED_BINARY at it)"
        )
    return [str(binary)]


@functools.lru_cache(maxsize=None)
def binary_python_version():
    """The Python version the binary embeds, as (major, minor)."""
    with tempfile.TemporaryDirectory() as directory:
        script = Path(directory) / "version.py"
        script.write_text("import sys\nprint('%d.%d' % sys.version_info[:2])\n")
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        result = subprocess.run(
            [*entry_point("binary"), str(script)], cwd=directory, env=env, capture_output=True, timeout=TIMEOUT
        )
    text = result.stdout.decode().strip().splitlines()
    assert result.returncode == 0 and text, f"the binary cannot run a script: {result}"
    major, minor = text[-1].split(".")
    return int(major), int(minor)


def venv_matches_binary():
    """Whether this interpreter is a virtual environment the binary can use."""
    return sys.prefix != sys.base_prefix and binary_python_version() == sys.version_info[:2]


def child_env(extra=None, kind="python"):
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    env.pop("PYTHONSTARTUP", None)
    env.pop("VIRTUAL_ENV", None)
    # The binary imports the packages of the active virtual environment: make
    # it this interpreter's, as if the venv were activated (when the binary
    # embeds the same Python version; otherwise it would only warn).
    if kind == "binary" and venv_matches_binary():
        env["VIRTUAL_ENV"] = sys.prefix
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _reader(stream, name, sink):
    try:
        for raw in iter(stream.readline, b""):
            sink.put((name, raw.decode("utf-8", errors="replace").rstrip("\r\n")))
    finally:
        sink.put((name, None))


class Process:
    """A running jurigged process whose stdout and stderr lines are collected
    by reader threads. `wait_for` consumes lines in order, per stream."""

    def __init__(self, argv, cwd, env=None, stdin=None, preexec_fn=None):
        self.argv = [str(a) for a in argv]
        self.popen = subprocess.Popen(
            self.argv,
            cwd=str(cwd),
            env=env or child_env(),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=preexec_fn,
            # Its own process group, so that kill() ends what it started too
            # (a worker left behind would hold its output open). A caller's
            # preexec_fn may set the group itself.
            start_new_session=preexec_fn is None,
        )
        self.own_group = preexec_fn is None
        self.lines = {"stdout": [], "stderr": []}
        self.cursor = {"stdout": 0, "stderr": 0}
        self.closed = {"stdout": False, "stderr": False}
        self._queue = queue.Queue()
        self._threads = [
            threading.Thread(target=_reader, args=(self.popen.stdout, "stdout", self._queue), daemon=True),
            threading.Thread(target=_reader, args=(self.popen.stderr, "stderr", self._queue), daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if stdin is not None:
            self.send(stdin, close=not isinstance(stdin, OpenStdin))

    # -- input ---------------------------------------------------------------

    def send(self, text, close=False):
        if text:
            self.popen.stdin.write(text.encode("utf-8"))
            self.popen.stdin.flush()
        if close:
            self.popen.stdin.close()

    # -- output --------------------------------------------------------------

    def _pump(self, timeout):
        """Moves lines from the readers into self.lines; waits at most `timeout`
        for the first one."""
        try:
            item = self._queue.get(timeout=max(timeout, 0))
        except queue.Empty:
            return
        while True:
            name, line = item
            if line is None:
                self.closed[name] = True
            else:
                self.lines[name].append(line)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return

    def _find(self, matcher, streams):
        for name in streams:
            lines = self.lines[name]
            for index in range(self.cursor[name], len(lines)):
                if matcher(lines[index]):
                    self.cursor[name] = index + 1
                    return lines[index]
        return None

    def wait_for(self, pattern, stream=None, timeout=TIMEOUT):
        """Waits for a line (after the previous match on that stream) containing
        `pattern` (a str), matching it (a compiled regex) or for which it returns
        true (a callable); returns the line."""
        matcher = _matcher(pattern)
        streams = ["stdout", "stderr"] if stream is None else [stream]
        deadline = time.monotonic() + timeout
        while True:
            found = self._find(matcher, streams)
            if found is not None:
                return found
            if all(self.closed[s] for s in streams) and self._queue.empty():
                raise AssertionError(f"the process ended without printing {pattern!r}\n{self.describe()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {pattern!r} within {timeout} s\n{self.describe()}")
            self._pump(min(remaining, 0.05))

    def wait_exit(self, timeout=TIMEOUT):
        """Waits for the process to end and for all of its output; returns the
        exit status."""
        try:
            status = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the process did not end within {timeout} s\n{self.describe()}") from None
        deadline = time.monotonic() + timeout
        while not all(self.closed.values()) and time.monotonic() < deadline:
            self._pump(0.05)
        return status

    def drain(self):
        self._pump(0)

    def text(self, stream):
        self.drain()
        return "\n".join(self.lines[stream])

    @property
    def stdout(self):
        return self.text("stdout")

    @property
    def stderr(self):
        return self.text("stderr")

    def alive(self):
        return self.popen.poll() is None

    def interrupt(self):
        self.popen.send_signal(signal.SIGINT)

    def kill(self):
        """Ends the process and every process it started that is still in its
        group. Its output pipes are left to the reader threads: closing one
        while a reader is blocked on it would block here."""
        try:
            if self.own_group:
                os.killpg(self.popen.pid, signal.SIGKILL)
            elif self.popen.poll() is None:
                self.popen.kill()
        except OSError:  # already gone, group and all
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        try:
            if self.popen.stdin is not None:
                self.popen.stdin.close()
        except OSError:
            pass

    def describe(self):
        self.drain()
        status = self.popen.poll()
        return (
            f"command: {self.argv}\n"
            f"status: {'running' if status is None else status}\n"
            f"--- stdout ---\n" + "\n".join(self.lines["stdout"][-60:]) + "\n"
            f"--- stderr ---\n" + "\n".join(self.lines["stderr"][-60:])
        )


class OpenStdin(str):
    """stdin text to send while keeping stdin open (for a REPL fed later)."""


def _matcher(pattern):
    if callable(pattern):
        return pattern
    if isinstance(pattern, re.Pattern):
        return lambda line: pattern.search(line) is not None
    return lambda line: pattern in line


# -- the program under test ---------------------------------------------------


def loop_program(*modules, late=None, lifetime=600):
    """A main script that imports `modules` and prints `state a=1 b=2` (the
    value of each module's f()) whenever it changes. With `late`, that module is
    imported with importlib after `late[1]` seconds (retried until it exists)
    and joins the state."""
    late_name, late_delay = late if late else (None, 0)
    return textwrap.dedent(
        f"""\
        import importlib
        import sys
        import time

        names = {list(modules)!r}
        mods = [importlib.import_module(n) for n in names]
        late_name = {late_name!r}
        start = time.monotonic()
        last = None
        print("started", flush=True)
        while time.monotonic() - start < {lifetime}:
            if late_name and late_name not in names and time.monotonic() - start > {late_delay}:
                try:
                    mods.append(importlib.import_module(late_name))
                    names.append(late_name)
                except ImportError:
                    importlib.invalidate_caches()
            state = " ".join(f"{{n}}={{m.f()!r}}" for n, m in zip(names, mods))
            if state != last:
                print("state", state, flush=True)
                last = state
            time.sleep(0.005)
        print("lifetime over", flush=True)
        """
    )


def function_module(value, extra=""):
    return f"def f():\n    return {value!r}\n{extra}"


def state_is(**expected):
    """A line matcher: a `state` line in which each name has the given value."""

    def match(line):
        if not line.startswith("state "):
            return False
        values = dict(item.split("=", 1) for item in line[len("state "):].split())
        return all(values.get(name) == repr(value) for name, value in expected.items())

    match.__name__ = match.__qualname__ = f"state_is({expected})"
    return match


#: A short debounce, for tests that save many times.
FAST = ["-d", "0.01"]


def states(process):
    """The `state ...` lines the program printed so far."""
    process.drain()
    return [line for line in process.lines["stdout"] if line.startswith("state ")]


def error_line(path):
    """A matcher for jurigged's error line about `path`."""
    return lambda line: line.startswith("Error ") and str(path) in line


def start_loop(run, workspace, *modules, args=(), late=None):
    """Writes modules whose f() returns 1 and a main script printing their state;
    starts jurigged on it and waits for the first state."""
    for name in modules:
        workspace.write(f"{name.replace('.', '/')}.py", function_module(1))
    workspace.write("main.py", loop_program(*modules, late=late))
    process = run(*args, *FAST, "main.py")
    process.wait_for(state_is(**{name: 1 for name in modules}), stream="stdout")
    return process


class Workspace:
    """The program's directory (the process's cwd) and a sibling directory
    elsewhere on the same file system, for renames from another directory."""

    def __init__(self, tmp_path):
        base = Path(tmp_path).resolve()
        self.root = base / "prog"
        self.elsewhere = base / "elsewhere"
        self.root.mkdir()
        self.elsewhere.mkdir()
        self._count = 0

    def path(self, relative):
        return self.root / relative

    def write(self, relative, source):
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_bytes(source))
        return target

    def save(self, relative, source, style="inplace"):
        """Saves new contents the way an editor would."""
        target = self.path(relative)
        data = _bytes(source)
        self._count += 1
        if style == "inplace":
            with open(target, "wb") as f:
                f.write(data)
        elif style == "atomic":
            temporary = target.with_name(f".{target.name}.{self._count}.tmp")
            temporary.write_bytes(data)
            os.replace(temporary, target)
        elif style == "elsewhere":
            temporary = self.elsewhere / f"{target.name}.{self._count}"
            temporary.write_bytes(data)
            os.replace(temporary, target)
        elif style == "recreate":
            os.remove(target)
            target.write_bytes(data)
        else:
            raise ValueError(style)
        return target


def _bytes(source):
    return source if isinstance(source, bytes) else textwrap.dedent(source).encode("utf-8")


# -- the event stream (--events) ---------------------------------------------


def records(path):
    """The records of an event stream so far (a line being written is skipped)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        try:
            found.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return found


def wait_for_record(path, **fields):
    """The first record of the stream at `path` with these fields, waited for."""

    def match():
        return next((r for r in records(path) if all(r.get(k) == v for k, v in fields.items())), None)

    return wait_until(match, what=f"a record with {fields} in {path}")
