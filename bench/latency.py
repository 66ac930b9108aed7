"""Save-to-new-behaviour latency, ours versus the original.

A program imports a generated module `watched` (classes and functions, `f` in the
middle) and calls `f()` in a loop every 0.2 ms, printing a line the moment the
value changes. The bench rewrites the module and times from just before the write
to the moment that line is read on the pipe.

Every run is a fresh program: it starts, gets one untimed warm-up edit (a body
edit, so that both tools have built whatever they build lazily), then one timed
edit. Runs alternate between the tools.
"""

import time

from common import (
    Program,
    Timeout,
    ToolFailure,
    WRITERS,
    alternate,
    blocks_for,
    median,
    f_block,
    module_text,
    note,
    parse_args,
    progress,
    remove,
    result,
    row,
    scratch_dir,
    tool_command,
)

PROGRAM = """\
import sys
import time

import watched

f = watched.f
g = getattr(watched, sys.argv[1])  # the last function of the module, below f
last = f()
g_line = g.__code__.co_firstlineno
out = sys.stdout
out.write(f"ready {last} {g_line}\\n")
out.flush()
sleep = time.sleep
deadline = time.monotonic() + 900
n = 0
while True:
    v = f()
    if v != last:
        out.write(f"value {v}\\n")
        out.flush()
        last = v
    line = g.__code__.co_firstlineno
    if line != g_line:
        out.write(f"moved {line}\\n")
        out.flush()
        g_line = line
    sleep(0.0002)
    n += 1
    if n % 4096 == 0 and time.monotonic() > deadline:
        break
"""

SHIFT = 3  # lines inserted at the top by a shifting edit

# How long to wait for a reaction: ours failing to react is a harness failure;
# the original is allowed to be slow (or not to react) and is reported as such.
OURS_TIMEOUT = 30.0
ORIGINAL_TIMEOUT = {70: 15.0, 2000: 60.0, 20000: 180.0}


def configs(quick):
    if quick:
        return [
            (70, "body", "in-place", 0.001),
            (70, "body", "in-place", 0.05),
            (70, "body", "atomic", 0.001),
            (70, "shift", "in-place", 0.001),
            (2000, "body", "in-place", 0.001),
            (2000, "body", "in-place", 0.05),
            (2000, "body", "atomic", 0.001),
            (2000, "shift", "in-place", 0.001),
        ]
    return [
        (size, edit, mode, debounce)
        for size in (70, 2000, 20000)
        for edit in ("body", "shift")
        for mode in ("in-place", "atomic")
        for debounce in (0.001, 0.05)
    ]


def target_for(size, edit, debounce):
    """The issue's targets. A ratio target at the 50 ms default debounce is judged
    on the time beyond the debounce (both tools wait it out, so the plain ratio
    cannot exceed a few x); at 1 ms, on the plain times."""
    if size <= 70:
        bound = debounce * 1e3 + 3
        return {"kind": "le", "value": bound, "text": f"<= {bound:g} ms"}
    factor = 20 if size <= 2000 else 200 if edit == "shift" else 50
    if debounce >= 0.01:
        minus = debounce * 1e3
        return {"kind": "ratio_ge", "value": factor, "minus": minus, "text": f">= {factor}x beyond d"}
    return {"kind": "ratio_ge", "value": factor, "text": f">= {factor}x"}


def last_function(blocks):
    """Name of the last plain function of the module (below f)."""
    for block in reversed(blocks):
        if block.startswith("\ndef "):
            return block[len("\ndef "):].split("(")[0]
    raise ValueError("no function block")


class Run:
    """One program under one tool: warm-up edit, then the timed edit."""

    def __init__(self, python, size, edit, mode, debounce, timeout):
        self.python, self.size, self.edit, self.mode, self.debounce = python, size, edit, mode, debounce
        self.timeout = timeout

    def go(self):
        """Returns (latency, time to the new value of f), in ms.

        For a body edit the latency is the time to the new value of f; for a shift
        edit, the time until f has its new value and the last function of the module
        has its new line number (both are part of applying the save); Timeout when
        either does not happen in time."""
        directory = scratch_dir("latency")
        blocks = blocks_for(self.size)
        g = last_function(blocks)
        path = f"{directory}/watched.py"
        write = WRITERS[self.mode]
        with open(path, "w") as fh:
            fh.write(module_text(blocks, f_block(0)))
        with open(f"{directory}/main.py", "w") as fh:
            fh.write(PROGRAM)
        program = Program(tool_command(self.python, self.debounce, "main.py") + [g], directory)
        try:
            words, _ = program.expect("ready", 60)
            g_line = int(words[1])
            time.sleep(0.5)
            t0 = time.perf_counter()
            write(path, module_text(blocks, f_block(1)))
            words, t1 = program.expect("value", self.timeout)
            if words[0] != "1":
                raise ToolFailure(f"warm-up edit: expected value 1, got {words}")
            time.sleep(0.3 + 0.2 * (t1 - t0))
            shift = SHIFT if self.edit == "shift" else 0
            text = module_text(blocks, f_block(2), shift=shift)
            t0 = time.perf_counter()
            write(path, text)
            deadline = t0 + self.timeout
            value_at = moved_at = None
            while value_at is None or (shift and moved_at is None):
                try:
                    line, when = program.readline(max(deadline - time.perf_counter(), 0.001))
                except Timeout:
                    if value_at is None:
                        raise
                    raise Timeout(
                        f"f changed after {(value_at - t0) * 1e3:.0f} ms, but {g} was still at its old line "
                        f"after {self.timeout:g} s"
                    ) from None
                words = line.split()
                if words[:1] == ["value"]:
                    if words[1] != "2":
                        raise ToolFailure(f"timed edit: expected value 2, got {words}")
                    value_at = when
                elif words[:1] == ["moved"]:
                    if int(words[1]) != g_line + shift:
                        raise ToolFailure(f"{g} moved to line {words[1]}, expected {g_line + shift}")
                    moved_at = when
            if not program.alive():
                raise ToolFailure("the program exited")
            return (max(value_at, moved_at or value_at) - t0) * 1e3, (value_at - t0) * 1e3
        finally:
            program.stop()
            remove(directory)


def main():
    args = parse_args(__doc__)
    pythons = {"ours": args.ours, "original": args.original}
    reps = 3 if args.quick else 5
    original_ignores_renames = None  # set once the original failed to react to a rename
    for size, edit, mode, debounce in configs(args.quick):
        row_id = f"latency/{size}/{edit}/{mode}/{debounce:g}"
        label = f"latency {size:,} lines, {edit} edit, {mode}, d={debounce * 1e3:g} ms"
        row(row_id, label, "ms", target_for(size, edit, debounce))
        original_reps = reps
        if size >= 20000 and edit == "shift":
            original_reps = 1 if args.quick else 2
        samples = {"ours": [], "original": []}
        errors = {"ours": [], "original": []}
        timeouts = {"ours": 0, "original": 0}
        value_times = {"ours": [], "original": []}
        status = {"ours": None, "original": None}
        skip_original = mode == "atomic" and original_ignores_renames is not None
        if skip_original:
            status["original"] = "no reaction"
            errors["original"].append(f"{label}: not run: did not react to a rename at {original_ignores_renames:,} lines")
        for r in range(reps):
            for tool in alternate(r):
                if tool == "original" and (skip_original or r >= original_reps):
                    continue
                timeout = OURS_TIMEOUT if tool == "ours" else ORIGINAL_TIMEOUT[size]
                progress(f"{label}: {tool} run {r + 1}")
                try:
                    ms, value_ms = Run(pythons[tool], size, edit, mode, debounce, timeout).go()
                    samples[tool].append(ms)
                    value_times[tool].append(value_ms)
                except Timeout as e:
                    timeouts[tool] += 1
                    errors[tool].append(f"{label}: timeout: {e}")
                    if tool == "original":
                        skip_original = True
                        status["original"] = "timeout"
                        if mode == "atomic":
                            status["original"] = "no reaction"
                            if original_ignores_renames is None:
                                original_ignores_renames = size
                except ToolFailure as e:
                    errors[tool].append(f"{label}: {e}")
                    if tool == "original":
                        skip_original = True
                        status["original"] = "failed"
        for tool in ("ours", "original"):
            limit = ORIGINAL_TIMEOUT[size] * 1e3 if tool == "original" else OURS_TIMEOUT * 1e3
            result(
                row_id,
                tool,
                samples[tool],
                errors[tool],
                timeouts[tool],
                status=None if samples[tool] else status[tool] or ("timeout" if timeouts[tool] else "failed"),
                limit_ms=limit,
            )
        if edit == "shift":
            # The new f may come long before the lines below move: say so.
            parts, earlier = [], False
            for tool in ("ours", "original"):
                if value_times[tool]:
                    alone = median(value_times[tool])
                    whole = median(samples[tool])
                    earlier |= alone < 0.9 * whole
                    parts.append(f"{tool} {alone:.1f} ms")
                elif timeouts[tool]:
                    parts.append(f"{tool}: see the timeout")
            if earlier:
                note(f"{label}: time to the new f alone (before the lines below moved): " + ", ".join(parts))
    if original_ignores_renames is not None:
        note(
            "jurigged 0.6.1 does not react to a same-directory atomic rename (write tmp + os.replace): "
            "its watchdog handler has on_modified/on_created but no on_moved"
        )
    note(
        f"latency: fresh program per run, one untimed warm-up edit, then the timed edit; "
        f"a shift edit inserts {SHIFT} lines at the top and changes f, and is timed until f has its new value "
        f"and the module's last function its new co_firstlineno"
    )


if __name__ == "__main__":
    main()
