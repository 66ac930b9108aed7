//! `jurigged.make_recoder` and `Recoder`: change a function, method, class or
//! module in memory, try it, write it back to its file when it works.

use std::sync::Mutex;

use jurigged_deftree::{Kind, Node};
use jurigged_diff::{Deletions, Order};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::codefile::PyCodeFile;
use crate::errors::{to_py_err, PatchError, StaleException};
use crate::event::Event;
use crate::events::EventSource;
use crate::session::{registry, resolve};

/// Status of a recoder: its code is that of the file, patched in memory, or the
/// file changed under a patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Saved,
    Live,
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
    /// The last source given to `patch` / `patch_module`, and whether it was a
    /// module patch.
    last_patch: Option<(String, bool)>,
    /// The file's text as of the last commit (or creation): what revert restores.
    baseline: String,
}

/// Changes one definition (or a module) of a watched file in memory; `commit()`
/// writes it to the file.
#[pyclass(module = "jurigged", frozen)]
pub struct Recoder {
    codefile: Py<PyCodeFile>,
    /// Full dotted path of the focus (`mod.Class.method`), or the module's name.
    focus: String,
    deletable: bool,
    state: Mutex<State>,
    on_status: Py<EventSource>,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
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

    /// Called by the session when the file changed on disk under a patch.
    pub fn file_changed(this: &Bound<'_, Recoder>) {
        let recoder = this.get();
        if lock(&recoder.state).status == Status::Live {
            recoder.set_status(this.py(), Status::OutOfSync, this);
        }
    }

    /// The snippet that defines the focus with `source`, wrapped in the headers of
    /// the classes holding it and indented as in the file.
    fn wrap(&self, py: Python<'_>, source: &str) -> PyResult<String> {
        let file = self.codefile.bind(py).borrow();
        let tree = file.tree();
        let focus = tree.find(&self.focus).next().ok_or_else(|| {
            PatchError::new_err(format!("{} is no longer defined in {}", self.focus, file.filename_string()))
        })?;
        let mut wrapped = indent(&dedent(source), &indentation_of(focus));
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

    fn apply_patch(&self, this: &Bound<'_, Recoder>, source: &str, module: bool) -> PyResult<Vec<Event>> {
        let py = this.py();
        let is_module_focus = self.focus == self.codefile.bind(py).borrow().module_name_str();
        let mut snippet_text = if module || is_module_focus { dedent(source) } else { self.wrap(py, source)? };
        // A patch is written in the file's line endings.
        if self.codefile.bind(py).borrow().text_str().contains("\r\n") {
            snippet_text = snippet_text.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        let snippet = {
            let file = self.codefile.bind(py).borrow();
            file.parse_text(&snippet_text).map_err(|e| to_py_err(py, e))?
        };
        if !module && !is_module_focus {
            self.check_focus(&snippet)?;
        }
        let deletions =
            if self.deletable && !module { Deletions::Only(vec![self.focus.clone()]) } else { Deletions::None };
        let events = {
            let mut file = self.codefile.bind(py).borrow_mut();
            file.associate_loaded_module(py);
            file.merge_tree(py, &snippet, Order::Original, deletions)?
        };
        lock(&self.state).last_patch = Some((source.to_string(), module));
        self.show_live_text(py)?;
        self.set_status(py, Status::Live, this);
        Ok(events)
    }

    /// Makes tracebacks and `inspect.getsource` show the live (patched) text.
    fn show_live_text(&self, py: Python<'_>) -> PyResult<()> {
        let file = self.codefile.bind(py).borrow();
        virtual_file(py, &file.filename_string(), &file.text_str()).map(drop)
    }

    fn forget_live_text(&self, py: Python<'_>) -> PyResult<()> {
        let filename = self.codefile.bind(py).borrow().filename_string();
        py.import("linecache")?.getattr("cache")?.call_method1("pop", (filename, py.None()))?;
        Ok(())
    }
}

#[pymethods]
impl Recoder {
    /// Replaces the focused definition with `source` (just the `def` or `class`,
    /// indented or not), in memory only.
    fn patch(this: &Bound<'_, Recoder>, source: &str) -> PyResult<Vec<Event>> {
        crate::boundary::guard_py(|| this.get().apply_patch(this, source, false))
    }

    /// Merges any module-level code (helpers, imports, constants) into the module,
    /// in memory only.
    fn patch_module(this: &Bound<'_, Recoder>, source: &str) -> PyResult<Vec<Event>> {
        crate::boundary::guard_py(|| this.get().apply_patch(this, source, true))
    }

    /// Applies the last patch again.
    fn repatch(this: &Bound<'_, Recoder>) -> PyResult<Vec<Event>> {
        let last = lock(&this.get().state).last_patch.clone();
        match last {
            Some((source, module)) => this.get().apply_patch(this, &source, module),
            None => Ok(Vec::new()),
        }
    }

    /// Writes the live code to the file (atomically), keeping every other byte.
    /// Refuses, leaving the file untouched, when the file changed under the patch.
    fn commit(this: &Bound<'_, Recoder>) -> PyResult<()> {
        let py = this.py();
        let recoder = this.get();
        if lock(&recoder.state).status == Status::OutOfSync {
            return Err(StaleException::new_err(format!(
                "{} changed on disk under the patch of {}; revert() or repatch() first",
                recoder.codefile.bind(py).borrow().filename_string(),
                recoder.focus
            )));
        }
        let text = {
            let mut file = recoder.codefile.bind(py).borrow_mut();
            file.commit_file(py)?;
            file.text_str()
        };
        lock(&recoder.state).baseline = text;
        recoder.forget_live_text(py)?;
        recoder.set_status(py, Status::Saved, this);
        Ok(())
    }

    /// Goes back to the file's contents as of the last commit (or creation).
    fn revert(this: &Bound<'_, Recoder>) -> PyResult<Vec<Event>> {
        let py = this.py();
        let recoder = this.get();
        let baseline = lock(&recoder.state).baseline.clone();
        let events = {
            let mut file = recoder.codefile.bind(py).borrow_mut();
            let tree = file.parse_text(&baseline).map_err(|e| to_py_err(py, e))?;
            file.merge_tree(py, &tree, Order::New, Deletions::All)?
        };
        recoder.forget_live_text(py)?;
        recoder.set_status(py, Status::Saved, this);
        Ok(events)
    }

    /// "saved", "live" (patched in memory) or "out-of-sync" (the file changed
    /// under a patch).
    #[getter]
    fn status(&self) -> &'static str {
        lock(&self.state).status.as_str()
    }

    /// Callbacks called with (recoder, status) when the status changes.
    #[getter]
    fn on_status(&self, py: Python<'_>) -> Py<EventSource> {
        self.on_status.clone_ref(py)
    }

    /// The dotted path of what this recoder changes.
    #[getter]
    fn focus(&self) -> String {
        self.focus.clone()
    }

    /// The CodeFile of the file.
    #[getter]
    pub fn codefile(&self, py: Python<'_>) -> Py<PyCodeFile> {
        self.codefile.clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("<jurigged.Recoder {} ({})>", self.focus, lock(&self.state).status.as_str())
    }
}

/// A recoder for a function, method, class or module; None when the object has
/// no Python source jurigged can track.
#[pyfunction]
#[pyo3(signature = (obj, deletable = false))]
pub fn make_recoder(py: Python<'_>, obj: &Bound<'_, PyAny>, deletable: bool) -> PyResult<Option<Py<Recoder>>> {
    let Some((codefile, focus)) = resolve(py, obj)? else { return Ok(None) };
    let baseline = codefile.bind(py).borrow().text_str();
    let recoder = Py::new(
        py,
        Recoder {
            codefile,
            focus,
            deletable,
            state: Mutex::new(State { status: Status::Saved, last_patch: None, baseline }),
            on_status: Py::new(py, EventSource::default())?,
        },
    )?;
    registry(py)?.get().add_recoder(py, &recoder);
    Ok(Some(recoder))
}

/// Registers `contents` in `linecache` under `name`, so that tracebacks and
/// `inspect.getsource` show it (`linecache.checkcache` leaves such entries
/// alone); returns `name`.
#[pyfunction]
pub fn virtual_file(py: Python<'_>, name: &str, contents: &str) -> PyResult<String> {
    let lines: Vec<String> = contents.split_inclusive('\n').map(str::to_string).collect();
    let entry = (contents.len(), py.None(), lines, name);
    py.import("linecache")?.getattr("cache")?.set_item(name, entry)?;
    Ok(name.to_string())
}
