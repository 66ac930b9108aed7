"""The original's ``jurigged.codetools`` names: source files, their definitions
and the operations applied to the running program.

A logger given to ``watch()`` receives, as from the original, an
``UpdateOperation``, ``AddOperation`` (a statement that ran included) or
``DeleteOperation`` whose ``str()`` is the log line (``Update mod.f @L3``),
``.codefile`` its CodeFile and ``.defn`` a definition; errors arrive as the
exception itself.

The definition classes are Python classes over the native ``Definition`` (which
knows the definition's file, dotted path and place in the live tree), so that
clients can subclass them and put their subclass here in place of the class:
definitions made after that are of the client's class.
"""

from ._jurigged import (
    AddOperation,
    CodeFile,
    CodeFileOperation,
    ConformException,
    Definition as _NativeDefinition,
    DeleteOperation,
    Extent,
    StaleException,
    UpdateOperation,
    conform,
)


class Definition(_NativeDefinition):
    """A module, class, function or statement of a source file: ``.name``,
    ``.filename``, ``.dotpath()``, ``.parent``, ``.hierarchy()``, ``.stashed``
    (its extent in the live file) and ``.codestring`` (its live text)."""

    def get_object(self):
        """The live object the definition stands for, when there is one."""
        return None

    def get_globals(self):
        """The namespace of the module the definition lives in."""
        parent = self.parent
        return parent.get_globals() if parent is not None else None


class LineDefinition(Definition):
    """A statement other than ``def`` and ``class`` (``.text`` is its source)."""


class GroupDefinition(Definition):
    """A definition that holds others: a module, a class or a function."""

    @property
    def children(self):
        """The definitions directly inside it, as the live file has them."""
        children = getattr(self, "_children", None)
        return list(children) if children is not None else []

    def append(self, *children, ensure_separation=False):
        """Adds definitions after the children it holds (kept on this object: the
        live file changes through saves and ``CodeFile``, not through this)."""
        held = self.__dict__.setdefault("_children", [])
        held.extend(children)


class ModuleCode(GroupDefinition):
    """The whole module of a file."""

    def get_object(self):
        import sys

        return sys.modules.get(self.name)

    def get_globals(self):
        module = self.get_object()
        return vars(module) if module is not None else None


class ClassDefinition(GroupDefinition):
    """A ``class`` statement."""


class FunctionDefinition(GroupDefinition):
    """A ``def`` or ``async def`` statement."""


__all__ = [
    "AddOperation",
    "ClassDefinition",
    "CodeFile",
    "CodeFileOperation",
    "ConformException",
    "Definition",
    "DeleteOperation",
    "Extent",
    "FunctionDefinition",
    "GroupDefinition",
    "LineDefinition",
    "ModuleCode",
    "StaleException",
    "UpdateOperation",
    "conform",
]
