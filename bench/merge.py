"""`CodeFile.merge()` of a one-function change in large standard-library files,
through the original's API in both tools (issue 26).

For each of typing, argparse, inspect, tkinter/__init__ and _pydecimal, the
worker copies the file into a temporary package, imports it, makes
`CodeFile(path, module_name)`, associates the module, and times

    cf.merge(other, order="new")

where `other` is `CodeFile(path, module_name, source=new)` (made before the
clock starts) and `new` is the live text with one more function's body changed (a
statement added at the start of its body, on the same line: no line moves); each
sample changes another function, so every merge updates exactly one function of
the live module. Only functions that are live as defined (a plain function
whose code starts on its `def` line) are changed. The worker checks the live function runs the new code. The
figure is the median over the files of the per-file median.
"""

import ast
import importlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time

FILES = ("typing.py", "argparse.py", "inspect.py", "tkinter/__init__.py", "_pydecimal.py")
PACKAGE = "jurigged_bench_merge"
SIMPLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.Pass, ast.Assert)


def editable_functions(text):
    """(qualified name, line and column of its first statement) of each
    undecorated function defined at the top of the module or in a top-level
    class, whose first statement is a simple one on a line of its own."""
    found = []
    for node in ast.parse(text).body:
        scopes = [(node, "")]
        if isinstance(node, ast.ClassDef) and not node.decorator_list:
            scopes = [(child, node.name + ".") for child in node.body]
        for child, prefix in scopes:
            if (
                isinstance(child, ast.FunctionDef)
                and not child.decorator_list
                and child.body[0].lineno > child.lineno
                and isinstance(child.body[0], SIMPLE)
                and not (isinstance(child.body[0], ast.Expr) and isinstance(child.body[0].value, ast.Constant))
            ):
                first = child.body[0]
                found.append((prefix + child.name, first.lineno, first.col_offset, child.lineno))
    return found


def with_edit(lines, line, col, value):
    """`lines` (a list, changed in place) with `_bench_edit = value; ` put before
    the statement at (line, col)."""
    text = lines[line - 1]
    lines[line - 1] = text[:col] + f"_bench_edit = {value}; " + text[col:]


def live_function(module, qualname):
    target = module
    for part in qualname.split("."):
        target = vars(target).get(part)
    return target


def live_as_defined(module, qualname, def_line):
    """Whether the module holds, under `qualname`, the function its `def` on
    `def_line` made (not one replaced by a later binding or a metaclass)."""
    function = live_function(module, qualname)
    code = getattr(function, "__code__", None)
    return code is not None and code.co_firstlineno == def_line


def timed_file(jurigged, directory, relative, samples):
    """The merge times (ms) of `samples` one-function changes of a copy of
    the stdlib file `relative`, and the problems seen."""
    stem = relative.replace("/__init__", "").replace(".py", "").replace("/", "_")
    path = os.path.join(directory, PACKAGE, f"m_{stem}.py")
    shutil.copyfile(os.path.join(sysconfig.get_paths()["stdlib"], relative), path)
    with open(path, encoding="utf8") as fh:
        text = fh.read()
    name = f"{PACKAGE}.m_{stem}"
    module = importlib.import_module(name)
    cf = jurigged.CodeFile(path, name)
    cf.associate(module)
    functions = [f for f in editable_functions(text) if live_as_defined(module, f[0], f[3])]
    # Spread over the file, a different function each sample.
    step = max(1, len(functions) // samples)
    chosen = functions[::step][:samples]
    lines = text.splitlines(True)
    times, problems = [], []
    for index, (qualname, line, col, _) in enumerate(chosen):
        value = 100_000 + index
        with_edit(lines, line, col, value)
        new = "".join(lines)
        other = jurigged.CodeFile(path, name, source=new)
        t0 = time.perf_counter()
        cf.merge(other, order="new")
        times.append((time.perf_counter() - t0) * 1e3)
        code = live_function(module, qualname).__code__
        if value not in code.co_consts:
            problems.append(f"{relative}: {qualname} does not run the new code after the merge")
    times.sort()
    return times, problems


def worker(tool, samples):
    import jurigged

    directory = tempfile.mkdtemp(prefix="jurigged-bench-merge-")
    try:
        os.makedirs(os.path.join(directory, PACKAGE))
        open(os.path.join(directory, PACKAGE, "__init__.py"), "w").close()
        sys.path.insert(0, directory)
        native = sys.modules.get("jurigged._jurigged")
        scans = getattr(native, "heap_scans", lambda: 0)
        before = scans()
        medians, problems = {}, []
        for relative in FILES:
            times, found = timed_file(jurigged, directory, relative, samples)
            medians[relative] = times[len(times) // 2]
            problems.extend(found)
        record = {"tool": tool, "medians": medians, "problems": problems, "scans": scans() - before}
        print(json.dumps(record), flush=True)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]))
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import median, note, parse_args, result, row, worker_rounds

    args = parse_args(__doc__)
    rounds, samples = (1, 9) if args.quick else (3, 21)
    row_id = "merge/one-function"
    row(row_id, "CodeFile.merge(), one function changed, 5 large stdlib files", "ms",
        {"kind": "ratio_ge", "value": 10, "text": ">= 10x faster"})
    figures = {"ours": [], "original": []}
    per_file = {"ours": {}, "original": {}}
    problems = {"ours": [], "original": []}
    scans = []
    errors = {"ours": [], "original": []}
    for tool, record, error in worker_rounds(__file__, args, rounds, [str(samples)], "merge"):
        if error:
            errors[tool].append(error)
            continue
        figures[tool].append(median(list(record["medians"].values())))
        for relative, value in record["medians"].items():
            per_file[tool].setdefault(relative, []).append(value)
        problems[tool].extend(p for p in record["problems"] if p not in problems[tool])
        if tool == "ours":
            scans.append(record["scans"])
    for tool in ("ours", "original"):
        status = None if figures[tool] else "failed"
        ok = bool(figures[tool]) and not problems[tool]
        result(row_id, tool, figures[tool], errors[tool], ok=ok, problems=problems[tool], status=status)
    for tool in ("ours", "original"):
        parts = ", ".join(f"{os.path.basename(r.replace('/__init__', ''))} {median(v):.2f}" for r, v in per_file[tool].items())
        if parts:
            note(f"merge, {tool}: per-file medians (ms): {parts}")
    if scans:
        note(f"merge, ours: heap scans in each run (up to {samples} merges a file): {scans}")
    note(f"merge: each run is the median over the files of the median of {samples} merges "
         "(each changes one more function's body); the merged CodeFile is made before the clock starts")


if __name__ == "__main__":
    main()
