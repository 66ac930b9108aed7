"""Random module texts and random edits of them, for the edit-sequence oracle
(test_oracle_edits.py).

A module is a small model (functions, classes with methods/classmethods/
staticmethods/properties, decorators, closure factories, statements, comment lines)
rendered to text; an edit changes the model the way a user edits a file. Every
function returns a value computed from its arguments and module or class constants,
so calls made on the live module and on a fresh import can be compared. All choices
come from the `random.Random` given, so a seed replays a sequence exactly.
"""

import copy
from dataclasses import dataclass, field
from typing import List, Optional

# The edit kinds, selectable with ORACLE_EDITS (comma separated); all by default.
EDIT_KINDS = (
    "body",
    "signature",
    "decorator",
    "add",
    "remove",
    "move",
    "rename",
    "statement",
    "class",
    "header",
    "closure",
    "shift",
)

# Classes every module defines, which a class may take as bases.
MIXINS = ("MixinA", "MixinB")

# Decorators a function or method may carry (defined at the top of every module).
DECORATORS = ("tagged", "doubled", "plus_one", "functools.lru_cache(maxsize=None)")
ANNOTATIONS = (None, "int", "float", "'int'", "list[int]", "K_TYPE")
RETURNS = (None, "int", "'int'", "object")


@dataclass
class Param:
    name: str
    default: Optional[int] = None
    annotation: Optional[str] = None
    kwonly: bool = False

    def render(self):
        text = self.name
        if self.annotation is not None:
            text += f": {self.annotation}"
        if self.default is not None:
            text += f" = {self.default}" if self.annotation is not None else f"={self.default}"
        return text


@dataclass
class Func:
    """A function or method; `kind` is function, method, classmethod, staticmethod or
    property (a getter, with a setter when `setter`)."""

    name: str
    kind: str = "function"
    params: List[Param] = field(default_factory=list)
    consts: List[int] = field(default_factory=lambda: [1])
    decorators: List[str] = field(default_factory=list)
    is_async: bool = False
    returns: Optional[str] = None
    doc: Optional[str] = None
    setter: bool = False
    # Reads the class's private `__secret` (mangled to `_C__secret` by CPython).
    private: bool = False
    # Annotations of @typing.overload stubs written before the def (functions only).
    overloads: List[str] = field(default_factory=list)

    def receiver(self):
        return {"method": "self", "property": "self", "classmethod": "cls"}.get(self.kind)

    def scale(self):
        return {"function": "K0", "staticmethod": "K1", "classmethod": "cls.SCALE"}.get(self.kind, "self.SCALE")

    def render(self, indent):
        pad = " " * indent
        lines = []
        for annotation in self.overloads:
            lines += [f"{pad}@typing.overload", f"{pad}def {self.name}(*args: {annotation}) -> {annotation}: ...", ""]
        if self.kind == "property":
            lines.append(f"{pad}@property")
        elif self.kind in ("classmethod", "staticmethod"):
            lines.append(f"{pad}@{self.kind}")
        lines.extend(f"{pad}@{d}" for d in self.decorators)
        positional = [p.render() for p in self.params if not p.kwonly]
        kwonly = [p.render() for p in self.params if p.kwonly]
        parts = ([self.receiver()] if self.receiver() else []) + positional + (["*"] + kwonly if kwonly else [])
        returns = f" -> {self.returns}" if self.returns is not None else ""
        prefix = "async def" if self.is_async else "def"
        lines.append(f"{pad}{prefix} {self.name}({', '.join(parts)}){returns}:")
        if self.doc is not None:
            lines.append(f'{pad}    """{self.doc}"""')
        lines.append(f"{pad}    acc = {self.consts[0]}")
        for i, p in enumerate(self.params):
            lines.append(f"{pad}    acc = acc + {p.name} * {i + 2}")
        for c in self.consts[1:]:
            lines.append(f"{pad}    acc = acc + {c}")
        if self.private and self.receiver():
            lines.append(f"{pad}    acc = acc + {self.receiver()}.__secret")
        lines.append(f"{pad}    return acc + {self.scale()}")
        if self.kind == "property" and self.setter:
            lines.append("")
            lines.append(f"{pad}@{self.name}.setter")
            lines.append(f"{pad}def {self.name}(self, value):")
            lines.append(f"{pad}    self._{self.name} = value")
        return lines

    def cached(self):
        return any("lru_cache" in d for d in self.decorators)

    def call_args(self, salt=0):
        """Arguments for a call: every parameter without a default, positional ones
        by position, keyword-only ones by name. Calls after each save use a new
        `salt`, so that a cache (lru_cache) never answers from an earlier save; a
        cached function gets every parameter for that reason."""
        every = self.cached()
        args = [3 + i + 100 * salt for i, p in enumerate(self.params) if not p.kwonly and (every or p.default is None)]
        kwargs = {
            p.name: 5 + i + 100 * salt for i, p in enumerate(self.params) if p.kwonly and (every or p.default is None)
        }
        return args, kwargs


@dataclass
class Klass:
    name: str
    scale: int
    methods: List[Func] = field(default_factory=list)
    secret: int = 1
    # Decorated with @dataclasses.dataclass, with a field `size` defaulting to this.
    size: Optional[int] = None
    # Names of the mixins (MIXINS) it derives from, in order.
    bases: List[str] = field(default_factory=list)

    def render(self, indent=0):
        lines = ["@dataclasses.dataclass"] if self.size is not None else []
        header = f"class {self.name}({', '.join(self.bases)}):" if self.bases else f"class {self.name}:"
        lines += [header, f"    SCALE = {self.scale}", f"    __secret = {self.secret}"]
        if self.size is not None:
            lines.append(f"    size: int = {self.size}")
        for m in self.methods:
            lines.append("")
            lines.extend(m.render(4))
        return lines


@dataclass
class Factory:
    """A function returning a closure, and a module binding made by calling it."""

    name: str
    binding: str
    const: int
    arg: int

    def render(self, indent=0):
        return [
            f"def {self.name}(k):",
            "    def inner(v):",
            f"        return v * k + {self.const}",
            "    return inner",
            "",
            f"{self.binding} = {self.name}({self.arg})",
        ]


@dataclass
class Dispatch:
    """A functools.singledispatch function with implementations registered by
    annotation, each a def named `_`."""

    name: str
    const: int
    implementations: List[list] = field(default_factory=list)  # [type name, constant]

    def render(self, indent=0):
        lines = ["@functools.singledispatch", f"def {self.name}(x):", f"    return ('base', {self.const})"]
        for kind, const in self.implementations:
            lines += ["", "", f"@{self.name}.register", f"def _(x: {kind}):", f"    return ('{kind}', x, {const})"]
        return lines


@dataclass
class Lambda:
    """A module binding to a lambda."""

    name: str
    const: int

    def render(self, indent=0):
        return [f"{self.name} = lambda v: v * K1 + {self.const}"]


@dataclass
class Statement:
    name: str
    value: int

    def render(self, indent=0):
        return [f"{self.name} = {self.value}"]


@dataclass
class Comment:
    """Lines with no code: inserting or removing them shifts what follows."""

    count: int

    def render(self, indent=0):
        return [f"# note {i}" for i in range(self.count)]


@dataclass
class Module:
    top_comments: int = 0
    k0: int = 2
    k1: int = 3
    tag: int = 1
    factor: int = 2
    plus: int = 1
    future_annotations: bool = False
    items: list = field(default_factory=list)
    counter: int = 0

    def fresh_name(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def render(self):
        lines = [f"# header {i}" for i in range(self.top_comments)]
        if self.future_annotations:
            lines.append("from __future__ import annotations")
        lines += [
            "import dataclasses",
            "import functools",
            "import typing",
            "",
            "K_TYPE = int",
            f"K0 = {self.k0}",
            f"K1 = {self.k1}",
            "",
            "",
            "def tagged(fn):",
            "    @functools.wraps(fn)",
            "    def wrapper(*args, **kwargs):",
            f"        return ('tag', {self.tag}, fn(*args, **kwargs))",
            "    return wrapper",
            "",
            "",
            "def doubled(fn):",
            "    @functools.wraps(fn)",
            "    def wrapper(*args, **kwargs):",
            f"        return fn(*args, **kwargs) * {self.factor}",
            "    return wrapper",
            "",
            "",
            "def plus_one(fn):",
            "    def inner(*args, **kwargs):",
            f"        return fn(*args, **kwargs) + {self.plus}",
            "    return inner",
        ]
        for mixin in MIXINS:
            lines += ["", "", f"class {mixin}:", f"    def {mixin.lower()}(self):", f"        return '{mixin}'"]
        for item in self.items:
            lines += ["", ""]
            lines += item.render(0) if isinstance(item, Func) else item.render()
        return "\n".join(lines) + "\n"

    def functions(self):
        return [i for i in self.items if isinstance(i, Func)]

    def classes(self):
        return [i for i in self.items if isinstance(i, Klass)]

    def every_function(self):
        """(owner class or None, function) for every function and method."""
        found = [(None, f) for f in self.functions()]
        for k in self.classes():
            found += [(k, m) for m in k.methods]
        return found

    def calls(self):
        """(label, code key, owner class name or None, function model) for every
        call the oracle makes: the code key names the def in the text."""
        found = []
        for owner, f in self.every_function():
            key = f"{owner.name}.{f.name}" if owner else f.name
            found.append((key, owner.name if owner else None, f))
        for item in self.items:
            if isinstance(item, Factory):
                found.append((item.binding, None, None))
            elif isinstance(item, (Lambda, Dispatch)):
                found.append((item.name, None, None))
            elif isinstance(item, Klass) and item.size is not None:
                found.append((f"{item.name}.size", item.name, None))
        return found


def _new_params(rng, module, count):
    params = []
    for _ in range(count):
        params.append(
            Param(
                module.fresh_name("a"),
                default=rng.choice([None, None, rng.randint(0, 9)]),
                annotation=rng.choice(ANNOTATIONS),
                kwonly=rng.random() < 0.2,
            )
        )
    return _ordered(params)


def _ordered(params):
    """Positional parameters without a default before those with one, as Python
    requires; keyword-only ones may be in any order."""
    positional = [p for p in params if not p.kwonly]
    required = [p for p in positional if p.default is None]
    defaulted = [p for p in positional if p.default is not None]
    return required + defaulted + [p for p in params if p.kwonly]


def new_function(rng, module, kind="function"):
    prefix = {"function": "f", "property": "p"}.get(kind, "m")
    f = Func(module.fresh_name(prefix), kind=kind, consts=[rng.randint(0, 20)])
    if kind != "property":
        f.params = _new_params(rng, module, rng.randint(0, 3))
        f.returns = rng.choice(RETURNS)
        if kind in ("function", "method") and rng.random() < 0.3:
            f.decorators = [rng.choice(DECORATORS)]
        elif kind == "function" and rng.random() < 0.15:
            f.overloads = rng.sample(["int", "str", "float"], rng.randint(1, 2))
        elif kind in ("function", "method") and rng.random() < 0.1:
            f.is_async = True
    else:
        f.setter = rng.random() < 0.5
    f.private = kind in ("method", "classmethod", "property") and rng.random() < 0.3
    if rng.random() < 0.2:
        f.doc = f"Doc {rng.randint(0, 99)}."
    return f


def new_class(rng, module):
    k = Klass(module.fresh_name("C"), rng.randint(1, 9), secret=rng.randint(1, 9))
    if rng.random() < 0.25:
        k.size = rng.randint(0, 9)
    for _ in range(rng.randint(1, 4)):
        k.methods.append(new_function(rng, module, rng.choice(["method", "method", "classmethod", "staticmethod", "property"])))
    return k


def new_factory(rng, module):
    n = module.fresh_name("make")
    return Factory(n, f"bound_{n}", rng.randint(0, 9), rng.randint(1, 5))


def new_dispatch(rng, module):
    d = Dispatch(module.fresh_name("g"), rng.randint(0, 9))
    for kind in rng.sample(["int", "str", "float"], rng.randint(0, 2)):
        d.implementations.append([kind, rng.randint(0, 9)])
    return d


def new_lambda(rng, module):
    return Lambda(module.fresh_name("L"), rng.randint(0, 9))


def initial_module(rng):
    module = Module(k0=rng.randint(1, 9), k1=rng.randint(1, 9))
    for _ in range(rng.randint(2, 4)):
        module.items.append(new_function(rng, module))
    for _ in range(rng.randint(1, 2)):
        module.items.append(new_class(rng, module))
    if rng.random() < 0.6:
        module.items.append(new_factory(rng, module))
    if rng.random() < 0.4:
        module.items.append(Statement(module.fresh_name("X"), rng.randint(0, 9)))
    if rng.random() < 0.4:
        module.items.append(new_lambda(rng, module))
    if rng.random() < 0.3:
        module.items.append(new_dispatch(rng, module))
    module.future_annotations = rng.random() < 0.15
    rng.shuffle(module.items)
    return module


# Edits: each takes (rng, module), changes the module and returns a description, or
# returns None when it does not apply to this module (the caller tries another).


def _pick_function(rng, module, kinds=None):
    choices = [(o, f) for o, f in module.every_function() if kinds is None or f.kind in kinds]
    return rng.choice(choices) if choices else (None, None)


def _label(owner, f):
    return f"{owner.name}.{f.name}" if owner else f.name


def edit_body(rng, module):
    owner, f = _pick_function(rng, module)
    if f is None:
        return None
    choice = rng.randrange(5)
    if choice == 4 and f.receiver():
        f.private = not f.private
        return f"body of {_label(owner, f)}: {'now reads' if f.private else 'no longer reads'} the private __secret"
    if choice in (0, 4) or len(f.consts) == 1 and choice == 2:
        old, f.consts[0] = f.consts[0], f.consts[0] + rng.randint(1, 9)
        return f"body of {_label(owner, f)}: first constant {old} -> {f.consts[0]}"
    if choice == 1:
        f.consts.append(rng.randint(0, 9))
        return f"body of {_label(owner, f)}: one more line"
    if choice == 2:
        f.consts.pop()
        return f"body of {_label(owner, f)}: one line fewer"
    old, f.doc = f.doc, (None if f.doc else f"Doc {rng.randint(0, 99)}.")
    return f"docstring of {_label(owner, f)}: {old!r} -> {f.doc!r}"


def edit_signature(rng, module):
    owner, f = _pick_function(rng, module, ("function", "method", "classmethod", "staticmethod"))
    if f is None:
        return None
    label = _label(owner, f)
    choice = rng.randrange(8)
    if choice == 7 and f.kind == "function" and not f.decorators and not f.is_async:
        if f.overloads and rng.random() < 0.6:
            i = rng.randrange(len(f.overloads))
            old = f.overloads[i]
            f.overloads[i] = rng.choice([a for a in ("int", "str", "float", "bytes") if a != old])
            return f"overload stub {i} of {label}: annotation {old} -> {f.overloads[i]}"
        if f.overloads and rng.random() < 0.5:
            f.overloads.pop()
            return f"last overload stub of {label} removed"
        f.overloads.append(rng.choice(["int", "str", "float"]))
        return f"overload stub ({f.overloads[-1]}) added before {label}"
    if choice == 0:
        p = _new_params(rng, module, 1)[0]
        f.params = _ordered(f.params + [p])
        return f"signature of {label}: parameter {p.render()} added"
    if choice == 1 and f.params:
        p = f.params.pop(rng.randrange(len(f.params)))
        return f"signature of {label}: parameter {p.name} removed"
    defaulted = [p for p in f.params if p.default is not None]
    if choice == 2 and defaulted:
        p = rng.choice(defaulted)
        old, p.default = p.default, p.default + rng.randint(1, 5)
        return f"signature of {label}: default of {p.name} {old} -> {p.default}"
    if choice == 3 and f.params:
        p = rng.choice(f.params)
        old, p.annotation = p.annotation, rng.choice([a for a in ANNOTATIONS if a != p.annotation])
        return f"signature of {label}: annotation of {p.name} {old} -> {p.annotation}"
    if choice == 4:
        old, f.returns = f.returns, rng.choice([r for r in RETURNS if r != f.returns])
        return f"signature of {label}: return annotation {old} -> {f.returns}"
    if choice == 5 and not f.decorators:
        f.is_async = not f.is_async
        return f"signature of {label}: {'now' if f.is_async else 'no longer'} async"
    if choice == 6 and f.params:
        p = rng.choice(f.params)
        if p.kwonly or p.default is not None:
            p.kwonly = not p.kwonly
            f.params = _ordered(f.params)
            return f"signature of {label}: {p.name} {'now' if p.kwonly else 'no longer'} keyword-only"
    p = _new_params(rng, module, 1)[0]
    p.default = rng.randint(0, 9)
    f.params = _ordered(f.params + [p])
    return f"signature of {label}: parameter {p.render()} added"


def edit_decorator(rng, module):
    owner, f = _pick_function(rng, module, ("function", "method"))
    if f is None or f.is_async:
        return None
    label = _label(owner, f)
    available = [d for d in DECORATORS if d not in f.decorators]
    choice = rng.randrange(3)
    if choice == 0 and f.decorators:
        d = f.decorators.pop(rng.randrange(len(f.decorators)))
        return f"decorator @{d} removed from {label}"
    if choice == 1 and f.decorators:
        i = rng.randrange(len(f.decorators))
        old, f.decorators[i] = f.decorators[i], rng.choice(available)
        return f"decorator of {label}: @{old} -> @{f.decorators[i]}"
    d = rng.choice(available)
    f.decorators.insert(rng.randint(0, len(f.decorators)), d)
    return f"decorator @{d} added to {label}"


def edit_add(rng, module):
    choice = rng.randrange(7)
    dispatches = [i for i in module.items if isinstance(i, Dispatch)]
    if choice == 6 and dispatches:
        d = rng.choice(dispatches)
        missing = [k for k in ("int", "str", "float") if k not in [i[0] for i in d.implementations]]
        if missing:
            d.implementations.append([rng.choice(missing), rng.randint(0, 9)])
            return f"implementation for {d.implementations[-1][0]} registered on {d.name}"
    if choice == 3 and module.classes():
        k = rng.choice(module.classes())
        m = new_function(rng, module, rng.choice(["method", "classmethod", "staticmethod", "property"]))
        k.methods.insert(rng.randint(0, len(k.methods)), m)
        return f"method {k.name}.{m.name} ({m.kind}) added"
    makers = {0: new_function, 1: new_class, 2: new_factory, 4: new_lambda, 5: new_dispatch}
    item = makers.get(choice, new_function)(rng, module)
    module.items.insert(rng.randint(0, len(module.items)), item)
    return f"{type(item).__name__.lower()} {item.name} added"


def edit_remove(rng, module):
    removable = [i for i in module.items if isinstance(i, (Func, Klass, Factory, Lambda, Dispatch))]
    if rng.random() < 0.3 and module.classes():
        k = rng.choice(module.classes())
        if len(k.methods) > 1:
            m = k.methods.pop(rng.randrange(len(k.methods)))
            return f"method {k.name}.{m.name} removed"
    if len(removable) < 2:
        return None
    item = rng.choice(removable)
    module.items.remove(item)
    return f"{type(item).__name__.lower()} {item.name} removed"


def edit_move(rng, module):
    if rng.random() < 0.3:
        classes = [k for k in module.classes() if len(k.methods) > 1]
        if classes:
            k = rng.choice(classes)
            m = k.methods.pop(rng.randrange(len(k.methods)))
            k.methods.insert(rng.randint(0, len(k.methods)), m)
            return f"method {k.name}.{m.name} moved"
    if len(module.items) < 2:
        return None
    item = module.items.pop(rng.randrange(len(module.items)))
    module.items.insert(rng.randint(0, len(module.items)), item)
    return f"{type(item).__name__.lower()} {getattr(item, 'name', '')} moved".replace("  ", " ")


def edit_rename(rng, module):
    owner, f = _pick_function(rng, module)
    if f is None:
        return None
    old, f.name = f.name, module.fresh_name(f.name.rstrip("0123456789"))
    return f"{_label(owner, f)} renamed from {old}"


def edit_statement(rng, module):
    if rng.random() < 0.1:
        module.future_annotations = not module.future_annotations
        return f"from __future__ import annotations {'added' if module.future_annotations else 'removed'}"
    choice = rng.randrange(4)
    statements = [i for i in module.items if isinstance(i, Statement)]
    if choice == 0:
        old, module.k0 = module.k0, module.k0 + rng.randint(1, 5)
        return f"statement K0 = {old} -> {module.k0}"
    if choice == 1:
        old, module.k1 = module.k1, module.k1 + rng.randint(1, 5)
        return f"statement K1 = {old} -> {module.k1}"
    if choice == 2 and statements:
        s = rng.choice(statements)
        old, s.value = s.value, s.value + 1
        return f"statement {s.name} = {old} -> {s.value}"
    if statements and rng.random() < 0.5:
        s = rng.choice(statements)
        module.items.remove(s)
        return f"statement {s.name} removed"
    s = Statement(module.fresh_name("X"), rng.randint(0, 9))
    module.items.insert(rng.randint(0, len(module.items)), s)
    return f"statement {s.name} = {s.value} added"


def edit_class(rng, module):
    if not module.classes():
        return None
    k = rng.choice(module.classes())
    choice = rng.randrange(6)
    if choice == 3:
        old, k.secret = k.secret, k.secret + 1
        return f"class statement {k.name}.__secret = {old} -> {k.secret}"
    if choice == 4 and k.size is not None:
        old, k.size = k.size, k.size + rng.randint(1, 5)
        return f"dataclass field default {k.name}.size = {old} -> {k.size}"
    if choice == 5:
        k.size = None if k.size is not None else rng.randint(0, 9)
        return f"class decorator @dataclasses.dataclass {'added to' if k.size is not None else 'removed from'} {k.name}"
    if choice == 0:
        old, k.scale = k.scale, k.scale + rng.randint(1, 5)
        return f"class statement {k.name}.SCALE = {old} -> {k.scale}"
    properties = [m for m in k.methods if m.kind == "property"]
    if choice == 1 and properties:
        p = rng.choice(properties)
        p.setter = not p.setter
        return f"setter of {k.name}.{p.name} {'added' if p.setter else 'removed'}"
    m = rng.choice(k.methods)
    old, m.consts[0] = m.consts[0], m.consts[0] + 1
    return f"body of {k.name}.{m.name}: first constant {old} -> {m.consts[0]}"


def edit_header(rng, module):
    """A class header edit: a base added, removed or the bases reordered, or the
    class decorator added or removed."""
    if not module.classes():
        return None
    k = rng.choice(module.classes())
    choice = rng.randrange(4)
    missing = [m for m in MIXINS if m not in k.bases]
    if choice == 0 and missing:
        base = rng.choice(missing)
        k.bases.insert(rng.randint(0, len(k.bases)), base)
        return f"base {base} added to {k.name} ({', '.join(k.bases)})"
    if choice == 1 and k.bases:
        base = k.bases.pop(rng.randrange(len(k.bases)))
        return f"base {base} removed from {k.name} ({', '.join(k.bases)})"
    if choice == 2 and len(k.bases) > 1:
        k.bases.reverse()
        return f"bases of {k.name} reordered ({', '.join(k.bases)})"
    k.size = None if k.size is not None else rng.randint(0, 9)
    return f"class decorator @dataclasses.dataclass {'added to' if k.size is not None else 'removed from'} {k.name}"


def edit_closure(rng, module):
    factories = [i for i in module.items if isinstance(i, Factory)]
    lambdas = [i for i in module.items if isinstance(i, Lambda)]
    dispatched = [i for i in module.items if isinstance(i, Dispatch) and i.implementations]
    choice = rng.randrange(7)
    if choice == 6 and dispatched:
        d = rng.choice(dispatched)
        implementation = rng.choice(d.implementations)
        old, implementation[1] = implementation[1], implementation[1] + 1
        return f"body of {d.name}'s {implementation[0]} implementation: {old} -> {implementation[1]}"
    if choice == 5 and lambdas:
        f = rng.choice(lambdas)
        old, f.const = f.const, f.const + rng.randint(1, 5)
        return f"lambda body of {f.name}: {old} -> {f.const}"
    if choice == 0 and factories:
        f = rng.choice(factories)
        old, f.const = f.const, f.const + rng.randint(1, 5)
        return f"closure body of {f.name}.inner: {old} -> {f.const}"
    if choice == 1 and factories:
        f = rng.choice(factories)
        old, f.arg = f.arg, f.arg + 1
        return f"statement {f.binding} = {f.name}({old}) -> ({f.arg})"
    attribute = rng.choice(["tag", "factor", "plus"])
    old = getattr(module, attribute)
    setattr(module, attribute, old + rng.randint(1, 3))
    return f"decorator wrapper body ({attribute}): {old} -> {getattr(module, attribute)}"


def edit_shift(rng, module):
    comments = [i for i in module.items if isinstance(i, Comment)]
    choice = rng.randrange(3)
    if choice == 0:
        old, module.top_comments = module.top_comments, max(0, module.top_comments + rng.choice([-1, 1, 2]))
        return f"comment lines at the top {old} -> {module.top_comments}"
    if choice == 1 and comments:
        c = rng.choice(comments)
        module.items.remove(c)
        return f"{c.count} comment lines removed"
    c = Comment(rng.randint(1, 3))
    module.items.insert(rng.randint(0, len(module.items)), c)
    return f"{c.count} comment lines inserted"


EDITS = {
    "body": edit_body,
    "signature": edit_signature,
    "decorator": edit_decorator,
    "add": edit_add,
    "remove": edit_remove,
    "move": edit_move,
    "rename": edit_rename,
    "statement": edit_statement,
    "class": edit_class,
    "header": edit_header,
    "closure": edit_closure,
    "shift": edit_shift,
}


def edit(rng, module, kinds):
    """A copy of `module` with one to three edits of the given kinds; returns
    (new module, descriptions)."""
    changed = copy.deepcopy(module)
    done = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        for _attempt in range(20):
            kind = rng.choice(kinds)
            description = EDITS[kind](rng, changed)
            if description is not None:
                done.append(f"[{kind}] {description}")
                break
    return changed, done
