"""Class bodies as real package releases change them: class decorators run
again only when what they read changed, and a definition's decorators,
defaults and annotations see the class namespace as CPython's class statement
does at that point of the body."""

import sys

REMAKING_DECORATOR = """
import functools

CALLS = []


def remake(cls):
    # As @attrs.define and @dataclass(slots=True) do: a new class is returned.
    CALLS.append(cls.__name__)
    return type(cls.__name__, (cls,), {{"__slots__": ()}})


@remake
class Point:
    x = 1

    def norm(self):
        return {value}
"""


def test_a_method_body_change_does_not_run_class_decorators_again(ws):
    mod, cf = ws.module(REMAKING_DECORATOR.format(value=1))
    point = mod.Point()
    assert mod.CALLS == ["Point"]
    events = ws.edit(cf, REMAKING_DECORATOR.format(value=2))
    assert [e for e in events if e.startswith(("Error", "Replace"))] == []
    assert mod.CALLS == ["Point"]
    assert point.norm() == 2


NAME_IN_ANNOTATION = """
import re
from functools import cached_property


class Regex:
    pattern = "a+"

    @cached_property
    def re(self) -> re.Pattern:
        return re.compile(self.pattern + {suffix!r})

    def matches(self, text):
        return bool(self.re.fullmatch(text))
"""


def test_a_definition_annotation_sees_the_module_name_its_own_name_shadows_later(ws):
    # pyparsing 3.1.3's Regex: `re` in the annotation is the module, as in a
    # fresh class statement; the live class's `re` (a cached_property) is bound
    # only after the definition.
    mod, cf = ws.module(NAME_IN_ANNOTATION.format(suffix=""))
    assert mod.Regex().matches("aa")
    events = ws.edit(cf, NAME_IN_ANNOTATION.format(suffix="b"))
    assert [e for e in events if e.startswith(("Error", "Replace"))] == []
    assert mod.Regex().matches("aab")
    if sys.version_info < (3, 14):
        # Evaluated at the def (3.14+ evaluates them when asked, in the class
        # namespace as it stands then: a fresh import has the same answer).
        assert mod.Regex.__dict__["re"].func.__annotations__["return"] is mod.re.Pattern
