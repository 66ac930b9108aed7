"""The original jurigged's public API, so that code written for it runs unchanged:
CodeFile.module and merge, Recoder(...) and its status machine, registry pairs,
loggers given operation objects and exceptions, the original's modules, and the
watcher's hooks on every save."""

import importlib
import os
import sys
import textwrap

import pytest

import jurigged
from jurigged import codetools, live, recode, register
from jurigged import loop as loop_module

from support.waiting import wait_until


# -- helpers --------------------------------------------------------------------


def file_state(path):
    """The bytes of a file and what tells whether it was rewritten."""
    st = os.stat(path)
    return (path.read_bytes(), st.st_ino, st.st_mtime_ns)


SOURCE = """\
def f(x):
    return x + 1


def g(x):
    return x - 1


class C:
    def m(self):
        return 3
"""


@pytest.fixture
def watching():
    """Starts jurigged.watch() sessions that are stopped at the end of the test;
    each logs into its own list."""
    watchers = []

    def start(pattern, **kwargs):
        logged = []
        watcher = jurigged.watch(pattern, logger=logged.append, debounce=0.01, **kwargs)
        watchers.append(watcher)
        return watcher, logged

    yield start
    for watcher in watchers:
        watcher.stop()
        watcher.join(10)


def imported(ws, source, name):
    """Writes `source` as module `name` and imports it (after any watch() started,
    so that the import is what makes it watched)."""
    path = ws.write(f"{name}.py", source)
    importlib.invalidate_caches()
    module = importlib.import_module(name)
    ws.modules.append(name)
    return module, path


def save_applied(watcher, path, text):
    """Saves `text` to `path` and waits until `watcher` has handled the save."""
    handled = []
    hook = watcher.postrun.register(lambda p, cf: handled.append(p))
    path.write_text(text)
    wait_until(lambda: str(path) in handled, what=f"the watcher to handle {path.name}")
    watcher.postrun.unregister(hook)


# -- CodeFile ---------------------------------------------------------------------


def test_codefile_module_is_the_module_it_feeds(ws):
    mod, codefile = ws.module(SOURCE)
    assert codefile.module is mod
    # Associated with a plain namespace: no module.
    namespace = {}
    exec(compile(textwrap.dedent(SOURCE), codefile.filename, "exec"), namespace)
    detached = jurigged.CodeFile(str(ws.path / "detached.py"), "detached", source=textwrap.dedent(SOURCE))
    assert detached.module is None
    detached.associate(namespace)
    assert detached.module is None
    detached.associate(mod)
    assert detached.module is mod


def test_codefile_made_before_its_file_commits_once_the_file_is_written(ws):
    path = ws.path / "written_later.py"
    assert not path.exists()
    source = "def f():\n    return 1\n"
    codefile = jurigged.CodeFile(str(path), "written_later", source=source)
    path.write_text(source)
    assert not codefile.stale()
    codefile.merge("def f():\n    return 2\n")
    codefile.commit()
    assert path.read_text() == "def f():\n    return 2\n"
    # It still refuses to overwrite someone else's edit.
    path.write_text("def f():\n    return 'theirs'\n")
    codefile.merge("def f():\n    return 3\n")
    with pytest.raises(jurigged.StaleException):
        codefile.commit()
    assert path.read_text() == "def f():\n    return 'theirs'\n"


def test_codefile_merge_takes_the_definitions_of_a_codefile_of_another_module(ws):
    mod, codefile = ws.module(SOURCE)
    old_f = mod.f
    other = jurigged.CodeFile(
        str(ws.path / "elsewhere.py"),
        "some.other.module",
        source="def f(x):\n    return x * 100\n\n\ndef h():\n    return 'new'\n",
    )
    events = codefile.merge(other, allow_deletions=False)
    assert mod.f(2) == 200
    assert old_f(2) == 200, "the function is updated in place"
    assert mod.h() == "new"
    assert mod.g(2) == 1, "definitions the other file does not mention stay"
    assert {str(e).split(" @")[0] for e in events} >= {f"Update {mod.__name__}.f", f"Add {mod.__name__}.h"}


# -- Recoder ----------------------------------------------------------------------


def test_recoder_constructed_as_in_the_original(ws, tmp_path):
    mod, path = imported(ws, SOURCE, "jm_recoder_ctor")
    codefile, definition = jurigged.registry.find(mod.f)
    recoder = jurigged.Recoder("my patch", codefile, deletable=False, focus=definition)
    assert recoder.name == "my patch"
    assert recoder.focus.dotpath() == "jm_recoder_ctor.f"
    assert recoder.codefile is codefile
    assert recoder.status == "live"
    recoder.patch("def f(x):\n    return x * 10\n")
    assert mod.f(2) == 20
    recoder.commit()
    assert recoder.status == "saved"
    assert "return x * 10" in path.read_text()
    # make_recoder names its recoder after the focus.
    assert jurigged.make_recoder(mod.C.m).name == "jm_recoder_ctor.C.m"
    # Without a focus, a recoder patches the whole module.
    whole = jurigged.recode.Recoder("whole", codefile)
    assert whole.status == "live"
    whole.patch("def helper():\n    return 'h'\n")
    assert mod.helper() == "h"


def test_recoder_starts_live_and_is_saved_after_commit(ws):
    mod, path = imported(ws, SOURCE, "jm_recoder_states")
    recoder = jurigged.make_recoder(mod.f)
    seen = []
    recoder.on_status.register(lambda r, status: seen.append(status))
    assert recoder.status == "live"
    recoder.commit()
    assert recoder.status == "saved"
    recoder.patch("def f(x):\n    return 0\n")
    assert recoder.status == "live"
    recoder.commit()
    assert (recoder.status, seen) == ("saved", ["saved", "live", "saved"])


def test_another_recoders_patch_puts_a_recoder_out_of_sync_and_its_commit_writes_nothing(ws):
    mod, path = imported(ws, SOURCE, "jm_recoder_two")
    first = jurigged.make_recoder(mod.f)
    second = jurigged.make_recoder(mod.f)
    on_g = jurigged.make_recoder(mod.g)
    first.patch("def f(x):\n    return 'first'\n")
    assert (first.status, second.status, on_g.status) == ("live", "out-of-sync", "live")
    state = file_state(path)
    with pytest.raises(jurigged.OutOfSyncException):
        second.commit()
    assert file_state(path) == state, "an out-of-sync commit writes nothing"
    assert second.status == "out-of-sync"
    # The exception is the original's, in jurigged.recode too.
    assert jurigged.recode.OutOfSyncException is jurigged.OutOfSyncException
    assert issubclass(jurigged.OutOfSyncException, Exception)
    # Patching again brings it back; then its commit is its own.
    second.patch("def f(x):\n    return 'second'\n")
    assert (second.status, first.status) == ("live", "out-of-sync")
    second.commit()
    assert "return 'second'" in path.read_text()


def test_another_recoders_commit_puts_a_recoder_out_of_sync(ws):
    mod, path = imported(ws, SOURCE, "jm_recoder_commit")
    first = jurigged.make_recoder(mod.f)
    first.patch("def f(x):\n    return 'first'\n")
    second = jurigged.make_recoder(mod.f)
    assert second.status == "live"
    first.commit()
    assert second.status == "out-of-sync"
    with pytest.raises(jurigged.OutOfSyncException):
        second.commit()


def test_a_save_of_its_definition_puts_a_recoder_out_of_sync(ws, watching):
    watcher, _ = watching(str(ws.path / "jm_recoder_save.py"))
    mod, path = imported(ws, SOURCE, "jm_recoder_save")
    on_f = jurigged.make_recoder(mod.f)
    on_g = jurigged.make_recoder(mod.g)
    save_applied(watcher, path, SOURCE.replace("return x + 1", "return x + 1000"))
    assert mod.f(0) == 1000
    assert (on_f.status, on_g.status) == ("out-of-sync", "live")
    state = file_state(path)
    with pytest.raises(jurigged.OutOfSyncException):
        on_f.commit()
    assert file_state(path) == state


def test_status_callbacks_can_use_the_codefile_whose_change_they_report(ws):
    mod, path = imported(ws, SOURCE, "jm_recoder_callback")
    recoder = jurigged.make_recoder(mod.f)
    seen = []
    recoder.on_status.register(lambda r, status: seen.append((status, "x + 5" in r.codefile.text)))
    recoder.codefile.update(SOURCE.replace("return x + 1", "return x + 5"))
    assert seen == [("out-of-sync", True)]
    recoder.patch("def f(x):\n    return x + 6\n")
    assert seen[-1] == ("live", False)


def test_revert_puts_the_recoders_of_what_it_changed_out_of_sync(ws):
    mod, path = imported(ws, SOURCE, "jm_recoder_revert")
    patcher = jurigged.make_recoder(mod.f)
    watcher_of_f = jurigged.make_recoder(mod.f)
    patcher.patch("def f(x):\n    return 'patched'\n")
    watcher_of_f.repatch()  # nothing to re-apply: still out of sync
    patcher.revert()
    assert mod.f(1) == 2
    assert (patcher.status, watcher_of_f.status) == ("out-of-sync", "out-of-sync")
    with pytest.raises(jurigged.OutOfSyncException):
        patcher.commit()
    patcher.repatch()
    assert (patcher.status, mod.f(1)) == ("live", "patched")


def test_deletable_recoder_patch_with_nothing_deletes_the_function(ws):
    mod, path = imported(ws, SOURCE, "jm_recoder_delete")
    old_m = mod.C.m
    recoder = jurigged.make_recoder(mod.f, deletable=True)
    events = recoder.patch("")
    assert "f" not in vars(mod)
    assert [str(e) for e in events] == ["Delete jm_recoder_delete.f @L1"]
    assert isinstance(events[0], codetools.DeleteOperation)
    recoder.commit()
    assert "def f" not in path.read_text() and "def g" in path.read_text()
    # A method too; other definitions stay.
    jurigged.make_recoder(mod.C.m, deletable=True).patch("")
    assert not hasattr(mod.C, "m") and mod.g(1) == 0
    assert old_m(None) == 3
    # Not deletable: an empty patch is refused.
    with pytest.raises(ValueError):
        jurigged.make_recoder(mod.g).patch("")
    assert mod.g(1) == 0


def test_a_deletable_recoder_defines_again_what_it_deleted(ws):
    # As the original: after patch(""), a patch with the function puts it back.
    mod, path = imported(ws, SOURCE, "jm_recoder_redefine")
    recoder = jurigged.make_recoder(mod.f, deletable=True)
    recoder.patch("")
    assert "f" not in vars(mod)
    events = recoder.patch("def f(x):\n    return x * 10\n")
    # Added where new definitions go (after the others).
    assert [str(e).rsplit(" @", 1)[0] for e in events] == ["Add jm_recoder_redefine.f"]
    assert mod.f(4) == 40
    recoder.commit()
    assert "return x * 10" in path.read_text() and "def g" in path.read_text()


# -- registry ---------------------------------------------------------------------


def test_registry_find_and_get_at_return_codefile_and_definition_pairs(ws):
    mod, path = imported(ws, SOURCE, "jm_registry_pairs")
    codefile, module_definition = jurigged.registry.find(mod)
    assert codefile is jurigged.registry.get(str(path))
    assert isinstance(module_definition, codetools.ModuleCode)
    _, function = jurigged.registry.find(mod.f)
    _, cls = jurigged.registry.find(mod.C)
    _, method = jurigged.registry.find(mod.C.m)
    assert isinstance(function, codetools.FunctionDefinition)
    assert isinstance(cls, codetools.ClassDefinition)
    assert isinstance(method, codetools.Definition)
    assert (function.name, function.dotpath(), function.lineno) == ("f", "jm_registry_pairs.f", 1)
    assert method.dotpath() == "jm_registry_pairs.C.m"
    assert function.filename == str(path)
    assert jurigged.registry.get_at(str(path), 2) == (codefile, function)
    assert jurigged.registry.get_at(str(path), 3) == (codefile, None)
    assert jurigged.registry.get_at(str(ws.path / "nowhere.py"), 1) == (None, None)


def test_registry_find_places_a_function_defined_inside_another_by_its_line(ws):
    mod, path = imported(ws, "def outer():\n    def inner():\n        return 1\n    return inner\n", "jm_registry_inner")
    codefile, definition = jurigged.registry.find(mod.outer())
    assert codefile is jurigged.registry.get(str(path))
    assert isinstance(definition, codetools.FunctionDefinition)
    assert (definition.dotpath(), definition.lineno) == ("jm_registry_inner.outer.inner", 2)


def test_registry_find_raises_for_objects_that_are_not_code(ws):
    mod, _ = imported(ws, SOURCE, "jm_registry_not_code")
    for not_code in [42, "f", None, mod.C(), len, print]:
        with pytest.raises(TypeError):
            jurigged.registry.find(not_code)


def test_auto_register_returns_a_handle_whose_uninstall_stops_it(ws):
    handle = jurigged.registry.auto_register(str(ws.path / "jm_auto_handle_*.py"))
    first, first_path = imported(ws, "X = 1\n", "jm_auto_handle_a")
    assert jurigged.registry.get(str(first_path)) is not None
    handle.uninstall()
    second, second_path = imported(ws, "X = 2\n", "jm_auto_handle_b")
    assert jurigged.registry.get(str(second_path)) is None
    assert jurigged.registry.get(str(first_path)) is not None, "what was tracked stays tracked"


# -- loggers ----------------------------------------------------------------------


def test_a_users_logger_gets_operation_objects_whose_str_is_the_log_line(ws, watching):
    name = "jm_logged_ops"
    watcher, logged = watching(str(ws.path / f"{name}.py"))
    mod, path = imported(ws, SOURCE, name)
    wait_until(lambda: any(isinstance(e, live.WatchOperation) for e in logged), what="the Watch operation")
    watch = next(e for e in logged if isinstance(e, live.WatchOperation))
    assert str(watch) == f"Watch {path}"
    assert watch.filename == str(path)
    del logged[:]
    save_applied(watcher, path, SOURCE.replace("return x + 1", "return x + 2") + "print('ran')\n")
    save_applied(watcher, path, SOURCE.replace("return x + 1", "return x + 2").replace("def g(x):\n    return x - 1\n", ""))
    lines = [str(e) for e in logged]
    assert f"Update {name}.f @L1" in lines
    assert f"Run {name} @L12: print('ran')" in lines
    assert f"Delete {name}.g @L5" in lines
    update = next(e for e in logged if str(e).startswith("Update"))
    run = next(e for e in logged if str(e).startswith("Run"))
    delete = next(e for e in logged if str(e).startswith("Delete"))
    assert isinstance(update, codetools.UpdateOperation)
    assert isinstance(run, codetools.AddOperation), "a statement that ran is an AddOperation, as in the original"
    assert isinstance(delete, codetools.DeleteOperation)
    for operation in (update, run, delete):
        assert isinstance(operation, codetools.CodeFileOperation)
        assert not isinstance(operation, BaseException)
        assert operation.codefile is jurigged.registry.get(str(path))
    assert isinstance(update.defn, codetools.FunctionDefinition)
    assert update.defn.dotpath() == f"{name}.f"
    assert isinstance(run.defn, codetools.LineDefinition)
    del logged[:]
    save_applied(watcher, path, SOURCE + "\ndef added():\n    return 1\n")
    add = next(e for e in logged if str(e).startswith("Add") and "added" in str(e))
    assert isinstance(add, codetools.AddOperation)
    assert str(add) == f"Add {name}.added @L13"


def test_a_users_logger_gets_a_syntax_error_for_a_save_that_does_not_parse(ws, watching):
    name = "jm_logged_syntax"
    watcher, logged = watching(str(ws.path / f"{name}.py"))
    mod, path = imported(ws, SOURCE, name)
    save_applied_or_rejected = []
    watcher.postrun.register(lambda p, cf: save_applied_or_rejected.append(p))
    path.write_text("def f(x:\n    return 0\n")
    wait_until(lambda: any(isinstance(e, BaseException) for e in logged), what="the error")
    error = next(e for e in logged if isinstance(e, BaseException))
    assert isinstance(error, SyntaxError)
    assert error.filename == str(path)
    assert mod.f(1) == 2, "the last good code keeps running"


def test_a_users_logger_gets_the_exception_a_statement_raised(ws, watching):
    name = "jm_logged_raise"
    watcher, logged = watching(str(ws.path / f"{name}.py"))
    mod, path = imported(ws, SOURCE, name)
    save_applied(watcher, path, SOURCE + "1 / 0\n")
    errors = [e for e in logged if isinstance(e, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], ZeroDivisionError), logged
    assert errors[0].__traceback__ is not None


def test_the_provided_loggers_take_what_a_users_logger_gets(ws, watching, capsys):
    name = "jm_logged_builtin"
    watcher, logged = watching(str(ws.path / f"{name}.py"))
    mod, path = imported(ws, SOURCE, name)
    save_applied(watcher, path, SOURCE.replace("return x + 1", "return x + 2"))
    update = next(e for e in logged if isinstance(e, codetools.UpdateOperation))
    capsys.readouterr()
    jurigged.verbose_logger(update)
    jurigged.default_logger(update)
    jurigged.default_logger(ZeroDivisionError("boom"))
    jurigged.verbose_logger("anything else")
    err = capsys.readouterr().err
    assert err.count(f"Update {name}.f @L1") == 1, "the default logger prints errors only"
    assert "ZeroDivisionError: boom" in err
    assert "anything else" in err
    # The original's names in jurigged.live: default_logger prints everything,
    # conservative_logger errors only, with print (stdout) as the original's.
    live.conservative_logger(update)
    assert capsys.readouterr() == ("", "")
    live.default_logger(update)
    assert f"Update {name}.f @L1" in capsys.readouterr().out
    live.conservative_logger(ZeroDivisionError("boom"))
    assert "ZeroDivisionError: boom" in capsys.readouterr().out
    live.default_logger(12345)
    assert capsys.readouterr().out == "12345\n"


def test_the_original_modules_expose_their_public_names():
    expected = {
        codetools: [
            "CodeFile",
            "StaleException",
            "ConformException",
            "conform",
            "CodeFileOperation",
            "UpdateOperation",
            "AddOperation",
            "DeleteOperation",
            "Definition",
            "ModuleCode",
            "ClassDefinition",
            "FunctionDefinition",
            "LineDefinition",
        ],
        live: ["WatchOperation", "Watcher", "watch", "default_logger", "conservative_logger", "cli"],
        recode: ["Recoder", "OutOfSyncException", "make_recoder", "virtual_file"],
        register: ["Registry", "registry", "ImportSniffer"],
        loop_module: ["loop", "xloop", "loop_on_error", "__", "inject"],
    }
    for module, names in expected.items():
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name}"
        assert set(names) <= set(module.__all__), module.__name__
    assert codetools.CodeFile is jurigged.CodeFile
    assert recode.Recoder is jurigged.Recoder
    assert register.registry is jurigged.registry
    assert live.watch is jurigged.watch
    assert issubclass(codetools.UpdateOperation, jurigged.Event)
    assert issubclass(live.WatchOperation, jurigged.Event)


def test_loop_only_on_error_is_xloop():
    def work():
        return 1

    assert type(loop_module.loop(work, only_on_error=True)) is type(loop_module.xloop(work))
    assert callable(loop_module.loop(interface="basic"))


# -- hooks ------------------------------------------------------------------------


def test_prerun_and_postrun_run_for_a_save_identical_to_the_live_code(ws, watching):
    name = "jm_hooks_identical"
    watcher, logged = watching(str(ws.path / f"{name}.py"))
    mod, path = imported(ws, SOURCE, name)
    changed = SOURCE.replace("return x + 1", "return x + 2")
    save_applied(watcher, path, changed)
    del logged[:]
    seen = []
    watcher.prerun.register(lambda p, cf: seen.append(("pre", p, cf)))
    watcher.postrun.register(lambda p, cf: seen.append(("post", p, cf)))
    path.write_text(changed)
    wait_until(lambda: len(seen) >= 2, what="both hooks")
    codefile = jurigged.registry.get(str(path))
    assert seen[:2] == [("pre", str(path), codefile), ("post", str(path), codefile)]
    assert logged == [], "nothing was applied"
    assert mod.f(1) == 3
