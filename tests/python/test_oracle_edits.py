"""The edit-sequence oracle: random sequences of saves applied to a live module must
leave it as a fresh import of each saved text would be.

After every save, every function reachable from the module and every reference
taken before the first save (functions, bound methods, partials) must have the code
a fresh compile of the text gives (bytecode, constants with nested code compared the
same way, names, first line, line table, ...) and calls must return what they return
on a fresh import.

Environment:
  ORACLE_SEQUENCES  how many sequences (default 60), ORACLE_SAVES saves in each
                    (default 6), ORACLE_SEED the first seed (default 0; sequence i
                    uses seed+i)
  ORACLE_EDITS      comma-separated edit kinds to generate (default: all of
                    oracle_gen.EDIT_KINDS), to look at one kind of failure at a time
  ORACLE_SHRINK_SECONDS  time the failure report may spend shrinking (default 20)
"""

import functools
import inspect
import os
import random
import time
from collections import defaultdict

import pytest

from support import oracle_compare
from support import oracle_gen
from support import oracle_shrink
from support.oracle_compare import Difference

SEQUENCES = int(os.environ.get("ORACLE_SEQUENCES", "60"))
SAVES = int(os.environ.get("ORACLE_SAVES", "6"))
FIRST_SEED = int(os.environ.get("ORACLE_SEED", "0"))
# Time the report may spend shrinking failures to smaller examples, in all.
SHRINK_SECONDS = float(os.environ.get("ORACLE_SHRINK_SECONDS", "20"))


def selected_kinds():
    chosen = os.environ.get("ORACLE_EDITS", "").strip()
    if not chosen:
        return list(oracle_gen.EDIT_KINDS)
    kinds = [k.strip() for k in chosen.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in oracle_gen.EDIT_KINDS]
    assert not unknown, f"unknown edit kinds {unknown}; known: {oracle_gen.EDIT_KINDS}"
    return kinds


def outcome(call):
    """What a call returns or raises, comparable across modules; coroutines (the
    generated async functions never await) are run to their end."""
    try:
        result = call()
        if inspect.iscoroutine(result):
            try:
                result.send(None)
            except StopIteration as stop:
                result = stop.value
            else:
                result.close()
                return ("suspended",)
        return ("returns", oracle_compare.describe(result))
    except Exception as error:
        return ("raises", type(error).__name__, str(error))


def _through_bindings(namespace, owner, function, binding, salt):
    """A call of a def as a user of the module makes it: `f(...)`, `C().m(...)`,
    `C.cm(...)`, `C().p`, `bound(3)` for a closure or lambda binding, `C().size`
    for a dataclass field."""
    if function is None and owner is not None:
        return lambda: namespace[owner]().size
    if function is None:
        return lambda: namespace[binding](3 + 100 * salt)
    args, kwargs = function.call_args(salt)
    if owner is None:
        return lambda: namespace[function.name](*args, **kwargs)
    cls = namespace[owner]
    if function.kind == "property":
        return lambda: getattr(cls(), function.name)
    if function.kind in ("classmethod", "staticmethod"):
        return lambda: getattr(cls, function.name)(*args, **kwargs)
    return lambda: getattr(cls(), function.name)(*args, **kwargs)


def _direct(raw, namespace, owner, function, salt):
    """A call of the def's own function object (not through its decorators), with the
    receiver its kind needs taken from `namespace`."""
    args, kwargs = function.call_args(salt)
    if owner is None or function.kind == "staticmethod":
        return lambda: raw(*args, **kwargs)
    if function.kind == "classmethod":
        return lambda: raw(namespace[owner], *args, **kwargs)
    return lambda: raw(namespace[owner](), *args, **kwargs)


class OldCallables:
    """Callables kept from before the first save: each def's own function, a partial
    of each module function and a bound method of each plain method of an instance
    made then."""

    def __init__(self, module, model, references):
        self.first_keys = references.first_keys
        by_key = {key: function for key, _, function in references.entries}
        self.entries = []
        namespace = vars(module)
        for key, owner, function in model.calls():
            if function is None or key not in by_key:
                continue
            raw = by_key[key]
            self.entries.append((key, "function", raw))
            if owner is None:
                self.entries.append((key, "partial", functools.partial(raw)))
            elif function.kind == "method" and not function.decorators:
                self.entries.append((key, "bound method", getattr(namespace[owner](), function.name)))

    def compare(self, live_namespace, fresh_namespace, fresh_code, model, alive, salt):
        fresh_by_code = {}
        for f in oracle_compare.reachable_functions(fresh_namespace).values():
            fresh_by_code.setdefault(f.__code__, f)
        fresh_codes = oracle_compare.code_keys(fresh_code)
        specs = {key: (owner, function) for key, owner, function in model.calls() if function is not None}
        found = []
        compared = 0
        for key, how, kept in self.entries:
            if key not in alive or key not in specs or fresh_codes.get(key) not in fresh_by_code:
                continue
            if not oracle_compare.same_siblings(key, self.first_keys, fresh_codes):
                continue
            owner, function = specs[key]
            fresh = outcome(_direct(fresh_by_code[fresh_codes[key]], fresh_namespace, owner, function, salt))
            if how == "function":
                live = outcome(_direct(kept, live_namespace, owner, function, salt))
            else:
                args, kwargs = function.call_args(salt)
                live = outcome(lambda: kept(*args, **kwargs))
            compared += 1
            if live != fresh:
                found.append(Difference(f"old reference call ({how})", key, f"live {live} fresh {fresh}"))
        return compared, found



def old_instances(module, model):
    """An instance of each class, made before the first save."""
    namespace = vars(module)
    return {k.name: namespace[k.name]() for k in model.classes()}


def describe_instance(instance, namespace, owner, model, salt):
    """What the oracle compares of an instance: whether it is of the class bound
    now, its MRO's names, its attribute names, and what its plain methods return."""
    cls = type(instance)
    methods = {}
    for key, class_name, function in model.calls():
        if class_name == owner and function is not None and function.kind == "method" and not function.decorators:
            args, kwargs = function.call_args(salt)
            methods[key] = outcome(lambda: getattr(instance, function.name)(*args, **kwargs))
    return {
        "of the class bound now": cls is namespace.get(owner),
        "mro": [c.__name__ for c in cls.__mro__],
        "attributes": sorted(vars(instance)),
        "methods": methods,
    }


def compare_instances(instances, live_namespace, fresh_namespace, model, salt):
    """Instances made before the first save against fresh ones of the fresh import:
    class made again (header edits) or not, they must follow."""
    found = []
    compared = 0
    for k in model.classes():
        if k.name not in instances or k.name not in fresh_namespace:
            continue
        compared += 1
        live = describe_instance(instances[k.name], live_namespace, k.name, model, salt)
        fresh = describe_instance(fresh_namespace[k.name](), fresh_namespace, k.name, model, salt)
        # What the old instance has beyond a fresh one stays: a removed field is
        # the program's data, never deleted.
        live["attributes"] = [name for name in fresh["attributes"] if name in live["attributes"]]
        for aspect in live:
            if live[aspect] != fresh[aspect]:
                found.append(Difference(f"old instance {aspect}", k.name, f"live {live[aspect]} fresh {fresh[aspect]}"))
    return compared, found


def compare_calls(live_namespace, fresh_namespace, model, salt):
    """Every generated call through the module's bindings, live against fresh."""
    found = []
    calls = model.calls()
    for key, owner, function in calls:
        if function is not None and function.cached() and function.call_args(salt) == ([], {}):
            # Nothing to vary: the cache answers what an earlier save computed, as it
            # would in any program; the def's own function is called directly instead.
            continue
        binding = key if function is None else None
        live = outcome(_through_bindings(live_namespace, owner, function, binding, salt))
        fresh = outcome(_through_bindings(fresh_namespace, owner, function, binding, salt))
        if live != fresh:
            found.append(Difference("call result", key, f"live {live} fresh {fresh}"))
    return len(calls), found


class Failure:
    def __init__(self, seed, save, edits, before, after, differences):
        self.seed, self.save, self.edits = seed, save, edits
        self.before, self.after, self.differences = before, after, differences

    def describe(self, kind):
        shown = [d for d in self.differences if d.kind == kind][:6]
        return "\n".join(
            [
                f"seed {self.seed}, save {self.save} (ORACLE_SEED={self.seed} ORACLE_SEQUENCES=1)",
                "edits: " + "; ".join(self.edits),
                *(f"  {d}" for d in shown),
                "--- before ---",
                self.before.rstrip(),
                "--- after ---",
                self.after.rstrip(),
            ]
        )


class Tally:
    def __init__(self):
        self.saves = self.functions = self.references = self.calls = self.instances = 0
        self.failures = []


def run_sequence(ws, seed, kinds, tally):
    """Applies SAVES random saves to a fresh module; stops at the first save that
    differs from a fresh import (the module is not what later saves expect then)."""
    rng = random.Random(seed)
    model = oracle_gen.initial_module(rng)
    text = model.render()
    module, codefile = ws.module(text)
    name, path = module.__name__, codefile.filename
    first_code = compile(text, path, "exec", dont_inherit=True)
    references = oracle_compare.References(vars(module), first_code)
    callables = OldCallables(module, model, references)
    instances = old_instances(module, model)
    alive = set(oracle_compare.code_keys(first_code))
    assigned = oracle_compare.assigned_names(text)
    for save in range(1, SAVES + 1):
        changed, edits = oracle_gen.edit(rng, model, kinds)
        after = changed.render()
        before, model = text, changed
        text = after
        tally.saves += 1
        try:
            ws.edit(codefile, after)
        except Exception as error:
            kind = f"save rejected ({type(error).__name__})"
            tally.failures.append(Failure(seed, save, edits, before, after, [Difference(kind, name, str(error))]))
            return
        assigned |= oracle_compare.assigned_names(after)
        fresh_namespace, fresh_code, counts, differences = oracle_compare.compare_save(
            module, references, alive, assigned, after, path
        )
        tally.functions += counts["functions"]
        tally.references += counts["references"]
        compared, found = callables.compare(vars(module), fresh_namespace, fresh_code, model, alive, save)
        tally.references += compared
        differences += found
        compared, found = compare_calls(vars(module), fresh_namespace, model, save)
        tally.calls += compared
        differences += found
        compared, found = compare_instances(instances, vars(module), fresh_namespace, model, save)
        tally.instances += compared
        differences += found
        if differences:
            tally.failures.append(Failure(seed, save, edits, before, after, differences))
            return


def shrunk(ws, failure, kind, budget):
    """The failure's save shrunk to a smaller pair of texts that still shows `kind`
    when saved once over a fresh module, as text for the report; None when one save
    alone does not show it (it needed the sequence's history, or it is a call)."""

    def still_fails(before, after):
        found = oracle_compare.single_save(ws, before, after)
        return found is not None and any(d.kind == kind for d in found)

    if not still_fails(failure.before, failure.after):
        return None
    before, after = oracle_shrink.shrink(failure.before, failure.after, still_fails, budget)
    shown = [d for d in oracle_compare.single_save(ws, before, after) if d.kind == kind][:3]
    return "\n".join(
        ["shrunk to one save:", *(f"  {d}" for d in shown), "--- before ---", before.rstrip(), "--- after ---", after.rstrip()]
    )


def report(ws, tally):
    """Failures grouped by kind of difference, each with its smallest example, shrunk
    when one save alone shows it."""
    by_kind = defaultdict(list)
    for failure in tally.failures:
        for kind in sorted({d.kind for d in failure.differences}):
            by_kind[kind].append(failure)
    lines = [
        f"{len(tally.failures)} of {SEQUENCES} sequences went wrong "
        f"({tally.saves} saves, {tally.functions} functions, {tally.references} old references, "
        f"{tally.calls} calls, {tally.instances} old instances compared)",
        "kinds: " + ", ".join(f"{kind} ({len(fs)})" for kind, fs in sorted(by_kind.items())),
    ]
    deadline = time.monotonic() + SHRINK_SECONDS
    for kind, failures in sorted(by_kind.items()):
        smallest = min(failures, key=lambda f: len(f.before) + len(f.after))
        lines += ["", f"=== {kind}: {len(failures)} sequences; smallest:", smallest.describe(kind)]
        budget = min(3.0, deadline - time.monotonic())
        if budget > 0:
            lines.append(shrunk(ws, smallest, kind, budget) or "(one save alone does not show it: see the sequence)")
    return "\n".join(lines)


def test_random_edit_sequences_patch_the_live_module_like_a_fresh_import(ws):
    kinds = selected_kinds()
    tally = Tally()
    for i in range(SEQUENCES):
        run_sequence(ws, FIRST_SEED + i, kinds, tally)
    print(
        f"oracle: {SEQUENCES} sequences, {tally.saves} saves, {tally.functions} functions, "
        f"{tally.references} old references, {tally.calls} calls, {tally.instances} old instances compared"
    )
    if tally.failures:
        pytest.fail(report(ws, tally), pytrace=False)


def test_the_comparison_sees_no_difference_between_two_imports_of_one_text(tmp_path):
    for seed in range(20):
        model = oracle_gen.initial_module(random.Random(seed))
        text = model.render()
        path = str(tmp_path / f"twice_{seed}.py")
        first, first_code = oracle_compare.fresh_import(text, path, f"twice_{seed}")
        second, second_code = oracle_compare.fresh_import(text, path, f"twice_{seed}")
        compared, differences = oracle_compare.compare_namespaces(first, second)
        references = oracle_compare.References(first, first_code)
        old, found = references.compare(second, second_code, set(oracle_compare.code_keys(first_code)))
        calls, by_call = compare_calls(first, second, model, salt=0)
        assert (differences, found, by_call) == ([], [], []), text
        assert compared > 5 and old > 5 and calls > 3


def test_the_comparison_reports_code_left_at_its_old_line():
    before = "import functools\n\n\ndef f(x):\n    return functools.reduce(max, x)\n"
    after = "# a comment\n" + before
    live, live_code = oracle_compare.fresh_import(before, "m.py", "m")
    fresh, fresh_code = oracle_compare.fresh_import(after, "m.py", "m")
    _, differences = oracle_compare.compare_namespaces(live, fresh)
    assert {d.kind for d in differences} == {"co_firstlineno"}
    references = oracle_compare.References(live, live_code)
    _, found = references.compare(fresh, fresh_code, {"f"})
    assert {d.kind for d in found} == {"old reference co_firstlineno"}
