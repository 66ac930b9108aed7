//! The `jurigged` Python package: `jurigged._jurigged`, the native module behind
//! `python/jurigged/`. Bindings only: every class and function is defined in
//! `jurigged-session` (the live session) or `jurigged-develoop` (the develoop)
//! and registered here.

use jurigged_develoop as develoop;
use jurigged_session::{
    self as session, cli, read_only_error_type, AutoRegistration, ConformException, Event, EventSource, GlobFilter,
    ImportSniffer, OutOfSyncException, PatchError, PyCodeFile, PyWatcher, Recoder, Registry, StaleException,
    WatchError,
};
use pyo3::prelude::*;

// `#[py_entry]` runs each entry from Python inside `crate::boundary`.
use jurigged_session::boundary;

// Parsing a save allocates and frees a tree per version of a file: mimalloc does
// that markedly faster than the system allocator (a third of a 20,000-line save).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs the command line; returns the exit status.
#[jurigged_entry::py_entry]
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> PyResult<i32> {
    cli::main(py, argv, &develoop::Develoop)
}

/// Registers the native module's contents.
///
/// Declared as needing the GIL (`gil_used`): a save's commit swaps code objects
/// in one stretch with no bytecode in between, and the fork hooks count on no
/// other thread running, both of which the GIL gives and a free-threaded
/// Python does not. Such a Python re-enables its GIL when it imports the module
/// (and warns) until patching is proven safe without it. The standalone binary
/// embeds this same definition.
#[pymodule(gil_used = true)]
#[pyo3(name = "_jurigged")]
pub fn jurigged_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // What the command line, `jurigged --attach` and `%load_ext jurigged` leave unwatched.
    m.add("DEFAULT_EXCLUDES", session::DEFAULT_EXCLUDES.to_vec())?;
    m.add("PatchError", py.get_type::<PatchError>())?;
    m.add("ConformException", py.get_type::<ConformException>())?;
    m.add("StaleException", py.get_type::<StaleException>())?;
    m.add("OutOfSyncException", py.get_type::<OutOfSyncException>())?;
    m.add("ReadOnlyError", read_only_error_type(py)?)?;
    m.add("WatchError", py.get_type::<WatchError>())?;
    m.add_class::<PyCodeFile>()?;
    m.add_class::<Event>()?;
    m.add_class::<EventSource>()?;
    m.add_class::<Registry>()?;
    m.add_class::<PyWatcher>()?;
    m.add_class::<ImportSniffer>()?;
    m.add_class::<Recoder>()?;
    m.add_class::<GlobFilter>()?;
    m.add_class::<AutoRegistration>()?;
    m.add_class::<develoop::LoopWrapper>()?;
    m.add("registry", session::registry(py)?.clone_ref(py))?;
    m.add_function(wrap_pyfunction!(session::watch, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(session::_tag_logs_with_pid, m)?)?;
    m.add_function(wrap_pyfunction!(session::conform, m)?)?;
    m.add_function(wrap_pyfunction!(session::heap_scans, m)?)?;
    m.add_function(wrap_pyfunction!(session::find_code, m)?)?;
    m.add_function(wrap_pyfunction!(session::get_functions, m)?)?;
    m.add_function(wrap_pyfunction!(session::make_recoder, m)?)?;
    m.add_function(wrap_pyfunction!(session::virtual_file, m)?)?;
    m.add_function(wrap_pyfunction!(session::glob_filter, m)?)?;
    m.add_function(wrap_pyfunction!(session::add_sniffer, m)?)?;
    m.add_function(wrap_pyfunction!(develoop::develoop_function, m)?)?;
    m.add_function(wrap_pyfunction!(develoop::xloop, m)?)?;
    session::add_loggers(m)?;
    session::add_operation_classes(m)?;
    session::add_definition_classes(m)?;
    Ok(())
}
