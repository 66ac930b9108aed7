//! Class decorators applied again when a save changes a decorated class's body:
//! a `@dataclass` whose field default changed makes new instances with the new
//! default.
//!
//! A decorator cannot be re-run on the live class itself (`dataclass` never
//! replaces an `__init__` the class already has), nor may the class be replaced
//! (existing instances and subclasses hold it). So the class statement runs again
//! without its decorators, making a fresh class; its decorators are applied to
//! it; and what they added or replaced is moved onto the live class.

use jurigged_deftree::Node;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::compile::{compile_node, Part, FRESH_CLASS};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::scope::{class_dict, LiveModule, Scope, Staged};

/// What re-applying a class's decorators changes on the live class.
pub(crate) struct ClassRedecoration<'py> {
    pub(crate) live_class: Bound<'py, PyType>,
    path: String,
    line: u32,
    /// Attributes the decorators set, with their new values.
    set: Vec<(String, Bound<'py, PyAny>)>,
    /// Attributes the decorators removed.
    removed: Vec<String>,
    /// Why the decorators could not be moved over, if they could not.
    problem: Option<String>,
    /// The class the decorators returned instead of the fresh one (`@attrs.define`,
    /// `@dataclass(slots=True)`): it replaces the live class, whose instances
    /// follow it.
    pub(crate) new_class: Option<Bound<'py, PyType>>,
    /// With `new_class`: what the class body bound that the decorators turned
    /// into something else or took away (attrs' field definitions), by name.
    pub(crate) taken_away: Vec<(String, Bound<'py, PyAny>)>,
    /// The class the statement made again, decorated: its fields (dataclass,
    /// attrs) are those the live instances should have.
    pub(crate) fresh: Bound<'py, PyType>,
}

impl<'py> ClassRedecoration<'py> {
    /// Runs the class statement of `node` (without decorators) and its
    /// decorators on the result, against the save's staged scope. Nothing live
    /// changes. None when the live class is not there (the save creates it).
    pub(crate) fn prepare(
        live: &LiveModule<'py>,
        staged: &Staged<'py>,
        node: &Node,
        scope: &Scope<'py>,
    ) -> Result<Option<Self>> {
        let py = live.namespace.py();
        let holder = match scope {
            Scope::Module => live.namespace.clone(),
            Scope::Class { class, .. } => class_dict(class)?,
        };
        let Some(live_class) = holder.get_item(node.name())?.and_then(|c| c.cast_into::<PyType>().ok()) else {
            return Ok(None);
        };
        let classes = scope.class_names();
        let fail = |error: PyErr| live.python_error(node, error);
        let bare =
            compile_node(py, node, Part::WithoutDecorators, &classes, &live.filename, &staged.context).map_err(fail)?;
        let fresh = staged
            .evaluate(live, &bare, scope, &[], None)
            .map_err(fail)?
            .into_iter()
            .find(|(name, _)| name == node.name())
            .map(|(_, value)| value);
        let Some(fresh) = fresh.and_then(|f| f.cast_into::<PyType>().ok()) else { return Ok(None) };
        let before = class_dict(&fresh)?;

        let decorators =
            compile_node(py, node, Part::DecoratorsOnly, &classes, &live.filename, &staged.context).map_err(fail)?;
        let extra = PyDict::new(py);
        let returns_fresh = py
            .eval(c"lambda fresh: lambda *args, **kwargs: fresh", None, None)
            .and_then(|make| make.call1((&fresh,)))
            .map_err(fail)?;
        extra.set_item(FRESH_CLASS, returns_fresh)?;
        let decorated = staged
            .evaluate(live, &decorators, scope, &[], Some(&extra))
            .map_err(fail)?
            .into_iter()
            .find(|(name, _)| name == node.name())
            .map(|(_, value)| value);
        let mut redecoration = ClassRedecoration {
            live_class,
            path: node.path().to_string(),
            line: node.first_line(),
            set: Vec::new(),
            removed: Vec::new(),
            problem: None,
            new_class: None,
            taken_away: Vec::new(),
            fresh: fresh.clone(),
        };
        if let Some(new_class) = decorated.as_ref().filter(|d| !d.is(&fresh)).and_then(|d| d.cast::<PyType>().ok()) {
            redecoration.new_class = Some(new_class.clone());
            // What the class body bound that the decorators took away (attrs'
            // field definitions): the save's statements bound it on the live
            // class too, where it must not stay.
            let kept = class_dict(new_class)?;
            for (key, made) in before.iter() {
                let name: String = key.extract()?;
                let replaced = kept.get_item(&name)?.is_none_or(|k| !k.get_type().is(made.get_type()));
                if replaced && !name.starts_with("__") {
                    redecoration.taken_away.push((name, made));
                }
            }
            return Ok(Some(redecoration));
        }
        if !decorated.is_some_and(|d| d.is(&fresh)) {
            redecoration.problem = Some(
                "its decorators return something other than a class, which cannot replace the live class: \
                 restart the program to apply them"
                    .to_string(),
            );
            return Ok(Some(redecoration));
        }
        let after = class_dict(&fresh)?;
        for (key, value) in after.iter() {
            let name: String = key.extract()?;
            if matches!(name.as_str(), "__dict__" | "__weakref__" | "__module__" | "__qualname__") {
                continue;
            }
            if before.get_item(&name)?.is_none_or(|old| !old.is(&value)) {
                redecoration.set.push((name, value));
            }
        }
        for key in before.keys() {
            if !after.contains(&key)? {
                redecoration.removed.push(key.extract()?);
            }
        }
        Ok(Some(redecoration))
    }

    /// Moves what the decorators made onto the live class.
    pub(crate) fn commit(&self) -> PyResult<()> {
        if let Some(problem) = &self.problem {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(problem.clone()));
        }
        let py = self.live_class.py();
        let type_ = py.import("builtins")?.getattr("type")?;
        let (setattr, delattr) = (type_.getattr("__setattr__")?, type_.getattr("__delattr__")?);
        for (name, value) in &self.set {
            bind_class_cells(value, &self.live_class)?;
            setattr.call1((&self.live_class, name, value))?;
        }
        let live = class_dict(&self.live_class)?;
        for name in &self.removed {
            if live.contains(name)? {
                delattr.call1((&self.live_class, name))?;
            }
        }
        Ok(())
    }

    pub(crate) fn error_event(&self, live: &LiveModule<'_>, error: PyErr) -> Event {
        Event {
            kind: EventKind::Error,
            path: self.path.clone(),
            filename: live.filename.clone(),
            line: self.line,
            code: None,
            error: Some(Error::Interpreter(error)),
            message: None,
            class_replaced: self.problem.is_some(),
        }
    }
}

/// Functions defined in a class statement of our own got a `__class__` cell for
/// it: point it at the real class so that `super()` works.
pub(crate) fn bind_class_cells(value: &Bound<'_, PyAny>, class: &Bound<'_, PyType>) -> PyResult<()> {
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
