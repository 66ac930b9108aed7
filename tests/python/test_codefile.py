"""jurigged.CodeFile: live text, merges, commit and staleness, events, namespaces,
and the __conform__ protocol."""

import os
import stat
import textwrap
import types

import pytest

import jurigged

BASE = """
def f():
    return 1


def g():
    return 2


class A:
    def m(self):
        return 3


def h():
    return 4
"""


def test_update_applies_text_and_becomes_the_live_text(ws):
    mod, cf = ws.module(BASE)
    new = BASE.replace("return 2", "return 20")
    events = cf.update(new)
    assert [str(e) for e in events] == [f"Update {mod.__name__}.g @L6"]
    assert cf.text == new
    assert mod.g() == 20
    # Same text again: nothing to do.
    assert cf.update(new) == []


def test_refresh_with_an_unchanged_file_does_nothing(ws):
    mod, cf = ws.module(BASE)
    assert cf.refresh() == []
    assert cf.text == textwrap.dedent(BASE)


def test_events_carry_their_fields(ws):
    mod, cf = ws.module(
        """
        def f():
            return 1

        def gone():
            return 0
        """
    )
    events = cf.update(
        textwrap.dedent(
            """
            def f():
                return 2

            print("hi")

            def added():
                return 3
            """
        )
    )
    by_kind = {e.kind: e for e in events}
    assert sorted(by_kind) == ["add", "delete", "run", "update"]
    update = by_kind["update"]
    assert (update.path, update.line, update.code, update.error) == (f"{mod.__name__}.f", 2, None, None)
    assert update.filename == str(cf.filename)
    assert str(update) == f"Update {mod.__name__}.f @L2"
    run = by_kind["run"]
    assert (run.path, run.line, run.code) == (mod.__name__, 5, 'print("hi")')
    assert str(run) == f'Run {mod.__name__} @L5: print("hi")'
    assert str(by_kind["add"]) == f"Add {mod.__name__}.added @L7"
    assert str(by_kind["delete"]) == f"Delete {mod.__name__}.gone @L5"


def test_a_statement_that_raises_rejects_the_whole_save_with_its_exception(ws):
    mod, cf = ws.module("X = 1\n\ndef f():\n    return 1\n")
    f = mod.f
    with pytest.raises(ZeroDivisionError):
        cf.update("X = 2\nY = 1 / 0\n\ndef f():\n    return 2\n")
    assert (mod.X, f(), mod.f is f) == (1, 1, True)
    assert not hasattr(mod, "Y")
    assert "1 / 0" not in cf.text


def test_a_change_from_within_a_change_of_the_same_file_is_refused_and_the_file_stays_usable(ws):
    mod, cf = ws.module("def f():\n    return 1\n")
    mod.CF = cf
    seen = []
    mod.seen = seen
    # The save's statement reads the file (allowed: its live text is the one
    # before the save) and tries to change it again (refused).
    with pytest.raises(jurigged.PatchError, match="being applied"):
        cf.update("def f():\n    return 2\n\nseen.append(CF.text)\nCF.update('Z = 1\\n')\n")
    assert seen == ["def f():\n    return 1\n"]
    assert mod.f() == 1 and not hasattr(mod, "Z")
    # Nothing is left in use.
    cf.update("def f():\n    return 3\n")
    assert mod.f() == 3 and cf.text == "def f():\n    return 3\n"


def test_merge_of_a_snippet_in_original_order_keeps_the_rest_of_the_file(ws):
    mod, cf = ws.module(BASE)
    f, a_class, h = mod.f, mod.A, mod.h
    events = cf.merge("def g():\n    return 20\n", order="original", allow_deletions=False)
    assert [str(e) for e in events] == [f"Update {mod.__name__}.g @L6"]
    assert cf.text == textwrap.dedent(BASE).replace("return 2\n", "return 20\n")
    assert mod.g() == 20
    assert mod.f is f and mod.A is a_class and mod.h is h
    assert (mod.f(), mod.A().m(), mod.h()) == (1, 3, 4)
    assert cf.definitions() == [f"{mod.__name__}.{name}" for name in ("f", "g", "A", "A.m", "h")]


def test_merge_of_a_method_snippet_in_original_order(ws):
    mod, cf = ws.module(BASE)
    events = cf.merge("class A:\n    def m(self):\n        return 30\n", order="original", allow_deletions=False)
    assert [str(e) for e in events] == [f"Update {mod.__name__}.A.m @L11"]
    assert cf.text == textwrap.dedent(BASE).replace("return 3\n", "return 30\n")
    assert mod.A().m() == 30


def test_merge_of_a_new_function_in_original_order_adds_it_in_front(ws):
    # A snippet none of whose definitions the file has: what it adds goes in
    # front of the module's statements, where the original merges it.
    mod, cf = ws.module(BASE)
    cf.merge("def k():\n    return 5\n", order="original", allow_deletions=False)
    assert mod.k() == 5
    assert cf.text == "\ndef k():\n    return 5\n" + textwrap.dedent(BASE)


def test_merge_in_front_keeps_the_docstring_and_future_imports_first(ws):
    source = '"""Doc."""\nfrom __future__ import annotations\n\nimport math\n\n\ndef f():\n    return 1\n'
    mod, cf = ws.module(source)
    cf.merge("def k():\n    return 5\n", order="original", allow_deletions=False)
    assert mod.k() == 5
    assert cf.text == source.replace("import math", "def k():\n    return 5\n\nimport math")
    compile(cf.text, "merged", "exec")


def test_merge_another_codefile(ws):
    mod, cf = ws.module(BASE)
    other = jurigged.CodeFile(cf.filename, mod.__name__, source="def h():\n    return 40\n")
    cf.merge(other, order="original", allow_deletions=False)
    assert mod.h() == 40
    assert cf.text == textwrap.dedent(BASE).replace("return 4\n", "return 40\n")


def test_merge_allow_deletions_as_a_list(ws):
    mod, cf = ws.module(BASE)
    cf.merge("def g():\n    return 20\n", order="original", allow_deletions=[f"{mod.__name__}.h"])
    assert not hasattr(mod, "h")
    assert mod.g() == 20
    assert (mod.f(), mod.A().m()) == (1, 3)
    assert "def h" not in cf.text and "def f" in cf.text and "class A" in cf.text


def test_merge_in_new_order_takes_the_other_file_as_a_whole(ws):
    mod, cf = ws.module(BASE)
    new = "def h():\n    return 4\n\n\ndef f():\n    return 10\n"
    cf.merge(new, order="new")
    assert cf.text == new
    assert mod.f() == 10
    assert not hasattr(mod, "g") and not hasattr(mod, "A")


def test_merge_rejects_an_unknown_order(ws):
    _, cf = ws.module(BASE)
    with pytest.raises(ValueError):
        cf.merge("def g():\n    return 20\n", order="sideways")


def test_commit_writes_the_live_text_atomically_and_keeps_permissions(ws):
    mod, cf = ws.module(BASE)
    path = str(cf.filename)
    os.chmod(path, 0o640)
    inode = os.stat(path).st_ino
    cf.merge("def g():\n    return 20\n", order="original", allow_deletions=False)
    assert not cf.stale()
    cf.commit()
    with open(path) as file:
        assert file.read() == cf.text
    assert "return 20" in cf.text
    info = os.stat(path)
    # Written through a new file and a rename: a reader never sees half a file.
    assert info.st_ino != inode
    assert stat.S_IMODE(info.st_mode) == 0o640
    # No temporary file is left behind.
    assert [name for name in os.listdir(os.path.dirname(path)) if name.startswith(".")] == []
    assert not cf.stale()
    # A later refresh sees no change.
    assert cf.refresh() == []


def test_commit_refuses_when_the_file_changed_on_disk(ws):
    mod, cf = ws.module(BASE)
    assert not cf.stale()
    cf.merge("def g():\n    return 20\n", order="original", allow_deletions=False)
    external = textwrap.dedent(BASE).replace("return 1\n", "return 100\n")
    with open(cf.filename, "w") as file:
        file.write(external)
    assert cf.stale()
    with pytest.raises(jurigged.StaleException):
        cf.commit()
    with open(cf.filename) as file:
        assert file.read() == external
    assert issubclass(jurigged.StaleException, jurigged.PatchError)
    # Refreshing takes the file's version, and it is no longer stale.
    cf.refresh()
    assert not cf.stale()
    assert mod.f() == 100


def test_stale_after_an_external_edit_and_not_after_refresh(ws):
    mod, cf = ws.module(BASE)
    assert not cf.stale()
    ws.write(os.path.basename(str(cf.filename)), BASE.replace("return 4", "return 44"))
    assert cf.stale()
    cf.refresh()
    assert not cf.stale()
    assert mod.h() == 44


def test_source_argument_is_the_live_text(ws):
    path = ws.write("unimported_source.py", BASE)
    cf = jurigged.CodeFile(str(path), "unimported_source", source="def f():\n    return 9\n")
    assert cf.text == "def f():\n    return 9\n"
    assert cf.namespace is None
    assert cf.definitions() == ["unimported_source.f"]


def test_associate_a_dict_namespace(ws):
    source = BASE
    path = ws.write("loose_namespace.py", source)
    namespace = {"__name__": "loose_namespace"}
    exec(compile(textwrap.dedent(source), str(path), "exec"), namespace)
    cf = jurigged.CodeFile(str(path), "loose_namespace")
    assert cf.namespace is None
    cf.associate(namespace)
    assert cf.namespace is namespace
    f = namespace["f"]
    events = cf.update(textwrap.dedent(source).replace("return 1\n", "return 11\n"))
    assert [str(e) for e in events] == ["Update loose_namespace.f @L2"]
    assert f() == 11


def test_a_codefile_for_another_file_does_not_touch_the_module(ws):
    mod, cf = ws.module(BASE)
    other_path = ws.write("elsewhere.py", BASE)
    other = jurigged.CodeFile(str(other_path), mod.__name__)
    assert other.namespace is None
    other.update(textwrap.dedent(BASE).replace("return 1\n", "return 111\n"))
    assert mod.f() == 1


def test_conform_object_with_slots_is_told_the_new_code(ws):
    mod, cf = ws.module(
        """
        import types

        class Transformed:
            __slots__ = ("code", "calls")

            def __init__(self, code):
                self.code = code
                self.calls = []

            def __conform__(self, new_code):
                self.calls.append(new_code)
                if isinstance(new_code, types.FunctionType):
                    new_code = new_code.__code__
                self.code = new_code

        def f():
            return 1

        holder = Transformed(f.__code__)
        """
    )
    holder = mod.holder
    old_code = mod.f.__code__
    ws.edit(
        cf,
        """
        import types

        class Transformed:
            __slots__ = ("code", "calls")

            def __init__(self, code):
                self.code = code
                self.calls = []

            def __conform__(self, new_code):
                self.calls.append(new_code)
                if isinstance(new_code, types.FunctionType):
                    new_code = new_code.__code__
                self.code = new_code

        def f():
            return 2

        holder = Transformed(f.__code__)
        """,
    )
    assert mod.holder is holder
    assert len(holder.calls) == 1
    assert holder.code is not old_code
    assert holder.code is mod.f.__code__
    assert types.FunctionType(holder.code, mod.__dict__)() == 2


def test_a_save_of_many_functions_finds_their_users_and_conform_objects_in_one_walk_of_the_heap(ws):
    """Past a few dozen changed functions, users are found by one walk over the
    heap (not gc.get_referrers, which compares each reference with every code):
    a `__conform__` object holding one of the old codes is still told, and a
    metaclass whose `__getattr__` raises (an instance of its class is in the
    heap) is never asked."""
    functions = lambda value: "".join(f"def f{i}():\n    return {value}\n\n" for i in range(100))  # noqa: E731
    header = """
import types

class Hostile(type):
    def __getattr__(cls, name):
        raise RuntimeError(f"asked for {name}")

class Guarded(metaclass=Hostile):
    pass

guarded = Guarded()

class Transformed:
    __slots__ = ("code",)

    def __init__(self, code):
        self.code = code

    def __conform__(self, new):
        self.code = new

"""
    mod, cf = ws.module(header + functions(1))
    holder = mod.Transformed(mod.f50.__code__)
    kept = [getattr(mod, f"f{i}") for i in range(100)]
    # Their users are not known yet: the save has to look at the heap.
    scans = jurigged._jurigged.heap_scans()
    ws.edit(cf, header + functions(2))
    assert jurigged._jurigged.heap_scans() == scans + 1
    assert [f() for f in kept] == [2] * 100
    # As the original does, `__conform__` is given the new function.
    assert holder.code.__code__ is mod.f50.__code__


def test_conform_function_directly(ws):
    mod, _ = ws.module(
        """
        def f(x=1):
            "old"
            return x

        def g(x=2):
            "new"
            return x * 10
        """
    )
    f = mod.f
    jurigged.conform(f, mod.g)
    assert f() == 20
    assert f.__doc__ == "new"
    assert f.__defaults__ == (2,)


def test_conform_calls_conform_objects_directly():
    seen = []

    class Target:
        __slots__ = ()

        def __conform__(self, new):
            seen.append(new)

    def new():
        return 1

    jurigged.conform(Target(), new)
    assert seen == [new]
