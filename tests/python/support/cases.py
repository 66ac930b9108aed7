"""The before/after cases of tests/cases: one folder a case, run by test_cases.py.

A case folder holds
- `before.py`: the live module's text, imported as the module `live`;
- `after.py`: the text saved over it (then `after_2.py`, `after_3.py`... for a
  case that needs a history);
- any other `NAME.py`: a module the case's texts or checks import (`sink.py`, a
  place to count side effects; `user.py`, a module that imports from `live`);
- `expect.py`: what the live program must show, with
  - `check(mod, case)`: called with the imported live module; it takes its
    references, calls `case.save()` (saves the next text and returns the
    save's events as strings) and asserts what the program shows then;
  - `LIKE_A_FRESH_IMPORT = True`: the texts are saved in turn over a fresh
    module, then every reachable function and every reference taken before
    the first save must match a fresh import of the last text
    (oracle_compare.save_sequence);
  - `PYTHON_MIN` / `PYTHON_MAX` (`(major, minor)`, both included): the Python
    versions the case holds for; it is skipped on the others.
Its docstring says the behaviour, as a test's name would."""

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

from support import oracle_compare

ROOT = Path(__file__).resolve().parents[2] / "cases"

#: The live module's name: a case's other modules and checks import it by it.
LIVE = "live"


def names():
    """Every case, by folder name."""
    return sorted(p.parent.name for p in ROOT.glob("*/expect.py"))


def texts(folder):
    """before.py, after.py, then after_2.py, after_3.py... in order."""
    saved = sorted(folder.glob("after_*.py"), key=lambda p: int(p.stem.split("_")[1]))
    return [folder / "before.py", folder / "after.py", *saved]


def helpers(folder):
    """The case's other modules (neither a text nor expect.py)."""
    own = {p.name for p in texts(folder)} | {"expect.py"}
    return sorted(p for p in folder.glob("*.py") if p.name not in own)


def expectations(name):
    """The case's expect.py, as a module."""
    path = ROOT / name / "expect.py"
    spec = importlib.util.spec_from_file_location(f"expect_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def params():
    """One pytest parameter a case, skipped outside its Python versions."""
    found = []
    for name in names():
        expect = expectations(name)
        low, high = getattr(expect, "PYTHON_MIN", None), getattr(expect, "PYTHON_MAX", None)
        version = sys.version_info[:2]
        outside = (low is not None and version < tuple(low)) or (high is not None and version > tuple(high))
        span = " to ".join(".".join(map(str, v)) if v else "any" for v in (low, high))
        reason = f"the case holds for Python {span}"
        found.append(pytest.param(name, marks=pytest.mark.skipif(outside, reason=reason)))
    return found


class Case:
    """What a case's `check` is given besides the live module."""

    def __init__(self, ws, folder, codefile, capsys):
        self.ws = ws
        self.codefile = codefile
        self.capsys = capsys
        #: The texts not saved yet: a check must save them all.
        self.pending = [p.read_bytes() for p in texts(folder)[1:]]

    def save(self):
        """Saves the case's next text over the live module and applies it; the
        save's events as strings."""
        assert self.pending, "the case has no more texts to save"
        return self.ws.edit(self.codefile, self.pending.pop(0))

    def load(self, name):
        """One of the case's other modules, imported."""
        importlib.invalidate_caches()
        return importlib.import_module(name)


def run(ws, capsys, name):
    folder = ROOT / name
    expect = expectations(name)
    check = getattr(expect, "check", None)
    fresh = getattr(expect, "LIKE_A_FRESH_IMPORT", False)
    assert check or fresh, f"{folder}/expect.py checks nothing"
    if fresh:
        sources = [p.read_text(encoding="utf-8") for p in texts(folder)]
        differences = oracle_compare.save_sequence(ws, sources)
        assert differences is not None, "every text of a case must run"
        assert differences == [], "\n".join(str(d) for d in differences)
    if check:
        for helper in helpers(folder):
            ws.write(helper.name, helper.read_bytes())
            ws.modules.append(helper.stem)
        module, codefile = ws.module((folder / "before.py").read_bytes(), name=LIVE)
        case = Case(ws, folder, codefile, capsys)
        check(module, case)
        assert not case.pending, f"the check of {name} left {len(case.pending)} of its texts unsaved"
