"""A save is never held hostage (issue 21): a changed top-level statement that
is running now is not run again, a statement that raised is pending and later
saves apply the rest, a statement running long says so, each save ends with a
`save` record, and the script is watched wherever it is.

Each test runs a real program under `jurigged` (both entries), saves real
files and reads what the program, the logger and the event stream say."""

import socket
import textwrap
import urllib.request

from support.cli import records, wait_for_record
from support.waiting import wait_until

FAST = ["-d", "0.01"]




LOOP = textwrap.dedent(
    """\
    import time


    def f():
        return 1


    count = 0
    while True:
        count += 1
        print("loop", count, f(), flush=True)
        time.sleep(0.05)
    """
)


def loop_numbers(process):
    """The counts printed so far."""
    return [int(line.split()[1]) for line in process.stdout.splitlines() if line.startswith("loop ")]


def test_a_running_top_level_loop_is_not_run_again_and_later_saves_apply(run, workspace):
    workspace.write("app.py", LOOP)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("loop 1 1", stream="stdout")

    # The loop's text changes: it is running, so it is not started again.
    changed = LOOP.replace("time.sleep(0.05)", "time.sleep(0.04)")
    workspace.save("app.py", changed)
    note = (
        "Skip __main__ @L9-L12: this statement is running (thread MainThread); "
        "its change takes effect when the program restarts"
    )
    process.wait_for(lambda line: line == note, stream="stderr")
    skip = wait_for_record(stream, kind="skip")
    assert (skip["line"], skip["message"], skip["code"]) == (9, note, "while True: ...")
    assert skip["rude"] == "running_statement"

    # A later save of f applies, to the one loop still running.
    workspace.save("app.py", changed.replace("return 1", "return 2"))
    process.wait_for(lambda line: line.startswith("loop ") and line.endswith(" 2"), stream="stdout")
    wait_for_record(stream, kind="update", qualname="f")
    # A second loop would print its own count from 1 again, interleaved.
    numbers = loop_numbers(process)
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert process.alive()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = textwrap.dedent(
    """\
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port = int(sys.argv[1])


    def render():
        return "version 1"


    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = render().encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass


    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("serving", port, flush=True)
    srv.serve_forever()
    """
)


def fetch(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return response.read().decode()


def test_a_statement_that_raised_is_pending_and_later_saves_apply_the_rest(run, workspace):
    port = free_port()
    workspace.write("app.py", SERVER)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py", str(port))
    process.wait_for("serving", stream="stdout")
    assert fetch(port) == "version 1"

    # The server statement changes: run again, it cannot bind: nothing applies.
    bound = SERVER.replace("Handler)\n", "Handler, bind_and_activate=True)\n")
    workspace.save("app.py", bound.replace("version 1", "version 2"))
    error = wait_for_record(stream, kind="error")
    assert error["error"]["type"] == "OSError" and error["save"] is not None
    rejected = wait_for_record(stream, kind="save", save=error["save"])
    assert rejected["outcome"] == "rejected"
    assert [p["code"] for p in rejected["pending"]] == ["srv = ThreadingHTTPServer((\"127.0.0.1\", port), Handler, bind_and_activate=True)"]
    assert fetch(port) == "version 1"

    # render changes, the server statement is as in the rejected save: it is
    # not run again, the rest applies, and the output says so.
    workspace.save("app.py", bound.replace("version 1", "version 3"))
    line = process.wait_for(lambda l: l.startswith("Pending app.py L23 srv = "), stream="stderr")
    assert "not applied (OSError: Address already in use, at " in line and line.endswith("edit it to try again"), line
    wait_until(lambda: fetch(port) == "version 3", what="the new render served")
    pending = wait_for_record(stream, kind="pending")
    assert pending["rude"] == "pending_statement"
    applied = wait_for_record(stream, kind="save", save=pending["save"])
    assert (applied["outcome"], applied["updates"], applied["skips"]) == ("applied", 1, 1)
    assert len(applied["pending"]) == 1

    # Back to the statement that runs live: it is not run, nothing is pending.
    workspace.save("app.py", SERVER.replace("version 1", "version 4"))
    wait_until(lambda: fetch(port) == "version 4", what="the render of the restored file")
    restored = wait_for_record(stream, kind="save", outcome="applied", pending=[], updates=1)
    assert restored["skips"] == 0
    assert process.alive()


def test_the_registry_lists_pending_statements(run, workspace):
    program = textwrap.dedent(
        """\
        import time
        import jurigged

        limit = 1


        def f():
            return 1


        while True:
            print("pending", [(p["line"], p["code"], p["error"]) for p in jurigged.registry.pending()], f(), flush=True)
            time.sleep(0.05)
        """
    )
    workspace.write("app.py", program)
    process = run(*FAST, "app.py")
    process.wait_for("pending [] 1", stream="stdout")
    failing = program.replace("limit = 1", "limit = 1 / 0")
    workspace.save("app.py", failing)
    process.wait_for("ZeroDivisionError", stream="stderr")
    workspace.save("app.py", failing.replace("return 1", "return 2"))
    process.wait_for(
        "pending [(4, 'limit = 1 / 0', 'ZeroDivisionError: division by zero')] 2", stream="stdout"
    )
    # Edited again, it is retried: it runs, and nothing is pending.
    workspace.save("app.py", failing.replace("return 1", "return 3").replace("1 / 0", "2"))
    process.wait_for("pending [] 3", stream="stdout")


def test_a_statement_running_long_says_so_and_how_long_it_took(run, workspace):
    program = textwrap.dedent(
        """\
        import time


        def f():
            return 1


        while True:
            print("value", f(), flush=True)
            time.sleep(0.05)
        """
    )
    workspace.write("app.py", program)
    process = run(*FAST, "app.py")
    process.wait_for("value 1", stream="stdout")
    # A new statement that takes 3 s, and a change of f in the same save.
    slow = program.replace("def f():", "time.sleep(3)\n\n\ndef f():").replace("return 1", "return 2")
    workspace.save("app.py", slow)
    process.wait_for("Running app.py L4: time.sleep(3) for 2 s; later saves wait", stream="stderr")
    # The note comes while the statement runs: f is not updated yet.
    assert "value 2" not in process.stdout
    done = process.wait_for(lambda l: l.startswith("Done app.py L4: time.sleep(3): took "), stream="stderr")
    assert 2.9 <= float(done.split("took ")[1].split()[0]) < 30
    process.wait_for("value 2", stream="stdout")


def test_every_record_of_a_save_has_its_id_and_a_save_record_ends_it(run, workspace):
    program = textwrap.dedent(
        """\
        import time


        def f():
            return 1


        def g():
            return 1


        while True:
            print("value", f(), g(), flush=True)
            time.sleep(0.05)
        """
    )
    workspace.write("app.py", program)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("value 1 1", stream="stdout")
    workspace.save("app.py", program.replace("return 1", "return 2"))
    process.wait_for("value 2 2", stream="stdout")
    save = wait_for_record(stream, kind="save")
    updates = [r for r in records(stream) if r["kind"] == "update"]
    assert sorted(r["qualname"] for r in updates) == ["f", "g"]
    assert {r["save"] for r in updates} == {save["save"]}
    assert (save["outcome"], save["updates"], save["adds"], save["deletes"], save["runs"], save["skips"]) == (
        "applied",
        2,
        0,
        0,
        0,
        0,
    )
    assert save["file"] == str(workspace.path("app.py")) and save["module"] == "__main__"
    assert save["duration_ms"] >= 0 and save["pending"] == [] and save["schema"] == 2
    # A save that does not parse: its error record has its line, and its own save.
    workspace.save("app.py", program.replace("return 1", "return (2"))
    error = wait_for_record(stream, kind="error")
    assert error["line"] == error["error"]["line"] is not None
    assert error["save"] not in (None, save["save"])
    rejected = wait_for_record(stream, kind="save", save=error["save"])
    assert (rejected["outcome"], rejected["errors"], rejected["updates"]) == ("rejected", 1, 0)


# A script that imports a helper module and prints both their values in a loop.
SCRIPT_WITH_HELPER = textwrap.dedent(
    """\
    import time

    import helper


    def f():
        return 1


    while True:
        print("value", f(), helper.h(), flush=True)
        time.sleep(0.05)
    """
)


def test_the_script_is_watched_from_another_directory(run, workspace):
    program = SCRIPT_WITH_HELPER
    workspace.write("app.py", program)
    workspace.write("helper.py", "def h():\n    return 1\n")
    script = workspace.path("app.py")
    process = run(*FAST, "-v", str(script), cwd=workspace.elsewhere)
    process.wait_for("value 1 1", stream="stdout")
    process.wait_for(f"Watch {script}", stream="stderr")
    workspace.save("app.py", program.replace("return 1", "return 2"))
    process.wait_for("value 2 1", stream="stdout")
    # Its directory is the default watch root: the module it imports too.
    workspace.save("helper.py", "def h():\n    return 2\n")
    process.wait_for("value 2 2", stream="stdout")


def test_a_script_outside_the_watched_patterns_is_watched_and_its_imports_named(run, workspace):
    program = SCRIPT_WITH_HELPER
    workspace.write("app.py", program)
    workspace.write("helper.py", "def h():\n    return 1\n")
    watched = workspace.elsewhere / "other"
    watched.mkdir()
    script = workspace.path("app.py")
    process = run(*FAST, "-v", "-w", str(watched), str(script), cwd=workspace.elsewhere)
    process.wait_for("value 1 1", stream="stdout")
    note = process.wait_for("Not watched: ", stream="stderr")
    assert str(workspace.path("helper.py")) in note
    workspace.save("app.py", program.replace("return 1", "return 2"))
    process.wait_for("value 2 1", stream="stdout")


def test_a_deleted_function_still_called_by_live_code_is_named(run, workspace):
    program = textwrap.dedent(
        """\
        import time


        def shout():
            return "HEY"


        def greet():
            return shout() + "!"


        def f():
            return 1


        while True:
            print("value", f(), flush=True)
            time.sleep(0.05)
        """
    )
    workspace.write("app.py", program)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("value 1", stream="stdout")
    without = program.replace('def shout():\n    return "HEY"\n\n\n', "")
    workspace.save("app.py", without)
    process.wait_for(lambda l: l == "Delete __main__.shout @L4 (still called by greet)", stream="stderr")
    record = wait_for_record(stream, kind="delete", qualname="shout")
    assert record["rude"] == "deleted_still_called"
    # A deletion nothing calls is not named so.
    workspace.save("app.py", without.replace('def greet():\n    return shout() + "!"\n\n\n', "").replace("return 1", "return 2"))
    process.wait_for("value 2", stream="stdout")
    greet = wait_for_record(stream, kind="delete", qualname="greet")
    assert "rude" not in greet


RESTARTING = textwrap.dedent(
    """\
    import os
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    port = int(sys.argv[1])


    class Greeting:
        greeting = "hello"


    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = getattr(self, "greeting", "no greeting").encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass


    srv = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("serving", os.getpid(), flush=True)
    srv.serve_forever()
    """
)


def test_restart_on_rude_edit_runs_the_program_again_after_a_class_header_change(run, workspace):
    port = free_port()
    workspace.write("app.py", RESTARTING)
    process = run(*FAST, "--restart-on-rude-edit", "app.py", str(port))
    first = process.wait_for("serving", stream="stdout")
    assert fetch(port) == "no greeting"
    # The class's header changes, and the running server statement: it is not
    # run again (a rude edit), so the program restarts.
    rude = RESTARTING.replace("class Handler(BaseHTTPRequestHandler)", "class Handler(Greeting, BaseHTTPRequestHandler)")
    rude = rude.replace("srv.serve_forever()", "srv.serve_forever(poll_interval=0.1)")
    workspace.save("app.py", rude)
    process.wait_for(lambda l: l.startswith("Restart (running_statement: Skip __main__ @L26"), stream="stderr")
    second = process.wait_for("serving", stream="stdout")
    # The same process (exec), serving the new code on the same port.
    assert second == first
    wait_until(lambda: fetch(port) == "hello", what="the restarted server's new code")
    # Still watched after the restart: a later save applies.
    workspace.save("app.py", rude.replace('"hello"', '"bonjour"'))
    wait_until(lambda: fetch(port) == "bonjour", what="a save after the restart")


def test_a_class_whose_new_header_raised_is_pending_and_later_saves_apply(run, workspace):
    program = textwrap.dedent(
        """\
        import time


        class Config:
            value = 1


        def f():
            return 1


        while True:
            print("value", f(), Config.value, flush=True)
            time.sleep(0.05)
        """
    )
    workspace.write("app.py", program)
    process = run(*FAST, "app.py")
    process.wait_for("value 1 1", stream="stdout")
    broken = program.replace("class Config:", "class Config(Missing):")
    workspace.save("app.py", broken)
    process.wait_for("NameError", stream="stderr")
    workspace.save("app.py", broken.replace("return 1", "return 2"))
    line = process.wait_for(lambda l: l.startswith("Pending app.py L4 class Config(Missing):"), stream="stderr")
    assert "not applied (NameError: name 'Missing' is not defined, at " in line, line
    process.wait_for("value 2 1", stream="stdout")


AFTER_LOOP = textwrap.dedent(
    """\
    import time


    def f():
        return 1


    for i in range(10**9):
        print("loop", f(), flush=True)
        time.sleep(0.05)
    print("after the loop", flush=True)
    """
)


def test_a_changed_statement_after_a_running_one_has_not_run_yet_and_is_not_run(run, workspace):
    workspace.write("app.py", AFTER_LOOP)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("loop 1", stream="stdout")

    # The loop runs; the print after it has not run yet. Run by the save, it
    # would print before its time.
    changed = AFTER_LOOP.replace('"after the loop"', '"after the loop, changed"').replace("return 1", "return 2")
    workspace.save("app.py", changed)
    note = (
        "Skip __main__ @L11: after a running statement (L8-L10 in thread MainThread), it has not run yet; "
        "its change takes effect when the program restarts"
    )
    process.wait_for(lambda line: line == note, stream="stderr")
    skip = wait_for_record(stream, kind="skip")
    code = 'print("after the loop, changed", flush=True)'
    assert (skip["line"], skip["code"], skip["rude"]) == (11, code, "running_statement")
    # The rest of the save applies.
    process.wait_for("loop 2", stream="stdout")
    save = wait_for_record(stream, kind="save", save=skip["save"])
    assert (save["outcome"], save["updates"], save["runs"], save["skips"]) == ("applied", 1, 0, 1)
    assert "after the loop" not in process.stdout
