"""jurigged-rs as a drop-in for the original jurigged: what the projects built on
it call, as they call it (issue 23's table), each in a real Python program that
edits its own files and checks that the edit took effect."""

import subprocess
import sys
import textwrap

from support.cli import child_env
from support.waiting import wait_until


def wait_all(process, *texts):
    """Waits until each of `texts` is in some line the process printed, in any
    order (a watcher's hooks and the program's own prints race)."""

    def seen():
        process._pump(0.05)
        printed = process.lines["stdout"] + process.lines["stderr"]
        return all(any(text in line for line in printed) for text in texts)

    try:
        wait_until(seen, what=f"{texts} in the output")
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n{process.describe()}") from None


def python_says(code):
    """What a fresh `python -c code` prints (its stdout), failing on an error."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=child_env(), timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


# -- the module layout -----------------------------------------------------------------


def test_import_jurigged_makes_the_original_modules_attributes():
    # transformers_sae reads `jurigged.live.conservative_logger` after a bare
    # `import jurigged`; pytest-hot-reloading imports `jurigged.utils`.
    said = python_says(
        """
        import jurigged
        for name in ("live", "codetools", "register", "recode", "utils", "loop"):
            print(name, type(getattr(jurigged, name)).__name__)
        print("shift", callable(jurigged.utils.shift_lineno), callable(jurigged.utils.glob_filter))
        print("version", jurigged.version.version == jurigged.__version__)
        """
    )
    assert said == [
        "live", "module", "codetools", "module", "register", "module",
        "recode", "module", "utils", "module", "loop", "module",
        "shift", "True", "True", "version", "True",
    ]  # fmt: skip


def test_an_evaluated_annotation_naming_watch_operation_is_defined(client):
    # piltover: `def log(s: jurigged.live.WatchOperation)` evaluated at the def.
    process = client(
        """
        import jurigged

        def log(s: jurigged.live.WatchOperation):
            print("logged", type(s).__name__)

        log(jurigged.live.WatchOperation("some/file.py"))
        print("defined", log.__annotations__["s"].__name__)
        """
    )
    process.wait_for("logged WatchOperation")
    process.wait_for("defined WatchOperation")


def test_shift_lineno_moves_a_code_object_and_those_inside_it():
    said = python_says(
        """
        import jurigged.utils

        def outer():
            def inner():
                return 1
            return inner

        moved = jurigged.utils.shift_lineno(outer.__code__, 10)
        inner = [c for c in moved.co_consts if hasattr(c, "co_firstlineno")][0]
        print(moved.co_firstlineno - outer.__code__.co_firstlineno)
        print(inner.co_firstlineno - outer().__code__.co_firstlineno)
        print(jurigged.utils.shift_lineno("not code", 3))
        """
    )
    assert said == ["10", "10", "not", "code"]


# -- registries and watchers of a client's own -------------------------------------------

LIB_V1 = """\
def f():
    return 1
"""

LIB_V2 = """\
def f():
    return 2
"""

VALUE_LOOP = """
    last = None
    while True:
        value = lib.f()
        if value != last:
            say("value", value)
            last = value
        if os.path.exists("stop"):
            break
        time.sleep(0.01)
"""


def test_a_registry_of_its_own_and_a_watcher_over_it_reload(client, workspace):
    # trellis's hot_reload: auto_register(filter=fn), set_logger, Watcher(registry,
    # debounce=0.05), postrun, start and stop, on a Registry() of its own.
    process = client(
        """
        import os, time
        import jurigged
        from jurigged.register import Registry
        import lib

        registry = Registry()
        registry.auto_register(filter=lambda filename: os.path.basename(filename) == "lib.py")
        registry.set_logger(lambda event: say("log", type(event).__name__))
        watcher = jurigged.live.Watcher(registry, debounce=0.05)
        assert watcher.registry is registry
        watcher.postrun.register(lambda path, cf: say("postrun", os.path.basename(path)))
        watcher.start()
        say("cached", sorted(os.path.basename(f) for f in registry.cache))
        own = registry.get(os.path.abspath("lib.py"))
        say("one copy", own is jurigged.registry.get(os.path.abspath("lib.py")))
        """,
        VALUE_LOOP,
        """
        watcher.stop()
        watcher.join()
        say("stopped")
        """,
        lib=LIB_V1,
    )
    process.wait_for("log WatchOperation")
    process.wait_for("cached ['lib.py']")
    # One live copy of the file, whichever registry hands it out.
    process.wait_for("one copy True")
    process.wait_for("value 1")
    workspace.save("lib.py", LIB_V2)
    wait_all(process, "value 2", "postrun lib.py", "log UpdateOperation")
    workspace.write("stop", "")
    process.wait_for("stopped")


def test_watcher_registry_auto_register_adds_files_to_the_watch(client, workspace):
    # transformers_sae: watch(glob, autostart=False, logger=conservative_logger),
    # then watcher.registry.auto_register(jurigged.live.to_filter(...)), start:
    # the watcher watches what its registry tracks, as in the original.
    process = client(
        """
        import os, time
        import jurigged
        import lib

        watcher = jurigged.watch("./nothing_*.py", autostart=False, logger=jurigged.live.conservative_logger)
        watcher.registry.auto_register(jurigged.live.to_filter([os.path.abspath("lib.py")]))
        watcher.start()
        say("watching", [os.path.basename(f) for f in watcher.files()])
        """,
        VALUE_LOOP,
        lib=LIB_V1,
    )
    process.wait_for("watching ['lib.py']")
    process.wait_for("value 1")
    workspace.save("lib.py", LIB_V2)
    process.wait_for("value 2")
    workspace.write("stop", "")


def test_watch_with_a_callable_pattern_and_watcher_registry(client, workspace):
    # transformers_sae: watch(glob, autostart=False, logger=conservative_logger),
    # then watcher.registry.auto_register(jurigged.live.to_filter(...)), start.
    # pytest-hot-reloading: watch(pattern=callable, poll=2).
    process = client(
        """
        import os, time
        import jurigged
        import lib, other

        watcher = jurigged.watch("./nothing_*.py", autostart=False, logger=jurigged.live.conservative_logger)
        watcher.registry.auto_register(jurigged.live.to_filter([os.path.abspath("lib.py")]))
        watcher.start()
        second = jurigged.watch(pattern=lambda filename: filename.endswith("other.py"), poll=0.05)
        say("poll", second.poll, second.registry is jurigged.registry)
        """,
        VALUE_LOOP.replace("value = lib.f()", "value = f'{lib.f()} {other.g()}'"),
        lib=LIB_V1,
        other="def g():\n    return 'a'\n",
    )
    process.wait_for("poll 0.05 True")
    process.wait_for("value 1 a")
    workspace.save("lib.py", LIB_V2)
    process.wait_for("value 2 a")
    workspace.save("other.py", "def g():\n    return 'b'\n")
    process.wait_for("value 2 b")
    workspace.write("stop", "")


def test_a_registry_of_its_own_passed_to_watch_and_its_precache_history(client, workspace):
    # The original's tests make registries and pass them to watch(registry=...);
    # precache_activity replays the files prepared before a callback came.
    process = client(
        """
        import os, time
        import jurigged
        from jurigged.register import Registry
        import lib

        registry = Registry()
        registry.prepare("lib", os.path.abspath("lib.py"))
        heard = []
        registry.precache_activity.register(lambda name, filename: heard.append(name))
        say("heard", heard)
        say("get", registry.get(os.path.abspath("lib.py")) is jurigged.registry.get(os.path.abspath("lib.py")))
        watcher = jurigged.watch("./lib.py", registry=registry, logger=lambda e: say("log", e))
        say("own", watcher.registry is registry)
        """,
        VALUE_LOOP,
        lib=LIB_V1,
    )
    process.wait_for("heard ['lib']")
    process.wait_for("get True")
    process.wait_for("own True")
    process.wait_for("value 1")
    workspace.save("lib.py", LIB_V2)
    wait_all(process, "value 2", "log Update lib.f")
    workspace.write("stop", "")


def test_conform_objects_are_given_the_new_function(client, workspace):
    # fluidkit and ovld read the new function's signature in __conform__ (the
    # original gives the function); they call codefind from it.
    process = client(
        """
        import os, time, inspect
        import jurigged
        import lib

        class Holder:
            __slots__ = ("code",)

            def __init__(self, code):
                self.code = code

            def __conform__(self, new):
                import codefind
                codefind.code_registry.update_cache_entry(self, self.code, getattr(new, "__code__", new))
                kind = type(new).__name__
                say("conform", kind, inspect.signature(new) if kind == "function" else "")

        holder = Holder(lib.f.__code__)
        watcher = jurigged.watch("./lib.py")
        say("ready")
        """,
        VALUE_LOOP,
        lib=LIB_V1,
    )
    process.wait_for("value 1")
    workspace.save("lib.py", "def f(x=5):\n    return 2\n")
    wait_all(process, "conform function (x=5)", "value 2")
    workspace.write("stop", "")


# -- loggers and definitions -----------------------------------------------------------------


def test_a_logger_reading_definitions_as_interactions_does(client, workspace):
    # interactions.py's ext/jurigged.py (naff's is the same): isinstance checks
    # on the operation and definition classes, defn.stashed.lineno,
    # defn.dotpath(), defn.parent.dotpath() and defn.text for a statement.
    process = client(
        """
        import os, time
        from jurigged import watch
        from jurigged.codetools import AddOperation, DeleteOperation, LineDefinition, UpdateOperation
        from jurigged.live import WatchOperation
        import lib

        def log(event):
            if isinstance(event, WatchOperation):
                say("Watch", os.path.basename(event.filename))
            elif isinstance(event, (Exception, SyntaxError)):
                say("Error", type(event).__name__)
            else:
                lineno = event.defn.stashed.lineno
                dotpath = event.defn.dotpath()
                extra = ""
                if isinstance(event.defn, LineDefinition):
                    dotpath = event.defn.parent.dotpath()
                    extra = f" | {event.defn.text}"
                if isinstance(event, AddOperation):
                    action = "Run" if isinstance(event.defn, LineDefinition) else "Add"
                elif isinstance(event, UpdateOperation):
                    action = "Update"
                elif isinstance(event, DeleteOperation):
                    action = "Delete"
                say(f"{action} {dotpath}:{lineno}{extra}")

        watcher = watch("./lib.py", logger=log)
        """,
        VALUE_LOOP,
        lib="def f():\n    return 1\n\n\ndef gone():\n    pass\n",
    )
    process.wait_for("Watch lib.py")
    process.wait_for("value 1")
    workspace.save("lib.py", "def f():\n    return 2\n\n\nprint('hello')\n\n\ndef g():\n    pass\n")
    wait_all(process, "Update lib.f:1", "Delete lib.gone:", "Run lib:5 | print('hello')", "Add lib.g:8", "value 2")
    workspace.write("stop", "")


def test_definitions_place_themselves_as_snektalk_reads_them(client, workspace):
    # snektalk: registry.cache, make_recoder(...).focus.codestring / .stashed /
    # .hierarchy(), codetools.Extent, on_status, patch, commit.
    process = client(
        """
        import os, time
        import jurigged
        from jurigged import codetools
        import lib

        watcher = jurigged.watch("./lib.py")
        say("cached", [os.path.basename(f) for f in jurigged.registry.cache])
        recoder = jurigged.make_recoder(lib.Shape.area)
        focus = recoder.focus
        say("focus", focus.dotpath(), type(focus).__name__)
        say("stashed", focus.stashed.lineno, focus.stashed.end_lineno, isinstance(focus.stashed, codetools.Extent))
        say("hierarchy", [type(d).__name__ for d in focus.hierarchy()])
        say("objects", focus.parent.get_object() is lib.Shape, focus.get_object() is lib.Shape.area.__code__)
        # One definition, one object: another recoder of it has the same focus.
        say("same focus", jurigged.make_recoder(lib.Shape.area.__code__).focus is focus)
        say("codestring", repr(focus.codestring))
        recoder.on_status.register(lambda recoder, status: say("status", status))
        recoder.patch("def area(self):\\n    return self.side ** 2\\n")
        say("area", lib.Shape(3).area())
        recoder.commit()
        say("file", repr(open("lib.py").read().splitlines()[5]))
        say("extent", codetools.Extent(1, 0, 2, 4, filename="x.py").end_col_offset)
        """,
        lib="class Shape:\n    def __init__(self, side):\n        self.side = side\n\n    def area(self):\n        return 0\n",
    )
    process.wait_for("cached ['lib.py']")
    process.wait_for("focus lib.Shape.area FunctionDefinition")
    process.wait_for("stashed 5 6 True")
    process.wait_for("hierarchy ['FunctionDefinition', 'ClassDefinition', 'ModuleCode']")
    process.wait_for("objects True True")
    process.wait_for("same focus True")
    process.wait_for("codestring 'def area(self):\\n        return 0\\n'")
    process.wait_for("area 9")
    process.wait_for("file '        return self.side ** 2'")
    process.wait_for("extent 4")


def test_codefind_and_the_operation_classes_as_starbear_uses_them(client, workspace):
    # starbear: codetools.CodeFileOperation on registry.activity, `import codefind`.
    process = client(
        """
        import os, time
        import codefind
        import jurigged
        from jurigged import codetools
        import lib

        def on_activity(event):
            if isinstance(event, codetools.CodeFileOperation):
                say("operation", type(event).__name__, event.defn.dotpath())

        jurigged.registry.activity.register(on_activity)
        watcher = jurigged.watch("./lib.py")
        say("codefind", callable(codefind.code_registry.update_cache_entry))
        """,
        VALUE_LOOP,
        lib=LIB_V1,
    )
    process.wait_for("codefind True")
    process.wait_for("value 1")
    workspace.save("lib.py", LIB_V2)
    wait_all(process, "operation UpdateOperation lib.f", "value 2")
    workspace.write("stop", "")


def test_the_definition_classes_can_be_subclassed_and_replaced(client, workspace):
    # pytest-hot-reloading subclasses FunctionDefinition (overriding reevaluate)
    # and DeleteOperation and puts its subclass in codetools; it replaces
    # GroupDefinition.append.
    process = client(
        """
        import os, time
        import jurigged
        import jurigged.codetools as codetools
        import lib

        class Mine(codetools.FunctionDefinition):
            def reevaluate(self, new_node, glb):
                # As pytest-hot-reloading does: read the old and the new node,
                # transform the new one (here: its returned constant) and let
                # the base class compile it.
                old = self.node.body[0].value.value
                new_node.body[0].value.value += 100
                say("reevaluate", old, "->", new_node.body[0].value.value, glb["__name__"])
                return super().reevaluate(new_node, glb)

        class MyDelete(codetools.DeleteOperation):
            pass

        codetools.FunctionDefinition = Mine
        codetools.GroupDefinition.append = lambda self, *children, ensure_separation=False: None
        watcher = jurigged.watch("./lib.py", logger=lambda e: say("defn", type(e.defn).__name__, e.defn.name))
        """,
        VALUE_LOOP,
        lib=LIB_V1,
    )
    process.wait_for("value 1")
    workspace.save("lib.py", LIB_V2)
    # The override ran, and the function it compiled is the one that runs.
    wait_all(process, "defn Mine f", "reevaluate 1 -> 102 lib", "value 102")
    workspace.write("stop", "")


# -- what the original's registry answers, and when --------------------------------------


def test_a_save_of_the_same_bytes_right_after_the_import_reaches_the_hooks(client, workspace):
    # A save made before the file's directory is watched (a few milliseconds
    # after the import) must not be lost, even one that rewrote the same bytes:
    # the program's postrun hook hears of every save, as the original's does.
    process = client(
        """
        import os, time
        from jurigged.live import watch
        from jurigged.register import Registry

        registry = Registry()
        watcher = watch(pattern=os.path.abspath("lib.py"), registry=registry, debounce=0)
        watcher.postrun.register(lambda path, cf: say("postrun", os.path.basename(path)))
        import lib
        text = open("lib.py").read()
        with open("lib.py", "w") as f:
            f.write(text)
        say("saved again")
        """,
        VALUE_LOOP,
        lib=LIB_V1,
    )
    process.wait_for("saved again")
    wait_all(process, "postrun lib.py")
    workspace.write("stop", "")


def test_a_registry_gets_a_prepared_file_only_once_its_module_is_imported(client, workspace):
    process = client(
        """
        import os
        from jurigged.register import Registry

        registry = Registry()
        registry.prepare("lib", os.path.abspath("lib.py"))
        say("before import", registry.get(os.path.abspath("lib.py")))
        import lib
        say("after import", type(registry.get(os.path.abspath("lib.py"))).__name__)
        """,
        lib=LIB_V1,
    )
    process.wait_for("before import None")
    process.wait_for("after import CodeFile")


def test_registry_find_places_a_generated_class_and_the_glob_filter_function(client, workspace):
    process = client(
        """
        import os
        from jurigged.register import Registry, glob_filter

        registry = Registry()
        # A class made at run time: its module's file, and no definition.
        Generated = type("Generated", (object,), {})
        codefile, definition = registry.find(Generated)
        say("generated", os.path.basename(codefile.filename), definition)
        # glob_filter is a Python function of jurigged/utils.py, as the original's.
        codefile, definition = registry.find(glob_filter.__code__)
        say("glob_filter", codefile.filename.endswith(os.path.join("jurigged", "utils.py")),
            definition.get_object() is glob_filter.__code__)
        say("filters", glob_filter(os.path.abspath("*.py"))(os.path.abspath("prog.py")))
        # A function whose code says it starts elsewhere is not the definition
        # of the same name: its file, and no definition.
        import types
        moved = types.FunctionType(say.__code__.replace(co_firstlineno=5000), {})
        codefile, definition = registry.find(moved)
        say("moved", os.path.basename(codefile.filename), definition)
        say("found", registry.find(say)[1].name)
        """
    )
    process.wait_for("generated prog.py None")
    process.wait_for("glob_filter True True")
    process.wait_for("filters True")
    process.wait_for("moved prog.py None")
    process.wait_for("found say")


def test_a_codefile_refreshed_by_hand_tells_the_registry_that_gave_it(client, workspace):
    # The original's registry hooks each CodeFile it hands out to its logger
    # and activity: a refresh made by hand is logged as a watcher's would be.
    process = client(
        """
        import os
        from jurigged.register import Registry, glob_filter

        registry = Registry()
        registry.auto_register(glob_filter(os.path.abspath("*.py")))
        registry.set_logger(lambda event: say("log", type(event).__name__))
        registry.activity.register(lambda event: say("activity", event))
        other = Registry()
        other.set_logger(lambda event: say("other registry", event))
        import lib
        codefile = registry.get(os.path.abspath("lib.py"))
        with open("lib.py", "w") as f:
            f.write("def f():\\n    return 2\\n")
        codefile.refresh()
        say("refreshed", lib.f())
        """,
        lib=LIB_V1,
    )
    process.wait_for("refreshed 2")
    wait_all(process, "log UpdateOperation", "activity Update lib.f @L1")
    process.wait_exit()
    assert "other registry" not in process.text("stdout")


# -- what a merge or a save gives the program, as the original gives it -----------------

REGISTERED = """\
class Registered:
    def __init__(self):
        self.functions = []

    def register(self, fn):
        self.functions.append(fn)
        fn.__conform__ = lambda new: self.conform(fn, new)
        return self

    def conform(self, fn, new):
        if new is None:
            self.functions.remove(fn)
        else:
            fn.__code__ = new.__code__

    def __call__(self, x):
        return [fn(x) for fn in self.functions]


chores = Registered()


@chores.register
def do(x):
    return f"paint {x}"
"""


def test_removed_definitions_of_a_name_registered_by_a_decorator_are_told(client, workspace):
    # Several same-named definitions, each registered by a decorator that gives
    # it a __conform__: a save keeping one tells each removed one (None), and
    # the kept one is not registered again.
    process = client(
        """
        import os, time
        import jurigged
        import lib

        jurigged.watch("./lib.py")
        last = None
        while not os.path.exists("stop"):
            value = lib.chores(3)
            if value != last:
                say("value", value)
                last = value
            time.sleep(0.01)
        """,
        lib=REGISTERED
        + '\n\n@chores.register\ndef do(x):\n    return f"sing {x}"\n\n\n@chores.register\ndef do(x):\n    return f"dance {x}"\n',
    )
    process.wait_for("value ['paint 3', 'sing 3', 'dance 3']")
    workspace.save("lib.py", REGISTERED.replace("paint", "eat"))
    process.wait_for("value ['eat 3']")
    workspace.write("stop", "")


def test_operations_are_made_from_a_codefile_and_a_definition(client, workspace):
    # As the original's dataclasses: a client (or its tests) makes operations
    # to hand to a logger.
    process = client(
        """
        import jurigged
        from jurigged import codetools
        import lib

        codefile, defn = jurigged.registry.find(lib.f)
        for cls in (codetools.UpdateOperation, codetools.AddOperation, codetools.DeleteOperation):
            operation = cls(codefile=codefile, defn=defn)
            say("made", type(operation).__name__, operation.codefile is codefile, operation.defn is defn)
            jurigged.live.default_logger(operation)
        say("positional", codetools.UpdateOperation(codefile, defn))
        """,
        lib=LIB_V1,
    )
    process.wait_for("made UpdateOperation True True")
    process.wait_for("Update lib.f @L1")
    process.wait_for("made AddOperation True True")
    process.wait_for("Add lib.f @L1")
    process.wait_for("made DeleteOperation True True")
    process.wait_for("Delete lib.f @L1")
    process.wait_for("positional Update lib.f @L1")


def test_callbacks_hear_a_save_in_the_original_operations(client, workspace):
    # The original reports a replaced statement as its addition and the old
    # one's deletion, then an update of each scope that changed (the module
    # here): clients that count operations (its own tests do) see the same.
    process = client(
        """
        import os, time
        from jurigged.live import watch
        from jurigged.register import Registry

        registry = Registry()
        watch(pattern=os.path.abspath("lib.py"), registry=registry, logger=None)
        registry.activity.register(lambda e: say("heard", type(e).__name__, type(e.defn).__name__))
        import lib
        """,
        VALUE_LOOP,
        lib="word = 'a'\n\n\n" + LIB_V1,
    )
    process.wait_for("value 1")
    workspace.save("lib.py", "word = 'b'\n\n\n" + LIB_V1)
    process.wait_for("heard AddOperation LineDefinition")
    process.wait_for("heard DeleteOperation LineDefinition")
    process.wait_for("heard UpdateOperation ModuleCode")
    workspace.write("stop", "")
