"""Helpers for driving `jurigged` in a real terminal: a pseudo-terminal whose
slave side is the child's controlling terminal (stdin, stdout and stderr), a
reader thread that drains the master side, and deadline-based waits on what the
child wrote."""

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import textwrap
import threading
import time


ROWS, COLUMNS = 24, 100

#: Entering and leaving the alternate screen (the full-screen view).
ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"
#: Clearing the whole screen: the start of each frame of the full-screen view.
CLEAR_SCREEN = b"\x1b[2J"


from support.waiting import TIMEOUT, wait_until  # noqa: E402


def terminal_env(extra=None):
    env = dict(os.environ)
    env.update(TERM="xterm", NO_COLOR="1", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    for key in ("PYTHONSTARTUP", "VIRTUAL_ENV", "COLUMNS", "LINES", "PYTHONBREAKPOINT"):
        env.pop(key, None)
    env.update(extra or {})
    return env


def _become_terminal_owner():
    # Runs in the child after setsid(): the slave (fd 0) becomes the
    # controlling terminal, so that ^C typed in cooked mode sends SIGINT.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def lflags(attributes):
    """(ECHO, ICANON) of a termios attribute list."""
    return bool(attributes[3] & termios.ECHO), bool(attributes[3] & termios.ICANON)


class Terminal:
    """A child process running in a fresh pseudo-terminal of ROWS×COLUMNS."""

    def __init__(self, argv, cwd, env=None, rows=ROWS, columns=COLUMNS):
        self.argv = [str(a) for a in argv]
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        #: The slave's termios before the child ran.
        self.before = termios.tcgetattr(self.slave)
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._eof = False
        #: select() rounds of the reader that found nothing to read.
        self._empty_rounds = 0
        #: Where the next wait starts looking (an index in the output).
        self.cursor = 0
        self.popen = subprocess.Popen(
            self.argv,
            cwd=str(cwd),
            env=env or terminal_env(),
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            close_fds=True,
            start_new_session=True,
            preexec_fn=_become_terminal_owner,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- output --------------------------------------------------------------

    def _read(self):
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
            except (OSError, ValueError):
                break
            if not ready:
                self._empty_rounds += 1
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                data = b""
            if not data:
                self._eof = True
                break
            with self._lock:
                self._buffer += data

    @property
    def output(self):
        """Everything the child wrote to the terminal so far."""
        with self._lock:
            return bytes(self._buffer)

    def since(self, mark):
        return self.output[mark:]

    def mark(self):
        """The current end of the output (to look only at what comes next)."""
        return len(self.output)

    def wait_for(self, pattern, timeout=TIMEOUT, start=None):
        """Waits until the output after `start` (default: the end of the
        previous match) contains `pattern` (str, bytes or a compiled bytes
        regex); moves the cursor past the match and returns the match's end."""
        if isinstance(pattern, str):
            pattern = pattern.encode("utf-8")
        begin = self.cursor if start is None else start
        deadline = time.monotonic() + timeout
        while True:
            data = self.output
            if isinstance(pattern, re.Pattern):
                found = pattern.search(data, begin)
                end = found.end() if found else -1
            else:
                index = data.find(pattern, begin)
                end = index + len(pattern) if index >= 0 else -1
            if end >= 0:
                self.cursor = end
                return end
            if time.monotonic() > deadline:
                raise AssertionError(f"no {pattern!r} on the terminal within {timeout} s\n{self.describe()}")
            if self.popen.poll() is not None and self._reader_done() and len(self.output) == len(data):
                raise AssertionError(f"the process ended without showing {pattern!r}\n{self.describe()}")
            time.sleep(0.02)

    def wait_screen(self, *patterns, timeout=TIMEOUT, start=None):
        """Waits until one screenful after `start` (default: the cursor) shows
        every pattern (str or bytes): in the full-screen view, one frame (the
        output between two clears of the screen); in line mode, anything
        after `start`. Moves the cursor past the last of them."""
        wanted = [p.encode("utf-8") if isinstance(p, str) else p for p in patterns]
        begin = self.cursor if start is None else start
        deadline = time.monotonic() + timeout
        while True:
            data = self.output
            offset = begin
            for chunk in data[begin:].split(CLEAR_SCREEN):
                ends = [chunk.find(p) for p in wanted]
                if all(e >= 0 for e in ends):
                    self.cursor = offset + max(e + len(p) for e, p in zip(ends, wanted))
                    return self.cursor
                offset += len(chunk) + len(CLEAR_SCREEN)
            if time.monotonic() > deadline:
                raise AssertionError(f"no screen with all of {wanted!r} within {timeout} s\n{self.describe()}")
            if self.popen.poll() is not None and self._reader_done() and len(self.output) == len(data):
                raise AssertionError(f"the process ended without showing all of {wanted!r}\n{self.describe()}")
            time.sleep(0.02)

    def _reader_done(self):
        """After the child ended: waits until the reader has collected all of
        its output (a whole select() round of the reader began after this call
        and found nothing left), however loaded the machine."""
        start = self._empty_rounds
        wait_until(
            lambda: self._eof or self._empty_rounds >= start + 2 or not self._reader.is_alive(),
            what="the rest of the terminal output",
        )
        return True

    def wait_quiet(self, seconds):
        """Lets the child run for `seconds` (its output keeps being collected)."""
        time.sleep(seconds)

    # -- input ---------------------------------------------------------------

    def type(self, data):
        """Types `data` (str or bytes) on the terminal's keyboard."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        os.write(self.master, data)

    def resize(self, rows, columns):
        """Resizes the terminal, as a terminal window does (the kernel sends
        SIGWINCH to the child's process group)."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    # -- the process -----------------------------------------------------------

    def wait_exit(self, timeout=TIMEOUT):
        """Waits for the child to end; returns its exit status."""
        try:
            status = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the process did not end within {timeout} s\n{self.describe()}") from None
        self._reader_done()
        return status

    def alive(self):
        return self.popen.poll() is None

    def after(self):
        """The slave's termios now (after the child ended)."""
        return termios.tcgetattr(self.slave)

    def assert_restored(self):
        """The terminal is as it was before the child ran: echo and canonical
        mode on, every other attribute equal."""
        after = self.after()
        assert lflags(after) == (True, True), f"ECHO/ICANON after exit: {lflags(after)}\n{self.describe()}"
        assert lflags(self.before) == (True, True)
        assert after == self.before, f"termios before {self.before}\nafter {after}"

    def close(self):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, 9)
            except OSError:
                self.popen.kill()
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self._stop.set()
        self._reader.join(timeout=2)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def text(self):
        return self.output.decode("utf-8", errors="replace")

    def describe(self):
        status = self.popen.poll()
        data = self.output
        return (
            f"command: {self.argv}\n"
            f"status: {'running' if status is None else status}\n"
            f"--- terminal output ({len(data)} bytes, last 3000) ---\n{data[-3000:]!r}"
        )


def source(text):
    return textwrap.dedent(text).encode("utf-8")


def save(path, text):
    """Saves new contents in place, as most editors do."""
    with open(path, "wb") as f:
        f.write(source(text))
