"""Every number that becomes a duration (the debounce, the polling interval) is
checked once, by the same rules, whatever the entry: the command line (a usage
error, exit 2), watch() (ValueError), JURIGGED_SESSION in a child Python (one
warning line, no session, the program runs) (issue 20, item 1).

Before, `poll=1e300` in JURIGGED_SESSION stopped every Python of the
environment at startup (a PanicException out of the .pth hook), and
`watch(debounce=1e19)` passed every check, then killed the session's debouncer
at the first save."""

import json
import os
import subprocess
import sys

import pytest

import jurigged
from support.cli import child_env

# Values no timer can hold, for both options; 10**400 is too large for a float.
UNTIMEABLE = [1e300, 1e19, 1e20, 3e6, float("nan"), float("inf"), -float("inf"), -1, -0.5, 10**400, -(10**400)]


@pytest.mark.parametrize("value", UNTIMEABLE, ids=repr)
@pytest.mark.parametrize("option", ["debounce", "poll"])
def test_watch_refuses_a_duration_no_timer_can_hold_with_a_value_error(tmp_path, option, value):
    with pytest.raises(ValueError, match=option):
        jurigged.watch(str(tmp_path / "*.py"), autostart=False, logger=None, **{option: value})


def test_watch_refuses_a_poll_of_zero_as_the_command_line_does(tmp_path):
    for zero in (0, 0.0):
        with pytest.raises(ValueError, match="poll"):
            jurigged.watch(str(tmp_path / "*.py"), autostart=False, logger=None, poll=zero)


def test_watch_accepts_the_durations_it_always_did(tmp_path):
    for options in ({"debounce": 0}, {"debounce": 0.01, "poll": 0.5}, {"poll": True}, {"poll": False}, {}):
        watcher = jurigged.watch(str(tmp_path / "*.py"), autostart=False, logger=None, **options)
        watcher.stop()


@pytest.mark.parametrize(
    "argv",
    [
        ["--debounce", "1e300"],
        ["-d", "1e19"],
        ["-d", "nan"],
        ["-d", "inf"],
        ["-d=-1"],
        ["--poll", "0"],
        ["--poll=-1"],
        ["--poll", "1e300"],
        ["--poll", "nan"],
    ],
    ids=" ".join,
)
def test_the_command_line_refuses_a_duration_no_timer_can_hold_as_a_usage_error(run, workspace, argv):
    workspace.write("main.py", "print('the program ran')\n")
    process = run(*argv, "main.py")
    assert process.wait_exit() == 2, process.describe()
    option = "poll" if any(word.startswith("--poll") for word in argv) else "debounce"
    assert f"{option} must be a number of seconds" in process.stderr, process.describe()
    assert "the program ran" not in process.stdout
    assert "panic" not in process.stderr.lower()


def run_python_with_session(value, tmp_path):
    """`python -c 'print(1)'` with JURIGGED_SESSION set to `value`, as the
    wheel's .pth hook sees it in every Python of the environment."""
    return subprocess.run(
        [sys.executable, "-c", "print(1)"],
        cwd=tmp_path,
        env=child_env({"JURIGGED_SESSION": value}),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_issues_repro_a_session_polling_every_1e300_seconds_never_stops_a_python(tmp_path):
    value = '[{"patterns":[],"excludes":[],"debounce":0.05,"poll":1e300,"logger":"none","children":true}]'
    done = run_python_with_session(value, tmp_path)
    assert (done.returncode, done.stdout) == (0, "1\n"), done.stderr
    warnings = done.stderr.splitlines()
    assert len(warnings) == 1, done.stderr
    assert warnings[0].startswith("jurigged: warning: this process does not apply saves: ValueError(")
    assert "poll must be a number of seconds" in warnings[0]


def session(**changes):
    options = {"patterns": [], "excludes": [], "debounce": 0.05, "poll": None, "logger": "none", "children": True}
    options.update(changes)
    return json.dumps([options])


BROKEN_SESSIONS = {
    "debounce 1e19": session(debounce=1e19),
    "debounce NaN": session(debounce=float("nan")),
    "debounce -Infinity": session(debounce=-float("inf")),
    "debounce -1": session(debounce=-1),
    "debounce a string": session(debounce="soon"),
    "poll 0": session(poll=0),
    "poll 10**400": session(poll=10**400),
    "not JSON": "[{",
    "not a session": "[1]",
    "no options": "[{\"children\": true}]",
}


@pytest.mark.parametrize("value", list(BROKEN_SESSIONS.values()), ids=list(BROKEN_SESSIONS))
def test_a_broken_session_in_the_environment_is_one_warning_and_the_python_runs(tmp_path, value):
    done = run_python_with_session(value, tmp_path)
    assert (done.returncode, done.stdout) == (0, "1\n"), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("jurigged: warning: "), done.stderr


def test_a_valid_session_in_the_environment_joins_silently(tmp_path):
    (tmp_path / "mod.py").write_text("x = 1\n")
    done = run_python_with_session(session(patterns=[str(tmp_path / "*.py")]), tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1\n", "")


def test_the_ipython_magic_refuses_a_poll_of_zero_as_watch_does(tmp_path, monkeypatch):
    # `%jurigged --poll 0` gave system notifications instead (0 was taken for
    # "no polling"); it is refused as `watch(poll=0)` and `--poll 0` are.
    import jurigged.ipython

    monkeypatch.chdir(tmp_path)
    try:
        with pytest.raises(ValueError, match="poll"):
            jurigged.ipython.start(poll=0)
        watcher = jurigged.ipython.start(debounce=None, poll=None)
        assert watcher.debounce == 0.05 and watcher.poll is False
    finally:
        jurigged.ipython.stop()
