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
/// that a coding declaration applies.
///
/// Under the program's warning filters as they are, as every compile of a save
/// is: the warnings CPython emits on the way (an invalid escape sequence) are
/// the file's, as at its import, and `-W error` makes the first of them the
/// error, as it would at import. The filters cannot be put aside meanwhile:
/// this is the save thread, and CPython lets go of the GIL while it compiles a
/// broken file (it reads the error's line from the file), so the program's
/// threads would run with them (issue 20).
pub fn cpython_syntax_error(py: Python<'_>, path: &Path, bytes: &[u8]) -> Option<PyErr> {
    let options = PyDict::new(py);
    options.set_item("dont_inherit", true).ok()?;
    let compile = py.import("builtins").ok()?.getattr("compile").ok()?;
    match compile.call((PyBytes::new(py, bytes), path.as_os_str(), "exec"), Some(&options)) {
        Err(error) if error.is_instance_of::<pyo3::exceptions::PySyntaxError>(py) => Some(error),
        _ => None,
    }
}
