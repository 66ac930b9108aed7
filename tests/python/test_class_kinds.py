"""The special kinds of classes made again by a save (issue 22 item 4): each is
followed or reported, never broken silently. Enums, NamedTuple, TypedDict,
Protocol, ABCs with registered virtual subclasses, `__init_subclass__`
registries, metaclasses that build fields from the body (as Pydantic's), the
migration hook, and decorators that return a new class."""

import sys
import textwrap

import pytest


def errors(events):
    """The errors of a save, and what could not follow a class made again."""
    return [e for e in events if e.startswith(("Error", "Replace"))]


ENUM = """
import enum


class Color({bases}):
    RED = 1
{extra}
"""


def test_an_enum_made_again_is_bound_and_its_old_members_are_reported(ws):
    mod, cf = ws.module(ENUM.format(bases="enum.Enum", extra=""))
    red = mod.Color.RED
    events = ws.edit(cf, ENUM.format(bases="enum.Enum", extra="    GREEN = 2\n"))
    # The new member is a member, not an int set on the old class.
    assert isinstance(mod.Color.GREEN, mod.Color)
    assert [m.name for m in mod.Color] == ["RED", "GREEN"]
    assert errors(events) == [
        f"Replace {mod.__name__}.Color @L5: 1 of 1 live instances keep the old class "
        "(an Enum's members are made by its class statement)"
    ]
    assert red.value == 1


NAMED_TUPLE = """
from typing import NamedTuple


class Point(NamedTuple):
    x: int
{extra}
    def norm(self):
        return {norm}
"""


def test_a_named_tuple_follows_and_a_field_change_is_reported(ws):
    mod, cf = ws.module(NAMED_TUPLE.format(extra="", norm="abs(self.x)"))
    point = mod.Point(-3)
    events = ws.edit(cf, NAMED_TUPLE.format(extra="    y: int = 0\n", norm="abs(self.x) + 1"))
    assert mod.Point(1, 2).y == 2
    assert point.norm() == 4
    assert errors(events) == [
        f"Replace {mod.__name__}.Point @L5: 1 live instances keep their old fields "
        "(a NamedTuple's instances are tuples, which cannot change)"
    ]


TYPED_DICT = """
from typing import TypedDict


class Movie(TypedDict):
    title: str
{extra}
"""


def test_a_typed_dict_gains_its_key(ws):
    mod, cf = ws.module(TYPED_DICT.format(extra=""))
    events = ws.edit(cf, TYPED_DICT.format(extra="    year: int\n"))
    assert errors(events) == []
    assert mod.Movie.__required_keys__ == frozenset({"title", "year"})


PROTOCOL = """
from typing import Protocol, runtime_checkable


class Named(Protocol):
    def name(self): ...


@runtime_checkable
class Closable({bases}):
    def close(self): ...


class File:
    def close(self):
        return "closed"

    def name(self):
        return "file"
"""


def test_a_protocol_that_gains_a_base_keeps_its_runtime_checks(ws):
    # Protocol has no __dict__ and Named has: CPython refuses the new bases
    # on the live class, so the new class is bound (no instance to migrate).
    mod, cf = ws.module(PROTOCOL.format(bases="Protocol"))
    events = ws.edit(cf, PROTOCOL.format(bases="Named, Protocol"))
    assert errors(events) == []
    assert isinstance(mod.File(), mod.Closable)
    assert mod.Named in mod.Closable.__mro__


ABSTRACT = """
import abc


class Root(abc.ABC):
    pass


class Mixin:
    def extra(self):
        return "extra"


class Shape({bases}):
    __slots__ = {slots}

    @abc.abstractmethod
    def area(self): ...


class Square(Shape):
    def area(self):
        return 4


class Outside:
    pass


{register}
"""


def test_an_abc_that_gains_a_base_keeps_its_identity_and_its_virtual_subclasses(ws):
    mod, cf = ws.module(ABSTRACT.format(bases="Root", slots="()", register="Shape.register(Outside)"))
    shape, square = mod.Shape, mod.Square()
    events = ws.edit(cf, ABSTRACT.format(bases="Root, Mixin", slots="()", register=""))
    assert errors(events) == []
    assert mod.Shape is shape
    assert issubclass(mod.Outside, mod.Shape)
    assert isinstance(square, mod.Shape)
    assert square.extra() == "extra"


def test_an_abc_made_again_registers_its_virtual_subclasses_and_reports_a_subclass_that_cannot_follow(ws):
    mod, cf = ws.module(ABSTRACT.format(bases="abc.ABC", slots="()", register="Shape.register(Outside)"))
    square = mod.Square()
    events = ws.edit(cf, ABSTRACT.format(bases="abc.ABC", slots="('cache',)", register=""))
    assert issubclass(mod.Outside, mod.Shape)
    # Square's layout (a __dict__ over the old Shape's) cannot sit on the new
    # one: CPython refuses the base, and the save says so.
    assert [e for e in errors(events) if "subclass Square keeps the old class as its base" in e]
    assert square.area() == 4


INIT_SUBCLASS = """
REGISTRY = {{}}


class Plugin:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        REGISTRY[cls.__name__] = cls


class Mixin:
    def extra(self):
        return "extra"


class Loader(Plugin{more}):
    def load(self):
        return "loaded"
"""


def test_a_class_registered_by_init_subclass_is_replaced_and_instances_follow_the_registered_one(ws):
    mod, cf = ws.module(INIT_SUBCLASS.format(more=""))
    loader = mod.Loader()
    events = ws.edit(cf, INIT_SUBCLASS.format(more=", Mixin"))
    assert errors(events) == []
    assert mod.REGISTRY["Loader"] is mod.Loader
    assert type(loader) is mod.Loader
    assert loader.extra() == "extra"


MODEL = """
class ModelMeta(type):
    def __new__(mcls, name, bases, namespace):
        cls = super().__new__(mcls, name, bases, namespace)
        cls.model_fields = tuple(name for name in namespace if not name.startswith("_"))
        return cls


class Model(metaclass=ModelMeta):
    pass


class User(Model):
    name = "ann"
{extra}
"""


def test_a_class_whose_metaclass_builds_fields_from_its_body_is_made_again(ws):
    mod, cf = ws.module(MODEL.format(extra=""))
    user = mod.User()
    events = ws.edit(cf, MODEL.format(extra="    age = 3\n"))
    assert errors(events) == []
    assert mod.User.model_fields == ("name", "age")
    assert type(user) is mod.User
    assert user.age == 3


HOOK = """
class Base:
    pass


class Account{bases}:
    def __init__(self):
        self.balance = 10
{hook}
"""


def test_a_migration_hook_that_raises_is_reported_once_and_the_save_stays_applied(ws):
    mod, cf = ws.module(HOOK.format(bases="", hook=""))
    accounts = [mod.Account() for _ in range(3)]
    hook = """
    def __jurigged_migrate__(self, old_class):
        if self.balance > 5:
            raise ValueError("cannot migrate a rich account")
        self.migrated = True

    def report(self):
        return self.balance
"""
    accounts[0].balance = 1
    events = ws.edit(cf, HOOK.format(bases="(Base)", hook=hook))
    [error] = errors(events)
    assert "__jurigged_migrate__ raised for 2 of 3 instances" in error
    assert "ValueError: cannot migrate a rich account" in error
    assert error.count("Traceback") == 1
    assert accounts[0].migrated is True
    assert [a.report() for a in accounts] == [1, 10, 10]


@pytest.mark.skipif(sys.version_info < (3, 10), reason="dataclass(slots=True) is Python 3.10+")
def test_a_slotted_dataclass_whose_fields_change_is_made_again(ws):
    source = """
    from dataclasses import dataclass


    @dataclass(slots=True)
    class Point:
        x: int = 0
    {extra}
        def norm(self):
            return {norm}
    """
    mod, cf = ws.module(source.format(extra="", norm="self.x"))
    point = mod.Point(2)
    # A method body alone: no new class, no error.
    assert errors(ws.edit(cf, source.format(extra="", norm="self.x * 10"))) == []
    assert point.norm() == 20
    events = ws.edit(cf, source.format(extra="    y: int = 5\n", norm="self.x * 100"))
    assert mod.Point().y == 5
    assert point.norm() == 200
    assert errors(events) == [
        f"Replace {mod.__name__}.Point @L5: 1 of 1 live instances keep the old class (layout changed: __slots__)"
    ]


def test_what_cannot_follow_a_class_is_marked_as_a_rude_edit(ws):
    mod, cf = ws.module(ENUM.format(bases="enum.Enum", extra=""))
    with open(cf.filename, "w") as f:
        f.write(textwrap.dedent(ENUM.format(bases="enum.Enum", extra="    GREEN = 2\n")))
    replaced = [e for e in cf.refresh() if str(e).startswith("Replace")]
    assert [e.rude for e in replaced] == ["class_not_followed"]
    assert replaced[0].to_dict()["rude"] == "class_not_followed"
