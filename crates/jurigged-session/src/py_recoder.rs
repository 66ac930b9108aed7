//! `jurigged.make_recoder` and `Recoder`: change a function, method, class or
//! module in memory, try it, write it back to its file when it works.

use std::sync::Mutex;

use jurigged_deftree::{Kind, Node};
use jurigged_diff::{Deletions, Order};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyWeakrefReference;
use pyo3::{PyTraverseError, PyVisit};

use crate::py_callbacks::EventSource;
use crate::py_codefile::PyCodeFile;
use crate::py_definition::Definition;
use crate::py_errors::{OutOfSyncException, PatchError};
use crate::py_event::Event;
use crate::py_operations::all_to_python;
use crate::resolve::resolve;
use crate::touched::{self, Touched};
use jurigged_watch::sync::lock;

/// Status of a recoder, as in the original: "live" from creation and after each
/// patch, "saved" after a commit, "out-of-sync" once something else (a save,
/// another recoder's patch or commit, a revert) touched its definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Its changes are written to the file.
    Saved,
    /// Its changes are live, not yet written.
    Live,
    /// Something else changed its definitions since.
    OutOfSync,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Saved => "saved",
            Status::Live => "live",
            Status::OutOfSync => "out-of-sync",
        }
    }
}

struct State {
    status: Status,
    /// Dotted paths of the definitions this recoder answers for: its focus and
    /// what its patches defined. A change to one of them puts it out of sync.
    watched: Vec<String>,
    /// The last source given to `patch` / `patch_module`, and whether it was a
    /// module patch.
    last_patch: Option<(String, bool)>,
    /// The file's text as of the last commit (or creation): what revert restores.
    baseline: String,
}

/// Changes one definition (or a module) of a watched file in memory; `commit()`
/// writes it to the file.
///
/// Its file's listener holds it weakly: a recoder nobody references is dropped,
/// and its subscription with it.
#[pyclass(module = "jurigged", frozen, weakref)]
pub struct Recoder {
    name: String,
    codefile: Py<PyCodeFile>,
    /// The file it listens to (its CodeFile's path, which never changes).
    filename: std::path::PathBuf,
    /// Full dotted path of the focus (`mod.Class.method`), or the module's name.
    focus: String,
    deletable: bool,
    state: Mutex<State>,
    on_status: Py<EventSource>,
}

/// Removes the common indentation of the non-blank lines (textwrap.dedent): the
/// longest run of spaces and tabs that starts all of them. Lines of other
/// whitespace (U+00A0...) keep it, for the parser to judge as CPython would.
fn dedent(text: &str) -> String {
    let leading = |line: &str| -> usize { line.len() - line.trim_start_matches([' ', '\t']).len() };
    let mut margin: Option<&str> = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let own = &line[..leading(line)];
        margin = Some(match margin {
            None => own,
            // Spaces and tabs are one byte each: any common length is a char boundary.
            Some(common) => {
                let shared = common.bytes().zip(own.bytes()).take_while(|(a, b)| a == b).count();
                &common[..shared]
            }
        });
    }
    let margin = margin.unwrap_or("");
    let mut out: String = text
        .lines()
        .map(|l| l.strip_prefix(margin).unwrap_or_else(|| l.trim_start_matches([' ', '\t'])))
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| if l.trim().is_empty() { "\n".to_string() } else { format!("{prefix}{l}\n") }).collect()
}

/// The indentation of a node's first code line.
fn indentation_of(node: &Node) -> String {
    let header = node.header_text();
    header[..header.len() - header.trim_start_matches([' ', '\t']).len()].to_string()
}

impl Recoder {
    fn set_status(&self, py: Python<'_>, status: Status, this: &Bound<'_, Recoder>) {
        lock(&self.state).status = status;
        self.on_status.get().emit(
            py,
            vec![this.clone().into_any().unbind(), status.as_str().into_pyobject(py).expect("str").into_any().unbind()],
        );
    }

    /// Called when something other than this recoder changed definitions of
    /// its file: it is out of sync if one of them is its own.
    pub fn definitions_touched(this: &Bound<'_, Recoder>, touched: &Touched) {
        let recoder = this.get();
        let concerned = {
            let state = lock(&recoder.state);
            state.status != Status::OutOfSync && state.watched.iter().any(|w| touched.touches(w))
        };
        if concerned {
            recoder.set_status(this.py(), Status::OutOfSync, this);
        }
    }

    fn is_module_focus(&self, py: Python<'_>) -> PyResult<bool> {
        Ok(self.focus == self.codefile.bind(py).try_borrow()?.module_name_str())
    }

    /// Applies `events` of this recoder's own change: it answers for what they
    /// touched, and the other recoders of the file learn of it.
    fn own_change(&self, this: &Bound<'_, Recoder>, events: &[Event]) -> PyResult<()> {
        let py = this.py();
        let touched = Touched::by(events);
        {
            let mut state = lock(&self.state);
            for path in touched.paths() {
                if !state.watched.iter().any(|w| w == path) {
                    state.watched.push(path.to_string());
                }
            }
        }
        let filename = self.codefile.bind(py).try_borrow()?.path().to_path_buf();
        touched::notify(py, &filename, &touched, Some(self.identity()));
        Ok(())
    }

    /// Deletes the focused definition (`patch("")` of a deletable recoder).
    fn delete_focus(&self, py: Python<'_>) -> PyResult<Vec<Event>> {
        let tree = self.without_focus(py)?;
        PyCodeFile::merge_tree(self.codefile.bind(py), tree, Order::New, Deletions::All)
    }

    /// The file's text without the focused definition, parsed.
    fn without_focus(&self, py: Python<'_>) -> PyResult<jurigged_deftree::DefTree> {
        let file = self.codefile.bind(py).try_borrow()?;
        let text = file.text_str();
        let tree = file.tree();
        let Some(node) = tree.find(&self.focus).next() else {
            return Err(PatchError::new_err(format!("{} is not defined in {}", self.focus, file.filename_string())));
        };
        let span = node.span();
        // The last statement of a class leaves `pass` in its place, so that the
        // class still parses.
        let alone_in_its_class = self
            .focus
            .rsplit_once('.')
            .and_then(|(parent, _)| tree.find(parent).next())
            .is_some_and(|parent| parent.kind() == Kind::Class && parent.children().len() == 1);
        let replacement = if alone_in_its_class {
            let newline = if node.header_text().ends_with("\r\n") { "\r\n" } else { "\n" };
            format!("{}pass{newline}", indentation_of(node))
        } else {
            String::new()
        };
        let (Some(before), Some(after)) = (text.get(..span.start), text.get(span.end..)) else {
            return Err(PatchError::new_err(format!("{} cannot be cut out of its file", self.focus)));
        };
        file.parse_text(&format!("{before}{replacement}{after}")).map_err(PyErr::from)
    }

    /// The snippet that defines the focus with `source`, wrapped in the headers of
    /// the classes holding it and indented as in the file.
    fn wrap(&self, py: Python<'_>, source: &str) -> PyResult<String> {
        let file = self.codefile.bind(py).try_borrow()?;
        let tree = file.tree();
        let indentation = match tree.find(&self.focus).next() {
            Some(focus) => indentation_of(focus),
            // A top-level function a deletable recoder deleted: the patch
            // defines it again, at the module's level (as the original's does).
            None if self.deletable && self.focus.rsplit_once('.').is_some_and(|(p, _)| p == tree.module_name()) => {
                String::new()
            }
            None => {
                return Err(PatchError::new_err(format!(
                    "{} is no longer defined in {}",
                    self.focus,
                    file.filename_string()
                )))
            }
        };
        let mut wrapped = indent(&dedent(source), &indentation);
        // Ancestors, innermost first: the classes the focus lives in.
        let mut path = self.focus.as_str();
        while let Some((parent, _)) = path.rsplit_once('.') {
            match tree.find(parent).next() {
                Some(node) if node.kind() == Kind::Class => wrapped = format!("{}{wrapped}", node.header_text()),
                _ => break,
            }
            path = parent;
        }
        Ok(wrapped)
    }

    /// Checks that `snippet` defines the focus and nothing else.
    fn check_focus(&self, snippet: &jurigged_deftree::DefTree) -> PyResult<()> {
        let focus_name = self.focus.rsplit('.').next().unwrap_or_default();
        let mut level = snippet.root();
        let depth = self.focus.matches('.').count()
            - snippet.module_name().matches('.').count()
            - usize::from(!snippet.module_name().is_empty());
        for _ in 0..depth {
            let code: Vec<&Node> = level.children().iter().collect();
            match code.as_slice() {
                [only] if only.kind() == Kind::Class => level = only,
                _ => break,
            }
        }
        let defined: Vec<&Node> = level.children().iter().collect();
        match defined.as_slice() {
            [only] if only.kind().is_definition() && only.name() == focus_name && only.path() == self.focus => Ok(()),
            _ => {
                let names: Vec<String> = defined
                    .iter()
                    .map(|n| {
                        if n.kind().is_definition() {
                            n.path().to_string()
                        } else {
                            n.header_text().trim().to_string()
                        }
                    })
                    .collect();
                Err(PyValueError::new_err(format!(
                    "a patch for {} must define {} and nothing else, but it has: {}; use patch_module() for other code",
                    self.focus,
                    focus_name,
                    names.join(", ")
                )))
            }
        }
    }

    fn apply_patch(&self, this: &Bound<'_, Recoder>, source: &str, module: bool) -> PyResult<Vec<Py<Event>>> {
        let py = this.py();
        let is_module_focus = self.is_module_focus(py)?;
        if self.deletable && !module && !is_module_focus && source.trim().is_empty() {
            let events = self.delete_focus(py)?;
            return self.after_patch(this, source, module, events);
        }
        let mut snippet_text = if module || is_module_focus { dedent(source) } else { self.wrap(py, source)? };
        // A patch is written in the file's line endings.
        if self.codefile.bind(py).try_borrow()?.text_str().contains("\r\n") {
            snippet_text = snippet_text.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        let snippet = {
            let file = self.codefile.bind(py).try_borrow()?;
            file.parse_text(&snippet_text).map_err(PyErr::from)?
        };
        if !module && !is_module_focus {
            self.check_focus(&snippet)?;
        }
        let deletions =
            if self.deletable && !module { Deletions::Only(vec![self.focus.clone()]) } else { Deletions::None };
        let events = PyCodeFile::merge_tree(self.codefile.bind(py), snippet, Order::Original, deletions)?;
        self.after_patch(this, source, module, events)
    }

    fn after_patch(
        &self,
        this: &Bound<'_, Recoder>,
        source: &str,
        module: bool,
        events: Vec<Event>,
    ) -> PyResult<Vec<Py<Event>>> {
        let py = this.py();
        lock(&self.state).last_patch = Some((source.to_string(), module));
        self.show_live_text(py)?;
        self.own_change(this, &events)?;
        self.set_status(py, Status::Live, this);
        all_to_python(py, self.of_its_file(py, events))
    }

    /// `events`, as changes of this recoder's CodeFile.
    fn of_its_file(&self, py: Python<'_>, events: Vec<Event>) -> Vec<Event> {
        events.into_iter().map(|e| e.of_file(self.codefile.clone_ref(py).into_any())).collect()
    }

    /// Makes tracebacks and `inspect.getsource` show the live (patched) text.
    fn show_live_text(&self, py: Python<'_>) -> PyResult<()> {
        let text = self.codefile.bind(py).try_borrow()?.text_str();
        // Keyed as code objects name the file (os.fsdecode of the real path).
        let name = self.filename.as_os_str().into_pyobject(py)?;
        cache_lines(py, name.as_any(), &text)
    }

    fn forget_live_text(&self, py: Python<'_>) -> PyResult<()> {
        let filename = self.filename.as_os_str();
        py.import("linecache")?.getattr("cache")?.call_method1("pop", (filename, py.None()))?;
        Ok(())
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Recoder {
    /// Replaces the focused definition with `source` (just the `def` or `class`,
    /// indented or not), in memory only.
    fn patch(this: &Bound<'_, Recoder>, source: &str) -> PyResult<Vec<Py<Event>>> {
        this.get().apply_patch(this, source, false)
    }

    /// Merges any module-level code (helpers, imports, constants) into the module,
    /// in memory only.
    fn patch_module(this: &Bound<'_, Recoder>, source: &str) -> PyResult<Vec<Py<Event>>> {
        this.get().apply_patch(this, source, true)
    }

    /// Applies the last patch again.
    fn repatch(this: &Bound<'_, Recoder>) -> PyResult<Vec<Py<Event>>> {
        let last = lock(&this.get().state).last_patch.clone();
        match last {
            Some((source, module)) => this.get().apply_patch(this, &source, module),
            None => Ok(Vec::new()),
        }
    }

    /// Writes the live code to the file (atomically), keeping every other byte.
    /// Refuses, leaving the file untouched, when out of sync (OutOfSyncException)
    /// or when the file changed on disk since it was read (StaleException).
    fn commit(this: &Bound<'_, Recoder>) -> PyResult<()> {
        let py = this.py();
        let recoder = this.get();
        if lock(&recoder.state).status == Status::OutOfSync {
            return Err(OutOfSyncException::new_err(format!(
                "{} is out of sync with the patch of {}: its code was changed by something else; repatch() first",
                recoder.codefile.bind(py).try_borrow()?.filename_string(),
                recoder.focus
            )));
        }
        let text = {
            let mut file = recoder.codefile.bind(py).try_borrow_mut()?;
            file.commit_file()?;
            file.text_str()
        };
        let watched = {
            let mut state = lock(&recoder.state);
            state.baseline = text;
            state.watched.clone()
        };
        recoder.forget_live_text(py)?;
        recoder.set_status(py, Status::Saved, this);
        // What it wrote is now the file's: recoders answering for the same
        // definitions no longer match it.
        let filename = recoder.codefile.bind(py).try_borrow()?.path().to_path_buf();
        touched::notify(py, &filename, &Touched::updates(watched), Some(recoder.identity()));
        Ok(())
    }

    /// Goes back to the file's contents as of the last commit (or creation).
    /// As in the original, every recoder whose definitions this changes, this
    /// one included, is then out of sync (`repatch()` applies the patch again).
    fn revert(this: &Bound<'_, Recoder>) -> PyResult<Vec<Py<Event>>> {
        let py = this.py();
        let recoder = this.get();
        let baseline = lock(&recoder.state).baseline.clone();
        let tree = recoder.codefile.bind(py).try_borrow()?.parse_text(&baseline).map_err(PyErr::from)?;
        let events = PyCodeFile::merge_tree(recoder.codefile.bind(py), tree, Order::New, Deletions::All)?;
        recoder.forget_live_text(py)?;
        let filename = recoder.codefile.bind(py).try_borrow()?.path().to_path_buf();
        touched::notify(py, &filename, &Touched::by(&events), None);
        all_to_python(py, recoder.of_its_file(py, events))
    }

    /// "live" (from creation, and after a patch), "saved" (after a commit) or
    /// "out-of-sync" (something else changed its definitions).
    #[getter]
    fn status(&self) -> &'static str {
        lock(&self.state).status.as_str()
    }

    /// Callbacks called with (recoder, status) when the status changes.
    #[getter]
    fn on_status(&self, py: Python<'_>) -> Py<EventSource> {
        self.on_status.clone_ref(py)
    }

    /// The definition this recoder changes (its module for a module recoder),
    /// as the original's: `.dotpath()`, `.codestring` (its live text),
    /// `.stashed` (its extent), `.hierarchy()`.
    #[getter]
    fn focus(&self, py: Python<'_>) -> PyResult<Py<crate::py_definition::Definition>> {
        let (filename, module_name) = {
            let file = self.codefile.bind(py).try_borrow()?;
            (file.filename_string(), file.module_name_str().to_string())
        };
        let live = crate::live_trees::live_tree(std::path::Path::new(&filename));
        let placed = live.and_then(|(module, tree)| {
            if self.focus == module {
                Some((jurigged_deftree::Kind::Module, 1))
            } else {
                tree.find(&self.focus).next().map(|node| (node.kind(), node.first_line()))
            }
        });
        let fallback = if self.focus == module_name {
            (jurigged_deftree::Kind::Module, 1)
        } else {
            (jurigged_deftree::Kind::Function, 1)
        };
        let (kind, line) = placed.unwrap_or(fallback);
        crate::py_definition::Definition::create(py, kind, &self.focus, &filename, line, None)
    }

    /// The recoder's name (`make_recoder` names it after its focus).
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    /// Whether `patch("")` deletes the focused definition.
    #[getter]
    fn deletable(&self) -> bool {
        self.deletable
    }

    /// `Recoder(name, codefile, deletable=False, focus=None)`: changes `focus` (a
    /// Definition, e.g. from `registry.find`, or a dotted path) of `codefile`, or
    /// its whole module when `focus` is None.
    #[new]
    #[pyo3(signature = (name, codefile, deletable = false, focus = None))]
    fn new(
        py: Python<'_>,
        name: String,
        codefile: Py<PyCodeFile>,
        deletable: bool,
        focus: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<Recoder>> {
        let focus = match focus {
            None => None,
            Some(focus) => match focus.cast::<Definition>() {
                Ok(definition) => Some(definition.get().path().to_string()),
                Err(_) => Some(focus.extract::<String>().map_err(|_| {
                    PyTypeError::new_err("focus must be a Definition (from registry.find), a dotted path or None")
                })?),
            },
        };
        let recoder = Py::new(py, Recoder::build(py, name, codefile, deletable, focus)?)?;
        subscribe(py, &recoder)?;
        Ok(recoder)
    }

    /// The CodeFile of the file.
    #[getter]
    pub fn codefile(&self, py: Python<'_>) -> Py<PyCodeFile> {
        self.codefile.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("<jurigged.Recoder {} ({})>", self.focus, lock(&self.state).status.as_str())
    }

    /// Shows the collector what a recoder holds, so that a cycle through it
    /// (an `on_status` callback naming the recoder) is freed.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.codefile)?;
        visit.call(&self.on_status)
    }
}

/// Tells `recoder` of the changes other than its own made to its file, for as
/// long as something else keeps it alive: the subscription holds it weakly.
fn subscribe(py: Python<'_>, recoder: &Py<Recoder>) -> PyResult<()> {
    let filename = recoder.get().filename.clone();
    let told = PyWeakrefReference::new(recoder.bind(py))?.unbind();
    let listener = move |py: Python<'_>, touched: &Touched| {
        let alive = told.bind(py).upgrade();
        if let Some(recoder) = alive.as_ref().and_then(|r| r.cast::<Recoder>().ok()) {
            Recoder::definitions_touched(recoder, touched);
        }
    };
    touched::subscribe(filename, recoder.get().identity(), std::sync::Arc::new(listener));
    Ok(())
}

impl Drop for Recoder {
    fn drop(&mut self) {
        touched::unsubscribe(&self.filename, self.identity());
    }
}

impl Recoder {
    /// What tells this recoder apart among the listeners of its file.
    fn identity(&self) -> usize {
        self as *const Recoder as usize
    }

    /// A live recoder of `focus` (None: the whole module, answering for nothing
    /// until it patches), told of the file's changes from now on.
    fn build(
        py: Python<'_>,
        name: String,
        codefile: Py<PyCodeFile>,
        deletable: bool,
        focus: Option<String>,
    ) -> PyResult<Recoder> {
        let (baseline, module_name, filename) = {
            let file = codefile.bind(py).try_borrow()?;
            (file.text_str(), file.module_name_str().to_string(), file.path().to_path_buf())
        };
        let watched: Vec<String> = focus.iter().cloned().collect();
        Ok(Recoder {
            name,
            codefile,
            filename,
            focus: focus.unwrap_or(module_name),
            deletable,
            state: Mutex::new(State { status: Status::Live, watched, last_patch: None, baseline }),
            on_status: Py::new(py, EventSource::default())?,
        })
    }
}

/// A recoder for a function, method, class or module; None when the object has
/// no Python source jurigged can track.
#[jurigged_entry::py_entry]
#[pyfunction]
#[pyo3(signature = (obj, deletable = false))]
pub fn make_recoder(py: Python<'_>, obj: &Bound<'_, PyAny>, deletable: bool) -> PyResult<Option<Py<Recoder>>> {
    let Some((codefile, focus)) = resolve(py, obj)? else { return Ok(None) };
    let recoder = Py::new(py, Recoder::build(py, focus.clone(), codefile, deletable, Some(focus))?)?;
    subscribe(py, &recoder)?;
    Ok(Some(recoder))
}

/// Registers `contents` in `linecache` under `name`, so that tracebacks and
/// `inspect.getsource` show it (`linecache.checkcache` leaves such entries
/// alone); returns `name`.
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn virtual_file(py: Python<'_>, name: &str, contents: &str) -> PyResult<String> {
    cache_lines(py, pyo3::types::PyString::new(py, name).as_any(), contents)?;
    Ok(name.to_string())
}

/// Puts `contents` in `linecache` under `name` (a Python str).
fn cache_lines(py: Python<'_>, name: &Bound<'_, PyAny>, contents: &str) -> PyResult<()> {
    let lines: Vec<String> = contents.split_inclusive('\n').map(str::to_string).collect();
    let entry = (contents.len(), py.None(), lines, name);
    py.import("linecache")?.getattr("cache")?.set_item(name, entry)
}
