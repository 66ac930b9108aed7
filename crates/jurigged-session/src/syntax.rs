//! A save that does not parse is reported as CPython reports it: our parser
//! finds that a file is not Python, but where CPython would point (an unclosed
//! bracket at its opening line, not at the end of the file) and its wording are
//! what a Python programmer expects.

use std::path::Path;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Files larger than this keep our parser's error: compiling holds the GIL,
/// and the program must not stall on a huge broken save.
const LARGEST_COMPILED: usize = 2 << 20;

/// CPython's `SyntaxError` for `bytes` (the saved file), when its compiler can
/// be given them safely and quickly and raises one; else None (ours stands).
pub fn cpython_syntax_error(py: Python<'_>, path: &Path, bytes: &[u8]) -> Option<PyErr> {
    if bytes.len() > LARGEST_COMPILED {
        return None;
    }
    let (text, _) = jurigged_deftree::decode_source(bytes, path).ok()?;
    if !jurigged_deftree::within_cpython_limits(&text) {
        return None;
    }
    // Compiled, never run; from the bytes, so that a coding declaration applies.
    let compiled = py.import("builtins").ok()?.getattr("compile").ok()?.call1((
        PyBytes::new(py, bytes),
        path.as_os_str(),
        "exec",
        0,
        true,
    ));
    match compiled {
        Err(error) if error.is_instance_of::<pyo3::exceptions::PySyntaxError>(py) => Some(error),
        _ => None,
    }
}
