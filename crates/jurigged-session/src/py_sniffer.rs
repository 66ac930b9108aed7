//! The import sniffer: every module imported from a watched path is tracked,
//! with its source as it was when imported.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::file_registry::file_registry;
use crate::py_callbacks::announce;
use crate::py_event::Event;
use crate::py_operations::to_python;
use crate::sessions::sessions;
use jurigged_watch::absolute;
use jurigged_watch::sync::lock;

/// The `sys.meta_path` finder that notes every module imported from a watched
/// path, with its source as it is when imported, so that the first save is
/// compared with what actually ran.
#[pyclass(module = "jurigged", frozen)]
pub struct ImportSniffer;

thread_local! {
    static SNIFFING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[jurigged_entry::py_entry]
#[pymethods]
impl ImportSniffer {
    #[pyo3(signature = (fullname, path = None, target = None))]
    fn find_spec<'py>(
        &self,
        py: Python<'py>,
        fullname: &str,
        path: Option<Bound<'py, PyAny>>,
        target: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if SNIFFING.with(|s| s.replace(true)) {
            return Ok(None);
        }
        let found = find_with_other_finders(py, fullname, path, target);
        SNIFFING.with(|s| s.set(false));
        let Some(spec) = found? else { return Ok(None) };
        let origin = spec.getattr("origin").ok().and_then(|o| o.extract::<PathBuf>().ok());
        if let Some(origin) = origin.filter(|o| o.extension().is_some_and(|e| e == "py")) {
            let origin = absolute(&origin);
            file_registry().tell_sniffers(py, fullname, &origin);
            // The sessions lock is let go before the auto_register filters run:
            // they are Python code, and one that imports comes back here.
            let watched = lock(sessions()).iter().any(|s| s.filter.matches(&origin));
            let (accepted, prepares) = file_registry().auto_accepts(py, &origin);
            let wanted = watched || accepted || !prepares.is_empty();
            if !wanted {
                name_if_unwatched(py, &origin);
            }
            if wanted {
                // What the import runs must be what is read here.
                if let Some(cached) = spec.getattr("cached").ok().and_then(|c| c.extract::<PathBuf>().ok()) {
                    crate::stale_bytecode::drop_if_stale(&origin, &cached);
                }
                // Never break an import: a file we cannot read is reported, not raised.
                let source = std::fs::read(&origin).ok();
                let registered = crate::boundary::entry(|| file_registry().register(py, fullname, &origin, source));
                if let (true, Ok(codefile)) = (accepted, &registered) {
                    crate::file_registry::adopt_everywhere(py, codefile, fullname, &origin)?;
                }
                // The registries of clients' own that asked for it hear of it.
                for prepare in prepares.iter().filter(|_| registered.is_ok()) {
                    if let Err(error) = prepare.call1(py, (fullname, origin.as_os_str())) {
                        error.print(py);
                    }
                }
                if let Err(error) = registered {
                    let event = to_python(py, Event::file_error(py, &origin, error))?;
                    announce(py, &event);
                    // Cloned first: the loggers run Python (which may import) with
                    // no lock held.
                    let running = lock(sessions()).clone();
                    for session in running {
                        session.log(py, &event);
                    }
                }
            }
        }
        Ok(Some(spec))
    }
}

/// The directory of the script (under `-v`): a module imported from it that no
/// watch pattern covers is named, once.
static PROJECT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Files already named as not watched.
static NAMED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Names, from now on, the modules imported from `directory` that no watch
/// pattern covers (`jurigged -v` outside the watched tree).
pub fn name_unwatched_under(directory: &std::path::Path) {
    let _ = PROJECT.set(absolute(directory));
}

/// Says once, on the verbose loggers, that `origin` (a module of the script's
/// project just imported) is not watched.
fn name_if_unwatched(py: Python<'_>, origin: &std::path::Path) {
    let Some(project) = PROJECT.get() else { return };
    if !origin.starts_with(project) || origin.components().any(|c| c.as_os_str() == "site-packages") {
        return;
    }
    {
        let mut named = lock(&NAMED);
        if named.iter().any(|n| n == origin) {
            return;
        }
        named.push(origin.to_path_buf());
    }
    let line =
        format!("Not watched: {} (imported from the script's directory; no watch pattern covers it)", origin.display());
    // Cloned first: the loggers run Python with no lock held.
    let running = lock(sessions()).clone();
    for session in running {
        let Some(logger) = session.logger.as_ref() else { continue };
        if let Ok(logger) = logger.bind(py).cast::<crate::py_logger::Logger>() {
            if logger.get().is_verbose() {
                if let Err(error) = logger.get().log_line(py, &line) {
                    error.print(py);
                }
            }
        }
    }
}

fn find_with_other_finders<'py>(
    py: Python<'py>,
    fullname: &str,
    path: Option<Bound<'py, PyAny>>,
    target: Option<Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let meta_path = py.import("sys")?.getattr("meta_path")?.call_method0("copy")?;
    for finder in meta_path.cast::<PyList>()?.iter() {
        if finder.is_instance_of::<ImportSniffer>() || !finder.hasattr("find_spec")? {
            continue;
        }
        let spec = finder.call_method1("find_spec", (fullname, &path, &target))?;
        if !spec.is_none() {
            return Ok(Some(spec));
        }
    }
    Ok(None)
}

/// Puts the sniffer first on `sys.meta_path` (once).
pub fn install_sniffer(py: Python<'_>) -> PyResult<()> {
    let meta_path = py.import("sys")?.getattr("meta_path")?;
    for finder in meta_path.cast::<PyList>()?.iter() {
        if finder.is_instance_of::<ImportSniffer>() {
            return Ok(());
        }
    }
    meta_path.call_method1("insert", (0, Py::new(py, ImportSniffer)?))?;
    Ok(())
}
