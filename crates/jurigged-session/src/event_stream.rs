//! `--events PATH`: every event of a session as one JSON object per line,
//! written as it happens, for editors, test runners and dashboards.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;

use crate::py_event::Event;
use jurigged_watch::sync::lock;

/// Where the records go.
enum Target {
    /// Python's `sys.stderr` (`-`), so that they interleave with the program's
    /// own error output in order.
    Stderr,
    /// A file opened for appending: never truncated, so that a tool can follow
    /// it across restarts; each record is one write, whole even when several
    /// processes append to the same file. Opened non-blocking: a pipe or FIFO
    /// whose reader stalls loses records rather than stopping the program.
    File { path: PathBuf, file: Mutex<Appender> },
}

/// The file, and whether the last record was cut short (the next one starts on
/// a line of its own).
struct Appender {
    file: File,
    cut_short: bool,
}

/// The JSON-lines stream of a session.
pub struct EventStream {
    target: Target,
    /// Set after the first failed write, which is reported; later ones are not.
    failed: AtomicBool,
}

impl EventStream {
    /// The stream to `path` (`-` for stderr), created if need be, appended to.
    pub fn open(path: &Path) -> std::io::Result<EventStream> {
        let target = if path.as_os_str() == "-" {
            Target::Stderr
        } else {
            let mut options = std::fs::OpenOptions::new();
            options.append(true).create(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
            let file = options.open(path)?;
            Target::File { path: path.to_path_buf(), file: Mutex::new(Appender { file, cut_short: false }) }
        };
        Ok(EventStream { target, failed: AtomicBool::new(false) })
    }

    /// Writes the record of `event` and flushes it. A failure (a full disk, a
    /// closed stderr) is reported once on stderr and never reaches the program.
    pub fn write(&self, py: Python<'_>, event: &Event) {
        self.write_record(py, &event.record(py));
    }

    /// Writes one record (an event's, or the `save` record that ends a save).
    pub fn write_record(&self, py: Python<'_>, record: &serde_json::Value) {
        let mut line = record.to_string();
        line.push('\n');
        let written = match &self.target {
            Target::Stderr => write_to_stderr(py, &line).map_err(|e| e.to_string()),
            Target::File { path, file } => {
                // The lock is held for the write only: no Python runs under it,
                // and a non-blocking write returns at once.
                let result = lock(file).append(&line);
                result.map_err(|e| format!("{}: {e}", path.display()))
            }
        };
        if let Err(error) = written {
            if !self.failed.swap(true, Ordering::SeqCst) {
                let warning = format!(
                    "jurigged: the event stream could not be written ({error}); later failures are not reported\n"
                );
                let _ = write_to_stderr(py, &warning);
            }
        }
    }
}

impl Appender {
    /// Appends `line` in one write; a record cut short (a full disk, a full
    /// pipe) is ended by a line break before the next one.
    fn append(&mut self, line: &str) -> std::io::Result<()> {
        let text = if self.cut_short { format!("\n{line}") } else { line.to_string() };
        let written = self.file.write(text.as_bytes());
        self.cut_short = match written {
            Ok(count) if count == text.len() => false,
            Ok(0) | Err(_) => self.cut_short,
            Ok(_) => true,
        };
        match written {
            Ok(count) if count == text.len() => Ok(()),
            Ok(_) => Err(std::io::Error::new(std::io::ErrorKind::WriteZero, "a record was cut short")),
            Err(error) => Err(error),
        }
    }
}

fn write_to_stderr(py: Python<'_>, text: &str) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    if stderr.is_none() {
        return Ok(());
    }
    stderr.call_method1("write", (text,))?;
    stderr.call_method0("flush")?;
    Ok(())
}
