//! A session's thread: a daemon `threading.Thread` that applies its saves,
//! started by `watch()` (or `Watcher.start()`) and again in a forked child.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

use crate::lifecycle::{leave_python, leave_unless_exiting};
use crate::sessions::SessionCore;
use jurigged_watch::sync::lock;

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Starts the thread that applies a session's saves, unless it runs already.
///
/// Saves are applied on a daemon thread started by `threading`, as the
/// original's watchdog threads were. A Python thread keeps its thread state:
/// a Rust thread entering Python creates and deletes one each time, taking
/// the interpreter's runtime lock without the GIL, and a fork at that moment
/// leaves the child stuck in CPython's own after-fork code (3.11). It also
/// gets the stack size of Python threads, not Rust's 2 MiB.
pub(crate) fn start_thread(py: Python<'_>, core: &Arc<SessionCore>) -> PyResult<()> {
    let Some(changes) = core.state.take_changes() else { return Ok(()) };
    let finished = Arc::new(AtomicBool::new(false));
    let body = {
        let core = Arc::clone(core);
        let finished = Arc::clone(&finished);
        let changes = Mutex::new(Some(changes));
        PyCFunction::new_closure(py, None, None, move |args: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| {
            let Some(changes) = lock(&changes).take() else { return };
            let core = Arc::clone(&core);
            let finished = Arc::clone(&finished);
            args.py().detach(move || {
                // Set however run() ends (even by a panic): join() never waits for nothing.
                let finished = SetOnDrop(finished);
                core.run(changes);
                drop(finished);
                leave_unless_exiting();
            });
            leave_python();
        })?
    };
    let options = PyDict::new(py);
    options.set_item("target", body)?;
    options.set_item("name", "jurigged watcher")?;
    options.set_item("daemon", true)?;
    let thread = py.import("threading")?.getattr("Thread")?.call((), Some(&options))?;
    thread.call_method0("start")?;
    core.state.started(finished);
    Ok(())
}
