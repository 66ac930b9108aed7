//! The exceptions Python sees, and exceptions as Python code holds them.

use pyo3::prelude::*;

pub use jurigged_patch::{ConformException, OutOfSyncException, PatchError, StaleException};

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
