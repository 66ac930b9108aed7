//! `jurigged.watch()` and the Watcher it returns: a session started, its thread,
//! stopping and joining it.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jurigged_watch::Filter;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCFunction;

use crate::event_stream::EventStream;
use crate::file_registry::{file_registry, loaded_modules};
use crate::forked::install_fork_hook;
use crate::lifecycle::install_exit_hook;
use crate::py_callbacks::EventSource;
use crate::py_errors::watch_error;
use crate::py_event::Event;
use crate::py_glob_filter::GlobFilter;
use crate::py_logger::Logger;
use crate::py_operations::to_python;
use crate::py_registry::Registry;
use crate::py_sniffer::install_sniffer;
use crate::session_state::SessionState;
use crate::sessions::{sessions, SessionCore, SessionSettings};
use jurigged_watch::sync::lock;

/// How long join() waits between checks for Ctrl-C.
const JOIN_SLICE: Duration = Duration::from_millis(50);

/// The polling interval of `watch(poll=True)`.
const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// `jurigged.watch()`'s watcher: `start()`, `stop()`, `join()`, and the
/// `prerun` / `postrun` hooks, called with (path, codefile) around each file's
/// application.
///
/// `Watcher(registry, debounce=, poll=)`, as in the original, watches the files
/// `registry` prepares (those before it was made too) and logs through
/// `registry.log`; it starts on `start()`.
#[pyclass(module = "jurigged", name = "Watcher", frozen)]
pub struct PyWatcher {
    core: Arc<SessionCore>,
    /// The registry whose files it watches (`jurigged.registry` for watch()'s
    /// patterns).
    registry: Py<Registry>,
    /// Its callback on `registry.precache_activity`, when it follows a registry.
    subscription: Option<Py<PyAny>>,
}

#[jurigged_entry::py_entry]
#[pymethods]
impl PyWatcher {
    #[new]
    #[pyo3(signature = (registry, debounce = None, poll = None))]
    fn new(
        py: Python<'_>,
        registry: &Bound<'_, Registry>,
        debounce: Option<&Bound<'_, PyAny>>,
        poll: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyWatcher> {
        let timing = timing_of(debounce, poll)?;
        following(py, registry, timing, None, true)
    }

    /// What the original exposes as its file-system observer: here the watcher
    /// itself (`watcher.observer.is_alive()`).
    #[getter]
    fn observer(slf: &Bound<'_, Self>) -> Py<PyWatcher> {
        slf.clone().unbind()
    }

    /// Whether its thread is applying saves (started, and not yet ended after
    /// stop()).
    fn is_alive(&self) -> bool {
        self.core.state.is_running()
    }

    /// The registry whose files it watches.
    #[getter]
    fn registry(&self, py: Python<'_>) -> Py<Registry> {
        self.registry.clone_ref(py)
    }

    /// Seconds a burst of file-system events is gathered before it is applied.
    #[getter]
    fn debounce(&self) -> f64 {
        self.core.settings.timing.debounce().as_secs_f64()
    }

    /// The polling interval in seconds, or False under system notifications.
    #[getter]
    fn poll<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.core.settings.timing.poll() {
            Some(interval) => Ok(interval.as_secs_f64().into_pyobject(py)?.into_any()),
            None => Ok(false.into_pyobject(py)?.to_owned().into_any()),
        }
    }

    /// Starts applying saves (watch() does it unless autostart=False).
    fn start(&self, py: Python<'_>) -> PyResult<()> {
        crate::session_thread::start_thread(py, &self.core)
    }

    /// Stops watching; saves after this are not applied. Returns at once: the
    /// system watcher winds down in the background (join() waits for it).
    pub fn stop(&self) {
        lock(sessions()).retain(|s| !Arc::ptr_eq(s, &self.core));
        // Its watcher (none in a forked child that has not rearmed: the parent's).
        let watcher = self.core.state.stop();
        // Called with the GIL (from Python or the command line): attaching is free.
        Python::attach(|py| {
            if let Some(subscription) = &self.subscription {
                if let Ok(precache) = self.registry.getattr(py, "precache_activity") {
                    let _ = precache.call_method1(py, "unregister", (subscription,));
                }
            }
            if let Err(error) = crate::child_env::export(py) {
                error.print(py);
            }
        });
        if let Some(watcher) = watcher {
            // Removing inotify watches takes ~15 ms: not on the program's time.
            let _ = std::thread::Builder::new().name("jurigged stop".into()).spawn(move || watcher.stop());
        }
    }

    /// Waits for the watcher thread to end (after stop()), at most `timeout`
    /// seconds. Ctrl-C interrupts the wait (KeyboardInterrupt), as it does
    /// `threading.Thread.join`.
    #[pyo3(signature = (timeout = None))]
    fn join(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<()> {
        let Some(finished) = self.core.state.finished() else { return Ok(()) };
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
        self.core.state.files().iter().map(|p| p.display().to_string()).collect()
    }
}

/// Directories not watched by default (when no pattern is given on the command
/// line or to `jurigged attach`): other people's code.
pub const DEFAULT_EXCLUDES: &[&str] = &[".venv", "venv", "site-packages", "dist-packages", ".tox", ".nox"];

/// What a session watches and how: the arguments of `watch()` and of the command
/// line, checked.
pub struct WatchOptions {
    /// Globs (or files, or directories) of the files to watch.
    pub patterns: Vec<String>,
    /// Globs of files never watched.
    pub excludes: Vec<String>,
    /// Called with every event; None for silence.
    pub logger: Option<Py<PyAny>>,
    /// How long a burst of file-system events is gathered before it is
    /// applied, and the polling interval if polling replaces notifications.
    pub timing: jurigged_watch::Timing,
    /// Whether saves are applied from now on (else after `start()`).
    pub autostart: bool,
    /// Where to write every event as a JSON line, if anywhere.
    pub events: Option<EventStream>,
    /// Whether every Python the program starts joins the session (else only
    /// `multiprocessing`'s children: spawn and forkserver; forked children always).
    pub children: bool,
    /// Whether an unchanged assignment whose value reads a function the save
    /// changed runs again.
    pub rerun_dependents: bool,
}

/// Watches the files that match `pattern` (imported now or later) and applies
/// every save to the running program.
#[jurigged_entry::py_entry]
#[pyfunction]
#[pyo3(signature = (pattern = None, logger = None, registry = None, autostart = true, debounce = None, poll = None, exclude = None, events = None, children = false, rerun_dependents = true))]
#[allow(clippy::too_many_arguments)]
pub fn watch(
    py: Python<'_>,
    pattern: Option<&Bound<'_, PyAny>>,
    logger: Option<Py<PyAny>>,
    registry: Option<&Bound<'_, Registry>>,
    autostart: bool,
    debounce: Option<&Bound<'_, PyAny>>,
    poll: Option<&Bound<'_, PyAny>>,
    exclude: Option<Vec<String>>,
    events: Option<PathBuf>,
    children: bool,
    rerun_dependents: bool,
) -> PyResult<PyWatcher> {
    let timing = timing_of(debounce, poll)?;
    let logger = match logger {
        Some(logger) => Some(logger).filter(|l| !l.is_none(py)),
        None => Some(crate::py_logger::errors_only(py)?),
    };
    let events = events.as_deref().map(open_event_stream).transpose()?;
    let globs: Option<Vec<String>> = match pattern {
        None => Some(vec!["./*.py".to_string()]),
        Some(p) => match p.extract::<String>() {
            Ok(single) => Some(vec![single]),
            Err(_) => p.extract().ok(),
        },
    };
    let own_registry = registry.filter(|r| !r.get().is_global());
    if own_registry.is_some() || globs.is_none() {
        // As the original: the registry tracks what the filter (a callable, or
        // the patterns) accepts, logs with `logger`, and a Watcher follows it.
        let registry = match own_registry {
            Some(registry) => registry.clone(),
            None => crate::py_registry::registry(py)?.bind(py).clone(),
        };
        let filter = match (&globs, pattern) {
            (None, Some(callable)) => callable.clone(),
            _ => Py::new(py, GlobFilter::any_of(globs.as_deref().unwrap_or_default())?)?.into_any().into_bound(py),
        };
        registry.call_method1("auto_register", (filter,))?;
        registry.call_method1("set_logger", (logger,))?;
        let watcher = following(py, &registry, timing, events, rerun_dependents)?;
        if autostart {
            watcher.start(py)?;
        }
        return Ok(watcher);
    }
    let options = WatchOptions {
        patterns: globs.unwrap_or_default(),
        excludes: exclude.unwrap_or_default(),
        logger,
        timing,
        autostart,
        events,
        children,
        rerun_dependents,
    };
    start_watching(py, options)
}

/// The timing of watch()'s and Watcher()'s arguments: `debounce` in seconds
/// (None: the default); `poll` False/None for system notifications, True for
/// the default interval, or seconds. Checked (ValueError) as the command line's.
fn timing_of(debounce: Option<&Bound<'_, PyAny>>, poll: Option<&Bound<'_, PyAny>>) -> PyResult<jurigged_watch::Timing> {
    let poll = match poll {
        None => None,
        Some(value) => match value.extract::<bool>() {
            Ok(false) => None,
            Ok(true) => Some(DEFAULT_POLL.as_secs_f64()),
            Err(_) => Some(seconds(value)?),
        },
    };
    let debounce = debounce.map(seconds).transpose()?;
    jurigged_watch::Timing::from_seconds(debounce, poll).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// A number of seconds from Python: an int too large for a float is taken as
/// the infinity of its sign, which the timing checks then refuse (ValueError).
fn seconds(value: &Bound<'_, PyAny>) -> PyResult<f64> {
    match value.extract::<f64>() {
        Err(error) if error.is_instance_of::<pyo3::exceptions::PyOverflowError>(value.py()) => {
            Ok(if value.lt(0)? { f64::NEG_INFINITY } else { f64::INFINITY })
        }
        other => other,
    }
}

/// A watcher over the files `registry` prepares, before and after: each is
/// watched as the registry hears of it (its `precache_activity`, replayed), and
/// events are logged through `registry.log`. Not started.
fn following(
    py: Python<'_>,
    registry: &Bound<'_, Registry>,
    timing: jurigged_watch::Timing,
    events: Option<EventStream>,
    rerun_dependents: bool,
) -> PyResult<PyWatcher> {
    let nothing: [&str; 0] = [];
    let filter = Filter::new(nothing, nothing).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let settings = SessionSettings {
        patterns: Vec::new(),
        excludes: Vec::new(),
        timing,
        children: false,
        verbose: None,
        rerun_dependents,
    };
    let logger = Some(registry.getattr("log")?.unbind());
    let core = new_session(py, filter, settings, logger, registry.get().own_activity(py), events)?;
    let adopting = Arc::clone(&core);
    let on_prepare = PyCFunction::new_closure(py, None, None, move |args, _kwargs| -> PyResult<()> {
        let py = args.py();
        let (module_name, filename): (String, PathBuf) = args.extract()?;
        let filename = jurigged_watch::absolute(&filename);
        let mut event = Event::watch(&filename, &module_name);
        if let Some(codefile) = file_registry().lookup(py, &filename) {
            event = event.of_file(codefile.into_any());
        }
        let event = to_python(py, event)?;
        adopting.adopt_file(py, &filename, &event);
        Ok(())
    })?;
    registry.getattr("precache_activity")?.call_method1("register", (&on_prepare,))?;
    Ok(PyWatcher { core, registry: registry.clone().unbind(), subscription: Some(on_prepare.into_any().unbind()) })
}

/// A session registered with the running ones, its process hooks installed.
fn new_session(
    py: Python<'_>,
    filter: Filter,
    settings: SessionSettings,
    logger: Option<Py<PyAny>>,
    registry_activity: Option<Py<EventSource>>,
    events: Option<EventStream>,
) -> PyResult<Arc<SessionCore>> {
    let (watcher, changes) =
        jurigged_watch::Watcher::builder().timing(settings.timing).build().map_err(|e| watch_error(&e))?;
    let core = Arc::new(SessionCore {
        filter,
        members: Mutex::default(),
        state: SessionState::new(watcher, changes),
        logger,
        registry_activity,
        events,
        prerun: Py::new(py, EventSource::default())?,
        postrun: Py::new(py, EventSource::default())?,
        settings,
    });
    lock(sessions()).push(Arc::clone(&core));
    install_exit_hook(py)?;
    install_fork_hook(py)?;
    crate::child_env::export(py)?;
    jurigged_patch::code_registry::install_audit_hook(py)?;
    install_sniffer(py)?;
    Ok(core)
}

/// The event stream to `path` (`-`: stderr), or the OSError that prevents it.
pub fn open_event_stream(path: &std::path::Path) -> PyResult<EventStream> {
    EventStream::open(path).map_err(|error| {
        let errno = error.raw_os_error().unwrap_or(0);
        PyOSError::new_err((errno, error.to_string(), path.as_os_str().to_os_string()))
    })
}

/// Starts a session: watches the files `options` selects, those imported
/// already and those imported later.
pub fn start_watching(py: Python<'_>, options: WatchOptions) -> PyResult<PyWatcher> {
    let filter = Filter::new(&options.patterns, &options.excludes).map_err(|e| PyValueError::new_err(e.to_string()))?;
    for unmatched in filter.unmatched() {
        // Said, not raised: the files may appear later (a build step).
        py.import("sys")?.getattr("stderr")?.call_method1("write", (format!("jurigged: warning: {unmatched}\n"),))?;
    }
    let settings = SessionSettings {
        patterns: options.patterns.iter().map(|p| jurigged_watch::absolute_pattern(p).display().to_string()).collect(),
        excludes: options.excludes.clone(),
        timing: options.timing,
        children: options.children,
        verbose: options.logger.as_ref().map(|l| l.bind(py).cast::<Logger>().is_ok_and(|l| l.get().is_verbose())),
        rerun_dependents: options.rerun_dependents,
    };
    let core = new_session(py, filter, settings, options.logger, None, options.events)?;
    // Modules imported before watching started: their source is read now.
    let global = file_registry();
    for (name, file) in loaded_modules(py)? {
        if core.filter.matches(&file) {
            match global.register(py, &name, &file, None) {
                Ok(codefile) => {
                    // Already known files are watched by this new session too.
                    let event = to_python(py, Event::watch(&file, &name).of_file(codefile.into_any()))?;
                    core.watch_file(py, &file, &event);
                }
                Err(error) => core.emit(py, Event::file_error(py, &file, error)),
            }
        }
    }
    let registry = crate::py_registry::registry(py)?.clone_ref(py);
    let watcher = PyWatcher { core, registry, subscription: None };
    if options.autostart {
        watcher.start(py)?;
    }
    Ok(watcher)
}
