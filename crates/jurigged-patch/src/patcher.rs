//! Applying an [`EditScript`] to a live module, transactionally.
//!
//! `prepare` compiles every new code object, evaluates updated definitions in a
//! scratch namespace, checks every conform and finds the users of the old code
//! (one heap scan). Nothing live has changed yet: any failure leaves the program as
//! it was. `commit` then swaps every function's code in one stretch, removes
//! deleted names, and runs new definitions and statements in file order; an
//! exception there is reported and the rest still applies.

use std::path::{Path, PathBuf};

use jurigged_deftree::{DefTree, Kind, Node};
use jurigged_diff::{Edit, EditScript};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::compile::{compile, future_flags, padded_source, wrapper_body, Part, WRAPPER};
use crate::conform::{check_freevars, commit_swaps, find_users, nested_pairs, Swap};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::registry::{is_code, registry};

/// Names a class body sets on its own that must not be copied onto the class.
const CLASS_BODY_BOOKKEEPING: &[&str] = &[
    "__module__",
    "__qualname__",
    "__classcell__",
    "__firstlineno__",
    "__static_attributes__",
    "__dict__",
    "__weakref__",
];

/// The module (or bare namespace) a file's code lives in.
pub struct LiveModule<'py> {
    namespace: Bound<'py, PyDict>,
    module_name: String,
    filename: PathBuf,
    flags: i64,
}

impl<'py> LiveModule<'py> {
    /// A module namespace, the module's dotted name and the file it was loaded from.
    pub fn new(namespace: Bound<'py, PyDict>, module_name: &str, filename: &Path) -> PyResult<Self> {
        let flags = future_flags(namespace.py(), &namespace)?;
        Ok(LiveModule { namespace, module_name: module_name.to_string(), filename: filename.to_path_buf(), flags })
    }

    /// The module's namespace.
    pub fn namespace(&self) -> &Bound<'py, PyDict> {
        &self.namespace
    }

    /// A node's path relative to the module (`Class.method`).
    fn relative<'a>(&self, path: &'a str) -> &'a str {
        if path == self.module_name {
            return "";
        }
        match path.strip_prefix(&self.module_name) {
            Some(rest) if !self.module_name.is_empty() => rest.strip_prefix('.').unwrap_or(path),
            _ => path,
        }
    }

    fn python_error(&self, node: &Node, error: PyErr) -> Error {
        Error::Python { filename: self.filename.clone(), line: node.first_line(), path: node.path().to_string(), error }
    }

    fn event(&self, kind: EventKind, node: &Node) -> Event {
        let code = (kind == EventKind::Run).then(|| {
            let text = node.header_text().trim();
            let first = text.lines().next().unwrap_or_default().to_string();
            if text.contains('\n') {
                format!("{first} ...")
            } else {
                first
            }
        });
        let line = if kind == EventKind::Run { node.position().start.line } else { node.first_line() };
        Event { kind, path: node.path().to_string(), filename: self.filename.clone(), line, code, error: None }
    }

    /// The namespace a definition at `parent` (a dotted path) lives in.
    fn scope(&self, parent: &str, node: &Node) -> Result<Scope<'py>> {
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
        let first = parts.next().unwrap_or_default();
        let mut object = self.namespace.get_item(first)?.ok_or_else(missing)?;
        for part in parts {
            object = object.getattr(part).map_err(|_| missing())?;
        }
        let class = object.cast_into::<PyType>().map_err(|_| missing())?;
        Ok(Scope::Class(class))
    }

    /// Runs `code` in the module, or a wrapped class body in the class.
    fn execute(&self, code: &Bound<'py, PyAny>, scope: &Scope<'py>) -> PyResult<()> {
        let py = self.namespace.py();
        match scope {
            Scope::Module => {
                py.import("builtins")?.getattr("exec")?.call1((code, &self.namespace))?;
                Ok(())
            }
            Scope::Class(_) => {
                let bindings = self.evaluate(code, scope, &PyDict::new(py))?;
                bind(scope, &self.namespace, &bindings)
            }
        }
    }

    /// Runs a definition in a scratch namespace that sees its scope's names and
    /// `earlier` (what previous additions of the same save bound); returns the names
    /// it bound, without touching the live program.
    fn evaluate(
        &self,
        code: &Bound<'py, PyAny>,
        scope: &Scope<'py>,
        earlier: &Bound<'py, PyDict>,
    ) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
        let py = self.namespace.py();
        let exec = py.import("builtins")?.getattr("exec")?;
        let before = match scope {
            Scope::Module => PyDict::new(py),
            Scope::Class(class) => class_namespace(class)?,
        };
        before.update(earlier.as_mapping())?;
        let scratch = before.copy()?;
        match scope {
            Scope::Module => exec.call1((code, &self.namespace, &scratch))?,
            Scope::Class(_) => exec.call1((wrapper_body(code)?, &self.namespace, &scratch))?,
        };
        let mut bindings = Vec::new();
        for (key, value) in scratch.iter() {
            let name: String = key.extract()?;
            if CLASS_BODY_BOOKKEEPING.contains(&name.as_str()) {
                continue;
            }
            if before.get_item(&name)?.is_some_and(|old| old.is(&value)) {
                continue;
            }
            bindings.push((name, value));
        }
        Ok(bindings)
    }
}

/// Binds evaluated names in their live scope; in a class, also what the class
/// statement would have done: `__set_name__` and the `__class__` cell.
fn bind<'py>(
    scope: &Scope<'py>,
    module: &Bound<'py, PyDict>,
    bindings: &[(String, Bound<'py, PyAny>)],
) -> PyResult<()> {
    for (name, value) in bindings {
        match scope {
            Scope::Module => module.set_item(name, value)?,
            Scope::Class(class) => {
                class.setattr(name.as_str(), value)?;
                bind_class_cells(value, class)?;
                if value.get_type().hasattr("__set_name__")? {
                    value.call_method1("__set_name__", (class, name.as_str()))?;
                }
            }
        }
    }
    Ok(())
}

/// Where a definition lives.
enum Scope<'py> {
    Module,
    Class(Bound<'py, PyType>),
}

/// A copy of a class's namespace, as a dict.
fn class_namespace<'py>(class: &Bound<'py, PyType>) -> PyResult<Bound<'py, PyDict>> {
    let namespace = PyDict::new(class.py());
    for item in class.getattr("__dict__")?.call_method0("items")?.try_iter()? {
        let (key, value): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item?.extract()?;
        namespace.set_item(key, value)?;
    }
    Ok(namespace)
}

/// Functions defined in a wrapper class got a `__class__` cell for the wrapper,
/// left empty: point it at the real class so that `super()` works.
fn bind_class_cells(value: &Bound<'_, PyAny>, class: &Bound<'_, PyType>) -> PyResult<()> {
    let mut candidates = vec![value.clone()];
    for attribute in ["__func__", "fget", "fset", "fdel", "__wrapped__"] {
        if let Ok(inner) = value.getattr(attribute) {
            candidates.push(inner);
        }
    }
    for function in candidates {
        let (Ok(code), Ok(closure)) = (function.getattr("__code__"), function.getattr("__closure__")) else { continue };
        let Ok(cells) = closure.cast::<PyTuple>() else { continue };
        let names: Vec<String> = code.getattr("co_freevars")?.extract()?;
        if let Some(index) = names.iter().position(|n| n == "__class__") {
            cells.get_item(index)?.setattr("cell_contents", class)?;
        }
    }
    Ok(())
}

/// One operation ready to commit.
enum Step<'py> {
    /// Reported only: the code swaps were gathered in the common list.
    Swapped(Event),
    /// Definitions evaluated during prepare, to bind at commit.
    Bind {
        bindings: Vec<(String, Bound<'py, PyAny>)>,
        scope: Scope<'py>,
        code: Bound<'py, PyAny>,
        event: Event,
    },
    /// Statements (and definitions that need them) to run at commit.
    Execute {
        code: Bound<'py, PyAny>,
        scope: Scope<'py>,
        node: Node,
        event: Event,
    },
    Delete {
        scope: Scope<'py>,
        name: String,
        event: Event,
    },
}

/// Applies `script` (computed from the module's current tree to `new_tree`) to the
/// live module; returns one event per operation.
pub fn patch<'py>(live: &LiveModule<'py>, script: &EditScript, new_tree: &DefTree) -> Result<Vec<Event>> {
    let py = live.namespace.py();
    let mut swaps: Vec<Swap<'py>> = Vec::new();
    let mut steps = Vec::new();
    // Statements are compiled first: the names they bind tell which additions may
    // only be evaluated after them, at commit.
    let mut runs = Vec::new();
    let mut run_names = std::collections::HashSet::new();
    for edit in script.edits() {
        if let Edit::Run { parent, node } = edit {
            let step = prepare_execute(live, parent, node, EventKind::Run)?;
            if let Step::Execute { code, .. } = &step {
                run_names.extend(code.getattr("co_names")?.extract::<Vec<String>>()?);
            }
            runs.push(Some(step));
        }
    }
    let mut runs = runs.into_iter();
    let mut additions = Additions { earlier: PyDict::new(py), run_names };
    for edit in script.edits() {
        match edit {
            Edit::Update { old, new } => match prepare_update(live, old, new, &mut swaps) {
                Ok(()) => steps.push(Step::Swapped(live.event(EventKind::Update, new))),
                Err(Error::Conform { .. } | Error::Missing { .. }) => {
                    // Not updatable in place (or never executed): run it again.
                    steps.push(additions.prepare(live, parent_path(new.path()), new)?);
                }
                Err(other) => return Err(other),
            },
            // Moves are bookkeeping, not news: they are applied, not reported (a
            // line inserted at the top of a large file moves thousands).
            Edit::Shift { node, delta } => {
                prepare_shift(live, node, *delta, &mut swaps)?;
            }
            Edit::Add { parent, node } => steps.push(additions.prepare(live, parent, node)?),
            Edit::Run { .. } => steps.extend(runs.next().flatten()),
            Edit::Delete { parent, node } => {
                let redefined = new_tree.find(node.path()).next().is_some();
                if !redefined && node.kind() == Kind::Function {
                    // Wrappers that compiled their own code are told it is gone.
                    if let Some(code) =
                        registry().find(py, &live.filename, live.relative(node.path()), node.first_line())
                    {
                        swaps.push(Swap { old: code, new: None, evaluated: None });
                    }
                }
                if !redefined {
                    let scope = live.scope(parent, node)?;
                    let event = live.event(EventKind::Delete, node);
                    steps.push(Step::Delete { scope, name: node.name().to_string(), event });
                }
            }
            _ => {}
        }
    }
    let users = find_users(py, &swaps)?;

    // Commit: from here on the program changes.
    let mut events = Vec::with_capacity(steps.len());
    for error in commit_swaps(py, &swaps, &users)? {
        events.push(Event {
            kind: EventKind::Error,
            path: live.module_name.clone(),
            filename: live.filename.clone(),
            line: 0,
            code: None,
            error: Some(Error::Interpreter(error)),
        });
    }
    for step in steps {
        match step {
            Step::Swapped(event) => events.push(event),
            Step::Delete { scope, name, mut event } => {
                let result = match &scope {
                    Scope::Module => live.namespace.del_item(&name).or_else(ignore_key_error(py)),
                    Scope::Class(class) => class.delattr(name.as_str()).or_else(ignore_attribute_error(py)),
                };
                registry().forget(&live.filename, live.relative(&event.path));
                if let Err(error) = result {
                    event.kind = EventKind::Error;
                    event.error = Some(Error::Interpreter(error));
                }
                events.push(event);
            }
            Step::Bind { bindings, scope, code, mut event } => {
                match bind(&scope, &live.namespace, &bindings) {
                    Ok(()) => learn_compiled(&code, &scope, &scope_prefix(live, &scope, &event))?,
                    Err(error) => {
                        event.kind = EventKind::Error;
                        event.error = Some(Error::Interpreter(error));
                    }
                }
                events.push(event);
            }
            Step::Execute { code, scope, node, mut event } => {
                match live.execute(&code, &scope) {
                    Ok(()) => {
                        let prefix = match &scope {
                            Scope::Module => String::new(),
                            Scope::Class(_) => live.relative(parent_path(node.path())).to_string(),
                        };
                        learn_compiled(&code, &scope, &prefix)?;
                    }
                    Err(error) => {
                        event.kind = EventKind::Error;
                        event.error = Some(live.python_error(&node, error));
                    }
                }
                events.push(event);
            }
        }
    }
    Ok(events)
}

/// Prepares the definitions a save adds: each is evaluated in a scratch namespace
/// (decorators included), so that one that raises fails the save before anything
/// changed. One that needs a name a new statement of the same save binds is run
/// at commit instead, after that statement.
struct Additions<'py> {
    /// What earlier additions of the save bound, visible to the later ones.
    earlier: Bound<'py, PyDict>,
    run_names: std::collections::HashSet<String>,
}

impl<'py> Additions<'py> {
    fn prepare(&mut self, live: &LiveModule<'py>, parent: &str, node: &Node) -> Result<Step<'py>> {
        let py = live.namespace.py();
        let step = prepare_execute(live, parent, node, EventKind::Add)?;
        let Step::Execute { code, scope, node, event } = step else { return Ok(step) };
        let earlier = match &scope {
            Scope::Module => self.earlier.clone(),
            Scope::Class(_) => PyDict::new(py),
        };
        match live.evaluate(&code, &scope, &earlier) {
            Ok(bindings) => {
                if matches!(scope, Scope::Module) {
                    for (name, value) in &bindings {
                        self.earlier.set_item(name, value)?;
                    }
                }
                Ok(Step::Bind { bindings, scope, code, event })
            }
            Err(error) if self.needs_new_statement(py, &error) => Ok(Step::Execute { code, scope, node, event }),
            Err(error) => Err(live.python_error(&node, error)),
        }
    }

    fn needs_new_statement(&self, py: Python<'py>, error: &PyErr) -> bool {
        if !error.is_instance_of::<pyo3::exceptions::PyNameError>(py) {
            return false;
        }
        let name = error.value(py).getattr("name").ok().and_then(|n| n.extract::<String>().ok());
        match name {
            Some(name) => self.run_names.contains(&name),
            // Python < 3.10 does not say which name: trust the statements.
            None => !self.run_names.is_empty(),
        }
    }
}

/// The path prefix of code compiled in a scope, relative to the module.
fn scope_prefix(live: &LiveModule<'_>, scope: &Scope<'_>, event: &Event) -> String {
    match scope {
        Scope::Module => String::new(),
        Scope::Class(_) => live.relative(parent_path(&event.path)).to_string(),
    }
}

fn ignore_key_error(py: Python<'_>) -> impl FnOnce(PyErr) -> PyResult<()> + '_ {
    move |error| if error.is_instance_of::<pyo3::exceptions::PyKeyError>(py) { Ok(()) } else { Err(error) }
}

fn ignore_attribute_error(py: Python<'_>) -> impl FnOnce(PyErr) -> PyResult<()> + '_ {
    move |error| if error.is_instance_of::<pyo3::exceptions::PyAttributeError>(py) { Ok(()) } else { Err(error) }
}

/// The dotted path of the scope holding `path`.
fn parent_path(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(parent, _)| parent)
}

/// Records the code objects a compiled snippet defines, under `prefix`.
fn learn_compiled(code: &Bound<'_, PyAny>, scope: &Scope<'_>, prefix: &str) -> PyResult<()> {
    let container = match scope {
        Scope::Module => code.clone(),
        Scope::Class(_) => wrapper_body(code)?,
    };
    for constant in container.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        if is_code(&constant)? {
            let name: String = constant.getattr("co_name")?.extract()?;
            let path = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
            registry().add_code(&constant, &path)?;
        }
    }
    Ok(())
}

fn prepare_execute<'py>(live: &LiveModule<'py>, parent: &str, node: &Node, kind: EventKind) -> Result<Step<'py>> {
    let py = live.namespace.py();
    let scope = live.scope(parent, node)?;
    let in_class = matches!(scope, Scope::Class(_));
    let source = padded_source(node, Part::Whole, in_class);
    let code = compile(py, &source, &live.filename, live.flags).map_err(|e| live.python_error(node, e))?;
    Ok(Step::Execute { code, scope, node: node.clone(), event: live.event(kind, node) })
}

/// Compiles and evaluates the new definition without its decorators, and lines up
/// the swaps of its code and of the closures nested in it.
fn prepare_update<'py>(live: &LiveModule<'py>, old: &Node, new: &Node, swaps: &mut Vec<Swap<'py>>) -> Result<()> {
    let py = live.namespace.py();
    let relative = live.relative(old.path());
    let old_code = match registry().find(py, &live.filename, relative, old.first_line()) {
        Some(code) => code,
        None => {
            registry().learn_namespace(&live.namespace, &live.filename)?;
            if registry().find(py, &live.filename, relative, old.first_line()).is_none() {
                // Hidden from the namespace (say, kept only by a wrapper object):
                // look at every function alive, once.
                registry().learn_from_heap(py, &live.filename)?;
            }
            registry().find(py, &live.filename, relative, old.first_line()).ok_or_else(|| Error::Missing {
                filename: live.filename.clone(),
                line: new.first_line(),
                path: new.path().to_string(),
                what: "its code".to_string(),
            })?
        }
    };
    let scope = live.scope(parent_path(new.path()), new)?;
    let in_class = matches!(scope, Scope::Class(_));
    let source = padded_source(new, Part::WithoutDecorators, in_class);
    let code = compile(py, &source, &live.filename, live.flags).map_err(|e| live.python_error(new, e))?;
    let exec = py.import("builtins")?.getattr("exec")?;
    let scratch = match &scope {
        Scope::Module => {
            let scratch = PyDict::new(py);
            exec.call1((&code, &live.namespace, &scratch)).map_err(|e| live.python_error(new, e))?;
            scratch
        }
        Scope::Class(class) => {
            // Defaults and annotations see the class's names, as in its body.
            let scratch = class_namespace(class)?;
            exec.call1((wrapper_body(&code)?, &live.namespace, &scratch)).map_err(|e| live.python_error(new, e))?;
            scratch
        }
    };
    let evaluated = scratch.get_item(new.name())?.ok_or_else(|| {
        live.python_error(new, pyo3::exceptions::PyRuntimeError::new_err("the definition did not bind its name"))
    })?;
    let mut new_code = evaluated.getattr("__code__")?;
    if in_class {
        let qualname = match old_code.getattr("co_qualname") {
            Ok(name) => Some(name.extract::<String>()?),
            Err(_) => None,
        };
        if let Some(qualname) = qualname {
            let real_prefix = qualname.strip_suffix(new.name()).unwrap_or_default().trim_end_matches('.').to_string();
            new_code = requalify(&new_code, &real_prefix)?;
        }
    }
    check_freevars(&old_code, &new_code, new.path())?;
    nested_pairs(&old_code, &new_code, swaps)?;
    swaps.push(Swap { old: old_code, new: Some(new_code), evaluated: Some(evaluated) });
    Ok(())
}

/// Gives code compiled inside the wrapper class the qualified names it has in the
/// real class (Python 3.11+ keeps them in the code object).
fn requalify<'py>(code: &Bound<'py, PyAny>, real_prefix: &str) -> PyResult<Bound<'py, PyAny>> {
    let qualname: String = code.getattr("co_qualname")?.extract()?;
    let qualname = match qualname.strip_prefix(WRAPPER) {
        Some(rest) => format!("{real_prefix}{rest}"),
        None => qualname,
    };
    rebuilt(code, &|nested| requalify(nested, real_prefix), "co_qualname", qualname)
}

/// A code object (and the code nested in it) moved by `delta` lines.
fn shifted<'py>(code: &Bound<'py, PyAny>, delta: i64) -> PyResult<Bound<'py, PyAny>> {
    let first_line: i64 = code.getattr("co_firstlineno")?.extract()?;
    rebuilt(code, &|nested| shifted(nested, delta), "co_firstlineno", (first_line + delta).max(1))
}

/// `code.replace(...)` with `field` set to `value` and each nested code object
/// passed through `nested`.
fn rebuilt<'py, V: IntoPyObject<'py>>(
    code: &Bound<'py, PyAny>,
    nested: &dyn Fn(&Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>,
    field: &str,
    value: V,
) -> PyResult<Bound<'py, PyAny>> {
    let py = code.py();
    let mut constants = Vec::new();
    for constant in code.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        constants.push(if is_code(&constant)? { nested(&constant)? } else { constant });
    }
    let changes = PyDict::new(py);
    changes.set_item("co_consts", PyTuple::new(py, constants)?)?;
    changes.set_item(field, value)?;
    code.call_method("replace", (), Some(&changes))
}

/// Lines up the swaps that move a function's (or a line's) code; false when no
/// live code was found for it.
fn prepare_shift<'py>(live: &LiveModule<'py>, node: &Node, delta: i64, swaps: &mut Vec<Swap<'py>>) -> Result<bool> {
    let mut codes = shifted_codes(live, node, delta);
    if codes.is_empty() {
        // Nothing known yet about this code: learn what the module holds.
        registry().learn_namespace(&live.namespace, &live.filename)?;
        codes = shifted_codes(live, node, delta);
    }
    for (_, old_code) in &codes {
        let new_code = shifted(old_code, delta)?;
        nested_pairs(old_code, &new_code, swaps)?;
        swaps.push(Swap { old: old_code.clone(), new: Some(new_code), evaluated: None });
    }
    Ok(!codes.is_empty())
}

/// The live code objects of a moved node (its outermost ones, for a line).
fn shifted_codes<'py>(live: &LiveModule<'py>, node: &Node, delta: i64) -> Vec<(String, Bound<'py, PyAny>)> {
    let py = live.namespace.py();
    let old_first = (node.first_line() as i64 - delta).max(1) as u32;
    match node.kind() {
        Kind::Line => {
            let position = node.position().shifted(-delta);
            let mut outermost: Vec<(String, Bound<'py, PyAny>)> = Vec::new();
            for (path, code) in registry().in_lines(py, &live.filename, position.start.line..=position.end.line) {
                if !outermost.iter().any(|(outer, _)| path.starts_with(&format!("{outer}."))) {
                    outermost.push((path, code));
                }
            }
            outermost
        }
        _ => {
            let relative = live.relative(node.path()).to_string();
            registry().find(py, &live.filename, &relative, old_first).map(|code| (relative, code)).into_iter().collect()
        }
    }
}
