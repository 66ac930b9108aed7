//! The `jurigged` Python package: `jurigged._jurigged`, the native module behind
//! `python/jurigged/`.

use pyo3::prelude::*;

// Parsing a save allocates and frees a tree per version of a file: mimalloc does
// that markedly faster than the system allocator (a third of a 20,000-line save).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use jurigged_develoop as develoop;
use jurigged_session::{cli, definition, errors, logger, operations, recoder, session};
use jurigged_session::{
    registry, ConformException, Event, EventSource, ImportSniffer, OutOfSyncException, PatchError, PyCodeFile,
    PyWatcher, Registry, StaleException,
};

/// Gives `new` (a function or a code object) to `target`: a function gets the new
/// code (and, from a function, its defaults and docstring); an object with a
/// `__conform__` method is called with it.
#[pyfunction]
fn conform(py: Python<'_>, target: &Bound<'_, PyAny>, new: &Bound<'_, PyAny>) -> PyResult<()> {
    jurigged_patch::conform(target, new).map_err(|e| errors::to_py_err(py, e))
}

/// The code object defined at `path` (`"Class", "method"`) in `module` (a module
/// or its name) or `filename`, or None. Part of `jurigged.db`.
#[pyfunction]
#[pyo3(signature = (*path, filename = None, module = None))]
fn find_code<'py>(
    py: Python<'py>,
    path: Vec<String>,
    filename: Option<std::path::PathBuf>,
    module: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let module = match module {
        Some(m) if m.is_instance_of::<pyo3::types::PyString>() => {
            Some(py.import("sys")?.getattr("modules")?.get_item(m)?)
        }
        other => other.cloned(),
    };
    let filename = match (filename, &module) {
        (Some(file), _) => file,
        (None, Some(module)) => module.getattr("__file__")?.extract()?,
        (None, None) => return Err(pyo3::exceptions::PyValueError::new_err("find_code needs a filename or a module")),
    };
    let filename = std::path::absolute(&filename).unwrap_or(filename);
    let registry = jurigged_patch::registry::registry();
    let dotted = path.join(".");
    if let Some(code) = registry.find(py, &filename, &dotted, 0) {
        return Ok(Some(code));
    }
    if let Some(module) = module {
        registry.learn_namespace(module.getattr("__dict__")?.cast::<pyo3::types::PyDict>()?, &filename)?;
    }
    Ok(registry.find(py, &filename, &dotted, 0))
}

/// Every function object whose code is `code` (closures made from it included).
/// Part of `jurigged.db`.
#[pyfunction]
fn get_functions<'py>(py: Python<'py>, code: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let function_type = py.import("types")?.getattr("FunctionType")?;
    let referrers = py.import("gc")?.call_method1("get_referrers", (code,))?;
    let mut functions = Vec::new();
    for referrer in referrers.try_iter()? {
        let referrer = referrer?;
        if referrer.get_type().is(&function_type) && referrer.getattr("__code__")?.is(code) {
            functions.push(referrer);
        }
    }
    Ok(functions)
}

/// How many times jurigged scanned the heap for the users of changed code.
#[pyfunction]
fn heap_scans() -> usize {
    jurigged_patch::registry::registry().heap_scans()
}

/// Runs the command line; returns the exit status.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    cli::main(py, argv, &develoop::Develoop)
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
    m.add("OutOfSyncException", py.get_type::<OutOfSyncException>())?;
    m.add_function(wrap_pyfunction!(conform, m)?)?;
    m.add_function(wrap_pyfunction!(heap_scans, m)?)?;
    m.add_class::<EventSource>()?;
    m.add_class::<Registry>()?;
    m.add_class::<PyWatcher>()?;
    m.add_class::<ImportSniffer>()?;
    m.add("registry", registry(py)?.clone_ref(py))?;
    m.add_function(wrap_pyfunction!(session::watch, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(find_code, m)?)?;
    m.add_function(wrap_pyfunction!(get_functions, m)?)?;
    m.add_function(wrap_pyfunction!(recoder::make_recoder, m)?)?;
    m.add_function(wrap_pyfunction!(recoder::virtual_file, m)?)?;
    m.add_function(wrap_pyfunction!(session::glob_filter, m)?)?;
    m.add_class::<recoder::Recoder>()?;
    m.add_function(wrap_pyfunction!(develoop::develoop_function, m)?)?;
    m.add_function(wrap_pyfunction!(develoop::xloop, m)?)?;
    m.add_class::<develoop::LoopWrapper>()?;
    m.add_class::<session::GlobFilter>()?;
    m.add_class::<session::AutoRegistration>()?;
    logger::add_loggers(m)?;
    operations::add_classes(m)?;
    definition::add_classes(m)?;
    Ok(())
}
