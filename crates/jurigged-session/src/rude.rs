//! Edits that cannot take full effect, named after a save in one vocabulary
//! ([`RudeEdit`]): besides the statements held back and the running functions
//! (which their events already say), a deleted function that live code still
//! calls (found in the names the code of the module's functions uses,
//! not by scanning the heap).

use std::path::Path;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::py_event::{Event, RudeEdit};
use jurigged_patch::EventKind;

/// Marks the rude edits among the events of one save of `filename`, whose
/// module namespace is `namespace`. A failure here only loses the note.
pub fn note_rude_edits(py: Python<'_>, namespace: Option<&Bound<'_, PyDict>>, filename: &Path, events: &mut [Event]) {
    let Some(namespace) = namespace else { return };
    for event in events.iter_mut().filter(|e| e.kind() == EventKind::Delete && !e.is_class()) {
        let Some(name) = event.qualname().filter(|q| !q.contains('.')).map(str::to_string) else { continue };
        if namespace.contains(&name).unwrap_or(true) {
            continue;
        }
        let callers = callers_of(py, namespace, filename, &name).unwrap_or_default();
        if !callers.is_empty() {
            event.set_rude(RudeEdit::DeletedStillCalled, format!("still called by {}", callers.join(", ")));
        }
    }
}

/// The functions of the module (and methods of its classes) defined in
/// `filename` whose code names `name`.
fn callers_of(py: Python<'_>, namespace: &Bound<'_, PyDict>, filename: &Path, name: &str) -> PyResult<Vec<String>> {
    let function_type = py.import("types")?.getattr("FunctionType")?;
    let builtins = py.import("builtins")?;
    let wrappers = (builtins.getattr("staticmethod")?, builtins.getattr("classmethod")?);
    let mut functions: Vec<Bound<'_, PyAny>> = Vec::new();
    for (_, value) in namespace.iter() {
        if value.is_instance(&function_type)? {
            functions.push(value);
        } else if let Ok(class) = value.cast::<PyType>() {
            // The class's own namespace, not getattr: no user code runs here.
            let members = py.import("builtins")?.getattr("type")?.getattr("__dict__")?.get_item("__dict__")?;
            for member in members.call_method1("__get__", (class,))?.call_method0("values")?.try_iter()? {
                let member = member?;
                let wrapped = member.is_instance(&wrappers.0)? || member.is_instance(&wrappers.1)?;
                let member = if wrapped { member.getattr("__func__")? } else { member };
                if member.is_instance(&function_type)? {
                    functions.push(member);
                }
            }
        }
    }
    let mut callers = Vec::new();
    for function in functions {
        let code = function.getattr("__code__")?;
        let from_here = code.getattr("co_filename")?.extract::<std::path::PathBuf>().is_ok_and(|f| f == filename);
        if from_here && names(&code, name, 0)? {
            let qualname: String = function.getattr("__qualname__")?.extract()?;
            if !callers.contains(&qualname) {
                callers.push(qualname);
            }
        }
    }
    Ok(callers)
}

/// Whether `code` (or code nested in it) uses `name` as a global or attribute.
fn names(code: &Bound<'_, PyAny>, name: &str, depth: usize) -> PyResult<bool> {
    for used in code.getattr("co_names")?.try_iter()? {
        if used?.extract::<String>().is_ok_and(|u| u == name) {
            return Ok(true);
        }
    }
    if depth < 8 {
        let code_type = code.get_type();
        for constant in code.getattr("co_consts")?.try_iter()? {
            let constant = constant?;
            if constant.is_instance(&code_type)? && names(&constant, name, depth + 1)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
