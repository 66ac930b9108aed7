//! `--restart-on-rude-edit`: after a save with an edit that cannot take full
//! effect, the program is executed again, as `dotnet watch` does: the same
//! interpreter (the same executable: `python` or the `jurigged` binary), argv,
//! environment and working directory, in the same process (`execv`: the pid is
//! kept). Every descriptor of ours is close-on-exec (the watcher's inotify
//! descriptor, the event stream), as are Python's sockets and files: the new
//! program can bind the old one's port again.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;

use crate::py_event::RudeEdit;

/// Whether a rude edit restarts the program (off by default).
static RESTART_ON_RUDE_EDIT: AtomicBool = AtomicBool::new(false);

/// The working directory the program started in (it may change directory).
static START_DIRECTORY: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();

/// Restarts the program after each save with a rude edit from now on.
pub fn enable() {
    START_DIRECTORY.get_or_init(|| std::env::current_dir().ok());
    RESTART_ON_RUDE_EDIT.store(true, Ordering::SeqCst);
}

/// Restarts the program if asked to: says why on stderr, flushes Python's
/// streams, and executes the program again. Returns when not asked to, or
/// when the execution failed (said on stderr: the program goes on).
pub fn after_rude_edit(py: Python<'_>, rude: RudeEdit, text: &str) {
    if !RESTART_ON_RUDE_EDIT.load(Ordering::SeqCst) {
        return;
    }
    let line = format!("Restart ({}: {text}): executing the program again\n", rude.as_str());
    let sys = py.import("sys");
    if let Ok(sys) = &sys {
        if let Ok(stderr) = sys.getattr("stderr") {
            let _ = stderr.call_method1("write", (crate::py_logger::tagged(line.trim_end()) + "\n",));
        }
        for stream in ["stdout", "stderr"] {
            if let Ok(stream) = sys.getattr(stream) {
                let _ = stream.call_method0("flush");
            }
        }
    }
    let error = exec_again();
    if let Ok(stderr) = py.import("sys").and_then(|s| s.getattr("stderr")) {
        let _ = stderr.call_method1("write", (format!("jurigged: the program could not be restarted: {error}\n"),));
    }
}

/// Replaces this process with a new run of the same command line; returns
/// only on failure.
fn exec_again() -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let executable = match std::env::current_exe() {
        Ok(executable) => executable,
        Err(error) => return error,
    };
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| executable.clone().into_os_string());
    let mut command = std::process::Command::new(&executable);
    command.arg0(argv0).args(args);
    if let Some(Some(directory)) = START_DIRECTORY.get() {
        command.current_dir(directory);
    }
    command.exec()
}
