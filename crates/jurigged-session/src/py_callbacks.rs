//! `jurigged.EventSource`: a list of callbacks, called in order.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Callbacks to call when something happens: `source.register(fn)` (also as a
/// decorator), `source.unregister(fn)`, `source(*args)` calls them all.
#[pyclass(module = "jurigged", frozen)]
#[derive(Default)]
pub struct EventSource {
    callbacks: Mutex<Vec<Py<PyAny>>>,
}

impl EventSource {
    fn callbacks(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        self.callbacks.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|c| c.clone_ref(py)).collect()
    }

    /// Calls every callback with `args`; a callback that raises is reported on
    /// stderr and the others still run.
    pub fn emit(&self, py: Python<'_>, args: Vec<Py<PyAny>>) {
        let Ok(args) = PyTuple::new(py, args) else { return };
        self.emit_tuple(py, &args);
    }

    fn emit_tuple(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) {
        for callback in self.callbacks(py) {
            if let Err(error) = callback.call1(py, args) {
                error.print(py);
            }
        }
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl EventSource {
    #[new]
    fn new() -> Self {
        EventSource::default()
    }

    /// Adds a callback; returns it, so that this works as a decorator.
    pub fn register(&self, callback: Py<PyAny>) -> Py<PyAny> {
        let returned = Python::attach(|py| callback.clone_ref(py));
        self.callbacks.lock().unwrap_or_else(|p| p.into_inner()).push(callback);
        returned
    }

    /// Removes a callback.
    pub fn unregister(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) {
        self.callbacks.lock().unwrap_or_else(|p| p.into_inner()).retain(|c| !c.bind(py).is(callback));
    }

    #[pyo3(signature = (*args))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) {
        self.emit_tuple(py, args);
    }

    fn __len__(&self) -> usize {
        self.callbacks.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// `registry.activity`: called with every event of every session (changes made
/// through the API return their events instead, as in the original).
pub fn activity(py: Python<'_>) -> PyResult<&'static Py<EventSource>> {
    static ACTIVITY: std::sync::OnceLock<Py<EventSource>> = std::sync::OnceLock::new();
    if let Some(activity) = ACTIVITY.get() {
        return Ok(activity);
    }
    let created = Py::new(py, EventSource::default())?;
    Ok(ACTIVITY.get_or_init(|| created))
}

/// Calls the callbacks of `registry.activity` with `event`.
pub fn announce(py: Python<'_>, event: &Py<crate::py_event::Event>) {
    match activity(py) {
        Ok(activity) => activity.get().emit(py, vec![event.clone_ref(py).into_any()]),
        Err(error) => error.print(py),
    }
}
