"""Shared pieces of the benchmark drivers run by `cargo xtask bench`.

Each driver measures jurigged-rs ("ours") and jurigged 0.6.1 ("original") in the
same run, alternating them, and prints its results on stdout as JSON lines:

    {"row": ID, "label": TEXT, "unit": "ms", "target": {...}}      a table row
    {"row": ID, "tool": "ours"|"original", "samples": [...], "errors": [...],
     "timeouts": N, "ok": true|false|null, "problems": [...],
     "status": null|"timeout"|"no reaction"|"failed", "limit_ms": X}  its figures
    {"note": TEXT}                                                  a line under the table
    {"fatal": TEXT}                                                 a harness failure

JSON has no NaN nor infinity: `emit` writes null for them, which the xtask
reads as no figure. Progress goes to stderr. Targets (evaluated by the xtask):
    {"kind": "le", "value": X, "text": T}          ours' median <= X
    {"kind": "ratio_ge", "value": X, "text": T}    original / ours >= X
    {"kind": "rel_le", "row": ID, "value": X, "text": T}
                                                   ours' median <= X * ours' median of row ID
"""

import argparse
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOOLS = ("ours", "original")


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--ours", required=True, help="python of the venv with jurigged-rs")
    parser.add_argument("--original", required=True, help="python of the venv with jurigged 0.6.1")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repetitions")
    return parser.parse_args()


def finite_or_none(value):
    """`value` with every NaN and infinity replaced by None (JSON's null): JSON
    has no such numbers, and the xtask reads null as "no figure"."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(item) for item in value]
    return value


def emit(record):
    # allow_nan=False: a non-number that slipped through fails here, loudly,
    # instead of printing NaN, which is not JSON.
    sys.stdout.write(json.dumps(finite_or_none(record), allow_nan=False) + "\n")
    sys.stdout.flush()


def row(row_id, label, unit, target=None):
    emit({"row": row_id, "label": label, "unit": unit, "target": target})


def result(row_id, tool, samples, errors=(), timeouts=0, ok=None, problems=(), status=None, limit_ms=None):
    """Figures of one tool on one row. errors: failures (a crash, a timeout; for
    ours, a harness failure); problems: misbehaviour to report (the row misses);
    status: why there are no samples ("timeout", "no reaction", "failed");
    limit_ms: the timeout, for a lower bound on the original's figure."""
    emit(
        {
            "row": row_id,
            "tool": tool,
            "samples": list(samples),
            "errors": list(errors),
            "timeouts": timeouts,
            "ok": ok,
            "problems": list(problems),
            "status": status,
            "limit_ms": limit_ms,
        }
    )


def note(text):
    emit({"note": text})


def progress(*parts):
    print("  [bench]", *parts, file=sys.stderr, flush=True)


def alternate(round_index):
    """The two tools in the order of this round: ours first on even rounds."""
    return TOOLS if round_index % 2 == 0 else TOOLS[::-1]


def tool_command(python, debounce, script):
    return [python, "-m", "jurigged", "-d", str(debounce), script]


def child_env():
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"):
        env.pop(name, None)
    return env


class ToolFailure(Exception):
    """The program under a tool exited or misbehaved."""


class Timeout(Exception):
    """No expected output in time."""


def _die_with_parent():
    """In the child before exec: be killed when the driver dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)


# A terminated driver unwinds, so that its programs are stopped.
signal.signal(signal.SIGTERM, _exit_on_term)
signal.signal(signal.SIGHUP, _exit_on_term)


class Program:
    """A program run under a tool (or plain python), its stdout read line by line."""

    def __init__(self, argv, cwd):
        self.argv = argv
        self.cwd = cwd
        self.stderr_path = os.path.join(cwd, ".stderr.txt")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            bufsize=0,
            env=child_env(),
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.fd = self.proc.stdout.fileno()
        self.buffer = b""

    @property
    def pid(self):
        return self.proc.pid

    def stderr_tail(self, lines=15):
        try:
            with open(self.stderr_path, "rb") as fh:
                text = fh.read().decode("utf8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def readline(self, timeout):
        """The next stdout line and the perf_counter time it was read at."""
        deadline = time.perf_counter() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise Timeout(f"no output within {timeout:g} s")
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.fd, 65536)
            if not chunk:
                code = self.proc.wait()
                raise ToolFailure(f"the program exited ({code}) while the bench waited; stderr:\n{self.stderr_tail()}")
            self.buffer += chunk
        now = time.perf_counter()
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf8", "replace"), now

    def expect(self, prefix, timeout):
        """Reads lines until one starts with `prefix`; returns (words after it, time)."""
        while True:
            line, when = self.readline(timeout)
            if line.startswith(prefix):
                return line[len(prefix):].split(), when
            if line.startswith("ERROR"):
                raise ToolFailure(f"the program reported: {line}")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()


def proc_status(pid):
    """VmHWM and VmRSS of `pid`, in MiB."""
    found = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0]) / 1024
    return found


def scratch_dir(tag):
    return tempfile.mkdtemp(prefix=f"jurigged-bench-{tag}-")


def remove(path):
    shutil.rmtree(path, ignore_errors=True)


def write_inplace(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def write_atomic(path, text):
    tmp = path + ".tmp~"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


WRITERS = {"in-place": write_inplace, "atomic": write_atomic}


# A generated module: classes of methods and plain functions, `f` in the middle.

HEADER = "import math\nimport os\n\nCONSTANT = 3\n\n"


def class_block(index):
    out = [f"\nclass Shape{index}:\n", '    """A shape."""\n', "\n", f"    sides = {index}\n", "\n"]
    for m in range(4):
        out.append(
            f"    def method{m}(self, x, y=2):\n"
            "        # Scale by the constant.\n"
            "        total = x * y + self.sides\n"
            "        for i in range(3):\n"
            f"            total += math.sqrt(i + {m})\n"
            "        return total * CONSTANT\n"
            "\n"
        )
    return "".join(out)


def function_block(index):
    return (
        f"\ndef function{index}(a, b, *args, key=None, **kwargs):\n"
        "    value = a + b\n"
        "    if key is not None:\n"
        "        value += len(args)\n"
        "    return value + 1\n"
        "\n"
    )


def blocks_for(lines, extra_lines=0):
    """Blocks of about `lines` lines in total, counting `extra_lines` added elsewhere."""
    blocks = []
    count = HEADER.count("\n") + extra_lines
    index = 0
    while count < lines:
        block = class_block(index) if index % 5 == 0 else function_block(index)
        blocks.append(block)
        count += block.count("\n")
        index += 1
    return blocks


def module_text(blocks, middle, shift=0, prefix=""):
    """The module: `shift` comment lines first, then HEADER, `prefix`, and the
    blocks with `middle` inserted halfway."""
    half = len(blocks) // 2
    top = "".join(f"# inserted line {i}\n" for i in range(shift))
    return top + HEADER + prefix + "".join(blocks[:half]) + middle + "".join(blocks[half:])


def f_block(value):
    return f"\ndef f():\n    return {value}\n\n"


def percentile(values, q):
    values = sorted(values)
    if not values:
        return None
    k = (len(values) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def median(values):
    return percentile(values, 0.5)


def worker_rounds(script, args, rounds, worker_args, label, timeout=900):
    """Runs `script --worker TOOL *worker_args` under each tool's interpreter,
    `rounds` times, alternating the tools round by round (the drivers that
    measure inside one process: trees, merge). Yields (tool, record, error):
    the JSON object of the worker's last stdout line, or why there is none."""
    pythons = {"ours": args.ours, "original": args.original}
    for r in range(rounds):
        for tool in alternate(r):
            progress(f"{label}: {tool} round {r + 1}")
            try:
                done = subprocess.run(
                    [pythons[tool], os.path.abspath(script), "--worker", tool, *worker_args],
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                    env=child_env(),
                )
            except subprocess.TimeoutExpired:
                yield tool, None, f"worker timed out after {timeout} s"
                continue
            if done.returncode != 0:
                yield tool, None, f"worker failed ({done.returncode}): {done.stderr[-1500:]}"
                continue
            yield tool, json.loads(done.stdout.strip().splitlines()[-1]), None
