//! `jurigged.Event`: what happened to the running program.

use pyo3::prelude::*;

use crate::definition::Definition;
use crate::errors::{exception_value, to_py_err};

/// One applied operation: `Update pkg.mod.Shape.area @L12`, `Add pkg.mod.g @L30`,
/// `Delete pkg.mod.f @L3`, `Run pkg.mod @L42: print("hi")`, or an error.
///
/// Operations are handed out as the original's classes, which extend this one
/// (see `operations.rs`).
#[pyclass(module = "jurigged", frozen, subclass)]
pub struct Event {
    /// "watch", "update", "add", "delete", "run" or "error".
    #[pyo3(get)]
    kind: String,
    /// Dotted path of the definition (of its scope, for a statement).
    #[pyo3(get)]
    path: String,
    /// The file.
    #[pyo3(get)]
    filename: String,
    /// The first line concerned, in the file as it is now.
    #[pyo3(get)]
    line: u32,
    /// For a statement, its first line of code.
    #[pyo3(get)]
    code: Option<String>,
    /// For an error, the exception.
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
    /// The one-line form, `str(event)`.
    text: String,
}

#[pymethods]
impl Event {
    #[pyo3(name = "__str__")]
    fn str_(&self) -> String {
        self.text.clone()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(format!("<{} {}>", slf.get_type().name()?, slf.get().text))
    }

    /// The CodeFile of the file, when the registry tracks it (the original's
    /// `operation.codefile`).
    #[getter]
    fn codefile(&self, py: Python<'_>) -> Option<Py<crate::codefile::PyCodeFile>> {
        let registry = crate::session::registry(py).ok()?;
        registry.get().lookup(py, std::path::Path::new(&self.filename))
    }

    /// What the operation concerns, as a `jurigged.codetools.Definition` (the
    /// original's `operation.defn`); None for watch and error events.
    #[getter]
    fn defn(&self, py: Python<'_>) -> PyResult<Option<Py<Definition>>> {
        use jurigged_deftree::Kind;
        let kind = match self.kind.as_str() {
            "run" => Kind::Line,
            "update" | "add" | "delete" => self.definition_kind(py),
            _ => return Ok(None),
        };
        Definition::create(py, kind, &self.path, &self.filename, self.line, self.code.clone()).map(Some)
    }
}

impl Event {
    /// The kind, lowercase.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The exception of an error event.
    pub fn error(&self) -> Option<&Py<PyAny>> {
        self.error.as_ref()
    }

    /// The event's one-line form.
    pub fn __str__(&self) -> String {
        self.text.clone()
    }

    /// Dotted path of the definition (of the scope, for a statement).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the definition is a class or a function: the live tree says,
    /// and a deleted one is taken for a function unless a class is named so.
    fn definition_kind(&self, py: Python<'_>) -> jurigged_deftree::Kind {
        use jurigged_deftree::Kind;
        let found = self.codefile(py).and_then(|codefile| {
            let file = codefile.bind(py).try_borrow().ok()?;
            let kind = file.tree().find(&self.path).next().map(|node| node.kind());
            kind
        });
        found.unwrap_or(Kind::Function)
    }
}

impl Event {
    /// `Watch <file>`: a file is now watched.
    pub fn watch(filename: &std::path::Path) -> Event {
        let filename = filename.display().to_string();
        Event {
            kind: "watch".into(),
            path: String::new(),
            text: format!("Watch {filename}"),
            filename,
            line: 0,
            code: None,
            error: None,
        }
    }

    /// An error that concerns a whole file (unreadable, deleted, does not parse).
    pub fn file_error(py: Python<'_>, filename: &std::path::Path, error: PyErr) -> Event {
        let filename = filename.display().to_string();
        let text = format!("Error {filename}: {}", error.value(py));
        Event {
            kind: "error".into(),
            path: String::new(),
            filename,
            line: 0,
            code: None,
            error: Some(exception_value(py, error).into_any().unbind()),
            text,
        }
    }

    /// Converts an event of the patch crate, making its error a Python exception.
    pub fn from_rust(py: Python<'_>, event: jurigged_patch::Event) -> Event {
        let text = event.to_string();
        let error = event.error.map(|e| exception_value(py, to_py_err(py, e)).into_any().unbind());
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
