"""Every public entry of jurigged called with hostile arguments raises an ordinary
exception or returns; never pyo3's `PanicException` (a `BaseException` that
`except Exception` lets through), never a crash (issue 20, item 2).

The calls run in a Python process of their own, so that a crash is seen as one:
the program prints each call whose exception is not an `Exception`, then
`survived N calls`."""

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    r'''
    import importlib
    import importlib.util
    import os
    import sys
    import tempfile

    import jurigged
    import jurigged.db
    from jurigged import _jurigged

    directory = tempfile.mkdtemp()
    sys.path.insert(0, directory)
    path = os.path.join(directory, "hostile_mod.py")
    with open(path, "w") as f:
        f.write("def f(x=1):\n    return x\n\nclass C:\n    def m(self):\n        return 1\n")
    import hostile_mod

    closed = open(path)
    closed.close()
    HOSTILE = [
        10**400, -(10**400), 2**64, -1, 1e300, -1e300, 1e19, float("nan"), float("inf"), -float("inf"), -1.0,
        "", "\udcff", "x\x00y", b"\xff\xfe", None, object(), closed, [], {}, [10**400], ["\udcff"],
    ]
    bad = []
    calls = 0

    def attempt(label, function, *args, **kwargs):
        global calls
        calls += 1
        try:
            result = function(*args, **kwargs)
        except Exception:
            return None
        except BaseException as error:
            bad.append(f"{label}: {type(error).__module__}.{type(error).__name__}: {error}")
            return None
        # A watcher that started is stopped; a registration is undone.
        for cleanup in ("stop", "uninstall"):
            if type(result).__name__ in ("Watcher", "AutoRegistration") and hasattr(result, cleanup):
                getattr(result, cleanup)()
        return result

    def own_methods(obj):
        names = []
        for name, value in vars(type(obj)).items():
            if name.startswith("_") and name not in ("__call__", "__eq__", "__hash__", "__repr__", "__str__", "__len__"):
                continue
            names.append(name)
        return names

    def hammer(label, function, arities=(0, 1, 2, 3)):
        for arity in arities:
            for value in HOSTILE:
                attempt(f"{label}({arity} x {value!r:.30})", function, *([value] * arity))

    def hammer_object(label, obj):
        for name in own_methods(obj):
            try:
                member = getattr(obj, name)
            except Exception:
                continue
            except BaseException as error:
                bad.append(f"{label}.{name}: {type(error).__name__}: {error}")
                continue
            if callable(member):
                hammer(f"{label}.{name}", member)

    WATCH_OPTIONS = ["pattern", "logger", "registry", "debounce", "poll", "exclude", "events", "children"]
    for option in WATCH_OPTIONS:
        for value in HOSTILE:
            attempt(f"watch({option}={value!r:.30})", jurigged.watch, directory, autostart=False, **{option: value})
    watcher = jurigged.watch(os.path.join(directory, "*.py"), autostart=False, logger=None)
    hammer_object("Watcher", watcher)
    watcher.stop()

    codefile = jurigged.CodeFile(path, "hostile_mod")
    hammer("CodeFile", jurigged.CodeFile)
    for option in ("order", "allow_deletions"):
        for value in HOSTILE:
            attempt(f"CodeFile.merge({option}={value!r:.30})", codefile.merge, "x = 1\n", **{option: value})
    hammer_object("CodeFile", codefile)
    # The hammering deleted what it could: a fresh file and module.
    with open(path, "w") as f:
        f.write("def f(x=1):\n    return x\n")
    importlib.reload(hostile_mod)
    codefile = jurigged.CodeFile(path, "hostile_mod")

    recoder = jurigged.make_recoder(hostile_mod.f)
    hammer_object("Recoder", recoder)
    hammer("Recoder", jurigged.Recoder)
    for value in HOSTILE:
        attempt(f"Recoder(focus={value!r:.30})", jurigged.Recoder, "r", codefile, focus=value)
        attempt(f"make_recoder(deletable={value!r:.30})", jurigged.make_recoder, hostile_mod.f, deletable=value)
    hammer_object("Recoder.on_status", recoder.on_status)

    hammer_object("registry", jurigged.registry)
    hammer_object("registry.activity", jurigged.registry.activity)
    hammer("EventSource", jurigged.EventSource)
    for name in ("make_recoder", "conform", "glob_filter", "virtual_file", "default_logger", "verbose_logger"):
        hammer(name, getattr(jurigged, name))
    hammer_object("glob_filter", jurigged.glob_filter("*.py"))
    for name in ("conform", "find_code", "get_functions"):
        hammer(f"db.{name}", getattr(jurigged.db, name))
    for value in HOSTILE:
        attempt(f"find_code(filename={value!r:.30})", jurigged.db.find_code, "f", filename=value)
        attempt(f"find_code(module={value!r:.30})", jurigged.db.find_code, "f", module=value)
    hammer("heap_scans", _jurigged.heap_scans)

    events = codefile.update("def f(x=2):\n    return x\n\ndef g():\n    pass\n")
    for event in events:
        hammer_object("Event", event)
        if event.defn is not None:
            hammer_object("Definition", event.defn)

    # CodeFile.root's definitions (their native entries), and the operations a
    # client makes by hand from them.
    for defn in codefile.root.walk():
        for name in ("_children", "_statement_start", "_live_source", "_codefile", "_code", "hierarchy", "get_object"):
            hammer(f"{type(defn).__name__}.{name}", getattr(defn, name))
    for name in ("UpdateOperation", "AddOperation", "DeleteOperation"):
        hammer(name, getattr(jurigged.codetools, name))
        for value in HOSTILE:
            attempt(f"{name}(defn={value!r:.30})", getattr(jurigged.codetools, name), codefile=value, defn=value)

    # The hooks Python calls: the audit hook sees hostile arguments too.
    for value in HOSTILE:
        attempt(f"audit exec {value!r:.30}", sys.audit, "exec", value)
        attempt(f"find_spec {value!r:.30}", importlib.util.find_spec, "hostile_" + str(type(value).__name__))

    for line in bad:
        print("NOT AN EXCEPTION:", line)
    print(f"survived {calls} calls")
    '''
)


def test_hostile_arguments_to_every_entry_raise_ordinary_exceptions(tmp_path):
    script = tmp_path / "hostile.py"
    script.write_text(PROGRAM)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300, errors="replace"
    )
    report = done.stdout + done.stderr[-3000:]
    assert done.returncode == 0, report
    assert "NOT AN EXCEPTION" not in done.stdout, report
    calls = int(done.stdout.split("survived ")[1].split()[0])
    assert calls > 2000, report
