"""The before/after cases of the live path, one test each: a folder of
tests/cases holds the module's text before a save (`before.py`), the text saved
(`after.py`), and what the live program must show then (`expect.py`: the checks
of a `check(mod, case)`, and/or a comparison with a fresh import of the new
text). support/cases.py says the format; `-k NAME` runs one case."""

import pytest

from support import cases


@pytest.mark.parametrize("name", cases.params())
def test_case(ws, capsys, name):
    cases.run(ws, capsys, name)
