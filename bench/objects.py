"""Patch latency while the program holds many live objects.

The program builds N live objects: lists, dicts (each holding a list, so that the
garbage collector tracks both) and closures made by `make()` of the watched
module (N/5 of them, at least 10). It then watches one closure in a loop; the edit
changes the body of the inner function of `make`, so every closure must get the
new code. The time is from the write to the moment the watched closure returns
the new value, plus, when some closures were not updated yet at that moment, the
time until the program saw every closure updated (it rechecks for up to 30 s; a
closure never updated is reported as such).
"""

import time

from common import (
    Program,
    Timeout,
    ToolFailure,
    alternate,
    note,
    parse_args,
    progress,
    remove,
    result,
    row,
    scratch_dir,
    tool_command,
    write_inplace,
)

MODULE = """\
def make(i):
    def inner():
        return i * 0 + {value}

    return inner


def f():
    return {value}
"""

PROGRAM = """\
import sys
import time

import objmod

n = int(sys.argv[1])
n_closures = max(10, n // 5)
n_lists = (n - n_closures) // 2 if n else 0
lists = [[i] for i in range(n_lists)]
dicts = [{"item": l} for l in lists]
closures = [objmod.make(i) for i in range(n_closures)]
watched = closures[len(closures) // 2]
last = watched()
out = sys.stdout
out.write(f"ready {len(lists) + len(dicts) + len(closures)}\\n")
out.flush()
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    v = watched()
    if v != last:
        out.write(f"value {v}\\n")
        out.flush()
        last = v
        t0 = time.perf_counter()
        stale = first = sum(1 for c in closures if c() != v)
        while stale and time.perf_counter() - t0 < 30:
            time.sleep(0.005)
            stale = sum(1 for c in closures if c() != v)
        late = (time.perf_counter() - t0) * 1e3 if first else 0.0
        native = sys.modules.get("jurigged._jurigged")
        scans = native.heap_scans() if hasattr(native, "heap_scans") else -1
        out.write(f"verify {v} {first} {stale} {late:.1f} {len(closures)} {scans}\\n")
        out.flush()
    time.sleep(0.0002)
"""


def run(python, count, debounce, edits, timeout):
    """Latencies (ms) of `edits` timed edits, and problems seen in the checks."""
    directory = scratch_dir("objects")
    path = f"{directory}/objmod.py"
    with open(path, "w") as fh:
        fh.write(MODULE.format(value=0))
    with open(f"{directory}/main.py", "w") as fh:
        fh.write(PROGRAM)
    program = Program(tool_command(python, debounce, "main.py") + [str(count)], directory)
    latencies, problems, scans = [], [], []
    try:
        program.expect("ready", 300)
        time.sleep(1.0)
        for value in range(1, edits + 2):  # the first edit is the warm-up
            t0 = time.perf_counter()
            write_inplace(path, MODULE.format(value=value))
            words, t1 = program.expect("value", timeout)
            if words[0] != str(value):
                raise ToolFailure(f"expected value {value}, got {words}")
            words, _ = program.expect("verify", timeout + 40)
            first, stale, late, total = int(words[1]), int(words[2]), float(words[3]), int(words[4])
            scans.append(int(words[5]))
            if stale:
                problems.append(f"{stale} of {total} closures never updated")
            elif first:
                problems.append(f"{first} of {total} closures updated up to {late:.0f} ms after the watched one")
            if value > 1:
                latencies.append((t1 - t0) * 1e3 + late)
            time.sleep(0.3)
        if not program.alive():
            raise ToolFailure("the program exited")
        return latencies, problems, [b - a for a, b in zip(scans, scans[1:])] if min(scans) >= 0 else []
    finally:
        program.stop()
        remove(directory)


def main():
    args = parse_args(__doc__)
    pythons = {"ours": args.ours, "original": args.original}
    if args.quick:
        counts, debounces, rounds, edits = (0, 5_000_000), (0.001,), 1, 2
    else:
        counts, debounces, rounds, edits = (0, 1_000_000, 5_000_000), (0.001, 0.05), 2, 3
    for debounce in debounces:
        for count in counts:
            row_id = f"objects/{count}/{debounce:g}"
            amount = f"{count / 1e6:g}M" if count else "0"
            label = f"patch latency, {amount} live objects, d={debounce * 1e3:g} ms"
            target = None
            if count == max(counts):
                target = {"kind": "rel_le", "row": f"objects/0/{debounce:g}", "value": 2, "text": "<= 2x at 0, all updated"}
            row(row_id, label, "ms", target)
            samples = {"ours": [], "original": []}
            scan_counts = {"ours": [], "original": []}
            problems = {"ours": [], "original": []}
            errors = {"ours": [], "original": []}
            timeouts = {"ours": 0, "original": 0}
            for r in range(rounds):
                for tool in alternate(r):
                    progress(f"{label}: {tool} round {r + 1}")
                    try:
                        latencies, found, scans = run(
                            pythons[tool], count, debounce, edits, 30 if tool == "ours" else 180
                        )
                        samples[tool].extend(latencies)
                        scan_counts[tool].extend(scans)
                        problems[tool].extend(f"{label}: {p}" for p in found)
                    except Timeout as e:
                        timeouts[tool] += 1
                        errors[tool].append(f"{label}: timeout: {e}")
                    except ToolFailure as e:
                        errors[tool].append(f"{label}: {e}")
            if scan_counts["ours"]:
                note(f"{label}: heap scans by ours per timed edit: {sorted(set(scan_counts['ours']))}")
            for tool in ("ours", "original"):
                ok = bool(samples[tool]) and not problems[tool]
                status = None if samples[tool] else "timeout" if timeouts[tool] else "failed"
                result(row_id, tool, samples[tool], errors[tool], timeouts[tool], ok=ok, problems=problems[tool], status=status)
    note(
        "objects: N = lists + dicts (each holding a list) + N/5 closures of the watched module's make(); "
        "each run: one warm-up edit, then timed edits of the closures' body; time = until every closure returns the new value; ok = every closure updated at once"
    )


if __name__ == "__main__":
    main()
