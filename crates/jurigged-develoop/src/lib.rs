//! The develoop: loop on one function, re-running it whenever its code changes,
//! while the rest of the program (and its expensive set-up) stays alive.
//!
//! `loop(fn)` wraps a function; calling the wrapper runs the function, shows its
//! output and result (or traceback), then waits for a command: `r` re-run, `a`
//! abort a run, `c` continue the program with the last result, `q` quit. A save
//! applied to any watched file re-runs the function. `xloop` only enters the loop
//! when the function raises.

// Modules, each using only those listed before it: `interrupt`, `frame`,
// `full_screen`, `rich_stdin`, `basic`, `rich`, `target_check`, `wrap`.
mod basic;
mod frame;
mod full_screen;
mod interrupt;
mod rich;
mod rich_stdin;
mod target_check;
mod wrap;

use std::sync::mpsc::{channel, Receiver, Sender};

/// Commands arrive here; behind a lock so that waiting can release the GIL.
pub type Commands = Mutex<Receiver<Command>>;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

// `#[py_entry]` runs each entry from Python inside `crate::boundary`.
use jurigged_session::boundary;
use jurigged_session::{activity, Event, EventKind};

use interrupt::RunSlot;
use jurigged_watch::sync::lock;

pub use wrap::{attach_loops, detach_loops, develoop_function, xloop, LoopWrapper};

/// What the user (or a save) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Run the function again.
    Rerun,
    /// Stop the run in progress.
    Abort,
    /// Leave the loop: the program goes on with the last result.
    Continue,
    /// End the program.
    Quit,
    /// A save was applied to a watched file.
    Changed,
    /// Ctrl-C in the full-screen view.
    Interrupt,
}

impl Command {
    /// The command a key (or a typed word) stands for.
    pub fn from_key(key: char) -> Option<Command> {
        match key.to_ascii_lowercase() {
            'r' => Some(Command::Rerun),
            'a' => Some(Command::Abort),
            'c' => Some(Command::Continue),
            'q' => Some(Command::Quit),
            _ => None,
        }
    }
}

/// How one run ended.
pub enum Outcome {
    /// The function returned this value.
    Returned(Py<PyAny>),
    /// The function raised this exception.
    Raised(PyErr),
    /// The user stopped the run.
    Aborted,
}

/// The develoop's interfaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// Plain lines on stdout, commands read from stdin.
    Basic,
    /// A full-screen terminal view.
    Rich,
}

impl Interface {
    fn parse(py: Python<'_>, name: Option<&str>) -> PyResult<Interface> {
        match name {
            Some("basic") => Ok(Interface::Basic),
            Some("rich") => Ok(Interface::Rich),
            Some(other) => Err(PyValueError::new_err(format!("interface must be 'basic' or 'rich', not {other:?}"))),
            None => {
                let sys = py.import("sys")?;
                let tty = |name: &str| {
                    sys.getattr(name)
                        .and_then(|s| s.call_method0("isatty"))
                        .and_then(|v| v.extract::<bool>())
                        .unwrap_or(false)
                };
                Ok(if tty("stdin") && tty("stdout") { Interface::Rich } else { Interface::Basic })
            }
        }
    }
}

/// What an interface does: show runs and their outcomes, and wait for commands.
pub trait View {
    /// A run starts.
    fn started(&mut self, py: Python<'_>, title: &str);
    /// A run ended.
    fn finished(&mut self, py: Python<'_>, outcome: &Outcome, elapsed: Duration);
    /// Waits for the next command (a save arrives as `Changed` on `commands`).
    fn wait(&mut self, py: Python<'_>, commands: &Commands) -> Command;
    /// A line of news ("change detected: re-running").
    fn note(&mut self, py: Python<'_>, text: &str);
}

/// `fn(arg, ...)` as the title of a run.
fn title(py: Python<'_>, function: &Bound<'_, PyAny>) -> String {
    let name =
        function.getattr("__qualname__").and_then(|n| n.extract::<String>()).unwrap_or_else(|_| "function".into());
    let signature = py
        .import("inspect")
        .and_then(|inspect| inspect.call_method1("signature", (function,)))
        .and_then(|s| s.str())
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "(...)".into());
    format!("{name}{signature}")
}

/// Subscribes to `registry.activity`: every applied change becomes `Changed`.
fn watch_changes<'py>(py: Python<'py>, sender: Sender<Command>) -> PyResult<Bound<'py, PyCFunction>> {
    let sender = Mutex::new(sender);
    let callback = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<()> {
            let event = args.get_item(0)?;
            let Ok(event) = event.cast::<Event>() else { return Ok(()) };
            if matches!(
                event.get().kind(),
                EventKind::Update | EventKind::Add | EventKind::Delete | EventKind::Run | EventKind::Rerun
            ) {
                let _ = lock(&sender).send(Command::Changed);
            }
            Ok(())
        },
    )?;
    activity(py)?.get().register(py, callback.clone().into_any().unbind(), false)?;
    Ok(callback)
}

/// Runs `function(*args, **kwargs)` in the develoop; returns what the program
/// continues with.
pub fn run_loop(
    py: Python<'_>,
    function: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
    interface: Option<&str>,
    only_on_error: bool,
) -> PyResult<Py<PyAny>> {
    let mut first = None;
    if only_on_error {
        match function.call(args, kwargs) {
            Ok(value) => return Ok(value.unbind()),
            Err(error) if error.is_instance_of::<PySystemExit>(py) => return Err(error),
            Err(error) => first = Some(Outcome::Raised(error)),
        }
    }
    let interface = Interface::parse(py, interface)?;
    let (sender, commands) = channel();
    let commands = Mutex::new(commands);
    let subscription = watch_changes(py, sender.clone())?;
    let result = match interface {
        Interface::Basic => drive(py, function, args, kwargs, first, &mut basic::Basic::new(), &commands, None),
        Interface::Rich => {
            let mut view = rich::Rich::start(sender.clone())?;
            let running = Arc::clone(view.running_slot());
            drive(py, function, args, kwargs, first, &mut view, &commands, Some(running))
        }
    };
    let _ = activity(py)?.get().unregister(py, subscription.as_any());
    result
}

/// The loop itself, for any view.
#[allow(clippy::too_many_arguments)]
fn drive(
    py: Python<'_>,
    function: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
    first: Option<Outcome>,
    view: &mut dyn View,
    commands: &Commands,
    running: Option<RunSlot>,
) -> PyResult<Py<PyAny>> {
    let title = title(py, function);
    let mut outcome = match first {
        Some(outcome) => {
            view.started(py, &title);
            view.finished(py, &outcome, Duration::ZERO);
            outcome
        }
        None => run_once(py, function, args, kwargs, view, &title, running.as_ref()),
    };
    loop {
        let command = view.wait(py, commands);
        match command {
            Command::Rerun | Command::Changed => {
                if command == Command::Changed {
                    view.note(py, "change detected: re-running");
                }
                // Saves that arrived together trigger one run.
                while lock(commands).try_recv().is_ok_and(|c| c == Command::Changed) {}
                outcome = run_once(py, function, args, kwargs, view, &title, running.as_ref());
            }
            Command::Abort => view.note(py, "nothing is running"),
            Command::Continue => {
                return match outcome {
                    Outcome::Returned(value) => Ok(value),
                    Outcome::Raised(error) => Err(error),
                    Outcome::Aborted => Err(PyKeyboardInterrupt::new_err("the develoop's run was aborted")),
                };
            }
            Command::Quit => return Err(PySystemExit::new_err(0)),
            Command::Interrupt => return Err(PyKeyboardInterrupt::new_err(())),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_once(
    py: Python<'_>,
    function: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
    view: &mut dyn View,
    title: &str,
    running: Option<&RunSlot>,
) -> Outcome {
    view.started(py, title);
    let started = Instant::now();
    if let Some(running) = running {
        match interrupt::Run::here(py) {
            Ok(run) => interrupt::begin(running, run),
            Err(error) => error.print(py),
        }
    }
    let result = function.call(args, kwargs);
    match running {
        Some(running) => interrupt::end(py, running),
        // An abort that arrived just as the run ended must not hit the program later.
        None => {
            let _ = py.check_signals();
        }
    }
    let outcome = match result {
        Ok(value) => Outcome::Returned(value.unbind()),
        Err(error) if error.is_instance_of::<PyKeyboardInterrupt>(py) => Outcome::Aborted,
        Err(error) => Outcome::Raised(error),
    };
    view.finished(py, &outcome, started.elapsed());
    outcome
}

/// The develoop as the command line's `--loop` and `--xloop` use it.
pub struct Develoop;

impl jurigged_session::cli::Loops for Develoop {
    fn attach(&self, py: Python<'_>, loops: &[String], xloops: &[String], interface: Option<String>) -> PyResult<()> {
        attach_loops(py, loops, xloops, interface)
    }

    fn detach(&self, py: Python<'_>) -> PyResult<()> {
        detach_loops(py)
    }
}

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
