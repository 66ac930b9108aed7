//! `jurigged.codetools.Definition` and its kinds: what `registry.find`,
//! `registry.get_at` and an operation's `defn` designate, as the original jurigged
//! hands them out (a `ModuleCode`, `ClassDefinition`, `FunctionDefinition` or
//! `LineDefinition`).
//!
//! A definition here is a description (file, dotted path, line), not a live tree
//! node: it stays valid, and compares equal to a newer description of the same
//! definition, whatever saves happen after it was made.

use jurigged_deftree::Kind;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// A module, class, function or statement of a source file.
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

/// The whole module of a file.
#[pyclass(module = "jurigged.codetools", extends = Definition, frozen)]
pub struct ModuleCode;

/// A `class` statement.
#[pyclass(module = "jurigged.codetools", extends = Definition, frozen)]
pub struct ClassDefinition;

/// A `def` or `async def` statement.
#[pyclass(module = "jurigged.codetools", extends = Definition, frozen)]
pub struct FunctionDefinition;

/// Any other statement.
#[pyclass(module = "jurigged.codetools", extends = Definition, frozen)]
pub struct LineDefinition;

impl Definition {
    /// A definition object of the class that matches `kind`.
    pub fn create(
        py: Python<'_>,
        kind: Kind,
        path: &str,
        filename: &str,
        lineno: u32,
        text: Option<String>,
    ) -> PyResult<Py<Definition>> {
        let base = PyClassInitializer::from(Definition {
            kind,
            path: path.to_string(),
            filename: filename.into(),
            lineno,
            text,
        });
        let object = match kind {
            Kind::Module => Py::new(py, base.add_subclass(ModuleCode))?.into_any(),
            Kind::Class => Py::new(py, base.add_subclass(ClassDefinition))?.into_any(),
            Kind::Function => Py::new(py, base.add_subclass(FunctionDefinition))?.into_any(),
            Kind::Line => Py::new(py, base.add_subclass(LineDefinition))?.into_any(),
        };
        Ok(object.cast_bound::<Definition>(py)?.clone().unbind())
    }

    /// The dotted path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The dotted path as Python sees it (a statement: its scope's, then `<line>`).
    fn dotted(&self) -> String {
        match self.kind {
            Kind::Line => format!("{}.<line>", self.path),
            _ => self.path.clone(),
        }
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl Definition {
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

/// Registers the definition classes on the native module.
pub fn add_classes(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Definition>()?;
    module.add_class::<ModuleCode>()?;
    module.add_class::<ClassDefinition>()?;
    module.add_class::<FunctionDefinition>()?;
    module.add_class::<LineDefinition>()?;
    Ok(())
}
