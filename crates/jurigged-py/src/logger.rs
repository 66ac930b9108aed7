//! The loggers `watch()` and the CLI use: one whole line per event on stderr, in
//! colour on a terminal (unless NO_COLOR is set), with tracebacks for errors.

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::event::Event;

fn colour(kind: &str) -> &'static str {
    match kind {
        "watch" => "\x1b[2m",
        "update" => "\x1b[33m",
        "add" => "\x1b[32m",
        "delete" => "\x1b[31m",
        "run" => "\x1b[34m",
        _ => "\x1b[1;31m",
    }
}

fn use_colour(py: Python<'_>, stream: &Bound<'_, PyAny>) -> bool {
    let no_colour = py.import("os").and_then(|os| os.getattr("environ")?.call_method1("get", ("NO_COLOR",)));
    if no_colour.is_ok_and(|v| !v.is_none() && v.str().is_ok_and(|s| !s.to_string_lossy().is_empty())) {
        return false;
    }
    stream.call_method0("isatty").and_then(|v| v.extract::<bool>()).unwrap_or(false)
}

/// The traceback of an exception, as Python prints it.
fn format_exception(py: Python<'_>, error: &Bound<'_, PyAny>) -> PyResult<String> {
    let traceback = py.import("traceback")?;
    let lines = if error.is_instance_of::<pyo3::exceptions::PySyntaxError>() {
        traceback.call_method1("format_exception_only", (error.get_type(), error))?
    } else {
        traceback.call_method1("format_exception", (error.get_type(), error, error.getattr("__traceback__")?))?
    };
    PyString::new(py, "").call_method1("join", (lines,))?.extract()
}

/// Writes one event to stderr as a single write, so that it is never split by
/// the program's own output.
fn write_event(py: Python<'_>, event: &Event) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    if stderr.is_none() {
        return Ok(());
    }
    let text = event.__str__();
    let mut out = if use_colour(py, &stderr) {
        let (word, rest) = text.split_once(' ').unwrap_or((&text, ""));
        format!("{}{word}\x1b[0m {rest}\n", colour(event.kind()))
    } else {
        format!("{text}\n")
    };
    if let Some(error) = event.error() {
        out.push_str(&format_exception(py, error.bind(py))?);
    }
    stderr.call_method1("write", (out,))?;
    stderr.call_method0("flush")?;
    Ok(())
}

/// Prints errors (with their traceback) and nothing else.
#[pyfunction]
pub fn default_logger(py: Python<'_>, event: &Bound<'_, Event>) -> PyResult<()> {
    if event.get().kind() == "error" {
        write_event(py, event.get())?;
    }
    Ok(())
}

/// Prints every event: `Watch <file>`, `Update mod.f @L3`, `Run mod @L9: x = 1`,
/// and errors with their traceback.
#[pyfunction]
pub fn verbose_logger(py: Python<'_>, event: &Bound<'_, Event>) -> PyResult<()> {
    write_event(py, event.get())
}
