"""The adversarial probes of issue 12 that no other suite covers: save storms,
hostile file systems, signals and exits in the middle of a save, and resources
over many saves. Each probe starts a real program under `python -m jurigged`
and under the standalone binary, does the hostile thing, then checks that the
program is alive and that a later good save applies.

The other probes live with the feature they exercise (deep nesting and NUL
bytes in test_hardening.py, save styles and bad saves in test_cli.py, exits in
test_lifecycle.py, errors in a save in test_save_safety.py)."""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from support.cli import FAST, error_line, start_loop, states
from support.cli import Process, Workspace, child_env, function_module, loop_program, state_is
from support.waiting import wait_until


def assert_a_good_save_applies(process, workspace, relative="mod.py", value=100, style="atomic", **state):
    workspace.save(relative, function_module(value), style=style)
    name = relative[: -len(".py")].replace("/", ".")
    process.wait_for(state_is(**{name: value}, **state), stream="stdout")
    assert process.alive(), process.describe()


def unexpected_errors(process):
    """jurigged's error lines, but for reads that caught an in-place save
    between its truncation and its write (reported and skipped by design)."""
    process.drain()
    return [
        line for line in process.lines["stderr"] if line.startswith("Error ") and "a save in progress?" not in line
    ]


# -- parser stress (deep nesting and NUL bytes: test_hardening.py; undeclared latin-1
# and binary garbage: test_cli.py) -----------------------------------------------------

TEN_MB = 10 << 20

#: Saves python accepts, each with the value of f() they give.
ACCEPTED_SAVES = {
    "bom": (b"\xef\xbb\xbf" + function_module(2).encode(), 2),
    "crlf": (function_module(3).replace("\n", "\r\n").encode(), 3),
    "form-feeds": (b"\x0c\ndef f():\n\x0c    return 4\n\x0c\n", 4),
    "tabs": (b"def f():\n\tif True:\n\t\treturn 5\n", 5),
    "10MB-line": (b"S = '" + b"a" * TEN_MB + b"'\n\ndef f():\n    return len(S)\n", TEN_MB),
    # 50 MB of 32-byte lines in a docstring.
    "50MB-file": (
        b'"""' + b"a line of a very long docstring\n" * (5 * TEN_MB // 32) + b'"""\n' + function_module(6).encode(),
        6,
    ),
}


@pytest.mark.parametrize("kind", list(ACCEPTED_SAVES))
def test_unusual_but_valid_source_is_applied(run, workspace, kind):
    process = start_loop(run, workspace, "mod")
    source, value = ACCEPTED_SAVES[kind]
    workspace.save("mod.py", source)
    process.wait_for(state_is(mod=value), stream="stdout", timeout=60)
    assert unexpected_errors(process) == [], process.describe()
    assert_a_good_save_applies(process, workspace)


#: Saves python refuses, each with a word of its error.
REFUSED_SAVES = {
    "unknown-coding": (b"# -*- coding: klingon -*-\n" + function_module(2).encode(), "klingon"),
    "invalid-utf8": (function_module(2).encode() + b"# caf\xc3\x28 \xff\xfe\n", "utf-8"),
    "mixed-tabs-and-spaces": (b"def f():\n\tif True:\n        return 2\n", "TabError"),
}


@pytest.mark.parametrize("kind", list(REFUSED_SAVES))
def test_source_python_refuses_is_refused_and_the_program_runs_on(run, workspace, kind):
    process = start_loop(run, workspace, "mod")
    source, word = REFUSED_SAVES[kind]
    path = workspace.save("mod.py", source)
    process.wait_for(lambda line: error_line(path)(line), stream="stderr")
    process.wait_for(word, stream="stderr")
    assert process.alive(), process.describe()
    assert states(process) == ["state mod=1"], process.describe()
    assert_a_good_save_applies(process, workspace)


def test_a_module_saved_as_only_comments(run, workspace):
    workspace.write("notes.py", "def note():\n    return 1\n")
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", "import notes\n" + loop_program("mod"))
    process = run(*FAST, "-v", "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    process.wait_for(f"Watch {workspace.path('notes.py')}", stream="stderr")
    workspace.save("notes.py", "# nothing\n# but comments\n")
    process.wait_for("Delete notes.note", stream="stderr")
    assert_a_good_save_applies(process, workspace)
    assert unexpected_errors(process) == [], process.describe()


# -- save storms ----------------------------------------------------------------------


@pytest.mark.parametrize("style", ["inplace", "atomic"])
def test_a_thousand_saves_in_two_seconds_end_on_the_last(run, workspace, style):
    process = start_loop(run, workspace, "mod", "other")
    start = time.monotonic()
    for value in range(2, 1002):
        workspace.save("mod.py", function_module(value), style=style)
        # Paced to spread the storm over about two seconds.
        time.sleep(max(0.0, start + value * 0.002 - time.monotonic()))
    process.wait_for(state_is(mod=1001), stream="stdout")
    # A later save elsewhere: anything still queued for mod.py came before it.
    workspace.save("other.py", function_module(2))
    process.wait_for(state_is(other=2), stream="stdout")
    assert states(process)[-1] == "state mod=1001 other=2", process.describe()
    assert unexpected_errors(process) == [], process.describe()
    assert_a_good_save_applies(process, workspace, "mod.py", 2000, other=2)


def test_two_hundred_files_saved_at_once_all_apply(run, workspace):
    names = [f"m{index:03}" for index in range(200)]
    process = start_loop(run, workspace, *names)
    for name in names:
        workspace.save(f"{name}.py", function_module(2), style="atomic")
    process.wait_for(state_is(**{name: 2 for name in names}), stream="stdout")
    assert unexpected_errors(process) == [], process.describe()
    assert_a_good_save_applies(process, workspace, "m123.py", 3, m000=2, m199=2)


def test_a_file_truncated_then_written_applies_what_was_written(run, workspace):
    process = start_loop(run, workspace, "mod")
    path = workspace.path("mod.py")
    with open(path, "wb"):
        pass
    process.wait_for(lambda line: error_line(path)(line) and "is empty" in line, stream="stderr")
    assert process.alive(), process.describe()
    with open(path, "ab") as f:
        f.write(function_module(2).encode())
    process.wait_for(state_is(mod=2), stream="stdout")
    assert_a_good_save_applies(process, workspace, value=3, style="inplace")


def test_a_file_renamed_away_and_back_is_still_live(run, workspace):
    process = start_loop(run, workspace, "mod")
    path, away = workspace.path("mod.py"), workspace.path("mod.py.away")
    os.rename(path, away)
    process.wait_for(lambda line: error_line(path)(line) and "deleted" in line, stream="stderr")
    os.rename(away, path)
    assert_a_good_save_applies(process, workspace, value=2, style="inplace")
    assert_a_good_save_applies(process, workspace, value=3, style="atomic")


# -- concurrency (in one process, without the command line: test_save_safety.py) --------


def concurrent_module(version):
    return textwrap.dedent(
        f"""\
        import asyncio

        def f():
            return {version}

        def gen():
            yield "started"
            yield "gen-{version}"

        def on_stack(event):
            print("on stack", flush=True)
            event.wait()
            return "stack-{version}"

        async def tick():
            await asyncio.sleep(0)
            return {version}
        """
    )


CONCURRENT_PROGRAM = """\
import asyncio
import os
import threading
import time

import mod

stop = threading.Event()
errors = []

def check(results, result):
    # Every call returns the old or the new value, never an older one again.
    if not isinstance(result, int) or (results and result < results[-1]):
        errors.append(repr(result))
    results.append(result)

def hammer():
    results = []
    while not stop.is_set():
        try:
            check(results, mod.f())
        except BaseException as error:
            errors.append(repr(error))

async def ticking():
    results = []
    while not stop.is_set():
        try:
            check(results, await mod.tick())
        except BaseException as error:
            errors.append(repr(error))

suspended = mod.gen()
next(suspended)
release, on_stack = threading.Event(), []
threads = [threading.Thread(target=lambda: on_stack.append(mod.on_stack(release)))]
threads += [threading.Thread(target=hammer) for _ in range(3)]
threads.append(threading.Thread(target=asyncio.run, args=(ticking(),)))
for thread in threads:
    thread.start()
print("started", flush=True)
last = None
reported = False
while True:
    value = mod.f()
    if value != last:
        print("state", f"mod={value!r}", flush=True)
        last = value
    if not reported and os.path.exists("finish"):
        release.set()
        stop.set()
        for thread in threads:
            thread.join()
        print("suspended", next(suspended), flush=True)
        print("fresh", list(mod.gen())[1], flush=True)
        print("on stack", on_stack[0], flush=True)
        print("errors", errors[:5], flush=True)
        reported = True
    time.sleep(0.005)
"""

SAVES_UNDER_LOAD = 30


def test_threads_a_generator_a_frame_and_an_asyncio_loop_across_saves(run, workspace):
    workspace.write("mod.py", concurrent_module(1))
    workspace.write("main.py", CONCURRENT_PROGRAM)
    process = run(*FAST, "main.py")
    process.wait_for("on stack", stream="stdout")
    process.wait_for(state_is(mod=1), stream="stdout")
    last = SAVES_UNDER_LOAD + 1
    for version in range(2, last + 1):
        workspace.save("mod.py", concurrent_module(version), style="atomic" if version % 2 else "inplace")
        process.wait_for(state_is(mod=version), stream="stdout")
    workspace.path("finish").touch()
    # The suspended generator and the waiting frame finish on the code they
    # started with; a new generator runs the new code.
    process.wait_for("suspended gen-1", stream="stdout")
    process.wait_for(f"fresh gen-{last}", stream="stdout")
    process.wait_for("on stack stack-1", stream="stdout")
    process.wait_for("errors []", stream="stdout")
    assert unexpected_errors(process) == [], process.describe()
    workspace.save("mod.py", concurrent_module(100), style="atomic")
    process.wait_for(state_is(mod=100), stream="stdout")
    assert process.alive(), process.describe()


# -- errors in a save (in one process, without the command line: test_save_safety.py) ---

RAISING_SAVES = {
    "statement": ("RAISED = 1 / 0\n", "ZeroDivisionError"),
    "class-body": ("class C:\n    missing = {}['key']\n", "KeyError"),
    "decorator": ("def deco(fn):\n    raise ValueError('no')\n\n@deco\ndef g():\n    pass\n", "ValueError"),
}


@pytest.mark.parametrize("kind", list(RAISING_SAVES))
def test_a_save_that_raises_applies_nothing_and_the_next_good_save_applies(run, workspace, kind):
    process = start_loop(run, workspace, "mod")
    addition, exception = RAISING_SAVES[kind]
    path = workspace.save("mod.py", function_module(2, "\n" + addition))
    process.wait_for(error_line(path), stream="stderr")
    process.wait_for(exception, stream="stderr")
    assert process.alive(), process.describe()
    assert_a_good_save_applies(process, workspace, value=3)
    assert "state mod=2" not in process.stdout, process.describe()


# -- file system ------------------------------------------------------------------------


def test_a_file_that_becomes_a_symlink_to_another_file(run, workspace):
    process = start_loop(run, workspace, "mod")
    target = workspace.elsewhere / "target.py"
    target.write_text(function_module(7))
    link = workspace.path("mod.py.link")
    os.symlink(target, link)
    os.replace(link, workspace.path("mod.py"))
    # Read through the link, as python's import would read it.
    process.wait_for(state_is(mod=7), stream="stdout")
    # Saved over the link (an editor's atomic save makes it a file again).
    assert_a_good_save_applies(process, workspace, value=8, style="atomic")
    assert_a_good_save_applies(process, workspace, value=9, style="inplace")
    assert unexpected_errors(process) == [], process.describe()


def _without_root_file_access():
    """In the child before exec: a root process drops the capabilities that let
    it read any file, so a mode of 000 denies it as it denies anyone else."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_permission_denied_on_the_saved_file_then_restored(entry, entry_kind, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    process = Process(
        entry + [*FAST, "main.py"],
        cwd=workspace.root,
        env=child_env(kind=entry_kind),
        preexec_fn=_without_root_file_access,
    )
    try:
        process.wait_for(state_is(mod=1), stream="stdout")
        # An unreadable file saved over the module.
        unreadable = workspace.path(".mod.py.new")
        unreadable.write_text(function_module(2))
        os.chmod(unreadable, 0)
        path = workspace.path("mod.py")
        os.replace(unreadable, path)
        process.wait_for(lambda line: error_line(path)(line) and "ermission denied" in line, stream="stderr")
        assert process.alive(), process.describe()
        assert "state mod=2" not in process.stdout
        os.chmod(path, 0o644)
        assert_a_good_save_applies(process, workspace, value=3, style="inplace")
    finally:
        process.kill()


def test_the_watched_files_directory_replaced_by_another(run, workspace):
    workspace.write("pkg/__init__.py", "")
    process = start_loop(run, workspace, "pkg.mod", "mod")
    workspace.write("pkg_new/__init__.py", "")
    workspace.write("pkg_new/mod.py", function_module(1))
    os.rename(workspace.path("pkg"), workspace.path("pkg_old"))
    os.rename(workspace.path("pkg_new"), workspace.path("pkg"))
    assert_a_good_save_applies(process, workspace, "pkg/mod.py", 2, style="inplace")
    assert_a_good_save_applies(process, workspace, "pkg/mod.py", 3, style="atomic")
    assert_a_good_save_applies(process, workspace, "mod.py", 4)


def test_non_utf8_file_names_in_the_watched_directory(run, workspace):
    before = os.fsencode(workspace.root) + b"/caf\xe9.py"
    with open(before, "wb") as f:
        f.write(b"x = 1\n")
    process = start_loop(run, workspace, "mod")
    for name in (b"caf\xe9.py", b"\xff\xfe.py", b"\x80 not utf8.txt"):
        with open(os.fsencode(workspace.root) + b"/" + name, "wb") as f:
            f.write(b"x = 2\n")
    os.mkdir(os.fsencode(workspace.root) + b"/dir\xff")
    with open(os.fsencode(workspace.root) + b"/dir\xff/inner.py", "wb") as f:
        f.write(b"x = 3\n")
    assert_a_good_save_applies(process, workspace, value=2, style="inplace")
    assert_a_good_save_applies(process, workspace, value=3)
    assert unexpected_errors(process) == [], process.describe()


def test_spaces_in_the_paths(run, tmp_path):
    (tmp_path / "a dir with spaces").mkdir()
    spaced = Workspace(tmp_path / "a dir with spaces")
    spaced.write("sub dir/mod.py", function_module(1))
    spaced.write("main.py", "import sys\nsys.path.insert(0, 'sub dir')\n" + loop_program("mod"))
    process = run(*FAST, "-w", str(spaced.root / "sub dir"), "main.py", cwd=spaced.root)
    process.wait_for(state_is(mod=1), stream="stdout")
    for value, style in ((2, "inplace"), (3, "atomic"), (4, "elsewhere")):
        spaced.save("sub dir/mod.py", function_module(value), style=style)
        process.wait_for(state_is(mod=value), stream="stdout")
    assert process.alive(), process.describe()


def test_the_watched_directory_deleted_then_recreated(run, workspace):
    workspace.write("pkg/__init__.py", "")
    process = start_loop(run, workspace, "pkg.mod", "mod")
    shutil.rmtree(workspace.path("pkg"))
    assert_a_good_save_applies(process, workspace, "mod.py", 2)
    workspace.write("pkg/__init__.py", "")
    workspace.write("pkg/mod.py", function_module(3))
    process.wait_for(state_is(**{"pkg.mod": 3}), stream="stdout")
    assert_a_good_save_applies(process, workspace, "pkg/mod.py", 4, style="inplace")


# -- lifecycle --------------------------------------------------------------------------

SLOW_SAVE = "import time\nopen('saving', 'w').close()\ntime.sleep({seconds})\n" + function_module(2)

INTERRUPTIBLE_LOOP = """\
import time

import mod

print("started", flush=True)
last = None
while True:
    try:
        while True:
            value = mod.f()
            if value != last:
                print("state", f"mod={value!r}", flush=True)
                last = value
            time.sleep(0.005)
    except KeyboardInterrupt:
        print("caught KeyboardInterrupt", flush=True)
"""


def test_ctrl_c_during_a_save_reaches_the_program_and_the_save_completes(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", INTERRUPTIBLE_LOOP)
    process = run(*FAST, "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", SLOW_SAVE.format(seconds=1))
    wait_until(lambda: workspace.path("saving").exists(), what="the save's statement to start")
    process.interrupt()
    process.wait_for("caught KeyboardInterrupt", stream="stdout")
    process.wait_for(state_is(mod=2), stream="stdout")
    assert_a_good_save_applies(process, workspace, value=3)


SIGTERM_PROGRAM = """\
import atexit
import os
import signal
import sys
import time

import mod

if os.environ.get("HANDLE_SIGTERM"):
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(7))
    atexit.register(print, "atexit ran", flush=True)
print("ready", flush=True)
while True:
    time.sleep(0.01)
"""


@pytest.mark.parametrize("handled", [False, True], ids=["default", "handler"])
def test_sigterm_ends_the_program_with_pythons_status(run, workspace, handled):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", SIGTERM_PROGRAM)
    env = {"HANDLE_SIGTERM": "1" if handled else None}
    reference = subprocess.Popen(
        [sys.executable, "main.py"], cwd=workspace.root, env=child_env(env), stdout=subprocess.PIPE, text=True
    )
    try:
        assert reference.stdout.readline().strip() == "ready"
        reference.terminate()
        python_out, _ = reference.communicate(timeout=60)
    finally:
        reference.kill()
    expected = 7 if handled else -signal.SIGTERM
    assert reference.returncode == expected
    process = run(*FAST, "main.py", env=env)
    process.wait_for("ready", stream="stdout")
    workspace.save("mod.py", function_module(2))
    process.popen.terminate()
    assert process.wait_exit() == expected, process.describe()
    assert ("atexit ran" in process.stdout) == ("atexit ran" in python_out) == handled, process.describe()


THREAD_EXIT_PROGRAM = """\
import os
import sys
import threading
import time

import mod

def leave():
    deadline = time.monotonic() + 60
    while not os.path.exists("saving") and time.monotonic() < deadline:
        time.sleep(0.001)
    print("thread exits", flush=True)
    sys.exit(3)

threading.Thread(target=leave).start()
print("started", flush=True)
last = None
while True:
    value = mod.f()
    if value != last:
        print("state", f"mod={value!r}", flush=True)
        last = value
    time.sleep(0.005)
"""


def test_sys_exit_from_a_thread_during_a_patch_ends_only_that_thread(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", THREAD_EXIT_PROGRAM)
    process = run(*FAST, "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", SLOW_SAVE.format(seconds=0.3))
    process.wait_for("thread exits", stream="stdout")
    process.wait_for(state_is(mod=2), stream="stdout")
    assert process.alive(), process.describe()
    assert_a_good_save_applies(process, workspace, value=3)


PENDING_EXIT_PROGRAM = """\
import os
import sys
import time

import mod

print("started", flush=True)
deadline = time.monotonic() + 60
while not os.path.exists("go") and time.monotonic() < deadline:
    time.sleep(0.001)
print("ending", flush=True)
sys.exit(4)
"""


def test_exit_with_a_save_pending_exits_within_a_second(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", PENDING_EXIT_PROGRAM)
    # A long debounce: the save below is still pending when the program ends.
    process = run("-d", "5", "main.py")
    process.wait_for("started", stream="stdout")
    workspace.save("mod.py", function_module(2))
    workspace.path("go").touch()
    process.wait_for("ending", stream="stdout")
    ending = time.monotonic()
    status = process.wait_exit()
    took = time.monotonic() - ending
    assert status == 4, process.describe()
    assert took < 1.0, f"the program took {took:.2f} s to exit after its end\n{process.describe()}"


# -- resources --------------------------------------------------------------------------

MEASURED_LOOP = """\
import time

import mod

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])

print("started", flush=True)
last = None
while True:
    value = mod.f()
    if value != last:
        print("state", f"mod={value!r}", f"rss={status('VmRSS')}", f"threads={status('Threads')}", flush=True)
        last = value
    time.sleep(0.002)
"""

SAVES = 500


def measured(line):
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    return int(fields["rss"]), int(fields["threads"])


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/self/status")
def test_memory_and_threads_stay_flat_over_five_hundred_saves(run, workspace):
    workspace.write("mod.py", function_module(0))
    workspace.write("main.py", MEASURED_LOOP)
    process = run("-d", "0", "main.py")
    process.wait_for(state_is(mod=0), stream="stdout")
    samples = []
    for value in range(1, SAVES + 1):
        workspace.save("mod.py", function_module(value), style="atomic")
        samples.append(measured(process.wait_for(state_is(mod=value), stream="stdout")))
    first, last = samples[:100], samples[-100:]
    rss_growth_kb = max(r for r, _ in last) - max(r for r, _ in first)
    # Generous: a leak of a code object or a tree per save would pass 8 MB.
    assert rss_growth_kb < 8 * 1024, f"RSS grew by {rss_growth_kb} kB over {SAVES} saves"
    assert max(t for _, t in last) <= max(t for _, t in first) + 1, samples
    assert unexpected_errors(process) == [], process.describe()


IDLE_PROGRAM = """\
import time

import mod

print("started", flush=True)
while True:
    time.sleep(3600)
"""


def cpu_seconds(pid):
    """User plus system CPU time of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc/PID/stat")
@pytest.mark.parametrize("mode", [[], ["--poll", "0.1"]], ids=["notify", "poll"])
def test_almost_no_cpu_while_idle(run, workspace, mode):
    for index in range(50):
        workspace.write(f"idle{index}.py", function_module(index))
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", IDLE_PROGRAM)
    process = run(*FAST, *mode, "main.py")
    process.wait_for("started", stream="stdout")
    # Warm up: a save applied (it prints), so start-up work is over.
    workspace.save("mod.py", function_module(1) + "print('applied', 1, flush=True)\n")
    process.wait_for("applied 1", stream="stdout")
    before, start = cpu_seconds(process.popen.pid), time.monotonic()
    wait_until(lambda: time.monotonic() - start >= 2.0, what="two seconds of idling")
    used = cpu_seconds(process.popen.pid) - before
    # Generous: 5% of a core (a busy loop would use 100%).
    assert used < 0.1, f"{used:.3f} s of CPU over 2 s of idling"
    workspace.save("mod.py", function_module(1) + "print('applied', 2, flush=True)\n")
    process.wait_for("applied 2", stream="stdout")
    assert process.alive(), process.describe()
