"""Annotations across saves: a save leaves the annotations of functions, classes
and modules as a fresh import of the new text has them. On Python 3.14+ they are
evaluated lazily (PEP 649/749, through `__annotate__`): a save must never
evaluate them, so that an annotation naming a class imported only under
`TYPE_CHECKING` cannot break it."""

import sys

import pytest

LAZY = sys.version_info >= (3, 14)
needs_lazy = pytest.mark.skipif(not LAZY, reason="annotations are evaluated lazily from Python 3.14")


def forward_names(annotations):
    """The annotations with each unresolved name (a ForwardRef on 3.14+, a string
    under `from __future__ import annotations`) as its text."""
    return {k: getattr(v, "__forward_arg__", v) for k, v in annotations.items()}


def lazy_annotations(obj):
    import annotationlib

    return forward_names(annotationlib.get_annotations(obj, format=annotationlib.Format.FORWARDREF))


TYPE_CHECKING_MODULE = """
{future}from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from decimal import Decimal

def price(amount: Decimal) -> Decimal:
    return {value}

class Order:
    total: Decimal
    count: int = {value}

    def add(self, amount: Decimal) -> Decimal:
        return {value}

tax: Decimal
"""


@pytest.mark.parametrize("form", ["future", pytest.param("lazy", marks=needs_lazy)])
def test_a_save_works_when_annotations_name_a_class_imported_only_for_type_checking(ws, form):
    future = "from __future__ import annotations\n" if form == "future" else ""
    mod, cf = ws.module(TYPE_CHECKING_MODULE.format(future=future, value=1))
    old_price = mod.price
    events = ws.edit(cf, TYPE_CHECKING_MODULE.format(future=future, value=2))
    assert all("Error" not in e for e in events), events
    assert (old_price(0), mod.Order().add(0), mod.Order.count) == (2, 2, 2)
    if form == "lazy":
        # As after a fresh import: unresolved names, resolved only when asked.
        with pytest.raises(NameError):
            mod.price.__annotations__
        assert lazy_annotations(mod.price) == {"amount": "Decimal", "return": "Decimal"}
        assert lazy_annotations(mod.Order) == {"total": "Decimal", "count": int}
        assert lazy_annotations(mod) == {"tax": "Decimal"}
    else:
        assert mod.price.__annotations__ == {"amount": "Decimal", "return": "Decimal"}
        assert mod.Order.__annotations__ == {"total": "Decimal", "count": "int"}


EVALUATION_MODULE = """
EVALUATED = []

def note(name):
    EVALUATED.append(name)
    return int

def f(x: note("f {value}")) -> int:
    return {value}

class K:
    y: note("K.y {value}") = {value}

z: note("z {value}") = {value}
"""


@needs_lazy
def test_a_save_never_evaluates_annotations(ws):
    mod, cf = ws.module(EVALUATION_MODULE.format(value=1))
    assert mod.EVALUATED == []
    ws.edit(cf, EVALUATION_MODULE.format(value=2))
    assert (mod.f(0), mod.K.y, mod.z) == (2, 2, 2)
    assert mod.EVALUATED == [], "the save evaluated annotations"
    # Asked for, they are the new ones.
    mod.f.__annotations__, mod.K.__annotations__, mod.__annotations__
    assert sorted(mod.EVALUATED) == ["K.y 2", "f 2", "z 2"]


SCOPES_MODULE = """
class Point:
    x: int = 0
    label: {label} = {default}

    def norm(self):
        return self.x

size: int = 1
name: {label} = {default}
"""


@pytest.mark.parametrize("read_first", [True, False], ids=["annotations-read-before", "never-read"])
def test_class_and_module_annotations_stay_whole_when_a_save_runs_one_annotated_statement(ws, read_first):
    mod, cf = ws.module(SCOPES_MODULE.format(label="str", default='"a"'))
    if read_first:
        assert mod.Point.__annotations__ == {"x": int, "label": str}
        assert mod.__annotations__ == {"size": int, "name": str}
    ws.edit(cf, SCOPES_MODULE.format(label="bytes", default='b"a"'))
    assert mod.Point.label == b"a" and mod.name == b"a"
    assert mod.Point.__annotations__ == {"x": int, "label": bytes}
    assert mod.__annotations__ == {"size": int, "name": bytes}


FUNCTION_MODULE = """
import functools

def logged(function):
    @functools.wraps(function)
    def wrapper(*args):
        return function(*args)
    return wrapper

def plain{signature}:
    return x

@logged
def wrapped{signature}:
    return x
"""


@pytest.mark.parametrize("read_first", [True, False], ids=["annotations-read-before", "never-read"])
def test_functions_and_their_wrappers_get_the_new_annotations_even_when_none_are_left(ws, read_first):
    mod, cf = ws.module(FUNCTION_MODULE.format(signature="(x: int) -> int"))
    if read_first:
        assert mod.plain.__annotations__ == mod.wrapped.__annotations__ == {"x": int, "return": int}
    ws.edit(cf, FUNCTION_MODULE.format(signature="(x: str) -> str"))
    assert mod.plain.__annotations__ == mod.wrapped.__annotations__ == {"x": str, "return": str}
    ws.edit(cf, FUNCTION_MODULE.format(signature="(x)"))
    assert mod.plain.__annotations__ == mod.wrapped.__annotations__ == {}
    assert mod.wrapped("v") == "v"


CONDITIONAL_MODULE = """
from typing import TYPE_CHECKING
{added}
if TYPE_CHECKING:
    from decimal import Decimal
    hidden: Decimal

count: int = {value}
"""


def test_annotations_of_statements_that_never_ran_stay_out_of_the_module_after_saves(ws):
    mod, cf = ws.module(CONDITIONAL_MODULE.format(added="", value=1))
    ws.edit(cf, CONDITIONAL_MODULE.format(added="", value=2))
    assert mod.count == 2
    assert mod.__annotations__ == {"count": int}
    # An annotated statement added above renumbers the module's annotations.
    ws.edit(cf, CONDITIONAL_MODULE.format(added='label: str = "a"', value=3))
    assert (mod.label, mod.count) == ("a", 3)
    assert mod.__annotations__ == {"label": str, "count": int}


MOVED_MODULE = """
{added}
class Point:
    x: int = 0
    {inside}
    label: str = "a"

count: int = 1
"""


def annotate_code_of_fresh_compile(path, class_name=None):
    code = compile(path.read_text(), str(path), "exec")
    if class_name:
        code = next(c for c in code.co_consts if getattr(c, "co_name", None) == class_name)
    return next(c for c in code.co_consts if getattr(c, "co_name", None) == "__annotate__")


@needs_lazy
@pytest.mark.parametrize(
    "added, inside", [("import os", ""), ("", "z = 1"), ("import os\nimport sys", "w = 1")], ids=["above", "inside", "both"]
)
def test_moved_annotations_have_the_lines_of_a_fresh_import(ws, added, inside):
    mod, cf = ws.module(MOVED_MODULE.format(added="", inside=""))
    ws.edit(cf, MOVED_MODULE.format(added=added, inside=inside))
    path = ws.path / f"{mod.__name__}.py"
    for live, fresh in [
        (mod.Point.__annotate__.__code__, annotate_code_of_fresh_compile(path, "Point")),
        (mod.__annotate__.__code__, annotate_code_of_fresh_compile(path)),
    ]:
        assert (live.co_firstlineno, list(live.co_lines())) == (fresh.co_firstlineno, list(fresh.co_lines()))
    assert mod.Point.__annotations__ == {"x": int, "label": str}
    assert mod.__annotations__ == {"count": int}
