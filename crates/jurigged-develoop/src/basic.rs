//! The basic interface: plain lines on stdout; between runs, commands are single
//! keys on a terminal (as the original's), lines otherwise. It never reads stdin
//! while the function runs, so `input()` and `breakpoint()` work in it.

use std::time::Duration;

use pyo3::prelude::*;

use super::{Command, Commands, Outcome, View};
use jurigged_watch::sync::lock;

pub struct Basic;

impl Basic {
    pub fn new() -> Basic {
        Basic
    }
}

fn say(py: Python<'_>, text: &str) {
    if let Ok(stdout) = py.import("sys").and_then(|sys| sys.getattr("stdout")) {
        let _ = stdout.call_method1("write", (format!("{text}\n"),));
        let _ = stdout.call_method0("flush");
    }
}

fn format_error(py: Python<'_>, error: &PyErr) -> String {
    let value = jurigged_session::exception_value(py, error.clone_ref(py));
    py.import("traceback")
        .and_then(|tb| tb.call_method1("format_exception", (value.get_type(), &value, value.getattr("__traceback__")?)))
        .and_then(|lines| pyo3::types::PyString::new(py, "").call_method1("join", (lines,)))
        .and_then(|s| s.extract::<String>())
        .unwrap_or_else(|_| error.to_string())
}

/// One line of what a run ended with.
pub fn describe(py: Python<'_>, outcome: &Outcome, elapsed: Duration) -> (String, Option<String>) {
    let time = format!("{:.3}s", elapsed.as_secs_f64());
    match outcome {
        Outcome::Returned(value) => {
            let shown = value.bind(py).repr().map(|r| r.to_string()).unwrap_or_else(|_| "<unprintable>".into());
            (format!("returned {shown} in {time}"), None)
        }
        Outcome::Raised(error) => (
            format!("raised {} in {time}", error.get_type(py).name().map(|n| n.to_string()).unwrap_or_default()),
            Some(format_error(py, error)),
        ),
        Outcome::Aborted => (format!("aborted after {time}"), None),
    }
}

impl View for Basic {
    fn started(&mut self, py: Python<'_>, title: &str) {
        say(py, &format!("[develoop] running {title}"));
    }

    fn finished(&mut self, py: Python<'_>, outcome: &Outcome, elapsed: Duration) {
        let (line, traceback) = describe(py, outcome, elapsed);
        if let Some(traceback) = traceback {
            say(py, traceback.trim_end());
        }
        say(py, &format!("[develoop] {line}"));
    }

    fn wait(&mut self, py: Python<'_>, commands: &Commands) -> Command {
        say(py, "[develoop] r: re-run, c: continue, q: quit (Ctrl-C aborts a run; saving a watched file re-runs)");
        // Keys act at once on a terminal; the terminal is as it was during runs.
        let keys = KeyMode::enter(py);
        let command = loop {
            if let Ok(command) = lock(commands).try_recv() {
                break command;
            }
            let read = match &keys {
                Some(keys) => read_key(py, keys.fd),
                None => read_command(py),
            };
            match read {
                Ok(Some(command)) => break command,
                Ok(None) => {}
                // No way to ask (stdin closed or unusable): go on with the program.
                Err(_) => break Command::Continue,
            }
        };
        if let Some(keys) = keys {
            keys.leave(py);
        }
        command
    }

    fn note(&mut self, py: Python<'_>, text: &str) {
        say(py, &format!("[develoop] {text}"));
    }
}

/// The terminal on stdin in cbreak mode (keys arrive one by one, unechoed;
/// Ctrl-C still interrupts), with what to restore.
struct KeyMode {
    fd: i32,
    saved: Py<PyAny>,
}

impl KeyMode {
    /// Cbreak mode when stdin is a terminal; None otherwise (or if it cannot be
    /// set), for line commands.
    fn enter(py: Python<'_>) -> Option<KeyMode> {
        let attempt = || -> PyResult<Option<KeyMode>> {
            let stdin = py.import("sys")?.getattr("stdin")?;
            if stdin.is_none() || !stdin.call_method0("isatty")?.extract::<bool>()? {
                return Ok(None);
            }
            let fd: i32 = stdin.call_method0("fileno")?.extract()?;
            let termios = py.import("termios")?;
            let saved = termios.call_method1("tcgetattr", (fd,))?;
            // TCSANOW, not tty's default TCSAFLUSH: a key typed while the run
            // ended must not be thrown away.
            py.import("tty")?.call_method1("setcbreak", (fd, termios.getattr("TCSANOW")?))?;
            Ok(Some(KeyMode { fd, saved: saved.unbind() }))
        };
        attempt().ok().flatten()
    }

    /// Puts the terminal back as it was.
    fn leave(self, py: Python<'_>) {
        let restore = || -> PyResult<()> {
            let termios = py.import("termios")?;
            termios.call_method1("tcsetattr", (self.fd, termios.getattr("TCSADRAIN")?, self.saved.bind(py)))?;
            Ok(())
        };
        if let Err(error) = restore() {
            error.print(py);
        }
    }
}

/// Waits briefly for keys on the terminal `fd`; returns the command of the
/// first that names one. The rest of what was typed with it (an Enter after
/// the key, as line commands had) is consumed with it.
fn read_key(py: Python<'_>, fd: i32) -> PyResult<Option<Command>> {
    let ready = py.import("select")?.call_method1("select", (vec![fd], Vec::<i32>::new(), Vec::<i32>::new(), 0.05))?;
    if ready.get_item(0)?.len()? == 0 {
        py.check_signals()?;
        return Ok(None);
    }
    let bytes: Vec<u8> = py.import("os")?.call_method1("read", (fd, 64))?.extract()?;
    if bytes.is_empty() {
        return Err(pyo3::exceptions::PyEOFError::new_err("stdin is closed"));
    }
    // An escape sequence (an arrow key) is not a command, whatever its letters.
    if bytes.first() == Some(&0x1b) {
        return Ok(None);
    }
    let command = bytes.iter().find_map(|&b| Command::from_key(char::from(b)));
    if command.is_none() && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
        say(py, "[develoop] unknown key; r, c or q");
    }
    Ok(command)
}

/// Waits briefly for a line on stdin; returns the command it names, if any.
fn read_command(py: Python<'_>) -> PyResult<Option<Command>> {
    let stdin = py.import("sys")?.getattr("stdin")?;
    let ready =
        py.import("select")?.call_method1("select", (vec![&stdin], Vec::<i32>::new(), Vec::<i32>::new(), 0.05))?;
    if ready.get_item(0)?.len()? == 0 {
        py.check_signals()?;
        return Ok(None);
    }
    let line: String = stdin.call_method0("readline")?.extract()?;
    if line.is_empty() {
        return Err(pyo3::exceptions::PyEOFError::new_err("stdin is closed"));
    }
    let command = line.trim().chars().next().and_then(Command::from_key);
    if command.is_none() && !line.trim().is_empty() {
        say(py, "[develoop] unknown command; r, c or q");
    }
    Ok(command)
}
