"""Peak memory (VmHWM) of a program that imports 200 generated modules of 500
lines each, under each tool, minus plain python running the same program:
idle (after import), and after every module was edited once (each edit waited for).
"""

import time

from common import (
    Program,
    Timeout,
    ToolFailure,
    blocks_for,
    f_block,
    module_text,
    note,
    parse_args,
    proc_status,
    progress,
    remove,
    result,
    row,
    scratch_dir,
    tool_command,
    write_inplace,
)

MODULES = 200
LINES = 500
DEBOUNCE = 0.001

PROGRAM = """\
import importlib
import sys
import time

mods = [importlib.import_module(f"wmod{i:03d}") for i in range(int(sys.argv[1]))]
fs = [m.f for m in mods]
values = [f() for f in fs]
out = sys.stdout
out.write("ready\\n")
out.flush()
deadline = time.monotonic() + 900
while time.monotonic() < deadline:
    for i, f in enumerate(fs):
        v = f()
        if v != values[i]:
            out.write(f"value {i} {v}\\n")
            out.flush()
            values[i] = v
    time.sleep(0.001)
"""


def prepare():
    directory = scratch_dir("memory")
    blocks = blocks_for(LINES)
    for i in range(MODULES):
        with open(f"{directory}/wmod{i:03d}.py", "w") as fh:
            fh.write(module_text(blocks, f_block(0)))
    with open(f"{directory}/main.py", "w") as fh:
        fh.write(PROGRAM)
    return directory, blocks


def measure(argv, edit, timeout, modules=MODULES):
    """(idle VmHWM, VmHWM after editing every module once or None) in MiB."""
    directory, blocks = prepare()
    program = Program(argv + [str(modules)], directory)
    try:
        program.expect("ready", 120)
        time.sleep(1.5)
        idle = proc_status(program.pid)["VmHWM"]
        if not edit:
            return idle, None
        for i in range(MODULES):
            write_inplace(f"{directory}/wmod{i:03d}.py", module_text(blocks, f_block(1)))
            words, _ = program.expect("value", timeout)
            if words != [str(i), "1"]:
                raise ToolFailure(f"expected module {i} to change to 1, got {words}")
        time.sleep(0.5)
        if not program.alive():
            raise ToolFailure("the program exited")
        return idle, proc_status(program.pid)["VmHWM"]
    finally:
        program.stop()
        remove(directory)


def main():
    args = parse_args(__doc__)
    rounds = 1 if args.quick else 2
    pythons = {"ours": args.ours, "original": args.original}
    idle = {"ours": [], "original": []}
    edited = {"ours": [], "original": []}
    errors = {"ours": [], "original": []}
    timeouts = {"ours": 0, "original": 0}
    base = []
    empty = {"ours": [], "original": []}
    empty_base = []
    for r in range(rounds):
        progress(f"memory: plain python, round {r + 1}")
        base.append(measure([args.ours, "main.py"], False, 0)[0])
        empty_base.append(measure([args.ours, "main.py"], False, 0, modules=0)[0])
        for tool in ("ours", "original"):
            empty[tool].append(measure(tool_command(pythons[tool], DEBOUNCE, "main.py"), False, 0, modules=0)[0])
        for tool in ("ours", "original") if r % 2 == 0 else ("original", "ours"):
            progress(f"memory: {tool}, round {r + 1} ({MODULES} modules imported, then each edited)")
            try:
                i, e = measure(tool_command(pythons[tool], DEBOUNCE, "main.py"), True, 30 if tool == "ours" else 120)
                idle[tool].append(i)
                edited[tool].append(e)
            except Timeout as exc:
                timeouts[tool] += 1
                errors[tool].append(f"memory: timeout: {exc}")
            except ToolFailure as exc:
                errors[tool].append(f"memory: {exc}")
    python = min(base)
    row("memory/empty", "peak memory, program importing no module (over python)", "MiB")
    for tool in ("ours", "original"):
        result("memory/empty", tool, [x - min(empty_base) for x in empty[tool]])
    row("memory/idle", f"peak memory, {MODULES} modules x {LINES} lines imported, idle (over python)", "MiB")
    for tool in ("ours", "original"):
        result("memory/idle", tool, [x - python for x in idle[tool]], errors[tool], timeouts[tool], status=None if idle[tool] else "failed")
    row(
        "memory/edited",
        f"peak memory, {MODULES} modules x {LINES} lines, each edited once (over python)",
        "MiB",
        {"kind": "le", "value": 40, "text": "<= 40 MiB"},
    )
    for tool in ("ours", "original"):
        result("memory/edited", tool, [x - python for x in edited[tool]], [], 0, status=None if edited[tool] else "failed")
    note(f"plain python importing the same {MODULES} modules: VmHWM {python:.1f} MiB")


if __name__ == "__main__":
    main()
