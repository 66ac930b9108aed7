"""Patching live code: the basics every other test builds on."""

import jurigged


def test_function_body_change_is_seen_through_every_reference(ws):
    mod, cf = ws.module(
        """
        def f(x):
            return x + 1

        table = {"f": f}
        """
    )
    alias = mod.f
    events = ws.edit(
        cf,
        """
        def f(x):
            return x + 2

        table = {"f": f}
        """,
    )
    assert events == [f"Update {mod.__name__}.f @L2"]
    assert alias(1) == 3
    assert mod.table["f"](1) == 3
    assert mod.f is alias


def test_syntax_error_changes_nothing(ws):
    mod, cf = ws.module(
        """
        def f():
            return 1
        """
    )
    code_before = mod.f.__code__
    try:
        ws.edit(cf, "def f(:\n    return 2\n")
    except SyntaxError as error:
        assert error.lineno == 1
        assert error.filename == str(cf.filename)
    else:
        raise AssertionError("a syntax error must raise")
    assert mod.f.__code__ is code_before
    assert mod.f() == 1
    assert "return 1" in cf.text
