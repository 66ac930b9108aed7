"""Syntax error changes nothing."""


def check(mod, case):
    code_before = mod.f.__code__
    try:
        case.save()
    except SyntaxError as error:
        assert error.lineno == 1
        assert error.filename == str(case.codefile.filename)
    else:
        raise AssertionError("a syntax error must raise")
    assert mod.f.__code__ is code_before
    assert mod.f() == 1
    assert "return 1" in case.codefile.text
