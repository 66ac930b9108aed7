//! The `jurigged` Python package: `jurigged._jurigged`, the native module behind
//! `python/jurigged/`.

use pyo3::prelude::*;

mod cli;
mod codefile;
mod errors;
mod event;
mod events;
mod logger;
mod session;

pub use codefile::PyCodeFile;
pub use errors::{ConformException, PatchError, StaleException};
pub use event::Event;
pub use events::EventSource;
pub use session::{registry, ImportSniffer, PyWatcher, Registry};

/// Gives `new` (a function or a code object) to `target`: a function gets the new
/// code (and, from a function, its defaults and docstring); an object with a
/// `__conform__` method is called with it.
#[pyfunction]
fn conform(py: Python<'_>, target: &Bound<'_, PyAny>, new: &Bound<'_, PyAny>) -> PyResult<()> {
    jurigged_patch::conform(target, new).map_err(|e| errors::to_py_err(py, e))
}

/// How many times jurigged scanned the heap for the users of changed code.
#[pyfunction]
fn heap_scans() -> usize {
    jurigged_patch::registry::registry().heap_scans()
}

/// Registers the native module's contents.
#[pymodule]
#[pyo3(name = "_jurigged")]
pub fn jurigged_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyCodeFile>()?;
    m.add_class::<Event>()?;
    m.add("PatchError", py.get_type::<PatchError>())?;
    m.add("ConformException", py.get_type::<ConformException>())?;
    m.add("StaleException", py.get_type::<StaleException>())?;
    m.add_function(wrap_pyfunction!(conform, m)?)?;
    m.add_function(wrap_pyfunction!(heap_scans, m)?)?;
    m.add_class::<EventSource>()?;
    m.add_class::<Registry>()?;
    m.add_class::<PyWatcher>()?;
    m.add_class::<ImportSniffer>()?;
    m.add("registry", registry(py)?.clone_ref(py))?;
    m.add_function(wrap_pyfunction!(session::watch, m)?)?;
    m.add_function(wrap_pyfunction!(cli::cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(logger::default_logger, m)?)?;
    m.add_function(wrap_pyfunction!(logger::verbose_logger, m)?)?;
    Ok(())
}
