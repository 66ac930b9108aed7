"""A child Python of a program running under jurigged joins its sessions.

`jurigged_children.pth` (installed next to the package) imports this module at
startup only when the environment variable JURIGGED_SESSION is set: a parent
with a running session sets it to a JSON list of its sessions' options. Pythons
that are not children of a session pay one lookup in `os.environ`; those that
are but do not join import this module and `json`, never the `jurigged` package.

`multiprocessing`'s children (spawn and forkserver start methods, and so
`concurrent.futures.ProcessPoolExecutor`) join every session; any other Python
joins only the sessions started with `children=True` (`--children`). Forked
children need none of this: they re-arm the sessions they inherit.
"""

import os
import sys

#: How multiprocessing starts the Python of a spawned child and of a
#: forkserver: `python -c '...; <one of these>...'` (spawn also appends
#: `--multiprocessing-fork`). Its resource tracker, which runs no user code,
#: is not among them.
_MULTIPROCESSING_COMMANDS = (
    "from multiprocessing.spawn import spawn_main",
    "from multiprocessing.forkserver import main",
)


def _command_line():
    """This interpreter's full command line (sys.argv lacks the `-c` text)."""
    argv = getattr(sys, "orig_argv", None)  # Python 3.10+
    if argv is not None:
        return list(argv)
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [os.fsdecode(word) for word in f.read().split(b"\0") if word]
    except OSError:
        return list(sys.argv)


def started_by_multiprocessing(argv):
    """Whether `argv` is the command line of a multiprocessing child or
    forkserver."""
    if "--multiprocessing-fork" in argv[1:]:
        return True
    for flag, command in zip(argv, argv[1:]):
        # 3.14 prefixes the forkserver's with `import sys; `.
        statements = (statement.strip() for statement in command.split(";"))
        if flag == "-c" and any(statement.startswith(_MULTIPROCESSING_COMMANDS) for statement in statements):
            return True
    return False


def _logger(kind):
    import jurigged

    if kind == "verbose":
        return jurigged.verbose_logger
    if kind == "errors":
        return jurigged.default_logger
    return lambda event: None


#: Whether join() ran: in a virtual environment, some Pythons (3.11) process the
#: .pth files of site-packages twice.
_joined = False


def join():
    """Starts, in this process, the parent's sessions it is to join. Never
    raises, not even a BaseException: a child that cannot join (options that
    watch() refuses, a broken JURIGGED_SESSION) says so in one line on stderr
    and runs on without live updates."""
    global _joined
    if _joined:
        return
    _joined = True
    try:
        sessions = _read_sessions()
        if not all(s.get("children") for s in sessions) and not started_by_multiprocessing(_command_line()):
            sessions = [s for s in sessions if s.get("children")]
        if not sessions:
            return
        import jurigged
        from jurigged import _jurigged

        _jurigged._tag_logs_with_pid()
        for options in sessions:
            jurigged.watch(
                options["patterns"],
                exclude=options["excludes"],
                debounce=options["debounce"],
                poll=options["poll"],
                logger=_logger(options["logger"]),
                children=options["children"],
                rerun_dependents=options.get("rerun_dependents", True),
            )
    except BaseException as error:  # the child's own program comes first, whatever happened here
        # One line, and never a second failure: site runs this for every
        # Python of the environment, and an exception out of it stops that Python.
        try:
            sys.stderr.write(f"jurigged: warning: this process does not apply saves: {error!r} [pid {os.getpid()}]\n")
        except BaseException:  # no stderr (pythonw, closed): stay silent
            pass


def _read_sessions():
    import json

    sessions = json.loads(os.environ.get("JURIGGED_SESSION", "[]"))
    return sessions if isinstance(sessions, list) else []
