//! `--events PATH`: every event of a session as one JSON object per line,
//! written as it happens, for editors, test runners and dashboards.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use pyo3::prelude::*;

use crate::event::Event;
use crate::sync::lock;

/// Where the records go.
enum Target {
    /// Python's `sys.stderr` (`-`), so that they interleave with the program's
    /// own error output in order.
    Stderr,
    /// A file opened for appending: never truncated, so that a tool can follow
    /// it across restarts; each record is one write, whole even when several
    /// processes append to the same file.
    File { path: PathBuf, file: Mutex<File> },
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
            let file = std::fs::OpenOptions::new().append(true).create(true).open(path)?;
            Target::File { path: path.to_path_buf(), file: Mutex::new(file) }
        };
        Ok(EventStream { target, failed: AtomicBool::new(false) })
    }

    /// Writes the record of `event` and flushes it. A failure (a full disk, a
    /// closed stderr) is reported once on stderr and never reaches the program.
    pub fn write(&self, py: Python<'_>, event: &Event) {
        let mut line = event.record(py).to_string();
        line.push('\n');
        let written = match &self.target {
            Target::Stderr => write_to_stderr(py, &line).map_err(|e| e.to_string()),
            Target::File { path, file } => {
                // The lock is held for the write only: no Python runs under it.
                let result = lock(file).write_all(line.as_bytes());
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

fn write_to_stderr(py: Python<'_>, text: &str) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    if stderr.is_none() {
        return Ok(());
    }
    stderr.call_method1("write", (text,))?;
    stderr.call_method0("flush")?;
    Ok(())
}
