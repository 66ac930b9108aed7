//! The rich interface: a full-screen terminal view drawn with crossterm: the
//! function's signature, its live output, its result or traceback, the elapsed
//! time, the status and the keys. Keys act during a run too, even one blocked
//! in C; `input()` in the function steps the view aside for the line. The
//! terminal is restored on every way out, and the last run's output is left on
//! the normal screen.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use pyo3::prelude::*;

use super::basic::describe;
use super::frame::{render, terminal_size};
use super::full_screen::{give_back, take_over, Shared};
use super::interrupt::{self, RunSlot};
use super::rich_stdin::StdinAside;
use super::{Command, Commands, Outcome, View};
use jurigged_watch::sync::lock;

/// Stands in for sys.stdout and sys.stderr during a run.
#[pyclass(module = "jurigged.loop")]
struct Capture {
    shared: Arc<Shared>,
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Capture {
    fn write(&self, text: &str) -> usize {
        lock(&self.shared.screen).output.push_str(text);
        text.chars().count()
    }

    fn flush(&self) {}

    fn isatty(&self) -> bool {
        false
    }

    #[getter]
    fn encoding(&self) -> &'static str {
        "utf-8"
    }
}

/// The program's sys.stdout, sys.stderr and sys.stdin, put back after a run.
struct Streams {
    stdout: Py<PyAny>,
    stderr: Py<PyAny>,
    stdin: Py<PyAny>,
}

pub struct Rich {
    shared: Arc<Shared>,
    running: RunSlot,
    threads: Vec<JoinHandle<()>>,
    saved_streams: Option<Streams>,
}

impl Rich {
    /// Takes over the terminal; keys become commands on `sender`.
    pub fn start(sender: Sender<Command>) -> PyResult<Rich> {
        take_over().map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("cannot take over the terminal: {e}")))?;
        let shared: Arc<Shared> = Arc::default();
        let running: RunSlot = Arc::default();
        let keys = {
            let (shared, running) = (Arc::clone(&shared), Arc::clone(&running));
            std::thread::spawn(move || read_keys(&shared, &running, &sender))
        };
        let painter = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || paint(&shared))
        };
        Ok(Rich { shared, running, threads: vec![keys, painter], saved_streams: None })
    }

    /// Where the run in progress is found to stop it.
    pub fn running_slot(&self) -> &RunSlot {
        &self.running
    }

    fn restore_streams(&mut self, py: Python<'_>) {
        if let Some(streams) = self.saved_streams.take() {
            if let Ok(sys) = py.import("sys") {
                let _ = sys.setattr("stdout", streams.stdout);
                let _ = sys.setattr("stderr", streams.stderr);
                let _ = sys.setattr("stdin", streams.stdin);
            }
        }
    }

    /// Stands in for the program's streams during a run.
    fn capture_streams(&mut self, py: Python<'_>) -> PyResult<()> {
        let sys = py.import("sys")?;
        if self.saved_streams.is_none() {
            self.saved_streams = Some(Streams {
                stdout: sys.getattr("stdout")?.unbind(),
                stderr: sys.getattr("stderr")?.unbind(),
                stdin: sys.getattr("stdin")?.unbind(),
            });
        }
        let capture = Py::new(py, Capture { shared: Arc::clone(&self.shared) })?;
        sys.setattr("stdout", &capture)?;
        sys.setattr("stderr", &capture)?;
        let stdin = sys.getattr("stdin")?;
        if !stdin.is_none() && !stdin.is_instance_of::<StdinAside>() {
            sys.setattr("stdin", Py::new(py, StdinAside::new(Arc::clone(&self.shared), stdin.unbind()))?)?;
        }
        Ok(())
    }
}

/// Draws the screen every 50 ms while it changes.
fn paint(shared: &Shared) {
    let mut shown = Vec::new();
    while !shared.stop.load(Ordering::Acquire) {
        if !shared.aside.load(Ordering::Acquire) {
            let (width, height) = terminal_size();
            let frame = render(&lock(&shared.screen), width, height);
            // Only a changed frame is sent: no flicker, little output.
            if frame != shown || shared.repaint.swap(false, Ordering::AcqRel) {
                let _terminal = lock(&shared.terminal);
                // Checked again under the lock: the view may have just stepped aside.
                if !shared.aside.load(Ordering::Acquire) {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(&frame);
                    let _ = out.flush();
                    shown = frame;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Turns key presses into commands; a key that stops a run stops it, even
/// one blocked in C.
fn read_keys(shared: &Shared, running: &RunSlot, sender: &Sender<Command>) {
    while !shared.stop.load(Ordering::Acquire) {
        if shared.aside.load(Ordering::Acquire) {
            shared.keys_idle.store(true, Ordering::Release);
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        if !event::poll(Duration::from_millis(50)).unwrap_or(false) {
            continue;
        }
        let Ok(Event::Key(key)) = event::read() else { continue };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        let command = match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Some(Command::Interrupt),
            KeyCode::Char(c) => Command::from_key(c),
            _ => None,
        };
        let Some(command) = command else { continue };
        if matches!(command, Command::Abort | Command::Rerun | Command::Quit | Command::Interrupt)
            && interrupt::stop(running)
            && command == Command::Abort
        {
            continue;
        }
        if sender.send(command).is_err() {
            return;
        }
    }
}

impl View for Rich {
    fn started(&mut self, py: Python<'_>, title: &str) {
        {
            let mut screen = lock(&self.shared.screen);
            screen.title = title.to_string();
            screen.output.clear();
            screen.result.clear();
            screen.started = Some(Instant::now());
        }
        if let Err(error) = self.capture_streams(py) {
            error.print(py);
        }
    }

    fn finished(&mut self, py: Python<'_>, outcome: &Outcome, elapsed: Duration) {
        self.restore_streams(py);
        let (line, traceback) = describe(py, outcome, elapsed);
        let mut screen = lock(&self.shared.screen);
        screen.started = None;
        screen.status = line;
        screen.result = traceback.unwrap_or_else(|| screen.status.clone());
        screen.note.clear();
    }

    fn wait(&mut self, py: Python<'_>, commands: &Commands) -> Command {
        py.detach(|| lock(commands).recv().unwrap_or(Command::Quit))
    }

    fn note(&mut self, _py: Python<'_>, text: &str) {
        lock(&self.shared.screen).note = text.to_string();
    }
}

impl Drop for Rich {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        give_back();
        let output = std::mem::take(&mut lock(&self.shared.screen).output);
        Python::attach(|py| {
            self.restore_streams(py);
            show_output(py, &output);
        });
    }
}

/// The last run's output, on the normal screen once the view is gone (the
/// alternate screen took it with it).
fn show_output(py: Python<'_>, output: &str) {
    if output.is_empty() {
        return;
    }
    let text = if output.ends_with('\n') { output.to_string() } else { format!("{output}\n") };
    let write = || -> PyResult<()> {
        let stdout = py.import("sys")?.getattr("stdout")?;
        if stdout.is_none() {
            return Ok(());
        }
        stdout.call_method1("write", (text,))?;
        stdout.call_method0("flush")?;
        Ok(())
    };
    if let Err(error) = write() {
        error.print(py);
    }
}
