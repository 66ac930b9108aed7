//! The rich interface: a full-screen terminal view drawn with crossterm: the
//! function's signature, its live output, its result or traceback, the elapsed
//! time, the status and the keys. The terminal is restored on every way out.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, queue, style, terminal};
use pyo3::prelude::*;

use super::basic::describe;
use super::{interrupt_thread, Command, Commands, Outcome, View};

#[derive(Default)]
struct Screen {
    title: String,
    output: String,
    status: String,
    result: String,
    note: String,
    started: Option<Instant>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// Stands in for sys.stdout and sys.stderr during a run.
#[pyclass(module = "jurigged.loop")]
struct Capture {
    screen: Arc<Mutex<Screen>>,
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Capture {
    fn write(&self, text: &str) -> usize {
        lock(&self.screen).output.push_str(text);
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

pub struct Rich {
    screen: Arc<Mutex<Screen>>,
    running: Arc<Mutex<Option<u64>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    saved_streams: Option<(Py<PyAny>, Py<PyAny>)>,
}

impl Rich {
    /// Takes over the terminal; keys become commands on `sender`.
    pub fn start(sender: Sender<Command>) -> PyResult<Rich> {
        let io_error =
            |e: std::io::Error| pyo3::exceptions::PyOSError::new_err(format!("cannot take over the terminal: {e}"));
        terminal::enable_raw_mode().map_err(io_error)?;
        let mut out = std::io::stdout();
        queue!(out, terminal::EnterAlternateScreen, cursor::Hide).map_err(io_error)?;
        out.flush().map_err(io_error)?;
        let screen: Arc<Mutex<Screen>> = Arc::default();
        let running: Arc<Mutex<Option<u64>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let keys = {
            let (stop, running) = (Arc::clone(&stop), Arc::clone(&running));
            std::thread::spawn(move || read_keys(&stop, &running, &sender))
        };
        let painter = {
            let (stop, screen) = (Arc::clone(&stop), Arc::clone(&screen));
            std::thread::spawn(move || {
                let mut shown = Vec::new();
                while !stop.load(Ordering::Acquire) {
                    let frame = render(&lock(&screen));
                    // Only a changed frame is sent: no flicker, little output.
                    if frame != shown {
                        let mut out = std::io::stdout();
                        let _ = out.write_all(&frame);
                        let _ = out.flush();
                        shown = frame;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Ok(Rich { screen, running, stop, threads: vec![keys, painter], saved_streams: None })
    }

    /// The id of the thread running the function, while it runs.
    pub fn running_thread(&self) -> &Arc<Mutex<Option<u64>>> {
        &self.running
    }

    fn restore_streams(&mut self, py: Python<'_>) {
        if let Some((stdout, stderr)) = self.saved_streams.take() {
            if let Ok(sys) = py.import("sys") {
                let _ = sys.setattr("stdout", stdout);
                let _ = sys.setattr("stderr", stderr);
            }
        }
    }
}

/// Turns key presses into commands; a key that stops a run interrupts it.
fn read_keys(stop: &AtomicBool, running: &Mutex<Option<u64>>, sender: &Sender<Command>) {
    while !stop.load(Ordering::Acquire) {
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
        let thread = *lock(running);
        if let Some(thread) = thread {
            if matches!(command, Command::Abort | Command::Rerun | Command::Quit | Command::Interrupt) {
                Python::attach(|py| {
                    let _ = interrupt_thread(py, thread);
                });
            }
            if command == Command::Abort {
                continue;
            }
        }
        if sender.send(command).is_err() {
            return;
        }
    }
}

/// The last `count` lines of `text`.
fn tail(text: &str, count: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].to_vec()
}

/// The terminal's size; a terminal that does not know (a bare pty) gets 80×24.
fn size() -> (usize, usize) {
    let (width, height) = terminal::size().unwrap_or((0, 0));
    let width = if width == 0 { 80 } else { width as usize };
    let height = if height == 0 { 24 } else { height as usize };
    (width, height)
}

/// The bytes that draw the whole screen.
fn render(screen: &Screen) -> Vec<u8> {
    let (width, height) = size();
    let clip = |line: &str| line.chars().take(width).collect::<String>();
    let mut out = Vec::new();
    let status = match screen.started {
        Some(started) => format!("running… {:.1}s", started.elapsed().as_secs_f64()),
        None => screen.status.clone(),
    };
    let result_lines = tail(&screen.result, height.saturating_sub(8) / 2 + 1);
    let room = height.saturating_sub(6 + result_lines.len());
    let _ = queue!(out, terminal::Clear(terminal::ClearType::All), cursor::MoveTo(0, 0));
    let _ = queue!(
        out,
        style::SetAttribute(style::Attribute::Reverse),
        style::Print(clip(&format!(" develoop  {} ", screen.title))),
        style::SetAttribute(style::Attribute::Reset),
        style::Print("\r\n")
    );
    let _ = queue!(
        out,
        style::Print(clip(&status)),
        style::Print("\r\n"),
        style::Print("─".repeat(width.min(80))),
        style::Print("\r\n")
    );
    for line in tail(&screen.output, room) {
        let _ = queue!(out, style::Print(clip(line)), style::Print("\r\n"));
    }
    let _ = queue!(out, style::Print("─".repeat(width.min(80))), style::Print("\r\n"));
    for line in result_lines {
        let _ = queue!(out, style::Print(clip(line)), style::Print("\r\n"));
    }
    let help = format!("r re-run · a abort · c continue · q quit · save a watched file to re-run   {}", screen.note);
    let _ = queue!(out, cursor::MoveTo(0, height.saturating_sub(1) as u16), style::Print(clip(&help)));
    out
}

impl View for Rich {
    fn started(&mut self, py: Python<'_>, title: &str) {
        {
            let mut screen = lock(&self.screen);
            screen.title = title.to_string();
            screen.output.clear();
            screen.result.clear();
            screen.started = Some(Instant::now());
        }
        if let Ok(sys) = py.import("sys") {
            if self.saved_streams.is_none() {
                if let (Ok(stdout), Ok(stderr)) = (sys.getattr("stdout"), sys.getattr("stderr")) {
                    self.saved_streams = Some((stdout.unbind(), stderr.unbind()));
                }
            }
            if let Ok(capture) = Py::new(py, Capture { screen: Arc::clone(&self.screen) }) {
                let _ = sys.setattr("stdout", &capture);
                let _ = sys.setattr("stderr", &capture);
            }
        }
    }

    fn finished(&mut self, py: Python<'_>, outcome: &Outcome, elapsed: Duration) {
        self.restore_streams(py);
        let (line, traceback) = describe(py, outcome, elapsed);
        let mut screen = lock(&self.screen);
        screen.started = None;
        screen.status = line;
        screen.result = traceback.unwrap_or_else(|| screen.status.clone());
        screen.note.clear();
    }

    fn wait(&mut self, py: Python<'_>, commands: &Commands) -> Command {
        py.detach(|| commands.lock().unwrap_or_else(|p| p.into_inner()).recv().unwrap_or(Command::Quit))
    }

    fn note(&mut self, _py: Python<'_>, text: &str) {
        lock(&self.screen).note = text.to_string();
    }
}

impl Drop for Rich {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        Python::attach(|py| self.restore_streams(py));
        let mut out = std::io::stdout();
        let _ = queue!(out, cursor::Show, terminal::LeaveAlternateScreen);
        let _ = out.flush();
        let _ = terminal::disable_raw_mode();
    }
}
