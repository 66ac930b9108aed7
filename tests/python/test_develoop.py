"""End-to-end tests of the develoop (`--loop`, `--xloop`, `__.loop`,
`jurigged.loop.loop`) in real terminals: each program runs in a fresh
pseudo-terminal (its controlling terminal), keys are typed on the master side
and what the program draws is read back from it.

Both entry points (`python -m jurigged` and the standalone binary) and both
interfaces (the full-screen `rich` view, the default on a terminal, and the
line-based `basic` one) are covered."""

import re
import time

import pytest

from support.cli import entry_point
from support.waiting import wait_until
from support.terminal import (
    ALT_SCREEN_OFF,
    ALT_SCREEN_ON,
    Terminal,
    lflags,
    save,
    source,
)

# -- fixtures -------------------------------------------------------------------


@pytest.fixture(params=["python", "binary"])
def entry(request):
    """How jurigged is started: `python -m jurigged` or the standalone binary."""
    return entry_point(request.param)


@pytest.fixture(params=["rich", "basic"])
def iface(request):
    return request.param


@pytest.fixture
def prog(tmp_path):
    directory = tmp_path / "prog"
    directory.mkdir()
    return directory


@pytest.fixture
def terminals():
    """Starts programs in terminals; kills whatever is left at the end."""
    started = []

    def start(argv, cwd, **size):
        terminal = Terminal(argv, cwd, **size)
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.close()


def interface_args(iface):
    """The rich view is the default on a terminal: it is asked for by saying
    nothing; the basic one by --loop-interface basic."""
    return [] if iface == "rich" else ["--loop-interface", "basic"]


def press(terminal, iface, key):
    """A develoop command: one key in the rich view, a line in the basic one."""
    terminal.type(key if iface == "rich" else key + "\n")


def assert_in_loop_view(terminal, iface):
    """The develoop took over the terminal the way its interface does."""
    data = terminal.output
    if iface == "rich":
        assert ALT_SCREEN_ON in data, f"the full-screen view never started\n{terminal.describe()}"
        assert b"develoop" in data and b"r re-run" in data, terminal.describe()
    else:
        assert ALT_SCREEN_ON not in data, f"the basic interface drew a full screen\n{terminal.describe()}"
        assert b"[develoop]" in data, terminal.describe()


def assert_left_view(terminal, iface):
    """After the develoop, the full-screen view was left (rich)."""
    if iface == "rich":
        data = terminal.output
        assert data.rfind(ALT_SCREEN_OFF) > data.rfind(ALT_SCREEN_ON), (
            f"the alternate screen was not left\n{terminal.describe()}"
        )


# -- programs -----------------------------------------------------------------

COMPUTE = """\
runs = [0]


def compute():
    runs[0] += 1
    print(f"side effect {runs[0]}")
    return 6 * 7


result = compute()
print(f"continued with {result}")
print("program end")
"""

COMPUTE_EDITED = COMPUTE.replace('print(f"side effect {runs[0]}")', 'print(f"edited output {runs[0]}")').replace(
    "return 6 * 7", "return 100 + 1"
)

FAILING = COMPUTE.replace(
    'print(f"side effect {runs[0]}")\n    return 6 * 7',
    'print(f"about to fail {runs[0]}")\n    raise ValueError("broken on purpose")',
)

SPIN = """\
def spin():
    print("spinning")
    n = 0
    while True:
        n += 1


result = spin()
print(f"continued with {result}")
"""

SPIN_FIXED = SPIN.replace("    while True:\n        n += 1\n", "    return 7\n")


def start_loop(terminals, entry, prog, iface, text, name="compute", option="--loop", extra=()):
    (prog / "prog.py").write_bytes(source(text))
    argv = [*entry, "-d", "0.01", option, name, *interface_args(iface), *extra, "prog.py"]
    return terminals(argv, prog)


# -- the loop runs, re-runs, continues, quits ----------------------------------------


def test_loop_shows_result_and_r_reruns(terminals, entry, prog, iface):
    t = start_loop(terminals, entry, prog, iface, COMPUTE)
    t.wait_screen("side effect 1", "returned 42")
    assert_in_loop_view(t, iface)
    if iface == "rich":
        t.wait_for(re.compile(rb"develoop +compute\(\)"), start=0)
    else:
        t.wait_for("[develoop] running compute()", start=0)
    assert b"continued with" not in t.output, "the program went on without a command"

    press(t, iface, "r")
    t.wait_screen("side effect 2", "returned 42")
    press(t, iface, "r")
    t.wait_screen("side effect 3", "returned 42")
    assert b"side effect 4" not in t.output
    assert t.alive()

    press(t, iface, "c")
    t.wait_for("continued with 42")
    t.wait_for("program end")
    assert t.wait_exit() == 0
    assert_left_view(t, iface)
    data = t.output
    # The program's own output comes after the full-screen view was left.
    if iface == "rich":
        assert data.rfind(ALT_SCREEN_OFF) < data.find(b"continued with 42"), t.describe()
    # The function ran three times in all: continuing does not run it again.
    assert b"side effect 4" not in data
    t.assert_restored()


def test_editing_the_function_reruns_it(terminals, entry, prog, iface):
    t = start_loop(terminals, entry, prog, iface, COMPUTE)
    t.wait_screen("side effect 1", "returned 42")
    save(prog / "prog.py", COMPUTE_EDITED)
    # The counter lives on (the module body is not run again), the function is new.
    t.wait_screen("edited output 2", "returned 101")
    save(prog / "prog.py", COMPUTE_EDITED.replace("100 + 1", "100 + 2"))
    t.wait_screen("edited output 3", "returned 102")
    press(t, iface, "c")
    t.wait_for("continued with 102")
    assert t.wait_exit() == 0
    assert_left_view(t, iface)
    t.assert_restored()


def test_raising_function_shows_traceback_then_fix_is_picked_up(terminals, entry, prog, iface):
    t = start_loop(terminals, entry, prog, iface, FAILING)
    t.wait_screen("about to fail 1", "raised ValueError")
    data = t.output
    assert b"Traceback (most recent call last)" in data, t.describe()
    assert b"ValueError: broken on purpose" in data, t.describe()
    assert b'prog.py", line' in data, t.describe()
    assert t.alive()

    save(prog / "prog.py", COMPUTE)
    t.wait_screen("side effect 2", "returned 42")
    press(t, iface, "c")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0
    t.assert_restored()


def test_q_quits_with_status_0(terminals, entry, prog, iface):
    t = start_loop(terminals, entry, prog, iface, COMPUTE)
    t.wait_for("returned 42")
    press(t, iface, "q")
    assert t.wait_exit() == 0
    data = t.output
    assert b"continued with" not in data and b"program end" not in data, t.describe()
    assert b"Traceback" not in data, t.describe()
    assert_left_view(t, iface)
    t.assert_restored()


# -- aborting a run --------------------------------------------------------------


def test_a_aborts_an_infinite_loop_in_the_rich_view(terminals, entry, prog):
    t = start_loop(terminals, entry, prog, "rich", SPIN, name="spin")
    t.wait_screen("spinning", "running")
    t.wait_quiet(0.3)
    assert t.alive()
    t.type("a")
    t.wait_for("aborted after")
    assert t.alive(), "aborting a run ended the program"
    # The loop goes on: a fix is picked up.
    save(prog / "prog.py", SPIN_FIXED)
    t.wait_for("returned 7")
    t.type("c")
    t.wait_for("continued with 7")
    assert t.wait_exit() == 0
    assert_left_view(t, "rich")
    t.assert_restored()


def test_ctrl_c_aborts_an_infinite_loop_in_the_basic_interface(terminals, entry, prog):
    t = start_loop(terminals, entry, prog, "basic", SPIN, name="spin")
    t.wait_for("spinning")
    t.wait_quiet(0.3)
    assert t.alive()
    t.type(b"\x03")  # cooked mode: the terminal sends SIGINT
    t.wait_for("[develoop] aborted after")
    assert t.alive(), f"Ctrl-C during a run ended the program\n{t.describe()}"
    t.wait_for("r: re-run")
    # The loop goes on: r starts the run again, Ctrl-C aborts it again.
    t.type("r\n")
    t.wait_for("spinning")
    t.wait_quiet(0.3)
    t.type(b"\x03")
    t.wait_for("[develoop] aborted after")
    t.type("q\n")
    assert t.wait_exit() == 0
    t.assert_restored()


# -- xloop ------------------------------------------------------------------------


def test_xloop_on_a_function_that_does_not_raise_never_stops(terminals, entry, prog, iface):
    t = start_loop(terminals, entry, prog, iface, COMPUTE, option="--xloop")
    t.wait_for("side effect 1")
    t.wait_for("continued with 42")
    t.wait_for("program end")
    assert t.wait_exit() == 0
    data = t.output
    assert ALT_SCREEN_ON not in data, f"xloop drew the develoop\n{t.describe()}"
    assert b"[develoop]" not in data and b"returned 42" not in data, t.describe()
    assert b"side effect 2" not in data
    t.assert_restored()


def test_xloop_on_a_raising_function_enters_the_loop(terminals, entry, prog, iface):
    t = start_loop(terminals, entry, prog, iface, FAILING, option="-x")
    t.wait_for("raised ValueError")
    data = t.output
    assert b"ValueError: broken on purpose" in data, t.describe()
    assert_in_loop_view(t, iface)
    assert b"continued with" not in data
    assert t.alive()
    # The first run happened outside the loop; the loop shows its exception.
    assert data.count(b"about to fail 2") == 0
    save(prog / "prog.py", COMPUTE)
    t.wait_screen("side effect 2", "returned 42")
    press(t, iface, "c")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0
    assert_left_view(t, iface)
    t.assert_restored()


# -- the terminal is restored on every way out --------------------------------------


@pytest.mark.parametrize("when", ["waiting", "running", "blocked"])
def test_ctrl_c_in_the_rich_view_ends_the_program_and_restores_the_terminal(terminals, entry, prog, when):
    if when == "waiting":
        t = start_loop(terminals, entry, prog, "rich", COMPUTE)
        t.wait_for("returned 42")
    elif when == "blocked":
        t = start_loop(terminals, entry, prog, "rich", BLOCKING["sleep"], name="nap")
        wait_until_blocked(t)
    else:
        t = start_loop(terminals, entry, prog, "rich", SPIN, name="spin")
        t.wait_for("spinning")
        t.wait_quiet(0.3)
    t.type(b"\x03")  # raw mode: a key, not a signal
    status = t.wait_exit()
    assert status == 130, f"status {status}\n{t.describe()}"
    data = t.output
    assert b"KeyboardInterrupt" in data, t.describe()
    assert b"continued with" not in data
    assert_left_view(t, "rich")
    t.assert_restored()


def test_terminal_restored_after_an_exception(terminals, entry, prog, iface):
    """c on a run that raised: the exception goes on through the program,
    which ends with it."""
    t = start_loop(terminals, entry, prog, iface, FAILING)
    t.wait_for("raised ValueError")
    press(t, iface, "c")
    status = t.wait_exit()
    assert status == 1, f"status {status}\n{t.describe()}"
    data = t.output
    assert b"continued with" not in data
    assert_left_view(t, iface)
    # The program's traceback is printed on the normal screen.
    tail = data[data.rfind(ALT_SCREEN_OFF) :] if iface == "rich" else data
    assert b"ValueError: broken on purpose" in tail, t.describe()
    t.assert_restored()


def test_terminal_restored_after_the_program_raises_later(terminals, entry, prog):
    """The loop ends with c; the program then raises on its own."""
    (prog / "prog.py").write_bytes(source(COMPUTE + "raise RuntimeError('after the loop')\n"))
    t = terminals([*entry, "-d", "0.01", "-l", "compute", "prog.py"], prog)
    t.wait_for("returned 42")
    t.type("c")
    t.wait_for("continued with 42")
    status = t.wait_exit()
    assert status == 1, f"status {status}\n{t.describe()}"
    assert b"RuntimeError: after the loop" in t.output, t.describe()
    t.assert_restored()


# -- in code: __.loop with --dev, jurigged.loop.loop ------------------------------------


def test_dunder_loop_decorator_with_dev(terminals, entry, prog):
    (prog / "prog.py").write_bytes(
        source(
            """\
            runs = [0]


            @__.loop(interface="basic")
            def compute(x):
                runs[0] += 1
                print(f"side effect {runs[0]}")
                return x * 2


            result = compute(21)
            print(f"continued with {result}")
            """
        )
    )
    t = terminals([*entry, "-d", "0.01", "--dev", "prog.py"], prog)
    t.wait_for("[develoop] running compute(x)")
    t.wait_screen("side effect 1", "[develoop] returned 42")
    assert ALT_SCREEN_ON not in t.output, "interface='basic' was not honoured"
    t.type("r\n")
    t.wait_screen("side effect 2", "[develoop] returned 42")
    t.type("c\n")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0
    t.assert_restored()


def test_dunder_is_not_in_builtins_without_dev(terminals, entry, prog):
    (prog / "prog.py").write_bytes(source("print('has __:', hasattr(__builtins__, '__') or '__' in dir(__builtins__))\n"))
    t = terminals([*entry, "prog.py"], prog)
    t.wait_for("has __: False")
    assert t.wait_exit() == 0


def test_loop_imported_from_jurigged_loop(terminals, entry, prog):
    """`@loop` without arguments: the rich view on a terminal; a save re-runs."""
    (prog / "prog.py").write_bytes(
        source(
            """\
            from jurigged.loop import loop


            @loop
            def compute():
                print("first version")
                return 1


            result = compute()
            print(f"continued with {result}")
            """
        )
    )
    t = terminals([*entry, "-d", "0.01", "prog.py"], prog)
    t.wait_screen("first version", "returned 1")
    assert_in_loop_view(t, "rich")
    save(
        prog / "prog.py",
        (prog / "prog.py").read_text().replace('"first version")\n    return 1', '"second version")\n    return 2'),
    )
    t.wait_screen("second version", "returned 2")
    t.type("c")
    t.wait_for("continued with 2")
    assert t.wait_exit() == 0
    assert_left_view(t, "rich")
    t.assert_restored()


ASKING = """\
def ask():
    name = input("name? ")
    print(f"hello {name}")
    return name.upper()


result = ask()
print(f"continued with {result}")
"""


def start_asking_loop(terminals, entry, prog, iface="basic"):
    """A loop on a function that reads a name with input()."""
    return start_loop(terminals, entry, prog, iface, ASKING, name="ask")


def continue_to_the_end(terminal, iface, expected):
    """`c`: the program goes on with `expected`, ends with status 0 and leaves
    the terminal as it was."""
    press(terminal, iface, "c")
    terminal.wait_for(expected)
    assert terminal.wait_exit() == 0
    assert_left_view(terminal, iface)
    terminal.assert_restored()


def test_input_inside_a_basic_loop_function(terminals, entry, prog):
    t = start_asking_loop(terminals, entry, prog)
    t.wait_for("name? ")
    t.type("world\n")
    t.wait_screen("hello world", "[develoop] returned 'WORLD'")
    t.type("r\n")
    t.wait_for("name? ")
    t.type("again\n")
    t.wait_screen("hello again", "[develoop] returned 'AGAIN'")
    t.type("c\n")
    t.wait_for("continued with AGAIN")
    assert t.wait_exit() == 0
    t.assert_restored()


def test_basic_interface_single_keys_act_without_enter_on_a_terminal(terminals, entry, prog):
    t = start_loop(terminals, entry, prog, "basic", COMPUTE)
    t.wait_screen("side effect 1", "[develoop] returned 42")
    # Between runs, the terminal gives keys one by one, unechoed.
    wait_for_lflags(t, (False, False))
    mark = t.mark()
    t.type("r")
    t.wait_for("side effect 2", start=mark)
    t.wait_for("[develoop] returned 42", start=mark)
    t.type("a")
    t.wait_for("[develoop] nothing is running")
    t.type("c")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0
    t.assert_restored()


def test_basic_interface_q_quits_at_once_on_a_terminal(terminals, entry, prog):
    t = start_loop(terminals, entry, prog, "basic", COMPUTE)
    t.wait_for("[develoop] returned 42")
    t.type("q")
    assert t.wait_exit() == 0
    assert b"continued with" not in t.output
    t.assert_restored()


def test_basic_interface_leaves_stdin_to_the_function_during_a_run(terminals, entry, prog):
    t = start_asking_loop(terminals, entry, prog)
    t.wait_for("name? ")
    t.type("world\n")
    t.wait_screen("hello world", "[develoop] returned 'WORLD'")
    wait_for_lflags(t, (False, False))
    mark = t.mark()
    t.type("r")
    t.wait_for("name? ", start=mark)
    # The run reads its line itself, echoed, in the terminal's usual mode.
    wait_for_lflags(t, (True, True))
    t.type("again\n")
    t.wait_for("again", start=mark)
    t.wait_screen("hello again", "[develoop] returned 'AGAIN'")
    t.type("c")
    t.wait_for("continued with AGAIN")
    assert t.wait_exit() == 0
    t.assert_restored()


def wait_for_lflags(terminal, expected):
    """Waits until the terminal's (ECHO, ICANON) are `expected`."""
    wait_until(lambda: lflags(terminal.after()) == expected, what=f"the terminal's (ECHO, ICANON) to be {expected}")


# -- naming the function: module:function, /module/qual/path ------------------------------

HELPERS = """\
def work(x):
    print(f"working on {x}")
    return x * 2
"""

USES_HELPERS = """\
import helpers

result = helpers.work(21)
print(f"continued with {result}")
"""


def test_loop_on_a_function_in_an_imported_module(terminals, entry, prog, iface):
    (prog / "helpers.py").write_bytes(source(HELPERS))
    (prog / "prog.py").write_bytes(source(USES_HELPERS))
    t = terminals([*entry, "-d", "0.01", "-l", "helpers:work", *interface_args(iface), "prog.py"], prog)
    t.wait_screen("working on 21", "returned 42")
    assert_in_loop_view(t, iface)
    save(prog / "helpers.py", HELPERS.replace("x * 2", "x * 3").replace("working on", "now working on"))
    t.wait_screen("now working on 21", "returned 63")
    press(t, iface, "c")
    t.wait_for("continued with 63")
    assert t.wait_exit() == 0
    t.assert_restored()


def test_loop_on_a_method_by_path(terminals, entry, prog):
    (prog / "helpers.py").write_bytes(
        source(
            """\
            class Worker:
                def run(self, x):
                    print(f"method on {x}")
                    return x + 1
            """
        )
    )
    (prog / "prog.py").write_bytes(
        source(
            """\
            from helpers import Worker

            print(f"continued with {Worker().run(41)}")
            """
        )
    )
    t = terminals(
        [*entry, "-d", "0.01", "-l", "/helpers/Worker/run", "--loop-interface", "basic", "prog.py"], prog
    )
    t.wait_screen("method on 41", "[develoop] returned 42")
    t.type("c\n")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0


# -- nothing else on the terminal -------------------------------------------------------


def test_no_error_is_printed_before_the_loop(terminals, entry, prog):
    """Starting jurigged in a terminal prints nothing of its own before the
    develoop (no error about watching files that do not exist)."""
    t = start_loop(terminals, entry, prog, "basic", COMPUTE)
    t.wait_for("[develoop] returned 42")
    before = t.output[: t.output.find(b"[develoop] running")]
    assert before.strip() == b"", f"printed before the loop: {before!r}"
    t.type("q\n")
    assert t.wait_exit() == 0


# -- the rich view while the function blocks in C ------------------------------------

NAPPING = """\
{set_up}


def nap():
    print("blocking now")
    {blocking_call}
    return 7


result = nap()
print(f"continued with {{result}}")
"""

#: Functions that block in C: in time.sleep(), in a socket read.
BLOCKING = {
    "sleep": NAPPING.format(set_up="import time", blocking_call="time.sleep(100)"),
    "socket": NAPPING.format(
        set_up="import socket\n\nours, theirs = socket.socketpair()", blocking_call="ours.recv(1)"
    ),
}

#: The status line of a run that has been going for half a second or more.
BLOCKED_FOR_A_WHILE = re.compile("running\u2026 (0\\.[5-9]|[1-9])".encode("utf-8"))


def wait_until_blocked(terminal):
    """Waits until the function has printed and its run has lasted half a
    second by the view's own clock: it sits in its blocking call."""
    terminal.wait_screen("blocking now")
    terminal.wait_for(BLOCKED_FOR_A_WHILE)


@pytest.mark.parametrize("blocker", ["sleep", "socket"])
def test_a_aborts_a_run_blocked_in_c_at_once(terminals, entry, prog, blocker):
    """`a` stops a function blocked in time.sleep() or a socket read: the run
    gets a KeyboardInterrupt, as Ctrl-C gives it under python, within half a
    second; the loop goes on."""
    t = start_loop(terminals, entry, prog, "rich", BLOCKING[blocker], name="nap")
    wait_until_blocked(t)
    pressed = time.monotonic()
    t.type("a")
    t.wait_for("aborted after")
    took = time.monotonic() - pressed
    assert took < 0.5, f"the abort took {took:.2f} s\n{t.describe()}"
    assert t.alive(), "aborting a run ended the program"
    save(prog / "prog.py", BLOCKING[blocker].replace("    print(\"blocking now\")\n", "    print(\"not blocking\")\n    return 8\n"))
    t.wait_screen("not blocking", "returned 8")
    continue_to_the_end(t, "rich", "continued with 8")


@pytest.mark.parametrize("blocker", ["sleep", "socket"])
def test_q_during_a_blocked_run_ends_the_program_cleanly(terminals, entry, prog, blocker):
    t = start_loop(terminals, entry, prog, "rich", BLOCKING[blocker], name="nap")
    wait_until_blocked(t)
    t.type("q")
    status = t.wait_exit()
    data = t.output
    assert status == 0, f"status {status}\n{t.describe()}"
    assert b"Traceback" not in data and b"KeyboardInterrupt" not in data, t.describe()
    assert b"continued with" not in data
    assert_left_view(t, "rich")
    t.assert_restored()


def test_input_in_the_rich_view_reads_the_line_on_the_normal_screen(terminals, entry, prog):
    """input() in the function: the full screen steps aside for the line
    (typed, echoed, in the terminal's usual mode) and comes back."""
    t = start_asking_loop(terminals, entry, prog, "rich")
    t.wait_for(ALT_SCREEN_ON)
    t.wait_for(ALT_SCREEN_OFF)
    t.wait_for("name? ")
    wait_for_lflags(t, (True, True))
    t.type("world\n")
    t.wait_for(ALT_SCREEN_ON)
    t.wait_screen("name? world", "hello world", "returned 'WORLD'")
    t.type("r")
    t.wait_for(ALT_SCREEN_OFF)
    t.wait_for("name? ")
    wait_for_lflags(t, (True, True))
    t.type("again\n")
    t.wait_screen("hello again", "returned 'AGAIN'")
    continue_to_the_end(t, "rich", "continued with AGAIN")


def test_ctrl_c_while_input_reads_a_line_aborts_the_run_and_the_view_comes_back(terminals, entry, prog):
    t = start_asking_loop(terminals, entry, prog, "rich")
    t.wait_for(ALT_SCREEN_OFF)
    t.wait_for("name? ")
    wait_for_lflags(t, (True, True))
    t.type(b"\x03")  # the terminal's usual mode: SIGINT
    t.wait_for(ALT_SCREEN_ON)
    t.wait_screen("aborted after", "r re-run")
    assert t.alive(), f"Ctrl-C at the prompt ended the program\n{t.describe()}"
    wait_for_lflags(t, (False, False))
    t.type("q")
    assert t.wait_exit() == 0
    assert b"Traceback" not in t.output, t.describe()
    assert_left_view(t, "rich")
    t.assert_restored()



def test_c_leaves_the_last_runs_output_on_the_normal_screen(terminals, entry, prog):
    t = start_loop(terminals, entry, prog, "rich", COMPUTE)
    t.wait_screen("side effect 1", "returned 42")
    t.type("r")
    t.wait_screen("side effect 2", "returned 42")
    t.type("c")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0
    data = t.output
    normal = data[data.rfind(ALT_SCREEN_OFF) :]
    assert b"side effect 2" in normal, f"the last run's output is not on the normal screen\n{t.describe()}"
    assert normal.find(b"side effect 2") < normal.find(b"continued with 42")
    assert b"side effect 1" not in normal, "only the last run's output is shown"
    t.assert_restored()


# -- --loop NAME that the program never defines ------------------------------------------

NEVER_ENDS = """\
import time

import helpers

if True:
    def hidden():
        return 1

print("main loop started")
while True:
    time.sleep(0.05)
"""


def test_a_loop_target_never_defined_is_reported_at_start(terminals, entry, prog):
    """`-l gret` where nothing named gret is ever defined: said as soon as the
    script (and each module named) starts, not when the program ends (this
    one never does); a name bound inside a block is not reported."""
    (prog / "helpers.py").write_bytes(source(HELPERS))
    (prog / "prog.py").write_bytes(source(NEVER_ENDS))
    argv = [*entry, "-d", "0.01", "-l", "gret", "-l", "hidden", "-x", "helpers:wrok", "-l", "helpers:work"]
    # threading is imported before the program starts (the session's thread).
    argv += ["-l", "threading:Thred", "prog.py"]
    t = terminals(argv, prog)
    t.wait_for("main loop started", start=0)
    t.wait_for("jurigged: --loop gret: prog.py does not define gret; no loop on it", start=0)
    t.wait_for("jurigged: --xloop helpers:wrok: helpers.py does not define wrok; no loop on it", start=0)
    t.wait_for("jurigged: --loop threading:Thred: threading.py does not define Thred; no loop on it", start=0)
    assert t.alive()
    data = t.output
    assert b"hidden" not in data and b"helpers:work" not in data, t.describe()


# -- the rules and the key bar follow the terminal's width ---------------------------------


def rule(width):
    """A rule line exactly `width` columns wide, as one line of a frame."""
    return b"\r\n" + ("\u2500" * width).encode("utf-8") + b"\r\n"


def test_rules_follow_the_terminal_width_and_a_narrow_one_gets_a_short_key_bar(terminals, entry, prog):
    (prog / "prog.py").write_bytes(source(COMPUTE))
    t = terminals([*entry, "-d", "0.01", "--loop", "compute", "prog.py"], prog, rows=24, columns=120)
    t.wait_screen(rule(120), "returned 42", "q quit \u00b7 save a watched file to re-run")
    t.resize(24, 36)
    t.wait_screen(rule(36), "r run \u00b7 a abort \u00b7 c cont \u00b7 q quit", "returned 42")
    t.resize(24, 60)
    t.wait_screen(rule(60), "r re-run \u00b7 a abort \u00b7 c continue \u00b7 q quit")
    t.type("c")
    t.wait_for("continued with 42")
    assert t.wait_exit() == 0
