//! The files jurigged tracks: the one owner of the live files. Each tracked
//! file has one [`PyCodeFile`] (its module, live text and tree), and every
//! change to it (a save, the CodeFile API, a Recoder) goes through that object,
//! which publishes its new tree to [`crate::live_trees`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::py_callbacks::{announce, precache_activity};
use crate::py_codefile::PyCodeFile;
use crate::py_event::Event;
use crate::py_operations::to_python;
use crate::sessions::{sessions, SessionCore};
use jurigged_watch::sync::lock;

/// The tracked files, by absolute path, and the filters of `auto_register`.
#[derive(Default)]
pub struct FileRegistry {
    files: Mutex<HashMap<PathBuf, Py<PyCodeFile>>>,
    /// Filters of `auto_register`: modules they accept are tracked when
    /// imported, and given to the `prepare` of the registry that asked, if any
    /// (a `Registry()` of a client's own).
    auto_filters: Mutex<Vec<AutoFilter>>,
    /// Callbacks of the original's `add_sniffer`: told (module name, filename)
    /// of every Python source module imported.
    sniffers: Mutex<Vec<Py<PyAny>>>,
}

/// One `auto_register` call: what it accepts, and who is told.
struct AutoFilter {
    /// A callable taking a filename.
    accepts: Py<PyAny>,
    /// Called with (module name, filename) for each accepted module: the
    /// `prepare` of a registry of the client's own; None for `jurigged.registry`.
    prepare: Option<Py<PyAny>>,
}

/// The process-wide file registry.
pub fn file_registry() -> &'static FileRegistry {
    static FILES: OnceLock<FileRegistry> = OnceLock::new();
    FILES.get_or_init(FileRegistry::default)
}

impl FileRegistry {
    /// The CodeFile of `filename`, creating it from `source` (the bytes as
    /// imported) or from the file, and watching it in every matching session.
    pub fn register(
        &self,
        py: Python<'_>,
        module_name: &str,
        filename: &Path,
        source: Option<Vec<u8>>,
    ) -> PyResult<Py<PyCodeFile>> {
        let filename = jurigged_watch::absolute(filename);
        if let Some(existing) = lock(&self.files).get(&filename) {
            return Ok(existing.clone_ref(py));
        }
        let bytes = match source {
            Some(bytes) => bytes,
            None => std::fs::read(&filename).map_err(|e| PyOSError::new_err(format!("{}: {e}", filename.display())))?,
        };
        let codefile = Py::new(py, PyCodeFile::from_bytes(py, &filename, module_name, &bytes)?)?;
        codefile.bind(py).borrow_mut().become_live(bytes);
        lock(&self.files).insert(filename.clone(), codefile.clone_ref(py));
        // Learn each module body from this file as it runs (for hidden functions).
        jurigged_patch::code_registry::code_registry().learn_under(&filename);
        let event = to_python(py, Event::watch(&filename, module_name).of_file(codefile.clone_ref(py).into_any()))?;
        announce(py, &event);
        // A str, as the original gives it (a pathlib.Path would import pathlib
        // here, inside the import sniffer).
        let file_name = filename.as_os_str().into_pyobject(py)?.into_any().unbind();
        precache_activity(py)?.get().emit(py, vec![module_name.into_pyobject(py)?.into_any().unbind(), file_name]);
        let matching: Vec<Arc<SessionCore>> =
            lock(sessions()).iter().filter(|s| s.filter.matches(&filename)).cloned().collect();
        for session in matching {
            session.watch_file(py, &filename, &event);
        }
        Ok(codefile)
    }

    /// The CodeFile of `filename`, if tracked.
    pub fn lookup(&self, py: Python<'_>, filename: &Path) -> Option<Py<PyCodeFile>> {
        lock(&self.files).get(&jurigged_watch::absolute(filename)).map(|c| c.clone_ref(py))
    }

    /// Tells `report` (module name, filename) of each Python source module
    /// imported from now on.
    pub fn add_sniffer(&self, report: Py<PyAny>) {
        lock(&self.sniffers).push(report);
    }

    /// Stops telling `report`.
    pub fn remove_sniffer(&self, report: &Py<PyAny>) {
        lock(&self.sniffers).retain(|r| !r.is(report));
    }

    /// Calls every sniffer with (module name, filename); one that raises is
    /// reported on stderr and never breaks the import.
    pub fn tell_sniffers(&self, py: Python<'_>, module_name: &str, filename: &Path) {
        // Cloned first: they are Python code, run with no lock held.
        let sniffers: Vec<Py<PyAny>> = lock(&self.sniffers).iter().map(|s| s.clone_ref(py)).collect();
        for sniffer in sniffers {
            if let Err(error) = sniffer.call1(py, (module_name, filename.as_os_str())) {
                error.print(py);
            }
        }
    }

    /// Tracks the modules `filter` accepts from now on; each is also given to
    /// `prepare` (module name, filename) when there is one.
    pub fn add_auto_filter(&self, filter: Py<PyAny>, prepare: Option<Py<PyAny>>) {
        lock(&self.auto_filters).push(AutoFilter { accepts: filter, prepare });
    }

    /// Stops tracking the modules `filter` accepts.
    pub fn remove_auto_filter(&self, filter: &Py<PyAny>) {
        lock(&self.auto_filters).retain(|f| !f.accepts.is(filter));
    }

    /// Whether an `auto_register` filter of `jurigged.registry` accepts
    /// `filename`, and the `prepare` callables of the registries of clients' own
    /// whose filters accept it.
    pub fn auto_accepts(&self, py: Python<'_>, filename: &Path) -> (bool, Vec<Py<PyAny>>) {
        // Cloned first: the filters are Python code, run with no lock held.
        let filters: Vec<(Py<PyAny>, Option<Py<PyAny>>)> = lock(&self.auto_filters)
            .iter()
            .map(|f| (f.accepts.clone_ref(py), f.prepare.as_ref().map(|p| p.clone_ref(py))))
            .collect();
        let mut accepted = false;
        let mut prepares = Vec::new();
        for (accepts, prepare) in filters {
            let yes = accepts.call1(py, (filename.as_os_str(),)).and_then(|r| r.is_truthy(py)).unwrap_or(false);
            match (yes, prepare) {
                (true, Some(prepare)) => prepares.push(prepare),
                (true, None) => accepted = true,
                (false, _) => {}
            }
        }
        (accepted, prepares)
    }

    /// The tracked files' CodeFiles, by filename.
    pub fn codefiles(&self, py: Python<'_>) -> Vec<Py<PyCodeFile>> {
        let mut files: Vec<(PathBuf, Py<PyCodeFile>)> =
            lock(&self.files).iter().map(|(path, file)| (path.clone(), file.clone_ref(py))).collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.into_iter().map(|(_, file)| file).collect()
    }

    /// The tracked filenames, sorted.
    pub fn filenames(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.files).keys().map(|p| p.display().to_string()).collect();
        names.sort();
        names
    }
}

/// Gives `filename`, which `jurigged.registry.auto_register` accepted, to every
/// session over `jurigged.registry`: as in the original, where a watcher
/// watches what its registry tracks (`watcher.registry.auto_register(...)`
/// after `watch()` adds files to it).
pub fn adopt_everywhere(py: Python<'_>, codefile: &Py<PyCodeFile>, module_name: &str, filename: &Path) -> PyResult<()> {
    let event = to_python(py, Event::watch(filename, module_name).of_file(codefile.clone_ref(py).into_any()))?;
    // Cloned out: watching a file logs, which runs Python.
    let running: Vec<Arc<SessionCore>> =
        lock(sessions()).iter().filter(|s| s.follows_global_registry()).cloned().collect();
    for session in running {
        session.adopt_file(py, filename, &event);
    }
    Ok(())
}

/// (name, absolute file) of every loaded module with a Python source file.
pub fn loaded_modules(py: Python<'_>) -> PyResult<Vec<(String, PathBuf)>> {
    let modules = py.import("sys")?.getattr("modules")?.call_method0("copy")?;
    let mut found = Vec::new();
    for (name, module) in modules.cast::<PyDict>()?.iter() {
        let Some(file) = module.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok()) else { continue };
        // Modules without a real source file (frozen, embedded) are not tracked.
        if file.extension().is_some_and(|e| e == "py") && file.is_file() {
            found.push((name.extract()?, jurigged_watch::absolute(&file)));
        }
    }
    Ok(found)
}
