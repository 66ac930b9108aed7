//! The exceptions Python sees, and exceptions as Python code holds them.

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

pyo3::create_exception!(
    jurigged,
    WatchError,
    PyOSError,
    "Files could not be watched (a system limit, a directory gone): saves are not seen. An OSError with the \
     system's errno when it gave one; polling (--poll, watch(poll=True)) needs no watches."
);

pub use jurigged_patch::{read_only_error_type, ConformException, OutOfSyncException, PatchError, StaleException};

/// The exception of `error` with its traceback attached, as Python code sees an
/// exception it caught (PyO3 keeps the traceback apart on Python 3.11 and before).
pub fn exception_value(py: Python<'_>, error: PyErr) -> Bound<'_, pyo3::exceptions::PyBaseException> {
    let traceback = error.traceback(py);
    let value = error.into_value(py).into_bound(py);
    if let Some(traceback) = traceback {
        let _ = value.setattr("__traceback__", traceback);
    }
    value
}

/// The one conversion of an error of the watcher into Python's: a
/// `jurigged.WatchError` (an `OSError`) with the system's errno when it gave
/// one, and, when a system limit was hit, what to do about it. Every path
/// that watches uses it: `watch()`, `Watcher`, the command line, `jurigged
/// attach` (through `watch()` in the target), a file watched later, the
/// session's thread and a forked child's new watcher.
pub fn watch_error(error: &jurigged_watch::Error) -> PyErr {
    // Polling needs no watches.
    let hint = if error.limit().is_some() { "; retry with --poll (or watch(poll=True))" } else { "" };
    let message = format!("{error}{hint}");
    match io_errno(error) {
        Some(errno) => WatchError::new_err((errno, message)),
        None => WatchError::new_err(message),
    }
}

/// The errno under a watcher error, if the system gave one.
fn io_errno(error: &jurigged_watch::Error) -> Option<i32> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return io.raw_os_error();
        }
        if let Some(notify::ErrorKind::Io(io)) = cause.downcast_ref::<notify::Error>().map(|e| &e.kind) {
            return io.raw_os_error();
        }
        source = cause.source();
    }
    None
}
