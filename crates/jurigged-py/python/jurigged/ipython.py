"""jurigged in IPython and Jupyter kernels: `%load_ext jurigged`.

Loading the extension watches the working directory (as the `jurigged` command
does: without .venv, venv, site-packages, dist-packages, .tox and .nox) and
adds the `%jurigged` line magic:

    %jurigged                  # what is watched
    %jurigged -w src -v        # watch src instead, print every change applied
    %jurigged --exclude 'tests/*' -d 0.2 --poll 1
    %jurigged off              # stop watching (%jurigged again starts anew)

Messages are written to `sys.stdout`/`sys.stderr` as they are when the message
is written: in a kernel those are the kernel's streams, which send them to the
notebook, not to the terminal the kernel was started from. ipykernel sends what
a thread writes to the cell that started the thread (here the `%load_ext` cell,
perhaps far above); the extension instead gives each message the cell running,
or the last cell run when the save comes between cells, with the stream's
`set_parent` (before each save) and the kernel's `get_parent`, so it shows
where one is looking.

IPython is imported by nothing here: the module only receives its shell.
"""

import argparse
import os
import shlex
import sys

#: The watcher the extension started, the options it was started with, and the
#: kernel's request of the cell running or last run (None outside a kernel).
_state = {"watcher": None, "options": None, "cell": None, "hook": None}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises on a usage error instead of exiting the kernel."""

    def error(self, message):
        raise _UsageError(f"{message}\n{self.format_usage()}")


def _parser():
    parser = _Parser(prog="%jurigged", add_help=False)
    parser.add_argument("command", nargs="?", choices=["on", "off"], default=None)
    parser.add_argument("-w", "--watch", action="append", default=[], metavar="PATH")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("-d", "--debounce", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--poll", type=float, default=None, metavar="SECONDS")
    parser.add_argument("-h", "--help", action="store_true")
    return parser


def _parse(line):
    parser = _parser()
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    return parser, parser.parse_args(words)


def start(watch=(), exclude=(), verbose=False, debounce=None, poll=None):
    """Stops the extension's watcher if one runs, then watches `watch` (the
    working directory when empty, paths made absolute now so that a later
    os.chdir changes nothing) with the given options, which watch() checks
    (None: its default). Returns the watcher."""
    import jurigged
    from jurigged._jurigged import DEFAULT_EXCLUDES  # as with the `jurigged` command

    stop()
    if watch:
        patterns = [os.path.abspath(os.path.expanduser(path)) for path in watch]
        excludes = list(exclude)
    else:
        patterns = [os.getcwd()]
        excludes = list(DEFAULT_EXCLUDES) + list(exclude)
    logger = jurigged.verbose_logger if verbose else jurigged.default_logger
    watcher = jurigged.watch(patterns, logger=logger, debounce=debounce, poll=False if poll is None else poll, exclude=excludes)
    watcher.prerun.register(_write_under_the_cell)
    _state["watcher"] = watcher
    _state["options"] = {"watch": patterns, "exclude": excludes, "verbose": verbose}
    return watcher


def _write_under_the_cell(path=None, codefile=None):
    """The watcher's prerun callback (on the thread that applies the save and
    logs it, before it does): makes the kernel's streams send what this thread
    writes under the cell running or last run (see the module's docstring)."""
    cell = _state["cell"]
    if not cell:
        return
    for stream in (sys.stdout, sys.stderr):
        set_parent = getattr(stream, "set_parent", None)
        if set_parent is not None:
            set_parent(cell)


def _cell_hook(ip):
    """A pre_run_cell callback that remembers the kernel's request of the cell
    about to run; None outside a kernel (terminal IPython)."""
    kernel = getattr(ip, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    if get_parent is None:
        return None

    def remember(info=None):
        _state["cell"] = get_parent("shell")

    return remember


def stop():
    """Stops the extension's watcher, if one runs."""
    watcher, _state["watcher"] = _state["watcher"], None
    _state["options"] = None
    if watcher is not None:
        watcher.stop()


def _describe():
    options = _state["options"]
    if options is None:
        return "jurigged: not watching (%jurigged to start)"
    excludes = f", excluding {', '.join(options['exclude'])}" if options["exclude"] else ""
    verbose = ", verbose" if options["verbose"] else ""
    return f"jurigged: watching {', '.join(options['watch'])}{excludes}{verbose}"


def jurigged_magic(line):
    """%jurigged [on|off] [-w PATH]... [--exclude GLOB]... [-v] [-d SECONDS] [--poll SECONDS]

    Without arguments, says what is watched. `off` stops watching; `on` or any
    option (re)starts watching with these options only."""
    try:
        parser, args = _parse(line)
    except _UsageError as error:
        print(f"%jurigged: {error}")
        return
    if args.help:
        print(jurigged_magic.__doc__)
        return
    if args.command == "off":
        stop()
        print("jurigged: stopped")
        return
    if line.strip():
        start(args.watch, args.exclude, args.verbose, args.debounce, args.poll)
    print(_describe())


def load_ipython_extension(ip):
    """`%load_ext jurigged`: registers %jurigged and watches the working
    directory (unless the extension already watches something)."""
    ip.register_magic_function(jurigged_magic, magic_kind="line", magic_name="jurigged")
    hook = _cell_hook(ip)
    if hook is not None and _state["hook"] is None:
        ip.events.register("pre_run_cell", hook)
        _state["hook"] = hook
        hook()  # this cell: the %load_ext one
    if _state["watcher"] is None:
        start()
    print(_describe())


def unload_ipython_extension(ip):
    """`%unload_ext jurigged`: stops watching."""
    stop()
    hook, _state["hook"] = _state["hook"], None
    if hook is not None:
        ip.events.unregister("pre_run_cell", hook)
    _state["cell"] = None
