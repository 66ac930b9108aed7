"""End to end: `%load_ext jurigged` in a real Jupyter kernel (ipykernel, pinned
in xtask/src/python.rs and installed only when this suite runs), driven by
jupyter_client as a notebook drives it: cells run, a module is saved on disk,
the next cells see the new code through the references and instances they made
before the save, and jurigged's messages arrive as the cells' output (the
kernel's iopub stream messages), not on the terminal the kernel started from.

Each test starts its own kernel in a temporary directory (its working
directory) and shuts it down at the end; every wait has a deadline."""

import json
import os
import sys
import textwrap

import pytest

from support.waiting import TIMEOUT, wait_until

pytest.importorskip("ipykernel", reason="ipykernel is not installed in this venv (cargo xtask pytest installs it)")
pytest.importorskip("jupyter_client", reason="jupyter_client is not installed in this venv")

from jupyter_client.manager import start_new_kernel  # noqa: E402

KERNEL_NAME = "jurigged-test-python"


class Kernel:
    """A running kernel and its client; `run(code)` executes a cell and returns
    what it printed and its value, `output` holds every stream message the
    kernel sent (during a cell or between cells)."""

    def __init__(self, manager, client, terminal):
        self.manager, self.client, self.terminal = manager, client, terminal
        self.streams = []
        self.last_cell = None

    def _collect(self, msg_id=None, timeout=TIMEOUT):
        """Reads iopub messages until the cell `msg_id` is idle (or, without
        one, until none comes for a moment); returns (stdout+stderr text of
        that cell, its text/plain value, its error)."""
        text, value, error = [], None, None
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=timeout if msg_id else 0.2)
            except Exception:  # queue.Empty: nothing more for now
                if msg_id is None:
                    return "", None, None
                raise AssertionError(f"the kernel did not finish the cell within {timeout} s") from None
            kind, content = message["msg_type"], message["content"]
            mine = msg_id is not None and message["parent_header"].get("msg_id") == msg_id
            if kind == "stream":
                self.streams.append((message["parent_header"].get("msg_id"), content["text"]))
                if mine:
                    text.append(content["text"])
            elif mine and kind == "execute_result":
                value = content["data"].get("text/plain")
            elif mine and kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif mine and kind == "status" and content["execution_state"] == "idle":
                return "".join(text), value, error

    def run(self, code):
        msg_id = self.last_cell = self.client.execute(textwrap.dedent(code))
        text, value, error = self._collect(msg_id)
        self.client.get_shell_msg(timeout=TIMEOUT)
        return text, value, error

    def value(self, code):
        text, value, error = self.run(code)
        assert error is None, f"{code!r} raised {error}\n{text}"
        return value

    def drain(self):
        """Takes the stream messages sent while no cell ran."""
        self._collect()

    def stream_text(self, cell=None):
        """What the kernel's streams sent: all of it, or under the cell whose
        request is `cell`."""
        self.drain()
        return "".join(text for parent, text in self.streams if cell is None or parent == cell)


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """A kernel of this venv's Python whose working directory is tmp_path/nb;
    its own stdout and stderr (the terminal's) go to tmp_path/terminal.txt."""
    specs = tmp_path / "jupyter" / "kernels" / KERNEL_NAME
    specs.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "jurigged test",
        "language": "python",
    }
    (specs / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("JURIGGED_SESSION", raising=False)
    notebook = tmp_path / "nb"
    notebook.mkdir()
    terminal = open(tmp_path / "terminal.txt", "wb")
    manager, client = start_new_kernel(
        kernel_name=KERNEL_NAME, cwd=str(notebook), stdout=terminal, stderr=terminal, startup_timeout=TIMEOUT * 2
    )
    try:
        yield Kernel(manager, client, tmp_path / "terminal.txt")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        terminal.close()


def save(path, source):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


SHAPES_V1 = """\
    def area(w, h):
        return w * h


    class Box:
        def __init__(self, w, h):
            self.w, self.h = w, h

        def describe(self):
            return f"box {self.w}x{self.h}"
    """

SHAPES_V2 = """\
    def area(w, h):
        return w * h * 10


    class Box:
        def __init__(self, w, h):
            self.w, self.h = w, h

        def describe(self):
            return f"BOX of {area(self.w, self.h)}"
    """


def test_load_ext_watches_the_working_directory_and_cells_see_saves(kernel, tmp_path):
    """%load_ext jurigged, then cells that import a module of the working
    directory, keep a reference to one of its functions and make an instance
    of its class; after a save, the old reference and the old instance run the
    new code."""
    notebook = tmp_path / "nb"
    save(notebook / "shapes.py", SHAPES_V1)
    text, _, error = kernel.run("%load_ext jurigged")
    assert error is None and f"jurigged: watching {notebook}" in text, text
    kernel.value("import shapes\nold_area = shapes.area\nbox = shapes.Box(2, 3)")
    assert kernel.value("old_area(2, 3), box.describe()") == "(6, 'box 2x3')"

    save(notebook / "shapes.py", SHAPES_V2)
    wait_until(
        lambda: kernel.value("old_area(2, 3), box.describe()") == "(60, 'BOX of 60')",
        what="the old reference and the old instance running the new code",
    )
    # The kernel's state lived through it: the instance is the same object.
    assert kernel.value("box is globals()['box'], type(box) is shapes.Box") == "(True, True)"


def test_messages_go_to_the_output_area_not_the_terminal(kernel, tmp_path):
    """With %jurigged -v, a save's Update lines are stream messages of the
    kernel (what a notebook shows under its cells) under the cell running at
    the save, not under the %load_ext cell whose thread applies it; a broken
    save between cells prints its error under the last cell run; the terminal
    the kernel started from gets none of it."""
    notebook = tmp_path / "nb"
    save(notebook / "shapes.py", SHAPES_V1)
    kernel.run("%load_ext jurigged")
    load_cell = kernel.last_cell
    text, _, error = kernel.run("%jurigged -v")
    assert error is None and "verbose" in text, text
    kernel.value("import shapes")

    # A cell that saves the module and waits (bounded) for the new code.
    v2 = textwrap.dedent(SHAPES_V2)
    text, _, error = kernel.run(
        f"""\
        import time
        with open("shapes.py", "w") as f:
            f.write({v2!r})
        deadline = time.monotonic() + {TIMEOUT}
        while shapes.area(1, 1) != 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        print(f"area is {{shapes.area(1, 1)}}")
        """
    )
    assert error is None and "area is 10" in text, text
    saving_cell = kernel.last_cell
    wait_until(
        lambda: "Update shapes.Box.describe" in kernel.stream_text(saving_cell),
        what=f"the Update lines under the cell running\n{kernel.streams}",
    )
    assert "Update shapes.area" in kernel.stream_text(saving_cell)
    assert "Update" not in kernel.stream_text(load_cell)

    save(notebook / "shapes.py", SHAPES_V2.replace("def area(w, h):", "def area(w, h:"))
    wait_until(
        lambda: "Error " in kernel.stream_text(saving_cell), what=f"the error under the last cell\n{kernel.streams}"
    )
    # The broken save changed nothing, and the kernel runs on.
    assert kernel.value("shapes.area(1, 1)") == "10"

    terminal = kernel.terminal.read_text(errors="replace")
    assert "Update shapes" not in terminal and "Error " not in terminal, terminal


def test_magic_options_watch_elsewhere_and_off(kernel, tmp_path):
    """%jurigged -w src watches src only (a module of the working directory is
    no longer updated); %jurigged off stops watching; a bad option is a
    message, not a dead kernel."""
    notebook = tmp_path / "nb"
    save(notebook / "here.py", "def f():\n    return 'here 1'\n")
    save(notebook / "src" / "there.py", "def f():\n    return 'there 1'\n")
    kernel.run("%load_ext jurigged")
    text, _, _ = kernel.run("%jurigged -w src -v")
    assert f"jurigged: watching {notebook / 'src'}" in text, text
    kernel.value("import sys; sys.path.insert(0, 'src'); import here, there")

    save(notebook / "src" / "there.py", "def f():\n    return 'there 2'\n")
    save(notebook / "here.py", "def f():\n    return 'here 2'\n")
    wait_until(lambda: kernel.value("there.f()") == "'there 2'", what="the save in src applied")
    # here.py is outside src: its save is not applied (and there.py's, made
    # after it, has been: the watcher has seen both).
    assert kernel.value("here.f()") == "'here 1'"

    text, _, _ = kernel.run("%jurigged off")
    assert "jurigged: stopped" in text, text
    text, _, _ = kernel.run("%jurigged")
    assert "not watching" in text, text
    save(notebook / "src" / "there.py", "def f():\n    return 'there 3'\n")
    # Nothing watches: a later save made with the watcher on again (of
    # another module, which then applies) shows that this one was not applied
    # while off, since the watcher starts from the files as they are.
    kernel.run("%jurigged -w src")
    save(notebook / "src" / "marker.py", "def f():\n    return 1\n")
    kernel.value("import marker")
    save(notebook / "src" / "marker.py", "def f():\n    return 2\n")
    wait_until(lambda: kernel.value("marker.f()") == "2", what="the watcher on again")
    assert kernel.value("there.f()") == "'there 2'"

    text, _, error = kernel.run("%jurigged --no-such-option")
    assert error is None and "unrecognized arguments" in text, text
    assert kernel.value("1 + 1") == "2"
