//! `jurigged.registry`: the original's registry API over the tracked files
//! (`get`, `prepare`, `find`, `get_at`, `auto_register`, `activity`).

use std::path::PathBuf;
use std::sync::OnceLock;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::file_registry::{absolute, file_registry, loaded_modules};
use crate::py_callbacks::{activity, EventSource};
use crate::py_codefile::PyCodeFile;
use crate::py_definition::Definition;
use crate::py_glob_filter::GlobFilter;
use crate::resolve::{code_of, definition_of, is_code_like, module_name_of, resolve};
use crate::sniffer::install_sniffer;

/// What `registry.find` and `registry.get_at` return, as the original:
/// `(codefile, definition)`, either of them None when unknown.
type Placed = (Option<Py<PyCodeFile>>, Option<Py<Definition>>);

/// `jurigged.registry`: what the original's registry offers, over the
/// [`crate::file_registry::FileRegistry`].
#[pyclass(module = "jurigged", frozen)]
pub struct Registry;

/// The process-wide `jurigged.registry` object.
pub fn registry(py: Python<'_>) -> PyResult<&'static Py<Registry>> {
    static REGISTRY: OnceLock<Py<Registry>> = OnceLock::new();
    if let Some(registry) = REGISTRY.get() {
        return Ok(registry);
    }
    let created = Py::new(py, Registry)?;
    Ok(REGISTRY.get_or_init(|| created))
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Registry {
    /// Callbacks called with every event (Watch, Update, Add, Delete, Run, errors).
    #[getter]
    fn activity(&self, py: Python<'_>) -> PyResult<Py<EventSource>> {
        Ok(activity(py)?.clone_ref(py))
    }

    /// The statements of every tracked file whose last run raised, held back
    /// until they are edited (a save that keeps their text applies the rest):
    /// one dict each (file, line, code, error, at, message).
    fn pending<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut out = Vec::new();
        for codefile in file_registry().codefiles(py) {
            let Ok(file) = codefile.bind(py).try_borrow() else { continue };
            for record in file.pending_records() {
                out.push(py.import("json")?.call_method1("loads", (record.to_string(),))?);
            }
        }
        Ok(out)
    }

    /// The CodeFile of a watched file, or None.
    fn get(&self, py: Python<'_>, filename: PathBuf) -> Option<Py<PyCodeFile>> {
        file_registry().lookup(py, &filename)
    }

    /// Starts tracking a module (by name, or by the file it was loaded from);
    /// returns its CodeFile, or None when it has no Python source.
    #[pyo3(signature = (module_name = None, filename = None))]
    fn prepare(
        &self,
        py: Python<'_>,
        module_name: Option<String>,
        filename: Option<PathBuf>,
    ) -> PyResult<Option<Py<PyCodeFile>>> {
        let modules = py.import("sys")?.getattr("modules")?;
        let (name, file) = match (module_name, filename) {
            (Some(name), Some(file)) => (name, file),
            (Some(name), None) => {
                let Ok(module) = modules.get_item(&name) else { return Ok(None) };
                match module.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok()) {
                    Some(file) => (name, file),
                    None => return Ok(None),
                }
            }
            (None, Some(file)) => {
                let name = module_name_of(py, &file)?
                    .unwrap_or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
                (name, file)
            }
            (None, None) => return Err(PyValueError::new_err("prepare needs a module_name or a filename")),
        };
        if file.extension().is_none_or(|e| e != "py") {
            return Ok(None);
        }
        file_registry().register(py, &name, &file, None).map(Some)
    }

    /// `(codefile, definition)` of a module, class, function (or method,
    /// classmethod, staticmethod, wrapped function) or code object, as the
    /// original returns it: `(None, None)` when it has no tracked Python source.
    /// Raises TypeError for any other object.
    fn find(&self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Placed> {
        if !is_code_like(py, obj)? {
            return Err(PyTypeError::new_err(format!(
                "registry.find takes a module, class, function or code object, not {}",
                obj.get_type().name()?
            )));
        }
        match resolve(py, obj)? {
            Some((codefile, path)) => {
                let definition = definition_of(py, &codefile, &path)?;
                Ok((Some(codefile), definition))
            }
            // A function defined inside another (no dotted path of its own) in a
            // tracked file: placed by its first line, as the original does.
            None => match code_of(obj)? {
                Some(code) => {
                    let filename = absolute(&code.getattr("co_filename")?.extract::<PathBuf>()?);
                    let line: u32 = code.getattr("co_firstlineno")?.extract()?;
                    if file_registry().lookup(py, &filename).is_none() && filename.is_file() {
                        // Tracked from now on, as for any other object found.
                        if let Some(name) = module_name_of(py, &filename)? {
                            file_registry().register(py, &name, &filename, None)?;
                        }
                    }
                    self.get_at(py, filename, line)
                }
                None => Ok((None, None)),
            },
        }
    }

    /// `(codefile, definition)` of the innermost definition holding `lineno` in
    /// `filename`: `(codefile, None)` outside every definition, `(None, None)`
    /// for a file the registry does not track.
    fn get_at(&self, py: Python<'_>, filename: PathBuf, lineno: u32) -> PyResult<Placed> {
        let Some(codefile) = file_registry().lookup(py, &filename) else { return Ok((None, None)) };
        let found = {
            // Live trees keep function bodies whole; a full parse finds nested
            // definitions too.
            let file = codefile.bind(py).try_borrow()?;
            let tree = jurigged_deftree::Parser::new()
                .module(file.module_name_str())
                .filename(&filename)
                .variable_facts(false)
                .parse(&file.text_str())
                .map_err(|e| PyErr::from(jurigged_patch::Error::from(e)))?;
            let mut best = None;
            for node in tree.definitions() {
                let first = node.first_line();
                let last = node.position().end.line;
                if (first..=last).contains(&lineno) {
                    best = Some((node.kind(), node.path().to_string(), first));
                }
            }
            best.map(|found| (found, file.filename_string()))
        };
        let definition = match found {
            Some(((kind, path, first), file)) => Some(Definition::create(py, kind, &path, &file, first, None)?),
            None => None,
        };
        Ok((Some(codefile), definition))
    }

    /// Tracks, from now on, every module whose file `filter` accepts (a callable
    /// taking a filename, or a glob as for watch(); by default `./*.py`), and
    /// those already loaded. Returns a handle whose `uninstall()` stops it.
    #[pyo3(signature = (filter = None))]
    fn auto_register(&self, py: Python<'_>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<AutoRegistration> {
        let filter = match filter {
            None => Py::new(py, GlobFilter::new("./*.py")?)?.into_any(),
            Some(filter) => match filter.extract::<String>() {
                Ok(pattern) => Py::new(py, GlobFilter::new(&pattern)?)?.into_any(),
                Err(_) => filter.clone().unbind(),
            },
        };
        file_registry().add_auto_filter(filter.clone_ref(py));
        install_sniffer(py)?;
        jurigged_patch::code_registry::install_audit_hook(py)?;
        for (name, file) in loaded_modules(py)? {
            if filter.call1(py, (file.as_os_str(),))?.extract::<bool>(py)? {
                file_registry().register(py, &name, &file, None)?;
            }
        }
        Ok(AutoRegistration { filter })
    }

    /// The filenames jurigged tracks.
    fn filenames(&self) -> Vec<String> {
        file_registry().filenames()
    }
}

/// What `registry.auto_register` returns: `uninstall()` stops tracking the
/// modules its filter accepts when they are imported (those tracked stay so).
#[pyclass(module = "jurigged", frozen)]
pub struct AutoRegistration {
    filter: Py<PyAny>,
}

#[jurigged_entry::py_entry]
#[pymethods]
impl AutoRegistration {
    /// Stops registering newly imported modules for this filter.
    fn uninstall(&self) {
        file_registry().remove_auto_filter(&self.filter);
    }

    /// The filter: a callable taking a filename.
    #[getter]
    fn filter(&self, py: Python<'_>) -> Py<PyAny> {
        self.filter.clone_ref(py)
    }
}
