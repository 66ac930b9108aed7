//! `jurigged.registry` and `Registry()`: the original's registry API over the
//! tracked files (`get`, `prepare`, `find`, `get_at`, `auto_register`,
//! `activity`, `precache_activity`, `cache`, `set_logger`/`log`).
//!
//! A `Registry()` a client makes is a view over the one file registry: the
//! files it prepared, each the same CodeFile `jurigged.registry` hands out (one
//! live copy of a file, whoever asks), with callbacks and a logger of its own.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::file_registry::{file_registry, loaded_modules};
use crate::py_callbacks::{activity, precache_activity, EventSource};
use crate::py_codefile::PyCodeFile;
use crate::py_definition::Definition;
use crate::py_glob_filter::GlobFilter;
use crate::py_sniffer::install_sniffer;
use crate::resolve::{code_of, definition_of, is_code_like, module_name_of, resolve};
use jurigged_watch::absolute;

/// What `registry.find` and `registry.get_at` return, as the original:
/// `(codefile, definition)`, either of them None when unknown.
type Placed = (Option<Py<PyCodeFile>>, Option<Py<Definition>>);

/// `jurigged.registry` (every tracked file) or a `Registry()` of a client's
/// own (the files it prepared): what the original's registry offers, over the
/// [`crate::file_registry::FileRegistry`].
#[pyclass(module = "jurigged", frozen, subclass)]
pub struct Registry {
    /// The files this registry prepared and its activity; None for
    /// `jurigged.registry`, which holds every tracked file.
    own: Option<Arc<Own>>,
    /// What `log()` calls (`set_logger`); a registry's watchers log through it.
    logger: Arc<Mutex<Option<Py<PyAny>>>>,
    /// (module name, filename) of each file prepared, replayed to late callbacks;
    /// None: the process-wide one.
    precache: Option<Py<EventSource>>,
}

/// What a registry of a client's own holds, shared (weakly) with the listener
/// of changes made through the API.
struct Own {
    /// The files it prepared. Locked only for a lookup or a push.
    files: Mutex<Vec<PathBuf>>,
    /// Events of the watchers over this registry, and of the changes made
    /// through the API to its files.
    activity: Py<EventSource>,
}

/// The registries of clients' own, held weakly: a change made through the API
/// (`cf.refresh()` on a CodeFile `registry.get` gave) reaches their loggers and
/// activity, as the original's registry hooked every CodeFile it handed out.
/// Locked only to push or to copy out.
type Followers = Mutex<Vec<(Weak<Own>, Weak<SharedLogger>)>>;

/// A registry's logger, shared (weakly) with the listener of changes made
/// through the API.
type SharedLogger = Mutex<Option<Py<PyAny>>>;

fn followers() -> &'static Followers {
    static FOLLOWERS: OnceLock<Followers> = OnceLock::new();
    FOLLOWERS.get_or_init(Mutex::default)
}

/// Gives the events of a change of `path` made through the API to the
/// registries of clients' own that hold it: to their activity and logger.
fn tell_followers(py: Python<'_>, path: &Path, events: &[Py<crate::py_event::Event>]) {
    let path = absolute(path);
    // Copied out (the dead ones dropped): the loggers and callbacks are Python
    // code, run with no lock held.
    let alive: Vec<(Arc<Own>, Arc<SharedLogger>)> = {
        let mut all = jurigged_watch::sync::lock(followers());
        all.retain(|(own, _)| own.strong_count() > 0);
        all.iter().filter_map(|(own, logger)| Some((own.upgrade()?, logger.upgrade()?))).collect()
    };
    for (own, logger) in alive {
        if !jurigged_watch::sync::lock(&own.files).contains(&path) {
            continue;
        }
        let logger = jurigged_watch::sync::lock(&logger).as_ref().map(|l| l.clone_ref(py));
        for event in events {
            own.activity.get().emit(py, vec![event.clone_ref(py).into_any()]);
            if let Some(logger) = &logger {
                // An error is given as the exception, as the watcher gives it.
                let argument = match event.get().error() {
                    Some(error) => error.clone_ref(py),
                    None => event.clone_ref(py).into_any(),
                };
                if let Err(error) = logger.call1(py, (argument,)) {
                    error.print(py);
                }
            }
        }
    }
}

/// The process-wide `jurigged.registry` object.
pub fn registry(py: Python<'_>) -> PyResult<&'static Py<Registry>> {
    static REGISTRY: OnceLock<Py<Registry>> = OnceLock::new();
    if let Some(registry) = REGISTRY.get() {
        return Ok(registry);
    }
    let created = Py::new(py, Registry { own: None, logger: Arc::default(), precache: None })?;
    Ok(REGISTRY.get_or_init(|| created))
}

impl Registry {
    /// Whether this is `jurigged.registry` (every tracked file).
    pub fn is_global(&self) -> bool {
        self.own.is_none()
    }

    /// Whether `filename` (absolute) is one of this registry's files.
    fn holds(&self, filename: &Path) -> bool {
        match &self.own {
            None => true,
            Some(own) => jurigged_watch::sync::lock(&own.files).iter().any(|f| f == filename),
        }
    }

    /// Takes a tracked file into a registry of a client's own, telling its
    /// `precache_activity` the first time (the process-wide one was told when
    /// the file was first tracked).
    fn adopt(&self, py: Python<'_>, module_name: &str, filename: &Path) -> PyResult<()> {
        let (Some(own), Some(precache)) = (&self.own, &self.precache) else { return Ok(()) };
        let fresh = {
            let mut own = jurigged_watch::sync::lock(&own.files);
            let fresh = !own.iter().any(|f| f == filename);
            if fresh {
                own.push(filename.to_path_buf());
            }
            fresh
        };
        if fresh {
            let name = module_name.into_pyobject(py)?.into_any().unbind();
            let file = filename.as_os_str().into_pyobject(py)?.into_any().unbind();
            precache.get().emit(py, vec![name, file]);
        }
        Ok(())
    }

    /// The events of the watchers over a registry of a client's own (None for
    /// `jurigged.registry`, whose events go to `registry.activity`).
    pub fn own_activity(&self, py: Python<'_>) -> Option<Py<EventSource>> {
        self.own.as_ref().map(|own| own.activity.clone_ref(py))
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Registry {
    /// A registry of the client's own, independent of `jurigged.registry`: it
    /// holds the files it prepares (or that its `auto_register` accepts), and a
    /// `Watcher(registry)` watches those.
    #[new]
    fn new(py: Python<'_>) -> PyResult<Registry> {
        let own = Arc::new(Own { files: Mutex::default(), activity: Py::new(py, EventSource::default())? });
        let logger: Arc<Mutex<Option<Py<PyAny>>>> = Arc::default();
        jurigged_watch::sync::lock(followers()).push((Arc::downgrade(&own), Arc::downgrade(&logger)));
        crate::py_callbacks::on_hand_made_changes(tell_followers);
        Ok(Registry { own: Some(own), logger, precache: Some(Py::new(py, EventSource::with_history())?) })
    }

    /// Callbacks called with every event (Watch, Update, Add, Delete, Run, errors).
    #[getter]
    fn activity(&self, py: Python<'_>) -> PyResult<Py<EventSource>> {
        match &self.own {
            Some(own) => Ok(own.activity.clone_ref(py)),
            None => Ok(activity(py)?.clone_ref(py)),
        }
    }

    /// The statements of every tracked file whose last run raised, held back
    /// until they are edited (a save that keeps their text applies the rest):
    /// one dict each (file, line, code, error, at, message).
    fn pending<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut out = Vec::new();
        for codefile in file_registry().codefiles(py) {
            let Ok(file) = codefile.bind(py).try_borrow() else { continue };
            if !self.holds(file.path()) {
                continue;
            }
            for record in file.pending_records() {
                out.push(py.import("json")?.call_method1("loads", (record.to_string(),))?);
            }
        }
        Ok(out)
    }

    /// Callbacks called with (module name, filename) of each file the registry
    /// starts tracking; one registered late hears of the earlier ones too.
    #[getter]
    fn precache_activity(&self, py: Python<'_>) -> PyResult<Py<EventSource>> {
        match &self.precache {
            Some(own) => Ok(own.clone_ref(py)),
            None => Ok(precache_activity(py)?.clone_ref(py)),
        }
    }

    /// What `log()` (and so the registry's watchers) calls with each event;
    /// None for silence.
    fn set_logger(&self, logger: Option<Py<PyAny>>) {
        *jurigged_watch::sync::lock(&self.logger) = logger;
    }

    /// Gives its arguments to the logger set by `set_logger`, if any.
    #[pyo3(signature = (*args, **kwargs))]
    fn log(&self, py: Python<'_>, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        // Cloned out: the logger is Python code, run with no lock held.
        let logger = jurigged_watch::sync::lock(&self.logger).as_ref().map(|l| l.clone_ref(py));
        match logger {
            Some(logger) => logger.bind(py).call(args, kwargs).map(drop),
            None => Ok(()),
        }
    }

    /// `{filename: CodeFile}` of the files this registry holds.
    #[getter]
    fn cache<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let cache = PyDict::new(py);
        for name in file_registry().filenames() {
            let path = PathBuf::from(&name);
            if let (true, Some(codefile)) = (self.holds(&path), file_registry().lookup(py, &path)) {
                cache.set_item(name, codefile)?;
            }
        }
        Ok(cache)
    }

    /// The CodeFile of a file this registry holds, or None; None too while its
    /// module is not imported (a file prepared ahead of its import), as the
    /// original answers.
    fn get(&self, py: Python<'_>, filename: PathBuf) -> PyResult<Option<Py<PyCodeFile>>> {
        if !self.holds(&absolute(&filename)) {
            return Ok(None);
        }
        let Some(codefile) = file_registry().lookup(py, &filename) else { return Ok(None) };
        let module_name = codefile.bind(py).try_borrow()?.module_name_str().to_string();
        let modules = py.import("sys")?.getattr("modules")?;
        Ok(modules.contains(module_name)?.then_some(codefile))
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
        let codefile = file_registry().register(py, &name, &file, None)?;
        self.adopt(py, &name, &absolute(&file))?;
        Ok(Some(codefile))
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
                let (name, file) = {
                    let file = codefile.bind(py).try_borrow()?;
                    (file.module_name_str().to_string(), PathBuf::from(file.filename_string()))
                };
                self.adopt(py, &name, &absolute(&file))?;
                Ok((Some(codefile), definition))
            }
            // A class made at run time (`type(...)`), or one whose definition
            // is gone from its file: its module's file, no definition.
            None if py.import("inspect")?.call_method1("isclass", (obj,))?.extract::<bool>()? => {
                let module_name: String = obj.getattr("__module__")?.extract()?;
                let codefile = self.prepare(py, Some(module_name), None)?;
                Ok((codefile, None))
            }
            // A function defined inside another (no dotted path of its own) in a
            // tracked file: placed by its first line, as the original does.
            None => match code_of(obj)? {
                Some(code) => {
                    let filename = absolute(&code.getattr("co_filename")?.extract::<PathBuf>()?);
                    let line: u32 = code.getattr("co_firstlineno")?.extract()?;
                    if let Some(name) = module_name_of(py, &filename)?.filter(|_| filename.is_file()) {
                        // Tracked from now on, as for any other object found.
                        file_registry().register(py, &name, &filename, None)?;
                        self.adopt(py, &name, &filename)?;
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
        let Some(codefile) = self.get(py, filename.clone())? else { return Ok((None, None)) };
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
    fn auto_register(slf: &Bound<'_, Self>, filter: Option<&Bound<'_, PyAny>>) -> PyResult<AutoRegistration> {
        let py = slf.py();
        let this = slf.get();
        let filter = match filter {
            None => Py::new(py, GlobFilter::new("./*.py")?)?.into_any(),
            Some(filter) => match filter.extract::<String>() {
                Ok(pattern) => Py::new(py, GlobFilter::new(&pattern)?)?.into_any(),
                Err(_) => filter.clone().unbind(),
            },
        };
        // A registry of the client's own is told of each module through its
        // own `prepare` (an override in a subclass is honoured).
        let prepare = if this.is_global() { None } else { Some(slf.getattr("prepare")?.unbind()) };
        file_registry().add_auto_filter(filter.clone_ref(py), prepare);
        install_sniffer(py)?;
        jurigged_patch::code_registry::install_audit_hook(py)?;
        for (name, file) in loaded_modules(py)? {
            if filter.call1(py, (file.as_os_str(),))?.is_truthy(py)? {
                let codefile = file_registry().register(py, &name, &file, None)?;
                this.adopt(py, &name, &file)?;
                if this.is_global() {
                    crate::file_registry::adopt_everywhere(py, &codefile, &name, &file)?;
                }
            }
        }
        Ok(AutoRegistration { filter })
    }

    /// The filenames this registry holds.
    fn filenames(&self) -> Vec<String> {
        let all = file_registry().filenames();
        all.into_iter().filter(|name| self.holds(Path::new(name))).collect()
    }
}

/// The original's `jurigged.register.add_sniffer(report)`: `report(module_name,
/// filename)` is called for every Python source module imported from now on
/// (a report that raises is printed, the import goes on). Returns `report`,
/// given an `uninstall()` that stops it when it takes attributes, as the
/// original's does.
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn add_sniffer(py: Python<'_>, report: Py<PyAny>) -> PyResult<Py<PyAny>> {
    install_sniffer(py)?;
    file_registry().add_sniffer(report.clone_ref(py));
    let stopped = report.clone_ref(py);
    let uninstall = pyo3::types::PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
        file_registry().remove_sniffer(&stopped);
        let _ = args;
    })?;
    // A report that takes no attributes (a builtin) is still installed.
    let _ = report.bind(py).setattr("uninstall", uninstall);
    Ok(report)
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
