//! The running sessions: what each watches, and where its events go.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jurigged_watch::Filter;
use pyo3::prelude::*;

use crate::event_stream::EventStream;
use crate::py_callbacks::{announce, EventSource};
use crate::py_event::Event;
use crate::py_logger::Logger;
use crate::py_operations::to_python;
use crate::session_state::SessionState;
use jurigged_patch::EventKind;
use jurigged_watch::sync::lock;

/// Every running session, so that a newly imported file reaches the watchers
/// whose patterns match it.
pub fn sessions() -> &'static Mutex<Vec<Arc<SessionCore>>> {
    static SESSIONS: OnceLock<Mutex<Vec<Arc<SessionCore>>>> = OnceLock::new();
    SESSIONS.get_or_init(Mutex::default)
}

/// A running watch: its filter, its watcher, its logger and hooks.
pub struct SessionCore {
    pub(crate) filter: Filter,
    /// Files given to it beyond its filter: those its registry prepared (a
    /// `Watcher(registry)` of the original's API). Locked only with the GIL
    /// held and never across Python code, so a fork (which holds the GIL) never
    /// inherits it locked.
    pub(crate) members: Mutex<Vec<std::path::PathBuf>>,
    /// Its watcher, its thread, stopped or not, inherited or not: changed
    /// only through its methods.
    pub(crate) state: SessionState,
    pub(crate) logger: Option<Py<PyAny>>,
    /// The `activity` of the client's own registry a `Watcher(registry)` watches
    /// (its events also go to `jurigged.registry.activity`).
    pub(crate) registry_activity: Option<Py<EventSource>>,
    /// The JSON-lines stream of `--events`, when asked for.
    pub(crate) events: Option<EventStream>,
    pub(crate) prerun: Py<EventSource>,
    pub(crate) postrun: Py<EventSource>,
    /// What it was started with, for the watcher of a forked child and for the
    /// Pythons the program starts (`children`).
    pub(crate) settings: SessionSettings,
}

/// The options a session was started with that a child process can take over.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// Watch patterns, made absolute (a child may run from another directory).
    pub patterns: Vec<String>,
    /// Exclude patterns, as given.
    pub excludes: Vec<String>,
    /// The debounce and the polling interval, checked.
    pub timing: jurigged_watch::Timing,
    /// Whether any Python the program starts joins (else only multiprocessing's).
    pub children: bool,
    /// The logger a child uses: None (silent), errors only, or every event.
    pub verbose: Option<bool>,
    /// Whether an unchanged assignment whose value reads a function the save
    /// changed runs again (`--no-rerun-dependents` turns it off).
    pub rerun_dependents: bool,
}

impl SessionCore {
    /// Whether this session watches the files of `jurigged.registry` (not
    /// those of a `Registry()` of a client's own).
    pub(crate) fn follows_global_registry(&self) -> bool {
        self.registry_activity.is_none()
    }

    /// Whether this session watches `path`: its patterns match it, or its
    /// registry gave it.
    pub(crate) fn wants(&self, path: &Path) -> bool {
        self.filter.matches(path) || lock(&self.members).iter().any(|m| m == path)
    }

    /// Watches `filename`, given by the session's registry, from now on (also
    /// in a forked child).
    pub(crate) fn adopt_file(&self, py: Python<'_>, filename: &Path, event: &Py<Event>) {
        {
            let mut members = lock(&self.members);
            if !members.iter().any(|m| m == filename) {
                members.push(filename.to_path_buf());
            }
        }
        self.watch_file(py, filename, event);
    }

    /// Watches `filename` (just registered); logs `event` (its Watch event) when
    /// this session did not watch it yet.
    pub(crate) fn watch_file(&self, py: Python<'_>, filename: &Path, event: &Py<Event>) {
        // Nothing watches in a forked child before it rearms, and the
        // watcher's file set may have been locked by one of the parent's
        // threads at fork time.
        let Some(added) = self.state.add_file(filename) else { return };
        match added {
            Ok(true) => self.log(py, event),
            Ok(false) => {}
            Err(error) => {
                let error = crate::py_errors::watch_error(&error);
                if let Ok(event) = to_python(py, Event::file_error(py, filename, error)) {
                    self.log(py, &event);
                }
            }
        }
    }

    /// Writes an event to the event stream and gives it to the logger; a logger
    /// that raises is reported, never
    /// propagated into the program. A user's logger gets, as from the original,
    /// the exception itself for an error, the operation object otherwise.
    pub(crate) fn log(&self, py: Python<'_>, event: &Py<Event>) {
        // The original's vocabulary only reaches a logger of the client's own.
        let echo = event.get().is_echo();
        if let (Some(stream), false) = (&self.events, echo) {
            stream.write(py, event.get());
        }
        let Some(logger) = &self.logger else { return };
        let logger = logger.bind(py);
        let result = match logger.cast::<Logger>() {
            Ok(_) if echo => Ok(()),
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

    /// Announces the events of one save of `path` and logs them, then ends
    /// the save in the event stream with its `save` record; the verbose logger
    /// sums up a save with many events in one line (errors and statements not
    /// run are still printed whole; the event stream and `registry.activity`
    /// get them all).
    pub(crate) fn emit_save(
        &self,
        py: Python<'_>,
        path: &Path,
        events: Vec<Event>,
        elapsed: Duration,
        outcome: &SaveOutcome,
    ) {
        let summary = Summary::of(&events);
        let module = events.iter().find_map(|e| e.module().map(str::to_string));
        let summing_up = events.iter().filter(|e| !e.is_echo()).count() > SUMMED_UP_AFTER;
        let logger = self.logger.as_ref().and_then(|l| l.bind(py).cast::<Logger>().ok().cloned());
        match logger.filter(|l| summing_up && l.get().is_verbose()) {
            None => {
                for event in events {
                    self.emit(py, event);
                }
            }
            Some(logger) => {
                for event in events {
                    let Ok(event) = to_python(py, event) else { continue };
                    self.announce(py, &event);
                    if event.get().is_echo() {
                        continue;
                    }
                    if let Some(stream) = &self.events {
                        stream.write(py, event.get());
                    }
                    // Errors, statements not run, and updates whose old code
                    // still runs, are told whole.
                    if event.get().always_told() || event.get().was_running() {
                        if let Err(error) = logger.get().log_event(py, event.get()) {
                            error.print(py);
                        }
                    }
                }
                if let Err(error) = logger.get().log_line(py, &summary.line(path, elapsed)) {
                    error.print(py);
                }
            }
        }
        if let Some(stream) = &self.events {
            stream.write_record(py, &summary.record(path, module, elapsed, outcome));
        }
    }

    /// Tells `registry.activity` (and the activity of the session's own
    /// registry, if any) of `event`.
    fn announce(&self, py: Python<'_>, event: &Py<Event>) {
        announce(py, event);
        if let Some(activity) = &self.registry_activity {
            activity.get().emit(py, vec![event.clone_ref(py).into_any()]);
        }
    }

    /// Announces `event` on `registry.activity` and logs it.
    pub(crate) fn emit(&self, py: Python<'_>, event: Event) {
        match to_python(py, event) {
            Ok(event) => {
                self.announce(py, &event);
                self.log(py, &event);
            }
            Err(error) => error.print(py),
        }
    }
}

/// A new save id: each save of the process has its own, on all its records.
pub(crate) fn next_save_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// How one save ended.
pub(crate) struct SaveOutcome {
    /// The save's id.
    pub(crate) id: u64,
    /// Whether it applied (else it was rejected and changed nothing).
    pub(crate) applied: bool,
    /// The file's pending statements after it, as records.
    pub(crate) pending: Vec<serde_json::Value>,
}

/// How many events of one save the verbose logger prints one by one; past it,
/// one line sums the save up.
const SUMMED_UP_AFTER: usize = 20;

/// How many definitions of each kind one save touched.
#[derive(Default)]
struct Summary {
    updates: usize,
    adds: usize,
    deletes: usize,
    runs: usize,
    /// Unchanged statements run again (their value reads a changed function).
    reruns: usize,
    /// Changed statements not run: running now, or pending.
    skips: usize,
    errors: usize,
}

impl Summary {
    fn of(events: &[Event]) -> Summary {
        let mut summary = Summary::default();
        for event in events.iter().filter(|e| !e.is_echo()) {
            match event.kind() {
                EventKind::Update => summary.updates += 1,
                EventKind::Add => summary.adds += 1,
                EventKind::Delete => summary.deletes += 1,
                EventKind::Run => summary.runs += 1,
                EventKind::Rerun => summary.reruns += 1,
                EventKind::Error => summary.errors += 1,
                EventKind::Skip | EventKind::Pending => summary.skips += 1,
                EventKind::Watch => {}
            }
        }
        summary
    }

    /// `Update 3, Add 1, Delete 0 in lib.py (2.1 ms)`, with the statements run
    /// and the errors when there are any; the file relative to the current
    /// directory when it is below it.
    fn line(&self, path: &Path, elapsed: Duration) -> String {
        let mut counts = format!("Update {}, Add {}, Delete {}", self.updates, self.adds, self.deletes);
        if self.runs > 0 {
            counts.push_str(&format!(", Run {}", self.runs));
        }
        if self.reruns > 0 {
            counts.push_str(&format!(", Rerun {}", self.reruns));
        }
        if self.skips > 0 {
            counts.push_str(&format!(", Skip {}", self.skips));
        }
        if self.errors > 0 {
            counts.push_str(&format!(", Error {}", self.errors));
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = path.strip_prefix(&cwd).unwrap_or(path);
        format!("{counts} in {} ({:.1} ms)", shown.display(), elapsed.as_secs_f64() * 1000.0)
    }

    /// The `save` record that ends a save in the event stream.
    fn record(
        &self,
        path: &Path,
        module: Option<String>,
        elapsed: Duration,
        outcome: &SaveOutcome,
    ) -> serde_json::Value {
        let time = crate::py_event::iso_8601(std::time::SystemTime::now());
        serde_json::json!({
            "schema": crate::py_event::RECORD_SCHEMA,
            "time": time,
            "pid": std::process::id(),
            "kind": "save",
            "save": outcome.id,
            "file": path.to_string_lossy(),
            "line": null,
            "module": module,
            "qualname": null,
            "outcome": if outcome.applied { "applied" } else { "rejected" },
            "updates": self.updates,
            "adds": self.adds,
            "deletes": self.deletes,
            "runs": self.runs,
            "reruns": self.reruns,
            "skips": self.skips,
            "errors": self.errors,
            "duration_ms": (elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            "pending": outcome.pending,
        })
    }
}
