//! `jurigged.Event`: what happened to the running program.

use pyo3::prelude::*;

use crate::errors::to_py_err;

/// One applied operation: `Update pkg.mod.Shape.area @L12`, `Add pkg.mod.g @L30`,
/// `Delete pkg.mod.f @L3`, `Run pkg.mod @L42: print("hi")`, or an error.
#[pyclass(module = "jurigged", frozen, get_all)]
pub struct Event {
    /// "update", "add", "delete", "run", "shift" or "error".
    kind: String,
    /// Dotted path of the definition (of its scope, for a statement).
    path: String,
    /// The file.
    filename: String,
    /// The first line concerned, in the file as it is now.
    line: u32,
    /// For a statement, its first line of code.
    code: Option<String>,
    /// For an error, the exception.
    error: Option<Py<PyAny>>,
    text: String,
}

#[pymethods]
impl Event {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!("<jurigged.Event {}>", self.text)
    }
}

impl Event {
    /// Converts an event of the patch crate, making its error a Python exception.
    pub fn from_rust(py: Python<'_>, event: jurigged_patch::Event) -> Event {
        let text = event.to_string();
        let error = event.error.map(|e| to_py_err(py, e).into_value(py).into_any());
        Event {
            kind: event.kind.as_str().to_lowercase(),
            path: event.path,
            filename: event.filename.display().to_string(),
            line: event.line,
            code: event.code,
            error,
            text,
        }
    }
}
