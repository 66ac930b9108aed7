//! Lazy annotations (Python 3.14+, PEP 649/749) of modules and classes.
//!
//! A module or class body keeps one `__annotate__` function for all its
//! annotated statements, evaluated only when someone asks for the annotations.
//! The statements a save runs are compiled on their own, so their `__annotate__`
//! knows only them: bound as it is, the scope would lose the annotations of every
//! other statement. The scope gets instead the `__annotate__` that a fresh compile
//! of the whole new file has for it, made a function with the live module's
//! globals, as a fresh import would have it. Nothing is evaluated.

use jurigged_deftree::{DefTree, Kind, Node};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PySet, PyTuple};

use crate::compile::{last_code_constant, Context};
use crate::conform::Swap;
use crate::scope::{class_dict, LiveModule, Scope};

/// The name under which a module body binds its annotate function, and the
/// attribute through which a class gets it (its setter drops the cached
/// annotations).
pub(crate) const ANNOTATE: &str = "__annotate__";

/// The name under which a class body binds it (3.14).
const CLASS_ANNOTATE: &str = "__annotate_func__";

/// Which of a module's annotated statements have run (by index in the file):
/// its annotate function reports only those.
const CONDITIONAL: &str = "__conditional_annotations__";

/// Rewrites what one statement run by a save binds in `scope` so that the scope
/// keeps the annotations of all its statements: the annotate function of the
/// whole new file's scope, and for a module the index of those that ran. The
/// scope's live annotate function is kept, with the new code (a swap), so that
/// references taken to it follow, as they do for any function.
pub(crate) fn bind_whole_scope<'py>(
    live: &LiveModule<'py>,
    scope: &Scope<'py>,
    new_tree: &DefTree,
    context: &Context,
    bindings: &mut Vec<(String, Bound<'py, PyAny>)>,
    swaps: &mut Vec<Swap<'py>>,
) -> PyResult<()> {
    let own = match scope {
        Scope::Module => ANNOTATE,
        Scope::Class { .. } => CLASS_ANNOTATE,
    };
    let Some(at) = bindings.iter().position(|(name, _)| name == own) else { return Ok(()) };
    // Set through `type.__annotate__`, which drops the class's cached annotations.
    bindings[at].0 = ANNOTATE.to_string();
    let Some(whole) = whole_scope_annotate(live, scope, new_tree, context)? else { return Ok(()) };
    if matches!(scope, Scope::Module) {
        let ran = module_annotations_ran(live, &whole, new_tree)?;
        match bindings.iter_mut().find(|(name, _)| name == CONDITIONAL) {
            Some((_, value)) => *value = ran,
            None => bindings.push((CONDITIONAL.to_string(), ran)),
        }
    }
    let new_code = whole.getattr("__code__")?;
    let same_freevars = |function: &Bound<'py, PyAny>| -> PyResult<bool> {
        function.getattr("__code__")?.getattr("co_freevars")?.eq(new_code.getattr("co_freevars")?)
    };
    match live_annotate(live, scope)? {
        Some(current) if same_freevars(&current)? => {
            let old = current.getattr("__code__")?;
            if !swaps.iter().any(|swap| swap.old.is(&old)) {
                swaps.push(Swap { old, new: Some(new_code), attributes: None, function: None, bound: None });
            }
            bindings[at].1 = current;
        }
        _ => bindings[at].1 = whole,
    }
    Ok(())
}

/// The annotate function `scope` has now, if any.
fn live_annotate<'py>(live: &LiveModule<'py>, scope: &Scope<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
    let function = match scope {
        Scope::Module => live.namespace.get_item(ANNOTATE)?,
        Scope::Class { class, .. } => class_dict(class)?.get_item(CLASS_ANNOTATE)?,
    };
    Ok(function.filter(|f| f.hasattr("__code__").unwrap_or(false)))
}

/// Code that moved in the file moves the lines of the annotate functions of the
/// module and its classes (one line table for all the annotated statements of a
/// scope), which no definition of the file owns: each whose code, lines aside,
/// is that of a fresh compile of the new text gets the fresh code.
pub(crate) fn realign_scopes<'py>(
    live: &LiveModule<'py>,
    new_tree: &DefTree,
    context: &Context,
    swaps: &mut Vec<Swap<'py>>,
) -> PyResult<()> {
    let mut scopes = vec![(Scope::Module, live_annotate(live, &Scope::Module)?)];
    let mut classes: Vec<&Node> = new_tree.root().children().iter().filter(|n| n.kind() == Kind::Class).collect();
    while let Some(node) = classes.pop() {
        classes.extend(node.children().iter().filter(|n| n.kind() == Kind::Class));
        if let Ok(scope) = live.scope(node.path(), node) {
            let annotate = live_annotate(live, &scope)?;
            scopes.push((scope, annotate));
        }
    }
    let scopes: Vec<_> = scopes.into_iter().filter_map(|(scope, f)| Some((scope, f?))).collect();
    if scopes.is_empty() {
        return Ok(());
    }
    let Some(module_code) = compile_whole(live, new_tree, context)? else { return Ok(()) };
    let same = |a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>, attribute: &str| -> PyResult<bool> {
        a.getattr(attribute)?.eq(b.getattr(attribute)?)
    };
    for (scope, function) in scopes {
        let Ok(old) = function.getattr("__code__") else { continue };
        let Some(new) = scope_annotate_code(&module_code, &scope)? else { continue };
        let moved = !same(&old, &new, "co_firstlineno")? || !same(&old, &new, "co_linetable")?;
        let same_code = ["co_code", "co_consts", "co_names", "co_freevars"]
            .iter()
            .try_fold(true, |all, attribute| Ok::<_, PyErr>(all && same(&old, &new, attribute)?))?;
        if moved && same_code && !swaps.iter().any(|swap| swap.old.is(&old)) {
            swaps.push(Swap { old, new: Some(new), attributes: None, function: None, bound: None });
        }
    }
    Ok(())
}

/// A compile of the whole new text, as a fresh import would make it.
fn compile_whole<'py>(
    live: &LiveModule<'py>,
    new_tree: &DefTree,
    context: &Context,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = live.namespace.py();
    let text = new_tree.root().text();
    let filename = live.filename.to_string_lossy().into_owned();
    Ok(py.import("builtins")?.getattr("compile")?.call1((text, filename, "exec", context.flags, true)).ok())
}

/// The code of `scope`'s annotate function in `module_code`.
fn scope_annotate_code<'py>(
    module_code: &Bound<'py, PyAny>,
    scope: &Scope<'py>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut code = module_code.clone();
    for class_name in scope.class_names() {
        // The last body of that name: the class a fresh run leaves bound.
        let Some(body) = last_code_constant(&code, Some(class_name))? else { return Ok(None) };
        code = body;
    }
    last_code_constant(&code, Some(ANNOTATE))
}

/// The `__annotate__` function for `scope` from a compile of the whole of
/// `new_tree`, or None when there is none to take (a `from __future__ import
/// annotations` file, a free variable other than the class namespace, a compile
/// that fails): the caller then keeps the statement's own.
fn whole_scope_annotate<'py>(
    live: &LiveModule<'py>,
    scope: &Scope<'py>,
    new_tree: &DefTree,
    context: &Context,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = live.namespace.py();
    let Some(module_code) = compile_whole(live, new_tree, context)? else { return Ok(None) };
    let Some(annotate) = scope_annotate_code(&module_code, scope)? else { return Ok(None) };
    let freevars: Vec<String> = annotate.getattr("co_freevars")?.extract()?;
    let closure = match scope {
        Scope::Module if freevars.is_empty() => py.None().into_bound(py),
        Scope::Class { class, .. } if freevars.iter().all(|v| v == "__classdict__") => {
            let cells = freevars.iter().map(|_| class_namespace_cell(class)).collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, cells)?.into_any()
        }
        _ => return Ok(None),
    };
    let function_type = py.import("types")?.getattr("FunctionType")?;
    Ok(Some(function_type.call1((annotate, &live.namespace, ANNOTATE, py.None(), closure))?))
}

/// The indices of the module's annotated statements that a module running the
/// new text has run: those at the top level (a fresh import runs them all) and,
/// for those inside a block (`if TYPE_CHECKING:`), the ones the live module had
/// run, while the numbering is the same as before.
fn module_annotations_ran<'py>(
    live: &LiveModule<'py>,
    annotate: &Bound<'py, PyAny>,
    new_tree: &DefTree,
) -> PyResult<Bound<'py, PyAny>> {
    let py = live.namespace.py();
    let new_lines = annotation_lines(annotate)?;
    let old_count = match live.namespace.get_item(ANNOTATE)? {
        Some(old) if !old.is_none() => annotation_lines(&old).map(|l| l.len()).unwrap_or(0),
        _ => 0,
    };
    let old_ran = live.namespace.get_item(CONDITIONAL)?;
    let top_level: std::collections::HashSet<u32> =
        new_tree.root().children().iter().filter(|n| n.kind() == Kind::Line).map(|n| n.header_line()).collect();
    let ran = PySet::empty(py)?;
    for (index, line) in new_lines.iter().enumerate() {
        let kept =
            old_count == new_lines.len() && old_ran.as_ref().is_some_and(|set| set.contains(index).unwrap_or(false));
        if top_level.contains(line) || kept {
            ran.add(index)?;
        }
    }
    Ok(ran.into_any())
}

/// The line of each annotated statement a module's annotate function reports,
/// by index: read from its bytecode, where each is guarded by `INDEX in
/// __conditional_annotations__`.
fn annotation_lines(annotate: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
    let py = annotate.py();
    let code = annotate.getattr("__code__")?;
    let mut lines = Vec::new();
    let mut previous: Option<Bound<'_, PyAny>> = None;
    for instruction in py.import("dis")?.call_method1("get_instructions", (code,))?.try_iter()? {
        let instruction = instruction?;
        let argval = instruction.getattr("argval")?;
        let names_the_index = argval.extract::<String>().is_ok_and(|name| name == CONDITIONAL);
        if let (true, Some(index_load)) = (names_the_index, &previous) {
            if let Ok(index) = index_load.getattr("argval")?.extract::<usize>() {
                let line = index_load.getattr("positions")?.getattr("lineno")?.extract::<Option<u32>>()?;
                if index == lines.len() {
                    lines.push(line.unwrap_or(0));
                }
            }
        }
        previous = Some(instruction);
    }
    Ok(lines)
}

/// The cell through which a class's annotations see its namespace: the live
/// class's own annotate function's when it has one (what its body bound when it
/// ran), else a new one holding a copy of the class's namespace.
fn class_namespace_cell<'py>(class: &Bound<'py, pyo3::types::PyType>) -> PyResult<Bound<'py, PyAny>> {
    let py = class.py();
    let namespace = class_dict(class)?;
    if let Some(current) = namespace.get_item("__annotate_func__")? {
        if let (Ok(code), Ok(closure)) = (current.getattr("__code__"), current.getattr("__closure__")) {
            let freevars: Vec<String> = code.getattr("co_freevars")?.extract()?;
            if let Some(at) = freevars.iter().position(|v| v == "__classdict__") {
                return closure.get_item(at);
            }
        }
    }
    py.import("types")?.getattr("CellType")?.call1((namespace,))
}

/// After a module's `__annotate__` changed: the annotations a reader computed
/// from the old one (cached in the module's namespace) are dropped, so that the
/// next reader gets the new ones. (Setting a class's `__annotate__` does this
/// for classes.)
pub(crate) fn forget_module_annotations(namespace: &Bound<'_, PyDict>) -> PyResult<()> {
    if namespace.contains("__annotations__")? {
        namespace.del_item("__annotations__")?;
    }
    Ok(())
}
