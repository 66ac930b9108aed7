//! Real file-system tests: every way an editor saves a file is reported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::mpsc::Receiver;

use jurigged_watch::{Change, Timing, Watcher};

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("jw-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

type Watched = (Watcher, Receiver<Change>);

fn watcher(poll: Option<Duration>) -> Watched {
    Watcher::builder().timing(Timing::new(Duration::from_millis(20), poll).unwrap()).build().unwrap()
}

/// Collects reported paths until every one of `expected` was seen, or fails after
/// a deadline.
fn wait_for((_, changes): &Watched, expected: &[&Path]) -> Vec<PathBuf> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while !expected.iter().all(|p| seen.iter().any(|s: &PathBuf| s == p)) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "timed out waiting for {expected:?}; saw {seen:?}");
        match changes.recv_timeout(left) {
            Ok(Change::Files(paths)) => seen.extend(paths),
            Ok(Change::Error(message)) => panic!("watch error: {message}"),
            Err(_) => {}
        }
    }
    seen
}

/// Asserts that nothing is reported for a while (for what must be ignored).
fn assert_quiet((_, changes): &Watched) {
    if let Ok(change) = changes.recv_timeout(Duration::from_millis(300)) {
        panic!("unexpected report: {change:?}");
    }
}

#[test]
fn in_place_write() {
    let dir = Dir::new("inplace");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    std::fs::write(&app, "x = 2\n").unwrap();
    wait_for(&w, &[&app]);
}

#[test]
fn same_directory_rename_over_the_file() {
    let dir = Dir::new("rename-same");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    let temporary = dir.file(".app.py.swp");
    std::fs::write(&temporary, "x = 2\n").unwrap();
    std::fs::rename(&temporary, &app).unwrap();
    let seen = wait_for(&w, &[&app]);
    assert!(!seen.contains(&temporary), "temporary files are not reported");
}

#[test]
fn rename_from_another_directory() {
    let dir = Dir::new("rename-from");
    let elsewhere = Dir::new("rename-elsewhere");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    let staged = elsewhere.file("app.py");
    std::fs::write(&staged, "x = 2\n").unwrap();
    std::fs::rename(&staged, &app).unwrap();
    wait_for(&w, &[&app]);
}

#[test]
fn delete_then_recreate() {
    let dir = Dir::new("recreate");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    std::fs::remove_file(&app).unwrap();
    std::fs::write(&app, "x = 2\n").unwrap();
    wait_for(&w, &[&app]);
}

#[test]
fn file_created_after_watching_started() {
    let dir = Dir::new("created");
    let app = dir.file("late.py");
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    std::fs::write(&app, "x = 1\n").unwrap();
    wait_for(&w, &[&app]);
}

#[test]
fn two_files_saved_at_the_same_instant_are_both_reported() {
    let dir = Dir::new("two");
    let (a, b) = (dir.file("a.py"), dir.file("b.py"));
    std::fs::write(&a, "x = 1\n").unwrap();
    std::fs::write(&b, "y = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&a).unwrap();
    w.0.add_file(&b).unwrap();
    std::fs::write(&a, "x = 2\n").unwrap();
    std::fs::write(&b, "y = 2\n").unwrap();
    wait_for(&w, &[&a, &b]);
}

#[test]
fn unregistered_files_are_ignored() {
    let dir = Dir::new("ignored");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    std::fs::write(dir.file("other.py"), "y = 1\n").unwrap();
    assert_quiet(&w);
}

#[test]
fn polling_compares_contents_within_the_same_second() {
    let dir = Dir::new("poll");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(Some(Duration::from_millis(20)));
    w.0.add_file(&app).unwrap();
    std::fs::write(&app, "x = 2\n").unwrap();
    wait_for(&w, &[&app]);
    // Same length, same second: only the contents differ.
    std::fs::write(&app, "x = 3\n").unwrap();
    wait_for(&w, &[&app]);
    let temporary = dir.file("tmp.py");
    std::fs::write(&temporary, "x = 4\n").unwrap();
    std::fs::rename(&temporary, &app).unwrap();
    wait_for(&w, &[&app]);
}

#[test]
fn polling_reports_deletion_and_recreation() {
    let dir = Dir::new("poll-delete");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(Some(Duration::from_millis(20)));
    w.0.add_file(&app).unwrap();
    std::fs::remove_file(&app).unwrap();
    wait_for(&w, &[&app]);
    std::fs::write(&app, "x = 1\n").unwrap();
    wait_for(&w, &[&app]);
}

#[test]
fn stop_ends_the_watcher() {
    let dir = Dir::new("stop");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    for poll in [None, Some(Duration::from_millis(10))] {
        let w = watcher(poll);
        w.0.add_file(&app).unwrap();
        let started = Instant::now();
        w.0.stop();
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

/// Waits until the watcher's threads are gone: they hold the only senders.
fn assert_disconnects(changes: &Receiver<Change>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the watcher's threads still run after it was dropped");
        match changes.recv_timeout(left) {
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
            Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
}

#[test]
fn a_watcher_dropped_without_stop_ends_its_threads() {
    let dir = Dir::new("drop");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    for poll in [Some(Duration::from_millis(1)), None] {
        let (watcher, changes) = watcher(poll);
        watcher.add_file(&app).unwrap();
        drop(watcher);
        assert_disconnects(&changes);
    }
}

/// Saves `file` three times, waiting for a report of each: at most one report
/// can come from the watch being put back, so the others come from the saves.
/// A directory `name` holding `pkg/mod.py`, registered and seen to take saves:
/// (the directory, the package, the module, the watcher).
fn watched_package(name: &str) -> (Dir, PathBuf, PathBuf, Watched) {
    let dir = Dir::new(name);
    let package = dir.file("pkg");
    let module = package.join("mod.py");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(&module, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&module).unwrap();
    saves_are_seen(&w, &module);
    (dir, package, module, w)
}

fn saves_are_seen(w: &Watched, file: &Path) {
    for n in 0..3 {
        std::fs::write(file, format!("x = {n}\n")).unwrap();
        wait_for(w, &[file]);
    }
}

#[test]
fn a_package_directory_renamed_away_and_back_is_watched_again() {
    let dir = Dir::new("rename-dir");
    let main = dir.file("main.py");
    let package = dir.file("pkg");
    let module = package.join("mod.py");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(&main, "import pkg.mod\n").unwrap();
    std::fs::write(&module, "x = 1\n").unwrap();
    let w = watcher(None);
    // The parent is watched too (for main.py): its rename events drop the
    // package's watch.
    w.0.add_file(&main).unwrap();
    w.0.add_file(&module).unwrap();
    saves_are_seen(&w, &module);
    let away = dir.file("pkg_away");
    std::fs::rename(&package, &away).unwrap();
    std::fs::rename(&away, &package).unwrap();
    saves_are_seen(&w, &module);
}

#[test]
fn a_file_whose_directory_is_missing_when_registered_is_watched_once_it_appears() {
    // As a package deleted right after its import, before its directory is
    // watched (ARM_DELAY): not an error, it is watched when it is back.
    let dir = Dir::new("missing-dir");
    let package = dir.file("pkg");
    let module = package.join("mod.py");
    let w = watcher(None);
    w.0.add_file(&module).unwrap();
    // Long enough for the watch to be tried; a missing directory is no error.
    assert_quiet(&w);
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(&module, "x = 1\n").unwrap();
    wait_for(&w, &[&module]);
    saves_are_seen(&w, &module);
}

#[test]
fn a_watched_directory_deleted_and_recreated_is_watched_again() {
    let (_dir, package, module, w) = watched_package("recreate-dir");
    std::fs::remove_dir_all(&package).unwrap();
    wait_for(&w, &[&module]);
    std::fs::create_dir_all(&package).unwrap();
    saves_are_seen(&w, &module);
}

#[test]
fn polling_ignores_a_touch_that_changes_nothing() {
    let dir = Dir::new("poll-touch");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(Some(Duration::from_millis(10)));
    w.0.add_file(&app).unwrap();
    let file = std::fs::File::options().write(true).open(&app).unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(5)).unwrap();
    drop(file);
    assert_quiet(&w);
    std::fs::write(&app, "x = 2\n").unwrap();
    wait_for(&w, &[&app]);
}

/// Replaces `path` by a symbolic link to `target` in one step, as `ln -sf` does.
fn link_over(path: &Path, target: &Path) {
    let temporary = path.with_extension("link-tmp");
    std::os::unix::fs::symlink(target, &temporary).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// Saves `written` three ways, waiting each time for `reported` to be reported:
/// in place twice, then as an editor that renames a new file over it.
fn saves_through_are_seen(w: &Watched, written: &Path, reported: &Path) {
    for n in 0..2 {
        std::fs::write(written, format!("x = {n}\n")).unwrap();
        wait_for(w, &[reported]);
    }
    let real = written.canonicalize().unwrap();
    let temporary = real.with_extension("swp");
    std::fs::write(&temporary, "x = 3\n").unwrap();
    std::fs::rename(&temporary, &real).unwrap();
    wait_for(w, &[reported]);
}

fn both_backends() -> [(&'static str, Option<Duration>); 2] {
    [("native", None), ("poll", Some(Duration::from_millis(20)))]
}

#[test]
fn a_file_that_becomes_a_symlink_to_another_directory_is_seen_when_written_through() {
    for (backend, poll) in both_backends() {
        let dir = Dir::new(&format!("becomes-link-{backend}"));
        let elsewhere = Dir::new(&format!("becomes-link-target-{backend}"));
        let module = dir.file("mod.py");
        let target = elsewhere.file("target.py");
        std::fs::write(&module, "x = 1\n").unwrap();
        std::fs::write(&target, "x = 7\n").unwrap();
        let w = watcher(poll);
        w.0.add_file(&module).unwrap();
        saves_are_seen(&w, &module);
        link_over(&module, &target);
        wait_for(&w, &[&module]);
        // Through the link (an editor keeping it), and on the target itself.
        saves_through_are_seen(&w, &module, &module);
        saves_through_are_seen(&w, &target, &module);
        // Pointed elsewhere: the new target's saves count, the old one's do not.
        let second = elsewhere.file("second.py");
        std::fs::write(&second, "x = 8\n").unwrap();
        link_over(&module, &second);
        wait_for(&w, &[&module]);
        saves_through_are_seen(&w, &second, &module);
        std::fs::write(&target, "x = 9\n").unwrap();
        assert_quiet(&w);
    }
}

#[test]
fn a_file_registered_as_a_symlink_is_seen_when_its_target_is_written() {
    for (backend, poll) in both_backends() {
        let dir = Dir::new(&format!("registered-link-{backend}"));
        let elsewhere = Dir::new(&format!("registered-link-target-{backend}"));
        let module = dir.file("mod.py");
        let target = elsewhere.file("target.py");
        std::fs::write(&target, "x = 1\n").unwrap();
        std::os::unix::fs::symlink(&target, &module).unwrap();
        let w = watcher(poll);
        w.0.add_file(&module).unwrap();
        saves_through_are_seen(&w, &module, &module);
        saves_through_are_seen(&w, &target, &module);
    }
}

#[test]
fn a_symlink_to_a_file_of_the_same_directory_is_seen_when_its_target_is_written() {
    let dir = Dir::new("same-dir-link");
    let module = dir.file("mod.py");
    let target = dir.file("impl.py");
    std::fs::write(&target, "x = 1\n").unwrap();
    std::os::unix::fs::symlink("impl.py", &module).unwrap();
    let w = watcher(None);
    w.0.add_file(&module).unwrap();
    let seen = {
        saves_through_are_seen(&w, &target, &module);
        std::fs::write(&module, "x = 5\n").unwrap();
        wait_for(&w, &[&module])
    };
    assert!(!seen.contains(&target), "only registered files are reported: {seen:?}");
}

#[test]
fn a_watched_directory_moved_away_and_replaced_by_a_new_one_is_watched_again() {
    let (dir, package, module, w) = watched_package("replaced-dir");
    // `mv pkg pkg.bak && mkdir pkg && cp pkg.bak/mod.py pkg/`
    let backup = dir.file("pkg.bak");
    std::fs::rename(&package, &backup).unwrap();
    std::fs::create_dir(&package).unwrap();
    std::fs::copy(backup.join("mod.py"), &module).unwrap();
    wait_for(&w, &[&module]);
    saves_are_seen(&w, &module);
    // The old directory's watch, which followed it, is gone.
    std::fs::write(backup.join("mod.py"), "x = 99\n").unwrap();
    assert_quiet(&w);
}

#[test]
fn a_package_directory_that_is_a_symlink_is_watched_through_it_and_its_target() {
    let dir = Dir::new("dir-link");
    let elsewhere = Dir::new("dir-link-target");
    let real_package = elsewhere.file("pkg");
    std::fs::create_dir_all(&real_package).unwrap();
    std::fs::write(real_package.join("mod.py"), "x = 1\n").unwrap();
    let package = dir.file("pkg");
    std::os::unix::fs::symlink(&real_package, &package).unwrap();
    let (main, module) = (dir.file("main.py"), package.join("mod.py"));
    std::fs::write(&main, "import pkg.mod\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&main).unwrap();
    w.0.add_file(&module).unwrap();
    saves_through_are_seen(&w, &module, &module);
    saves_through_are_seen(&w, &real_package.join("mod.py"), &module);
    // The link pointed at another package: that one's saves count.
    let other_package = elsewhere.file("pkg2");
    std::fs::create_dir_all(&other_package).unwrap();
    std::fs::write(other_package.join("mod.py"), "x = 5\n").unwrap();
    link_over(&package, &other_package);
    wait_for(&w, &[&module]);
    saves_through_are_seen(&w, &other_package.join("mod.py"), &module);
}
