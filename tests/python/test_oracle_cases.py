"""Small saves the two oracles found patched unlike a fresh import, each shrunk to
what a fix must get right: saved over a freshly imported module, then every
reachable function and every reference taken before the save must match a fresh
import of the last text (oracle_compare.save_sequence: code, defaults,
annotations, names, docstrings)."""

import pytest

import oracle_compare

# name: (before, after). Each name says the behaviour a fresh import has.
CASES = {
    "a_body_edit_of_a_plain_function": (
        "K = 1\n\n\ndef f(x):\n    return x + K\n",
        "K = 1\n\n\ndef f(x):\n    return x * 2 + K\n",
    ),
    "a_function_moved_below_another": (
        "def f():\n    return 1\n\n\ndef g():\n    return 2\n",
        "def g():\n    return 2\n\n\ndef f():\n    return 1\n",
    ),
    "a_closure_body_edit_reaches_closures_made_before": (
        "def make(k):\n    def inner(v):\n        return v * k\n    return inner\n\n\nadd = make(2)\n",
        "def make(k):\n    def inner(v):\n        return v * k + 1\n    return inner\n\n\nadd = make(2)\n",
    ),
    "a_changed_signature_reaches_references_taken_before": (
        "def f(x):\n    return x\n",
        "def f(x, scale=10):\n    return x * scale\n",
    ),
    "an_added_method_has_its_class_in_its_qualified_name": (
        "class C:\n    def m(self):\n        return 1\n",
        "class C:\n    def m(self):\n        return 1\n\n    def n(self):\n        return 2\n",
    ),
    "private_names_are_mangled_with_the_class_name": (
        "class C:\n    __v = 1\n\n    def m(self):\n        return 1\n",
        "class C:\n    __v = 1\n\n    def m(self):\n        return self.__v\n",
    ),
    "a_decorated_function_starts_at_its_first_decorator": (
        "import functools\n\n\n@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x\n",
        "import functools\n\n\n@functools.lru_cache(maxsize=None)\ndef f(x):\n    return x + 1\n",
    ),
    "a_property_getter_starts_at_its_decorator": (
        "class C:\n    @property\n    def p(self):\n        return 1\n",
        "class C:\n    @property\n    def p(self):\n        return 2\n",
    ),
    "a_reference_taken_before_a_decorator_was_added_runs_the_new_code": (
        "def deco(fn):\n    def inner(*a):\n        return fn(*a) + 1\n    return inner\n\n\ndef f(x):\n    return x\n",
        "def deco(fn):\n    def inner(*a):\n        return fn(*a) + 1\n    return inner\n\n\n@deco\ndef f(x):\n    return x\n",
    ),
    "a_call_on_an_imported_module_compiles_as_in_the_whole_module": (
        "import operator\n\n\ndef f(x):\n    return operator.add(x, 1)\n",
        "import operator\n\n\ndef f(x):\n    return operator.add(x, 2)\n",
    ),
    "a_getter_and_its_setter_added_in_one_save": (
        "class C:\n    pass\n",
        "class C:\n    @property\n    def p(self):\n        return 1\n\n"
        "    @p.setter\n    def p(self, value):\n        self._p = value\n",
    ),
    "a_new_class_used_as_a_default_by_a_new_method_in_one_save": (
        "class E(ValueError):\n    pass\n",
        "class MISSING:\n    pass\n\n\nclass E(ValueError):\n    def __init__(self, msg=MISSING):\n        self.msg = msg\n",
    ),
    "future_annotations_added_apply_to_every_function": (
        "def f(x: int) -> int:\n    return x\n",
        "from __future__ import annotations\n\n\ndef f(x: int) -> int:\n    return x\n",
    ),
    "a_removed_setter_leaves_the_property_without_one": (
        "class C:\n    @property\n    def p(self):\n        return 1\n\n    @p.setter\n    def p(self, value):\n        self._p = value\n",
        "class C:\n    @property\n    def p(self):\n        return 1\n",
    ),
    "a_changed_overload_stub_leaves_the_implementation_bound": (
        "import typing\n\n\n@typing.overload\ndef f(*args: int) -> int: ...\n\n\ndef f(a):\n    return a\n",
        "import typing\n\n\n@typing.overload\ndef f(*args: str) -> str: ...\n\n\ndef f(a):\n    return a\n",
    ),
    "a_changed_overload_stub_in_a_class_leaves_the_method_bound": (
        "import typing\n\n\nclass C:\n    @typing.overload\n    def m(self, x: int) -> int: ...\n\n"
        "    def m(self, x):\n        return x\n",
        "import typing\n\n\nclass C:\n    @typing.overload\n    def m(self, x: str) -> str: ...\n\n"
        "    def m(self, x):\n        return x\n",
    ),
    "a_body_edit_below_an_overload_stub_moved_down_reaches_the_implementation": (
        "import typing\n\n@typing.overload\ndef f(*args: int) -> int: ...\n\ndef f(a):\n    return 19\n",
        "import typing\n\n\n\n@typing.overload\ndef f(*args: int) -> int: ...\n\ndef f(a):\n    return 25\n",
    ),
    "a_class_docstring_added_keeps_a_later_def_of_the_same_name": (
        "class C:\n    @property\n    def __doc__(self):\n        return 'instance doc'\n",
        'class C:\n    """Doc."""\n\n    @property\n    def __doc__(self):\n        return \'instance doc\'\n',
    ),
    "a_dataclass_field_default_reaches_its_init": (
        "import dataclasses\n\n\n@dataclasses.dataclass\nclass C:\n    size: int = 1\n",
        "import dataclasses\n\n\n@dataclasses.dataclass\nclass C:\n    size: int = 2\n",
    ),
    "the_last_of_same_named_singledispatch_implementations_stays_bound": (
        "import functools\n\n\n@functools.singledispatch\ndef g(x):\n    return 0\n\n\n"
        "@g.register\ndef _(x: str):\n    return 1\n\n\n@g.register\ndef _(x: int):\n    return 2\n",
        "import functools\n\n\n@functools.singledispatch\ndef g(x):\n    return 0\n\n\n"
        "@g.register\ndef _(x: str):\n    return 10\n\n\n@g.register\ndef _(x: int):\n    return 2\n",
    ),
    "a_default_read_from_a_changed_statement_is_the_new_value": (
        "TABLE = {1: 2}\n\n\ndef f(t=TABLE):\n    return t\n",
        "TABLE = {1: 3}\n\n\ndef f(t=TABLE):\n    return t\n",
    ),
    "a_docstring_added_under_functools_wraps_reaches_the_wrapper": (
        "import functools\n\n\ndef deco(fn):\n    @functools.wraps(fn)\n    def wrapper(*a):\n        return fn(*a)\n"
        "    return wrapper\n\n\n@deco\ndef f():\n    return 1\n",
        "import functools\n\n\ndef deco(fn):\n    @functools.wraps(fn)\n    def wrapper(*a):\n        return fn(*a)\n"
        '    return wrapper\n\n\n@deco\ndef f():\n    """Doc."""\n    return 1\n',
    ),
    # Issue 21 item 8: statements whose value reads a function the save changed.
    "an_unchanged_table_built_by_calls_of_a_changed_function_is_built_again": (
        "def seg():\n    return [1, 2]\n\n\ntable = tuple(seg())\nsize = len(table)\n",
        "def seg():\n    return [1, 2, 3]\n\n\ntable = tuple(seg())\nsize = len(table)\n",
    ),
    "a_changed_table_statement_calls_the_new_code_of_a_changed_function": (
        "def seg():\n    return [1, 2]\n\n\ntable = tuple(seg())\n",
        "def seg():\n    return [1, 5]\n\n\ndef seg2():\n    return [3]\n\n\ntable = tuple(seg() + seg2())\n",
    ),
}

_PROPERTY = (
    "class C:\n    @property\n    def p(self):\n        return 1\n\n"
    "    @p.setter\n    def p(self, value):\n        self._p = value\n"
)
_F = "def f():\n    return 1\n"

# name: (first text, then each text saved in turn), for what needs a history.
SEQUENCES = {
    "a_setter_follows_two_shifts_of_its_class": (
        _PROPERTY + "\n\n" + _F,
        _F + "\n\n" + _PROPERTY,
        _F + "\n\n# one\n# two\n" + _PROPERTY,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_save_patches_like_a_fresh_import(ws, name):
    before, after = CASES[name]
    differences = oracle_compare.single_save(ws, before, after)
    assert differences is not None, "both texts of a case must run"
    assert differences == [], "\n".join(str(d) for d in differences)


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_saves_in_turn_patch_like_a_fresh_import_of_the_last(ws, name):
    differences = oracle_compare.save_sequence(ws, list(SEQUENCES[name]))
    assert differences is not None, "every text of a case must run"
    assert differences == [], "\n".join(str(d) for d in differences)
