//! The original's operation classes: `UpdateOperation`, `AddOperation` and
//! `DeleteOperation` (`jurigged.codetools`), `WatchOperation` (`jurigged.live`).
//!
//! Each extends [`Event`], so an event is at once what the original handed to
//! loggers (`isinstance(event, AddOperation)`, `event.defn`, `event.codefile`,
//! `str(event)` the log line) and what this package documents (`event.kind`,
//! `event.path`, ...). A statement that ran is an `AddOperation`, as in the
//! original.

use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;

use crate::py_definition::Definition;
use crate::py_event::Event;
use jurigged_patch::EventKind;

/// An operation on a definition of a CodeFile.
#[pyclass(module = "jurigged.codetools", extends = Event, frozen, subclass)]
pub struct CodeFileOperation;

/// A function got new code in place, or a definition changed.
#[pyclass(module = "jurigged.codetools", extends = CodeFileOperation, frozen, subclass)]
pub struct UpdateOperation;

/// A definition was added (or re-executed), or a statement ran.
#[pyclass(module = "jurigged.codetools", extends = CodeFileOperation, frozen, subclass)]
pub struct AddOperation;

/// A definition was deleted.
#[pyclass(module = "jurigged.codetools", extends = CodeFileOperation, frozen, subclass)]
pub struct DeleteOperation;

/// A file is now watched.
#[pyclass(module = "jurigged.live", extends = Event, frozen, subclass)]
pub struct WatchOperation;

#[jurigged_entry::py_entry]
#[pymethods]
impl WatchOperation {
    /// `WatchOperation(filename)`, as the original's dataclass is made (a
    /// client's logger may be handed one it made itself).
    #[new]
    fn new(filename: PathBuf) -> PyClassInitializer<WatchOperation> {
        PyClassInitializer::from(Event::watch(&filename, "")).add_subclass(WatchOperation)
    }
}

/// An operation a client makes itself, of `kind`, as the original's dataclass
/// (`codefile`, `defn`): the definition is required, it makes the line.
fn made_by_hand(
    kind: EventKind,
    codefile: Option<Py<PyAny>>,
    defn: Option<&Bound<'_, Definition>>,
) -> PyResult<PyClassInitializer<CodeFileOperation>> {
    let defn =
        defn.ok_or_else(|| PyTypeError::new_err("an operation is made with codefile= and defn= (a definition)"))?;
    Ok(operation(Event::of_definition(kind, codefile, defn)?))
}

#[jurigged_entry::py_entry]
#[pymethods]
impl UpdateOperation {
    /// `UpdateOperation(codefile=cf, defn=d)`, as the original's dataclass is
    /// made (a client's logger may be handed one it made itself).
    #[new]
    #[pyo3(signature = (codefile = None, defn = None))]
    fn new(codefile: Option<Py<PyAny>>, defn: Option<&Bound<'_, Definition>>) -> PyResult<PyClassInitializer<Self>> {
        Ok(made_by_hand(EventKind::Update, codefile, defn)?.add_subclass(UpdateOperation))
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl AddOperation {
    /// `AddOperation(codefile=cf, defn=d)`: a statement's is its run
    /// (`Run pkg.mod @L42: ...`), as in the original.
    #[new]
    #[pyo3(signature = (codefile = None, defn = None))]
    fn new(codefile: Option<Py<PyAny>>, defn: Option<&Bound<'_, Definition>>) -> PyResult<PyClassInitializer<Self>> {
        Ok(made_by_hand(EventKind::Add, codefile, defn)?.add_subclass(AddOperation))
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl DeleteOperation {
    /// `DeleteOperation(codefile=cf, defn=d)`.
    #[new]
    #[pyo3(signature = (codefile = None, defn = None))]
    fn new(codefile: Option<Py<PyAny>>, defn: Option<&Bound<'_, Definition>>) -> PyResult<PyClassInitializer<Self>> {
        Ok(made_by_hand(EventKind::Delete, codefile, defn)?.add_subclass(DeleteOperation))
    }
}

/// The Python object for `event`: an instance of the operation class of its
/// kind, or a plain Event (errors).
pub fn to_python(py: Python<'_>, event: Event) -> PyResult<Py<Event>> {
    let object = match event.kind() {
        EventKind::Update => Py::new(py, operation(event).add_subclass(UpdateOperation))?.into_any(),
        EventKind::Add | EventKind::Run => Py::new(py, operation(event).add_subclass(AddOperation))?.into_any(),
        EventKind::Delete => Py::new(py, operation(event).add_subclass(DeleteOperation))?.into_any(),
        EventKind::Watch => Py::new(py, PyClassInitializer::from(event).add_subclass(WatchOperation))?.into_any(),
        EventKind::Error | EventKind::Skip | EventKind::Pending => Py::new(py, event)?.into_any(),
    };
    Ok(object.cast_bound::<Event>(py)?.clone().unbind())
}

fn operation(event: Event) -> PyClassInitializer<CodeFileOperation> {
    PyClassInitializer::from(event).add_subclass(CodeFileOperation)
}

/// Every event of a list, as Python objects.
pub fn all_to_python(py: Python<'_>, events: Vec<Event>) -> PyResult<Vec<Py<Event>>> {
    events.into_iter().map(|event| to_python(py, event)).collect()
}

/// Registers the operation classes on the native module.
pub fn add_classes(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<CodeFileOperation>()?;
    module.add_class::<UpdateOperation>()?;
    module.add_class::<AddOperation>()?;
    module.add_class::<DeleteOperation>()?;
    module.add_class::<WatchOperation>()?;
    Ok(())
}
