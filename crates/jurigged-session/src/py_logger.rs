//! The loggers `watch()` and the CLI use: one whole line per event on stderr, in
//! colour on a terminal (unless NO_COLOR is set), with tracebacks for errors.

use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::py_event::Event;
use jurigged_patch::EventKind;

/// The style of the first word of a line about `kind` (None: a plain line).
fn style(kind: Option<EventKind>) -> Style {
    let colour = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
    match kind {
        Some(EventKind::Watch) => Style::new().dimmed(),
        Some(EventKind::Update) => colour(AnsiColor::Yellow),
        Some(EventKind::Add) => colour(AnsiColor::Green),
        Some(EventKind::Delete) => colour(AnsiColor::Red),
        Some(EventKind::Run | EventKind::Rerun) => colour(AnsiColor::Blue),
        Some(EventKind::Error) => colour(AnsiColor::Red).bold(),
        Some(EventKind::Skip | EventKind::Pending) => colour(AnsiColor::Magenta).bold(),
        None => Style::new(),
    }
}

/// Whether to colour what goes to `stream`: never with NO_COLOR set, always with
/// CLICOLOR_FORCE, else when it is a terminal.
pub fn use_colour(stream: &Bound<'_, PyAny>) -> bool {
    if anstyle_query::no_color() {
        return false;
    }
    anstyle_query::clicolor_force() || stream.call_method0("isatty").and_then(|v| v.extract::<bool>()).unwrap_or(false)
}

/// The traceback of an exception, as Python prints it.
fn format_exception(py: Python<'_>, error: &Bound<'_, PyAny>) -> PyResult<String> {
    let traceback = py.import("traceback")?;
    let lines = if error.is_instance_of::<pyo3::exceptions::PySyntaxError>() {
        // Python 3.14's traceback looks for a keyword typo in a SyntaxError that
        // carries `_metadata` by compiling variants through codeop, which enters
        // warnings.catch_warnings: on the save thread, that swaps the program's
        // warning filters (and prints warnings of "<input>"). The suggestion is
        // given up; the exception is given back as it was.
        let metadata = error.getattr("_metadata").ok().filter(|m| !m.is_none());
        if metadata.is_some() {
            error.setattr("_metadata", py.None())?;
        }
        let lines = traceback.call_method1("format_exception_only", (error.get_type(), error));
        if let Some(metadata) = metadata {
            error.setattr("_metadata", metadata)?;
        }
        lines?
    } else {
        traceback.call_method1("format_exception", (error.get_type(), error, error.getattr("__traceback__")?))?
    };
    PyString::new(py, "").call_method1("join", (lines,))?.extract()
}

/// Set in a process that runs a session of its parent's (a forked or spawned
/// child): its lines go to the same terminal, so each names its process.
static TAG_WITH_PID: AtomicBool = AtomicBool::new(false);

/// From now on every line ends with ` [pid N]`, N this process's id.
pub fn tag_with_pid() {
    TAG_WITH_PID.store(true, Ordering::SeqCst);
}

/// `text` as a line of ours: with ` [pid N]` in a child process.
pub fn tagged(text: &str) -> String {
    if TAG_WITH_PID.load(Ordering::SeqCst) {
        format!("{text} [pid {}]", std::process::id())
    } else {
        text.to_string()
    }
}

/// Writes `text` (and the traceback of `error`) to stderr as a single write, so
/// that it is never split by the program's own output.
fn write_line(py: Python<'_>, kind: Option<EventKind>, text: &str, error: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    if stderr.is_none() {
        return Ok(());
    }
    let tagged = tagged(text);
    let text = tagged.as_str();
    let mut out = if use_colour(&stderr) {
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        let style = style(kind);
        format!("{style}{word}{style:#} {rest}\n")
    } else {
        format!("{text}\n")
    };
    if let Some(error) = error {
        out.push_str(&format_exception(py, error)?);
    }
    stderr.call_method1("write", (out,))?;
    stderr.call_method0("flush")?;
    Ok(())
}

/// The loggers jurigged provides: `default_logger` prints errors (with their
/// traceback) and nothing else; `verbose_logger` prints every event:
/// `Watch <file>`, `Update mod.f @L3`, `Run mod @L9: x = 1`, errors.
///
/// They take an Event (or operation), an exception, or any other object (its
/// `str()`), so that they can stand in for a logger written for the original.
#[pyclass(module = "jurigged", frozen)]
pub struct Logger {
    verbose: bool,
}

impl Logger {
    /// Whether it prints every event (`verbose_logger`, `jurigged -v`).
    pub fn is_verbose(&self) -> bool {
        self.verbose
    }

    /// Prints a plain line (a save's summary).
    pub fn log_line(&self, py: Python<'_>, text: &str) -> PyResult<()> {
        write_line(py, None, text, None)
    }

    /// Logs an event; errors with the file they concern. Errors and the
    /// statements a save held back are told even when not verbose: the
    /// program does not run what the user saved.
    pub fn log_event(&self, py: Python<'_>, event: &Event) -> PyResult<()> {
        if !(event.always_told() || self.verbose) {
            return Ok(());
        }
        let error = event.error().map(|e| e.bind(py).clone());
        write_line(py, Some(event.kind()), &event.text(), error.as_ref())
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Logger {
    fn __call__(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(event) = event.cast::<Event>() {
            return self.log_event(py, event.get());
        }
        if event.is_instance_of::<pyo3::exceptions::PyBaseException>() {
            let text = format!("Error: {}", event.str()?.to_string_lossy());
            return write_line(py, Some(EventKind::Error), &text, Some(event));
        }
        if self.verbose {
            write_line(py, None, &event.str()?.to_string_lossy(), None)?;
        }
        Ok(())
    }

    fn __repr__(&self) -> &'static str {
        if self.verbose {
            "jurigged.verbose_logger"
        } else {
            "jurigged.default_logger"
        }
    }
}

/// A new logger that prints errors only (what `watch()` uses by default).
pub fn errors_only(py: Python<'_>) -> PyResult<Py<PyAny>> {
    logger(py, false)
}

/// A new logger: errors only, or every event when `verbose`.
pub fn logger(py: Python<'_>, verbose: bool) -> PyResult<Py<PyAny>> {
    Ok(Py::new(py, Logger { verbose })?.into_any())
}

/// `jurigged.default_logger` (errors only) and `jurigged.verbose_logger`.
pub fn add_loggers(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add_class::<Logger>()?;
    module.add("default_logger", Py::new(py, Logger { verbose: false })?)?;
    module.add("verbose_logger", Py::new(py, Logger { verbose: true })?)?;
    Ok(())
}

/// `jurigged._jurigged._tag_logs_with_pid()`: called by `jurigged/_child.py` in a
/// child that joins its parent's sessions, whose lines go to the same terminal.
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn _tag_logs_with_pid() {
    tag_with_pid();
}
