"""Unchanged statements that read changed functions (issue 21, item 8): a save
that changes `_seg_0` runs `table = tuple(_seg_0() + _seg_1())` again, as a
fresh import of the new text would build the new table; and, in file order,
the plain assignments that read what such a statement binds. Nothing else runs
again: not a statement with a side effect of its own (a call whose result is
not bound, an augmented assignment, an assignment to an attribute), not a
statement that is running, nor one after it (it has not run yet).

Each test runs a real program under `jurigged` (both entries), saves real files
and reads what the program, the logger and the event stream say."""

import textwrap

import pytest

from support.cli import FAST, records, wait_for_record
from support.waiting import wait_until


TABLE = textwrap.dedent(
    """\
    import time


    def _seg_0():
        return [1, 2]


    def _seg_1():
        return [3]


    def scale(values):
        return [v * 10 for v in values]


    table = tuple(_seg_0() + _seg_1())
    scaled = scale(table)
    print("built", flush=True)

    while True:
        print("table", table, scaled, flush=True)
        time.sleep(0.05)
    """
)


def test_a_table_built_by_calls_of_changed_functions_is_built_again(run, workspace):
    workspace.write("app.py", TABLE)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "-v", "--events", str(stream), "app.py")
    process.wait_for("table (1, 2, 3) [10, 20, 30]", stream="stdout")

    workspace.save("app.py", TABLE.replace("return [1, 2]", "return [1, 2, 5]"))
    # The table, and in turn what is computed from it (scale itself unchanged).
    process.wait_for("table (1, 2, 5, 3) [10, 20, 50, 30]", stream="stdout")
    rerun = wait_for_record(stream, kind="rerun", line=16)
    assert rerun["message"] == "Rerun __main__.table @L16: calls _seg_0, changed by this save"
    assert rerun["code"] == "table = tuple(_seg_0() + _seg_1())"
    assert rerun.get("rude") is None
    chained = wait_for_record(stream, kind="rerun", line=17)
    assert chained["message"] == "Rerun __main__.scaled @L17: reads table, changed by this save"
    process.wait_for(lambda line: line == "Rerun __main__.table @L16: calls _seg_0, changed by this save", "stderr")
    save = wait_for_record(stream, kind="save", save=rerun["save"])
    assert (save["outcome"], save["updates"], save["reruns"]) == ("applied", 1, 2)
    # `print("built")` is not an assignment: it is not run again, nor is the loop.
    assert process.stdout.count("built") == 1
    assert [r["kind"] for r in records(stream) if r.get("save") == rerun["save"]] == [
        "update",
        "rerun",
        "rerun",
        "save",
    ]


def test_no_rerun_dependents_keeps_the_table(run, workspace):
    workspace.write("app.py", TABLE)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--no-rerun-dependents", "--events", str(stream), "app.py")
    process.wait_for("table (1, 2, 3) [10, 20, 30]", stream="stdout")

    workspace.save("app.py", TABLE.replace("return [1, 2]", "return [1, 2, 5]"))
    wait_for_record(stream, kind="save", outcome="applied")
    # The function changed; the table did not: the loop goes on printing the old.
    printed = process.stdout.count("table ")
    wait_until(lambda: process.stdout.count("table ") >= printed + 3, what="three more loops")
    assert not [r for r in records(stream) if r["kind"] == "rerun"]
    assert "(1, 2, 5, 3)" not in process.stdout


EFFECTS = textwrap.dedent(
    """\
    import time

    calls = []


    def f():
        calls.append(1)
        return 1


    class Box:
        pass


    box = Box()
    counter = 0
    counter += f()
    print("effect", f(), flush=True)
    f()
    box.value = f()
    value = f()

    while True:
        print("state", counter, len(calls), value, flush=True)
        time.sleep(0.05)
    """
)


def test_statements_with_side_effects_are_not_run_again(run, workspace):
    workspace.write("app.py", EFFECTS)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("state 1 5 1", stream="stdout")

    workspace.save("app.py", EFFECTS.replace("return 1", "return 2"))
    # Only `value = f()` runs again: f is called once more, by it.
    process.wait_for("state 1 6 2", stream="stdout")
    save = wait_for_record(stream, kind="save", outcome="applied")
    assert (save["updates"], save["reruns"], save["runs"]) == (1, 1, 0)
    assert [r["line"] for r in records(stream) if r["kind"] == "rerun"] == [21]
    assert process.stdout.count("effect") == 1
    # And nothing else ran meanwhile.
    process.wait_for("state 1 6 2", stream="stdout")
    assert "state 1 7" not in process.stdout


RUNNING = textwrap.dedent(
    """\
    import time


    def helper():
        return 1


    def late_value():
        print("late ran", flush=True)
        return 1


    def main():
        while True:
            print("tick", helper(), flush=True)
            time.sleep(0.05)


    result = main()
    late = late_value()
    """
)


def test_a_running_statement_and_what_follows_it_are_not_run_again(run, workspace):
    workspace.write("app.py", RUNNING)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("tick 1", stream="stdout")

    # `result = main()` reads main, which changes, but it is running: run again,
    # a second loop would start inside the save and no later save would apply.
    # `late = late_value()` has not run yet: it must not run now.
    changed = RUNNING.replace("time.sleep(0.05)", "time.sleep(0.04)").replace("return 1\n\n\ndef main", "return 2\n\n\ndef main")
    workspace.save("app.py", changed)
    wait_for_record(stream, kind="save", outcome="applied")
    workspace.save("app.py", changed.replace("def helper():\n    return 1", "def helper():\n    return 2"))
    process.wait_for("tick 2", stream="stdout")
    wait_until(lambda: len([r for r in records(stream) if r["kind"] == "save"]) == 2, what="two saves")
    assert not [r for r in records(stream) if r["kind"] == "rerun"]
    assert "late ran" not in process.stdout


def test_a_changed_table_statement_calls_the_new_code_of_the_functions_it_reads(run, workspace):
    # idna 3.8 -> 3.9 as a save: the segments change and the table statement
    # reads one more. Run while the save was prepared, the statement would call
    # the old `_seg_0` (its new code is given to it only when the save commits).
    workspace.write("app.py", TABLE)
    stream = workspace.path("events.jsonl")
    process = run(*FAST, "--events", str(stream), "app.py")
    process.wait_for("table (1, 2, 3) [10, 20, 30]", stream="stdout")

    changed = TABLE.replace("return [1, 2]", "return [1, 2, 5]").replace(
        "def scale", "def _seg_2():\n    return [4]\n\n\ndef scale"
    )
    workspace.save("app.py", changed.replace("_seg_0() + _seg_1()", "_seg_0() + _seg_1() + _seg_2()"))
    process.wait_for("table (1, 2, 5, 3, 4) [10, 20, 50, 30, 40]", stream="stdout")
    save = wait_for_record(stream, kind="save", outcome="applied")
    assert (save["updates"], save["adds"], save["runs"], save["reruns"]) == (1, 1, 1, 1)
    run_record = wait_for_record(stream, kind="run", save=save["save"])
    assert run_record["code"] == "table = tuple(_seg_0() + _seg_1() + _seg_2())"


TABLE_MODULE = """\
def _seg_0():
    return [1, 2]


table = tuple(_seg_0())
"""


@pytest.mark.parametrize("pattern", ["glob", "callable"])
def test_watch_rerun_dependents_false_keeps_the_table(client, workspace, pattern):
    """watch(rerun_dependents=False) keeps it off whichever way the files are
    chosen (a callable filter goes through the original's registry path)."""
    chosen = repr(str(workspace.path("tables.py"))) if pattern == "glob" else "lambda filename: filename.endswith('tables.py')"
    process = client(
        f"""\
        import time

        import jurigged
        import tables

        watcher = jurigged.watch({chosen}, debounce=0.01, rerun_dependents=False)
        # After the whole save: a rerun would have run by then.
        watcher.postrun.register(lambda path, cf: say("seg", tables._seg_0(), "table", tables.table))
        say("watching")
        time.sleep(60)
        """,
        tables=TABLE_MODULE,
    )
    process.wait_for("watching", stream="stdout")
    workspace.save("tables.py", TABLE_MODULE.replace("return [1, 2]", "return [1, 2, 5]"))
    process.wait_for("seg [1, 2, 5] table (1, 2)", stream="stdout")
