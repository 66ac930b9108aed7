//! `jurigged.db`'s functions over code objects: conform, find_code,
//! get_functions, and the count of heap scans.

use pyo3::prelude::*;

/// Gives `new` (a function or a code object) to `target`: a function gets the new
/// code (and, from a function, its defaults and docstring); an object with a
/// `__conform__` method is called with it.
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn conform(target: &Bound<'_, PyAny>, new: &Bound<'_, PyAny>) -> PyResult<()> {
    Ok(jurigged_patch::conform(target, new)?)
}

/// The code object defined at `path` (`"Class", "method"`) in `module` (a module
/// or its name) or `filename`, or None. Part of `jurigged.db`.
#[jurigged_entry::py_entry]
#[pyfunction]
#[pyo3(signature = (*path, filename = None, module = None))]
pub fn find_code<'py>(
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
    let filename = jurigged_watch::absolute(&filename);
    let registry = jurigged_patch::code_registry::code_registry();
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
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn get_functions<'py>(py: Python<'py>, code: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
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
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn heap_scans() -> usize {
    jurigged_patch::code_registry::code_registry().heap_scans()
}
