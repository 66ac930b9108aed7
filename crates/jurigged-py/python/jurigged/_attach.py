"""What `jurigged attach PID` runs inside the process it attaches to.

The attaching command writes a small script that Python 3.14's `sys.remote_exec`
runs in the target at its next safe point, on its main thread. That script
imports this module and calls `start` (or `stop` for `jurigged detach`), which
reports back through a status file: the attaching command waits for it.
"""

import json
import os
import sys

# The attached session of this process: (watcher, options), or None.
_session = None


def _write_status(path, **status):
    # Written aside and renamed: the attaching command never reads half a file.
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as fh:
        json.dump(status, fh)
    os.replace(partial, path)


def _following(path):
    """A logger that also hands each event's line to the attaching terminal, for
    as long as it follows: it removes the file when it stops, and then nothing is
    written (the file is never created here)."""

    def follow(event):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK)
        except OSError:
            return
        try:
            os.write(fd, (str(event) + "\n").encode("utf-8", "replace"))
        except OSError:
            pass
        finally:
            os.close(fd)

    return follow


def start(options, status_path, follow_path, lent_from=None):
    """Starts the session `jurigged attach` asked for, once per process."""
    global _session
    if _session is not None:
        _write_status(status_path, ok=False, reason="attached", options=_session[1])
        return
    from . import default_logger, verbose_logger, watch

    log = verbose_logger if options.get("verbose") else default_logger
    follow = _following(follow_path)

    def logger(event):
        log(event)
        follow(event)

    watcher = watch(
        options.get("patterns") or None,
        logger=logger,
        debounce=options.get("debounce"),
        poll=options.get("poll"),
        exclude=options.get("excludes") or None,
        events=options.get("events"),
    )
    _session = (watcher, options)
    _write_status(
        status_path,
        ok=True,
        python=sys.version.split()[0],
        cwd=os.getcwd(),
        package=os.path.dirname(os.path.abspath(__file__)),
        lent_from=lent_from,
    )


def stop(status_path):
    """Stops the attached session, if there is one."""
    global _session
    if _session is None:
        _write_status(status_path, ok=False, reason="not-attached")
        return
    watcher, options = _session
    _session = None
    watcher.stop()
    _write_status(status_path, ok=True, options=options)
