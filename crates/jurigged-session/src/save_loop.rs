//! The save loop of a session: each save is read, decoded, parsed and diffed
//! without the GIL; only its application to the live module takes it. Saves are
//! applied one at a time, in the order they arrive, and every file of a burst
//! is applied.

use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;

use jurigged_diff::{diff, Deletions, Order};
use jurigged_patch::SaveContext;
use jurigged_watch::Change;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

use crate::file_registry::file_registry;
use crate::lifecycle::with_python;
use crate::long_statements::LongStatements;
use crate::py_codefile::PyCodeFile;
use crate::py_errors::watch_error;
use crate::py_event::Event;
use crate::running::Running;
use crate::sessions::{next_save_id, SaveOutcome, SessionCore};
use crate::syntax::{cpython_can_judge, cpython_syntax_error};
use crate::touched::{self, Touched};

impl SessionCore {
    /// Applies the saves that arrive until the watcher stops.
    pub(crate) fn run(self: Arc<Self>, changes: Receiver<Change>) {
        while let Ok(change) = changes.recv() {
            match change {
                Change::Files(paths) => {
                    for path in paths {
                        if self.state.is_stopped() {
                            return;
                        }
                        self.apply_save_guarded(&path);
                    }
                }
                Change::Error(error) if matches!(*error, jurigged_watch::Error::DescriptorsClosed) => {
                    // A daemonizing child closed every descriptor (os.closerange):
                    // no change can be seen any more. Said once; the thread ends.
                    let line = format!(
                        "jurigged: warning: {error}; this process no longer applies saves [pid {}]\n",
                        std::process::id()
                    );
                    with_python(|py| {
                        let written =
                            py.import("sys").and_then(|sys| sys.getattr("stderr")?.call_method1("write", (line,)));
                        if let Err(error) = written {
                            error.print(py);
                        }
                    });
                    return;
                }
                Change::Error(error) => {
                    let error = watch_error(&error);
                    with_python(|py| self.emit(py, Event::file_error(py, Path::new(""), error)));
                }
            }
        }
    }

    /// Applies a save; a panic on the way (a bug of ours, whatever the file
    /// holds) is reported as an error of that file and the watcher goes on.
    fn apply_save_guarded(&self, path: &Path) {
        if let Err(failure) = crate::boundary::guard(|| self.apply_save(path)) {
            let message = format!("{}: internal error while applying this save: {failure}", path.display());
            with_python(|py| self.emit(py, file_error(py, path, PyOSError::new_err(message))));
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
                with_python(|py| self.emit(py, file_error(py, path, PyOSError::new_err(message))));
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
            with_python(|py| self.emit(py, file_error(py, path, PyOSError::new_err(message))));
            return;
        }
        let parsed = jurigged_patch::live_parser(&module_name, path).parse_bytes(&bytes).map(|new| {
            let unchanged = new.reconstruct() == old_text;
            let script = (!unchanged).then(|| diff(&old, &new));
            (new, script)
        });
        // Whether CPython may word a syntax error instead of us: decided here,
        // off the GIL.
        let ask_cpython =
            matches!(parsed, Err(jurigged_deftree::Error::Syntax { .. })) && cpython_can_judge(path, &bytes);
        with_python(|py| {
            let Some(codefile) = file_registry().lookup(py, path) else { return };
            let save = next_save_id();
            let (new, script) = match parsed {
                Ok(parsed) => parsed,
                Err(error) => {
                    let cpythons = if ask_cpython { cpython_syntax_error(py, path, &bytes) } else { None };
                    let error = cpythons.unwrap_or_else(|| PyErr::from(jurigged_patch::Error::from(error)));
                    let pending = codefile.bind(py).try_borrow().map(|f| f.pending_records()).unwrap_or_default();
                    let outcome = SaveOutcome { id: save, applied: false, pending };
                    let event = file_error(py, path, error).in_save(save);
                    self.emit_save(py, path, vec![event], std::time::Duration::ZERO, &outcome);
                    return;
                }
            };
            let hook_args = |py: Python<'_>| {
                // The path as the OS has it (str through os.fsdecode).
                let path = path.as_os_str().into_pyobject(py).map(|p| p.into_any().unbind());
                vec![path.unwrap_or_else(|_| py.None()), codefile.clone_ref(py).into_any()]
            };
            // The hooks see every save, one identical to the live code included
            // (as the original's): a program may act on the save itself.
            self.prerun.get().emit(py, hook_args(py));
            // Which functions of the file run now, named while their old code is
            // still known: only when the save changes something.
            let running = if script.is_some() { Running::now(py, path) } else { Running::default() };
            let clock = LongStatements::new();
            let context = SaveContext {
                running: running.body_frames(),
                clock: self.logger.is_some().then_some(&clock as &dyn jurigged_patch::StatementClock),
                rerun_dependents: self.settings.rerun_dependents,
            };
            let started = Instant::now();
            let changed = script.is_some();
            // No borrow of the CodeFile is held while the save's code runs
            // (see PyCodeFile::change).
            let result = match script {
                None => match codefile.bind(py).try_borrow_mut() {
                    Ok(mut file) => {
                        // The file is back to what is live: a statement pending
                        // since a save that applied nothing is no more.
                        file.settle_pending();
                        file.set_disk(bytes);
                        Ok(Vec::new())
                    }
                    Err(error) => Err(PyErr::from(error)),
                },
                Some(script) => PyCodeFile::change(codefile.bind(py), |py, file| {
                    let result = if file.text() == old_text {
                        file.apply_save(py, new, &script, &context)
                    } else {
                        // Changed through the API since the tree this save was
                        // diffed against: the save is taken as the whole new file.
                        file.merge(py, new, Order::New, Deletions::All)
                    };
                    file.set_disk(bytes);
                    result
                }),
            };
            drop(context);
            drop(clock);
            let pending = codefile.bind(py).try_borrow().map(|file| file.pending_records()).unwrap_or_default();
            let elapsed = started.elapsed();
            match result {
                Ok(events) => {
                    let touched = Touched::by(&events);
                    let mut events: Vec<Event> = events
                        .into_iter()
                        .map(|e| e.of_file(codefile.clone_ref(py).into_any()).in_save(save))
                        .collect();
                    running.note_on(&mut events);
                    let namespace = codefile.bind(py).try_borrow().ok().and_then(|file| file.live_namespace(py));
                    crate::rude::note_rude_edits(py, namespace.as_ref(), path, &mut events);
                    let rude = events.iter().find_map(|e| e.rude().map(|r| (r, e.text())));
                    // The original's vocabulary, for Python callbacks and loggers.
                    let echoes = codefile
                        .bind(py)
                        .try_borrow()
                        .map(|file| crate::original_echo::echoes(path, &old, file.tree(), &events))
                        .unwrap_or_default();
                    let module = events.iter().find_map(|e| e.module().map(str::to_string));
                    events.extend(echoes.into_iter().map(|e| {
                        let e = e.of_file(codefile.clone_ref(py).into_any()).in_save(save);
                        match &module {
                            Some(module) => e.in_module(module),
                            None => e,
                        }
                    }));
                    let outcome = SaveOutcome { id: save, applied: true, pending };
                    if changed || !events.is_empty() {
                        self.emit_save(py, path, events, elapsed, &outcome);
                    }
                    touched::notify(py, path, &touched, None);
                    if let Some((rude, text)) = rude {
                        crate::restart::after_rude_edit(py, rude, &text);
                    }
                }
                Err(error) => {
                    let event = file_error(py, path, error).in_save(save);
                    let outcome = SaveOutcome { id: save, applied: false, pending };
                    self.emit_save(py, path, vec![event], elapsed, &outcome);
                }
            }
            self.postrun.get().emit(py, hook_args(py));
        });
    }
}

/// An error about the whole file `path`, as an event of its CodeFile and module
/// when the file is tracked.
fn file_error(py: Python<'_>, path: &Path, error: PyErr) -> Event {
    let event = Event::file_error(py, path, error);
    let Some(codefile) = file_registry().lookup(py, path) else { return event };
    let module = codefile.bind(py).try_borrow().map(|file| file.module_name_str().to_string());
    let event = match module {
        Ok(module) => event.in_module(&module),
        Err(_) => event,
    };
    event.of_file(codefile.into_any())
}
