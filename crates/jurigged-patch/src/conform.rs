//! Conform: make every function that runs an old code object run the new one,
//! with one heap scan for all the code objects of a save.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::code_registry::{code_registry, is_code};
use crate::error::{Error, Result};
use crate::referrers::scan_heap;
use crate::users::{user_index, RefCounter};

/// One code object to replace, and what else the functions running it get.
pub(crate) struct Swap<'py> {
    pub(crate) old: Bound<'py, PyAny>,
    /// None when the function was deleted: `__conform__` objects are told so.
    pub(crate) new: Option<Bound<'py, PyAny>>,
    /// The new function object, for the function that changed (not its nested
    /// closures): what `__conform__` objects are given, as the original gives
    /// them (they read its signature, defaults and `__code__`).
    pub(crate) function: Option<Bound<'py, PyAny>>,
    /// For the function that changed (not its nested closures): what the new
    /// definition gives besides code.
    pub(crate) attributes: Option<FunctionAttributes<'py>>,
    /// The function bound where the definition lives (module or class
    /// namespace) when it ran the old code as the save was prepared: a user
    /// known without a heap scan, for code the user index has not seen yet.
    pub(crate) bound: Option<Bound<'py, PyAny>>,
}

/// The defaults, keyword defaults, annotations and docstring of a function,
/// read before the commit so that setting them there cannot fail half-way.
#[derive(Clone)]
pub(crate) struct FunctionAttributes<'py> {
    defaults: Bound<'py, PyAny>,
    kwdefaults: Bound<'py, PyAny>,
    /// `__annotate__` where Python evaluates annotations lazily (3.14+: copying
    /// it never evaluates them), else `__annotations__`.
    annotations: (&'static str, Bound<'py, PyAny>),
    doc: Bound<'py, PyAny>,
}

impl<'py> FunctionAttributes<'py> {
    /// The attributes `functools.wraps` copies onto a wrapper, with their new
    /// values: `__annotations__` before 3.14, `__annotate__` since (the same
    /// function object, never called here).
    pub(crate) fn copied_by_wraps(&self) -> Vec<(&'static str, &Bound<'py, PyAny>)> {
        vec![("__doc__", &self.doc), (self.annotations.0, &self.annotations.1)]
    }

    /// Reads them from `function`, a function object.
    pub(crate) fn of(function: &Bound<'py, PyAny>) -> PyResult<Self> {
        let annotations = match function.getattr("__annotate__") {
            Ok(annotate) => ("__annotate__", annotate),
            Err(_) => ("__annotations__", function.getattr("__annotations__")?),
        };
        Ok(FunctionAttributes {
            defaults: function.getattr("__defaults__")?,
            kwdefaults: function.getattr("__kwdefaults__")?,
            annotations,
            doc: function.getattr("__doc__")?,
        })
    }
}

/// Functions and `__conform__` objects that use the old code of some swaps,
/// and the live instances of the classes a save makes again.
pub(crate) struct Users<'py> {
    functions: Vec<(Bound<'py, PyAny>, usize)>,
    conformers: Vec<(Bound<'py, PyAny>, usize)>,
    /// One list per class asked for: its direct instances.
    pub(crate) instances: Vec<Vec<Bound<'py, PyAny>>>,
}

/// `co_freevars` of a code object.
fn freevars(code: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    code.getattr("co_freevars")?.extract()
}

/// Checks that `new` can replace `old` in place: same free variables.
pub(crate) fn check_freevars(old: &Bound<'_, PyAny>, new: &Bound<'_, PyAny>, path: &str) -> Result<()> {
    let (before, after) = (freevars(old)?, freevars(new)?);
    if before == after {
        return Ok(());
    }
    let mut reason = format!("its free variables changed from ({}) to ({})", before.join(", "), after.join(", "));
    let class_cell = "__class__".to_string();
    if before.contains(&class_cell) != after.contains(&class_cell) {
        reason
            .push_str("; super() and __class__ need the __class__ cell, which only a method defined in its class has");
    }
    Err(Error::Conform { path: path.to_string(), reason })
}

/// Pairs the code objects nested in `old` with those in `new` (the k-th `inner`
/// with the k-th `inner`), skipping pairs whose free variables differ.
pub(crate) fn nested_pairs<'py>(
    old: &Bound<'py, PyAny>,
    new: &Bound<'py, PyAny>,
    out: &mut Vec<Swap<'py>>,
) -> PyResult<()> {
    let nested = |code: &Bound<'py, PyAny>| -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut found = Vec::new();
        for constant in code.getattr("co_consts")?.try_iter()? {
            let constant = constant?;
            if is_code(&constant)? {
                found.push(constant);
            }
        }
        Ok(found)
    };
    let mut by_name: HashMap<String, Vec<Bound<'py, PyAny>>> = HashMap::new();
    for code in nested(new)? {
        by_name.entry(code.getattr("co_name")?.extract()?).or_default().push(code);
    }
    for old_code in nested(old)? {
        let name: String = old_code.getattr("co_name")?.extract()?;
        let Some(candidates) = by_name.get_mut(&name) else { continue };
        if candidates.is_empty() {
            continue;
        }
        let new_code = candidates.remove(0);
        if freevars(&old_code)? == freevars(&new_code)? {
            nested_pairs(&old_code, &new_code, out)?;
            out.push(Swap { old: old_code, new: Some(new_code), attributes: None, function: None, bound: None });
        }
    }
    Ok(())
}

/// Finds the users of every old code object: from the index when it knows them
/// all, else with one heap scan for all of them; with `classes`, that one scan
/// finds their instances too (an instance refers to its class).
pub(crate) fn find_users<'py>(
    py: Python<'py>,
    swaps: &[Swap<'py>],
    classes: &[Bound<'py, PyType>],
) -> PyResult<Users<'py>> {
    let mut users = Users { functions: Vec::new(), conformers: Vec::new(), instances: vec![Vec::new(); classes.len()] };
    if swaps.is_empty() && classes.is_empty() {
        return Ok(users);
    }
    let mut known = Vec::new();
    let counter = RefCounter::new(py)?;
    let mut complete = counter.is_some() && classes.is_empty();
    for (index, swap) in swaps.iter().enumerate() {
        let Some(counter) = &counter else { break };
        // The swap itself holds one reference.
        match user_index().complete_users(counter, &swap.old, 1, swap.bound.as_ref())? {
            Some(functions) => known.extend(functions.into_iter().map(|f| (f, index))),
            None => {
                complete = false;
                break;
            }
        }
    }
    if complete {
        users.functions = known;
        return Ok(users);
    }
    let olds: Vec<&Bound<'py, PyAny>> = swaps.iter().map(|s| &s.old).collect();
    code_registry().count_heap_scan();
    let holders = scan_heap(py, &olds, classes)?;
    users.functions = holders.functions;
    users.conformers = holders.conformers;
    users.instances = holders.instances;
    Ok(users)
}

/// Swaps the code of every user. Only C-level setters run: the caller makes this
/// part of one stretch with no Python code in between (the garbage collector,
/// which could run finalizers, held off).
pub(crate) fn commit_swaps<'py>(swaps: &[Swap<'py>], users: &Users<'py>) -> Vec<PyErr> {
    let mut errors = Vec::new();
    for (function, index) in &users.functions {
        let swap = &swaps[*index];
        if let Some(new) = &swap.new {
            if let Err(error) = swap_function(function, new, swap.attributes.as_ref()) {
                errors.push(error);
            }
        }
    }
    errors
}

/// After the swaps: the registry and the user index learn where each new code
/// object lives and who runs it.
pub(crate) fn record_swaps<'py>(swaps: &[Swap<'py>], users: &Users<'py>) -> PyResult<()> {
    let mut runners: Vec<Vec<&Bound<'py, PyAny>>> = vec![Vec::new(); swaps.len()];
    for (function, index) in &users.functions {
        runners[*index].push(function);
    }
    for (swap, runners) in swaps.iter().zip(&runners) {
        user_index().forget(&swap.old);
        if let Some(new) = &swap.new {
            code_registry().replace(&swap.old, new)?;
            user_index().record(new, runners)?;
        }
    }
    Ok(())
}

/// Tells the objects with `__conform__` that hold old code (in a slot) about the
/// new code, or `None` for a deleted function. This runs their Python code.
pub(crate) fn tell_conformers<'py>(swaps: &[Swap<'py>], users: &Users<'py>) -> Vec<PyErr> {
    let mut errors = Vec::new();
    for (conformer, index) in &users.conformers {
        let swap = &swaps[*index];
        // The new function when there is one, else its code (a nested closure),
        // or None (deleted).
        let given = swap.function.as_ref().or(swap.new.as_ref());
        if let Err(error) = conformer.call_method1("__conform__", (given,)) {
            errors.push(error);
        }
    }
    // A deleted function given a `__conform__` of its own (a decorator's
    // registry: `fn.__conform__ = lambda new: ...`) is told, as the original
    // tells it: the registry drops it.
    for (function, index) in &users.functions {
        if swaps[*index].new.is_some() {
            continue;
        }
        let own = function.getattr("__dict__").ok().and_then(|d| d.get_item("__conform__").ok());
        if let Some(own) = own {
            if let Err(error) = own.call1((function.py().None(),)) {
                errors.push(error);
            }
        }
    }
    errors
}

fn swap_function(
    function: &Bound<'_, PyAny>,
    new: &Bound<'_, PyAny>,
    attributes: Option<&FunctionAttributes<'_>>,
) -> PyResult<()> {
    function.setattr("__code__", new)?;
    if let Some(attributes) = attributes {
        function.setattr("__defaults__", &attributes.defaults)?;
        function.setattr("__kwdefaults__", &attributes.kwdefaults)?;
        let (name, value) = &attributes.annotations;
        set_copied(function, name, value)?;
        function.setattr("__doc__", &attributes.doc)?;
    }
    Ok(())
}

/// Sets an attribute copied from a new definition onto `target` (a function
/// or a wrapper of one). A function's `__annotate__` set to None (no annotations
/// left) would keep the annotations a reader computed from the old one: setting
/// its `__annotations__` to None first drops them (and its `__annotate__`).
pub(crate) fn set_copied(target: &Bound<'_, PyAny>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if name == "__annotate__" && value.is_none() {
        let function_type = target.py().import("types")?.getattr("FunctionType")?;
        if target.is_instance(&function_type)? {
            target.setattr("__annotations__", value)?;
        }
    }
    target.setattr(name, value)
}

/// Gives `new` (a function or a code object) to `target`: a function gets the new
/// code, an object with `__conform__` is told. What jurigged does to each user of
/// changed code, offered on its own.
pub fn conform(target: &Bound<'_, PyAny>, new: &Bound<'_, PyAny>) -> Result<()> {
    if target.get_type().hasattr("__conform__")? && !target.hasattr("__code__")? {
        target.call_method1("__conform__", (new,))?;
        return Ok(());
    }
    let (new_code, attributes) = if is_code(new)? {
        (new.clone(), None)
    } else {
        (new.getattr("__code__")?, Some(FunctionAttributes::of(new)?))
    };
    let old_code = target.getattr("__code__")?;
    let path: String = target.getattr("__qualname__")?.extract()?;
    check_freevars(&old_code, &new_code, &path)?;
    swap_function(target, &new_code, attributes.as_ref())?;
    Ok(())
}
