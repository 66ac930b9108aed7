"""A live module patched by jurigged against a fresh compile and import of the same
text: the comparison both oracles use (tests/python/test_oracle_edits.py and
`cargo xtask replay`).

Two views are compared:
- every function reachable from the module's bindings (module functions, methods,
  classmethods, staticmethods, property accessors, what decorators wrap, closures held
  in cells), matched by the path that reaches it, against the fresh import's;
- references taken before any save, matched by where their code sits in the text
  (its "code key", e.g. `C.method` or `make.inner`), against the fresh compile's code
  at that key.

Nothing here calls a user object's `__getattr__`: bindings are read from `__dict__`s.
"""

import ast
import dis
import functools
import sys
import types
from dataclasses import dataclass

# Code attributes compared as they are, in the order a reader wants them reported.
_PLAIN_FIELDS = [
    "co_name",
    "co_qualname",
    "co_argcount",
    "co_posonlyargcount",
    "co_kwonlyargcount",
    "co_flags",
    "co_firstlineno",
    "co_code",
    "co_names",
    "co_varnames",
    "co_freevars",
    "co_cellvars",
    "co_nlocals",
    "co_stacksize",
    "co_exceptiontable",
    "co_filename",
]
CODE_FIELDS = [f for f in _PLAIN_FIELDS if hasattr(compile("0", "x", "eval"), f)]
# The line table: co_linetable from 3.10 on (with columns from 3.11), co_lnotab before.
LINE_TABLE = "co_linetable" if sys.version_info >= (3, 10) else "co_lnotab"


@dataclass
class Difference:
    """One way a live object differs from the fresh one: `kind` groups differences
    across cases (e.g. "co_firstlineno", "missing function"), `where` says which
    function, `detail` what each side has."""

    kind: str
    where: str
    detail: str

    def __str__(self):
        return f"{self.kind} at {self.where}: {self.detail}"


def _short(value, limit=160):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _lines(code):
    """The line numbers a code object's instructions start, for a readable report of a
    line table difference."""
    return sorted({line for _, line in dis.findlinestarts(code) if line is not None})


def const_key(value):
    """A comparable description of a constant that is not a code object: type and
    value (so 0, 0.0, False and -0.0 stay apart)."""
    if isinstance(value, tuple):
        return ("tuple", tuple(const_key(v) for v in value))
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(repr(const_key(v)) for v in value)))
    return (type(value).__name__, repr(value))


def compare_code(live, fresh, where, prefix=""):
    """Every difference between two code objects, nested code in co_consts compared
    the same way (its `where` extended with the nested code's name)."""
    found = []
    for field in CODE_FIELDS:
        a, b = getattr(live, field), getattr(fresh, field)
        if a != b:
            found.append(Difference(prefix + field, where, f"live {_short(a)} fresh {_short(b)}"))
    if getattr(live, LINE_TABLE) != getattr(fresh, LINE_TABLE):
        detail = f"live lines {_lines(live)} fresh lines {_lines(fresh)}"
        if _lines(live) == _lines(fresh):
            detail += " (same lines: columns or ranges differ)"
        found.append(Difference(prefix + "line table", where, detail))
    live_consts, fresh_consts = live.co_consts, fresh.co_consts
    if len(live_consts) != len(fresh_consts):
        found.append(
            Difference(prefix + "co_consts", where, f"live {_short(live_consts)} fresh {_short(fresh_consts)}")
        )
        return found
    for a, b in zip(live_consts, fresh_consts):
        if isinstance(a, types.CodeType) and isinstance(b, types.CodeType):
            found.extend(compare_code(a, b, f"{where}/{b.co_name}", prefix))
        elif isinstance(a, types.CodeType) or isinstance(b, types.CodeType) or const_key(a) != const_key(b):
            found.append(Difference(prefix + "co_consts", where, f"live {_short(a)} fresh {_short(b)}"))
    return found


def describe(value):
    """A comparable description of a default or an annotation: literal values by
    type and repr, classes and functions by module and qualified name, other objects
    by type."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return (type(value).__name__, repr(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(describe(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), describe(v)) for k, v in value.items())))
    if isinstance(value, type):
        return ("class", value.__module__, value.__qualname__)
    if isinstance(value, types.FunctionType):
        return ("function", value.__module__, value.__qualname__)
    return ("object", type(value).__module__, type(value).__qualname__)


def _function_fields(function):
    return {
        "__name__": function.__name__,
        "__qualname__": function.__qualname__,
        "__doc__": function.__doc__,
        "__defaults__": describe(function.__defaults__),
        "__kwdefaults__": describe(function.__kwdefaults__),
        "__annotations__": describe(function.__annotations__),
    }


def compare_function(live, fresh, where, prefix="", code=True):
    """Differences in code, defaults, annotations, names and docstring."""
    found = compare_code(live.__code__, fresh.__code__, where, prefix) if code else []
    fresh_fields = _function_fields(fresh)
    for field, value in _function_fields(live).items():
        if value != fresh_fields[field]:
            found.append(Difference(prefix + field, where, f"live {_short(value)} fresh {_short(fresh_fields[field])}"))
    return found


def _own_dict(value):
    """`value.__dict__` without running user code (no `__getattr__`), or {}."""
    try:
        found = object.__getattribute__(value, "__dict__")
    except Exception:
        return {}
    return found if isinstance(found, dict) else {}


def reachable_functions(namespace):
    """{path: function} for every function defined in `namespace` (its globals are
    that namespace, or it is a member of a class of the module) reachable from the
    namespace's bindings: through classes of the module, classmethod/staticmethod/property, `__wrapped__`, partials, and the cells
    of closures. Paths read like `C.p.fget` or `f.__wrapped__` or `f.<cell fn>`."""
    module_name = namespace.get("__name__")
    found = {}
    seen = set()

    def visit(path, value, depth, in_class=False):
        if depth > 8 or isinstance(value, types.ModuleType):
            return
        if isinstance(value, types.FunctionType):
            # A class's own members count whatever their globals: dataclasses makes
            # __init__ with the globals of the module sys.modules has by that name.
            own = value.__globals__ is namespace or in_class
            if own:
                found[path] = value
            if id(value) in seen:
                return
            seen.add(id(value))
            # A wrapper from elsewhere (functools.singledispatch, contextlib) may
            # wrap one of ours.
            wrapped = value.__dict__.get("__wrapped__")
            if wrapped is not None:
                visit(f"{path}.__wrapped__", wrapped, depth + 1, in_class)
            if not own:
                return
            for name, cell in zip(value.__code__.co_freevars, value.__closure__ or ()):
                try:
                    content = cell.cell_contents
                except ValueError:
                    continue
                if isinstance(content, types.FunctionType) and content is not wrapped:
                    visit(f"{path}.<cell {name}>", content, depth + 1, in_class)
            return
        if id(value) in seen:
            return
        if isinstance(value, (classmethod, staticmethod)):
            seen.add(id(value))
            visit(f"{path}.__func__", value.__func__, depth + 1, in_class)
        elif isinstance(value, property):
            seen.add(id(value))
            for accessor in ("fget", "fset", "fdel"):
                visit(f"{path}.{accessor}", getattr(value, accessor), depth + 1, in_class)
        elif isinstance(value, functools.partial):
            seen.add(id(value))
            visit(f"{path}.func", value.func, depth + 1, in_class)
        elif isinstance(value, type):
            # A package may present a class as its own (`Error.__module__ =
            # "pkg"`): a class whose methods run in this namespace is this module's.
            defined_here = value.__module__ == module_name or any(
                isinstance(item, types.FunctionType) and item.__globals__ is namespace
                for item in value.__dict__.values()
            )
            if not defined_here:
                return
            seen.add(id(value))
            for name, item in sorted(value.__dict__.items()):
                visit(f"{path}.{name}", item, depth + 1, in_class=True)
        else:
            wrapped = _own_dict(value).get("__wrapped__")
            if wrapped is not None:
                seen.add(id(value))
                visit(f"{path}.__wrapped__", wrapped, depth + 1, in_class)

    for name, value in sorted(namespace.items()):
        visit(name, value, 0)
    return found


def code_keys(module_code):
    """{key: code} for every code object nested in a module's code: the key is the
    chain of names from the module (`C.m`, `make.inner`), with `#n` for the n-th
    (from 0) of several same-named siblings (a property's getter and setter, lambdas)."""
    found = {}

    def walk(code, key):
        counts = {}
        codes = [c for c in code.co_consts if isinstance(c, types.CodeType)]
        keys = []
        for const in codes:
            n = counts.get(const.co_name, 0)
            counts[const.co_name] = n + 1
            name = const.co_name if n == 0 else f"{const.co_name}#{n}"
            keys.append(f"{key}.{name}" if key else name)
        # 3.14+: the annotate function of a def is compiled in the enclosing scope,
        # just before the def's own code, and shares its name with the scope's
        # own (last) one: it is keyed under its def (`C.m.__annotate__`), so that
        # a def gaining annotations does not renumber the scope's.
        scope_own = 0
        for i, const in enumerate(codes):
            if const.co_name != "__annotate__":
                continue
            following = codes[i + 1] if i + 1 < len(codes) else None
            if following is not None and following.co_name != "__annotate__":
                keys[i] = f"{keys[i + 1]}.__annotate__"
            else:
                name = "__annotate__" if scope_own == 0 else f"__annotate__#{scope_own}"
                scope_own += 1
                keys[i] = f"{key}.{name}" if key else name
        for const, child in zip(codes, keys):
            found[child] = const
            walk(const, child)

    walk(module_code, "")
    return found


def fresh_import(text, filename, module_name, package=None):
    """Compiles and runs `text` as a new module named `module_name` (not put in place
    of a live module of that name in sys.modules); returns (namespace, module code)."""
    code = compile(text, filename, "exec", dont_inherit=True)
    module = types.ModuleType(module_name)
    module.__file__ = filename
    if package is not None:
        module.__package__ = package
    namespace = module.__dict__
    # Code that looks its module up by name (dataclasses resolving string
    # annotations) finds the live module when there is one, or this one meanwhile.
    absent = module_name not in sys.modules
    if absent:
        sys.modules[module_name] = module
    try:
        exec(code, namespace)
    finally:
        if absent:
            sys.modules.pop(module_name, None)
    return namespace, code


def assigned_names(text):
    """Names a module text binds at top level by assignment, not by def or class."""
    names = set()
    for node in ast.parse(text).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def compare_namespaces(live_namespace, fresh_namespace, assigned_before=()):
    """(functions compared, differences) between every function reachable from each.
    A function the live module still holds under a name that the previous text bound
    by assignment is not reported: removing a statement does not unbind its names."""
    live = reachable_functions(live_namespace)
    fresh = reachable_functions(fresh_namespace)
    found = []
    for path in sorted(set(live) | set(fresh)):
        if path not in live:
            found.append(Difference("missing function", path, "the fresh import has it, the live module does not"))
        elif path not in fresh:
            if path.split(".")[0] in assigned_before and path.split(".")[0] not in fresh_namespace:
                continue
            found.append(Difference("stale function", path, "the live module has it, the fresh import does not"))
        else:
            found.extend(compare_function(live[path], fresh[path], path))
    return len(set(live) & set(fresh)), found


class References:
    """Functions taken from a live module before any save, each with its code key
    in the text it was taken from."""

    def __init__(self, namespace, module_code):
        keys_by_code = {}
        for key, code in code_keys(module_code).items():
            keys_by_code.setdefault(code, key)
        self.entries = []
        for path, function in reachable_functions(namespace).items():
            key = keys_by_code.get(function.__code__)
            if key is not None:
                self.entries.append((key, path, function))
        # A wrapper made by functools.wraps carries the name, docstring and
        # annotations of what it wrapped when it was made: only a def's own function
        # has those of its def to compare.
        self.own = {id(f) for _, _, f in self.entries if f.__name__ == f.__code__.co_name}
        self.first_keys = set(code_keys(module_code))

    def compare(self, fresh_namespace, module_code, alive):
        """(references compared, differences) against the fresh compile; `alive`
        is the set of keys that every text since the references were taken has (a
        key that went away and came back is a new definition: nothing to expect)."""
        fresh_codes = code_keys(module_code)
        fresh_functions = {}
        for function in set(reachable_functions(fresh_namespace).values()):
            fresh_functions.setdefault(function.__code__, []).append(function)
        found = []
        compared = 0
        for key, path, function in self.entries:
            if key not in alive or key not in fresh_codes or not same_siblings(key, self.first_keys, fresh_codes):
                continue
            compared += 1
            where = f"{key} (taken as {path})"
            found.extend(compare_code(function.__code__, fresh_codes[key], where, "old reference "))
            # Defaults and annotations belong to one function object: compared when
            # the fresh import has exactly one function for this def.
            fresh_function = fresh_functions.get(fresh_codes[key], [])
            if id(function) in self.own and len(fresh_function) == 1:
                found.extend(compare_function(function, fresh_function[0], where, "old reference ", code=False))
        return compared, found


def _siblings(keys, prefix, base):
    head = f"{prefix}." if prefix else ""
    found = set()
    for key in keys:
        rest = key[len(head) :] if key.startswith(head) else None
        if rest is not None and "." not in rest and rest.split("#")[0] == base:
            found.add(rest)
    return found


def same_siblings(key, first_keys, current_keys):
    """Whether `key` names the same definition in both texts as far as keys can
    tell: where it goes through one of several same-named siblings (lambdas, a
    property's accessors, overload stubs), their number must not have changed, or
    `#1` could now be another one."""
    parts = key.split(".")
    for i, part in enumerate(parts):
        prefix, base = ".".join(parts[:i]), part.split("#")[0]
        first, current = _siblings(first_keys, prefix, base), _siblings(current_keys, prefix, base)
        if max(len(first), len(current)) > 1 and first != current:
            return False
    return True


def compare_values(live_namespace, fresh_namespace):
    """Module-level values that are plain data (statements' results)."""
    found = []
    for name, value in fresh_namespace.items():
        if name.startswith("__") or not isinstance(value, (int, str, float, tuple)):
            continue
        if name not in live_namespace:
            found.append(Difference("missing binding", name, f"fresh {_short(value)}"))
        elif describe(live_namespace[name]) != describe(value):
            found.append(Difference("binding value", name, f"live {_short(live_namespace[name])} fresh {_short(value)}"))
    return found


def compare_save(module, references, alive, assigned, after, path):
    """Code and values of the live module, after `after` was saved over `before`,
    against a fresh import of `after`: (fresh namespace, fresh code, {what: count
    compared}, differences). `alive` (the code keys every text so far has) is
    narrowed to `after`'s; `assigned` holds the names any text so far bound by
    assignment (removing a statement does not unbind them)."""
    fresh_namespace, fresh_code = fresh_import(after, path, module.__name__)
    alive &= set(code_keys(fresh_code))
    functions, differences = compare_namespaces(vars(module), fresh_namespace, assigned)
    old, found = references.compare(fresh_namespace, fresh_code, alive)
    differences += found + compare_values(vars(module), fresh_namespace)
    return fresh_namespace, fresh_code, {"functions": functions, "references": old}, differences


def single_save(ws, before, after):
    """The differences one save of `after` over a module imported from `before`
    leaves (calls aside: they need the generator's model); None if a text does not
    run. `ws` is the tests' Workspace (conftest.py)."""
    return save_sequence(ws, [before, after])


def save_sequence(ws, texts):
    """The differences that saving texts[1:] one after the other over a module
    imported from texts[0] leaves after the last save; None if a text does not
    run."""
    try:
        module, codefile = ws.module(texts[0])
        for text in texts[1:]:
            fresh_import(text, codefile.filename, module.__name__)
    except Exception:
        return None
    first_code = compile(texts[0], codefile.filename, "exec", dont_inherit=True)
    references = References(vars(module), first_code)
    alive = set(code_keys(first_code))
    assigned = assigned_names(texts[0])
    for text in texts[1:-1]:
        try:
            ws.edit(codefile, text)
        except Exception as error:
            return [Difference(f"save rejected ({type(error).__name__})", module.__name__, str(error))]
        alive &= set(code_keys(compile(text, codefile.filename, "exec", dont_inherit=True)))
        assigned |= assigned_names(text)
    try:
        ws.edit(codefile, texts[-1])
    except Exception as error:
        return [Difference(f"save rejected ({type(error).__name__})", module.__name__, str(error))]
    try:
        assigned |= assigned_names(texts[-1])
        return compare_save(module, references, alive, assigned, texts[-1], codefile.filename)[3]
    except Exception:
        return None
