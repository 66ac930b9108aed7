"""Saves applied in a Dask driver apply in every worker of its cluster.

    import jurigged, jurigged.dask
    from distributed import Client

    client = Client(...)
    jurigged.watch()
    jurigged.dask.attach(client)

Every save applied in the driver is sent, as the file's whole text, to every worker of the client's cluster, which
applies it to its own copy of the module with the same patcher
(`CodeFile.update`: all of it or nothing, the same events). A save goes to the
worker's module of the same name whose file is the same file: the same path
relative to its package root (or to the `sys.path` entry that holds it), so
that machines whose roots differ still match. A worker's module of that name
made from another file is left alone, and the driver says so. The driver's
script (`__main__`) is never applied in a worker: a worker's `__main__` is its
own program (a worker started from a script), and the script's functions reach
the workers with each task anyway (cloudpickle sends them by value). Workers need not
share the driver's file system. A worker that joins later receives every change
made so far (a worker plugin keeps them). Errors of a worker go to the driver's
stderr, tagged with the worker's address.

`distributed` is imported when first needed (attach(), or a worker loading the
plugin), never by importing jurigged or this module: the standalone binary runs
every module of the package at startup.
"""

import os
import sys
import threading

__all__ = ["attach", "applied"]

#: The name of the worker plugin that keeps the changes made so far.
PLUGIN_NAME = "jurigged-saves"


def attach(client, verbose=False):
    """Sends every save applied in this process from now on to the workers of
    `client`'s cluster (and all of them to workers that join later).
    With `verbose`, each worker's events are printed too. Returns the Bridge;
    `bridge.detach()` stops it."""
    bridge = Bridge(client, verbose)
    bridge.start()
    return bridge


class Bridge:
    """The driver's side: hears every save on `registry.activity` and sends
    the changed files' text to the workers from a thread of its own (a save's
    thread never waits for the cluster)."""

    def __init__(self, client, verbose):
        self.client = client
        self.verbose = verbose
        # filename -> (module name, relative file, text): every save so far,
        # for late workers.
        self.saves = {}
        # The "Skipped" lines printed so far: said once, not at every save.
        self.skips_said = set()
        self.pending = {}
        self.wake = threading.Condition()
        self.stopped = False
        self.thread = threading.Thread(target=self._send_forever, name="jurigged dask", daemon=True)

    def start(self):
        import jurigged

        # Workers start tracking their modules now, so that a change is later
        # diffed against the text each module ran.
        self._register_plugin({})
        jurigged.registry.activity.register(self._heard)
        self.thread.start()

    def detach(self):
        """Stops sending changes (the workers keep those they have)."""
        import jurigged

        jurigged.registry.activity.unregister(self._heard)
        with self.wake:
            self.stopped = True
            self.wake.notify()

    def _heard(self, event):
        """An event of the driver: a change to a live file is queued for the
        workers (a failed save changed nothing, and is not)."""
        if self.stopped or getattr(event, "kind", None) in (None, "error", "watch"):
            return
        codefile = getattr(event, "codefile", None)
        if codefile is None:
            return
        filename = str(codefile.filename)
        module_name = codefile.module_name
        change = (module_name, _relative_file(module_name, filename), codefile.text)
        with self.wake:
            if self.saves.get(filename) != change:
                self.saves[filename] = change
                self.pending[filename] = change
                self.wake.notify()

    def _send_forever(self):
        while True:
            with self.wake:
                while not (self.pending or self.stopped):
                    self.wake.wait()
                if self.stopped:
                    return
                batch, self.pending = self.pending, {}
                everything = dict(self.saves)
            try:
                self.send(batch, everything)
            except Exception as error:  # the cluster may be gone: the driver runs on
                _report(f"Error sending saves to the Dask cluster: {error!r}")

    def send(self, batch, everything):
        """Applies `batch` on every current worker, reports what they say, then
        keeps `everything` in the plugin for workers that join later."""
        results = self.client.run(_apply_changes, batch, self.verbose)
        for address, lines in sorted(results.items()):
            for line in lines:
                line = f"{line} [worker {address}]"
                if line.startswith(SKIPPED):
                    if line in self.skips_said:
                        continue
                    self.skips_said.add(line)
                _report(line)
        self._register_plugin(everything)

    def _register_plugin(self, saves):
        plugin = _plugin_class()(saves)
        register = getattr(self.client, "register_plugin", None)
        if register is not None:
            register(plugin, name=PLUGIN_NAME)
        else:  # distributed before 2023.9
            self.client.register_worker_plugin(plugin, name=PLUGIN_NAME)


def _report(line):
    stream = sys.stderr
    if stream is not None:
        stream.write(line + "\n")
        stream.flush()


#: (module name, text) of every change applied in this worker, in order.
_APPLIED = []

#: How a worker's line about a save it left alone begins.
SKIPPED = "Skipped "

#: In a worker: the "Skipped" lines said already (to the driver, or on the
#: worker's stderr by the plugin, which runs again at every save).
_SKIPS_SAID = set()

#: The names a program's main script runs under.
MAIN_NAMES = ("__main__", "__mp_main__")


def _relative_file(module_name, filename):
    """The file of module `module_name` as a path relative to its package root:
    `pkg/sub/mod.py` for `pkg.sub.mod`, `pkg/__init__.py` for the package `pkg`.
    Failing that (a script, a module loaded from a file under another name), its
    path relative to the longest `sys.path` entry that holds it, else its name.
    The same file gives the same path on machines whose roots differ."""
    path = os.path.abspath(filename)
    parts = path.split(os.sep)
    if module_name not in MAIN_NAMES:
        names = module_name.split(".")
        last = [names[-1], "__init__.py"] if parts[-1] == "__init__.py" else [names[-1] + ".py"]
        expected = names[:-1] + last
        if parts[-len(expected) :] == expected:
            return "/".join(expected)
    roots = [os.path.abspath(entry or os.getcwd()) for entry in sys.path if isinstance(entry, str)]
    holders = [root for root in roots if path.startswith(root.rstrip(os.sep) + os.sep)]
    if holders:
        return os.path.relpath(path, max(holders, key=len)).replace(os.sep, "/")
    return parts[-1]


def _skip_reason(module_name, relative, module):
    """Why a save of the driver's `module_name` (from `relative`) is not for
    `module`, this worker's module of that name; None when it is."""
    if module_name in MAIN_NAMES:
        mine = getattr(module, "__file__", None)
        mine = f" ({_relative_file(module_name, mine)})" if isinstance(mine, str) else ""
        return f"{SKIPPED}{relative}: the driver's script is not applied to this worker's {module_name}{mine}"
    mine = getattr(module, "__file__", None)
    if not isinstance(mine, str):
        return f"{SKIPPED}{module_name}: this worker's {module_name} has no source file, the driver's is {relative}"
    mine = _relative_file(module_name, mine)
    if mine != relative:
        return f"{SKIPPED}{module_name}: this worker's {module_name} is {mine}, the driver's is {relative}"
    return None


def applied():
    """In a worker: the (module name, text) of each change it applied."""
    return list(_APPLIED)


def _apply_changes(changes, verbose=False):
    """In a worker: applies each (module name, relative file, text) to its
    module of that name made from the same file if the worker imported it, else
    as soon as it does (its own copy of the file may be older). Returns the
    lines to print in the driver."""
    lines = []
    for filename, (module_name, relative, text) in changes.items():
        module = sys.modules.get(module_name)
        if module is not None or module_name in MAIN_NAMES:
            reason = _skip_reason(module_name, relative, module)
            if reason is not None:
                lines.append(reason)
                _SKIPS_SAID.add(reason)
                continue
            lines.extend(_apply_one(filename, module_name, text, verbose))
        else:
            _on_import().later[module_name] = (filename, relative, text)
    return lines


def _apply_one(filename, module_name, text, verbose=False):
    import os

    import jurigged

    try:
        codefile = jurigged.registry.prepare(module_name)
        if codefile is None or codefile.text == text:
            return []
        if "JURIGGED_SESSION" in os.environ and str(codefile.filename) == filename:
            # A worker the driver started after watch() (a LocalCluster's) runs
            # the driver's session and shares its files: its own watcher
            # applies the save (applying it here too could meet it mid-save).
            return []
        events = codefile.update(text)
        _APPLIED.append((module_name, text))
        return [str(event) for event in events] if verbose else []
    except Exception as error:
        return [f"Error {filename}: {type(error).__name__}: {error}"]


class _ApplyOnImport:
    """A `sys.meta_path` finder that finds nothing itself: when a module with a
    change waiting is imported (by the other finders, from the worker's own
    files), the change is applied right after the module's body ran."""

    def __init__(self):
        self.later = {}
        self.finding = threading.local()

    def find_spec(self, name, path=None, target=None):
        if name not in self.later or getattr(self.finding, "active", False):
            return None
        import importlib.util

        self.finding.active = True
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self.finding.active = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _ApplyAfterLoading(spec.loader, name, self.later)
        return spec


class _ApplyAfterLoading:
    """A module's loader, which then applies the change waiting for it."""

    def __init__(self, loader, name, later):
        self._loader = loader
        self._name = name
        self._later = later

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        filename, relative, text = self._later.pop(self._name, (None, None, None))
        if text is not None:
            reason = _skip_reason(self._name, relative, module)
            lines = [reason] if reason is not None else _apply_one(filename, self._name, text)
            for line in lines:
                _report(line)

    def __getattr__(self, attribute):
        return getattr(self._loader, attribute)


_FINDER = None
_TRACKING = None


def _track_modules():
    """In a worker, once: tracks the program's modules (not the standard
    library's or installed packages'), those imported already and those
    imported later, so that each change is applied against the text the module
    ran."""
    global _TRACKING
    if _TRACKING is None:
        import jurigged

        _TRACKING = jurigged.registry.auto_register(_programs_file)


def _programs_file(filename):
    """Whether `filename` is the program's own source, not Python's or an
    installed package's."""
    import os

    if not filename.endswith(".py"):
        return False
    parts = filename.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    return not any(filename.startswith(prefix.rstrip(os.sep) + os.sep) for prefix in prefixes)



def _on_import():
    global _FINDER
    if _FINDER is None:
        _FINDER = _ApplyOnImport()
        sys.meta_path.insert(0, _FINDER)
    return _FINDER


class _Saves:
    """The body of the worker plugin that applies every save made so far in a
    worker that joins (and again, as a no-op, in those that have them)."""

    name = PLUGIN_NAME

    def __init__(self, saves):
        self.saves = saves

    def setup(self, worker=None):
        _track_modules()
        said = set(_SKIPS_SAID)
        for line in _apply_changes(self.saves):
            if line not in said:
                _report(f"{line} [worker {getattr(worker, 'address', '?')}]")


_PLUGIN_CLASS = None


def _plugin_class():
    """`SavesPlugin`, a `distributed.WorkerPlugin` (distributed accepts no
    other), made on first use so that importing this module never imports
    distributed."""
    global _PLUGIN_CLASS
    if _PLUGIN_CLASS is None:
        from distributed import WorkerPlugin

        class SavesPlugin(_Saves, WorkerPlugin):
            pass

        SavesPlugin.__module__ = __name__
        SavesPlugin.__qualname__ = "SavesPlugin"
        _PLUGIN_CLASS = SavesPlugin
    return _PLUGIN_CLASS


def __getattr__(name):
    # A worker unpickles the plugin as `jurigged.dask.SavesPlugin`.
    if name == "SavesPlugin":
        return _plugin_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
