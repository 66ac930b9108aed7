//! A save that does not parse is reported as CPython reports it: our parser
//! finds that a file is not Python, but where CPython would point (an unclosed
//! bracket at its opening line, not at the end of the file) and its wording are
//! what a Python programmer expects.

use std::path::Path;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// Files larger than this keep our parser's error: compiling holds the GIL,
/// and the program must not stall on a large broken save.
const LARGEST_COMPILED: usize = 256 << 10;

/// Whether CPython's compiler may be asked about `bytes` (a save our parser
/// refused): small enough, decodable, and within the nesting CPython handles.
/// Needs no GIL.
pub fn cpython_can_judge(path: &Path, bytes: &[u8]) -> bool {
    bytes.len() <= LARGEST_COMPILED
        && jurigged_deftree::decode_source(bytes, path)
            .is_ok_and(|(text, _)| jurigged_deftree::within_cpython_limits(&text))
}

/// CPython's `SyntaxError` for `bytes` (a save [`cpython_can_judge`]), or None
/// when it raises none (ours stands). Compiled, never run; from the bytes, so
/// that a coding declaration applies; with warnings silenced, so that neither a
/// warning filter of the program runs nor `-W error` turns one into the error.
pub fn cpython_syntax_error(py: Python<'_>, path: &Path, bytes: &[u8]) -> Option<PyErr> {
    let warnings = py.import("warnings").ok()?;
    let silenced = warnings.call_method0("catch_warnings").ok()?;
    silenced.call_method0("__enter__").ok()?;
    let compiled = warnings.call_method1("simplefilter", ("ignore",)).and_then(|_| {
        let options = PyDict::new(py);
        options.set_item("dont_inherit", true)?;
        py.import("builtins")?
            .getattr("compile")?
            .call((PyBytes::new(py, bytes), path.as_os_str(), "exec"), Some(&options))
    });
    let _ = silenced.call_method1("__exit__", (py.None(), py.None(), py.None()));
    match compiled {
        Err(error) if error.is_instance_of::<pyo3::exceptions::PySyntaxError>(py) => Some(error),
        _ => None,
    }
}
