//! A forked child's sessions: after `os.fork()` (and so `multiprocessing`'s
//! `fork` start method, or a forkserver's children) the child gets a watcher and
//! a session thread of its own, watching the files its parent's sessions
//! watched, and applies later saves itself.
//!
//! Only the thread that called fork exists in the child. The parent's watcher
//! (its notify, debouncer and armer threads, its channel) is left untouched
//! there: its locks may have been held by those threads at the moment of the
//! fork. Everything the child re-arms from is only ever locked with the GIL,
//! which the forking thread held: the list of sessions, each session's fields,
//! the live trees (whose lock-free readers a fork waits for).
//!
//! Only the first few live forked children watch with the system's
//! notifications; the others poll (`watch_slots`): a pool of workers must not
//! take all of the user's inotify instances.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::py_errors::watch_error;
use crate::sessions::{sessions, SessionCore};
use crate::watch_slots::{take_slot, ChildWatch, FALLBACK_POLL};
use jurigged_watch::sync::lock;

/// Registers the re-arming hook, once per interpreter. It must run after the
/// hooks of `lifecycle` (which reset the counts of the parent's threads) and of
/// `threading` (which makes the child's thread its main thread): hooks run
/// after a fork in the order they were registered, so it is registered after
/// both.
pub(crate) fn install_fork_hook(py: Python<'_>) -> PyResult<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    py.import("threading")?;
    if let Ok(register_at_fork) = py.import("os")?.getattr("register_at_fork") {
        let options = PyDict::new(py);
        options.set_item("after_in_child", wrap_pyfunction!(rearm_after_fork, py)?)?;
        register_at_fork.call((), Some(&options))?;
    }
    let _ = INSTALLED.set(());
    Ok(())
}

/// `os.register_at_fork(after_in_child=...)`: each running session of the
/// parent gets a watcher and a thread of its own in the child. A session that
/// cannot be re-armed is reported; the child runs on regardless.
#[jurigged_entry::py_entry]
#[pyfunction]
fn rearm_after_fork(py: Python<'_>) {
    let running: Vec<Arc<SessionCore>> = lock(sessions()).clone();
    if running.is_empty() || forked_to_exec(py) {
        return;
    }
    crate::py_logger::tag_with_pid();
    // One slot for the process, whatever the number of its sessions; asked for
    // only if a session watches with notifications.
    let mut watch: Option<ChildWatch> = None;
    for core in running {
        if core.state.is_stopped() || !core.state.inherited() {
            continue;
        }
        let poll = match core.settings.timing.poll() {
            Some(interval) => Some(interval),
            None => match watch.get_or_insert_with(|| take_slot(py)) {
                ChildWatch::Native => None,
                ChildWatch::Poll => Some(FALLBACK_POLL),
            },
        };
        if let Err(error) = rearm(py, &core, poll) {
            let error = PyOSError::new_err(format!("jurigged: this forked process does not apply saves: {error}"));
            error.print(py);
        }
    }
}

/// Gives `core` (a session inherited from the parent) a new watcher over the
/// files it watched (polling every `poll` if given), and starts its thread if
/// the parent's was running.
fn rearm(py: Python<'_>, core: &Arc<SessionCore>, poll: Option<Duration>) -> PyResult<()> {
    let timing = jurigged_watch::Timing::new(core.settings.timing.debounce(), poll).map_err(|e| watch_error(&e))?;
    let (watcher, changes) = jurigged_watch::Watcher::builder().timing(timing).build().map_err(|e| watch_error(&e))?;
    // The files the parent's session watched: the live files its patterns match
    // (the parent's watcher, which lists them, is not to be touched). Each is
    // compared with what the parent last read of it: a save the parent had not
    // applied yet when it forked is this process's to apply.
    for path in crate::live_trees::paths() {
        if core.wants(&path) {
            let added = match last_read(py, &path) {
                Some(read) => watcher.add_file_read_as(&path, read),
                None => watcher.add_file(&path),
            };
            added.map_err(|e| watch_error(&e))?;
        }
    }
    // The parent's watcher and the receiving end of its channel belong to
    // threads this process does not have: the state leaves them behind.
    let was_running = core.state.rearm(watcher, changes);
    if was_running {
        crate::session_thread::start_thread(py, core)?;
    }
    Ok(())
}

/// What the parent last read of `path` (None when its CodeFile was being
/// changed by a thread of the parent's at the fork: that borrow is never
/// given back here).
fn last_read(py: Python<'_>, path: &std::path::Path) -> Option<jurigged_watch::Fingerprint> {
    let codefile = crate::file_registry::file_registry().lookup(py, path)?;
    let read = codefile.bind(py).try_borrow().ok()?.disk();
    read
}

/// Whether this child was forked by `subprocess` to run `preexec_fn` and then
/// exec another program: CPython runs the after-fork hooks there too, and then
/// closes the child's file descriptors (`close_fds`) before the exec, which a
/// watcher's notification thread would not survive (its descriptor closed under
/// it aborts the process). Such a child runs no code of the program's: it is
/// left alone.
fn forked_to_exec(py: Python<'_>) -> bool {
    let caller = || -> PyResult<bool> {
        let code = py.import("sys")?.call_method1("_getframe", (0,))?.getattr("f_code")?;
        let name: String = code.getattr("co_name")?.extract()?;
        let file: String = code.getattr("co_filename")?.extract()?;
        Ok(name == "_execute_child" && file.ends_with("subprocess.py"))
    };
    caller().unwrap_or(false)
}
