"""The programmatic API around the recoder: jurigged.registry (find, get_at,
prepare, auto_register, activity), glob_filter, virtual_file, the code registry
jurigged.db (find_code, get_functions, conform, __conform__), watch() hooks,
__version__, __all__ and the type stubs."""

import ast
import builtins
import gc
import importlib
import importlib.metadata
import inspect
import linecache
import re
import textwrap
import traceback
import types
from pathlib import Path

import pytest

import jurigged
from support.waiting import wait_until
from jurigged import _jurigged, db




@pytest.fixture
def watching():
    """Starts jurigged.watch() sessions that are stopped at the end of the test."""
    watchers = []

    def start(pattern, **kwargs):
        events = []
        watcher = jurigged.watch(pattern, logger=events.append, **kwargs)
        watchers.append(watcher)
        return watcher, events

    yield start
    for watcher in watchers:
        watcher.stop()
        watcher.join(10)


@pytest.fixture
def activity():
    """Everything registry.activity announces during the test."""
    seen = []
    callback = jurigged.registry.activity.register(seen.append)
    yield seen
    jurigged.registry.activity.unregister(callback)


SHAPES = """
import functools

X = 1


def deco(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)
    return wrapper


@deco
def decorated(x):
    return x


def plain(x):
    return x + 1


class K:
    attr = 2

    def m(self):
        return 1

    @staticmethod
    def s():
        return 2

    @classmethod
    def c(cls):
        return 3

    class Inner:
        def im(self):
            return 4


def make(n):
    def inner():
        return n
    return inner
"""


def line_of(text, needle):
    """1-based number of the line of `text` that contains `needle` (once)."""
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def resolve_path(module, path):
    """The object at a dotted path found by the registry (`mod.K.m`)."""
    assert path == module.__name__ or path.startswith(module.__name__ + ".")
    obj = module
    for part in path[len(module.__name__) :].split(".")[1:]:
        obj = getattr(obj, part)
    return obj


# -- registry.find and registry.get_at ------------------------------------------


def test_find_module_function_code_and_class(ws):
    mod = ws.load(SHAPES)
    name = mod.__name__
    path = str(ws.path / f"{name}.py")
    cases = [
        (mod, name),
        (mod.plain, f"{name}.plain"),
        (mod.plain.__code__, f"{name}.plain"),
        (mod.decorated, f"{name}.decorated"),
        (mod.K, f"{name}.K"),
        (mod.K.m, f"{name}.K.m"),
        (mod.K().m, f"{name}.K.m"),
        (mod.K.m.__code__, f"{name}.K.m"),
        (mod.K.s, f"{name}.K.s"),
        (mod.K.c, f"{name}.K.c"),
        (mod.K.Inner, f"{name}.K.Inner"),
        (mod.K.Inner.im, f"{name}.K.Inner.im"),
        (mod.make.__code__, f"{name}.make"),
    ]
    for obj, expected in cases:
        codefile, definition = jurigged.registry.find(obj)
        assert definition is not None, obj
        assert definition.dotpath() == expected, obj
        assert isinstance(codefile, jurigged.CodeFile)
        assert codefile.filename == path
        assert codefile.module_name == name
    # One CodeFile per file, the one the registry hands out.
    assert jurigged.registry.get(path) is jurigged.registry.find(mod)[0]
    assert path in jurigged.registry.filenames()
    # Code without a Python source file: (None, None), as the original.
    namespace = {}
    exec("def from_a_string():\n    pass\n", namespace)
    assert jurigged.registry.find(namespace["from_a_string"]) == (None, None)
    # Not code at all: raises, as the original.
    for not_code in [len, 42, "text", mod.K()]:
        with pytest.raises(TypeError):
            jurigged.registry.find(not_code)


def test_get_at_and_find_round_trip(ws):
    mod = ws.load(SHAPES)
    name = mod.__name__
    path = str(ws.path / f"{name}.py")
    text = textwrap.dedent(SHAPES)
    codefile = jurigged.registry.prepare(name)
    assert codefile is jurigged.registry.get(path)
    expectations = {
        "def plain(x):": f"{name}.plain",
        "return x + 1": f"{name}.plain",
        "@deco": f"{name}.decorated",
        "def decorated(x):": f"{name}.decorated",
        "class K:": f"{name}.K",
        "attr = 2": f"{name}.K",
        "def m(self):": f"{name}.K.m",
        "return 1": f"{name}.K.m",
        "def s():": f"{name}.K.s",
        "def c(cls):": f"{name}.K.c",
        "class Inner:": f"{name}.K.Inner",
        "def im(self):": f"{name}.K.Inner.im",
        "return 4": f"{name}.K.Inner.im",
        "def make(n):": f"{name}.make",
        "def inner():": f"{name}.make.inner",
    }
    for needle, expected in expectations.items():
        found_codefile, definition = jurigged.registry.get_at(path, line_of(text, needle))
        assert found_codefile is codefile
        assert definition.dotpath() == expected, needle
    # From a line to an object and back.
    for needle in ["def plain(x):", "class K:", "def m(self):", "def s():", "def c(cls):", "def im(self):"]:
        _, definition = jurigged.registry.get_at(path, line_of(text, needle))
        obj = resolve_path(mod, definition.dotpath())
        assert jurigged.registry.find(obj) == (codefile, definition)
    # From an object to a line and back.
    for obj in [mod.plain, mod.K.m, mod.K.Inner.im, mod.make]:
        found_codefile, definition = jurigged.registry.find(obj)
        line = obj.__code__.co_firstlineno
        assert definition.lineno == line
        assert jurigged.registry.get_at(path, line) == (found_codefile, definition)
    # Outside every definition: (codefile, None); in a file the registry does not
    # know: (None, None), as the original.
    assert jurigged.registry.get_at(path, line_of(text, "X = 1")) == (codefile, None)
    assert jurigged.registry.get_at(str(ws.path / "unknown.py"), 1) == (None, None)


def test_prepare_get_and_filenames(ws):
    mod = ws.load("def f():\n    return 1\n")
    other = ws.load("def g():\n    return 2\n")
    path = str(ws.path / f"{mod.__name__}.py")
    other_path = str(ws.path / f"{other.__name__}.py")
    assert jurigged.registry.get(path) is None
    codefile = jurigged.registry.prepare(mod.__name__)
    assert isinstance(codefile, jurigged.CodeFile)
    assert (codefile.filename, codefile.module_name) == (path, mod.__name__)
    assert jurigged.registry.get(path) is codefile
    assert jurigged.registry.get(Path(path)) is codefile
    assert jurigged.registry.prepare(mod.__name__) is codefile
    by_file = jurigged.registry.prepare(filename=other_path)
    assert (by_file.filename, by_file.module_name) == (other_path, other.__name__)
    assert {path, other_path} <= set(jurigged.registry.filenames())
    # A built-in module has no source; an unknown module is not there.
    assert jurigged.registry.prepare("sys") is None
    assert jurigged.registry.prepare("jm_not_imported_anywhere") is None
    with pytest.raises(ValueError):
        jurigged.registry.prepare()


# -- registry.auto_register and glob_filter --------------------------------------


@pytest.mark.parametrize("kind", ["glob-string", "glob_filter", "callable"])
def test_auto_register_tracks_a_module_imported_afterwards(ws, activity, kind):
    name = f"jm_auto_{kind.replace('-', '_')}"
    path = ws.write(f"{name}.py", "def h():\n    return 1\n")
    ignored_path = ws.write(f"{name}_ignored.py", "def h():\n    return 1\n")
    pattern = str(path)
    chosen = {
        "glob-string": pattern,
        "glob_filter": jurigged.glob_filter(pattern),
        "callable": lambda filename: filename == pattern,
    }[kind]
    assert jurigged.registry.get(str(path)) is None
    jurigged.registry.auto_register(chosen)
    assert jurigged.registry.get(str(path)) is None
    importlib.invalidate_caches()
    mod = importlib.import_module(name)
    ws.modules.append(name)
    ignored = importlib.import_module(f"{name}_ignored")
    ws.modules.append(f"{name}_ignored")
    codefile = jurigged.registry.get(str(path))
    assert codefile is not None
    assert (codefile.filename, codefile.module_name) == (str(path), name)
    assert codefile.text == "def h():\n    return 1\n"
    found_codefile, definition = jurigged.registry.find(mod.h)
    assert found_codefile is codefile and definition.dotpath() == f"{name}.h"
    assert jurigged.registry.get(str(ignored_path)) is None
    assert ignored.h() == 1
    assert [str(e) for e in activity if e.kind == "watch" and e.filename == str(path)] == [f"Watch {path}"]


def test_auto_register_applies_changes_to_the_module_imported_afterwards(ws):
    name = "jm_auto_applies"
    path = ws.write(f"{name}.py", "def h():\n    return 1\n")
    jurigged.registry.auto_register(str(path))
    importlib.invalidate_caches()
    mod = importlib.import_module(name)
    ws.modules.append(name)
    codefile = jurigged.registry.get(str(path))
    assert codefile is not None
    # The CodeFile feeds the module it was imported as.
    assert codefile.namespace is mod.__dict__
    path.write_text("def h():\n    return 2\n")
    events = [str(e) for e in codefile.refresh()]
    assert events == [f"Update {name}.h @L1"]
    assert mod.h() == 2


def test_auto_register_takes_modules_already_loaded(ws):
    mod = ws.load("def h():\n    return 1\n")
    path = str(ws.path / f"{mod.__name__}.py")
    assert jurigged.registry.get(path) is None
    jurigged.registry.auto_register(jurigged.glob_filter(path))
    codefile = jurigged.registry.get(path)
    assert codefile is not None and codefile.module_name == mod.__name__


def test_glob_filter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    in_dir = str(tmp_path / "a.py")
    nested = str(tmp_path / "sub" / "b.py")
    text_file = str(tmp_path / "notes.txt")
    elsewhere = str(tmp_path.parent / "elsewhere.py")
    star = jurigged.glob_filter(str(tmp_path / "*.py"))
    assert callable(star)
    assert star(in_dir) and star(Path(in_dir))
    assert not star(text_file)
    assert not star(elsewhere)
    prefix = jurigged.glob_filter(str(tmp_path / "a*.py"))
    assert prefix(in_dir) and not prefix(nested)
    # A directory means every file under it.
    directory = jurigged.glob_filter(str(tmp_path))
    assert directory(in_dir) and directory(nested) and directory(text_file)
    assert not directory(elsewhere)
    # Relative patterns and filenames are taken from the current directory.
    relative = jurigged.glob_filter("./*.py")
    assert relative(in_dir) and relative("a.py")
    assert not relative(elsewhere)
    # An exact file.
    exact = jurigged.glob_filter(in_dir)
    assert exact(in_dir) and not exact(nested)
    assert "a.py" in repr(exact)


# -- jurigged.db -------------------------------------------------------------------


def test_get_functions_returns_every_closure_made_from_a_code_object(ws):
    mod = ws.load(
        """
        def make(n):
            def inner(x):
                return x + n
            return inner


        first = make(1)
        second = make(2)
        table = {"third": make(3)}


        def other():
            return 0
        """
    )
    kept_here = [mod.make(10), mod.make(20)]
    code = mod.first.__code__
    expected = [mod.first, mod.second, mod.table["third"], *kept_here]
    found = db.get_functions(code)
    assert sorted(map(id, found)) == sorted(map(id, expected))
    assert all(f.__code__ is code for f in found)
    # A function dropped is not found any more.
    dropped = kept_here.pop()
    dropped_id = id(dropped)
    del dropped, found, expected
    gc.collect()
    assert dropped_id not in map(id, db.get_functions(code))
    assert len(db.get_functions(code)) == 4
    # The code of a plain function: that function alone.
    assert db.get_functions(mod.other.__code__) == [mod.other]
    assert db.get_functions(mod.make.__code__) == [mod.make]
    # After a change, the closures run the new code, and are found from it.
    codefile = jurigged.registry.prepare(mod.__name__)
    codefile.update(codefile.text.replace("return x + n", "return x * n"))
    assert mod.first(5) == 5 and mod.second(5) == 10 and kept_here[0](5) == 50
    new_code = mod.first.__code__
    assert new_code is not code
    assert sorted(map(id, db.get_functions(new_code))) == sorted(
        map(id, [mod.first, mod.second, mod.table["third"], kept_here[0]])
    )


def test_find_code(ws):
    mod = ws.load(SHAPES)
    path = ws.path / f"{mod.__name__}.py"
    assert db.find_code("plain", module=mod) is mod.plain.__code__
    assert db.find_code("plain", module=mod.__name__) is mod.plain.__code__
    assert db.find_code("plain", filename=str(path)) is mod.plain.__code__
    assert db.find_code("K", "m", module=mod) is mod.K.m.__code__
    assert db.find_code("K", "Inner", "im", filename=path) is mod.K.Inner.im.__code__
    assert db.find_code("decorated", module=mod) is mod.decorated.__wrapped__.__code__
    # A nested function: the code of the closures made from it.
    assert db.find_code("make", "inner", module=mod) is mod.make(1).__code__
    assert db.find_code("missing", module=mod) is None
    assert db.find_code("K", "missing", module=mod) is None
    with pytest.raises(ValueError):
        db.find_code("plain")


def test_conform_function_code_and_conform_objects():
    def original(x):
        return x + 1

    def replacement(x):
        "replacement doc"
        return x * 2

    alias = original
    db.conform(original, replacement)
    assert alias(5) == 10
    assert original.__doc__ == "replacement doc"
    db.conform(original, (lambda x: x - 1).__code__)
    assert alias(5) == 4

    received = []

    class Target:
        def __conform__(self, new):
            received.append(new)

    code = (lambda: 0).__code__
    db.conform(Target(), code)
    assert received == [code]

    def make(n):
        def inner():
            return n

        return inner

    with pytest.raises(db.ConformException):
        db.conform(make(1), original)
    assert issubclass(db.ConformException, jurigged.PatchError)
    assert db.ConformException is jurigged.ConformException
    assert db.conform is jurigged.conform


CONFORM_MODULE = """
import types


class Custom:
    __slots__ = ("code", "transformed", "calls")

    def __init__(self, transformed, code):
        self.code = code
        self.transformed = transformed
        self.calls = []

    def __conform__(self, new_code):
        self.calls.append(new_code)
        if new_code is None:
            self.transformed.deleted = True
            return
        if isinstance(new_code, types.FunctionType):
            new_code = new_code.__code__
        self.code = new_code
        # The transform: recompile its own function from the new code.
        self.transformed.impl = types.FunctionType(new_code, globals())


class Transformed:
    def __init__(self, fn):
        self.impl = types.FunctionType(fn.__code__, globals())
        self.deleted = False
        self.custom = Custom(self, fn.__code__)

    def __call__(self, *args):
        return ("transformed", self.impl(*args))


def transform(fn):
    return Transformed(fn)


@transform
def f(x):
    return x + 1


def g():
    return "g"
"""


def import_watched(ws, watching, name, source):
    """Writes module `name`, starts watching it, then imports it (jurigged is
    running before the module, as under `python -m jurigged`)."""
    path = ws.write(f"{name}.py", source)
    watcher, events = watching(str(path))
    applied = []
    watcher.postrun.register(lambda p, cf: applied.append(p))
    importlib.invalidate_caches()
    mod = importlib.import_module(name)
    ws.modules.append(name)
    assert str(path) in watcher.files()

    def save(text):
        count = len(applied)
        path.write_text(text)
        wait_until(lambda: len(applied) > count, what=f"the watcher to apply {path.name}")
        assert [e for e in events if isinstance(e, BaseException)] == []
        return [str(e) for e in events]

    return mod, save


def test_conform_is_called_on_a_custom_wrapper_when_a_save_updates_the_function(ws, watching):
    mod, save = import_watched(ws, watching, "jm_conform_save", CONFORM_MODULE)
    wrapper = mod.f.custom
    transformed = mod.f
    user = ws.load("from jm_conform_save import f\n")
    assert mod.f(1) == ("transformed", 2)
    original_code = wrapper.code
    events = save(CONFORM_MODULE.replace("return x + 1", "return x * 100"))
    assert "Update jm_conform_save.f @L39" in events
    assert len(wrapper.calls) == 1
    new = wrapper.calls[0]
    new_code = new.__code__ if isinstance(new, types.FunctionType) else new
    assert isinstance(new_code, types.CodeType)
    assert new_code is not original_code
    assert wrapper.code is new_code
    # The wrapper recompiled its function: every reference to it runs the new code.
    assert mod.f is transformed
    assert transformed(1) == ("transformed", 100)
    assert user.f(1) == ("transformed", 100)
    # A save that leaves f alone does not call it again.
    save(CONFORM_MODULE.replace("return x + 1", "return x * 100").replace('"g"', '"g2"'))
    assert mod.g() == "g2"
    assert len(wrapper.calls) == 1


def test_conform_is_called_on_a_custom_wrapper_at_every_save(ws, watching):
    mod, save = import_watched(ws, watching, "jm_conform_again", CONFORM_MODULE)
    wrapper = mod.f.custom
    transformed = mod.f
    for step, factor in enumerate([100, 1000, 7], start=1):
        events = save(CONFORM_MODULE.replace("return x + 1", f"return x * {factor}"))
        assert [e for e in events if ".f @" in e] == ["Update jm_conform_again.f @L39"] * step
        assert len(wrapper.calls) == step
        assert mod.f is transformed
        assert transformed(1) == ("transformed", factor)


def test_conform_is_called_with_none_when_the_function_is_deleted(ws, watching):
    mod, save = import_watched(ws, watching, "jm_conform_delete", CONFORM_MODULE)
    wrapper = mod.f.custom
    transformed = mod.f
    without_f = CONFORM_MODULE.replace("@transform\ndef f(x):\n    return x + 1\n", "")
    assert without_f != CONFORM_MODULE
    save(without_f)
    assert wrapper.calls == [None]
    assert transformed.deleted is True


def test_conform_is_called_on_a_custom_wrapper_by_a_recoder_patch(ws):
    name = "jm_conform_recoder"
    path = ws.write(f"{name}.py", CONFORM_MODULE)
    jurigged.registry.auto_register(str(path))
    importlib.invalidate_caches()
    mod = importlib.import_module(name)
    ws.modules.append(name)
    wrapper = mod.f.custom
    transformed = mod.f
    recoder = jurigged.make_recoder(mod)
    events = recoder.patch_module("@transform\ndef f(x):\n    return x - 1\n")
    assert [str(e) for e in events] == [f"Update {name}.f @L39"]
    assert len(wrapper.calls) == 1
    assert mod.f is transformed
    assert transformed(10) == ("transformed", 9)
    events = recoder.revert()
    assert [str(e) for e in events] == [f"Update {name}.f @L39"]
    assert len(wrapper.calls) == 2
    assert mod.f is transformed
    assert transformed(10) == ("transformed", 11)


def test_conform_reaches_a_wrapper_of_a_module_imported_before_jurigged(ws):
    # The module ran before jurigged knew its file: its functions are found from
    # the live objects (the wrapper's own function runs f's code).
    mod, codefile = ws.module(CONFORM_MODULE)
    wrapper = mod.f.custom
    transformed = mod.f
    events = ws.edit(codefile, CONFORM_MODULE.replace("return x + 1", "return x * 100"))
    assert events == [f"Update {mod.__name__}.f @L39"]
    assert len(wrapper.calls) == 1
    assert mod.f is transformed
    assert transformed(1) == ("transformed", 100)


# -- virtual_file -------------------------------------------------------------------


def test_virtual_file_feeds_linecache_and_tracebacks():
    name = "<jurigged-test-virtual>"
    contents = "first line\ndef boom():\n    raise RuntimeError('from the virtual file')\n"
    assert jurigged.virtual_file(name, contents) == name
    assert linecache.getline(name, 1) == "first line\n"
    assert linecache.getline(name, 3) == "    raise RuntimeError('from the virtual file')\n"
    assert linecache.getlines(name) == contents.splitlines(keepends=True)
    # checkcache() leaves it alone: there is no file to compare it with.
    linecache.checkcache()
    linecache.checkcache(name)
    assert linecache.getline(name, 2) == "def boom():\n"
    namespace = {}
    exec(compile("\n" + contents.split("\n", 1)[1], name, "exec"), namespace)
    with pytest.raises(RuntimeError) as info:
        namespace["boom"]()
    formatted = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert "raise RuntimeError('from the virtual file')" in formatted
    assert inspect.getsource(namespace["boom"]) == "def boom():\n    raise RuntimeError('from the virtual file')\n"
    # Registering new contents replaces the old ones.
    jurigged.virtual_file(name, "replaced\n")
    assert linecache.getline(name, 1) == "replaced\n"
    assert linecache.getline(name, 2) == ""


# -- watch() hooks and registry.activity -------------------------------------------


def test_watch_prerun_and_postrun_fire_around_each_file(ws, watching, activity):
    first = ws.load("def f():\n    return 'f1'\n")
    second = ws.load("def g():\n    return 'g1'\n")
    first_path = str(ws.path / f"{first.__name__}.py")
    second_path = str(ws.path / f"{second.__name__}.py")
    watcher, logged = watching(str(ws.path / "*.py"))
    assert {first_path, second_path} <= set(watcher.files())
    timeline = []

    def behaviour():
        return (first.f(), second.g())

    @watcher.prerun.register
    def before(path, codefile):
        timeline.append(("pre", path, codefile, behaviour()))

    def after(path, codefile):
        timeline.append(("post", path, codefile, behaviour()))

    assert watcher.postrun.register(after) is after
    assert len(watcher.prerun) == 1 and len(watcher.postrun) == 1
    activity.clear()

    def heard(event):
        timeline.append(("activity", str(event)))

    jurigged.registry.activity.register(heard)
    try:
        Path(first_path).write_text("def f():\n    return 'f2'\n")
        Path(second_path).write_text("def g():\n    return 'g2'\n")
        wait_until(lambda: len([t for t in timeline if t[0] == "post"]) >= 2, what="both files to be applied")
    finally:
        jurigged.registry.activity.unregister(heard)
    hooks = [t for t in timeline if t[0] in ("pre", "post")]
    # Each file: pre, then post, not interleaved with the other file.
    assert [(t[0], t[1]) for t in hooks] in (
        [("pre", first_path), ("post", first_path), ("pre", second_path), ("post", second_path)],
        [("pre", second_path), ("post", second_path), ("pre", first_path), ("post", first_path)],
    )
    for kind, path, codefile, _ in hooks:
        assert isinstance(path, str)
        assert codefile is jurigged.registry.get(path)
        assert codefile.filename == path
    by_step = {(t[0], t[1]): t[3] for t in hooks}
    assert by_step[("pre", first_path)][0] == "f1" and by_step[("post", first_path)][0] == "f2"
    assert by_step[("pre", second_path)][1] == "g1" and by_step[("post", second_path)][1] == "g2"
    # registry.activity hears the updates, between the hooks of their file.
    update_f = f"Update {first.__name__}.f @L1"
    update_g = f"Update {second.__name__}.g @L1"
    assert update_f in [str(e) for e in activity]
    assert update_g in [str(e) for e in activity]
    steps = [(t[0], t[1]) for t in timeline]
    assert steps.index(("pre", first_path)) < steps.index(("activity", update_f)) < steps.index(("post", first_path))
    assert steps.index(("pre", second_path)) < steps.index(("activity", update_g)) < steps.index(("post", second_path))
    # The logger got them too.
    assert update_f in [str(e) for e in logged] and update_g in [str(e) for e in logged]
    # Unregistered hooks are not called any more.
    watcher.prerun.unregister(before)
    watcher.postrun.unregister(after)
    assert len(watcher.prerun) == 0 and len(watcher.postrun) == 0


def test_registry_activity_receives_watch_events(ws, activity):
    mod = ws.load("def f():\n    return 1\n")
    path = str(ws.path / f"{mod.__name__}.py")
    jurigged.registry.prepare(mod.__name__)
    watch_events = [e for e in activity if e.kind == "watch"]
    assert [(e.filename, str(e)) for e in watch_events] == [(path, f"Watch {path}")]
    # Known already: not announced again.
    jurigged.registry.prepare(mod.__name__)
    assert len([e for e in activity if e.kind == "watch"]) == 1


def test_event_source():
    source = jurigged.EventSource()
    calls = []

    @source.register
    def first(*args):
        calls.append(("first", args))

    def broken(*args):
        raise RuntimeError("a callback that fails")

    def last(*args):
        calls.append(("last", args))

    source.register(broken)
    source.register(last)
    assert len(source) == 3
    source(1, "two")
    # A failing callback does not stop the others.
    assert calls == [("first", (1, "two")), ("last", (1, "two"))]
    source.unregister(broken)
    source.unregister(first)
    assert len(source) == 1
    source()
    assert calls[-1] == ("last", ())


# -- the package: __version__, __all__, db, stubs ------------------------------------


def test_version():
    assert isinstance(jurigged.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+([.\-+].*)?", jurigged.__version__)
    assert jurigged.__version__ == _jurigged.__version__
    assert jurigged.__version__ == importlib.metadata.version("jurigged")


def test_all_names_exist():
    assert len(jurigged.__all__) == len(set(jurigged.__all__))
    for name in jurigged.__all__:
        assert hasattr(jurigged, name), name
    star = {}
    exec("from jurigged import *", star)
    assert set(jurigged.__all__) <= set(star)

    required = {
        "make_recoder",
        "Recoder",
        "registry",
        "CodeFile",
        "virtual_file",
        "glob_filter",
        "watch",
        "db",
        "conform",
        "ConformException",
        "StaleException",
        "__version__",
    }
    assert required <= set(jurigged.__all__)
    for name in db.__all__:
        assert hasattr(db, name), name
    assert {"find_code", "get_functions", "conform", "ConformException"} <= set(db.__all__)
    assert jurigged.db is db
    assert isinstance(jurigged.registry, _jurigged.Registry)


STUB = Path(_jurigged.__file__).with_name("_jurigged.pyi")


def _stub_module():
    assert STUB.is_file(), f"no stub next to the installed module: {STUB}"
    assert STUB.with_name("py.typed").is_file()
    return ast.parse(STUB.read_text(), filename=str(STUB))


def _declared(body):
    """Names a stub body declares (classes, functions, annotated or assigned names),
    with their nodes; imports are not declarations."""
    names = {}
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
    return names


def _public(name):
    return not name.startswith("_") or name == "__version__"


def test_stub_declares_every_public_name_and_nothing_else():
    declared = {name for name in _declared(_stub_module().body) if _public(name)}
    runtime = {name for name in dir(_jurigged) if _public(name)}
    assert sorted(runtime - declared) == [], "public names of jurigged._jurigged missing from _jurigged.pyi"
    assert sorted(declared - runtime) == [], "names in _jurigged.pyi that jurigged._jurigged does not have"


def _parameters(function_node):
    args = function_node.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    names = positional + ([f"*{args.vararg.arg}"] if args.vararg else [])
    names += [a.arg for a in args.kwonlyargs]
    names += [f"**{args.kwarg.arg}"] if args.kwarg else []
    defaults = {}
    for arg, default in zip(reversed(args.posonlyargs + args.args), reversed(args.defaults)):
        defaults[arg.arg] = default
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        if default is not None:
            defaults[arg.arg] = default
    return names, defaults


def _runtime_parameters(obj):
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    names, defaults = [], {}
    for parameter in signature.parameters.values():
        prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(parameter.kind, "")
        names.append(prefix + parameter.name)
        if parameter.default is not inspect.Parameter.empty:
            defaults[parameter.name] = parameter.default
    return names, defaults


def _check_signature(label, node, obj, problems):
    runtime = _runtime_parameters(obj)
    if runtime is None:
        return
    names, defaults = _parameters(node)
    runtime_names, runtime_defaults = runtime
    if runtime_names[-2:] == ["*args", "**kwargs"] and node.name.startswith("__"):
        return  # a slot wrapper (__call__ of a native class): no signature to compare
    if names != runtime_names:
        problems.append(f"{label}: stub parameters {names} != runtime {runtime_names}")
        return
    if set(defaults) != set(runtime_defaults):
        problems.append(f"{label}: stub defaults {sorted(defaults)} != runtime {sorted(runtime_defaults)}")
        return
    for name, default in defaults.items():
        if isinstance(default, ast.Constant) and default.value is not Ellipsis:
            if default.value != runtime_defaults[name]:
                problems.append(f"{label}: default of {name} is {default.value!r}, runtime {runtime_defaults[name]!r}")


def test_stub_classes_and_functions_match_the_runtime():
    problems = []
    for name, node in _declared(_stub_module().body).items():
        if not hasattr(_jurigged, name):
            continue
        obj = getattr(_jurigged, name)
        if isinstance(node, ast.FunctionDef):
            _check_signature(name, node, obj, problems)
        elif isinstance(node, ast.ClassDef):
            assert isinstance(obj, type), name
            members = _declared(node.body)
            own = {m for m in vars(obj) if not m.startswith("_")}
            if issubclass(obj, BaseException):
                own -= set(dir(Exception))
            stub_public = {m for m in members if not m.startswith("_")}
            for missing in sorted(own - stub_public):
                problems.append(f"{name}.{missing} exists but is not in the stub")
            for extra in sorted(stub_public - own):
                problems.append(f"{name}.{extra} is in the stub but not on the class")
            for member, member_node in members.items():
                instance_attribute = isinstance(member_node, ast.AnnAssign)
                if member.startswith("_") and not instance_attribute and not hasattr(obj, member):
                    problems.append(f"{name}.{member} is in the stub but not on the class")
                if isinstance(member_node, ast.FunctionDef) and hasattr(obj, member):
                    decorators = {getattr(d, "id", None) for d in member_node.decorator_list}
                    attribute = inspect.getattr_static(obj, member)
                    if "property" in decorators:
                        if inspect.isroutine(attribute):
                            problems.append(f"{name}.{member} is a method, the stub says property")
                    elif member != "__init__":
                        if not callable(getattr(obj, member)):
                            problems.append(f"{name}.{member} is not callable")
                        else:
                            _check_signature(f"{name}.{member}", member_node, getattr(obj, member), problems)
    assert problems == [], "\n".join(problems)


def test_stub_annotations_only_use_known_names():
    tree = _stub_module()
    known = set(dir(builtins)) | set(_declared(tree.body))
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            known |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            known |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            known.add(node.name)
    unknown = set()

    def check(annotation):
        if annotation is None:
            return
        for sub in ast.walk(annotation):
            if isinstance(sub, ast.Name) and sub.id not in known:
                unknown.add(sub.id)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                check(ast.parse(sub.value, mode="eval").body)

    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            check(node.annotation)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            check(node.returns)
        elif isinstance(node, ast.AnnAssign):
            check(node.annotation)
    assert sorted(unknown) == []
    # The stub is valid Python the interpreter can compile.
    compile(STUB.read_text(), str(STUB), "exec")
