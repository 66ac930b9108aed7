//! Which threads are running a function's old code at the moment of a save:
//! the update says so, since the new code only takes effect at the next call
//! (a main loop that never returns keeps its old body).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::py_event::Event;
use jurigged_patch::EventKind;

/// The functions of one file running on some thread's stack, looked at just
/// before a save is applied (while the code registry still knows the old code).
#[derive(Default)]
pub struct Running {
    frames: Vec<(RunningCode, String)>,
    /// The frames of the module's own body (`<module>`): the top-level
    /// statement each is inside is not run again by the save.
    body: Vec<jurigged_patch::RunningFrame>,
}

impl Running {
    /// The functions of `filename` on the threads' stacks now. A failure here
    /// (an odd frame, a thread ending meanwhile) only loses the note.
    pub fn now(py: Python<'_>, filename: &Path) -> Running {
        let (frames, body) = running_in(py, filename).unwrap_or_default();
        Running { frames, body }
    }

    /// The frames of the module's body on the threads' stacks, with their line.
    pub fn body_frames(&self) -> Vec<jurigged_patch::RunningFrame> {
        self.body.clone()
    }

    /// Notes, on each update of `events`, the threads that were running that
    /// function: the new code takes effect at their next call.
    pub fn note_on(&self, events: &mut [Event]) {
        if self.frames.is_empty() {
            return;
        }
        for event in events.iter_mut().filter(|e| e.kind() == EventKind::Update) {
            let Some(qualname) = event.qualname().map(str::to_string) else { continue };
            let mut threads: Vec<String> = self
                .frames
                .iter()
                .filter(|(code, _)| code.names(&qualname))
                .map(|(_, thread)| thread.clone())
                .collect();
            threads.dedup();
            if !threads.is_empty() {
                event.set_running_in(threads);
            }
        }
    }
}

/// The function a running frame belongs to, as its qualified name in the module.
struct RunningCode {
    /// `co_qualname` (Python 3.11+), else the path the code registry knows the
    /// code by; None when neither says (no note then, rather than a wrong one:
    /// a bare `co_name` would take `B.run` for `A.run`).
    qualname: Option<String>,
}

impl RunningCode {
    /// Whether this is the code of the function `qualname` of the module.
    fn names(&self, qualname: &str) -> bool {
        self.qualname.as_deref() == Some(qualname)
    }
}

/// (code, thread name) of every frame on a thread's stack that runs code of
/// `filename`, innermost first per thread; and the frames of its module body.
#[allow(clippy::type_complexity)]
fn running_in(
    py: Python<'_>,
    filename: &Path,
) -> PyResult<(Vec<(RunningCode, String)>, Vec<jurigged_patch::RunningFrame>)> {
    let frames = py.import("sys")?.call_method0("_current_frames")?;
    let frames = frames.cast::<PyDict>()?;
    let mut names: HashMap<u64, String> = HashMap::new();
    for thread in py.import("threading")?.call_method0("enumerate")?.try_iter()? {
        let thread = thread?;
        if let (Ok(ident), Ok(name)) = (thread.getattr("ident")?.extract::<u64>(), thread.getattr("name")?.extract()) {
            names.insert(ident, name);
        }
    }
    let mut running = Vec::new();
    let mut body = Vec::new();
    for (ident, frame) in frames.iter() {
        let ident: u64 = ident.extract()?;
        let thread = names.get(&ident).cloned().unwrap_or_else(|| format!("{ident}"));
        let mut frame = Some(frame);
        while let Some(current) = frame {
            let code = current.getattr("f_code")?;
            if code.getattr("co_filename")?.extract::<PathBuf>().is_ok_and(|f| f == filename) {
                if code.getattr("co_name")?.extract::<String>().is_ok_and(|name| name == "<module>") {
                    // f_lineno is None while no line runs yet (3.12+ at times).
                    if let Ok(line) = current.getattr("f_lineno")?.extract::<u32>() {
                        body.push(jurigged_patch::RunningFrame { line, thread: thread.clone() });
                    }
                }
                let qualname = match code.getattr("co_qualname") {
                    Ok(qualname) => qualname.extract().ok(),
                    Err(_) => jurigged_patch::code_registry::code_registry().path_of(&code),
                };
                running.push((RunningCode { qualname }, thread.clone()));
            }
            frame = Some(current.getattr("f_back")?).filter(|f| !f.is_none());
        }
    }
    Ok((running, body))
}
