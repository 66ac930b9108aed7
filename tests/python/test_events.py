"""What a session tells (issue 15): the JSON-lines event stream (`--events`,
`watch(events=...)`, `event.to_dict()`), the note that an updated function is
still running, and the verbose logger's one-line summary of a large save.

Each test runs a real program under `jurigged`, saves real files and reads what
the program, the logger and the stream say."""

import json
import re
import sys
import textwrap

import pytest

from support.cli import records, wait_for_record

from support.cli import Process, Workspace, binary_python_version, child_env, function_module, loop_program, state_is
from support.waiting import wait_until

FAST = ["-d", "0.01"]

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

SCRIPT = textwrap.dedent(
    """\
    import time


    def f():
        return 1


    last = None
    while True:
        value = f()
        if value != last:
            print("value", value, flush=True)
            last = value
        time.sleep(0.005)
    """
)




def test_the_event_stream_records_an_update_with_its_file_line_and_qualname(run, workspace):
    workspace.write("app.py", SCRIPT)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("value 1", stream="stdout")
    watch = wait_for_record(stream, kind="watch")
    assert (watch["module"], watch["qualname"], watch["line"]) == ("__main__", None, None)

    workspace.save("app.py", SCRIPT.replace("return 1", "return 2"))
    process.wait_for("value 2", stream="stdout")
    update = wait_for_record(stream, kind="update", qualname="f")
    assert update["schema"] == 2
    assert update["file"] == str(workspace.path("app.py"))
    assert update["line"] == 4
    assert update["module"] == "__main__"
    assert update["pid"] == process.popen.pid
    assert ISO_UTC.match(update["time"]), update["time"]
    assert update["message"] == "Update __main__.f @L4"
    assert isinstance(update["running_in"], list)


def test_a_save_that_does_not_parse_is_an_error_record_with_its_line(run, workspace, entry_kind):
    workspace.write("app.py", SCRIPT)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("value 1", stream="stdout")

    broken = SCRIPT.replace("return 1", "return (1")
    workspace.save("app.py", broken)
    error = wait_for_record(stream, kind="error")
    assert error["file"] == str(workspace.path("app.py"))
    assert error["module"] == "__main__"
    assert error["error"]["type"] == "SyntaxError"
    assert error["error"]["file"] == str(workspace.path("app.py"))
    # Where the program's CPython points (3.10+: the bracket never closed).
    version = sys.version_info[:2] if entry_kind == "python" else binary_python_version()
    if version == sys.version_info[:2]:
        with pytest.raises(SyntaxError) as raised:
            compile(broken, "app.py", "exec")
        expected = (raised.value.lineno, raised.value.msg)
    else:
        expected = (5, "'(' was never closed")
    assert (error["error"]["line"], error["error"]["message"].split(" (")[0]) == expected, error
    assert error["message"].startswith("Error ")
    assert process.alive()


def test_an_update_of_a_running_main_loop_says_it_is_still_running(run, workspace):
    program = textwrap.dedent(
        """\
        import time


        def main_loop():
            print("looping", flush=True)
            while True:
                time.sleep(0.01)


        main_loop()
        """
    )
    workspace.write("app.py", program)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "-v", "--events", str(stream), "app.py")
    process.wait_for("looping", stream="stdout")

    workspace.save("app.py", program.replace("time.sleep(0.01)", "time.sleep(0.02)"))
    note = "Update __main__.main_loop @L4 (running in thread MainThread: the new code takes effect at its next call)"
    process.wait_for(lambda line: line == note, stream="stderr")
    update = wait_for_record(stream, kind="update", qualname="main_loop")
    assert update["running_in"] == ["MainThread"]
    assert update["message"] == note


def test_the_event_stream_is_appended_to_never_truncated(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    stream = workspace.path("events.jsonl")
    stream.write_text('{"earlier": "run"}\n')
    process = run(*FAST, "--events", str(stream), "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", function_module(2))
    wait_for_record(stream, kind="update", qualname="f", module="mod")
    assert records(stream)[0] == {"earlier": "run"}


def test_events_dash_writes_the_records_to_stderr(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    process = run(*FAST, "--events", "-", "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", function_module(2))

    def update_record(line):
        return line.startswith("{") and json.loads(line).get("kind") == "update"

    line = process.wait_for(update_record, stream="stderr")
    assert json.loads(line)["qualname"] == "f"


def test_an_event_stream_that_cannot_be_opened_is_a_usage_error(run, workspace):
    workspace.write("app.py", "print('ran')\n")
    process = run("--events", str(workspace.path("no-such-dir/events.jsonl")), "app.py")
    assert process.wait_exit() == 2
    assert any("--events" in line and "No such file" in line for line in process.lines["stderr"])
    assert "ran" not in process.lines["stdout"]


def test_verbose_sums_up_a_save_of_many_definitions_in_one_line(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "-v", "--events", str(stream), "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")

    many = "".join(f"def g{i}():\n    return {i}\n" for i in range(30))
    workspace.save("mod.py", function_module(2, many))
    summary = process.wait_for(re.compile(r"^Update 1, Add 30, Delete 0 in mod\.py \(\d+\.\d ms\)$"), stream="stderr")
    assert summary
    assert not any(line.startswith("Add mod.g") for line in process.lines["stderr"])
    wait_until(lambda: len([r for r in records(stream) if r["kind"] == "add"]) == 30, what="30 add records")


def test_a_small_save_is_still_logged_event_by_event(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    process = run(*FAST, "-v", "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", function_module(2, "def g():\n    return 0\n"))
    seen = set()

    def both_lines(line):
        seen.add(line)
        return {"Update mod.f @L1", "Add mod.g @L3"} <= seen

    process.wait_for(both_lines, stream="stderr")


def test_watch_events_and_to_dict_give_the_same_records(tmp_path):
    workspace = Workspace(tmp_path)
    workspace.write("mod.py", function_module(1))
    stream = workspace.path("events.jsonl")
    program = textwrap.dedent(
        f"""\
        import json, sys, time
        sys.path.insert(0, {str(workspace.root)!r})
        import jurigged

        seen = []
        jurigged.registry.activity.register(seen.append)
        watcher = jurigged.watch({str(workspace.root)!r}, events={str(stream)!r}, debounce=0.01)
        import mod
        print("ready", flush=True)
        deadline = time.monotonic() + 30
        # The update is announced just after the new code is live.
        while not any(e.kind == "update" for e in seen) and time.monotonic() < deadline:
            time.sleep(0.01)
        # (Not the module's own update, which only the original's vocabulary says.)
        updates = [e.to_dict() for e in seen if e.kind == "update" and not e.echo]
        print("dicts", json.dumps(updates), flush=True)
        watcher.stop()
        """
    )
    workspace.write("main.py", program)
    process = Process([sys.executable, "main.py"], cwd=workspace.root, env=child_env())
    try:
        process.wait_for("ready", stream="stdout")
        workspace.save("mod.py", function_module(2))
        line = process.wait_for(lambda line: line.startswith("dicts "), stream="stdout")
        from_api = json.loads(line[len("dicts "):])
        assert len(from_api) == 1 and from_api[0]["qualname"] == "f"
        wait_until(lambda: [r for r in records(stream) if r["kind"] == "update"] == from_api, what="the same record")
    finally:
        process.kill()
