"""Fixtures for the end-to-end tests: real modules written to temporary
directories, imported, edited and patched through jurigged."""

import importlib
import itertools
import sys
import textwrap
import types

import pytest

import cli_support
import jurigged

_counter = itertools.count()


class Workspace:
    """A temporary directory on sys.path where tests write and import modules."""

    def __init__(self, path):
        self.path = path
        self.modules = []

    def write(self, relative, source):
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source if isinstance(source, bytes) else textwrap.dedent(source).encode("utf-8")
        target.write_bytes(data)
        return target

    def module(self, source, name=None):
        """Writes `source` as a fresh module, imports it and returns
        (module, CodeFile)."""
        name = name or f"jm_{next(_counter)}"
        path = self.write(f"{name}.py", source)
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        self.modules.append(name)
        codefile = jurigged.CodeFile(str(path), name)
        assert codefile.namespace is module.__dict__
        return module, codefile

    def load(self, source, name=None):
        """Writes `source` as a fresh module and imports it, without a CodeFile
        (a module that uses the patched ones, or a place to count side effects)."""
        name = name or f"jm_{next(_counter)}"
        self.write(f"{name}.py", source)
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        self.modules.append(name)
        return module

    def edit(self, codefile, source):
        """Saves new source for the file and applies it; returns the events as
        strings."""
        data = source if isinstance(source, bytes) else textwrap.dedent(source).encode("utf-8")
        with open(codefile.filename, "wb") as f:
            f.write(data)
        return [str(e) for e in codefile.refresh()]


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    workspace = Workspace(tmp_path)
    yield workspace
    for name in workspace.modules:
        sys.modules.pop(name, None)


def _function_state(function):
    return (
        function,
        function.__code__,
        function.__defaults__,
        function.__kwdefaults__,
        function.__doc__,
        function.__annotations__,
    )


def _state(value, module_name, depth=0):
    """What a patch could change about `value`, as objects compared by identity."""
    if isinstance(value, types.FunctionType):
        return _function_state(value)
    if isinstance(value, (classmethod, staticmethod)):
        return (value, _state(value.__func__, module_name, depth + 1))
    if isinstance(value, property):
        return (value,) + tuple(_state(f, module_name, depth + 1) for f in (value.fget, value.fset, value.fdel))
    wrapped = getattr(value, "__wrapped__", None) if not isinstance(value, type) else None
    if wrapped is not None and depth < 5:
        return (value, _state(wrapped, module_name, depth + 1))
    if isinstance(value, type) and value.__module__ == module_name and depth < 5:
        return (value,) + tuple(
            (key, _state(item, module_name, depth + 1)) for key, item in sorted(vars(value).items())
        )
    return (value,)


def snapshot(namespace):
    """Every binding of a module namespace, with the code, defaults and docstrings of
    every function reachable through it (methods, properties, wrapped functions)."""
    name = namespace.get("__name__")
    return {key: _state(value, name) for key, value in namespace.items()}


def _same(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is b


def assert_unchanged(before, after):
    """Fails unless two snapshots hold the very same objects."""
    assert sorted(before) == sorted(after), "the module's names changed"
    changed = [key for key in before if not _same(before[key], after[key])]
    assert changed == [], f"these bindings changed: {changed}"


# -- a real `jurigged` process (python -m jurigged, or the standalone binary) -----------


@pytest.fixture(params=["python", "binary"])
def entry_kind(request):
    """How jurigged is started: `python -m jurigged` or the standalone binary."""
    return request.param


@pytest.fixture
def entry(entry_kind):
    return cli_support.entry_point(entry_kind)


@pytest.fixture
def workspace(tmp_path):
    """The program's directory (see cli_support.Workspace)."""
    return cli_support.Workspace(tmp_path)


@pytest.fixture
def run(entry, entry_kind, workspace):
    """Starts `jurigged ARGS...` in the workspace; every process is killed at the
    end of the test."""
    processes = []

    def start(*args, stdin=None, env=None, cwd=None):
        process = cli_support.Process(
            entry + list(args), cwd=cwd or workspace.root, env=cli_support.child_env(env, entry_kind), stdin=stdin
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.kill()
