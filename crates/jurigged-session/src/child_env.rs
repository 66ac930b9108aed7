//! What the Pythons a program starts learn of its sessions: the environment
//! variable `JURIGGED_SESSION`, a JSON list of the running sessions' options.
//!
//! A child Python reads it at startup through the `.pth` hook shipped in the
//! wheel (`jurigged/_child.py`), which costs a lookup in `os.environ` when the
//! variable is absent. `multiprocessing`'s children (spawn and forkserver, and
//! so `ProcessPoolExecutor`) join the sessions; any other Python joins only those
//! started with `children=True` / `--children`.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::sessions::{sessions, SessionCore, SessionSettings};
use jurigged_watch::sync::lock;

/// The environment variable a child Python reads the sessions from.
pub const SESSION_VARIABLE: &str = "JURIGGED_SESSION";

/// Writes the running sessions into `os.environ` (and so into the environment
/// of every process started from now on), or removes the variable when none
/// runs. Called with the GIL whenever a session starts or stops.
pub(crate) fn export(py: Python<'_>) -> PyResult<()> {
    let running: Vec<Arc<SessionCore>> = lock(sessions()).clone();
    let environ = py.import("os")?.getattr("environ")?;
    let running: Vec<&SessionSettings> =
        running.iter().filter(|core| !core.state.is_stopped()).map(|core| &core.settings).collect();
    if running.is_empty() {
        if environ.contains(SESSION_VARIABLE)? {
            environ.del_item(SESSION_VARIABLE)?;
        }
        return Ok(());
    }
    let list = PyList::empty(py);
    for settings in running {
        list.append(to_dict(py, settings)?)?;
    }
    let text = py.import("json")?.call_method1("dumps", (list,))?;
    environ.set_item(SESSION_VARIABLE, text)
}

/// One session's options, as `jurigged/_child.py` reads them.
fn to_dict<'py>(py: Python<'py>, settings: &SessionSettings) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("patterns", &settings.patterns)?;
    dict.set_item("excludes", &settings.excludes)?;
    // Seconds, read back by watch() in the child through the same checks.
    dict.set_item("debounce", settings.timing.debounce().as_secs_f64())?;
    dict.set_item("poll", settings.timing.poll().map(|p| p.as_secs_f64()))?;
    dict.set_item("children", settings.children)?;
    dict.set_item("rerun_dependents", settings.rerun_dependents)?;
    let logger = match settings.verbose {
        None => "none",
        Some(false) => "errors",
        Some(true) => "verbose",
    };
    dict.set_item("logger", logger)?;
    Ok(dict)
}
