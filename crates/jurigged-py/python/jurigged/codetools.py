"""The original's ``jurigged.codetools`` names: source files and the operations
applied to the running program.

A logger given to ``watch()`` receives, as from the original, an
``UpdateOperation``, ``AddOperation`` (a statement that ran included) or
``DeleteOperation`` whose ``str()`` is the log line (``Update mod.f @L3``),
``.codefile`` its CodeFile and ``.defn`` a ``Definition``; errors arrive as the
exception itself.
"""

from ._jurigged import (
    AddOperation,
    ClassDefinition,
    CodeFile,
    CodeFileOperation,
    ConformException,
    Definition,
    DeleteOperation,
    FunctionDefinition,
    LineDefinition,
    ModuleCode,
    StaleException,
    UpdateOperation,
    conform,
)

__all__ = [
    "AddOperation",
    "ClassDefinition",
    "CodeFile",
    "CodeFileOperation",
    "ConformException",
    "Definition",
    "DeleteOperation",
    "FunctionDefinition",
    "LineDefinition",
    "ModuleCode",
    "StaleException",
    "UpdateOperation",
    "conform",
]
