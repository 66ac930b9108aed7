"""Module- and class-level statements across several saves of one module: only
changed or new ones run, once, in order; moved code keeps correct line numbers.
The one-save cases of the same behaviours are folders of tests/cases."""

import inspect
import linecache

from support.tracebacks import failing_line


def test_unchanged_statements_never_rerun_across_saves(ws):
    sink = ws.load("log = []\n")
    template = f"""
        import {sink.__name__} as sink

        sink.log.append("a")
        sink.log.append("b{{b}}")

        def f():
            return {{value}}

        class C:
            sink.log.append("class body")

            def m(self):
                return {{value}}

        sink.log.append("c")
        """
    mod, cf = ws.module(template.format(b="", value=1))
    assert sink.log == ["a", "b", "class body", "c"]
    ws.edit(cf, template.format(b="", value=2))
    assert sink.log == ["a", "b", "class body", "c"]
    assert mod.f() == 2 and mod.C().m() == 2
    ws.edit(cf, template.format(b="2", value=2))
    assert sink.log == ["a", "b", "class body", "c", "b2"]
    ws.edit(cf, template.format(b="3", value=3))
    assert sink.log == ["a", "b", "class body", "c", "b2", "b3"]
    assert mod.f() == 3


def test_traceback_line_numbers_after_insertions_in_a_later_save(ws):
    """Tracebacks point at the right lines after lines are inserted above, in a
    save that follows a first save that updated another function."""
    template = """
        {above}
        class K:
            def method(self):
                raise KeyError("m")

        def touched():
            return {value}

        def fail():
            raise ValueError("f")
        """
    mod, cf = ws.module(template.format(above="", value=1))
    ws.edit(cf, template.format(above="", value=2))
    assert mod.touched() == 2
    assert failing_line(mod.fail).lineno == 11
    assert failing_line(mod.K().method).lineno == 5
    # One line becomes two: everything below moves down by one.
    ws.edit(cf, template.format(above="X = 1\n        Y = 2", value=2))
    linecache.clearcache()
    frame = failing_line(mod.fail)
    assert frame.lineno == 12
    assert frame.line == 'raise ValueError("f")'
    assert failing_line(mod.K().method).lineno == 6
    assert inspect.getsourcelines(mod.fail)[1] == 11
