//! Real file-system tests: every way an editor saves a file is reported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::sync::mpsc::Receiver;

use jurigged_watch::{Change, Watcher};

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
    Watcher::builder().debounce(Duration::from_millis(20)).poll(poll).build().unwrap()
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
fn a_burst_of_saves_is_reported_once_per_burst() {
    let dir = Dir::new("burst");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 0\n").unwrap();
    let w = Watcher::builder().debounce(Duration::from_millis(200)).build().unwrap();
    w.0.add_file(&app).unwrap();
    for i in 1..=20 {
        std::fs::write(&app, format!("x = {i}\n")).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let seen = wait_for(&w, &[&app]);
    assert_eq!(seen.len(), 1, "one report for the burst: {seen:?}");
    assert_quiet(&w);
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

#[test]
fn a_slow_in_place_write_is_reported_once_the_writer_closed_it() {
    use std::io::Write;
    let dir = Dir::new("slow-write");
    let app = dir.file("app.py");
    std::fs::write(&app, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&app).unwrap();
    // Once the directory is watched (a moment after registration).
    std::thread::sleep(Duration::from_millis(150));
    let mut file = std::fs::File::create(&app).unwrap(); // truncates
    file.flush().unwrap();
    std::thread::sleep(Duration::from_millis(150)); // far longer than the debounce
    assert!(w.1.try_recv().is_err(), "a truncated file still open must not be reported");
    file.write_all(b"x = 2\n").unwrap();
    drop(file);
    wait_for(&w, &[&app]);
    assert_eq!(std::fs::read_to_string(&app).unwrap(), "x = 2\n");
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
    let dir = Dir::new("recreate-dir");
    let package = dir.file("pkg");
    let module = package.join("mod.py");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(&module, "x = 1\n").unwrap();
    let w = watcher(None);
    w.0.add_file(&module).unwrap();
    saves_are_seen(&w, &module);
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
