"""CodeFile.commit and Recoder.commit write the file without harming it: through
a symlink to the file it names, keeping mode, owner, group and hard links, never
widening who may read the new text, refusing a read-only file."""

import errno
import importlib
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from support.waiting import wait_until

import jurigged

BASE = """\
def f():
    return 1


def g():
    return 2
"""

PATCHED_G = "def g():\n    return 20\n"


def import_through(ws, link_name, target):
    """Writes BASE at `target`, links `link_name`.py in the workspace to it and
    imports the module through the link."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(BASE)
    link = ws.path / f"{link_name}.py"
    os.symlink(target, link)
    importlib.invalidate_caches()
    module = importlib.import_module(link_name)
    ws.modules.append(link_name)
    return module, link


def hidden_files(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith("."))


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_a_commit_through_a_symlink_writes_the_file_it_names_and_keeps_the_link(ws, tmp_path_factory, where):
    root = ws.path / "real" if where == "inside" else tmp_path_factory.mktemp("elsewhere")
    mod, link = import_through(ws, f"jm_linked_{where}", root / "target.py")
    cf = jurigged.CodeFile(str(link), mod.__name__)
    assert cf.namespace is mod.__dict__
    cf.merge(PATCHED_G, order="original", allow_deletions=False)
    cf.commit()
    assert os.path.islink(link), "the link was replaced by a regular file"
    assert os.readlink(link) == str(root / "target.py")
    assert (root / "target.py").read_text() == cf.text
    assert "return 20" in cf.text
    assert not cf.stale()
    assert hidden_files(root) == [] and hidden_files(ws.path) == []
    # The real source now holds the change: a fresh import sees it.
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ws.path)!r}); import {mod.__name__} as m; print(m.g())"],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"),
    )
    assert out.stdout == "20\n", out.stderr


def test_a_recoder_commit_through_a_symlink_writes_the_target(ws, tmp_path_factory):
    root = tmp_path_factory.mktemp("recoder-elsewhere")
    mod, link = import_through(ws, "jm_linked_recoder", root / "target.py")
    recoder = jurigged.make_recoder(mod.g)
    recoder.patch(PATCHED_G)
    recoder.commit()
    assert recoder.status == "saved"
    assert os.path.islink(link)
    assert "return 20" in (root / "target.py").read_text()


def test_a_commit_keeps_a_private_mode_and_never_shows_the_new_text_wider(ws, tmp_path):
    # Big enough that writing it takes a while: a watcher in another process
    # sees the temporary file while it is being written.
    filler = "".join(f"def filler_{i}():\n    return {i}\n\n\n" for i in range(60_000))
    path = ws.write("jm_private.py", BASE + "\n\n" + filler)
    os.chmod(path, 0o600)
    cf = jurigged.CodeFile(str(path), "jm_private")
    watcher_script = textwrap.dedent(
        """
        import os, stat, sys
        directory, report = sys.argv[1], sys.argv[2]
        seen = set()
        while not os.path.exists(report + ".stop"):
            for entry in os.scandir(directory):
                if entry.name.startswith(".jurigged-"):
                    try:
                        seen.add(oct(stat.S_IMODE(entry.stat().st_mode)))
                    except FileNotFoundError:
                        pass
            with open(report + ".tmp", "w") as out:
                out.write(" ".join(sorted(seen)))
            os.replace(report + ".tmp", report)
        """
    )
    report = tmp_path / "modes"
    watcher = subprocess.Popen([sys.executable, "-c", watcher_script, str(ws.path), str(report)])
    try:
        commits = 0

        def a_temporary_file_was_seen():
            nonlocal commits
            commits += 1
            cf.merge(f"def g():\n    return {commits}\n", order="original", allow_deletions=False)
            cf.commit()
            return report.exists() and report.read_text().strip() != ""

        wait_until(a_temporary_file_was_seen, timeout=120)
    finally:
        (tmp_path / "modes.stop").write_text("")
        watcher.wait(timeout=60)
    modes = report.read_text().split()
    assert modes and all(int(mode, 8) & 0o077 == 0 for mode in modes), modes
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text() == cf.text


def test_a_commit_keeps_hard_links_together(ws):
    path = ws.write("jm_hardlinked.py", BASE)
    other = ws.path / "other_name.py"
    os.link(path, other)
    inode = os.stat(path).st_ino
    cf = jurigged.CodeFile(str(path), "jm_hardlinked")
    cf.merge(PATCHED_G, order="original", allow_deletions=False)
    cf.commit()
    info = os.stat(path)
    assert info.st_ino == inode and info.st_nlink == 2
    assert other.read_text() == path.read_text() == cf.text
    assert "return 20" in cf.text
    assert not cf.stale()
    assert hidden_files(ws.path) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away takes root")
def test_a_commit_keeps_the_owner_and_group(ws):
    path = ws.write("jm_owned.py", BASE)
    os.chown(path, 65534, 65534)
    os.chmod(path, 0o640)
    cf = jurigged.CodeFile(str(path), "jm_owned")
    cf.merge(PATCHED_G, order="original", allow_deletions=False)
    cf.commit()
    info = os.stat(path)
    assert (info.st_uid, info.st_gid) == (65534, 65534)
    assert stat.S_IMODE(info.st_mode) == 0o640
    assert path.read_text() == cf.text


def test_a_read_only_file_is_refused_with_an_exception_of_ours(ws):
    path = ws.write("jm_read_only.py", BASE)
    os.chmod(path, 0o444)
    cf = jurigged.CodeFile(str(path), "jm_read_only")
    cf.merge(PATCHED_G, order="original", allow_deletions=False)
    with pytest.raises(jurigged.ReadOnlyError) as raised:
        cf.commit()
    error = raised.value
    assert isinstance(error, jurigged.PatchError) and isinstance(error, PermissionError)
    assert error.errno == errno.EACCES
    assert error.filename == str(path)
    assert "read-only" in str(error)
    assert path.read_text() == BASE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o444
    assert hidden_files(ws.path) == []


def test_a_recoder_commit_of_a_read_only_file_is_refused_and_stays_live(ws):
    mod = ws.load(BASE, name="jm_read_only_recoder")
    path = ws.path / "jm_read_only_recoder.py"
    os.chmod(path, 0o444)
    recoder = jurigged.make_recoder(mod.g)
    recoder.patch(PATCHED_G)
    with pytest.raises(jurigged.ReadOnlyError):
        recoder.commit()
    assert recoder.status == "live"
    assert path.read_text() == BASE
    assert mod.g() == 20
