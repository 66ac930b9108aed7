"""Saves are transactional and atomic: a save that cannot be applied changes
nothing, other threads see all of a save or none of it, and a save costs at most
one heap scan."""

import sys
import threading
import time

import jurigged
from jurigged import _jurigged
from support.snapshots import assert_unchanged, snapshot

SAFE_SOURCE = """
import functools

LIMIT = 3

def deco(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)
    return wrapper

def f(x=1):
    "f doc"
    return x

def g():
    return "g1"

@deco
def h():
    return "h1"

class A:
    LIMIT = 4

    def m(self, y=LIMIT):
        return y

    @property
    def p(self):
        return "p1"

    @classmethod
    def c(cls):
        return "c1"
"""


def _all_results(mod):
    return (mod.f(), mod.g(), mod.h(), mod.A().m(), mod.A().p, mod.A.c(), mod.LIMIT)


def _rejected_save(ws, bad):
    """Imports SAFE_SOURCE, saves `bad` over it (a save expected to fail) and
    checks the failure is reported and the program is as before; returns the
    module, its CodeFile and the report (the exception, or the Error events)."""
    mod, cf = ws.module(SAFE_SOURCE)
    before = snapshot(mod.__dict__)
    text_before, results_before = cf.text, _all_results(mod)
    try:
        events = ws.edit(cf, bad)
    except Exception as error:  # noqa: BLE001 - any report will do
        reported = error
    else:
        reported = [e for e in events if e.startswith("Error")]
    assert reported, "the failure must be reported"
    assert_unchanged(before, snapshot(mod.__dict__))
    assert cf.text == text_before
    assert _all_results(mod) == results_before
    return mod, cf, reported


def test_a_save_with_a_syntax_error_changes_nothing(ws):
    broken = SAFE_SOURCE.replace('return "g1"', 'return "g2"').replace("LIMIT = 3", "LIMIT = 30")
    broken = broken.replace('return "h1"', 'return "h2" +')
    mod, cf, error = _rejected_save(ws, broken)
    assert isinstance(error, SyntaxError)
    assert error.filename == str(cf.filename)
    # The program runs on, and the next good save applies.
    events = ws.edit(cf, SAFE_SOURCE.replace('return "g1"', 'return "g2"'))
    assert events == [f"Update {mod.__name__}.g @L16"]
    assert mod.g() == "g2"


def test_a_syntax_error_only_the_compiler_sees_changes_nothing(ws):
    """The parser accepts `nonlocal` with no binding; compile() rejects it. The
    other changes of the save must not be applied either."""
    bad = SAFE_SOURCE.replace('return "g1"', 'nonlocal nowhere\n    return "g2"')
    bad = bad.replace('"p1"', '"p2"').replace('"c1"', '"c2"').replace('"h1"', '"h2"')
    _, cf, error = _rejected_save(ws, bad)
    assert isinstance(error, SyntaxError)
    assert error.filename == str(cf.filename)
    assert error.lineno == 17


def test_a_save_where_one_definition_cannot_be_applied_changes_nothing(ws):
    """f's new default raises NameError; g, h and the class change fine. Nothing of
    the save may be applied."""
    bad = SAFE_SOURCE.replace("def f(x=1):", "def f(x=UNDEFINED_NAME):")
    bad = bad.replace('"g1"', '"g2"').replace('"p1"', '"p2"').replace('"c1"', '"c2"').replace('"h1"', '"h2"')
    _rejected_save(ws, bad)


def test_a_save_where_a_changed_decorator_raises_changes_nothing(ws):
    _rejected_save(ws, SAFE_SOURCE.replace("@deco\ndef h():", "@deco(1, 2, 3)\ndef h():").replace('"g1"', '"g2"'))


def test_a_save_where_a_method_default_cannot_be_evaluated_changes_nothing(ws):
    bad = SAFE_SOURCE.replace("def m(self, y=LIMIT):", "def m(self, y=NOT_A_CLASS_NAME):").replace('"g1"', '"g2"')
    _rejected_save(ws, bad)


PAIR_SOURCE = """
def f():
    return {version}

def g():
    return {version}
"""


def test_a_thread_never_sees_half_of_a_save(ws):
    """A reader calls f and g in turn; each save changes both to return the next
    version number. With atomic saves the versions it reads never go down (f new
    then g old, or g new then f old, would)."""
    mod, cf = ws.module(PAIR_SOURCE.format(version=0))
    f, g = mod.f, mod.g
    stop = threading.Event()
    problems = []
    reads = [0]

    def reader():
        last = 0
        try:
            while not stop.is_set():
                a = f()
                b = g()
                if a < last or b < a:
                    problems.append((last, a, b))
                last = b
                reads[0] += 1
        except Exception as error:  # noqa: BLE001 - reported below
            problems.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = threading.Thread(target=reader)
    thread.start()
    saves = 0
    # Generous: the count, not the time, ends it on any machine.
    deadline = time.monotonic() + 120
    try:
        while saves < 400 and time.monotonic() < deadline and not problems:
            saves += 1
            events = ws.edit(cf, PAIR_SOURCE.format(version=saves))
            assert len(events) == 2
    finally:
        stop.set()
        thread.join(10)
        sys.setswitchinterval(interval)
    assert not thread.is_alive()
    assert problems == []
    assert saves >= 100, f"only {saves} saves ran before the deadline"
    assert reads[0] > saves, "the reader must run while saves happen"
    assert (f(), g()) == (saves, saves)


TEN_FUNCTIONS = "".join(f"\ndef f{i}(x):\n    return x + {{delta}}\n" for i in range(10))


def test_one_heap_scan_per_save_whatever_the_number_of_changed_functions(ws):
    mod, cf = ws.module(TEN_FUNCTIONS.format(delta=0))
    functions = [getattr(mod, f"f{i}") for i in range(10)]
    for delta in (1, 2):
        scans = _jurigged.heap_scans()
        events = ws.edit(cf, TEN_FUNCTIONS.format(delta=delta))
        assert _jurigged.heap_scans() - scans <= 1
        assert len(events) == 10
        assert [f(10) for f in functions] == [10 + delta] * 10


def test_one_heap_scan_for_functions_methods_closures_and_shifts_together(ws):
    template = """
        {above}
        def make(n):
            def inner(x):
                return x + n + {delta}
            return inner

        class K:
        {methods}

        {functions}
        """
    methods = "".join(f"    def m{i}(self):\n                return {{delta}}\n        " for i in range(10))
    functions = "".join(f"def f{i}():\n            return {{delta}}\n\n        " for i in range(10))
    source = template.format(above="{above}", delta="{delta}", methods=methods, functions=functions)
    mod, cf = ws.module(source.format(above="", delta=0))
    inner = mod.make(1)
    k = mod.K()
    scans = _jurigged.heap_scans()
    ws.edit(cf, source.format(above="", delta=5))
    assert _jurigged.heap_scans() - scans <= 1
    assert inner(1) == 7
    assert [getattr(k, f"m{i}")() for i in range(10)] == [5] * 10
    assert [getattr(mod, f"f{i}")() for i in range(10)] == [5] * 10
    scans = _jurigged.heap_scans()
    # Lines inserted above: every definition below shifts, and some change.
    ws.edit(cf, source.format(above="A = 1\n        B = 2\n        C = 3", delta=6))
    assert _jurigged.heap_scans() - scans <= 1
    assert [getattr(mod, f"f{i}")() for i in range(10)] == [6] * 10


def test_conform_exception_names_the_variables(ws):
    mod, _ = ws.module(
        """
        def make(a):
            def inner():
                return a
            return inner

        def make_other(b):
            def inner():
                return b
            return inner

        class Base:
            def greet(self):
                return "base"

        class Child(Base):
            def plain(self):
                return "plain"

            def with_super(self):
                return super().greet()
        """
    )
    target = mod.make(1)
    try:
        jurigged.conform(target, mod.make_other(2))
    except jurigged.ConformException as error:
        assert "a" in str(error) and "b" in str(error)
    else:
        raise AssertionError("free variables differ: conform must refuse")
    assert target() == 1
    plain = mod.Child.plain
    try:
        jurigged.conform(plain, mod.Child.with_super)
    except jurigged.ConformException as error:
        assert "__class__" in str(error) and "super()" in str(error)
    else:
        raise AssertionError("__class__ differs: conform must refuse")
    assert plain(mod.Child()) == "plain"
    assert issubclass(jurigged.ConformException, jurigged.PatchError)
