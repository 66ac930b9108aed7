"""Where a call fails: the last frame of its traceback, for the tests that
check the line numbers patched code reports."""

import traceback


def failing_line(function, *args):
    """The last frame of the exception `function(*args)` raises; fails if it
    raises none."""
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - the test inspects it
        return traceback.extract_tb(error.__traceback__)[-1]
    raise AssertionError("expected an exception")
