//! Where Rust meets the program: a panic of ours must never unwind into Python
//! (pyo3 would raise `PanicException`, which `except Exception` does not catch)
//! nor end a watcher thread.
//!
//! Every entry from Python carries `#[jurigged_entry::py_entry]`, which runs its
//! body in [`entry`] or [`entry_value`]; threads of ours use [`guard`].

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::PyResult;

use crate::py_exceptions::PatchError;

/// Runs `f`; a panic inside comes back as its message.
pub fn guard<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| panic_message(panic.as_ref()))
}

/// Runs `f` for a caller in Python; a panic inside becomes a `PatchError` (an
/// `Exception`).
pub fn entry<R>(f: impl FnOnce() -> PyResult<R>) -> PyResult<R> {
    guard(f).unwrap_or_else(|message| Err(internal_error(&message)))
}

/// As [`entry`], for a body that cannot fail otherwise.
pub fn entry_value<R>(f: impl FnOnce() -> R) -> PyResult<R> {
    guard(f).map_err(|message| internal_error(&message))
}

fn internal_error(message: &str) -> pyo3::PyErr {
    PatchError::new_err(format!("internal error of jurigged: {message}"))
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_the_boundary_comes_back_as_its_message() {
        assert_eq!(guard(|| 2 + 2), Ok(4));
        let failed = guard(|| -> u32 { panic!("bad state at {}", 3) });
        assert_eq!(failed, Err("bad state at 3".to_string()));
        let text = "é";
        let failed = guard(|| text[..1].len());
        assert!(failed.unwrap_err().contains("char boundary"));
    }

    #[test]
    fn a_panic_at_an_entry_from_python_becomes_a_patch_error_an_ordinary_exception() {
        pyo3::Python::attach(|py| {
            let error = entry(|| -> PyResult<()> { panic!("bad state") }).unwrap_err();
            assert!(error.is_instance_of::<PatchError>(py));
            assert!(error.is_instance_of::<pyo3::exceptions::PyException>(py));
            assert!(error.to_string().contains("internal error of jurigged: bad state"));
            let error = entry_value(|| -> u32 { panic!("in a getter") }).unwrap_err();
            assert!(error.is_instance_of::<PatchError>(py));
            assert_eq!(entry_value(|| 7).ok(), Some(7));
        });
    }
}
