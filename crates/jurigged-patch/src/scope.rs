//! Where a save's code runs: the live module and its classes, and what the save
//! itself has bound so far.
//!
//! Before anything live changes, every statement and definition of a save is run
//! in file order against a namespace that reads what the save bound earlier, then
//! the live scope, as CPython would read them in a fresh run of the file; what
//! each binds is kept aside until commit.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jurigged_deftree::{DefTree, Kind, Node};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::compile::{body_code, Context};
use crate::error::{Error, Result};

/// Names a class body sets on its own that must not be copied onto the class.
const CLASS_BODY_BOOKKEEPING: &[&str] = &[
    "__module__",
    "__qualname__",
    "__classcell__",
    "__firstlineno__",
    "__static_attributes__",
    "__dict__",
    "__weakref__",
    // 3.14: the cell of the class namespace for its annotations.
    "__classdictcell__",
];

/// The module (or bare namespace) a file's code lives in.
pub struct LiveModule<'py> {
    pub(crate) namespace: Bound<'py, PyDict>,
    pub(crate) module_name: String,
    pub(crate) filename: PathBuf,
}

impl<'py> LiveModule<'py> {
    /// A module namespace, the module's dotted name and the file it was loaded from.
    pub fn new(namespace: Bound<'py, PyDict>, module_name: &str, filename: &Path) -> PyResult<Self> {
        Ok(LiveModule { namespace, module_name: module_name.to_string(), filename: filename.to_path_buf() })
    }

    /// The module's namespace.
    pub fn namespace(&self) -> &Bound<'py, PyDict> {
        &self.namespace
    }

    /// A node's path relative to the module (`Class.method`).
    pub(crate) fn relative<'a>(&self, path: &'a str) -> &'a str {
        if path == self.module_name {
            return "";
        }
        match path.strip_prefix(&self.module_name) {
            Some(rest) if !self.module_name.is_empty() => rest.strip_prefix('.').unwrap_or(path),
            _ => path,
        }
    }

    pub(crate) fn python_error(&self, node: &Node, error: PyErr) -> Error {
        Error::Python { filename: self.filename.clone(), line: node.first_line(), path: node.path().to_string(), error }
    }

    /// The namespace a definition at `parent` (a dotted path) lives in.
    pub(crate) fn scope(&self, parent: &str, node: &Node) -> Result<Scope<'py>> {
        let relative = self.relative(parent);
        if relative.is_empty() {
            return Ok(Scope::Module);
        }
        let missing = || Error::Missing {
            filename: self.filename.clone(),
            line: node.first_line(),
            path: node.path().to_string(),
            what: format!("class {parent}"),
        };
        let mut parts = relative.split('.');
        let mut enclosing = parts.next().unwrap_or_default();
        let mut object = self.namespace.get_item(enclosing)?.ok_or_else(missing)?;
        for part in parts {
            // The class's own namespace, not getattr: no user code runs here.
            let class = object.cast::<PyType>().map_err(|_| missing())?;
            object = class_dict(class)?.get_item(mangle(enclosing, part))?.ok_or_else(missing)?;
            enclosing = part;
        }
        let class = object.cast_into::<PyType>().map_err(|_| missing())?;
        Ok(Scope::Class { class, path: relative.to_string() })
    }
}

/// Where a definition lives.
#[derive(Clone)]
pub(crate) enum Scope<'py> {
    Module,
    /// A class, with its path relative to the module (`Outer.Inner`).
    Class {
        class: Bound<'py, PyType>,
        path: String,
    },
}

/// The name under which a class body named `class_name` stores `name`: CPython
/// mangles private names (`__x` becomes `_Class__x`).
pub(crate) fn mangle(class_name: &str, name: &str) -> String {
    let class = class_name.trim_start_matches('_');
    if !name.starts_with("__") || name.ends_with("__") || name.contains('.') || class.is_empty() {
        return name.to_string();
    }
    format!("_{class}{name}")
}

impl Scope<'_> {
    /// The name under which this scope stores `name`.
    pub(crate) fn stored_name(&self, name: &str) -> String {
        match self {
            Scope::Module => name.to_string(),
            Scope::Class { path, .. } => mangle(path.rsplit('.').next().unwrap_or_default(), name),
        }
    }

    /// The names of the classes around code in this scope, outermost first.
    pub(crate) fn class_names(&self) -> Vec<&str> {
        match self {
            Scope::Module => Vec::new(),
            Scope::Class { path, .. } => path.split('.').collect(),
        }
    }

    /// The path prefix of code compiled in this scope, relative to the module.
    pub(crate) fn prefix(&self) -> &str {
        match self {
            Scope::Module => "",
            Scope::Class { path, .. } => path,
        }
    }
}

/// A copy of a class's own namespace, as a dict, read without running user code.
pub(crate) fn class_dict<'py>(class: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyDict>> {
    let py = class.py();
    let proxy = py.import("builtins")?.getattr("type")?.getattr("__dict__")?.get_item("__dict__")?;
    let mapping = proxy.call_method1("__get__", (class,))?;
    let namespace = PyDict::new(py);
    namespace.call_method1("update", (mapping,))?;
    Ok(namespace)
}

/// What a save has bound so far, scope by scope, before anything live changed.
pub(crate) struct Staged<'py> {
    py: Python<'py>,
    module: Bound<'py, PyDict>,
    classes: HashMap<String, Bound<'py, PyDict>>,
    chain_map: Bound<'py, PyAny>,
    exec: Bound<'py, PyAny>,
    /// What compiles of the new text share with a compile of the whole file.
    pub(crate) context: Context,
}

impl<'py> Staged<'py> {
    pub(crate) fn new(py: Python<'py>, new_tree: &DefTree) -> PyResult<Self> {
        Ok(Staged {
            py,
            module: PyDict::new(py),
            classes: HashMap::new(),
            chain_map: py.import("collections")?.getattr("ChainMap")?,
            exec: py.import("builtins")?.getattr("exec")?,
            context: Context::of(py, new_tree)?,
        })
    }

    /// Whether this save binds `name` at module level before the current step.
    pub(crate) fn binds_module_name(&self, name: &str) -> bool {
        self.module.contains(name).unwrap_or(false)
    }

    /// Runs `code` (compiled by `compile_node` for `scope`) against the live scope
    /// as the save has changed it so far; returns what it bound, in order, and
    /// stages it for the next steps. `hidden` are class attributes that the class
    /// body defines only further down, which a fresh run would not see yet.
    pub(crate) fn run(
        &mut self,
        live: &LiveModule<'py>,
        code: &Bound<'py, PyAny>,
        scope: &Scope<'py>,
        hidden: &[String],
    ) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let bound = self.evaluate(live, code, scope, hidden, None)?;
        let staged = match scope {
            Scope::Module => &self.module,
            Scope::Class { path, .. } => self.classes.entry(path.clone()).or_insert_with(|| PyDict::new(self.py)),
        };
        for (name, value) in &bound {
            staged.set_item(name, value)?;
        }
        Ok(bound)
    }

    /// Stages `value` as `name` in `scope` for the next steps: a class made
    /// again that the live one stands for (it keeps its identity).
    pub(crate) fn stage(&mut self, scope: &Scope<'py>, name: &str, value: &Bound<'py, PyAny>) -> PyResult<()> {
        let staged = match scope {
            Scope::Module => &self.module,
            Scope::Class { path, .. } => self.classes.entry(path.clone()).or_insert_with(|| PyDict::new(self.py)),
        };
        staged.set_item(name, value)
    }

    /// Like [`Staged::run`], without staging what it bound: to evaluate a new
    /// version of a function for its defaults and annotations. `extra` names are
    /// visible to the code too.
    pub(crate) fn evaluate(
        &self,
        live: &LiveModule<'py>,
        code: &Bound<'py, PyAny>,
        scope: &Scope<'py>,
        hidden: &[String],
        extra: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let new = PyDict::new(self.py);
        let mut layers: Vec<Bound<'py, PyAny>> = vec![new.clone().into_any()];
        layers.extend(extra.map(|e| e.clone().into_any()));
        if let Scope::Class { class, path } = scope {
            layers.extend(self.classes.get(path).map(|staged| staged.clone().into_any()));
            let visible = class_dict(class)?;
            for name in hidden {
                visible.del_item(name).ok();
            }
            layers.push(visible.into_any());
        }
        layers.push(self.module.clone().into_any());
        let locals = self.chain_map.call1(pyo3::types::PyTuple::new(self.py, layers)?)?;
        let body = body_code(code, scope.class_names().len())?;
        self.exec.call1((body, &live.namespace, locals))?;
        let mut bound = Vec::with_capacity(new.len());
        for (key, value) in new.iter() {
            let name: String = key.extract()?;
            if matches!(scope, Scope::Class { .. }) && CLASS_BODY_BOOKKEEPING.contains(&name.as_str()) {
                continue;
            }
            bound.push((name, value));
        }
        Ok(bound)
    }
}

/// The class attributes a fresh run of the class body would not have bound yet
/// when it reaches `node`: those that only later statements of the body define.
pub(crate) fn defined_later(new_tree: &DefTree, class_path: &str, node: &Node) -> Vec<String> {
    let Some(class) = new_tree.find(class_path).find(|c| c.kind() == Kind::Class) else { return Vec::new() };
    let at = node.span().start;
    let (before, after): (Vec<&Node>, Vec<&Node>) =
        class.children().iter().filter(|c| c.span().start != at).partition(|c| c.span().start < at);
    let earlier: Vec<String> = before.iter().filter_map(|c| bound_name(c)).collect();
    let mut later: Vec<String> =
        after.iter().filter_map(|c| bound_name(c)).filter(|name| !earlier.contains(name)).collect();
    // The name a definition binds is bound only once its decorators, defaults
    // and annotations have run: they read what stood before it (`def re(self)
    // -> re.Pattern` reads the module `re`, not the live class's `re`).
    if node.kind().is_definition() && !earlier.iter().any(|name| name == node.name()) {
        later.push(node.name().to_string());
    }
    later.sort();
    later.dedup();
    later
}

/// The name a class-body statement binds: a definition's, or the target of a
/// simple assignment (`name = ...`, `name: T = ...`).
pub(crate) fn bound_name(node: &Node) -> Option<String> {
    if node.kind().is_definition() {
        return Some(node.name().to_string());
    }
    let code = node.header_text().trim_start();
    let end = code.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    let (name, rest) = code.split_at(end);
    let rest = rest.trim_start();
    let assigns = (rest.starts_with('=') && !rest.starts_with("==")) || rest.starts_with(':');
    (assigns && !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| name.to_string())
}

/// Facts about the definitions of a save's new tree that the patcher asks for
/// each edit, found in one walk.
pub(crate) struct Definitions {
    /// Where the last definition of each name of each block starts, by block
    /// path and name.
    last: HashMap<(String, String), usize>,
    /// Paths that several definitions share (overload stubs and their
    /// implementation, a property's getter and setter).
    shared: std::collections::HashSet<String>,
}

impl Definitions {
    pub(crate) fn of(tree: &DefTree) -> Self {
        let mut facts = Definitions { last: HashMap::new(), shared: std::collections::HashSet::new() };
        let mut blocks = vec![tree.root()];
        while let Some(block) = blocks.pop() {
            for child in block.children().iter().filter(|c| c.kind().is_definition()) {
                let name = match block.kind() {
                    Kind::Class => mangle(block.name(), child.name()),
                    _ => child.name().to_string(),
                };
                let key = (block.path().to_string(), name);
                if facts.last.insert(key, child.span().start).is_some() {
                    facts.shared.insert(child.path().to_string());
                }
                if child.kind() == Kind::Class {
                    blocks.push(child);
                }
            }
        }
        facts
    }

    /// Whether a definition in the block `parent` binds `stored_name` (the name
    /// as stored, mangled in a class) after `offset`: what a statement or a
    /// definition there binds under that name is replaced by it (overload stubs
    /// before their implementation, a getter before its setter, a docstring
    /// before a `__doc__` property).
    pub(crate) fn defined_after(&self, parent: &str, stored_name: &str, offset: usize) -> bool {
        self.last.get(&(parent.to_string(), stored_name.to_string())).is_some_and(|last| *last > offset)
    }

    /// Whether the block `parent` defines `stored_name` at all.
    pub(crate) fn defines(&self, parent: &str, stored_name: &str) -> bool {
        self.last.contains_key(&(parent.to_string(), stored_name.to_string()))
    }

    /// Whether several definitions have `path`: only exact lookups find theirs.
    pub(crate) fn is_shared(&self, path: &str) -> bool {
        self.shared.contains(path)
    }
}
