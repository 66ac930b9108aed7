"""End to end: every process of a program under jurigged gets the saves. A
forked child re-arms the sessions it inherits; multiprocessing's spawn and
forkserver children (and so ProcessPoolExecutor) join them at startup through
the .pth hook; a plain subprocess Python joins only with --children; and a
child's lines reach the same stderr, tagged with its pid.

Each test runs real processes on real files in a temporary directory; every
program ends by itself within a bounded time (children included)."""

import os
import re
import subprocess
import sys
import textwrap

import pytest

from support.cli import FAST, child_env, venv_matches_binary
from support.waiting import wait_until

#: The module the programs run, before and after the save.
OLD = "def task(x):\n    return 1\n"
NEW = "def task(x):\n    return 2\n"

#: How long a program waits for the new code before it gives up (the test
#: fails first: its own waits are shorter).
PROGRAM_PATIENCE = 60


def skip_unless_children_have_jurigged(entry_kind):
    """A Python that a program under the binary starts (sys.executable) has
    jurigged installed only when the binary uses this virtual environment
    (the binary embeds another Python than this venv's otherwise)."""
    if entry_kind == "binary" and not venv_matches_binary():
        pytest.skip("the binary embeds another Python than this venv's: its child Pythons lack jurigged")


def program(body):
    return textwrap.dedent(body).replace("PATIENCE", str(PROGRAM_PATIENCE))


def test_a_forked_child_applies_a_later_save_itself(run, workspace):
    """The child loops on work.task: after the save it sees the new code (its
    own session applied it, its Update line tagged with its pid); the parent
    does too, on its own."""
    workspace.write("work.py", OLD)
    workspace.write(
        "app.py",
        program(
            """\
            import os
            import sys
            import time
            import warnings

            import work

            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)

            def wait_for_new(who):
                deadline = time.monotonic() + PATIENCE
                while work.task(0) != 2:
                    if time.monotonic() > deadline:
                        sys.stdout.write(f"{who} kept the old code\\n")  # one write: two processes print
                        return False
                    time.sleep(0.01)
                sys.stdout.write(f"{who} sees the new code\\n")
                return True

            pid = os.fork()
            if pid == 0:
                print("child", os.getpid(), "started", flush=True)
                # A normal exit: it lets the session finish logging the save.
                sys.exit(0 if wait_for_new("child") else 1)
            wait_for_new("parent")
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
            """
        ),
    )
    process = run(*FAST, "-v", "app.py")
    started = process.wait_for("started", stream="stdout")
    child_pid = started.split()[1]
    workspace.save("work.py", NEW)
    # The program ends once both saw the new code (the parent waits for the child).
    assert process.wait_exit() == 0, process.describe()
    assert "child sees the new code" in process.stdout, process.describe()
    assert "parent sees the new code" in process.stdout, process.describe()
    assert f"Update work.task @L1 [pid {child_pid}]" in process.stderr, process.describe()
    # The parent's own line has no tag.
    assert re.search(r"^Update work\.task @L1$", process.stderr, re.M), process.describe()


@pytest.mark.parametrize("watching", [[], ["--poll", "0.05"]], ids=["notified", "polled"])
def test_a_save_the_parent_had_not_applied_when_it_forked_is_applied_by_the_child(run, workspace, watching):
    """The save lands, then the program forks while the parent's session still
    waits out its debounce: the child compares each file with what the parent
    last read of it, not with what it holds at the fork, and applies the save."""
    workspace.write("work.py", OLD)
    workspace.write(
        "app.py",
        program(
            """\
            import os
            import sys
            import time
            import warnings

            import work

            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)

            def wait_for_new():
                deadline = time.monotonic() + PATIENCE
                while work.task(0) != 2 and time.monotonic() < deadline:
                    time.sleep(0.01)
                return work.task(0)

            print("ready", flush=True)
            while not os.path.exists("fork-now"):
                time.sleep(0.005)
            pid = os.fork()
            if pid == 0:
                sys.stdout.write(f"child has {wait_for_new()}\\n")  # one write: two processes print
                sys.exit(0)
            sys.stdout.write(f"parent has {wait_for_new()}\\n")
            os.waitpid(pid, 0)
            """
        ),
    )
    # A debounce long enough that the parent has not applied the save when it forks.
    process = run("-d", "2", *watching, "app.py")
    process.wait_for("ready", stream="stdout")
    workspace.save("work.py", NEW)
    workspace.write("fork-now", "")
    assert process.wait_exit() == 0, process.describe()
    assert "child has 2" in process.stdout, process.describe()
    assert "parent has 2" in process.stdout, process.describe()


#: A save whose module-level statement blocks until the program has forked.
BLOCKING = (
    "import os\nimport time\n\n\ndef task(x):\n    return RESULT\n\n\n"
    "open('go', 'w').close()\n"
    "while not os.path.exists('forked'):\n    time.sleep(0.01)\n"
)


def test_a_child_forked_during_a_save_can_use_and_save_the_file(run, workspace):
    """A thread forks while a save's statement runs: the child's CodeFile of that
    file is not left in use (its text reads, a later save applies in the child)."""
    workspace.write("work.py", OLD)
    workspace.write(
        "app.py",
        program(
            """\
            import os
            import sys
            import time
            import warnings

            import jurigged
            import work

            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)

            def wait(condition, what):
                deadline = time.monotonic() + PATIENCE
                while not condition():
                    if time.monotonic() > deadline:
                        sys.stdout.write(f"[{os.getpid()}] gave up waiting for {what}\\n")
                        return False
                    time.sleep(0.01)
                return True

            print("ready", flush=True)
            # The save's statement is running (and blocks) on the session's thread.
            if not wait(lambda: os.path.exists("go"), "the save"):
                sys.exit(3)
            pid = os.fork()
            if pid == 0:
                try:
                    codefile = jurigged.registry.get(work.__file__)
                    print("child reads", len(codefile.text) > 0, flush=True)
                except Exception as error:
                    print("child cannot read:", repr(error), flush=True)
                    sys.exit(1)
                ok = wait(lambda: work.task(0) == 2, "the second save")
                ok = ok and "return 2" in codefile.text
                sys.stdout.write(f"child sees the second save: {ok}\\n")
                sys.exit(0 if ok else 1)
            open("forked", "w").close()
            ok = wait(lambda: work.task(0) == 2, "the second save")
            sys.stdout.write(f"parent sees the second save: {ok}\\n")
            _, status = os.waitpid(pid, 0)
            sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
            """
        ),
    )
    process = run(*FAST, "app.py")
    process.wait_for("ready", stream="stdout")
    workspace.save("work.py", BLOCKING.replace("RESULT", "1"))
    read = process.wait_for(lambda line: line.startswith("child"), stream="stdout")
    assert read == "child reads True", process.describe()
    workspace.save("work.py", BLOCKING.replace("RESULT", "2"))
    assert process.wait_exit() == 0, process.describe()
    assert "child sees the second save: True" in process.stdout, process.describe()
    assert "parent sees the second save: True" in process.stdout, process.describe()
    assert "borrowed" not in process.stderr, process.describe()


POOL = """\
    import multiprocessing
    import sys
    import time

    import work

    def results(pool):
        return sorted(set(pool.map(work.task, range(8), chunksize=1)))

    if __name__ == "__main__":
        with START as pool:
            print("first", results(pool), flush=True)
            deadline = time.monotonic() + PATIENCE
            while (found := results(pool)) != [2]:
                if time.monotonic() > deadline:
                    print("kept", found, flush=True)
                    sys.exit(1)
                time.sleep(0.02)
            print("all new", found, flush=True)
    """

STARTS = {
    "pool-fork": "multiprocessing.get_context('fork').Pool(2)",
    "pool-spawn": "multiprocessing.get_context('spawn').Pool(2)",
    "pool-forkserver": "multiprocessing.get_context('forkserver').Pool(2)",
    "executor-spawn": (
        "__import__('concurrent.futures').futures.ProcessPoolExecutor(2, "
        "mp_context=multiprocessing.get_context('spawn'))"
    ),
    "executor-default": "__import__('concurrent.futures').futures.ProcessPoolExecutor(2)",
}


@pytest.mark.parametrize("start", list(STARTS))
def test_pool_workers_return_new_results_after_a_save(run, workspace, entry_kind, start):
    """A Pool under each start method, and a ProcessPoolExecutor, return the
    new results after a save, with no change to the program."""
    if "fork" not in start.split("-"):
        skip_unless_children_have_jurigged(entry_kind)
    workspace.write("work.py", OLD)
    workspace.write("app.py", program(POOL).replace("START", STARTS[start]))
    process = run(*FAST, "app.py")
    process.wait_for("first [1]", stream="stdout")
    workspace.save("work.py", NEW)
    process.wait_for("all new [2]", stream="stdout")
    assert process.wait_exit() == 0, process.describe()
    assert "Error" not in process.stderr, process.describe()


SUBPROCESS = """\
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "child.py"], timeout=PATIENCE + 10)
    sys.exit(child.returncode)
    """

CHILD = """\
    import sys
    import time

    import work

    print("child joined:", "jurigged" in sys.modules, flush=True)
    if sys.argv[1:] == ["--stop"]:
        sys.exit(0)
    deadline = time.monotonic() + PATIENCE
    while work.task(0) != 2:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.01)
    print("child sees the new code", flush=True)
    """


def test_a_plain_subprocess_python_does_not_join_by_default(run, workspace):
    workspace.write("work.py", OLD)
    workspace.write("app.py", program(SUBPROCESS).replace('"child.py"]', '"child.py", "--stop"]'))
    workspace.write("child.py", program(CHILD))
    process = run(*FAST, "app.py")
    process.wait_for("child joined: False", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


def test_a_plain_subprocess_python_joins_with_children(run, workspace, entry_kind):
    """Behind --children, any Python the program starts joins the session and
    applies later saves itself."""
    skip_unless_children_have_jurigged(entry_kind)
    workspace.write("work.py", OLD)
    workspace.write("app.py", program(SUBPROCESS))
    workspace.write("child.py", program(CHILD))
    process = run(*FAST, "--children", "app.py")
    process.wait_for("child joined: True", stream="stdout")
    workspace.save("work.py", NEW)
    process.wait_for("child sees the new code", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


def test_a_python_outside_any_session_never_loads_jurigged(workspace):
    """The .pth hook costs an environment lookup: without the variable nothing
    is imported, and with it a Python that is neither a multiprocessing child
    nor asked to join (children=False) stays out too."""
    check = [sys.executable, "-c", "import sys; print('jurigged' in sys.modules)"]
    session = '[{"patterns": ["%s"], "excludes": [], "debounce": 0.05, "poll": null, "children": false, "logger": "errors"}]'
    for extra in ({"JURIGGED_SESSION": None}, {"JURIGGED_SESSION": session % workspace.root}):
        result = subprocess.run(check, env=child_env(extra), capture_output=True, text=True, timeout=30)
        assert result.stdout.strip() == "False", result


def test_the_session_variable_is_removed_when_the_last_session_stops(workspace):
    """A program that stopped watching starts its children without the session."""
    script = textwrap.dedent(
        """\
        import os
        import jurigged
        watcher = jurigged.watch(os.getcwd())
        print("JURIGGED_SESSION" in os.environ)
        watcher.stop()
        print("JURIGGED_SESSION" in os.environ)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workspace.root,
        env=child_env({"JURIGGED_SESSION": None}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.split() == ["True", "False"], result


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["python", "-B", "-c", "from multiprocessing.spawn import spawn_main; spawn_main(pipe_handle=7)",
          "--multiprocessing-fork"], True),
        (["python", "-c", "from multiprocessing.forkserver import main; main(3, 4, ['__main__'])"], True),
        (["python", "-c", "import sys; from multiprocessing.forkserver import main; main(13, 14, ['__main__'])"], True),
        (["python", "-c", "from multiprocessing.resource_tracker import main;main(5)"], False),
        (["python", "-c", "print('from multiprocessing.spawn import spawn_main')"], False),
        (["python", "server.py", "--workers", "4"], False),
    ],
)
def test_multiprocessing_children_are_told_from_other_pythons(argv, expected):
    from _jurigged_child import started_by_multiprocessing

    assert started_by_multiprocessing(argv) is expected


def test_a_session_started_in_a_spawned_child_is_not_started_twice(workspace):
    """Some virtual environments process site-packages' .pth files twice: the
    child still runs one session (two would apply each save twice)."""
    session = '[{"patterns": ["%s"], "excludes": [], "debounce": 0.05, "poll": null, "children": true, "logger": "errors"}]'
    script = "import json, os; print(len(json.loads(os.environ['JURIGGED_SESSION'])))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workspace.root,
        env=child_env({"JURIGGED_SESSION": session % workspace.root}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.strip() == "1", result


def test_pid_tags_are_only_in_children(run, workspace):
    """An error in a forked child's session is printed once, tagged with its pid."""
    workspace.write("work.py", OLD)
    workspace.write(
        "app.py",
        program(
            """\
            import os
            import time
            import warnings

            import work

            warnings.simplefilter("ignore", DeprecationWarning)
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                print("child", os.getpid(), "started", flush=True)
                deadline = time.monotonic() + PATIENCE
                while os.getppid() == parent and time.monotonic() < deadline:
                    time.sleep(0.05)
                os._exit(0)
            print("parent", os.getpid(), "started", flush=True)
            time.sleep(PATIENCE)
            """
        ),
    )
    process = run(*FAST, "app.py")
    wait_until(lambda: process.stdout.count("started") == 2, what="both processes started")
    child_pid = re.search(r"child (\d+) started", process.stdout).group(1)
    workspace.save("work.py", "def task(x:\n")
    errors = lambda: [line for line in process.stderr.splitlines() if line.startswith("Error ")]  # noqa: E731
    wait_until(lambda: len(errors()) == 2, what="an error line from each process")
    tagged = [line for line in errors() if line.endswith(f"[pid {child_pid}]")]
    assert len(tagged) == 1 and "[pid" not in next(line for line in errors() if line not in tagged), errors()
    process.kill()  # the child ends as its parent does


def inotify_descriptors(pid):
    """The descriptors of process `pid` that are inotify instances (none once it
    is gone)."""
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    found = set()
    for descriptor in descriptors:
        try:
            if os.readlink(f"/proc/{pid}/fd/{descriptor}") == "anon_inode:inotify":
                found.add(int(descriptor))
        except OSError:
            pass
    return found


def inotify_instances(parent, children):
    """The inotify instances a forked program made: the parent's, and those its
    children made themselves. A child keeps the descriptors it inherited, under
    the parent's numbers: those are the parent's instances, not new ones."""
    inherited = inotify_descriptors(parent)
    return len(inherited) + sum(len(inotify_descriptors(child) - inherited) for child in children)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts inotify instances through /proc (Linux)")
def test_a_pool_of_two_hundred_forked_children_takes_a_save_with_few_inotify_instances(run, workspace):
    """Each forked child re-arms its sessions; if each took an inotify instance,
    200 of them would use up the user's (128 by default) for every program of
    the user. The first few watch with notifications, the others poll, and
    every one of them takes the save."""
    workspace.write("work.py", OLD)
    workspace.write(
        "app.py",
        program(
            """\
            import os
            import sys
            import time
            import warnings

            import work

            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (3.12+)

            children = []
            for _ in range(200):
                pid = os.fork()
                if pid == 0:
                    # Its fork hook has run: it watches the file now.
                    sys.stdout.write("ready\\n")
                    sys.stdout.flush()
                    deadline = time.monotonic() + PATIENCE
                    while work.task(0) != 2 and time.monotonic() < deadline:
                        time.sleep(0.1)
                    os._exit(0 if work.task(0) == 2 else 1)
                children.append(pid)
            with open("children.txt", "w") as f:  # not stdout: the children write there too
                f.write(" ".join(map(str, children)))
            print("forked", flush=True)
            took = sum(os.waitpid(pid, 0)[1] == 0 for pid in children)
            print(took, "children took the save", flush=True)
            """
        ),
    )
    process = run(*FAST, "app.py")
    process.wait_for("forked", stream="stdout", timeout=PROGRAM_PATIENCE)
    wait_until(lambda: process.stdout.count("ready") == 200, timeout=PROGRAM_PATIENCE, what="every child ready")
    children = [int(pid) for pid in workspace.path("children.txt").read_text().split()]
    assert len(children) == 200
    # A child's watcher is made by its fork hook, before it runs any of the
    # program's code: by now each one has what it will use.
    used = inotify_instances(process.popen.pid, children)
    workspace.save("work.py", NEW)
    assert process.wait_exit(timeout=PROGRAM_PATIENCE) == 0, process.describe()
    assert "200 children took the save" in process.stdout, process.describe()
    assert "does not apply saves" not in process.stderr, process.describe()
    # The parent's watcher and at most four children's.
    assert 1 <= used <= 5, used

# -- Dask ------------------------------------------------------------------------------

DASK_DRIVER = """\
    import os
    import sys
    import time

    from distributed import Client, LocalCluster

    import jurigged
    import jurigged.dask
    import work

    OLD = "def task(x):\\n    return 1\\n"
    NEW = "def task(x):\\n    return 2\\n"

    def values():
        return sorted(set(client.run(work.task, 0).values()))

    if __name__ == "__main__":
        workers = int(sys.argv[1])
        cluster = LocalCluster(processes=True, n_workers=workers, threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
        print("first", values(), flush=True)
        watcher = jurigged.watch(os.getcwd(), debounce=0.01)
        jurigged.dask.attach(client)
        saved = time.monotonic()
        with open("work.py", "w") as f:
            f.write(NEW)
        while values() != [2]:
            if time.monotonic() - saved > PATIENCE:
                sys.exit("the workers kept the old code")
            time.sleep(0.005)
        print(f"every worker updated {time.monotonic() - saved:.3f} s after the save", flush=True)
        # A worker that joins now, on a machine whose copy of work.py is old:
        # the driver stops watching and puts the old text back on disk.
        watcher.stop()
        with open("work.py", "w") as f:
            f.write(OLD)
        cluster.scale(workers + 1)
        client.wait_for_workers(workers + 1, timeout=PATIENCE)
        print("with a late worker", values(), len(client.run(work.task, 0)), flush=True)
        applied = client.run(jurigged.dask.applied)
        print("applied", sorted(len(changes) for changes in applied.values()), flush=True)
        client.close()
        cluster.close()
    """


def test_a_save_in_a_dask_driver_reaches_every_worker_and_late_ones(workspace):
    """LocalCluster with two worker processes: client.run(work.task, 0) returns
    the new value from every worker within a second of the save; a worker added
    after the save (whose own file is the old one) has it too: the text
    travelled through Dask."""
    # cargo xtask pytest installs distributed into the host's venvs; the sid
    # root (3.14, 3.15) has only pytest.
    pytest.importorskip("distributed", reason="distributed is not installed in this venv")
    workspace.write("work.py", OLD)
    workspace.write("driver.py", program(DASK_DRIVER))
    process = subprocess.run(
        [sys.executable, "driver.py", "2"],
        cwd=workspace.root,
        env=child_env({"JURIGGED_SESSION": None}),
        capture_output=True,
        text=True,
        timeout=PROGRAM_PATIENCE * 3,
    )
    lines = process.stdout.splitlines()
    assert process.returncode == 0 and "first [1]" in lines, process
    latency = next(float(line.split()[3]) for line in lines if line.startswith("every worker updated"))
    assert latency < 1.0, process.stdout
    assert "with a late worker [2] 3" in lines, process
    # Each worker applied the save once: the two by the driver's message, the
    # late one by the plugin (its file on disk is the old one).
    assert "applied [1, 1, 1]" in lines, process


#: A Dask worker started from a script of its own, in a directory of its own:
#: its `__main__` is this script, and its `shared` is another file than the
#: driver's (a package there, a module in the driver's).
WORKER_SCRIPT = """\
    import asyncio
    import sys

    from distributed import Worker

    import shared
    import work

    def own():
        return "the worker's own"

    async def main(address):
        async with Worker(address, nthreads=1) as worker:
            await worker.finished()

    if __name__ == "__main__":
        asyncio.run(main(sys.argv[1]))
    """

#: The driver: its own script, shared.py and work.py are saved, in that order.
DASK_SCRIPT_DRIVER = """\
    import os
    import subprocess
    import sys
    import time

    from distributed import Client, LocalCluster

    import jurigged
    import jurigged.dask
    import shared
    import work

    def probe():
        import __main__
        import shared
        import work

        own = getattr(__main__, "own", None)
        return (own() if own else None, getattr(__main__, "DRIVER_RAN", None), shared.VALUE, work.task(0))

    def probes():
        return sorted(set(client.run(probe).values()))

    def wait(what, condition):
        deadline = time.monotonic() + PATIENCE
        while not condition():
            if time.monotonic() > deadline:
                sys.exit(f"never: {what}")
            time.sleep(0.01)

    if __name__ == "__main__":
        cluster = LocalCluster(n_workers=0, dashboard_address=None)
        client = Client(cluster)
        worker = subprocess.Popen([sys.executable, "worker_script.py", cluster.scheduler_address], cwd="worker")
        try:
            client.wait_for_workers(1, timeout=PATIENCE)
            print("first", probes(), flush=True)
            watcher = jurigged.watch(os.getcwd(), debounce=0.01)
            jurigged.dask.attach(client)
            with open(__file__) as f:
                script = f.read()
            # Before the running `if` block: a statement after it has not
            # run yet, and a save does not run it.
            with open(__file__, "w") as f:
                f.write(script.replace("if __name__", "DRIVER_RAN = True\\n\\nif __name__", 1))
            wait("the driver applied its own script", lambda: globals().get("DRIVER_RAN"))
            with open("shared.py", "w") as f:
                f.write("VALUE = 'the driver saved shared'\\n")
            wait("the driver applied shared.py", lambda: shared.VALUE == "the driver saved shared")
            with open("work.py", "w") as f:
                f.write("def task(x):\\n    return 2\\n")
            wait("the worker took work.py", lambda: probes()[0][3] == 2)
            print("after", probes(), flush=True)
            watcher.stop()
        finally:
            client.close()
            worker.terminate()
            worker.wait(PATIENCE)
            cluster.close()
    """


def test_a_dask_worker_started_from_its_own_script_keeps_its_main_and_other_files(workspace):
    """A worker whose `__main__` is its own script: the driver's script save is
    not applied there (the worker's functions stay, the driver's statements do
    not run); a save of shared.py skips the worker's `shared` (another file: a
    package), saying so in the driver; work.py, the same file under another
    root (the worker's own copy), takes the save."""
    pytest.importorskip("distributed", reason="distributed is not installed in this venv")
    workspace.write("work.py", OLD)
    workspace.write("shared.py", "VALUE = \"the driver's shared\"\n")
    workspace.write("driver.py", program(DASK_SCRIPT_DRIVER))
    workspace.write("worker/work.py", OLD)
    workspace.write("worker/shared/__init__.py", "VALUE = \"the worker's shared\"\n")
    workspace.write("worker/worker_script.py", textwrap.dedent(WORKER_SCRIPT))
    process = subprocess.run(
        [sys.executable, "driver.py"],
        cwd=workspace.root,
        env=child_env({"JURIGGED_SESSION": None}),
        capture_output=True,
        text=True,
        timeout=PROGRAM_PATIENCE * 3,
    )
    lines = process.stdout.splitlines()
    assert process.returncode == 0, process
    assert "first [(\"the worker's own\", None, \"the worker's shared\", 1)]" in lines, process
    assert "after [(\"the worker's own\", None, \"the worker's shared\", 2)]" in lines, process
    skipped = [line for line in process.stderr.splitlines() if line.startswith("Skipped ")]
    assert any(
        line.startswith("Skipped driver.py: the driver's script is not applied to this worker's __main__ (worker_script.py)")
        for line in skipped
    ), process.stderr
    assert any(
        line.startswith("Skipped shared: this worker's shared is shared/__init__.py, the driver's is shared.py [worker ")
        for line in skipped
    ), process.stderr
    # Said once, not at every save.
    assert len(skipped) == 2, process.stderr


def test_importing_jurigged_dask_does_not_import_distributed():
    """The standalone binary runs every module of the package at startup: a
    program that does not use Dask must not pay for importing it."""
    script = "import sys, jurigged.dask; print('distributed' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], env=child_env(), capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result


def test_a_subprocess_with_preexec_fn_still_starts_quickly(run, workspace):
    """subprocess runs the after-fork hooks in its child when preexec_fn is
    set: the child re-arms its sessions there, and must still exec at once."""
    workspace.write("work.py", OLD)
    workspace.write(
        "app.py",
        textwrap.dedent(
            """\
            import subprocess
            import sys
            import time
            import warnings

            import work

            warnings.simplefilter("ignore", DeprecationWarning)
            started = time.monotonic()
            for _ in range(20):
                subprocess.run([sys.executable, "-c", "pass"], preexec_fn=lambda: None, check=True, timeout=30)
            print(f"20 children ran in {time.monotonic() - started:.2f} s", flush=True)
            """
        ),
    )
    process = run(*FAST, "app.py")
    process.wait_for("20 children ran", stream="stdout", timeout=60)
    assert process.wait_exit() == 0, process.describe()
    assert "Error" not in process.stderr, process.describe()
