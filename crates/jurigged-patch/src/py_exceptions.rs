//! The exceptions of jurigged, and the one conversion of this crate's errors
//! into them.

use pyo3::exceptions::{PyException, PyOSError, PySyntaxError};
use pyo3::PyErr;

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

/// An error of this crate as the Python exception users expect: a
/// `ConformException`, `StaleException` or `PatchError`, Python's own exception
/// for a Python error, `OSError` (with its errno) for a file, `SyntaxError`
/// (with its place and line) for a source that does not parse.
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
