//! The exceptions of jurigged, and the one conversion of this crate's errors
//! into them.

use pyo3::exceptions::{PyException, PyOSError, PyPermissionError, PySyntaxError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use crate::Error;

pyo3::create_exception!(jurigged, PatchError, PyException, "A change could not be applied to the running program.");
pyo3::create_exception!(
    jurigged,
    ConformException,
    PatchError,
    "A function's new code cannot replace its old code in place (its free variables differ)."
);
pyo3::create_exception!(
    jurigged,
    StaleException,
    PatchError,
    "The file changed on disk since it was read: writing it would lose those edits."
);
pyo3::create_exception!(
    jurigged,
    OutOfSyncException,
    StaleException,
    "A recoder's definitions were changed by something else (a save, another recoder, revert()) since its patch: \
     committing would write code it did not make."
);

/// `jurigged.ReadOnlyError`: a commit refused because the file is read-only.
/// Both a `PatchError` (ours) and a `PermissionError` (with the errno, message
/// and filename a write would have got), so either `except` catches it.
pub fn read_only_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    static TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    TYPE.get_or_try_init(py, || {
        // Two bases: create_exception! takes one. PatchError adds no fields, so
        // it combines with OSError's layout.
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "jurigged")?;
        namespace
            .set_item("__doc__", "The file is read-only: a commit would have to force it; nothing was written.")?;
        let bases = (py.get_type::<PatchError>(), py.get_type::<PyPermissionError>());
        let made = py.import("builtins")?.getattr("type")?.call1(("ReadOnlyError", bases, namespace))?;
        Ok(made.cast_into::<PyType>()?.unbind())
    })
    .map(|t| t.bind(py))
}

/// An error of this crate as the Python exception users expect: a
/// `ConformException`, `StaleException` or `PatchError`, Python's own exception
/// for a Python error, `OSError` (with its errno) for a file (`ReadOnlyError`
/// for a read-only one), `SyntaxError` (with its place and line) for a source
/// that does not parse.
impl From<Error> for PyErr {
    fn from(error: Error) -> PyErr {
        error_to_python(error)
    }
}

fn error_to_python(error: Error) -> PyErr {
    use jurigged_deftree::Error as ParseError;
    let message = error.to_string();
    match error {
        Error::Conform { .. } => ConformException::new_err(message),
        Error::Stale { .. } => StaleException::new_err(message),
        Error::Missing { .. } | Error::Follow { .. } => PatchError::new_err(message),
        Error::Python { error, .. } | Error::Interpreter(error) => error,
        Error::ReadOnly { filename, error } => {
            let strerror = "the file is read-only; not written";
            let arguments = (error.raw_os_error().unwrap_or(0), strerror, filename.into_os_string());
            Python::attach(|py| match read_only_error_type(py) {
                Ok(kind) => PyErr::from_type(kind.clone(), arguments),
                Err(error) => error,
            })
        }
        Error::Io { filename, error } => {
            PyOSError::new_err((error.raw_os_error().unwrap_or(0), error.to_string(), filename.into_os_string()))
        }
        Error::Parse(ParseError::Syntax { filename, line, column, message: detail }) => {
            // Only a regular file is read: a FIFO there would block.
            let source = crate::read_source(&filename).ok().and_then(|bytes| String::from_utf8(bytes).ok());
            let text = source.and_then(|t| {
                jurigged_deftree::newlines::lines(&t)
                    .nth(line.saturating_sub(1) as usize)
                    .map(|l| shown_line(l, column))
            });
            PySyntaxError::new_err((detail, (filename.into_os_string(), line, column + 1, text)))
        }
        Error::Parse(other) => PySyntaxError::new_err(other.to_string()),
    }
}

/// The line quoted under a syntax error, cut after the error's column when it is
/// long: a save of one 10 MB line must not print 10 MB.
fn shown_line(line: &str, column: u32) -> String {
    let keep = (column as usize).saturating_add(80).max(200);
    if line.len() <= keep {
        return line.to_string();
    }
    let mut end = keep;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} ... ({} more bytes)", &line[..end], line.len() - end)
}

#[cfg(test)]
mod tests {
    use super::shown_line;

    #[test]
    fn a_long_line_under_a_syntax_error_is_cut_after_the_column() {
        assert_eq!(shown_line("x = (", 4), "x = (");
        let long = format!("x = {}", "é(".repeat(10_000));
        let shown = shown_line(&long, 0);
        assert!(shown.len() < 300 && shown.starts_with("x = é(") && shown.ends_with("more bytes)"), "{shown}");
        assert!(shown_line(&long, 5_000).len() > 5_000);
    }
}
