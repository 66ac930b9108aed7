"""Latency of a save that makes a class again while the program holds 1,000,000
live instances of it (issue 22).

The watched module's class `C` gains or loses a base at each edit. Two rows:
"migrated", where the class is based on object alone (CPython refuses other
bases on a live class of that kind, so the new class is bound and every live
instance gets it, found by one heap scan), and "in place", where the class has a
Python base (its `__bases__` are assigned, no instance is visited). The time is
from the write to the moment the watched instance is of the class bound now and
runs the new method; then the program checks that every instance is (a stale one
is a problem). The original jurigged binds a new class and leaves every instance
on the old one: it never reacts, and is given a short limit.
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
class A:
    pass


class Base:
    pass


class C{bases}:
    def version(self):
        return {value}
"""

BASES = {
    "migrated": ("", "(Base)"),
    "in-place": ("(A)", "(A, Base)"),
}

PROGRAM = """\
import sys
import time

import instmod

n = int(sys.argv[1])
items = [instmod.C() for _ in range(n)]
watched = items[n // 2]
last = watched.version()
out = sys.stdout
out.write(f"ready {len(items)}\\n")
out.flush()
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    v = watched.version() if type(watched) is instmod.C else last
    if v != last:
        out.write(f"value {v}\\n")
        out.flush()
        last = v
        stale = sum(1 for item in items if type(item) is not instmod.C)
        out.write(f"verify {v} {stale}\\n")
        out.flush()
    time.sleep(0.0002)
"""


def run(python, kind, count, debounce, edits, timeout):
    directory = scratch_dir("instances")
    path = f"{directory}/instmod.py"
    bases = BASES[kind]
    with open(path, "w") as fh:
        fh.write(MODULE.format(bases=bases[0], value=0))
    with open(f"{directory}/main.py", "w") as fh:
        fh.write(PROGRAM)
    program = Program(tool_command(python, debounce, "main.py") + [str(count)], directory)
    latencies, problems = [], []
    try:
        program.expect("ready", 300)
        time.sleep(1.0)
        for value in range(1, edits + 2):  # the first edit is the warm-up
            t0 = time.perf_counter()
            write_inplace(path, MODULE.format(bases=bases[value % 2], value=value))
            words, t1 = program.expect("value", timeout)
            if words[0] != str(value):
                raise ToolFailure(f"expected value {value}, got {words}")
            words, _ = program.expect("verify", timeout + 40)
            if int(words[1]):
                problems.append(f"{words[1]} of {count} instances kept the old class")
            if value > 1:
                latencies.append((t1 - t0) * 1e3)
            time.sleep(0.3)
        if not program.alive():
            raise ToolFailure("the program exited")
        return latencies, problems
    finally:
        program.stop()
        remove(directory)


def main():
    args = parse_args(__doc__)
    pythons = {"ours": args.ours, "original": args.original}
    count, debounce = 1_000_000, 0.001
    rounds, edits = (1, 2) if args.quick else (2, 3)
    for kind in BASES:
        row_id = f"instances/{kind}"
        label = f"class made again, 1M live instances ({kind}), d=1 ms"
        row(row_id, label, "ms", {"kind": "le", "value": 2000, "text": "<= 2 s, every instance follows"})
        samples = {"ours": [], "original": []}
        problems = {"ours": [], "original": []}
        errors = {"ours": [], "original": []}
        timeouts = {"ours": 0, "original": 0}
        limits = {"ours": 30, "original": 5}
        for r in range(rounds):
            for tool in alternate(r):
                if tool == "original" and r > 0:
                    continue  # it never reacts: once is enough to say so
                progress(f"{label}: {tool} round {r + 1}")
                try:
                    latencies, found = run(pythons[tool], kind, count, debounce, edits, limits[tool])
                    samples[tool].extend(latencies)
                    problems[tool].extend(f"{label}: {p}" for p in found)
                except Timeout as e:
                    timeouts[tool] += 1
                    if tool == "ours":
                        errors[tool].append(f"{label}: timeout: {e}")
                except ToolFailure as e:
                    errors[tool].append(f"{label}: {e}")
        for tool in ("ours", "original"):
            ok = bool(samples[tool]) and not problems[tool]
            status = None if samples[tool] else "timeout" if timeouts[tool] else "failed"
            limit = limits[tool] * 1e3 if timeouts[tool] else None
            result(
                row_id,
                tool,
                samples[tool],
                errors[tool],
                timeouts[tool],
                ok=ok,
                problems=problems[tool],
                status=status,
                limit_ms=limit,
            )
    note(
        "instances: 1M live instances of the watched module's class C, which gains or loses a base at each edit; "
        "time = write to the watched instance being of the class bound now and running the new method; "
        "ok = every instance follows"
    )


if __name__ == "__main__":
    main()
