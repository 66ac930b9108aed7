"""The user index: after a heap scan, the functions found are remembered, and a
save whose code objects have no other holder needs no scan. Any new holder (a
closure made since) brings the scan back, so that nothing is missed."""

import sys

import jurigged
from jurigged._jurigged import heap_scans

SOURCE = """
def make(k):
    def inner():
        return k + {v}
    return inner
"""


def edit(ws, cf, v):
    return ws.edit(cf, SOURCE.format(v=v))


def test_a_second_save_of_the_same_function_needs_no_heap_scan(ws):
    mod, cf = ws.module(SOURCE.format(v=1))
    closures = [mod.make(i) for i in range(50)]
    edit(ws, cf, 2)
    assert [c() for c in closures] == [i + 2 for i in range(50)]
    before = heap_scans()
    edit(ws, cf, 3)
    assert heap_scans() == before, "the users were known from the first scan"
    assert [c() for c in closures] == [i + 3 for i in range(50)]


def test_closures_made_between_saves_are_found(ws):
    mod, cf = ws.module(SOURCE.format(v=1))
    early = [mod.make(i) for i in range(10)]
    edit(ws, cf, 2)
    late = [mod.make(i) for i in range(10)]
    before = heap_scans()
    edit(ws, cf, 3)
    assert heap_scans() == before + 1, "new closures hold the code: the heap is scanned"
    assert [c() for c in early + late] == [i + 3 for i in range(10)] * 2


def test_a_closure_that_died_is_not_a_problem(ws):
    mod, cf = ws.module(SOURCE.format(v=1))
    keep = mod.make(1)
    gone = mod.make(2)
    edit(ws, cf, 2)
    del gone
    edit(ws, cf, 3)
    assert keep() == 4


def test_without_the_gil_every_save_scans_the_heap(ws, monkeypatch):
    # A free-threaded interpreter with the GIL off (3.13t+) counts references in
    # ways sys.getrefcount does not add up: the index must not trust them. No
    # free-threaded build is at hand, so the interpreter says it is one.
    mod, cf = ws.module(SOURCE.format(v=1))
    closures = [mod.make(i) for i in range(5)]
    edit(ws, cf, 2)
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    before = heap_scans()
    edit(ws, cf, 3)
    assert heap_scans() == before + 1, "the reference counts were trusted without the GIL"
    assert [c() for c in closures] == [i + 3 for i in range(5)]
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    edit(ws, cf, 4)
    assert heap_scans() == before + 1, "with the GIL the index is trusted again"
    assert [c() for c in closures] == [i + 4 for i in range(5)]


PLAIN = """
import types

def f():
    return {v}

class C:
    def m(self):
        return {v} + 10
"""


def test_the_first_save_of_functions_only_their_module_holds_needs_no_heap_scan(ws):
    # Issue 26: the function bound where it is defined is its only user, which
    # its code's reference count confirms; no heap scan at the first save.
    mod, cf = ws.module(PLAIN.format(v=1))
    f, m, c = mod.f, mod.C.m, mod.C()
    before = heap_scans()
    ws.edit(cf, PLAIN.format(v=2))
    assert heap_scans() == before, "the bound functions were all the users"
    assert (f(), mod.f(), m(c), c.m()) == (2, 2, 12, 12)


def test_a_copy_of_the_code_made_before_the_first_save_is_found(ws):
    # Another function runs the same code: the count does not add up, the heap
    # is scanned and the copy gets the new code too.
    source = PLAIN + "\ncopy = types.FunctionType(f.__code__, globals())\n"
    mod, cf = ws.module(source.format(v=1))
    copy = mod.copy
    before = heap_scans()
    ws.edit(cf, source.format(v=2))
    assert heap_scans() == before + 1, "an unknown user must bring the heap scan back"
    assert (copy(), mod.f(), mod.C().m()) == (2, 2, 12)


def test_closures_made_before_the_first_save_are_found(ws):
    mod, cf = ws.module(SOURCE.format(v=1))
    closures = [mod.make(i) for i in range(5)]
    before = heap_scans()
    edit(ws, cf, 2)
    assert heap_scans() == before + 1, "closures hold the nested code: the heap is scanned"
    assert [c() for c in closures] == [i + 2 for i in range(5)]
