"""Module- and class-level statements: only changed or new ones run, once, in
order; moved code keeps correct line numbers."""

import inspect
import linecache
import sys
import traceback

import pytest


def test_a_changed_print_line_runs_exactly_once(ws, capsys):
    mod, cf = ws.module(
        """
        print("one")
        print("two")

        def f():
            return 1

        print("three")
        """
    )
    assert capsys.readouterr().out == "one\ntwo\nthree\n"
    events = ws.edit(
        cf,
        """
        print("one")
        print("TWO")

        def f():
            return 1

        print("three")
        """,
    )
    assert capsys.readouterr().out == "TWO\n"
    assert events == [f'Run {mod.__name__} @L3: print("TWO")']


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


def test_new_statements_run_in_file_order_after_new_definitions(ws):
    sink = ws.load("log = []\n")
    mod, cf = ws.module(
        f"""
        import {sink.__name__} as sink

        def f():
            return 1
        """
    )
    ws.edit(
        cf,
        f"""
        import {sink.__name__} as sink

        sink.log.append("first")

        def f():
            return 1

        def g():
            return "g"

        sink.log.append(g())
        sink.log.append("last")
        """,
    )
    assert sink.log == ["first", "g", "last"]


def test_an_exception_in_a_new_statement_rejects_the_save_and_nothing_applies(ws):
    sink = ws.load("log = []\n")
    mod, cf = ws.module(
        f"""
        import {sink.__name__} as sink

        def f():
            return 1
        """
    )
    with pytest.raises(ZeroDivisionError):
        ws.edit(
            cf,
            f"""
            import {sink.__name__} as sink

            raise_here = 1 / 0

            def f():
                return 2

            sink.log.append("after")
            """,
        )
    assert mod.f() == 1
    assert not hasattr(mod, "raise_here")
    assert sink.log == []


def test_run_event_of_a_multiline_statement(ws):
    mod, cf = ws.module(
        """
        CONFIG = {
            "a": 1,
        }
        """
    )
    events = ws.edit(
        cf,
        """
        CONFIG = {
            "a": 2,
        }
        """,
    )
    assert mod.CONFIG == {"a": 2}
    assert len(events) == 1 and events[0].startswith(f"Run {mod.__name__} @L2: CONFIG = {{")


def _failing_line(function, *args):
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - the test inspects it
        return traceback.extract_tb(error.__traceback__)[-1]
    raise AssertionError("expected an exception")


def test_traceback_line_numbers_right_after_lines_are_inserted_above(ws):
    mod, cf = ws.module(
        """
        def fail():
            x = 1
            raise ValueError(x)
        """
    )
    assert _failing_line(mod.fail).lineno == 4
    events = ws.edit(
        cf,
        """
        # a comment
        # another

        def helper():
            return 0

        def fail():
            x = 1
            raise ValueError(x)
        """,
    )
    assert f"Add {mod.__name__}.helper @L5" in events
    linecache.clearcache()
    frame = _failing_line(mod.fail)
    assert frame.lineno == 10
    assert frame.line == "raise ValueError(x)"
    assert mod.fail.__code__.co_firstlineno == 8
    lines, first = inspect.getsourcelines(mod.fail)
    assert first == 8
    assert lines[0] == "def fail():\n"


def test_traceback_line_numbers_of_methods_and_decorated_functions_after_insertions(ws):
    mod, cf = ws.module(
        """
        import functools

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                return fn(*args)
            return wrapper

        class K:
            def method(self):
                raise KeyError("m")

        @deco
        def decorated():
            raise KeyError("d")
        """
    )
    assert _failing_line(mod.K().method).lineno == 12
    assert _failing_line(mod.decorated).lineno == 16
    ws.edit(
        cf,
        """
        import functools

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                return fn(*args)
            return wrapper

        NEW_CONSTANT = 1


        class K:
            def method(self):
                raise KeyError("m")

        @deco
        def decorated():
            raise KeyError("d")
        """,
    )
    linecache.clearcache()
    assert _failing_line(mod.K().method).lineno == 15
    assert _failing_line(mod.decorated).lineno == 19
    assert inspect.getsourcelines(mod.K.method)[1] == 14
    assert mod.decorated.__wrapped__.__code__.co_firstlineno in (17, 18)


def test_line_numbers_of_a_changed_function_below_inserted_lines(ws):
    mod, cf = ws.module(
        """
        def fail():
            raise ValueError("old")
        """
    )
    ws.edit(
        cf,
        """
        X = 1
        Y = 2

        def fail():
            y = 2
            raise ValueError("new")
        """,
    )
    linecache.clearcache()
    frame = _failing_line(mod.fail)
    assert frame.lineno == 7
    assert frame.line == 'raise ValueError("new")'
    assert inspect.getsourcelines(mod.fail)[1] == 5


def test_updated_method_traceback_has_real_lines_and_columns(ws):
    mod, cf = ws.module(
        """
        class K:
            def method(self, x):
                return x
        """
    )
    ws.edit(
        cf,
        """
        class K:
            def method(self, x):
                return 1 + x.missing
        """,
    )
    linecache.clearcache()
    frame = _failing_line(mod.K().method, 1)
    assert frame.filename == str(cf.filename)
    assert frame.lineno == 4
    assert frame.line == "return 1 + x.missing"
    if sys.version_info >= (3, 11):
        # `x.missing` starts at column 19 of "        return 1 + x.missing".
        assert (frame.colno, frame.end_colno) == (19, 28)


def test_traceback_line_numbers_after_insertions_in_a_later_save(ws):
    """Same as above, after a first save that updated another function."""
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
    assert _failing_line(mod.fail).lineno == 11
    assert _failing_line(mod.K().method).lineno == 5
    # One line becomes two: everything below moves down by one.
    ws.edit(cf, template.format(above="X = 1\n        Y = 2", value=2))
    linecache.clearcache()
    frame = _failing_line(mod.fail)
    assert frame.lineno == 12
    assert frame.line == 'raise ValueError("f")'
    assert _failing_line(mod.K().method).lineno == 6
    assert inspect.getsourcelines(mod.fail)[1] == 11
