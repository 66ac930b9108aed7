//! The live session: the registry of watched files, the import sniffer that
//! fills it, and the watcher thread that applies saves.
//!
//! A save is read, decoded, parsed and diffed without the GIL; only the
//! application to the live module takes it. Saves are applied one at a time, in
//! the order they arrive, and every file of a burst is applied.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use jurigged_deftree::DefTree;
use jurigged_diff::{diff, Deletions, Order};
use jurigged_watch::{Change, Filter};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyList, PyString, PyTuple};

use crate::codefile::PyCodeFile;
use crate::definition::Definition;
use crate::errors::to_py_err;
use crate::event::Event;
use crate::events::EventSource;
use crate::logger::Logger;
use crate::operations::to_python;
use crate::recoder::{Recoder, Touched};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Every running session, so that a newly imported file reaches the watchers
/// whose patterns match it.
fn sessions() -> &'static Mutex<Vec<Arc<SessionCore>>> {
    static SESSIONS: OnceLock<Mutex<Vec<Arc<SessionCore>>>> = OnceLock::new();
    SESSIONS.get_or_init(Mutex::default)
}

/// What `registry.find` and `registry.get_at` return, as the original:
/// `(codefile, definition)`, either of them None when unknown.
type Placed = (Option<Py<PyCodeFile>>, Option<Py<Definition>>);

/// `jurigged.registry`: the files jurigged knows, each with its [`PyCodeFile`].
#[pyclass(module = "jurigged", frozen)]
pub struct Registry {
    files: Mutex<HashMap<PathBuf, Py<PyCodeFile>>>,
    activity: Py<EventSource>,
    /// Recoders by file, told when a save replaces what they patched.
    recoders: Mutex<HashMap<PathBuf, Vec<Py<Recoder>>>>,
    /// Filters of `auto_register`: modules they accept are tracked when imported.
    auto_filters: Mutex<Vec<Py<PyAny>>>,
}

/// The process-wide registry.
pub fn registry(py: Python<'_>) -> PyResult<&'static Py<Registry>> {
    static REGISTRY: OnceLock<Py<Registry>> = OnceLock::new();
    if let Some(registry) = REGISTRY.get() {
        return Ok(registry);
    }
    let created = Py::new(
        py,
        Registry {
            files: Mutex::default(),
            activity: Py::new(py, EventSource::default())?,
            recoders: Mutex::default(),
            auto_filters: Mutex::default(),
        },
    )?;
    Ok(REGISTRY.get_or_init(|| created))
}

/// Set when the interpreter is about to shut down: watcher threads must not take
/// the GIL any more (on Python 3.12 and before, a thread that waits for it during
/// finalization is ended by force, which aborts the process).
static EXITING: AtomicBool = AtomicBool::new(false);
/// Watcher threads inside Python right now.
static IN_PYTHON: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` with the GIL from a watcher thread, unless the interpreter is exiting.
fn with_python<R>(f: impl FnOnce(Python<'_>) -> R) -> Option<R> {
    /// Leaves the count even when `f` panics, so that exit never waits for it.
    struct Inside;
    impl Drop for Inside {
        fn drop(&mut self) {
            IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
        }
    }
    IN_PYTHON.fetch_add(1, Ordering::SeqCst);
    let _inside = Inside;
    if EXITING.load(Ordering::SeqCst) {
        None
    } else {
        Python::try_attach(f)
    }
}

/// How long exit waits for a save being applied: enough for an ordinary save to
/// finish, far less than a save whose statement blocks (python would not wait
/// for it either: the interpreter exits and the process ends with it).
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Called by a watcher thread, detached, before it returns to Python for good:
/// counts it in Python (the caller leaves the count once back), or, once the
/// interpreter is exiting, never returns (on Python 3.13 and before, a thread
/// that takes the GIL during finalization is ended by force, which aborts the
/// process when Rust frames are on its stack). Its daemon thread ends with the
/// process.
fn leave_unless_exiting() {
    IN_PYTHON.fetch_add(1, Ordering::SeqCst);
    if EXITING.load(Ordering::SeqCst) {
        IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
        loop {
            std::thread::park();
        }
    }
}

/// The exit status of the program the command line ran, once it has ended.
static EXIT_STATUS: OnceLock<i32> = OnceLock::new();

/// Tells the exit hook the status the command line is about to exit with.
pub fn note_exit_status(status: i32) {
    let _ = EXIT_STATUS.set(status);
}

/// `atexit` hook: stops watcher threads from entering Python and lets those inside
/// finish, briefly, before the interpreter shuts down.
///
/// One still inside after that is blocked in a save's code (a statement that
/// sleeps or waits). If it went on during the interpreter's finalization, CPython
/// 3.13 and before would end its thread by force, which aborts the process
/// through the thread's Rust frames. When the status is known (the command
/// line's program has ended), the process ends now with it, output flushed, as
/// the binary always does; programs that call watch() themselves keep the risk
/// (a save's statement that ends during finalization, a few milliseconds).
#[pyfunction]
fn before_exit(py: Python<'_>) {
    EXITING.store(true, Ordering::SeqCst);
    let settled = py.detach(|| {
        let deadline = std::time::Instant::now() + EXIT_GRACE;
        while IN_PYTHON.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        IN_PYTHON.load(Ordering::SeqCst) == 0
    });
    if let (false, Some(status)) = (settled, EXIT_STATUS.get()) {
        if let Ok(sys) = py.import("sys") {
            for name in ["stdout", "stderr"] {
                if let Ok(stream) = sys.getattr(name) {
                    let _ = stream.call_method0("flush");
                }
            }
        }
        if let Err(error) = py.import("os").and_then(|os| os.call_method1("_exit", (*status,))) {
            error.print(py);
        }
    }
}

/// `os.register_at_fork(after_in_child=...)`: the watcher threads were not
/// copied into the child, so none of them is inside Python or a lock there.
#[pyfunction]
fn after_fork_in_child() {
    IN_PYTHON.store(0, Ordering::SeqCst);
    SNAPSHOT_READERS.store(0, Ordering::SeqCst);
    FORKING.store(false, Ordering::SeqCst);
}

fn install_exit_hook(py: Python<'_>) -> PyResult<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_none() {
        py.import("atexit")?.call_method1("register", (wrap_pyfunction!(before_exit, py)?,))?;
        if let Ok(register_at_fork) = py.import("os")?.getattr("register_at_fork") {
            let options = PyDict::new(py);
            options.set_item("before", wrap_pyfunction!(before_fork, py)?)?;
            options.set_item("after_in_parent", wrap_pyfunction!(after_fork_in_parent, py)?)?;
            options.set_item("after_in_child", wrap_pyfunction!(after_fork_in_child, py)?)?;
            register_at_fork.call((), Some(&options))?;
        }
        let _ = INSTALLED.set(());
    }
    Ok(())
}

/// Module name and live tree of each watched file, as last applied by a save,
/// readable without the GIL.
type Snapshots = Mutex<HashMap<PathBuf, (String, Arc<DefTree>)>>;

fn snapshots() -> &'static Snapshots {
    static SNAPSHOTS: OnceLock<Snapshots> = OnceLock::new();
    SNAPSHOTS.get_or_init(Mutex::default)
}

fn remember_snapshot(path: &Path, module_name: &str, tree: Arc<DefTree>) {
    lock(snapshots()).insert(path.to_path_buf(), (module_name.to_string(), tree));
}

/// Reads a snapshot without the GIL. A fork (which happens with the GIL held)
/// waits for readers to leave, and readers wait for the fork to be over, so that
/// a child never inherits the lock held by a thread it does not have.
fn snapshot(path: &Path) -> Option<(String, Arc<DefTree>)> {
    loop {
        SNAPSHOT_READERS.fetch_add(1, Ordering::SeqCst);
        if !FORKING.load(Ordering::SeqCst) {
            break;
        }
        SNAPSHOT_READERS.fetch_sub(1, Ordering::SeqCst);
        while FORKING.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    let found = lock(snapshots()).get(path).cloned();
    SNAPSHOT_READERS.fetch_sub(1, Ordering::SeqCst);
    found
}

/// Set by `os.fork()`'s before hook until its after hooks.
static FORKING: AtomicBool = AtomicBool::new(false);
/// Threads reading a snapshot without the GIL right now.
static SNAPSHOT_READERS: AtomicUsize = AtomicUsize::new(0);

/// `os.register_at_fork(before=...)`: no snapshot reader is inside the lock
/// when the process forks (a reader holds it for a lookup, never longer).
#[pyfunction]
fn before_fork() {
    FORKING.store(true, Ordering::SeqCst);
    while SNAPSHOT_READERS.load(Ordering::SeqCst) > 0 {
        std::thread::yield_now();
    }
}

/// `os.register_at_fork(after_in_parent=...)`.
#[pyfunction]
fn after_fork_in_parent() {
    FORKING.store(false, Ordering::SeqCst);
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Registry {
    /// The CodeFile of `filename`, creating it from `source` (the bytes as
    /// imported) or from the file, and watching it in every matching session.
    pub fn register(
        &self,
        py: Python<'_>,
        module_name: &str,
        filename: &Path,
        source: Option<Vec<u8>>,
    ) -> PyResult<Py<PyCodeFile>> {
        let filename = absolute(filename);
        if let Some(existing) = lock(&self.files).get(&filename) {
            return Ok(existing.clone_ref(py));
        }
        let bytes = match source {
            Some(bytes) => bytes,
            None => std::fs::read(&filename).map_err(|e| PyOSError::new_err(format!("{}: {e}", filename.display())))?,
        };
        let codefile = Py::new(py, PyCodeFile::from_bytes(py, &filename, module_name, &bytes)?)?;
        codefile.bind(py).borrow_mut().set_disk(bytes);
        lock(&self.files).insert(filename.clone(), codefile.clone_ref(py));
        {
            let file = codefile.bind(py).borrow();
            remember_snapshot(&filename, file.module_name_str(), file.shared_tree());
        }
        // Learn each module body from this file as it runs (for hidden functions).
        jurigged_patch::registry::registry().learn_under(&filename);
        let event = to_python(py, Event::watch(&filename))?;
        self.activity.get().emit(py, vec![event.clone_ref(py).into_any()]);
        let matching: Vec<Arc<SessionCore>> =
            lock(sessions()).iter().filter(|s| s.filter.matches(&filename)).cloned().collect();
        for session in matching {
            session.watch_file(py, &filename, &event);
        }
        Ok(codefile)
    }

    /// The CodeFile of `filename`, if tracked.
    pub fn lookup(&self, py: Python<'_>, filename: &Path) -> Option<Py<PyCodeFile>> {
        lock(&self.files).get(&absolute(filename)).map(|c| c.clone_ref(py))
    }

    /// Remembers a recoder, to tell it when its file is saved.
    pub fn add_recoder(&self, py: Python<'_>, recoder: &Py<Recoder>) {
        let Ok(file) = recoder.get().codefile(py).bind(py).try_borrow().map(|f| f.filename_string()) else { return };
        let filename = PathBuf::from(file);
        lock(&self.recoders).entry(filename).or_default().push(recoder.clone_ref(py));
    }

    /// Tells the recoders of `filename` (but `source`, the recoder that made the
    /// change, if any) which definitions a change touched.
    pub fn notify_recoders(&self, py: Python<'_>, filename: &Path, touched: &Touched, source: Option<&Recoder>) {
        if touched.is_empty() {
            return;
        }
        let recoders: Vec<Py<Recoder>> =
            lock(&self.recoders).get(filename).map(|r| r.iter().map(|r| r.clone_ref(py)).collect()).unwrap_or_default();
        for recoder in recoders {
            if source.is_some_and(|s| std::ptr::eq(s, recoder.get())) {
                continue;
            }
            Recoder::definitions_touched(recoder.bind(py), touched);
        }
    }

    /// Whether an `auto_register` filter accepts `filename`.
    fn auto_accepts(&self, py: Python<'_>, filename: &Path) -> bool {
        let filters: Vec<Py<PyAny>> = lock(&self.auto_filters).iter().map(|f| f.clone_ref(py)).collect();
        filters.iter().any(|f| {
            f.call1(py, (filename.display().to_string(),)).and_then(|r| r.extract::<bool>(py)).unwrap_or(false)
        })
    }

    /// `registry.activity`.
    pub fn activity_source(&self, py: Python<'_>) -> Py<EventSource> {
        self.activity.clone_ref(py)
    }

    /// Sends an event to `registry.activity`.
    fn announce(&self, py: Python<'_>, event: &Py<Event>) {
        self.activity.get().emit(py, vec![event.clone_ref(py).into_any()]);
    }
}

#[pymethods]
impl Registry {
    /// Callbacks called with every event (Watch, Update, Add, Delete, Run, errors).
    #[getter]
    fn activity(&self, py: Python<'_>) -> Py<EventSource> {
        self.activity.clone_ref(py)
    }

    /// The CodeFile of a watched file, or None.
    fn get(&self, py: Python<'_>, filename: PathBuf) -> Option<Py<PyCodeFile>> {
        self.lookup(py, &filename)
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
        self.register(py, &name, &file, None).map(Some)
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
                    if self.lookup(py, &filename).is_none() && filename.is_file() {
                        // Tracked from now on, as for any other object found.
                        if let Some(name) = module_name_of(py, &filename)? {
                            self.register(py, &name, &filename, None)?;
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
        let Some(codefile) = self.lookup(py, &filename) else { return Ok((None, None)) };
        let found = {
            // Live trees keep function bodies whole; a full parse finds nested
            // definitions too.
            let file = codefile.bind(py).try_borrow()?;
            let tree = jurigged_deftree::Parser::new()
                .module(file.module_name_str())
                .filename(&filename)
                .variable_facts(false)
                .parse(&file.text_str())
                .map_err(|e| to_py_err(py, e.into()))?;
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
        lock(&self.auto_filters).push(filter.clone_ref(py));
        install_sniffer(py)?;
        jurigged_patch::registry::install_audit_hook(py)?;
        for (name, file) in loaded_modules(py)? {
            if filter.call1(py, (file.display().to_string(),))?.extract::<bool>(py)? {
                self.register(py, &name, &file, None)?;
            }
        }
        Ok(AutoRegistration { filter })
    }

    /// The filenames jurigged tracks.
    fn filenames(&self) -> Vec<String> {
        let mut names: Vec<String> = lock(&self.files).keys().map(|p| p.display().to_string()).collect();
        names.sort();
        names
    }
}

/// What `registry.auto_register` returns: `uninstall()` stops tracking the
/// modules its filter accepts when they are imported (those tracked stay so).
#[pyclass(module = "jurigged", frozen)]
pub struct AutoRegistration {
    filter: Py<PyAny>,
}

#[pymethods]
impl AutoRegistration {
    /// Stops registering newly imported modules for this filter.
    fn uninstall(&self, py: Python<'_>) -> PyResult<()> {
        let registry = registry(py)?.get();
        lock(&registry.auto_filters).retain(|f| !f.is(&self.filter));
        Ok(())
    }

    /// The filter: a callable taking a filename.
    #[getter]
    fn filter(&self, py: Python<'_>) -> Py<PyAny> {
        self.filter.clone_ref(py)
    }
}

/// The code object of a code object or function (unwrapping methods and
/// wrappers), if any.
fn code_of<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if jurigged_patch::registry::is_code(obj)? {
        return Ok(Some(obj.clone()));
    }
    let mut function = obj.clone();
    for attribute in ["__func__", "__wrapped__"] {
        while let Ok(inner) = function.getattr(attribute) {
            function = inner;
        }
    }
    match function.getattr("__code__") {
        Ok(code) if jurigged_patch::registry::is_code(&code)? => Ok(Some(code)),
        _ => Ok(None),
    }
}

/// Whether `obj` is something `registry.find` can place: a module, a class, a
/// code object, or a function (possibly wrapped, bound, class- or static-method).
fn is_code_like(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let inspect = py.import("inspect")?;
    Ok(inspect.call_method1("ismodule", (obj,))?.extract::<bool>()?
        || inspect.call_method1("isclass", (obj,))?.extract::<bool>()?
        || code_of(obj)?.is_some())
}

/// The definition at `path` in `codefile`: its module, or a class or function of
/// its live tree; None when the tree has no such definition.
fn definition_of(py: Python<'_>, codefile: &Py<PyCodeFile>, path: &str) -> PyResult<Option<Py<Definition>>> {
    let file = codefile.bind(py).try_borrow()?;
    let filename = file.filename_string();
    if path == file.module_name_str() {
        return Definition::create(py, jurigged_deftree::Kind::Module, path, &filename, 1, None).map(Some);
    }
    let Some((kind, first)) = file.tree().find(path).next().map(|node| (node.kind(), node.first_line())) else {
        return Ok(None);
    };
    drop(file);
    Definition::create(py, kind, path, &filename, first, None).map(Some)
}

/// (name, absolute file) of every loaded module with a Python source file.
fn loaded_modules(py: Python<'_>) -> PyResult<Vec<(String, PathBuf)>> {
    let modules = py.import("sys")?.getattr("modules")?.call_method0("copy")?;
    let mut found = Vec::new();
    for (name, module) in modules.cast::<PyDict>()?.iter() {
        let Some(file) = module.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok()) else { continue };
        // Modules without a real source file (frozen, embedded) are not tracked.
        if file.extension().is_some_and(|e| e == "py") && file.is_file() {
            found.push((name.extract()?, absolute(&file)));
        }
    }
    Ok(found)
}

/// `jurigged.glob_filter(pattern)`: a callable telling whether a filename matches
/// a watch pattern (as `watch()` takes them).
#[pyclass(module = "jurigged", frozen)]
pub struct GlobFilter {
    filter: Filter,
    pattern: String,
}

impl GlobFilter {
    fn new(pattern: &str) -> PyResult<GlobFilter> {
        let filter = Filter::new([pattern], [""; 0]).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(GlobFilter { filter, pattern: pattern.to_string() })
    }
}

#[pymethods]
impl GlobFilter {
    fn __call__(&self, filename: PathBuf) -> bool {
        self.filter.matches(&absolute(&filename))
    }

    fn __repr__(&self) -> String {
        format!("glob_filter({:?})", self.pattern)
    }
}

/// A filter for `registry.auto_register` from a watch pattern.
#[pyfunction]
pub fn glob_filter(pattern: &str) -> PyResult<GlobFilter> {
    GlobFilter::new(pattern)
}

/// (CodeFile, dotted path) of what a module, class, function (or method,
/// classmethod, staticmethod, wrapped function) or code object is, when its
/// source is a Python file: the file is tracked from now on.
pub fn resolve(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Option<(Py<PyCodeFile>, String)>> {
    let inspect = py.import("inspect")?;
    let modules = py.import("sys")?.getattr("modules")?;
    let registry = registry(py)?.get();
    let tracked = |module_name: &str, file: PathBuf| -> PyResult<Option<Py<PyCodeFile>>> {
        if file.extension().is_none_or(|e| e != "py") || !file.is_file() {
            return Ok(None);
        }
        registry.register(py, module_name, &file, None).map(Some)
    };
    if inspect.call_method1("ismodule", (obj,))?.extract::<bool>()? {
        let name: String = obj.getattr("__name__")?.extract()?;
        let Some(file) = obj.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok()) else {
            return Ok(None);
        };
        return Ok(tracked(&name, absolute(&file))?.map(|cf| (cf, name)));
    }
    let (module_name, qualname, file) = if inspect.call_method1("isclass", (obj,))?.extract::<bool>()? {
        let module_name: String = obj.getattr("__module__")?.extract()?;
        let Some(file) = modules
            .get_item(&module_name)
            .ok()
            .and_then(|m| m.getattr("__file__").ok())
            .and_then(|f| f.extract::<PathBuf>().ok())
        else {
            return Ok(None);
        };
        (module_name, obj.getattr("__qualname__")?.extract::<String>()?, file)
    } else {
        // Methods, classmethods, staticmethods and decorated functions lead to the
        // function that holds the code.
        let mut function = obj.clone();
        for attribute in ["__func__", "__wrapped__"] {
            while let Ok(inner) = function.getattr(attribute) {
                function = inner;
            }
        }
        let code = match function.getattr("__code__") {
            Ok(code) => code,
            Err(_) if jurigged_patch::registry::is_code(&function)? => function.clone(),
            Err(_) => return Ok(None),
        };
        let file = PathBuf::from(code.getattr("co_filename")?.extract::<String>()?);
        let qualname: String = match function.getattr("__qualname__") {
            Ok(name) => name.extract()?,
            // A bare code object: where the registry recorded it, else its own
            // qualified name (Python 3.11+) or name.
            Err(_) => match code_path(py, &code, &file)? {
                Some(path) => path,
                None => code.getattr("co_qualname").or_else(|_| code.getattr("co_name"))?.extract()?,
            },
        };
        let module_name: String = match function.getattr("__module__").ok().and_then(|m| m.extract::<String>().ok()) {
            Some(name) => name,
            None => match module_name_of(py, &file)? {
                Some(name) => name,
                None => return Ok(None),
            },
        };
        (module_name, qualname, file)
    };
    if qualname.contains("<locals>") || qualname.contains('<') {
        return Ok(None);
    }
    let Some(codefile) = tracked(&module_name, absolute(&file))? else { return Ok(None) };
    let focus = {
        let file = codefile.bind(py).borrow();
        let module = file.module_name_str();
        let path = if module.is_empty() { qualname } else { format!("{module}.{qualname}") };
        let found = file.tree().find(&path).next().is_some();
        found.then_some(path)
    };
    Ok(focus.map(|path| (codefile, path)))
}

/// The path the code registry knows `code` by, learning the namespace of its
/// module first if need be.
fn code_path(py: Python<'_>, code: &Bound<'_, PyAny>, file: &Path) -> PyResult<Option<String>> {
    let registry = jurigged_patch::registry::registry();
    if let Some(path) = registry.path_of(code) {
        return Ok(Some(path));
    }
    if let Some(name) = module_name_of(py, file)? {
        let module = py.import("sys")?.getattr("modules")?.get_item(name)?;
        registry.learn_namespace(module.getattr("__dict__")?.cast::<PyDict>()?, &absolute(file))?;
    }
    Ok(registry.path_of(code))
}

/// The name of the loaded module whose file is `file`, if any.
fn module_name_of(py: Python<'_>, file: &Path) -> PyResult<Option<String>> {
    let target = std::fs::canonicalize(file).ok();
    let modules = py.import("sys")?.getattr("modules")?.call_method0("copy")?;
    for item in modules.call_method0("items")?.try_iter()? {
        let (name, module): (String, Bound<'_, PyAny>) = item?.extract()?;
        let module_file = module.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok());
        if module_file.and_then(|f| std::fs::canonicalize(f).ok()) == target && target.is_some() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// The `sys.meta_path` finder that notes every module imported from a watched
/// path, with its source as it is when imported, so that the first save is
/// compared with what actually ran.
#[pyclass(module = "jurigged", frozen)]
pub struct ImportSniffer;

thread_local! {
    static SNIFFING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

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
            // The sessions lock is let go before the auto_register filters run:
            // they are Python code, and one that imports comes back here.
            let watched = lock(sessions()).iter().any(|s| s.filter.matches(&origin));
            let wanted = watched || registry(py)?.get().auto_accepts(py, &origin);
            if wanted {
                // Never break an import: a file we cannot read is reported, not raised.
                let source = std::fs::read(&origin).ok();
                let registered =
                    crate::boundary::guard_py(|| registry(py)?.get().register(py, fullname, &origin, source));
                if let Err(error) = registered {
                    let event = to_python(py, Event::file_error(py, &origin, error))?;
                    registry(py)?.get().announce(py, &event);
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
fn install_sniffer(py: Python<'_>) -> PyResult<()> {
    let meta_path = py.import("sys")?.getattr("meta_path")?;
    for finder in meta_path.cast::<PyList>()?.iter() {
        if finder.is_instance_of::<ImportSniffer>() {
            return Ok(());
        }
    }
    meta_path.call_method1("insert", (0, Py::new(py, ImportSniffer)?))?;
    Ok(())
}

/// How long join() waits between checks for Ctrl-C.
const JOIN_SLICE: Duration = Duration::from_millis(50);

/// A running watch: its filter, its watcher, its logger and hooks.
pub struct SessionCore {
    filter: Filter,
    watcher: Mutex<Option<jurigged_watch::Watcher>>,
    changes: Mutex<Option<Receiver<Change>>>,
    logger: Option<Py<PyAny>>,
    prerun: Py<EventSource>,
    postrun: Py<EventSource>,
    /// Set once the watcher thread has applied its last save (None: not started).
    finished: Mutex<Option<Arc<AtomicBool>>>,
    /// Set by stop(): saves still in flight are not applied.
    stopped: AtomicBool,
    /// The process that started it: a forked child inherits the session but not
    /// its threads, and must not touch locks they may have held at fork time.
    pid: u32,
}

impl Drop for SessionCore {
    fn drop(&mut self) {
        if self.inherited() {
            // Stopping it would wait for threads that do not exist in this process.
            if let Some(watcher) = lock(&self.watcher).take() {
                std::mem::forget(watcher);
            }
        }
    }
}

impl SessionCore {
    /// Whether this is a forked child's copy of a session of its parent.
    fn inherited(&self) -> bool {
        std::process::id() != self.pid
    }

    fn watch_file(&self, py: Python<'_>, filename: &Path, event: &Py<Event>) {
        if self.inherited() {
            // Nothing watches in a forked child, and the watcher's file set may
            // have been locked by one of the parent's threads at fork time.
            return;
        }
        let added = match lock(&self.watcher).as_ref() {
            Some(watcher) => watcher.add_file(filename),
            None => return,
        };
        match added {
            Ok(true) => self.log(py, event),
            Ok(false) => {}
            Err(error) => {
                let error = PyOSError::new_err(error.to_string());
                if let Ok(event) = to_python(py, Event::file_error(py, filename, error)) {
                    self.log(py, &event);
                }
            }
        }
    }

    /// Gives an event to the logger; a logger that raises is reported, never
    /// propagated into the program. A user's logger gets, as from the original,
    /// the exception itself for an error, the operation object otherwise.
    fn log(&self, py: Python<'_>, event: &Py<Event>) {
        let Some(logger) = &self.logger else { return };
        let logger = logger.bind(py);
        let result = match logger.cast::<Logger>() {
            Ok(ours) => ours.get().log_event(py, event.get()),
            Err(_) => {
                let argument = match event.get().error() {
                    Some(error) => error.clone_ref(py),
                    None => event.clone_ref(py).into_any(),
                };
                logger.call1((argument,)).map(drop)
            }
        };
        if let Err(error) = result {
            error.print(py);
        }
    }

    fn emit(&self, py: Python<'_>, event: Event) {
        match to_python(py, event) {
            Ok(event) => {
                if let Ok(registry) = registry(py) {
                    registry.get().announce(py, &event);
                }
                self.log(py, &event);
            }
            Err(error) => error.print(py),
        }
    }

    /// Applies the saves that arrive until the watcher stops.
    fn run(self: Arc<Self>, changes: Receiver<Change>) {
        while let Ok(change) = changes.recv() {
            match change {
                Change::Files(paths) => {
                    for path in paths {
                        if self.stopped.load(Ordering::Acquire) {
                            return;
                        }
                        self.apply_save_guarded(&path);
                    }
                }
                Change::Error(error) => {
                    // A system limit: polling needs no watches.
                    let hint = if error.limit().is_some() { "; retry with --poll" } else { "" };
                    let message = format!("{error}{hint}");
                    with_python(|py| self.emit(py, Event::file_error(py, Path::new(""), PyOSError::new_err(message))));
                }
            }
        }
    }

    /// Applies a save; a panic on the way (a bug of ours, whatever the file
    /// holds) is reported as an error of that file and the watcher goes on.
    fn apply_save_guarded(&self, path: &Path) {
        if let Err(failure) = crate::boundary::guard(|| self.apply_save(path)) {
            let message = format!("{}: internal error while applying this save: {failure}", path.display());
            with_python(|py| self.emit(py, Event::file_error(py, path, PyOSError::new_err(message))));
        }
    }

    /// Reads, parses and diffs a saved file without the GIL, then applies it.
    fn apply_save(&self, path: &Path) {
        let bytes = match jurigged_patch::read_source(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                let message = if error.kind() == std::io::ErrorKind::NotFound {
                    format!("{} was deleted; the program keeps running its last code", path.display())
                } else {
                    format!("{}: {error}; the program keeps running its last code", path.display())
                };
                with_python(|py| self.emit(py, Event::file_error(py, path, PyOSError::new_err(message))));
                return;
            }
        };
        // The live tree as last applied: reading it needs no GIL. If the file
        // was changed meanwhile through the API, the application below notices.
        let Some((module_name, old)) = snapshot(path) else { return };
        let old_text = old.reconstruct();
        if bytes.is_empty() && !old_text.trim().is_empty() {
            // Most often a save caught between truncating the file and writing it:
            // applying it would delete everything. The next write is applied.
            let message =
                format!("{} is empty (a save in progress?); the program keeps running its last code", path.display());
            with_python(|py| self.emit(py, Event::file_error(py, path, PyOSError::new_err(message))));
            return;
        }
        let parsed = jurigged_patch::live_parser(&module_name, path).parse_bytes(&bytes).map(|new| {
            let unchanged = new.reconstruct() == old_text;
            let script = (!unchanged).then(|| diff(&old, &new));
            (new, script)
        });
        with_python(|py| {
            let Some(codefile) = registry(py).ok().and_then(|r| r.get().lookup(py, path)) else { return };
            let (new, script) = match parsed {
                Ok(parsed) => parsed,
                Err(error) => {
                    let error = to_py_err(py, error.into());
                    self.emit(py, Event::file_error(py, path, error));
                    return;
                }
            };
            let path_text = path.display().to_string();
            let hook_args = |py: Python<'_>| {
                vec![PyString::new(py, &path_text).into_any().unbind(), codefile.clone_ref(py).into_any()]
            };
            // The hooks see every save, one identical to the live code included
            // (as the original's): a program may act on the save itself.
            self.prerun.get().emit(py, hook_args(py));
            let result = {
                let mut file = match codefile.bind(py).try_borrow_mut() {
                    Ok(file) => file,
                    Err(error) => {
                        self.emit(py, Event::file_error(py, path, error.into()));
                        return;
                    }
                };
                let result = match script {
                    None => Ok(Vec::new()),
                    Some(script) => {
                        file.associate_loaded_module(py);
                        let result = if file.text_str() == old_text {
                            file.apply_tree(py, new, &script)
                        } else {
                            file.merge_tree(py, &new, Order::New, Deletions::All)
                        };
                        remember_snapshot(path, file.module_name_str(), file.shared_tree());
                        result
                    }
                };
                file.set_disk(bytes);
                result
            };
            match result {
                Ok(events) => {
                    let touched = Touched::by(&events);
                    for event in events {
                        self.emit(py, event);
                    }
                    if let Ok(registry) = registry(py) {
                        registry.get().notify_recoders(py, path, &touched, None);
                    }
                }
                Err(error) => self.emit(py, Event::file_error(py, path, error)),
            }
            self.postrun.get().emit(py, hook_args(py));
        });
    }
}

/// `jurigged.watch()`'s watcher: `start()`, `stop()`, `join()`, and the
/// `prerun` / `postrun` hooks, called with (path, codefile) around each file's
/// application.
#[pyclass(module = "jurigged", name = "Watcher", frozen)]
pub struct PyWatcher {
    core: Arc<SessionCore>,
}

#[pymethods]
impl PyWatcher {
    /// Starts applying saves (watch() does it unless autostart=False).
    ///
    /// Saves are applied on a daemon thread started by `threading`, as the
    /// original's watchdog threads were. A Python thread keeps its thread state:
    /// a Rust thread entering Python creates and deletes one each time, taking
    /// the interpreter's runtime lock without the GIL, and a fork at that moment
    /// leaves the child stuck in CPython's own after-fork code (3.11). It also
    /// gets the stack size of Python threads, not Rust's 2 MiB.
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        let Some(changes) = lock(&self.core.changes).take() else { return Ok(()) };
        let finished = Arc::new(AtomicBool::new(false));
        let body = {
            let core = Arc::clone(&self.core);
            let finished = Arc::clone(&finished);
            let changes = Mutex::new(Some(changes));
            PyCFunction::new_closure(
                py,
                None,
                None,
                move |args: &Bound<'_, PyTuple>, _: Option<&Bound<'_, PyDict>>| {
                    let Some(changes) = lock(&changes).take() else { return };
                    let core = Arc::clone(&core);
                    let finished = Arc::clone(&finished);
                    args.py().detach(move || {
                        // Set however run() ends (even by a panic): join() never waits for nothing.
                        let finished = SetOnDrop(finished);
                        core.run(changes);
                        drop(finished);
                        leave_unless_exiting();
                    });
                    IN_PYTHON.fetch_sub(1, Ordering::SeqCst);
                },
            )?
        };
        let options = PyDict::new(py);
        options.set_item("target", body)?;
        options.set_item("name", "jurigged watcher")?;
        options.set_item("daemon", true)?;
        let thread = py.import("threading")?.getattr("Thread")?.call((), Some(&options))?;
        thread.call_method0("start")?;
        *lock(&self.core.finished) = Some(finished);
        Ok(())
    }

    /// Stops watching; saves after this are not applied. Returns at once: the
    /// system watcher winds down in the background (join() waits for it).
    fn stop(&self) {
        lock(sessions()).retain(|s| !Arc::ptr_eq(s, &self.core));
        self.core.stopped.store(true, Ordering::Release);
        if self.core.inherited() {
            return;
        }
        if let Some(watcher) = lock(&self.core.watcher).take() {
            // Removing inotify watches takes ~15 ms: not on the program's time.
            let _ = std::thread::Builder::new().name("jurigged stop".into()).spawn(move || watcher.stop());
        }
    }

    /// Waits for the watcher thread to end (after stop()), at most `timeout`
    /// seconds. Ctrl-C interrupts the wait (KeyboardInterrupt), as it does
    /// `threading.Thread.join`.
    #[pyo3(signature = (timeout = None))]
    fn join(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        if self.core.inherited() {
            return Ok(());
        }
        let Some(finished) = lock(&self.core.finished).clone() else { return Ok(()) };
        // A timeout too large for a Duration (or infinite) is no timeout.
        let deadline = timeout
            .and_then(|t| Duration::try_from_secs_f64(t.max(0.0)).ok())
            .and_then(|t| std::time::Instant::now().checked_add(t));
        loop {
            // Detached in short slices: signals are only handled with the GIL.
            let slice_end = (std::time::Instant::now() + JOIN_SLICE)
                .min(deadline.unwrap_or(std::time::Instant::now() + JOIN_SLICE));
            let done = py.detach(|| {
                while !finished.load(Ordering::SeqCst) && std::time::Instant::now() < slice_end {
                    std::thread::sleep(Duration::from_millis(2));
                }
                finished.load(Ordering::SeqCst)
            });
            if done {
                return Ok(());
            }
            let timed_out = deadline.is_some_and(|d| std::time::Instant::now() >= d);
            let interrupted = if timed_out { Ok(()) } else { py.check_signals() };
            if timed_out || interrupted.is_err() {
                return interrupted;
            }
        }
    }

    /// Called with (path, codefile) before each file's changes are applied.
    #[getter]
    fn prerun(&self, py: Python<'_>) -> Py<EventSource> {
        self.core.prerun.clone_ref(py)
    }

    /// Called with (path, codefile) after each file's changes are applied.
    #[getter]
    fn postrun(&self, py: Python<'_>) -> Py<EventSource> {
        self.core.postrun.clone_ref(py)
    }

    /// The files this watcher watches.
    fn files(&self) -> Vec<String> {
        if self.core.inherited() {
            return Vec::new();
        }
        let files = lock(&self.core.watcher).as_ref().map(|w| w.files()).unwrap_or_default();
        files.iter().map(|p| p.display().to_string()).collect()
    }
}

/// Watches the files that match `pattern` (imported now or later) and applies
/// every save to the running program.
#[pyfunction]
#[pyo3(signature = (pattern = None, logger = None, registry = None, autostart = true, debounce = 0.05, poll = None, exclude = None))]
#[allow(clippy::too_many_arguments)]
pub fn watch(
    py: Python<'_>,
    pattern: Option<&Bound<'_, PyAny>>,
    logger: Option<Py<PyAny>>,
    registry: Option<&Bound<'_, Registry>>,
    autostart: bool,
    debounce: f64,
    poll: Option<&Bound<'_, PyAny>>,
    exclude: Option<Vec<String>>,
) -> PyResult<PyWatcher> {
    let _ = registry;
    let patterns: Vec<String> = match pattern {
        None => vec!["./*.py".to_string()],
        Some(p) => match p.extract::<String>() {
            Ok(single) => vec![single],
            Err(_) => p.extract()?,
        },
    };
    let filter =
        Filter::new(&patterns, exclude.unwrap_or_default()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    for unmatched in filter.unmatched() {
        py.import("sys")?.getattr("stderr")?.call_method1("write", (format!("jurigged: warning: {unmatched}\n"),))?;
    }
    // poll: False/None for notifications, True for the default interval, or seconds.
    let poll = match poll {
        None => None,
        Some(value) => match value.extract::<bool>() {
            Ok(false) => None,
            Ok(true) => Some(Duration::from_secs(1)),
            Err(_) => Some(Duration::from_secs_f64(value.extract::<f64>()?.max(0.0))),
        },
    };
    if !(debounce.is_finite() && debounce >= 0.0) {
        return Err(PyValueError::new_err("debounce must be a number of seconds, zero or more"));
    }
    let (watcher, changes) = jurigged_watch::Watcher::builder()
        .debounce(Duration::from_secs_f64(debounce))
        .poll(poll)
        .build()
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
    let logger = match logger {
        Some(logger) => Some(logger),
        None => Some(crate::logger::errors_only(py)?),
    };
    let core = Arc::new(SessionCore {
        filter,
        watcher: Mutex::new(Some(watcher)),
        changes: Mutex::new(Some(changes)),
        logger: logger.filter(|l| !l.is_none(py)),
        prerun: Py::new(py, EventSource::default())?,
        postrun: Py::new(py, EventSource::default())?,
        finished: Mutex::new(None),
        stopped: AtomicBool::new(false),
        pid: std::process::id(),
    });
    lock(sessions()).push(Arc::clone(&core));
    install_exit_hook(py)?;
    jurigged_patch::registry::install_audit_hook(py)?;
    install_sniffer(py)?;
    // Modules imported before watching started: their source is read now.
    let global = self::registry(py)?.get();
    for (name, file) in loaded_modules(py)? {
        if core.filter.matches(&file) {
            match global.register(py, &name, &file, None) {
                Ok(_) => {
                    // Already known files are watched by this new session too.
                    let event = to_python(py, Event::watch(&file))?;
                    core.watch_file(py, &file, &event);
                }
                Err(error) => core.emit(py, Event::file_error(py, &file, error)),
            }
        }
    }
    let watcher = PyWatcher { core };
    if autostart {
        watcher.start(py)?;
    }
    Ok(watcher)
}
