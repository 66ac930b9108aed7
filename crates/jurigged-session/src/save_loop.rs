//! The save loop of a session: each save is read, decoded, parsed and diffed
//! without the GIL; only its application to the live module takes it. Saves are
//! applied one at a time, in the order they arrive, and every file of a burst
//! is applied.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use jurigged_diff::{diff, Deletions, Order};
use jurigged_watch::Change;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::event::Event;
use crate::file_registry::file_registry;
use crate::lifecycle::with_python;
use crate::sessions::SessionCore;
use crate::touched::{self, Touched};

impl SessionCore {
    /// Applies the saves that arrive until the watcher stops.
    pub(crate) fn run(self: Arc<Self>, changes: Receiver<Change>) {
        while let Ok(change) = changes.recv() {
            match change {
                Change::Files(paths) => {
                    for path in paths {
                        if self.stopped.load(Ordering::Acquire) {
                            return;
                        }
                        self.apply_save_guarded(&path);
                    }
                }
                Change::Error(message) => {
                    with_python(|py| self.emit(py, Event::file_error(py, Path::new(""), PyOSError::new_err(message))));
                }
            }
        }
    }

    /// Applies a save; a panic on the way (a bug of ours, whatever the file
    /// holds) is reported as an error of that file and the watcher goes on.
    fn apply_save_guarded(&self, path: &Path) {
        if let Err(failure) = crate::boundary::guard(|| self.apply_save(path)) {
            let message = format!("{}: internal error while applying this save: {failure}", path.display());
            with_python(|py| self.emit(py, Event::file_error(py, path, PyOSError::new_err(message))));
        }
    }

    /// Reads, parses and diffs a saved file without the GIL, then applies it.
    fn apply_save(&self, path: &Path) {
        let bytes = match jurigged_patch::read_source(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                let message = if error.kind() == std::io::ErrorKind::NotFound {
                    format!("{} was deleted; the program keeps running its last code", path.display())
                } else {
                    format!("{}: {error}; the program keeps running its last code", path.display())
                };
                with_python(|py| self.emit(py, Event::file_error(py, path, PyOSError::new_err(message))));
                return;
            }
        };
        // The live tree as last applied: reading it needs no GIL. If the file
        // was changed meanwhile through the API, the application below notices.
        let Some((module_name, old)) = crate::live_trees::live_tree(path) else { return };
        let old_text = old.reconstruct();
        if bytes.is_empty() && !old_text.trim().is_empty() {
            // Most often a save caught between truncating the file and writing it:
            // applying it would delete everything. The next write is applied.
            let message =
                format!("{} is empty (a save in progress?); the program keeps running its last code", path.display());
            with_python(|py| self.emit(py, Event::file_error(py, path, PyOSError::new_err(message))));
            return;
        }
        let parsed = jurigged_patch::live_parser(&module_name, path).parse_bytes(&bytes).map(|new| {
            let unchanged = new.reconstruct() == old_text;
            let script = (!unchanged).then(|| diff(&old, &new));
            (new, script)
        });
        with_python(|py| {
            let Some(codefile) = file_registry().lookup(py, path) else { return };
            let (new, script) = match parsed {
                Ok(parsed) => parsed,
                Err(error) => {
                    let error = PyErr::from(jurigged_patch::Error::from(error));
                    self.emit(py, Event::file_error(py, path, error));
                    return;
                }
            };
            let path_text = path.display().to_string();
            let hook_args = |py: Python<'_>| {
                vec![PyString::new(py, &path_text).into_any().unbind(), codefile.clone_ref(py).into_any()]
            };
            // The hooks see every save, one identical to the live code included
            // (as the original's): a program may act on the save itself.
            self.prerun.get().emit(py, hook_args(py));
            let result = {
                let mut file = match codefile.bind(py).try_borrow_mut() {
                    Ok(file) => file,
                    Err(error) => {
                        self.emit(py, Event::file_error(py, path, error.into()));
                        return;
                    }
                };
                let result = match script {
                    None => Ok(Vec::new()),
                    Some(script) => {
                        file.associate_loaded_module(py);
                        if file.text_str() == old_text {
                            file.apply_tree(py, new, &script)
                        } else {
                            file.merge_tree(py, &new, Order::New, Deletions::All)
                        }
                    }
                };
                file.set_disk(bytes);
                result
            };
            match result {
                Ok(events) => {
                    let touched = Touched::by(&events);
                    for event in events {
                        self.emit(py, event.of_file(codefile.clone_ref(py).into_any()));
                    }
                    touched::notify(py, path, &touched, None);
                }
                Err(error) => self.emit(py, Event::file_error(py, path, error)),
            }
            self.postrun.get().emit(py, hook_args(py));
        });
    }
}
