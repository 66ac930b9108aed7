//! [`CodeFile`]: a watched file, its live text and tree, and the module they feed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jurigged_deftree::{DefTree, Parser};
use jurigged_diff::{apply, diff, merge, Deletions, EditScript, Order};
use jurigged_watch::Fingerprint;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::clock::StatementClock;
use crate::dependents::dependents;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::held::{first_line_of, holds_for, replacements, still_pending, Origins, Pending, RunningFrame};
use crate::patcher::{patch_holding, LiveModule};
use crate::write_back::{write_source, WriteError};

/// Where a CodeFile's first live text comes from.
enum Source<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// One source file: the text that is live in the program, its tree, and the
/// namespace its code runs in.
pub struct CodeFile {
    filename: PathBuf,
    module_name: String,
    tree: Arc<DefTree>,
    /// The file's bytes when last read or written, to tell edits we did not see.
    disk: Option<Fingerprint>,
    namespace: Option<Py<PyDict>>,
    /// Where each top-level statement stands in the body the module runs.
    origins: Origins,
    /// Statements whose last run raised, held back until edited.
    pending: Vec<Pending>,
}

/// What a save brings besides its text: the frames of the module's body
/// running now, who is told as each statement runs, and whether unchanged
/// statements that read a changed function run again.
pub struct SaveContext<'a> {
    /// Frames of the module's own body (`<module>`) on threads' stacks.
    pub running: Vec<RunningFrame>,
    /// Told as each statement of the save starts and ends.
    pub clock: Option<&'a dyn StatementClock>,
    /// Whether an unchanged plain assignment whose value reads a function the
    /// save changed runs again (see `dependents.rs`); on unless turned off.
    pub rerun_dependents: bool,
}

impl Default for SaveContext<'_> {
    fn default() -> Self {
        SaveContext { running: Vec::new(), clock: None, rerun_dependents: true }
    }
}

impl CodeFile {
    /// Reads `filename` (or takes `source` as its live text) for module `module_name`.
    pub fn new(filename: impl Into<PathBuf>, module_name: &str, source: Option<&str>) -> Result<CodeFile> {
        CodeFile::open(filename.into(), module_name, source.map(Source::Text))
    }

    /// Takes `bytes` (the file as it was read, e.g. when imported) as the live
    /// source, decoded and later written back in the file's own encoding.
    pub fn from_bytes(filename: impl Into<PathBuf>, module_name: &str, bytes: &[u8]) -> Result<CodeFile> {
        CodeFile::open(filename.into(), module_name, Some(Source::Bytes(bytes)))
    }

    fn open(filename: PathBuf, module_name: &str, source: Option<Source<'_>>) -> Result<CodeFile> {
        let on_disk = read_source(&filename).ok();
        let parser = live_parser(module_name, &filename);
        let tree = match (source, on_disk.as_deref()) {
            (Some(Source::Text(text)), _) => parser.parse(text)?,
            (Some(Source::Bytes(bytes)), _) | (None, Some(bytes)) => parser.parse_bytes(bytes)?,
            (None, None) => {
                let error = match read_source(&filename) {
                    Err(error) => error,
                    Ok(_) => std::io::Error::other("the file could not be read"),
                };
                return Err(Error::Io { filename, error });
            }
        };
        let disk = on_disk.as_deref().map(Fingerprint::of);
        let origins = Origins::of(&tree);
        Ok(CodeFile {
            filename,
            module_name: module_name.to_string(),
            tree: Arc::new(tree),
            disk,
            namespace: None,
            origins,
            pending: Vec::new(),
        })
    }

    /// The file's path.
    pub fn filename(&self) -> &Path {
        &self.filename
    }

    /// The dotted name of its module.
    pub fn module_name(&self) -> &str {
        &self.module_name
    }

    /// The live tree.
    pub fn tree(&self) -> &DefTree {
        &self.tree
    }

    /// The live tree, shared: a caller can diff against it without holding the GIL.
    pub fn shared_tree(&self) -> Arc<DefTree> {
        Arc::clone(&self.tree)
    }

    /// The live text.
    pub fn text(&self) -> String {
        self.tree.reconstruct()
    }

    /// Applies changes to `namespace` (a module's `__dict__`) from now on.
    pub fn associate(&mut self, namespace: Py<PyDict>) {
        self.namespace = Some(namespace);
    }

    /// The associated namespace, if any.
    pub fn namespace<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyDict>> {
        self.namespace.as_ref().map(|n| n.bind(py).clone())
    }

    /// A copy of this file's state (the same file, module, tree, disk state and
    /// namespace), to change while the owner of this one is not held: changes
    /// run the program's code, and a fork meanwhile must not find the owner in
    /// use. [`CodeFile::adopt`] takes the outcome back.
    pub fn clone_ref(&self, py: Python<'_>) -> CodeFile {
        CodeFile {
            filename: self.filename.clone(),
            module_name: self.module_name.clone(),
            tree: Arc::clone(&self.tree),
            disk: self.disk,
            namespace: self.namespace.as_ref().map(|n| n.clone_ref(py)),
            origins: self.origins.clone(),
            pending: self.pending.clone(),
        }
    }

    /// Takes the live tree and disk state of `changed`, a copy made by
    /// [`CodeFile::clone_ref`] and changed since, with what it holds back
    /// (the running body's lines, the pending statements).
    pub fn adopt(&mut self, changed: CodeFile) {
        self.tree = changed.tree;
        self.disk = changed.disk;
        self.origins = changed.origins;
        self.pending = changed.pending;
    }

    /// Parses `text` as a version of this file.
    pub fn parse(&self, text: &str) -> Result<DefTree> {
        Ok(live_parser(&self.module_name, &self.filename).parse(text)?)
    }

    /// Merges `other` into the live code. `Order::New` takes `other` as the new
    /// whole file (a save); `Order::Original` merges a snippet into the file,
    /// deleting only what `deletions` allows. The live program changes only if
    /// every change could be prepared; then the live text becomes the result.
    pub fn merge(&mut self, py: Python<'_>, other: DefTree, order: Order, deletions: Deletions) -> Result<Vec<Event>> {
        let result = match order {
            // Taken as it is: a large file's tree is not copied again.
            Order::New => other,
            Order::Original => {
                let script = merge(&self.tree, &other, deletions);
                apply(&self.tree, &script).expect("a script applies to the tree it was made from")
            }
        };
        // Live positions are those of the merged file, which a new-order diff gives.
        let script = diff(&self.tree, &result);
        self.apply(py, result, &script)
    }

    /// Makes `new` the live tree, applying `script` to the module. The script
    /// must be `diff(self.tree(), &new)`: a caller can compute it without the GIL.
    pub fn apply(&mut self, py: Python<'_>, new: DefTree, script: &EditScript) -> Result<Vec<Event>> {
        self.apply_save(py, new, script, &SaveContext::default())
    }

    /// [`CodeFile::apply`] for a save: a changed statement that is running now
    /// (one of `context.running` is inside it) is not run again, nor is a
    /// pending one whose text is unchanged; a statement that raises becomes
    /// pending (the save applies nothing, as any failed save). Unchanged
    /// statements whose value reads a function the save changed run again
    /// (`context.rerun_dependents`).
    pub fn apply_save(
        &mut self,
        py: Python<'_>,
        new: DefTree,
        script: &EditScript,
        context: &SaveContext<'_>,
    ) -> Result<Vec<Event>> {
        let (holds, held_running) = holds_for(&self.tree, &new, script, &self.origins, &context.running, &self.pending);
        let dependents = if context.rerun_dependents {
            dependents(&self.tree, &new, script, &holds, &self.origins, &context.running)
        } else {
            Vec::new()
        };
        let events = match self.namespace(py) {
            Some(namespace) if !script.is_empty() => {
                let live = LiveModule::new(namespace, &self.module_name, &self.filename)?;
                match patch_holding(&live, script, &self.tree, &new, &holds, &dependents, context.clock) {
                    Ok(events) => events,
                    Err(error) => {
                        self.note_pending(py, &error, script, &new);
                        return Err(error);
                    }
                }
            }
            _ => Vec::new(),
        };
        self.origins = self.origins.after(&self.tree, &new, &held_running);
        self.pending = still_pending(std::mem::take(&mut self.pending), &new);
        self.tree = Arc::new(new);
        Ok(events)
    }

    /// Keeps only the pending statements whose text is live: a save of the
    /// text that is live (after one that applied nothing) clears the others.
    pub fn settle_pending(&mut self) {
        self.pending = still_pending(std::mem::take(&mut self.pending), &self.tree);
    }

    /// The statements held back until they are edited (their last run raised).
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }

    /// A save that applied nothing because a statement of it raised: that
    /// statement is pending from now on.
    fn note_pending(&mut self, py: Python<'_>, error: &Error, script: &EditScript, new: &DefTree) {
        let Error::Python { line, path, error: raised, .. } = error else { return };
        let Some(node) = script.edits().iter().find_map(|edit| match edit {
            jurigged_diff::Edit::Run { node, .. } | jurigged_diff::Edit::Add { node, .. }
                if node.first_line() == *line && node.path() == path =>
            {
                Some(node)
            }
            _ => None,
        }) else {
            return;
        };
        let replaced = replacements(&self.tree, new);
        let index = new.root().children().iter().position(|child| child.span() == node.span());
        let live_text = index
            .and_then(|j| replaced.get(&j))
            .and_then(|&i| self.tree.root().children().get(i))
            .map(|old| old.code_text());
        let pending = Pending {
            path: node.path().to_string(),
            text: node.code_text(),
            live_text,
            line: node.position().start.line,
            code: first_line_of(node),
            error: describe_exception(py, raised),
            at: local_clock_time(py),
        };
        let mut kept = still_pending(std::mem::take(&mut self.pending), new);
        kept.retain(|p| {
            !(p.path == pending.path
                && (p.text == pending.text || (p.live_text.is_some() && p.live_text == pending.live_text)))
        });
        kept.push(pending);
        self.pending = kept;
    }

    /// Records that the file on disk now holds `bytes` (read by the caller).
    pub fn set_disk(&mut self, bytes: Vec<u8>) {
        self.disk = Some(Fingerprint::of(&bytes));
    }

    /// Takes `text` as the new content of the file (what a save does).
    pub fn update_text(&mut self, py: Python<'_>, text: &str) -> Result<Vec<Event>> {
        if text == self.text() {
            return Ok(Vec::new());
        }
        let new = self.parse(text)?;
        let script = diff(&self.tree, &new);
        self.apply(py, new, &script)
    }

    /// Re-reads the file and applies what changed.
    pub fn refresh(&mut self, py: Python<'_>) -> Result<Vec<Event>> {
        let bytes =
            read_source(&self.filename).map_err(|error| Error::Io { filename: self.filename.clone(), error })?;
        let new = live_parser(&self.module_name, &self.filename).parse_bytes(&bytes)?;
        let events = if new.reconstruct() == self.text() {
            Vec::new()
        } else {
            let script = diff(&self.tree, &new);
            self.apply(py, new, &script)?
        };
        self.disk = Some(Fingerprint::of(&bytes));
        Ok(events)
    }

    /// The fingerprint of the bytes last read from the file or written to it.
    pub fn disk(&self) -> Option<Fingerprint> {
        self.disk
    }

    /// Whether the file on disk changed since it was last read or written.
    pub fn stale(&self) -> bool {
        read_source(&self.filename).ok().as_deref().map(Fingerprint::of) != self.disk
    }

    /// Writes the live text to the file (the file a symlink names), keeping its
    /// mode, owner and links (see `write_back.rs`). Refuses when the file
    /// changed on disk since it was read (checked again right before the new
    /// text takes effect) or is read-only.
    pub fn commit(&mut self) -> Result<()> {
        if self.stale() {
            return Err(Error::Stale { filename: self.filename.clone() });
        }
        let io_error = |error| Error::Io { filename: self.filename.clone(), error };
        let bytes = self.tree.encoding().encode(&self.text()).ok_or_else(|| {
            io_error(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the new text cannot be written in the file's encoding ({})", self.tree.encoding().name),
            ))
        })?;
        write_source(&self.filename, &bytes, &|| self.stale()).map_err(|error| match error {
            WriteError::Stale => Error::Stale { filename: self.filename.clone() },
            WriteError::ReadOnly(error) => Error::ReadOnly { filename: self.filename.clone(), error },
            WriteError::Io(error) => io_error(error),
        })?;
        self.disk = Some(Fingerprint::of(&bytes));
        Ok(())
    }
}

/// `OSError: Address already in use`: the exception's type and message (an
/// `OSError`'s own words, without its errno).
fn describe_exception(py: Python<'_>, error: &PyErr) -> String {
    let value = error.value(py);
    let name = value.get_type().qualname().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".to_string());
    let strerror = value.getattr("strerror").ok().and_then(|s| s.extract::<String>().ok());
    let message = strerror.or_else(|| value.str().ok().map(|s| s.to_string())).unwrap_or_default();
    if message.is_empty() {
        name
    } else {
        format!("{name}: {message}")
    }
}

/// The time of day now, as the program's clock says it (`10:12:03`).
fn local_clock_time(py: Python<'_>) -> String {
    py.import("time")
        .and_then(|time| time.call_method1("strftime", ("%H:%M:%S",)))
        .and_then(|text| text.extract())
        .unwrap_or_default()
}

/// The bytes of a source file. Anything but a regular file is refused without
/// opening it: reading a FIFO put where a module was would block until
/// something writes to it.
pub fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, a device or a directory): not read",
        ));
    }
    std::fs::read(path)
}

/// The parser for versions of a live file: patching never reads variable facts
/// nor looks inside function bodies, so neither is built (a live tree is then
/// several times smaller and faster to make).
pub fn live_parser(module_name: &str, filename: &Path) -> Parser {
    Parser::new().module(module_name).filename(filename).variable_facts(false).function_bodies(false)
}
