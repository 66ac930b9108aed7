//! `jurigged.Event`: what happened to the running program.

use std::collections::HashMap;

use jurigged_deftree::Kind;
use pyo3::prelude::*;

use crate::definition::Definition;
use crate::errors::exception_value;

/// What an event tells: the same kinds from the patcher to the loggers, the
/// develoop and Python (`Event.kind`, a lowercase word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A file is now watched.
    Watch,
    /// A function got new code in place, or a definition changed.
    Update,
    /// A definition was added (or run again).
    Add,
    /// A definition was deleted.
    Delete,
    /// A statement ran.
    Run,
    /// Something could not be applied.
    Error,
}

impl EventKind {
    /// The lowercase word Python sees as `event.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Watch => "watch",
            EventKind::Update => "update",
            EventKind::Add => "add",
            EventKind::Delete => "delete",
            EventKind::Run => "run",
            EventKind::Error => "error",
        }
    }

    fn of_patch(kind: jurigged_patch::EventKind) -> EventKind {
        match kind {
            jurigged_patch::EventKind::Update => EventKind::Update,
            jurigged_patch::EventKind::Add => EventKind::Add,
            jurigged_patch::EventKind::Delete => EventKind::Delete,
            jurigged_patch::EventKind::Run => EventKind::Run,
            jurigged_patch::EventKind::Error => EventKind::Error,
        }
    }
}

/// One applied operation: `Update pkg.mod.Shape.area @L12`, `Add pkg.mod.g @L30`,
/// `Delete pkg.mod.f @L3`, `Run pkg.mod @L42: print("hi")`, or an error.
///
/// Operations are handed out as the original's classes, which extend this one
/// (see `operations.rs`).
#[pyclass(module = "jurigged", frozen, subclass)]
pub struct Event {
    /// What happened.
    kind: EventKind,
    /// Whether the definition concerned is a class or a function (None for
    /// watch and error events, a module scope for statements).
    definition: Option<Kind>,
    /// The CodeFile whose change this is, when known.
    codefile: Option<Py<PyAny>>,
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

    /// "watch", "update", "add", "delete", "run" or "error".
    #[getter(kind)]
    fn kind_word(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The CodeFile whose change this is (the original's `operation.codefile`).
    #[getter]
    fn codefile(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.codefile.as_ref().map(|c| c.clone_ref(py))
    }

    /// What the operation concerns, as a `jurigged.codetools.Definition` (the
    /// original's `operation.defn`); None for watch and error events.
    #[getter]
    fn defn(&self, py: Python<'_>) -> PyResult<Option<Py<Definition>>> {
        let Some(kind) = self.definition else { return Ok(None) };
        Definition::create(py, kind, &self.path, &self.filename, self.line, self.code.clone()).map(Some)
    }
}

impl Event {
    /// What happened.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The same event, as a change of `codefile`.
    pub fn of_file(mut self, codefile: Py<PyAny>) -> Event {
        self.codefile = Some(codefile);
        self
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
}

impl Event {
    /// `Watch <file>`: a file is now watched.
    pub fn watch(filename: &std::path::Path) -> Event {
        let filename = filename.display().to_string();
        Event {
            kind: EventKind::Watch,
            definition: None,
            codefile: None,
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
            kind: EventKind::Error,
            definition: None,
            codefile: None,
            path: String::new(),
            filename,
            line: 0,
            code: None,
            error: Some(exception_value(py, error).into_any().unbind()),
            text,
        }
    }

    /// Converts the events of one change of the patch crate, making errors
    /// Python exceptions; `tree` is the file's live tree after the change, which
    /// says whether each definition concerned is a class or a function (one no
    /// longer there is taken for a function). The tree is walked once, whatever
    /// the number of events.
    pub fn all_from_rust(
        py: Python<'_>,
        events: Vec<jurigged_patch::Event>,
        tree: &jurigged_deftree::DefTree,
    ) -> Vec<Event> {
        if events.is_empty() {
            return Vec::new();
        }
        let mut kinds: HashMap<&str, Kind> = HashMap::new();
        for node in tree.definitions() {
            kinds.entry(node.path()).or_insert(node.kind());
        }
        events.into_iter().map(|event| Event::from_rust(py, event, &kinds)).collect()
    }

    fn from_rust(py: Python<'_>, event: jurigged_patch::Event, kinds: &HashMap<&str, Kind>) -> Event {
        let text = event.to_string();
        let kind = EventKind::of_patch(event.kind);
        let definition = match kind {
            EventKind::Run => Some(Kind::Line),
            EventKind::Update | EventKind::Add | EventKind::Delete => {
                Some(kinds.get(event.path.as_str()).copied().unwrap_or(Kind::Function))
            }
            EventKind::Watch | EventKind::Error => None,
        };
        let error = event.error.map(|e| exception_value(py, PyErr::from(e)).into_any().unbind());
        Event {
            kind,
            definition,
            codefile: None,
            path: event.path,
            filename: event.filename.display().to_string(),
            line: event.line,
            code: event.code,
            error,
            text,
        }
    }
}
