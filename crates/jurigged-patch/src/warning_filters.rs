//! Warnings silenced for one stretch of the save thread, invisibly to the
//! program.
//!
//! `warnings.catch_warnings` cannot be used off the main thread: it swaps the
//! process-wide `warnings.filters`, and it is Python code, so the GIL can pass
//! to another thread of the program while the swapped list is in place (a
//! program or pytest inside its own `catch_warnings` could end up with ours,
//! every warning ignored). Here the list is swapped by C-level attribute
//! stores and given back when the guard is dropped (on every path, a panic's
//! unwinding included); the caller runs only C code in between (compiling a
//! string, assigning `__code__`), so no bytecode runs and the GIL is not let
//! go while the program's filters are away.

use pyo3::prelude::*;
use pyo3::types::PyList;

/// The program's `warnings.filters`, replaced until this is dropped.
pub(crate) struct SilencedWarnings<'py> {
    warnings: Bound<'py, PyModule>,
    saved: Bound<'py, PyAny>,
}

impl<'py> SilencedWarnings<'py> {
    /// Ignores warnings of `category` (and its subclasses) ahead of the
    /// program's own filters, which apply to every other warning. The caller
    /// must not run Python code (let go of the GIL) before dropping the guard.
    pub(crate) fn ignoring(py: Python<'py>, category: &Bound<'py, PyAny>) -> PyResult<SilencedWarnings<'py>> {
        let warnings = py.import("warnings")?;
        let saved = warnings.getattr("filters")?;
        // (action, message, category, module, lineno), as warnings.simplefilter makes it.
        let ignore = ("ignore", py.None(), category.clone(), py.None(), 0).into_pyobject(py)?;
        let ours = PyList::new(py, [ignore])?;
        if let Ok(theirs) = saved.cast::<PyList>() {
            for filter in theirs.iter() {
                ours.append(filter)?;
            }
        }
        warnings.setattr("filters", ours)?;
        Ok(SilencedWarnings { warnings, saved })
    }
}

impl Drop for SilencedWarnings<'_> {
    fn drop(&mut self) {
        // The very list the program had (its identity included).
        if let Err(error) = self.warnings.setattr("filters", &self.saved) {
            error.print(self.warnings.py());
        }
    }
}
