//! `jurigged.codetools.Definition`: what `registry.find`, `registry.get_at` and
//! an operation's `defn` designate, handed out as the original jurigged does (a
//! `ModuleCode`, `ClassDefinition`, `FunctionDefinition` or `LineDefinition`, the
//! Python classes of `codetools.py` over this one), and `Extent`.
//!
//! A definition here is a description (file, dotted path, line), not a live tree
//! node: it stays valid, and compares equal to a newer description of the same
//! definition, whatever saves happen after it was made. What it says of its
//! place (extent, text, parent, children) is read from the live tree of its file
//! (of the `CodeFile` it was read from, for a `CodeFile` the registry does not
//! track) at each read, so it follows saves; what a live tree keeps whole
//! (function bodies) is read from the file's whole tree (`whole_trees`).

use std::path::Path;
use std::sync::Arc;

use jurigged_deftree::{DefTree, Kind, Node};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::whole_trees::whole_tree;

/// A module, class, function or statement of a source file: the base of the
/// definition classes of `jurigged.codetools` (`ModuleCode`, `ClassDefinition`,
/// `FunctionDefinition`, `LineDefinition`), which are Python classes so that
/// clients can subclass them and replace them in `jurigged.codetools`, as they
/// do the original's.
#[pyclass(module = "jurigged.codetools", frozen, subclass)]
pub struct Definition {
    kind: Kind,
    /// Dotted path: of the definition, or of the scope holding a statement.
    path: String,
    filename: String,
    lineno: u32,
    /// A statement's source text.
    text: Option<String>,
    /// A weak reference to the `CodeFile` it was read from, when that one is
    /// not the registry's (whose tree `live_trees` has): its tree is read.
    source: Option<Py<PyAny>>,
}

/// A tree as Python holds it: the live text of a file at one moment, equal only
/// to itself (the tree is alive while this is, so its address is its own). The
/// `.node` of definitions parses the text once per tree (`codetools.py`).
#[pyclass(module = "jurigged.codetools", frozen)]
pub struct SourceTree {
    tree: Arc<DefTree>,
}

impl SourceTree {
    /// Holds `tree`.
    pub fn new(tree: Arc<DefTree>) -> SourceTree {
        SourceTree { tree }
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl SourceTree {
    /// The text of the file, as the tree holds it.
    #[getter]
    fn text(&self) -> String {
        self.tree.reconstruct()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<SourceTree>().is_ok_and(|other| Arc::ptr_eq(&other.get().tree, &self.tree))
    }

    fn __hash__(&self) -> isize {
        Arc::as_ptr(&self.tree) as isize
    }
}

/// The classes and functions at `path` under `node`, searched down the
/// definitions whose path leads to it only; the insides of functions left out
/// unless `into_functions` (a live tree holds a function body as one line,
/// which describes no statement).
fn definitions_at<'t>(node: &'t Node, path: &str, into_functions: bool, found: &mut Vec<&'t Node>) {
    for child in node.children().iter().filter(|c| c.kind().is_definition()) {
        if child.path() == path {
            found.push(child);
        } else if path.strip_prefix(child.path()).is_some_and(|rest| rest.starts_with('.'))
            && (into_functions || child.kind() != Kind::Function)
        {
            definitions_at(child, path, into_functions, found);
        }
    }
}

/// The statement under `node` whose first line is `line`, searched down the
/// definitions that span that line only (the insides of functions left out
/// unless `into_functions`).
fn statement_at(node: &Node, line: u32, into_functions: bool) -> Option<&Node> {
    for child in node.children() {
        let first = child.first_line();
        if first > line {
            break;
        }
        if child.kind() == Kind::Line && first == line {
            return Some(child);
        }
        let spans = child.kind().is_definition() && line <= child.position().end.line;
        if spans && (into_functions || child.kind() != Kind::Function) {
            if let Some(found) = statement_at(child, line, into_functions) {
                return Some(found);
            }
        }
    }
    None
}

/// The kind and first line of the first class or function at `path` in
/// `tree` (the insides of functions searched only if `into_functions`).
fn definition_place(tree: &DefTree, path: &str, into_functions: bool) -> Option<(Kind, u32)> {
    let mut found = Vec::new();
    definitions_at(tree.root(), path, into_functions, &mut found);
    found.first().map(|n| (n.kind(), n.first_line()))
}

/// The word for a kind in `Definition(kind, ...)`.
fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Module => "module",
        Kind::Class => "class",
        Kind::Function => "function",
        Kind::Line => "line",
    }
}

impl Definition {
    /// A definition object of the `jurigged.codetools` class that matches `kind`
    /// now (a client that replaced it there with a subclass gets its own), the
    /// one handed out already for the same place if it is still alive (by
    /// `codetools._definition`); a bare `Definition` where that module cannot
    /// be imported.
    pub fn create(
        py: Python<'_>,
        kind: Kind,
        path: &str,
        filename: &str,
        lineno: u32,
        text: Option<String>,
    ) -> PyResult<Py<Definition>> {
        Definition::create_in(py, kind, path, filename, lineno, text, None)
    }

    /// [`Definition::create`] for a definition read from the `CodeFile` that
    /// `source` (a weak reference) leads to, when it is not the registry's.
    pub fn create_in(
        py: Python<'_>,
        kind: Kind,
        path: &str,
        filename: &str,
        lineno: u32,
        text: Option<String>,
        source: Option<Py<PyAny>>,
    ) -> PyResult<Py<Definition>> {
        let make = py.import("jurigged.codetools").and_then(|m| m.getattr("_definition"));
        match make {
            Ok(make) => {
                let made = make.call1((kind_word(kind), path, filename, lineno, text, source))?;
                Ok(made.cast_into::<Definition>()?.unbind())
            }
            Err(_) => Py::new(
                py,
                Definition { kind, path: path.to_string(), filename: filename.into(), lineno, text, source },
            ),
        }
    }

    /// A definition for `node`, a node of the same tree as this one.
    fn describe(&self, py: Python<'_>, node: &Node) -> PyResult<Py<Definition>> {
        // A statement's text is its own code, as the original's; one line long,
        // it is what an event's definition has, and so is the same object.
        let text = (node.kind() == Kind::Line).then(|| node.header_text().trim().to_string());
        let source = self.source.as_ref().map(|s| s.clone_ref(py));
        Definition::create_in(py, node.kind(), node.path(), &self.filename, node.first_line(), text, source)
    }

    /// The dotted path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether it is a module, a class, a function or a statement.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The file, as given.
    pub fn file(&self) -> &str {
        &self.filename
    }

    /// Its first line (its first decorator's).
    pub fn first_line(&self) -> u32 {
        self.lineno
    }

    /// A statement's source text.
    pub fn statement_text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The live tree this definition is read from: that of the `CodeFile` it
    /// came from, while that one lives; else the watched file's.
    fn live(&self, py: Python<'_>) -> Option<Arc<DefTree>> {
        if let Some(codefile) = self.codefile(py) {
            // A native method of our own CodeFile: no code of the program runs.
            let tree = codefile.call_method0("_live_tree").ok()?;
            return Some(tree.cast::<SourceTree>().ok()?.get().tree.clone());
        }
        crate::live_trees::live_tree(Path::new(&self.filename)).map(|(_, tree)| tree)
    }

    /// The `CodeFile` this definition was read from, if it is not the
    /// registry's and still lives.
    fn codefile<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        // Calling a weak reference runs no code of the program.
        self.source.as_ref().and_then(|source| source.bind(py).call0().ok()).filter(|c| !c.is_none())
    }

    /// This definition's node in `tree`, if it is there (the insides of
    /// functions searched only if `into_functions`).
    fn find_in<'t>(&self, tree: &'t DefTree, into_functions: bool) -> Option<&'t Node> {
        match self.kind {
            Kind::Module => Some(tree.root()),
            Kind::Class | Kind::Function => {
                let mut at_path = Vec::new();
                definitions_at(tree.root(), &self.path, into_functions, &mut at_path);
                at_path.iter().find(|n| n.first_line() == self.lineno).or(at_path.first()).copied()
            }
            Kind::Line => statement_at(tree.root(), self.lineno, into_functions),
        }
    }

    /// The node of this definition in its file's live tree, if it is there
    /// (outside function bodies), else in its whole tree, given to `read`.
    fn with_live_node<R>(&self, py: Python<'_>, read: impl FnOnce(&Node) -> R) -> Option<R> {
        let live = self.live(py)?;
        if let Some(node) = self.find_in(&live, false) {
            return Some(read(node));
        }
        // One gone from the module or a class (a deletion a logger reads) is
        // gone from the whole tree too: no parse for it.
        if !self.inside_a_function(&live) {
            return None;
        }
        let whole = whole_tree(py, &live)?;
        self.find_in(&whole, true).map(read)
    }

    /// Whether this definition can only stand in a function body, which a live
    /// tree keeps whole: its scope is neither the module nor a class of `live`.
    fn inside_a_function(&self, live: &DefTree) -> bool {
        let Some(scope) = self.parent_path() else { return false };
        scope != live.module_name() && definition_place(live, &scope, false).is_none_or(|(kind, _)| kind != Kind::Class)
    }

    /// The dotted path of the scope that holds this definition, and whether it
    /// is the module; None for a module.
    fn parent_path(&self) -> Option<String> {
        match self.kind {
            Kind::Module => None,
            Kind::Line => Some(self.path.clone()),
            Kind::Class | Kind::Function => self.path.rsplit_once('.').map(|(parent, _)| parent.to_string()),
        }
    }

    /// The dotted path as Python sees it (a statement: its scope's, then `<line>`).
    fn dotted(&self) -> String {
        match self.kind {
            Kind::Line => format!("{}.<line>", self.path),
            _ => self.path.clone(),
        }
    }
}

/// Where a definition stands in its file: lines (1-based) and columns (0-based),
/// as the original's `Extent`.
#[pyclass(module = "jurigged.codetools", get_all, set_all)]
pub struct Extent {
    lineno: u32,
    col_offset: u32,
    end_lineno: u32,
    end_col_offset: u32,
    filename: Option<String>,
    content: Option<String>,
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Extent {
    #[new]
    #[pyo3(signature = (lineno, col_offset, end_lineno, end_col_offset, filename = None, content = None))]
    fn new(
        lineno: u32,
        col_offset: u32,
        end_lineno: u32,
        end_col_offset: u32,
        filename: Option<String>,
        content: Option<String>,
    ) -> Extent {
        Extent { lineno, col_offset, end_lineno, end_col_offset, filename, content }
    }

    fn __repr__(&self) -> String {
        format!(
            "Extent(lineno={}, col_offset={}, end_lineno={}, end_col_offset={}, filename={:?})",
            self.lineno, self.col_offset, self.end_lineno, self.end_col_offset, self.filename
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Extent>().is_ok_and(|other| {
            let other = other.borrow();
            (other.lineno, other.col_offset, other.end_lineno, other.end_col_offset)
                == (self.lineno, self.col_offset, self.end_lineno, self.end_col_offset)
        })
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Definition {
    /// `Definition(kind, path, filename, lineno, text=None)`: what jurigged makes
    /// (kind is "module", "class", "function" or "line"); the classes of
    /// `jurigged.codetools` take the same arguments.
    ///
    /// `source`: a weak reference to the `CodeFile` it is read from, when that
    /// is not the registry's (as `CodeFile.root` makes them).
    #[new]
    #[pyo3(signature = (kind, path, filename, lineno, text = None, source = None))]
    fn new(
        kind: &str,
        path: String,
        filename: String,
        lineno: u32,
        text: Option<String>,
        source: Option<Py<PyAny>>,
    ) -> PyResult<Definition> {
        let kind = match kind {
            "module" => Kind::Module,
            "class" => Kind::Class,
            "function" => Kind::Function,
            "line" => Kind::Line,
            other => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "a definition is a module, class, function or line, not {other:?}"
                )))
            }
        };
        Ok(Definition { kind, path, filename, lineno, text, source })
    }

    /// The definitions directly inside it (a module's statements, a class's or
    /// a function's body), as its file is live now; none for a statement.
    fn _children(&self, py: Python<'_>) -> PyResult<Vec<Py<Definition>>> {
        if self.kind == Kind::Line {
            return Ok(Vec::new());
        }
        // Read from the whole tree: a live tree holds a function body as one
        // piece.
        let Some(whole) = self.live(py).and_then(|live| whole_tree(py, &live)) else { return Ok(Vec::new()) };
        let Some(node) = self.find_in(&whole, true) else { return Ok(Vec::new()) };
        node.children().iter().map(|child| self.describe(py, child)).collect()
    }

    /// Where its statement starts in the live file (after the decorators),
    /// as `ast` places it: (line, column), or None when it is gone.
    fn _statement_start(&self, py: Python<'_>) -> Option<(u32, u32)> {
        self.with_live_node(py, |node| {
            let start = node.position().start;
            (start.line, start.column)
        })
    }

    /// The live text of its file now, as a [`SourceTree`] (equal to the one of
    /// an earlier read while no change happened since).
    fn _live_source(&self, py: Python<'_>) -> Option<SourceTree> {
        self.live(py).map(SourceTree::new)
    }

    /// The `CodeFile` it was read from (`CodeFile.root` of a CodeFile the
    /// registry does not track), while it lives; else None.
    fn _codefile<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        self.codefile(py)
    }

    /// The code object of a function, from the code registry (by its place:
    /// a nested function's, a decorated one's hidden by its wrapper, a
    /// property's accessors apart); what is alive in `namespace` is learned
    /// first if the registry knows nothing of the file. None for anything else.
    #[pyo3(signature = (namespace = None))]
    fn _code<'py>(
        &self,
        py: Python<'py>,
        namespace: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.kind != Kind::Function {
            return Ok(None);
        }
        let Some(live) = self.live(py) else { return Ok(None) };
        let first_line = self.with_live_node(py, Node::first_line).unwrap_or(self.lineno);
        let module_prefix = format!("{}.", live.module_name());
        let relative = self.path.strip_prefix(&module_prefix).unwrap_or(&self.path);
        let filename = Path::new(&self.filename);
        let registry = jurigged_patch::code_registry::code_registry();
        let found = registry.find_all_at(py, filename, relative, first_line, true).into_iter().next();
        match (found, namespace) {
            (Some(code), _) => Ok(Some(code)),
            // Learned once: the registry then follows the file's changes.
            (None, Some(namespace)) if !registry.knows(filename) => {
                registry.learn_namespace(namespace, filename)?;
                Ok(registry.find_all_at(py, filename, relative, first_line, true).into_iter().next())
            }
            (None, _) => Ok(None),
        }
    }

    /// Where it stands in its file as it is live now (as the original's
    /// `stashed`); where it stood when this object was made if it is gone.
    #[getter]
    fn stashed(&self, py: Python<'_>) -> Extent {
        let placed = self.with_live_node(py, |node| {
            let position = node.position();
            let start = node.decorator_location().unwrap_or(position.start);
            (start.line, start.column, position.end.line, position.end.column)
        });
        let (lineno, col_offset, end_lineno, end_col_offset) = placed.unwrap_or((self.lineno, 0, self.lineno, 0));
        Extent { lineno, col_offset, end_lineno, end_col_offset, filename: Some(self.filename.clone()), content: None }
    }

    /// The definition that holds it (the module, a class, a function); None
    /// for a module.
    #[getter]
    fn parent(&self, py: Python<'_>) -> PyResult<Option<Py<Definition>>> {
        let Some(parent) = self.parent_path() else { return Ok(None) };
        let found = self.live(py).map(|live| {
            if parent == live.module_name() {
                (Kind::Module, 1)
            } else {
                // A function nested in a function has its parent in the whole
                // tree only.
                definition_place(&live, &parent, false)
                    .or_else(|| whole_tree(py, &live).and_then(|whole| definition_place(&whole, &parent, true)))
                    .unwrap_or((Kind::Module, 1))
            }
        });
        let (kind, lineno) = found.unwrap_or((Kind::Module, 1));
        let source = self.source.as_ref().map(|s| s.clone_ref(py));
        Definition::create_in(py, kind, &parent, &self.filename, lineno, None, source).map(Some)
    }

    /// This definition, then its parent, its parent's parent, up to the module
    /// (the first `skip` left out).
    #[pyo3(signature = (skip = 0))]
    fn hierarchy(slf: &Bound<'_, Self>, skip: usize) -> PyResult<Vec<Py<PyAny>>> {
        let py = slf.py();
        let mut chain = vec![slf.clone().into_any().unbind()];
        let mut current = slf.get().parent(py)?;
        while let Some(parent) = current {
            current = parent.get().parent(py)?;
            chain.push(parent.into_any());
        }
        Ok(chain.into_iter().skip(skip).collect())
    }

    /// Its source text as it is live now (a statement: as it was when this
    /// object was made, if it is gone).
    #[getter]
    fn codestring(&self, py: Python<'_>) -> Option<String> {
        // From where it starts on its first line (its column), the following
        // lines whole, as the original takes a definition's segment.
        let live = self.with_live_node(py, |node| match self.kind {
            Kind::Module => None,
            _ => Some(node.code_text().trim_start_matches([' ', '\t']).to_string()),
        });
        match (live, self.kind) {
            (Some(Some(text)), _) => Some(text),
            (_, Kind::Module) => self.live(py).map(|tree| tree.reconstruct()),
            _ => self.text.clone(),
        }
    }

    /// The name defined (None for a statement; the module's name for a module).
    #[getter]
    fn name(&self) -> Option<String> {
        match self.kind {
            Kind::Line => None,
            Kind::Module => Some(self.path.clone()),
            Kind::Class | Kind::Function => Some(self.path.rsplit('.').next().unwrap_or_default().to_string()),
        }
    }

    /// The dotted path, `pkg.mod.Class.method` (a statement: its scope's, then
    /// `<line>`, as the original writes it).
    fn dotpath(&self) -> String {
        self.dotted()
    }

    /// The file that holds it.
    #[getter]
    fn filename(&self) -> String {
        self.filename.clone()
    }

    /// Its first line (a decorated definition: the first decorator's), in the
    /// file as it was when this object was made.
    #[getter]
    fn lineno(&self) -> u32 {
        self.lineno
    }

    /// A statement's source text; None for a definition.
    #[getter]
    fn text(&self) -> Option<String> {
        self.text.clone()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Definition>() {
            Ok(other) => {
                let other = other.get();
                other.kind == self.kind && other.path == self.path && other.filename == self.filename
            }
            Err(_) => false,
        }
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        PyTuple::new(py, [self.path.as_str(), self.filename.as_str()])?.hash()
    }

    fn __str__(&self) -> String {
        self.dotted()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let class = slf.get_type().name()?;
        let this = slf.get();
        Ok(format!("<{class} {} @L{}>", this.dotted(), this.lineno))
    }
}

/// Registers the definition base class and `Extent` on the native module.
pub fn add_classes(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Definition>()?;
    module.add_class::<Extent>()?;
    module.add_class::<SourceTree>()?;
    Ok(())
}
