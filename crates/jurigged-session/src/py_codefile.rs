//! `jurigged.CodeFile`: a watched file and the module it feeds.

use std::path::{Path, PathBuf};

use jurigged_deftree::DefTree;
use jurigged_diff::{Deletions, Order};
use jurigged_patch::CodeFile;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::py_definition::{Definition, SourceTree};
use crate::py_errors::PatchError;
use crate::py_event::Event;
use crate::py_operations::all_to_python;
use crate::touched::{self, Touched};

/// A source file, its live text and the module it feeds.
///
/// `CodeFile(filename, module_name, source=None)` reads the file (or takes `source`
/// as its live text) and, when `module_name` is imported from that file, applies
/// every change to that module.
#[pyclass(module = "jurigged", name = "CodeFile", weakref)]
pub struct PyCodeFile {
    inner: CodeFile,
    /// The module whose namespace is associated, when it is a module (the
    /// original's `codefile.module`).
    module: Option<Py<PyAny>>,
    /// Whether this is the registry's CodeFile of its file, whose tree the save
    /// loop diffs against (see [`crate::live_trees`]).
    registered: bool,
    /// The process in which a change of this file is being applied, if any. A
    /// change runs the program's code with no borrow of this object held (see
    /// [`PyCodeFile::change`]); this says "in use" instead, and a child forked
    /// meanwhile (another pid) finds it free.
    applying: Option<u32>,
}

/// Clears a CodeFile's "being applied" mark however its change ends (a panic
/// included), unless another change marked it since.
struct Applying<'a, 'py>(&'a Bound<'py, PyCodeFile>);

impl Drop for Applying<'_, '_> {
    fn drop(&mut self) {
        if let Ok(mut file) = self.0.try_borrow_mut() {
            file.applying = None;
        }
    }
}

/// The events of a change made through the API, for Python, as changes of
/// `owner`; the recoders of the file are told which definitions it touched,
/// and the registries of clients' own that hold it are given the events.
fn hand_out(
    owner: &Bound<'_, PyCodeFile>,
    filename: &Path,
    before: &DefTree,
    events: Vec<Event>,
) -> PyResult<Vec<Py<Event>>> {
    let py = owner.py();
    touched::notify(py, filename, &Touched::by(&events), None);
    let echoes = crate::original_echo::echoes(filename, before, owner.try_borrow()?.tree(), &events);
    // A CodeFile the registry does not track: its events' definitions are read
    // through it, as those of its `root`.
    let source = PyCodeFile::definitions_source(owner)?;
    let of_owner = |e: Event| {
        let e = e.of_file(owner.clone().into_any().unbind());
        match &source {
            Some(source) => e.read_through(source.clone_ref(py)),
            None => e,
        }
    };
    let events = all_to_python(py, events.into_iter().map(of_owner).collect())?;
    // The registries hear the original's vocabulary too; the caller gets the
    // change said once.
    let mut told: Vec<Py<Event>> = events.iter().map(|e| e.clone_ref(py)).collect();
    told.extend(all_to_python(py, echoes.into_iter().map(of_owner).collect())?);
    crate::py_callbacks::tell_hand_made(py, filename, &told);
    Ok(events)
}

/// The record of a pending statement of `filename`.
fn pending_record(filename: &Path, pending: &jurigged_patch::Pending) -> serde_json::Value {
    serde_json::json!({
        "file": filename.to_string_lossy(),
        "line": pending.line,
        "code": pending.code,
        "error": pending.error,
        "at": pending.at,
        "message": pending.note(filename, pending.line),
    })
}

/// The module loaded from `filename` under `module_name` (or as `__main__`),
/// with its namespace, if any.
fn loaded_module(py: Python<'_>, filename: &Path, module_name: &str) -> Option<(Py<PyDict>, Py<PyAny>)> {
    let modules = py.import("sys").and_then(|sys| sys.getattr("modules")).ok()?;
    let target = std::fs::canonicalize(filename).ok()?;
    for name in [module_name, "__main__"] {
        let Ok(module) = modules.get_item(name) else { continue };
        let file = module.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok());
        if file.and_then(|f| std::fs::canonicalize(f).ok()).as_ref() == Some(&target) {
            if let Ok(namespace) = namespace_of(&module) {
                return Some((namespace.unbind(), module.unbind()));
            }
        }
    }
    None
}

/// What `CodeFile.merge` is given: another CodeFile (its module's name and
/// tree) or source text.
enum MergedIn {
    File { module_name: String, tree: Box<DefTree> },
    Text(String),
}

fn namespace_of<'py>(object: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    if let Ok(namespace) = object.cast::<PyDict>() {
        return Ok(namespace.clone());
    }
    let namespace = object.getattr("__dict__").map_err(|_| PyTypeError::new_err("expected a module or a dict"))?;
    namespace.cast_into::<PyDict>().map_err(|_| PyTypeError::new_err("expected a module or a dict"))
}

fn deletions(allow: &Bound<'_, PyAny>) -> PyResult<Deletions> {
    if let Ok(flag) = allow.extract::<bool>() {
        return Ok(if flag { Deletions::All } else { Deletions::None });
    }
    let refused =
        || PyTypeError::new_err("allow_deletions must be True, False or a list of dotted paths or definitions");
    let items: Vec<Bound<'_, PyAny>> = allow.extract().map_err(|_| refused())?;
    // A definition (from `root`, as the original's clients pass them) stands
    // for its dotted path.
    let paths = items
        .iter()
        .map(|item| match item.cast::<Definition>() {
            Ok(definition) => Ok(definition.get().path().to_string()),
            Err(_) => item.extract::<String>().map_err(|_| refused()),
        })
        .collect::<PyResult<Vec<String>>>()?;
    Ok(Deletions::Only(paths))
}

impl PyCodeFile {
    /// A CodeFile for `filename`, associated with its module if that module was
    /// loaded from this very file.
    pub fn create(py: Python<'_>, filename: &Path, module_name: &str, source: Option<&str>) -> PyResult<Self> {
        let filename = jurigged_watch::absolute(filename);
        let exists = filename.exists();
        let inner = CodeFile::new(filename, module_name, source).map_err(PyErr::from)?;
        let mut file = PyCodeFile::wrap(py, inner);
        if let (false, Some(source)) = (exists, source) {
            // Made before its file: the file is expected to hold `source` (as in
            // the original), so writing exactly that leaves it committable.
            file.inner.set_disk(source.as_bytes().to_vec());
        }
        Ok(file)
    }

    /// A CodeFile whose live source is `bytes` (the file as imported).
    pub fn from_bytes(py: Python<'_>, filename: &Path, module_name: &str, bytes: &[u8]) -> PyResult<Self> {
        let inner = CodeFile::from_bytes(filename, module_name, bytes).map_err(PyErr::from)?;
        Ok(PyCodeFile::wrap(py, inner))
    }

    fn wrap(py: Python<'_>, inner: CodeFile) -> PyCodeFile {
        let mut file = PyCodeFile { inner, module: None, registered: false, applying: None };
        file.associate_loaded_module(py);
        file
    }

    /// Associates the module loaded from this file (under its name, or as
    /// `__main__`), if any and if none is associated yet.
    pub fn associate_loaded_module(&mut self, py: Python<'_>) {
        if self.inner.namespace(py).is_some() {
            return;
        }
        if let Some((namespace, module)) = loaded_module(py, self.inner.filename(), self.inner.module_name()) {
            self.inner.associate(namespace);
            self.module = Some(module);
        }
    }

    /// [`PyCodeFile::associate_loaded_module`] for a CodeFile Python holds: the
    /// module is looked up (which can run the program's code: a module's
    /// `__getattr__`) with no borrow of it held.
    fn associate_loaded(slf: &Bound<'_, Self>) -> PyResult<()> {
        let py = slf.py();
        let (filename, module_name) = {
            let this = slf.try_borrow()?;
            if this.inner.namespace(py).is_some() {
                return Ok(());
            }
            (this.inner.filename().to_path_buf(), this.inner.module_name().to_string())
        };
        if let Some((namespace, module)) = loaded_module(py, &filename, &module_name) {
            let mut this = slf.try_borrow_mut()?;
            if this.inner.namespace(py).is_none() {
                this.inner.associate(namespace);
                this.module = Some(module);
            }
        }
        Ok(())
    }

    /// Applies a change (`change`, given a copy of the file's state) with no
    /// borrow of this object held: a change runs the program's code (a save's
    /// statements, decorators) and releases the GIL between its steps, and a
    /// thread that forks meanwhile must not leave the child a CodeFile borrowed
    /// for good. The copy's outcome (its live tree, its disk state) becomes this
    /// file's, and is published. One change at a time: another one started
    /// while it runs (from its statements, or another thread) is refused.
    pub fn change(
        slf: &Bound<'_, Self>,
        change: impl FnOnce(Python<'_>, &mut CodeFile) -> jurigged_patch::Result<Vec<jurigged_patch::Event>>,
    ) -> PyResult<Vec<Event>> {
        let py = slf.py();
        PyCodeFile::associate_loaded(slf)?;
        let mut copy = {
            let mut this = slf.try_borrow_mut()?;
            let pid = std::process::id();
            if this.applying == Some(pid) {
                return Err(PatchError::new_err(format!(
                    "{}: a change of this file is being applied; it cannot be changed until that one ends",
                    this.inner.filename().display()
                )));
            }
            this.applying = Some(pid);
            this.inner.clone_ref(py)
        };
        let applying = Applying(slf);
        let result = change(py, &mut copy);
        let mut this = slf.try_borrow_mut()?;
        this.inner.adopt(copy);
        this.applying = None;
        let events = this.changed(py, result);
        drop(this);
        drop(applying);
        events
    }

    /// What the definitions of this file are read through: nothing for the
    /// registry's CodeFile (every definition of its file reads `live_trees`),
    /// a weak reference to itself for another one.
    fn definitions_source(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        if slf.try_borrow()?.registered {
            return Ok(None);
        }
        Ok(Some(pyo3::types::PyWeakrefReference::new(slf)?.into_any().unbind()))
    }

    /// Parses `text` as a version of this file.
    pub fn parse_text(&self, text: &str) -> jurigged_patch::Result<DefTree> {
        self.inner.parse(text)
    }

    /// The namespace changes are applied to, if any.
    pub fn live_namespace<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyDict>> {
        self.inner.namespace(py)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        self.inner.filename()
    }

    /// The file's path, as a string.
    pub fn filename_string(&self) -> String {
        self.inner.filename().display().to_string()
    }

    /// Writes the live text to the file (see `commit`).
    pub fn commit_file(&mut self) -> PyResult<()> {
        self.inner.commit().map_err(PyErr::from)
    }

    /// The fingerprint of the bytes last read from disk or written to it.
    pub fn disk(&self) -> Option<jurigged_watch::Fingerprint> {
        self.inner.disk()
    }

    /// Records the bytes last read from disk.
    pub fn set_disk(&mut self, bytes: Vec<u8>) {
        self.inner.set_disk(bytes);
    }

    /// Makes this the registry's CodeFile of its file, read from disk as
    /// `bytes`: from now on each change publishes its live tree.
    pub fn become_live(&mut self, bytes: Vec<u8>) {
        self.inner.set_disk(bytes);
        self.registered = true;
        self.publish();
    }

    /// Publishes the live tree, when this is the registry's CodeFile.
    fn publish(&self) {
        if self.registered {
            crate::live_trees::publish(self.inner.filename(), self.inner.module_name(), self.inner.shared_tree());
        }
    }

    /// The events of a change (published first), or its error.
    fn changed(
        &self,
        py: Python<'_>,
        result: jurigged_patch::Result<Vec<jurigged_patch::Event>>,
    ) -> PyResult<Vec<Event>> {
        self.publish();
        match result {
            Ok(events) => Ok(Event::all_from_rust(py, events, self.inner.tree(), self.inner.module_name())),
            Err(error) => Err(PyErr::from(error)),
        }
    }

    /// The module's name.
    pub fn module_name_str(&self) -> &str {
        self.inner.module_name()
    }

    /// The live tree.
    pub fn tree(&self) -> &DefTree {
        self.inner.tree()
    }

    /// The live tree, shared.
    pub fn shared_tree(&self) -> std::sync::Arc<DefTree> {
        self.inner.shared_tree()
    }

    /// The live text.
    pub fn text_str(&self) -> String {
        self.inner.text()
    }

    /// The file was saved with the text that is live: a statement pending
    /// since a save that applied nothing is no longer in it.
    pub fn settle_pending(&mut self) {
        self.inner.settle_pending();
    }

    /// The statements of this file held back until edited, as records (file,
    /// line, code, error, at, message): what the event stream and
    /// `registry.pending()` list.
    pub fn pending_records(&self) -> Vec<serde_json::Value> {
        let filename = self.inner.filename();
        self.inner.pending().iter().map(|pending| pending_record(filename, pending)).collect()
    }

    /// Merges `other` into the live code (see [`PyCodeFile::change`]).
    pub fn merge_tree(
        slf: &Bound<'_, Self>,
        other: DefTree,
        order: Order,
        deletions: Deletions,
    ) -> PyResult<Vec<Event>> {
        PyCodeFile::change(slf, |py, file| file.merge(py, other, order, deletions))
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl PyCodeFile {
    #[new]
    #[pyo3(signature = (filename, module_name, source = None))]
    fn new(py: Python<'_>, filename: PathBuf, module_name: &str, source: Option<&str>) -> PyResult<Self> {
        PyCodeFile::create(py, &filename, module_name, source)
    }

    /// The file's path.
    #[getter]
    fn filename(&self) -> std::ffi::OsString {
        // As the OS has it (str through os.fsdecode), so it names the real file.
        self.inner.filename().as_os_str().to_os_string()
    }

    /// The dotted name of its module.
    #[getter]
    fn module_name(&self) -> String {
        self.inner.module_name().to_string()
    }

    /// The live text.
    #[getter]
    fn text(&self) -> String {
        self.inner.text()
    }

    /// The namespace changes are applied to, or None.
    #[getter]
    fn namespace<'py>(slf: &Bound<'py, Self>) -> PyResult<Option<Bound<'py, PyDict>>> {
        PyCodeFile::associate_loaded(slf)?;
        Ok(slf.try_borrow()?.inner.namespace(slf.py()))
    }

    /// The module changes are applied to, or None (no module, or a dict
    /// namespace).
    #[getter]
    fn module(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        PyCodeFile::associate_loaded(slf)?;
        Ok(slf.try_borrow()?.module.as_ref().map(|m| m.clone_ref(slf.py())))
    }

    /// Applies changes to this module (or dict namespace) from now on.
    fn associate(&mut self, target: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.associate(namespace_of(target)?.unbind());
        self.module = (!target.is_instance_of::<PyDict>()).then(|| target.clone().unbind());
        Ok(())
    }

    /// Merges `other` into the live code and returns the events.
    ///
    /// order="new" takes `other` as the whole new file (a save); order="original"
    /// merges the definitions `other` mentions into this file, keeping its order.
    /// allow_deletions: True, False, or the dotted paths that may be deleted.
    #[pyo3(signature = (other, order = "original", allow_deletions = None))]
    fn merge(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        order: &str,
        allow_deletions: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Py<Event>>> {
        let order = match order {
            "new" => Order::New,
            "original" => Order::Original,
            other => return Err(PyValueError::new_err(format!("order must be 'new' or 'original', not {other:?}"))),
        };
        let deletions = match allow_deletions {
            Some(allow) => deletions(allow)?,
            None => Deletions::All,
        };
        let other = match other.cast::<PyCodeFile>() {
            Ok(file) => {
                let file = file.try_borrow()?;
                MergedIn::File {
                    module_name: file.inner.module_name().to_string(),
                    tree: Box::new(file.inner.tree().clone()),
                }
            }
            Err(_) => MergedIn::Text(
                other.extract().map_err(|_| PyTypeError::new_err("merge takes a CodeFile or source text"))?,
            ),
        };
        let (other_tree, filename) = {
            let this = slf.try_borrow()?;
            let other_tree = match other {
                MergedIn::File { module_name, tree } if module_name == this.inner.module_name() => *tree,
                // Its definitions are merged as this module's: they are named
                // after the module they will live in.
                MergedIn::File { tree, .. } => this.inner.parse(&tree.reconstruct()).map_err(PyErr::from)?,
                MergedIn::Text(text) => this.inner.parse(&text).map_err(PyErr::from)?,
            };
            (other_tree, this.inner.filename().to_path_buf())
        };
        let before = slf.try_borrow()?.inner.tree().clone();
        let events = PyCodeFile::merge_tree(slf, other_tree, order, deletions)?;
        hand_out(slf, &filename, &before, events)
    }

    /// Takes `text` as the new content of the file, as a save would.
    fn update(slf: &Bound<'_, Self>, text: &str) -> PyResult<Vec<Py<Event>>> {
        let (filename, before) = {
            let this = slf.try_borrow()?;
            (this.inner.filename().to_path_buf(), this.inner.tree().clone())
        };
        let events = PyCodeFile::change(slf, |py, file| file.update_text(py, text))?;
        hand_out(slf, &filename, &before, events)
    }

    /// Re-reads the file and applies what changed.
    fn refresh(slf: &Bound<'_, Self>) -> PyResult<Vec<Py<Event>>> {
        let (filename, before) = {
            let this = slf.try_borrow()?;
            (this.inner.filename().to_path_buf(), this.inner.tree().clone())
        };
        let events = PyCodeFile::change(slf, |py, file| file.refresh(py))?;
        hand_out(slf, &filename, &before, events)
    }

    /// Writes the live text to the file, atomically; raises StaleException when
    /// the file changed on disk since it was read.
    fn commit(&mut self) -> PyResult<()> {
        self.inner.commit().map_err(PyErr::from)
    }

    /// Whether the file on disk changed since it was last read or written.
    fn stale(&self) -> bool {
        self.inner.stale()
    }

    /// The statements of this file whose last run raised, held back until they
    /// are edited: one dict each (file, line, code, error, at, message).
    #[getter]
    fn pending<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let json = py.import("json")?;
        let records: PyResult<Vec<Bound<'py, PyAny>>> =
            self.pending_records().iter().map(|r| json.call_method1("loads", (r.to_string(),))).collect();
        PyList::new(py, records?)
    }

    /// The file's tree of definitions, as the original's `CodeFile.root`: a
    /// `ModuleCode` whose `children` are its statements, classes and functions
    /// (a class's and a function's theirs), each with its extent (`stashed`),
    /// text, dotted path and `ast` node (`.node`), read from the live text at
    /// each access, so a saved change shows. The same objects `registry.find`
    /// and events hand out for a file the registry tracks.
    #[getter]
    fn root(slf: &Bound<'_, Self>) -> PyResult<Py<Definition>> {
        let source = PyCodeFile::definitions_source(slf)?;
        let (module_name, filename) = {
            let this = slf.try_borrow()?;
            (this.inner.module_name().to_string(), this.filename_string())
        };
        Definition::create_in(slf.py(), jurigged_deftree::Kind::Module, &module_name, &filename, 1, None, source)
    }

    /// The live tree, for the definitions read from this CodeFile.
    fn _live_tree(&self) -> SourceTree {
        SourceTree::new(self.inner.shared_tree())
    }

    /// Dotted paths of the classes and functions the live text defines.
    fn definitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.inner.tree().definitions().map(|d| d.path().to_string()))
    }

    fn __repr__(&self) -> String {
        format!("<jurigged.CodeFile {} ({})>", self.inner.filename().display(), self.inner.module_name())
    }
}
