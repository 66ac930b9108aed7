//! The original's operation classes: `UpdateOperation`, `AddOperation` and
//! `DeleteOperation` (`jurigged.codetools`), `WatchOperation` (`jurigged.live`).
//!
//! Each extends [`Event`], so an event is at once what the original handed to
//! loggers (`isinstance(event, AddOperation)`, `event.defn`, `event.codefile`,
//! `str(event)` the log line) and what this package documents (`event.kind`,
//! `event.path`, ...). A statement that ran is an `AddOperation`, as in the
//! original.

use std::path::PathBuf;

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

/// `Operation(codefile, defn)`, as the original's dataclasses are made (a
/// client's logger may be handed one it made itself).
fn made_by_hand(
    kind: EventKind,
    codefile: Py<PyAny>,
    defn: &Bound<'_, Definition>,
) -> PyClassInitializer<CodeFileOperation> {
    operation(Event::of_definition(kind, defn.get(), codefile))
}

#[jurigged_entry::py_entry]
#[pymethods]
impl UpdateOperation {
    #[new]
    fn new(codefile: Py<PyAny>, defn: &Bound<'_, Definition>) -> PyClassInitializer<UpdateOperation> {
        made_by_hand(EventKind::Update, codefile, defn).add_subclass(UpdateOperation)
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl AddOperation {
    #[new]
    fn new(codefile: Py<PyAny>, defn: &Bound<'_, Definition>) -> PyClassInitializer<AddOperation> {
        made_by_hand(EventKind::Add, codefile, defn).add_subclass(AddOperation)
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl DeleteOperation {
    #[new]
    fn new(codefile: Py<PyAny>, defn: &Bound<'_, Definition>) -> PyClassInitializer<DeleteOperation> {
        made_by_hand(EventKind::Delete, codefile, defn).add_subclass(DeleteOperation)
    }
}

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

/// The Python object for `event`: an instance of the operation class of its
/// kind, or a plain Event (errors).
pub fn to_python(py: Python<'_>, event: Event) -> PyResult<Py<Event>> {
    let object = match event.kind() {
        EventKind::Update => Py::new(py, operation(event).add_subclass(UpdateOperation))?.into_any(),
        EventKind::Add | EventKind::Run | EventKind::Rerun => {
            Py::new(py, operation(event).add_subclass(AddOperation))?.into_any()
        }
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
