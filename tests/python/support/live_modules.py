"""Live modules in one test process: a temporary directory on sys.path where
a test writes modules, imports them, saves new text and applies it through
`jurigged.CodeFile` (the `ws` fixture)."""

import importlib
import itertools
import textwrap

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
