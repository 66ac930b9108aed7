"""The live session in-process: jurigged.watch() applying real saves."""

import importlib

import jurigged
from support.waiting import wait_until




def test_an_emptied_file_is_not_applied_until_it_has_content(ws):
    name = "jm_session_empty"
    path = ws.write(f"{name}.py", "def f():\n    return 1\n")
    events = []
    watcher = jurigged.watch(str(path), logger=events.append, debounce=0.01)
    try:
        importlib.invalidate_caches()
        mod = importlib.import_module(name)
        ws.modules.append(name)
        # A save caught between truncation and writing.
        path.write_bytes(b"")
        assert wait_until(lambda: any(isinstance(e, OSError) and "empty" in str(e) for e in events))
        assert mod.f() == 1, "the last good code keeps running"
        path.write_text("def f():\n    return 2\n")
        assert wait_until(lambda: mod.f() == 2)
    finally:
        watcher.stop()
        watcher.join()


def test_the_audit_hook_never_breaks_an_import():
    # Regression: the hook looked up types.CodeType, which failed (and so failed
    # the import) while `types` itself was being imported.
    import subprocess
    import sys

    program = (
        "import sys, jurigged\n"
        "w = jurigged.watch('.')\n"
        "sys.modules.pop('types', None)\n"
        "import types\n"
        "print(types.CodeType.__name__)\n"
        "w.stop()\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "code"
