//! `jurigged.EventSource`: a list of callbacks, called in order.

use std::sync::Mutex;

use jurigged_watch::sync::lock;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::{PyTraverseError, PyVisit};

/// Callbacks to call when something happens: `source.register(fn)` (also as a
/// decorator), `source.unregister(fn)`, `source(*args)` calls them all.
///
/// Made with `save_history=True` (as the original's), it keeps every call's
/// arguments and replays them to a callback registered later: a watcher made
/// after its registry prepared files still hears of each one.
#[pyclass(module = "jurigged", frozen)]
#[derive(Default)]
pub struct EventSource {
    callbacks: Mutex<Vec<Py<PyAny>>>,
    /// The arguments of every call so far, when the history is kept.
    history: Option<Mutex<Vec<Py<PyTuple>>>>,
}

impl EventSource {
    fn callbacks(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        lock(&self.callbacks).iter().map(|c| c.clone_ref(py)).collect()
    }

    /// Calls every callback with `args`; a callback that raises is reported on
    /// stderr and the others still run.
    pub fn emit(&self, py: Python<'_>, args: Vec<Py<PyAny>>) {
        let Ok(args) = PyTuple::new(py, args) else { return };
        self.emit_tuple(py, &args);
    }

    /// An event source that replays past calls to new callbacks.
    pub fn with_history() -> EventSource {
        EventSource { callbacks: Mutex::default(), history: Some(Mutex::default()) }
    }

    fn emit_tuple(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) {
        if let Some(history) = &self.history {
            lock(history).push(args.clone().unbind());
        }
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
    #[pyo3(signature = (*, save_history = false))]
    fn new(save_history: bool) -> Self {
        if save_history {
            EventSource::with_history()
        } else {
            EventSource::default()
        }
    }

    /// Adds a callback; returns it, so that this works as a decorator. With a
    /// history (and `apply_history`), the callback is first called with the
    /// arguments of every past call.
    #[pyo3(signature = (callback, apply_history = true))]
    pub fn register(&self, py: Python<'_>, callback: Py<PyAny>, apply_history: bool) -> Py<PyAny> {
        if let (Some(history), true) = (&self.history, apply_history) {
            // Copied out: the callback runs Python with no lock held.
            let past: Vec<Py<PyTuple>> = lock(history).iter().map(|a| a.clone_ref(py)).collect();
            for args in past {
                if let Err(error) = callback.call1(py, args.bind(py)) {
                    error.print(py);
                }
            }
        }
        let returned = callback.clone_ref(py);
        lock(&self.callbacks).push(callback);
        returned
    }

    /// Removes a callback.
    pub fn unregister(&self, py: Python<'_>, callback: &Bound<'_, PyAny>) {
        // The removed callbacks are dropped after the lock is let go: dropping
        // the last reference runs Python (a `__del__`) that may use this source.
        let removed: Vec<Py<PyAny>> = {
            let mut callbacks = lock(&self.callbacks);
            let (removed, kept) = std::mem::take(&mut *callbacks).into_iter().partition(|c| c.bind(py).is(callback));
            *callbacks = kept;
            removed
        };
        drop(removed);
    }

    #[pyo3(signature = (*args))]
    fn __call__(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) {
        self.emit_tuple(py, args);
    }

    fn __len__(&self) -> usize {
        lock(&self.callbacks).len()
    }

    /// Shows the collector the callbacks: a callback that holds what holds
    /// this source (a recoder's `on_status` callback naming the recoder) is a
    /// cycle it can free.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // Never waits: a collection can start on a thread that holds the lock.
        if let Ok(callbacks) = self.callbacks.try_lock() {
            for callback in callbacks.iter() {
                visit.call(callback)?;
            }
        }
        Ok(())
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

/// `registry.precache_activity`: called with (module name, filename) for each
/// file the process starts tracking, past ones replayed to a late callback.
pub fn precache_activity(py: Python<'_>) -> PyResult<&'static Py<EventSource>> {
    static PRECACHE: std::sync::OnceLock<Py<EventSource>> = std::sync::OnceLock::new();
    if let Some(precache) = PRECACHE.get() {
        return Ok(precache);
    }
    let created = Py::new(py, EventSource::with_history())?;
    Ok(PRECACHE.get_or_init(|| created))
}

/// What hears of the events of a change made through the API
/// (`CodeFile.refresh`, `merge`, `update`, a Recoder's patch): set once, by
/// `py_registry`, to tell the registries of clients' own that hold the file.
type HandMadeListener = fn(Python<'_>, &std::path::Path, &[Py<crate::py_event::Event>]);

static HAND_MADE: std::sync::OnceLock<HandMadeListener> = std::sync::OnceLock::new();

/// Sets what hears of the changes made through the API (the first call wins).
pub fn on_hand_made_changes(listener: HandMadeListener) {
    let _ = HAND_MADE.set(listener);
}

/// Tells the listener set by [`on_hand_made_changes`] of the events of a
/// change of `path` made through the API.
pub fn tell_hand_made(py: Python<'_>, path: &std::path::Path, events: &[Py<crate::py_event::Event>]) {
    if let Some(listener) = HAND_MADE.get() {
        listener(py, path, events);
    }
}

/// Calls the callbacks of `registry.activity` with `event`.
pub fn announce(py: Python<'_>, event: &Py<crate::py_event::Event>) {
    match activity(py) {
        Ok(activity) => activity.get().emit(py, vec![event.clone_ref(py).into_any()]),
        Err(error) => error.print(py),
    }
}
