//! A statement of a save that runs long says so. Saves are applied one at a
//! time on the session's thread, which is the one running the statement: a
//! timer thread of ours notices it has been running for [`NOTE_AFTER`] and
//! prints one line (without Python: the statement may hold the GIL), and the
//! save's thread says how long it took when it ends.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::py_logger::tagged;
use jurigged_watch::sync::{lock, wait, wait_timeout};

/// How long a statement runs before it is named.
pub const NOTE_AFTER: Duration = Duration::from_secs(2);

/// The statement running now, if any.
struct Statement {
    filename: PathBuf,
    line: u32,
    code: String,
    started: Instant,
    /// Whether the timer named it.
    told: bool,
}

#[derive(Default)]
struct Slot {
    current: Option<Statement>,
    /// Set when the save is over: the timer thread ends.
    closed: bool,
}

/// The clock of one save: its timer thread is started with the first
/// statement and ends with the save.
pub struct LongStatements {
    shared: Arc<(Mutex<Slot>, Condvar)>,
    timer: std::sync::OnceLock<()>,
}

impl LongStatements {
    /// A clock for one save; its timer starts with the first statement.
    pub fn new() -> LongStatements {
        LongStatements { shared: Arc::default(), timer: std::sync::OnceLock::new() }
    }

    fn start_timer(&self) {
        self.timer.get_or_init(|| {
            let shared = Arc::clone(&self.shared);
            // A timer that cannot start only loses the note.
            let _ = std::thread::Builder::new().name("jurigged-long-statements".into()).spawn(move || timer(&shared));
        });
    }
}

impl Default for LongStatements {
    fn default() -> Self {
        LongStatements::new()
    }
}

impl Drop for LongStatements {
    fn drop(&mut self) {
        let (slot, wake) = &*self.shared;
        lock(slot).closed = true;
        wake.notify_all();
    }
}

impl jurigged_patch::StatementClock for LongStatements {
    fn started(&self, filename: &Path, line: u32, code: &str) {
        self.start_timer();
        let (slot, wake) = &*self.shared;
        lock(slot).current = Some(Statement {
            filename: filename.to_path_buf(),
            line,
            code: code.to_string(),
            started: Instant::now(),
            told: false,
        });
        wake.notify_all();
    }

    fn ended(&self) {
        let (slot, wake) = &*self.shared;
        let ended = lock(slot).current.take();
        wake.notify_all();
        if let Some(statement) = ended.filter(|s| s.told) {
            let took = statement.started.elapsed().as_secs_f64();
            say(&format!("Done {}: took {took:.1} s", statement.place()));
        }
    }
}

impl Statement {
    /// `app.py L12: compute()`.
    fn place(&self) -> String {
        let file = self
            .filename
            .file_name()
            .map_or_else(|| self.filename.display().to_string(), |n| n.to_string_lossy().into());
        format!("{file} L{}: {}", self.line, self.code)
    }
}

/// Waits for each statement to run past [`NOTE_AFTER`], and names it once.
fn timer(shared: &(Mutex<Slot>, Condvar)) {
    let (slot, wake) = shared;
    let mut guard = lock(slot);
    loop {
        if guard.closed {
            return;
        }
        let due = match &guard.current {
            Some(statement) if !statement.told => Some(statement.started + NOTE_AFTER),
            _ => None,
        };
        match due {
            None => {
                guard = wait(wake, guard);
            }
            Some(due) if Instant::now() >= due => {
                if let Some(statement) = guard.current.as_mut() {
                    statement.told = true;
                    // Said under the lock: the save's thread says "Done" after it.
                    say(&format!("Running {} for {} s; later saves wait", statement.place(), NOTE_AFTER.as_secs()));
                }
            }
            Some(due) => {
                let left = due.saturating_duration_since(Instant::now());
                guard = wait_timeout(wake, guard, left);
            }
        }
    }
}

/// Writes a line on the process's standard error, without Python.
fn say(text: &str) {
    let mut line = tagged(text);
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
}
