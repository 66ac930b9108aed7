"""The real-releases oracle behind `cargo xtask replay`: consecutive releases of
pure-Python packages saved over a running program.

    python oracle_replay.py CACHE DIST:VERSION_A:VERSION_B ...

For each pair, every module whose text changed between the two wheels in CACHE is
replayed in its own Python process: release A's package is imported from a
temporary directory, references to the module's functions are taken, release B's
text is saved over the file and applied with `CodeFile.refresh()`, and the module
is compared with a fresh compile and import of B's text (oracle_compare.py: every
reachable function and every old reference; code, defaults, annotations, names;
and the module's plain-data bindings: numbers, strings, tuples).

B's module runs against A's other modules both when patched and when imported
fresh, so the two are compared in the same surroundings; when B's text does not run
there (it needs a sibling's new name), the module is replayed among B's other
modules instead; a module that runs in neither is skipped, and counted as such. Prints a summary; exits 1 if any module differs.
"""

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
# A module whose replay takes longer than this is reported as hung.
MODULE_TIMEOUT = 120
# ORACLE_REPLAY_VERBOSE=1 prints every difference of every module.
VERBOSE = os.environ.get("ORACLE_REPLAY_VERBOSE") == "1"


def wheel_for(cache, dist, version):
    prefix = f"{dist.replace('-', '_').lower()}-{version}-"
    for path in sorted(Path(cache).glob("*.whl")):
        if path.name.lower().startswith(prefix):
            return path
    raise SystemExit(f"no wheel for {dist} {version} in {cache}: run `cargo xtask replay` to download it")


def python_sources(wheel):
    """{relative path: text} of the wheel's Python modules (not its metadata)."""
    found = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.endswith(".py") and ".dist-info/" not in name and ".data/" not in name:
                found[name] = archive.read(name).decode("utf-8")
    return found


def module_name(relative):
    parts = relative[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def replay_pair(cache, dist, version_a, version_b, results):
    sources_a = python_sources(wheel_for(cache, dist, version_a))
    sources_b = python_sources(wheel_for(cache, dist, version_b))
    changed = sorted(p for p in sources_a if p in sources_b and sources_a[p] != sources_b[p])
    print(f"{dist} {version_a} -> {version_b}: {len(changed)} changed modules", flush=True)
    for relative in changed:
        result = replay_module(sources_a, sources_a[relative], sources_b[relative], relative)
        if result.get("skipped", "").startswith("release B does not run"):
            # B's text needs B's other modules: A's text may well run among them.
            first = result["skipped"]
            result = replay_module(sources_b, sources_a[relative], sources_b[relative], relative)
            if "skipped" in result:
                result["skipped"] = f"{first}; among B's modules: {result['skipped']}"
        result["case"] = f"{dist} {version_a}->{version_b} {module_name(relative)}"
        results.append(result)
        status = result.get("skipped") or (f"{len(result['differences'])} differences" if result["differences"] else "ok")
        print(
            f"  {module_name(relative)}: {result.get('functions', 0)} functions, "
            f"{result.get('references', 0)} references: {status}",
            flush=True,
        )
        if VERBOSE:
            for d in result.get("differences", []):
                print(f"    {d['kind']} at {d['where']}: {d['detail'][:300]}")


def replay_module(surroundings, before, after, relative):
    """Replays one module in a package laid out from `surroundings` (one release's
    modules), the module itself starting from `before`."""
    with tempfile.TemporaryDirectory(prefix="jurigged-replay-") as tree:
        for path, text in dict(surroundings, **{relative: before}).items():
            target = Path(tree, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        after_file = Path(tree, "after.txt")
        after_file.write_text(after, encoding="utf-8")
        return run_one(tree, module_name(relative), relative, str(after_file))


def run_one(tree, name, relative, after):
    command = [sys.executable, __file__, "--one", tree, name, relative, after]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=MODULE_TIMEOUT, env=env, cwd=tree)
    except subprocess.TimeoutExpired:
        return {"differences": [{"kind": "hung", "where": name, "detail": f"no answer in {MODULE_TIMEOUT}s"}]}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    detail = f"exit {done.returncode}: {done.stderr.strip()[-600:]}"
    return {"differences": [{"kind": "crashed", "where": name, "detail": detail}]}


def one_module(tree, name, relative, after_file):
    """In this (fresh) process: import A, take references, save B, apply, compare."""
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, tree)
    import importlib

    from support import oracle_compare

    import jurigged

    path = str(Path(tree, relative))
    before = Path(path).read_text(encoding="utf-8")
    after = Path(after_file).read_text(encoding="utf-8")
    try:
        module = importlib.import_module(name)
    except BaseException as error:
        return {"skipped": f"release A does not import ({type(error).__name__}: {error})"}
    first_code = compile(before, path, "exec", dont_inherit=True)
    references = oracle_compare.References(vars(module), first_code)
    codefile = jurigged.CodeFile(path, name)
    Path(path).write_text(after, encoding="utf-8")
    rejected = None
    events = []
    try:
        events = codefile.refresh() or []
    except BaseException as error:
        rejected = f"{type(error).__name__}: {error}"
    package = name if relative.endswith("__init__.py") else name.rpartition(".")[0]
    try:
        fresh_namespace, fresh_code = oracle_compare.fresh_import(after, path, name, package)
    except BaseException as error:
        return {"skipped": f"release B does not run against A's other modules ({type(error).__name__}: {error})"}
    if rejected is not None:
        return {"differences": [{"kind": "save rejected", "where": name, "detail": rejected}]}
    alive = set(oracle_compare.code_keys(first_code)) & set(oracle_compare.code_keys(fresh_code))
    assigned = oracle_compare.assigned_names(before)
    functions, differences = oracle_compare.compare_namespaces(vars(module), fresh_namespace, assigned)
    compared, found = references.compare(fresh_namespace, fresh_code, alive)
    differences += found
    # Plain data a statement computed (`uts46data = tuple(_seg_0() + ...)`): a
    # name the new text no longer binds is left alone, as removing a statement
    # does not unbind it.
    differences += oracle_compare.compare_values(vars(module), fresh_namespace)
    return {
        "functions": functions,
        "references": compared,
        # Unchanged statements run again because they read a changed function.
        "reruns": [str(e) for e in events if getattr(e, "kind", None) == "rerun"],
        "differences": [{"kind": d.kind, "where": d.where, "detail": d.detail} for d in differences],
    }


# Differences a live patch cannot avoid, each a behaviour chosen not to copy
# (the closing note of the semantics issue says why): (case, module path, where,
# kind) -> the reason. They are printed, and do not fail the replay.
ACCEPTED = {
    (
        "toolz 0.12.0->0.12.1 toolz._signatures",
        "create_signature_registry",
        "__defaults__",
    ): "a changed statement that mutates a dict in place (`module_info[itertools] = dict(...)`) runs "
    "against the live dict: its keys keep the live order, a fresh import builds them in the new order",
    (
        "toolz 0.12.0->0.12.1 toolz._signatures",
        "create_signature_registry (taken as create_signature_registry)",
        "old reference __defaults__",
    ): "the same default, through a reference taken before the save",
    (
        "packaging 23.2->24.0 packaging.metadata",
        "ExceptionGroup.__init__",
        "stale function",
    ): "a changed `try: ExceptionGroup / except NameError: class ExceptionGroup` block runs in the live "
    "module, where the name is the module's own class from the last release, so the fallback is not "
    "taken again; a fresh import finds the builtin",
    (
        "packaging 23.2->24.0 packaging.metadata",
        "ExceptionGroup.__repr__",
        "stale function",
    ): "the same class's other method",
}
# pyparsing 3.1.3 (replayed since issue 22, whose class-body fix lets this save
# apply at all): `replaced_by_pep8` makes a camelCase alias whose
# `__annotations__` is the very dict of the snake_case method. A changed method
# gets a new annotations dict; the alias, bound under another name and not
# re-run, keeps the old one: no binding of the changed name leads to the alias.
for _alias in ("addCondition", "addParseAction", "setName", "setParseAction"):
    ACCEPTED[("pyparsing 3.1.2->3.1.3 pyparsing.core", f"ParserElement.{_alias}", "__annotations__")] = (
        "an alias made by pyparsing's replaced_by_pep8 shares the annotations dict of the method it "
        "wraps from before the save; the method got a new one"
    )


def accepted_reason(result, difference):
    return ACCEPTED.get((result["case"], difference["where"], difference["kind"]))


def summary(results):
    accepted = []
    for r in results:
        kept = []
        for d in r.get("differences", []):
            reason = accepted_reason(r, d)
            if reason is None:
                kept.append(d)
            else:
                accepted.append((r, d, reason))
        if "differences" in r:
            r["differences"] = kept
    replayed = [r for r in results if "skipped" not in r]
    skipped = [r for r in results if "skipped" in r]
    passed = [r for r in replayed if not r["differences"]]
    by_kind = defaultdict(list)
    for r in replayed:
        for kind, count in Counter(d["kind"] for d in r["differences"]).items():
            by_kind[kind].append((r, count))
    print()
    print(
        f"replay: {len(replayed)} modules replayed ({len(skipped)} skipped), "
        f"{sum(r.get('functions', 0) for r in replayed)} functions and "
        f"{sum(r.get('references', 0) for r in replayed)} old references compared; "
        f"{len(passed)} modules patched like a fresh import, {len(replayed) - len(passed)} did not"
    )
    reruns = [(r, line) for r in replayed for line in r.get("reruns", [])]
    print(
        f"  {len(reruns)} unchanged statements run again (they call a changed function) "
        f"in {len({r['case'] for r, _ in reruns})} modules"
    )
    for r, line in reruns:
        print(f"    {r['case']}: {line[:200]}")
    for r in skipped:
        print(f"  skipped {r['case']}: {r['skipped'][:200]}")
    for r, d, reason in accepted:
        print(f"  accepted {r['case']}: {d['kind']} at {d['where']}: {reason}")
    for kind, cases in sorted(by_kind.items(), key=lambda item: -len(item[1])):
        total = sum(count for _, count in cases)
        print(f"  {kind}: {total} in {len(cases)} modules")
        for r, _ in cases[:2]:
            first = next(d for d in r["differences"] if d["kind"] == kind)
            print(f"    e.g. {r['case']}: {first['where']}: {first['detail'][:300]}")
    return not by_kind


def main(argv):
    if argv[:1] == ["--one"]:
        result = one_module(*argv[1:5])
        print("RESULT " + json.dumps(result), flush=True)
        # Leave at once: the replayed package's atexit hooks or threads are not ours.
        os._exit(0)
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cache, pairs = argv[0], argv[1:]
    results = []
    for pair in pairs:
        dist, version_a, version_b = pair.split(":")
        replay_pair(cache, dist, version_a, version_b, results)
    return 0 if summary(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
