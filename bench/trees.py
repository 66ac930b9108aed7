"""Tree building and diff cost on the largest files of the standard library,
through the same Python API in both tools (no live module behind the file):

  build   jurigged.CodeFile(path, name, source=text)
  update  a save with one function's body changed (no line moves), applied to the
          CodeFile: ours `cf.update(text)`; the original, as its refresh does,
          `cf.merge(CodeFile(path, name, source=text), order="new"); cf.root.stash()`
  shift   the same with a comment line inserted at the top (every definition moves)

Each figure is the total over the files of the per-file median. The driver runs
a worker under each tool's interpreter, alternating them round by round.
"""

import ast
import json
import os
import sys
import sysconfig
import time

COMPOUND = (
    ast.If, ast.For, ast.While, ast.With, ast.Try, ast.FunctionDef, ast.AsyncFunctionDef,
    ast.ClassDef, ast.AsyncFor, ast.AsyncWith,
) + ((ast.Match,) if hasattr(ast, "Match") else ())


def largest_stdlib_files(count=6):
    stdlib = sysconfig.get_paths()["stdlib"]
    found = []
    for name in os.listdir(stdlib):
        path = os.path.join(stdlib, name)
        if name.endswith(".py") and os.path.isfile(path):
            with open(path, encoding="utf8") as fh:
                found.append((fh.read().count("\n"), path))
    found.sort(reverse=True)
    return [path for _, path in found[:count]]


def edited(text):
    """`text` with a statement added at the start of the body of a function in
    the middle of the file, on the same line (no line moves)."""
    tree = ast.parse(text)
    candidates = sorted(
        (
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body[0].lineno > n.lineno
            and not isinstance(n.body[0], COMPOUND)
        ),
        key=lambda n: n.lineno,
    )
    node = candidates[len(candidates) // 2].body[0]
    lines = text.splitlines(True)
    line = lines[node.lineno - 1]
    lines[node.lineno - 1] = line[: node.col_offset] + "_bench_edit = 1; " + line[node.col_offset :]
    new = "".join(lines)
    ast.parse(new)
    return new


def timed(work, budget, least=3):
    samples = []
    start = time.perf_counter()
    while len(samples) < least or time.perf_counter() - start < budget:
        prepare = work()
        t0 = time.perf_counter()
        prepare()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return samples[len(samples) // 2] * 1e3


def worker(tool, files, budget):
    import jurigged

    totals = {"build": 0.0, "update": 0.0, "shift": 0.0}
    lines = 0
    for path in files:
        with open(path, encoding="utf8") as fh:
            text = fh.read()
        lines += text.count("\n")
        fake = f"/nonexistent-jurigged-bench/{os.path.basename(path)}"
        name = "jurigged_bench_module"
        versions = {"update": [text, edited(text)], "shift": [text, "# a new first line\n" + text]}

        def build():
            return lambda: jurigged.CodeFile(fake, name, source=text)

        totals["build"] += timed(build, budget)
        for kind, (old, new) in versions.items():
            cf = jurigged.CodeFile(fake, name, source=old)
            state = {"next": 1}

            def update():
                target = versions[kind][state["next"]]
                state["next"] ^= 1
                if tool == "ours":
                    return lambda: cf.update(target)

                def run():
                    cf.merge(jurigged.CodeFile(fake, name, source=target), order="new")
                    cf.root.stash()

                return run

            totals[kind] += timed(update, budget)
    print(json.dumps({"tool": tool, "lines": lines, **totals}), flush=True)


def main():
    if sys.argv[1:2] == ["--worker"]:
        tool, budget, files = sys.argv[2], float(sys.argv[3]), sys.argv[4:]
        worker(tool, files, budget)
        return
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import note, parse_args, result, row, worker_rounds

    args = parse_args(__doc__)
    rounds, budget = (1, 0.3) if args.quick else (3, 1.0)
    files = largest_stdlib_files()
    samples = {kind: {"ours": [], "original": []} for kind in ("build", "update", "shift")}
    errors = {"ours": [], "original": []}
    lines = 0
    for tool, figures, error in worker_rounds(__file__, args, rounds, [str(budget), *files], "trees"):
        if error:
            errors[tool].append(error)
            continue
        lines = figures["lines"]
        for kind in samples:
            samples[kind][tool].append(figures[kind])
    names = ", ".join(os.path.basename(f) for f in files)
    labels = {
        "build": f"tree build, {len(files)} largest stdlib files ({lines:,} lines)",
        "update": "save applied to the tree, one function changed (same files)",
        "shift": "save applied to the tree, a line inserted at the top (same files)",
    }
    for kind, label in labels.items():
        row(f"trees/{kind}", label, "ms")
        for tool in ("ours", "original"):
            status = None if samples[kind][tool] else "failed"
            result(f"trees/{kind}", tool, samples[kind][tool], errors[tool] if kind == "build" else [], status=status)
    note(f"trees: {names}; totals of per-file medians, through jurigged.CodeFile in each tool")


if __name__ == "__main__":
    main()
