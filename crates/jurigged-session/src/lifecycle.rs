//! The interpreter's end and `os.fork()`, as watcher threads live through them.
//!
//! Watcher threads enter Python to apply saves. At exit they must stop entering
//! it and those inside must finish (on CPython 3.13 and before, a thread that
//! takes the GIL during finalization is ended by force, which aborts the
//! process through its Rust frames). At a fork, no lock may be inherited held by
//! a thread the child does not have.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Set when the interpreter is about to shut down: watcher threads must not take
/// the GIL any more (on Python 3.12 and before, a thread that waits for it during
/// finalization is ended by force, which aborts the process).
static EXITING: AtomicBool = AtomicBool::new(false);
/// Watcher threads inside Python right now.
static IN_PYTHON: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with the GIL from a watcher thread, unless the interpreter is exiting.
pub(crate) fn with_python<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    /// Leaves the count even when `f` panics, so that exit never waits for it.
    struct Inside;
    impl Drop for Inside {
        fn drop(&mut self) {
            IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
        }
    }
    IN_PYTHON.fetch_add(1, Ordering::SeqCst);
    let _inside = Inside;
    if EXITING.load(Ordering::SeqCst) {
        None
    } else {
        Python::try_attach(f)
    }
}

/// How long exit waits for a save being applied: enough for an ordinary save to
/// finish, far less than a save whose statement blocks (python would not wait
/// for it either: the interpreter exits and the process ends with it).
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// Called by a watcher thread, detached, before it returns to Python for good:
/// counts it in Python (the caller leaves the count once back), or, once the
/// interpreter is exiting, never returns (on Python 3.13 and before, a thread
/// that takes the GIL during finalization is ended by force, which aborts the
/// process when Rust frames are on its stack). Its daemon thread ends with the
/// process.
pub(crate) fn leave_unless_exiting() {
    IN_PYTHON.fetch_add(1, Ordering::SeqCst);
    if EXITING.load(Ordering::SeqCst) {
        IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
        loop {
            std::thread::park();
        }
    }
}

/// The exit status of the program the command line ran, once it has ended.
static EXIT_STATUS: OnceLock<i32> = OnceLock::new();

/// Tells the exit hook the status the command line is about to exit with.
pub fn note_exit_status(status: i32) {
    let _ = EXIT_STATUS.set(status);
}

/// `atexit` hook: stops watcher threads from entering Python and lets those inside
/// finish, briefly, before the interpreter shuts down.
///
/// One still inside after that is blocked in a save's code (a statement that
/// sleeps or waits). If it went on during the interpreter's finalization, CPython
/// 3.13 and before would end its thread by force, which aborts the process
/// through the thread's Rust frames. When the status is known (the command
/// line's program has ended), the process ends now with it, output flushed, as
/// the binary always does; programs that call watch() themselves keep the risk
/// (a save's statement that ends during finalization, a few milliseconds).
#[jurigged_entry::py_entry]
#[pyfunction]
fn before_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    let settled = py.detach(|| {
        let deadline = std::time::Instant::now() + EXIT_GRACE;
        while IN_PYTHON.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        IN_PYTHON.load(Ordering::SeqCst) == 0
    });
    if let (false, Some(status)) = (settled, EXIT_STATUS.get()) {
        if let Ok(sys) = py.import("sys") {
            for name in ["stdout", "stderr"] {
                if let Ok(stream) = sys.getattr(name) {
                    let _ = stream.call_method0("flush");
                }
            }
        }
        if let Err(error) = py.import("os").and_then(|os| os.call_method1("_exit", (*status,))) {
            error.print(py);
        }
    }
}

/// `os.register_at_fork(after_in_child=...)`: the watcher threads were not
/// copied into the child, so none of them is inside Python or a lock there.
#[jurigged_entry::py_entry]
#[pyfunction]
fn after_fork_in_child() {
    IN_PYTHON.store(0, Ordering::SeqCst);
    crate::live_trees::fork_ended_in_child();
}

pub(crate) fn install_exit_hook(py: Python<'_>) -> PyResult<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_none() {
        py.import("atexit")?.call_method1("register", (wrap_pyfunction!(before_exit, py)?,))?;
        if let Ok(register_at_fork) = py.import("os")?.getattr("register_at_fork") {
            let options = PyDict::new(py);
            options.set_item("before", wrap_pyfunction!(before_fork, py)?)?;
            options.set_item("after_in_parent", wrap_pyfunction!(after_fork_in_parent, py)?)?;
            options.set_item("after_in_child", wrap_pyfunction!(after_fork_in_child, py)?)?;
            register_at_fork.call((), Some(&options))?;
        }
        let _ = INSTALLED.set(());
    }
    Ok(())
}

/// `os.register_at_fork(before=...)`: no snapshot reader is inside the lock
/// when the process forks (a reader holds it for a lookup, never longer).
#[jurigged_entry::py_entry]
#[pyfunction]
fn before_fork() {
    crate::live_trees::fork_begins();
}

/// `os.register_at_fork(after_in_parent=...)`.
#[jurigged_entry::py_entry]
#[pyfunction]
fn after_fork_in_parent() {
    crate::live_trees::fork_ended_in_parent();
}

/// Counts the calling watcher thread as inside Python (see `with_python`) until
/// the guard is dropped.
pub fn leave_python() {
    IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
}
