//! `jurigged.codetools.Definition`: what `registry.find`, `registry.get_at` and
//! an operation's `defn` designate, handed out as the original jurigged does (a
//! `ModuleCode`, `ClassDefinition`, `FunctionDefinition` or `LineDefinition`, the
//! Python classes of `codetools.py` over this one), and `Extent`.
//!
//! A definition here is a description (file, dotted path, line), not a live tree
//! node: it stays valid, and compares equal to a newer description of the same
//! definition, whatever saves happen after it was made.

use jurigged_deftree::Kind;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

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
        let make = py.import("jurigged.codetools").and_then(|m| m.getattr("_definition"));
        match make {
            Ok(make) => {
                let made = make.call1((kind_word(kind), path, filename, lineno, text))?;
                Ok(made.cast_into::<Definition>()?.unbind())
            }
            Err(_) => Py::new(py, Definition { kind, path: path.to_string(), filename: filename.into(), lineno, text }),
        }
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

    /// The node of this definition in its file's live tree, if it is there,
    /// given to `read`: (module name, the node).
    fn with_live_node<R>(&self, read: impl FnOnce(&str, &jurigged_deftree::Node) -> R) -> Option<R> {
        let (module_name, tree) = crate::live_trees::live_tree(std::path::Path::new(&self.filename))?;
        let node = match self.kind {
            Kind::Module => Some(tree.root()),
            Kind::Class | Kind::Function => {
                tree.find(&self.path).find(|n| n.first_line() == self.lineno).or_else(|| tree.find(&self.path).next())
            }
            Kind::Line => tree.walk().find(|n| n.kind() == Kind::Line && n.first_line() == self.lineno),
        }?;
        Some(read(&module_name, node))
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
    #[new]
    #[pyo3(signature = (kind, path, filename, lineno, text = None))]
    fn new(kind: &str, path: String, filename: String, lineno: u32, text: Option<String>) -> PyResult<Definition> {
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
        Ok(Definition { kind, path, filename, lineno, text })
    }

    /// Where it stands in its file as it is live now (as the original's
    /// `stashed`); where it stood when this object was made if it is gone.
    #[getter]
    fn stashed(&self) -> Extent {
        let placed = self.with_live_node(|_, node| {
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
        let found = crate::live_trees::live_tree(std::path::Path::new(&self.filename)).map(|(module_name, tree)| {
            if parent == module_name {
                (Kind::Module, 1)
            } else {
                tree.find(&parent).next().map(|n| (n.kind(), n.first_line())).unwrap_or((Kind::Module, 1))
            }
        });
        let (kind, lineno) = found.unwrap_or((Kind::Module, 1));
        Definition::create(py, kind, &parent, &self.filename, lineno, None).map(Some)
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
    fn codestring(&self) -> Option<String> {
        // From where it starts on its first line (its column), the following
        // lines whole, as the original takes a definition's segment.
        let live = self.with_live_node(|_, node| match self.kind {
            Kind::Module => None,
            _ => Some(node.code_text().trim_start_matches([' ', '\t']).to_string()),
        });
        match (live, self.kind) {
            (Some(Some(text)), _) => Some(text),
            (_, Kind::Module) => {
                crate::live_trees::live_tree(std::path::Path::new(&self.filename)).map(|(_, tree)| tree.reconstruct())
            }
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
    Ok(())
}
