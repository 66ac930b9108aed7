"""End to end: the `jurigged` command line, started as `python -m jurigged` and
as the standalone binary, running real programs while real files are saved.

Every test starts real processes in a temporary directory (their cwd), saves
files the way editors do and waits, with deadlines, for what the program and
jurigged print."""

import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import jurigged
from support import cli
from support.cli import (
    FAST,
    OpenStdin,
    Process,
    child_env,
    error_line,
    function_module,
    loop_program,
    start_loop,
    state_is,
    states,
    venv_matches_binary,
)
from support.waiting import TIMEOUT


# -- options --------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_the_options(run, flag):
    process = run(flag)
    assert process.wait_exit() == 0, process.describe()
    help_text = process.stdout
    for option in [
        "--interactive",
        "--watch",
        "--debounce",
        "--poll",
        "-m",
        "--dev",
        "--verbose",
        "--version",
        "--exclude",
        "--loop",
        "--xloop",
        "-i",
        "-w",
        "-d",
        "-v",
        "-x",
        "-l",
    ]:
        assert re.search(rf"(^|[\s,\[]){re.escape(option)}\b", help_text), f"{option} missing from:\n{help_text}"
    assert "usage" in help_text.lower()


def test_version_names_the_distribution_the_engine_and_the_python(run, entry_kind):
    process = run("--version")
    assert process.wait_exit() == 0, process.describe()
    # Above the original's 0.6.1, so that a dependent's `jurigged>=0.5` accepts it.
    assert tuple(int(part) for part in jurigged.__version__.split(".")[:2]) >= (0, 7)
    if entry_kind == "binary":
        # The binary names the Python it embeds, which may not be this one.
        python = "CPython %d.%d." % cli.binary_python_version()
    else:
        python = f"{platform.python_implementation()} {platform.python_version()})"
    [line] = process.lines["stdout"]
    assert line.startswith(f"jurigged {jurigged.__version__} (jurigged-rs, {python}"), process.describe()
    assert line.endswith(")"), process.describe()


@pytest.mark.parametrize(
    "flags",
    [["-vw", "."], ["-vd", "0.1"], ["-vd0.1"], ["-v", "-w", ".", "-d", "0.1"]],
    ids=["vw", "vd", "vd-glued", "separate"],
)
def test_combined_short_flags_parse_like_any_command_line(run, workspace, flags):
    workspace.write("app.py", REPORT)
    process = run(*flags, "app.py", "-v", "x")
    data = report(process)
    assert process.wait_exit() == 0, process.describe()
    # The script ran (no REPL) with its own arguments, and -v reached jurigged.
    assert data["argv"] == ["app.py", "-v", "x"]
    assert any(line.startswith("Watch ") for line in process.lines["stderr"]), process.describe()


def test_module_after_combined_flags_takes_the_rest_of_the_line(run, workspace):
    workspace.write("appmod.py", REPORT)
    process = run("-vm", "appmod", "-i", "--x")
    data = report(process)
    assert process.wait_exit() == 0, process.describe()
    # -i after the module is the module's, not jurigged's: no REPL after it.
    assert data["argv"][1:] == ["-i", "--x"]
    assert any(line.startswith("Watch ") for line in process.lines["stderr"]), process.describe()


def test_console_script(workspace):
    """The `jurigged` console script the wheel installs."""
    script = Path(sys.executable).with_name("jurigged")
    assert script.is_file(), f"no console script at {script}: is the wheel installed in this venv?"
    workspace.write("app.py", "import sys\nprint('args', sys.argv[1:])\n")
    process = Process([script, "app.py", "a", "-v"], cwd=workspace.root)
    try:
        assert process.wait_exit() == 0, process.describe()
        assert "args ['a', '-v']" in process.stdout
    finally:
        process.kill()


@pytest.mark.parametrize(
    "args",
    [["--no-such-option"], ["--poll", "0", "app.py"], ["--loop-interface", "nope", "app.py"], ["-d", "soon", "app.py"]],
    ids=["unknown-option", "poll-zero", "bad-loop-interface", "bad-debounce"],
)
def test_usage_errors_exit_2(run, workspace, args):
    workspace.write("app.py", "print('ran')\n")
    process = run(*args)
    assert process.wait_exit() == 2, process.describe()
    assert "ran" not in process.stdout
    assert process.stderr.strip(), "a usage error must say what is wrong"


@pytest.mark.parametrize("dev", [True, False], ids=["dev", "no-dev"])
def test_dev_injects_double_underscore_in_builtins(run, workspace, dev):
    """As the original: --dev puts jurigged.loop.__ in builtins (and only then)."""
    workspace.write("app.py", "import builtins\nprint('has __', hasattr(builtins, '__'))\n")
    process = run(*(["--dev"] if dev else []), "app.py")
    assert process.wait_exit() == 0, process.describe()
    assert f"has __ {dev}" in process.stdout, process.describe()


def test_debounce_zero_is_accepted_and_works(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod"))
    process = run("-d", "0", "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")


# -- running programs -----------------------------------------------------------

REPORT = """\
import json, sys
print("REPORT", json.dumps({"name": __name__, "argv": sys.argv, "path0": sys.path[0]}))
"""


def report(process):
    line = process.wait_for("REPORT ", stream="stdout")
    import json

    return json.loads(line.split(" ", 1)[1])


def test_script_gets_argv_name_and_path(run, workspace):
    workspace.write("app.py", REPORT)
    process = run("app.py", "-v", "--x", "1")
    data = report(process)
    assert process.wait_exit() == 0, process.describe()
    assert data["argv"] == ["app.py", "-v", "--x", "1"]
    assert data["name"] == "__main__"
    assert Path(data["path0"]) == workspace.root
    # jurigged's own -v was not taken from the program's arguments.
    assert not any(line.startswith("Watch ") for line in process.lines["stderr"]), process.describe()


def test_script_directory_is_first_on_sys_path(run, workspace):
    workspace.write("sub/app.py", REPORT + "import helper\nprint('helper', helper.X)\n")
    workspace.write("sub/helper.py", "X = 'found'\n")
    process = run("sub/app.py", "arg")
    data = report(process)
    process.wait_for("helper found", stream="stdout")
    assert process.wait_exit() == 0, process.describe()
    assert Path(data["path0"]) == workspace.root / "sub"
    assert data["argv"] == ["sub/app.py", "arg"]


def test_module(run, workspace):
    workspace.write("appmod.py", REPORT)
    process = run("-m", "appmod", "-v", "--x", "1")
    data = report(process)
    assert process.wait_exit() == 0, process.describe()
    assert data["name"] == "__main__"
    assert data["argv"][1:] == ["-v", "--x", "1"]
    assert Path(data["argv"][0]) == workspace.root / "appmod.py"
    assert Path(data["path0"]) == workspace.root


def test_package_with_main(run, workspace):
    workspace.write("pkg/__init__.py", "print('pkg init')\n")
    workspace.write("pkg/__main__.py", "print('pkg main')\n" + REPORT)
    process = run("-m", "pkg", "a", "b")
    process.wait_for("pkg init", stream="stdout")
    process.wait_for("pkg main", stream="stdout")
    data = report(process)
    assert process.wait_exit() == 0, process.describe()
    assert data["name"] == "__main__"
    assert data["argv"][1:] == ["a", "b"]


def test_module_function(run, workspace):
    workspace.write(
        "modfn.py",
        """\
        import sys
        print("imported as", __name__)

        def main():
            print("main called", sys.argv[1:])
            return 0
        """,
    )
    process = run("-m", "modfn:main", "a", "--b")
    process.wait_for("imported as modfn", stream="stdout")
    process.wait_for("main called ['a', '--b']", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


@pytest.mark.parametrize(
    "source, status",
    [
        ("print('done')\n", 0),
        ("raise SystemExit(3)\n", 3),
        ("import sys\nsys.exit(0)\n", 0),
        ("import sys\nsys.exit()\n", 0),
        ("import sys\nsys.exit('bye now')\n", 1),
        ("raise ValueError('boom')\n", 1),
    ],
    ids=["normal-end", "SystemExit-3", "exit-0", "exit-None", "exit-message", "uncaught"],
)
def test_exit_status_as_python(run, workspace, source, status):
    workspace.write("app.py", source)
    reference = subprocess.run([sys.executable, "app.py"], cwd=workspace.root, capture_output=True, env=child_env())
    assert reference.returncode == status
    process = run("app.py")
    assert process.wait_exit() == status, process.describe()
    if "bye now" in source:
        assert "bye now" in process.stderr


@pytest.mark.parametrize(
    "args, message",
    [(["nosuch.py"], "nosuch.py"), (["-m", "nosuchmod"], "No module named nosuchmod")],
    ids=["missing-script", "missing-module"],
)
def test_missing_program(run, workspace, args, message):
    reference = subprocess.run([sys.executable, *args], cwd=workspace.root, capture_output=True, env=child_env())
    process = run(*args)
    assert process.wait_exit() == reference.returncode, process.describe()
    assert message in process.stderr, process.describe()


def test_uncaught_exception_prints_a_python_traceback(run, workspace):
    path = workspace.write(
        "app.py",
        """\
        def inner():
            raise ValueError("boom")

        print("before")
        inner()
        """,
    )
    process = run("app.py")
    assert process.wait_exit() == 1, process.describe()
    stderr = process.stderr
    assert "before" in process.stdout
    assert "Traceback (most recent call last):" in stderr, process.describe()
    assert f'File "{path}", line 5, in <module>' in stderr, process.describe()
    assert f'File "{path}", line 2, in inner' in stderr, process.describe()
    assert stderr.rstrip().endswith("ValueError: boom"), process.describe()


def test_a_clean_run_prints_nothing_but_the_program(run, workspace):
    workspace.write("helper.py", "def f():\n    return 'helped'\n")
    workspace.write("app.py", "import helper\nprint(helper.f())\n")
    process = run("app.py")
    assert process.wait_exit() == 0, process.describe()
    assert process.stdout == "helped", process.describe()
    assert process.stderr == "", process.describe()


def test_packages_of_the_virtualenv_are_importable(run, workspace, entry_kind):
    workspace.write("app.py", "import pytest\nprint('imported', pytest.__name__)\n")
    process = run("app.py", env={"VIRTUAL_ENV": sys.prefix})
    status = process.wait_exit()
    if entry_kind == "binary" and not venv_matches_binary():
        # Another Python than the binary's: it must say why the venv is not used.
        assert "virtual environment" in process.stderr, process.describe()
        return
    assert status == 0, process.describe()
    assert "imported pytest" in process.stdout, process.describe()


def test_import_jurigged_inside_the_program(run, workspace):
    workspace.write("app.py", "import jurigged\nprint('version', jurigged.__version__, callable(jurigged.watch))\n")
    process = run("app.py")
    process.wait_for(f"version {jurigged.__version__} True", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


# -- the REPL -------------------------------------------------------------------


def test_repl_without_script(run):
    process = run(stdin="print(6*7)\nimport sys\nprint('argv', sys.argv)\n")
    process.wait_for("42", stream="stdout")
    process.wait_for("argv ['']", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


def test_repl_is_live(run, workspace):
    repl_picks_up_an_edit(run, workspace)


def test_repl_picks_up_an_edit_under_load(run, workspace):
    """Once failed on a loaded machine: every wait is for a condition, with a
    deadline that load does not reach. Here every core is kept busy meanwhile."""
    burners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(min(len(os.sched_getaffinity(0)), 4))
    ]
    try:
        repl_picks_up_an_edit(run, workspace)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def repl_picks_up_an_edit(run, workspace):
    workspace.write("mod.py", function_module(1))
    process = run(*FAST, stdin=OpenStdin("import time, mod\nprint('f', mod.f())\n"))
    process.wait_for("f 1", stream="stdout")
    workspace.save("mod.py", function_module(2))
    # The REPL waits (bounded) for the change, then prints it.
    process.send(f"deadline = time.monotonic() + {TIMEOUT}\n")
    process.send("while mod.f() == 1 and time.monotonic() < deadline: time.sleep(0.01)\n\n")
    process.send("print('f', mod.f())\n", close=True)
    line = process.wait_for(re.compile(r"^f \d"), stream="stdout")
    assert line == "f 2", process.describe()
    assert process.wait_exit() == 0, process.describe()


def test_interactive_after_the_script(run, workspace):
    workspace.write("app.py", "x = 5\nprint('script done')\n")
    process = run("-i", "app.py", stdin="print(x * 2)\n")
    process.wait_for("script done", stream="stdout")
    process.wait_for("10", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


def test_interactive_after_the_script_raised(run, workspace):
    path = workspace.write("app.py", "x = 5\nraise ValueError('boom')\n")
    process = run("-i", "app.py", stdin="print(x * 2)\n")
    process.wait_for("10", stream="stdout")
    process.wait_for("ValueError: boom", stream="stderr")
    process.wait_exit()
    assert "Traceback (most recent call last):" in process.stderr, process.describe()
    assert f'File "{path}", line 2, in <module>' in process.stderr, process.describe()


def test_interactive_exit_status_after_the_script_raised(run, workspace):
    workspace.write("app.py", "x = 5\nraise ValueError('boom')\n")
    reference = subprocess.run(
        [sys.executable, "-i", "app.py"], cwd=workspace.root, input=b"print(x * 2)\n", capture_output=True, env=child_env()
    )
    assert b"10" in reference.stdout
    process = run("-i", "app.py", stdin="print(x * 2)\n")
    process.wait_for("10", stream="stdout")
    assert process.wait_exit() == reference.returncode, (
        f"python -i exits {reference.returncode} when its REPL ends\n{process.describe()}"
    )


# -- -v and the default logger ----------------------------------------------------


def test_verbose_prints_watch_and_update(run, workspace):
    process = start_loop(run, workspace, "mod", args=["-v"])
    process.wait_for(f"Watch {workspace.root / 'main.py'}", stream="stderr")
    process.wait_for(f"Watch {workspace.root / 'mod.py'}", stream="stderr")
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")
    process.wait_for(re.compile(r"^Update mod\.f @L\d+$"), stream="stderr")
    workspace.save("mod.py", function_module(2, "\ndef g():\n    return 0\n"))
    process.wait_for(re.compile(r"^Add mod\.g @L\d+$"), stream="stderr")
    workspace.save("mod.py", function_module(2))
    process.wait_for(re.compile(r"^Delete mod\.g"), stream="stderr")


def test_quiet_without_verbose_but_errors_are_printed(run, workspace):
    process = start_loop(run, workspace, "mod")
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")
    path = workspace.save("mod.py", "def f(:\n    return 3\n")
    process.wait_for(error_line(path), stream="stderr")
    process.wait_for("SyntaxError", stream="stderr")
    noisy = [line for line in process.lines["stderr"] if re.match(r"(Watch|Update|Add|Delete|Run) ", line)]
    assert noisy == [], process.describe()


# -- the live edit loop -----------------------------------------------------------

SAVE_STYLES = ["inplace", "atomic", "elsewhere", "recreate"]


@pytest.mark.parametrize("style", SAVE_STYLES)
def test_save_styles(run, workspace, style):
    process = start_loop(run, workspace, "mod")
    for value in (2, 3, 4):
        workspace.save("mod.py", function_module(value), style=style)
        process.wait_for(state_is(mod=value), stream="stdout")
    assert [s for s in states(process)] == [f"state mod={v}" for v in (1, 2, 3, 4)], process.describe()


def test_alternating_save_styles(run, workspace):
    process = start_loop(run, workspace, "mod")
    for value, style in enumerate(SAVE_STYLES * 2, start=2):
        workspace.save("mod.py", function_module(value), style=style)
        process.wait_for(state_is(mod=value), stream="stdout")


LIVE_MAIN = """\
import time

def f():
    return 1

last = None
start = time.monotonic()
print("started", flush=True)
while time.monotonic() - start < 60:
    value = f()
    if value != last:
        print("state", f"main={value!r}", flush=True)
        last = value
    time.sleep(0.005)
"""


@pytest.mark.parametrize("how", ["script", "module"])
def test_the_main_file_is_live(run, workspace, how):
    workspace.write("app.py", LIVE_MAIN)
    process = run(*FAST, *(["app.py"] if how == "script" else ["-m", "app"]))
    process.wait_for(state_is(main=1), stream="stdout")
    workspace.save("app.py", LIVE_MAIN.replace("return 1", "return 2"), style="atomic")
    process.wait_for(state_is(main=2), stream="stdout")


def test_module_function_target_is_live(run, workspace):
    workspace.write("mod.py", function_module(1))
    workspace.write(
        "entry.py",
        """\
        import time
        import mod

        def main():
            last = None
            start = time.monotonic()
            while time.monotonic() - start < 60:
                value = mod.f()
                if value != last:
                    print("state", f"mod={value!r}", flush=True)
                    last = value
                time.sleep(0.005)
        """,
    )
    process = run(*FAST, "-m", "entry:main")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")


@pytest.mark.parametrize("style", ["inplace", "atomic"])
def test_poll_mode(run, workspace, style):
    process = start_loop(run, workspace, "mod", args=["--poll", "0.05"])
    for value in (2, 3):
        workspace.save("mod.py", function_module(value), style=style)
        process.wait_for(state_is(mod=value), stream="stdout")


# -- what is watched ----------------------------------------------------------------


def _unwatched_stays(process, workspace, watched, unwatched):
    """Saves an edit to `unwatched` then edits to `watched` (twice, as sync
    points); the unwatched module keeps its value."""
    key = watched.replace(".", "/") + ".py"
    workspace.save(unwatched.replace(".", "/") + ".py", function_module(99))
    for value in (2, 3):
        time.sleep(0.05)
        workspace.save(key, function_module(value))
        line = process.wait_for(state_is(**{watched: value}), stream="stdout")
        assert state_is(**{unwatched: 1})(line), f"{unwatched} was updated although not watched\n{process.describe()}"


@pytest.mark.parametrize("pattern", ["lib", "lib/", "lib/a.py", "lib/*.py", "ABSOLUTE"])
def test_watch_patterns(run, workspace, pattern):
    workspace.write("lib/__init__.py", "")
    if pattern == "ABSOLUTE":
        pattern = str(workspace.root / "lib")
    process = start_loop(run, workspace, "lib.a", "b", args=["-v", "-w", pattern])
    process.wait_for(f"Watch {workspace.root / 'lib' / 'a.py'}", stream="stderr")
    _unwatched_stays(process, workspace, "lib.a", "b")
    assert f"Watch {workspace.root / 'b.py'}" not in process.stderr


def test_watch_a_single_file(run, workspace):
    process = start_loop(run, workspace, "a", "b", args=["-w", "b.py"])
    _unwatched_stays(process, workspace, "b", "a")


def test_watch_repeated(run, workspace):
    workspace.write("lib/__init__.py", "")
    process = start_loop(run, workspace, "lib.a", "b", "c", args=["-w", "lib", "-w", "b.py"])
    workspace.save("c.py", function_module(99))
    time.sleep(0.05)
    workspace.save("lib/a.py", function_module(2))
    workspace.save("b.py", function_module(2))
    line = process.wait_for(state_is(**{"lib.a": 2, "b": 2}), stream="stdout")
    assert state_is(c=1)(line), process.describe()


@pytest.mark.parametrize("exclude", ["b.py", "./b.py", "b*.py", "vendor"])
def test_exclude(run, workspace, exclude):
    if exclude == "vendor":
        workspace.write("vendor/__init__.py", "")
        process = start_loop(run, workspace, "a", "vendor.b", args=["-v", "--exclude", exclude])
        _unwatched_stays(process, workspace, "a", "vendor.b")
        assert f"Watch {workspace.root / 'vendor' / 'b.py'}" not in process.stderr, process.describe()
        return
    process = start_loop(run, workspace, "a", "b", args=["-v", "--exclude", exclude])
    process.wait_for(f"Watch {workspace.root / 'a.py'}", stream="stderr")
    _unwatched_stays(process, workspace, "a", "b")
    assert f"Watch {workspace.root / 'b.py'}" not in process.stderr, process.describe()


def test_module_imported_late_is_watched(run, workspace):
    workspace.write("late.py", function_module(1))
    process = start_loop(run, workspace, "mod", args=["-v"], late=("late", 2.0))
    process.wait_for(state_is(mod=1, late=1), stream="stdout")
    process.wait_for(f"Watch {workspace.root / 'late.py'}", stream="stderr")
    workspace.save("late.py", function_module(2), style="atomic")
    process.wait_for(state_is(mod=1, late=2), stream="stdout")
    workspace.save("mod.py", function_module(2))
    process.wait_for(state_is(mod=2, late=2), stream="stdout")


def test_file_created_after_start_then_imported(run, workspace):
    """A module that does not exist when jurigged starts (in a new directory)."""
    workspace.write("mod.py", function_module(1))
    workspace.write("main.py", loop_program("mod", late=("fresh.late", 0.5)))
    process = run(*FAST, "main.py")
    process.wait_for(state_is(mod=1), stream="stdout")
    workspace.write("fresh/__init__.py", "")
    workspace.write("fresh/late.py", function_module(1))
    process.wait_for(state_is(**{"fresh.late": 1}), stream="stdout")
    workspace.save("fresh/late.py", function_module(2), style="atomic")
    process.wait_for(state_is(**{"fresh.late": 2}), stream="stdout")


# -- bad saves ------------------------------------------------------------------------

BAD_SAVES = {
    "syntax-error": b"def f(:\n    return 3\n",
    "binary-garbage": b"\x00\xff\xfe\x01\x80\x81garbage\x00\xc3\x28\n",
    "latin1-undeclared": b'def f():\n    return "caf\xe9"\n',
}


@pytest.mark.parametrize("bad", ["syntax-error", "binary-garbage", "latin1-undeclared"])
@pytest.mark.parametrize("style", ["inplace", "atomic"])
def test_bad_save_keeps_the_last_good_code(run, workspace, bad, style):
    process = start_loop(run, workspace, "mod")
    workspace.save("mod.py", function_module(2), style=style)
    process.wait_for(state_is(mod=2), stream="stdout")
    path = workspace.save("mod.py", BAD_SAVES[bad], style=style)
    process.wait_for(error_line(path), stream="stderr")
    assert process.alive(), process.describe()
    workspace.save("mod.py", function_module(3), style=style)
    process.wait_for(state_is(mod=3), stream="stdout")
    assert states(process) == ["state mod=1", "state mod=2", "state mod=3"], process.describe()
    assert process.alive(), process.describe()


def test_repeated_bad_saves_then_fix(run, workspace):
    process = start_loop(run, workspace, "mod")
    for bad in ("syntax-error", "binary-garbage", "latin1-undeclared"):
        path = workspace.save("mod.py", BAD_SAVES[bad], style="atomic")
        process.wait_for(error_line(path), stream="stderr")
    workspace.save("mod.py", function_module(5), style="atomic")
    process.wait_for(state_is(mod=5), stream="stdout")
    assert states(process) == ["state mod=1", "state mod=5"], process.describe()


LATIN1 = "# -*- coding: latin-1 -*-\ndef f():\n    return ord('\xe9') * 10 + {}\n"


def test_declared_latin1_is_applied(run, workspace):
    process = start_loop(run, workspace, "mod")
    workspace.save("mod.py", LATIN1.format(2).encode("latin-1"), style="atomic")
    process.wait_for(state_is(mod=2332), stream="stdout")
    workspace.save("mod.py", LATIN1.format(3).encode("latin-1"))
    process.wait_for(state_is(mod=2333), stream="stdout")


def test_latin1_module_from_the_start(run, workspace):
    workspace.write("mod.py", LATIN1.format(1).encode("latin-1"))
    workspace.write("main.py", loop_program("mod"))
    process = run(*FAST, "-v", "main.py")
    process.wait_for(state_is(mod=2331), stream="stdout")
    process.wait_for(f"Watch {workspace.root / 'mod.py'}", stream="stderr")
    workspace.save("mod.py", LATIN1.format(2).encode("latin-1"))
    process.wait_for(state_is(mod=2332), stream="stdout")
    assert not any(line.startswith("Error") for line in process.lines["stderr"]), process.describe()


# -- timing: bursts and simultaneous saves ---------------------------------------------


@pytest.mark.parametrize("style", ["inplace", "atomic"])
def test_burst_of_saves_ends_on_the_last_version(run, workspace, style):
    process = start_loop(run, workspace, "mod", "other")
    for value in range(2, 22):
        workspace.save("mod.py", function_module(value), style=style)
        time.sleep(0.02)
    process.wait_for(state_is(mod=21), stream="stdout")
    # A later save elsewhere: anything still queued for mod.py came before it.
    workspace.save("other.py", function_module(2))
    process.wait_for(state_is(other=2), stream="stdout")
    assert states(process)[-1] == "state mod=21 other=2", process.describe()
    # A read that lands between an in-place save's truncation and its write
    # (a matter of load) is reported and skipped; anything else is an error.
    errors = [
        line
        for line in process.lines["stderr"]
        if line.startswith("Error ") and "a save in progress?" not in line
    ]
    assert errors == [], process.describe()


@pytest.mark.parametrize("style", ["inplace", "atomic", "elsewhere"])
def test_two_files_saved_together_as_the_first_edit(run, workspace, style):
    process = start_loop(run, workspace, "a", "b")
    workspace.save("a.py", function_module(2), style=style)
    workspace.save("b.py", function_module(2), style=style)
    process.wait_for(state_is(a=2, b=2), stream="stdout")


def test_two_files_saved_together_repeatedly(run, workspace):
    process = start_loop(run, workspace, "a", "b")
    for value in range(2, 6):
        workspace.save("a.py", function_module(value), style="atomic")
        workspace.save("b.py", function_module(value), style="inplace")
        process.wait_for(state_is(a=value, b=value), stream="stdout")


# -- signals and deleted files -------------------------------------------------------------


def test_ctrl_c_raises_keyboard_interrupt(run, workspace):
    workspace.write(
        "mod.py", function_module(1)
    )
    workspace.write(
        "app.py",
        """\
        import time
        import mod
        try:
            print("ready", flush=True)
            # Short sleeps: a SIGINT that lands between the print and a long
            # sleep's start would wait for its end (the interpreter checks for
            # signals between bytecodes, and 3.14+ does not before a sleep).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                time.sleep(0.05)
            print("slept through", flush=True)
        except KeyboardInterrupt:
            print("caught KeyboardInterrupt", flush=True)
        """,
    )
    process = run("app.py")
    process.wait_for("ready", stream="stdout")
    process.interrupt()
    process.wait_for("caught KeyboardInterrupt", stream="stdout")
    assert process.wait_exit() == 0, process.describe()


def test_ctrl_c_uncaught_ends_the_program(run, workspace):
    workspace.write("app.py", "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.01)\n")
    process = run("app.py")
    process.wait_for("ready", stream="stdout")
    process.interrupt()
    status = process.wait_exit()
    # python itself ends by SIGINT (-2 here, 130 in a shell).
    assert status in (130, -2), process.describe()
    assert "KeyboardInterrupt" in process.stderr, process.describe()


def test_deleted_file_is_reported_and_the_program_keeps_running(run, workspace):
    process = start_loop(run, workspace, "mod")
    path = workspace.path("mod.py")
    path.unlink()
    line = process.wait_for(error_line(path), stream="stderr")
    assert "deleted" in line, process.describe()
    assert process.alive(), process.describe()
    assert states(process) == ["state mod=1"], process.describe()
    # Recreated later (an editor's delete then write, slowly): applied.
    workspace.write("mod.py", function_module(2))
    process.wait_for(state_is(mod=2), stream="stdout")


def test_default_watches_the_current_directory_only(run, workspace):
    """Without -w: modules below the current directory (also in subdirectories)
    are watched, a module imported from elsewhere is not."""
    workspace.write("sub/__init__.py", "")
    workspace.write("sub/a.py", function_module(1))
    outside = workspace.elsewhere / "outside.py"
    outside.write_text(function_module(1))
    workspace.write("main.py", loop_program("sub.a", "outside"))
    process = run(*FAST, "-v", "main.py", env={"PYTHONPATH": str(workspace.elsewhere)})
    process.wait_for(state_is(**{"sub.a": 1, "outside": 1}), stream="stdout")
    outside.write_text(function_module(99))
    for value in (2, 3):
        time.sleep(0.05)
        workspace.save("sub/a.py", function_module(value))
        line = process.wait_for(state_is(**{"sub.a": value}), stream="stdout")
        assert state_is(outside=1)(line), process.describe()
    assert f"Watch {outside}" not in process.stderr, process.describe()


# -- colour ---------------------------------------------------------------------------------


def _stderr_on_a_terminal(entry, entry_kind, workspace, env):
    import pty
    import select

    workspace.write("app.py", "print('done')\n")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        entry + ["-v", "app.py"], cwd=workspace.root, env=child_env(env, entry_kind),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None and not ready:
                break
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
        os.close(master)
    return output.decode("utf-8", "replace")


def test_colour_on_a_terminal(entry, entry_kind, workspace):
    text = _stderr_on_a_terminal(entry, entry_kind, workspace, {"NO_COLOR": None})
    assert "Watch" in text, text
    assert "\x1b[" in text, f"no colour on a terminal: {text!r}"


def test_no_colour_with_NO_COLOR(entry, entry_kind, workspace):
    text = _stderr_on_a_terminal(entry, entry_kind, workspace, {"NO_COLOR": "1"})
    assert "Watch" in text, text
    assert "\x1b[" not in text, f"colour despite NO_COLOR: {text!r}"


def test_no_colour_when_piped(run, workspace):
    workspace.write("app.py", "print('done')\n")
    process = run("-v", "app.py", env={"NO_COLOR": None})
    assert process.wait_exit() == 0, process.describe()
    assert "Watch" in process.stderr
    assert "\x1b[" not in process.stderr, repr(process.stderr)
