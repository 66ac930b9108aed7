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

``CodeFile.root`` is the file's tree of them, as the original's: a ``ModuleCode``
whose ``children`` (and ``walk()``) give its statements, classes and functions,
read from the live text at each access. The tree describes; the engine patches.
"""

import __future__
import ast
import sys
import traceback
import weakref

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
    WatchOperation,
    conform,
    registry,
)


class Definition(_NativeDefinition):
    """A module, class, function or statement of a source file: ``.name``,
    ``.filename``, ``.dotpath()``, ``.parent``, ``.hierarchy()``, ``.stashed``
    (its extent in the live file) and ``.codestring`` (its live text)."""

    def get_object(self):
        """The live object the definition stands for, when there is one."""
        return None

    def walk(self):
        """This definition, then every definition inside it, in file order."""
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def children(self):
        """The definitions directly inside it (none for a statement)."""
        return []

    @property
    def node(self):
        """Its ``ast`` node in the live text (for a decorated definition, the
        ``def``/``class`` node with its ``decorator_list``), with ``.extent``
        (an ``Extent``: from its first decorator to its end) as the original
        gives; the module's ``ast.Module`` has ``extent`` None. None when the
        live text has no such statement. A node a client sets stays."""
        held = self.__dict__.get("node")
        if held is not None:
            return held
        return _live_node(self)

    @node.setter
    def node(self, value):
        self.__dict__["node"] = value

    def get_globals(self):
        """The namespace of the module the definition lives in."""
        parent = self.parent
        return parent.get_globals() if parent is not None else None

    def stash(self, lineno=1, col_offset=0):
        """The original moved its tree's line numbers here; the engine shifts
        moved definitions itself, so there is nothing left to do."""
        return None


class LineDefinition(Definition):
    """A statement other than ``def`` and ``class`` (``.text`` is its source)."""


class GroupDefinition(Definition):
    """A definition that holds others: a module, a class or a function."""

    @property
    def children(self):
        """The definitions directly inside it, as the live file has them now
        (then those a client appended)."""
        return self._children() + list(self.__dict__.get("_appended", ()))

    def append(self, *children, ensure_separation=False):
        """Adds definitions after the children it holds (kept on this object: the
        live file changes through saves and ``CodeFile``, not through this)."""
        held = self.__dict__.setdefault("_appended", [])
        held.extend(children)


class ModuleCode(GroupDefinition):
    """The whole module of a file."""

    def get_object(self):
        import sys

        return sys.modules.get(self.name)

    def get_globals(self):
        """The namespace its CodeFile applies changes to (what ``associate``
        gave it), else that of the module of its name."""
        codefile = self._codefile()
        if codefile is not None and codefile.namespace is not None:
            return codefile.namespace
        module = self.get_object()
        return vars(module) if module is not None else None


class ClassDefinition(GroupDefinition):
    """A ``class`` statement."""

    def get_object(self):
        """The live class, found from its module by dotted path, or None."""
        found = _live_object(self)
        return found if isinstance(found, type) else None


class FunctionDefinition(GroupDefinition):
    """A ``def`` or ``async def`` statement.

    When a client puts a subclass of it in ``jurigged.codetools`` that overrides
    ``reevaluate`` (pytest-hot-reloading does, to rewrite assertions and to
    notice a test's changed signature), the override is called after the engine
    updates the function: with ``self.node`` the ``ast`` node of the function as
    it was and ``new_node`` as it is now, and the function it returns is what
    the live function runs from then on."""

    def _live_function(self):
        """The live function object, found from its module by dotted path."""
        target = _live_object(self)
        return target if hasattr(target, "__code__") else None

    def get_object(self):
        """The code object the live function runs, or None: the engine's code
        registry knows it by its place (a nested function's, a decorated one's
        behind its wrapper, each accessor of a property); else the function
        found by name."""
        code = self._code(self.get_globals())
        if code is not None:
            return code
        function = self._live_function()
        return function.__code__ if function is not None else None

    def recode(self, new_code, recode_current=True, use_cache=False):
        """Gives `new_code` to the live function (and what else runs its code)."""
        function = self._live_function()
        if function is not None and recode_current:
            conform(function, new_code)

    def reevaluate(self, new_node, glb):
        """Compiles `new_node` (an ``ast`` function definition) without its
        decorators in the module namespace `glb`, gives the new code to the live
        function and returns the new function."""
        fields = {name: getattr(new_node, name) for name in new_node._fields}
        fields["decorator_list"] = []
        bare = ast.copy_location(type(new_node)(**fields), new_node)
        tree = ast.fix_missing_locations(ast.Module(body=[bare], type_ignores=[]))
        code = compile(tree, self.filename, "exec", flags=_future_flags(glb), dont_inherit=True)
        scope = {}
        exec(code, glb, scope)
        new_function = scope[new_node.name]
        live = self._live_function()
        # A method using super() has a __class__ cell a module-level compile lacks:
        # the engine's update of it stands.
        if live is not None and live.__code__.co_freevars == new_function.__code__.co_freevars:
            conform(live, new_function)
        self.node = new_node
        return new_function


_BaseFunctionDefinition = FunctionDefinition
_BaseModuleCode = ModuleCode


#: Definitions handed out and still referenced, so that the same definition at
#: the same place is the same object (as the original's tree nodes are): two
#: recoders of one function share their `focus`, and what a client sets on a
#: definition (its `node`) stays while it holds it.
_handed_out = weakref.WeakValueDictionary()

_CLASS_OF_KIND = {
    "module": "ModuleCode",
    "class": "ClassDefinition",
    "function": "FunctionDefinition",
    "line": "LineDefinition",
}


def _definition(kind, path, filename, lineno, text=None, source=None):
    """The definition object for a place in a file (made by the engine): of the
    class ``jurigged.codetools`` has for its kind now, the one already handed
    out if it is still alive. `source`: a weak reference to the CodeFile it is
    read from, when that is not the registry's."""
    cls = globals()[_CLASS_OF_KIND[kind]]
    key = (kind, path, filename, lineno, text, source)
    found = _handed_out.get(key)
    if type(found) is cls:
        return found
    # A client's subclass made for the original arguments is made with them.
    if source is None:
        made = cls(kind, path, filename, lineno, text)
    else:
        made = cls(kind, path, filename, lineno, text, source)
    _handed_out[key] = made
    return made


def _live_object(defn):
    """What `defn` names in its live module (a class's own attribute for a
    method: unwrapped from staticmethod/classmethod), or None."""
    chain = list(defn.hierarchy())
    if not chain:
        return None
    namespace = chain[-1].get_globals()
    if not chain[:-1] or namespace is None:
        return None
    target = namespace.get(chain[-2].name)
    target = getattr(target, "__func__", target)
    for outer in reversed(chain[:-2]):
        if target is None:
            return None
        owned = vars(target) if isinstance(target, type) else None
        target = owned.get(outer.name) if owned is not None else getattr(target, outer.name, None)
        target = getattr(target, "__func__", target)
    return target


#: {SourceTree: {(line, column): ast statement}}: the ``ast`` of a few live texts
#: read lately, parsed on the first ``.node`` read of each (never by a save).
_ast_indexes = {}
_AST_INDEXES_KEPT = 8


def _statement_index(source):
    """{(line, column): ast statement} of the module, class and function bodies
    of a live text (the statements the tree describes), each given ``.extent``."""
    index = _ast_indexes.get(source)
    if index is not None:
        return index
    try:
        tree = ast.parse(source.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    index = {}
    if tree is not None:
        tree.extent = None
        index[None] = tree
        bodies = [tree.body]
        while bodies:
            for statement in bodies.pop():
                index[statement.lineno, statement.col_offset] = statement
                statement.extent = _extent_of(statement)
                if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    bodies.append(statement.body)
    try:
        while len(_ast_indexes) >= _AST_INDEXES_KEPT:
            _ast_indexes.pop(next(iter(_ast_indexes)), None)
    except RuntimeError:
        # Another thread changed the cache meanwhile: it is only a cache.
        pass
    _ast_indexes[source] = index
    return index


def _extent_of(statement):
    """Where a statement stands, decorators included (as the original's
    ``node.extent``)."""
    decorators = getattr(statement, "decorator_list", None)
    lineno = decorators[0].lineno if decorators else statement.lineno
    return Extent(
        lineno,
        statement.col_offset,
        statement.end_lineno,
        statement.end_col_offset,
    )


def _live_node(defn):
    """The ``ast`` node of `defn` in its live text, or None."""
    source = defn._live_source()
    if source is None:
        return None
    index = _statement_index(source)
    if isinstance(defn, _BaseModuleCode):
        return index.get(None)
    start = defn._statement_start()
    return index.get(start) if start is not None else None


def _future_flags(namespace):
    """The compiler flags of the `from __future__` imports of a module."""
    flags = 0
    for name in __future__.all_feature_names:
        feature = getattr(__future__, name)
        if namespace.get(name) is feature:
            flags |= feature.compiler_flag
    return flags


def _function_nodes(module_name, text):
    """{dotted path: ast node} of the functions and methods of a module's text."""
    found = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[f"{prefix}.{node.name}"] = node
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}.{node.name}")

    visit(ast.parse(text).body, module_name)
    return found


#: {filename: {dotted path: ast node}}: each function as it was last applied, for
#: the `node` an overriding `reevaluate` compares with (kept only while a client
#: overrides it).
_last_nodes = {}


def _honour_reevaluate(event):
    """Calls a client's `FunctionDefinition.reevaluate` for each function a save
    updated (`registry.activity`); nothing when no client overrides it."""
    current = globals()["FunctionDefinition"]
    if getattr(current, "reevaluate", None) is _BaseFunctionDefinition.reevaluate:
        return
    codefile = getattr(event, "codefile", None)
    if codefile is None:
        return
    try:
        if isinstance(event, WatchOperation):
            _last_nodes[codefile.filename] = _function_nodes(codefile.module_name, codefile.text)
        elif isinstance(event, UpdateOperation) and isinstance(event.defn, _BaseFunctionDefinition):
            now = _function_nodes(codefile.module_name, codefile.text)
            before = _last_nodes.get(codefile.filename, {})
            _last_nodes[codefile.filename] = now
            path = event.defn.dotpath()
            if path in now and codefile.namespace is not None:
                defn = event.defn
                defn.node = before.get(path, now[path])
                try:
                    defn.reevaluate(now[path], codefile.namespace)
                finally:
                    # The override's `node` was for it: `.node` reads the live
                    # text again.
                    defn.__dict__.pop("node", None)
    except Exception:
        # A client's override that fails is told, never breaks the save.
        traceback.print_exc()


registry.activity.register(_honour_reevaluate)


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
