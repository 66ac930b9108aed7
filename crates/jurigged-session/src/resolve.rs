//! From a Python object to what jurigged knows of it: its file (tracked from
//! then on) and the dotted path of its definition.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::file_registry::file_registry;
use crate::py_codefile::PyCodeFile;
use crate::py_definition::Definition;
use jurigged_watch::absolute;

/// The code object of a code object or function (unwrapping methods and
/// wrappers), if any.
pub fn code_of<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if jurigged_patch::code_registry::is_code(obj)? {
        return Ok(Some(obj.clone()));
    }
    let mut function = obj.clone();
    for attribute in ["__func__", "__wrapped__"] {
        while let Ok(inner) = function.getattr(attribute) {
            function = inner;
        }
    }
    match function.getattr("__code__") {
        Ok(code) if jurigged_patch::code_registry::is_code(&code)? => Ok(Some(code)),
        _ => Ok(None),
    }
}

/// Whether `obj` is something `registry.find` can place: a module, a class, a
/// code object, or a function (possibly wrapped, bound, class- or static-method).
pub fn is_code_like(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    let inspect = py.import("inspect")?;
    Ok(inspect.call_method1("ismodule", (obj,))?.extract::<bool>()?
        || inspect.call_method1("isclass", (obj,))?.extract::<bool>()?
        || code_of(obj)?.is_some())
}

/// The definition at `path` in `codefile`: its module, or a class or function of
/// its live tree; None when the tree has no such definition.
pub fn definition_of(py: Python<'_>, codefile: &Py<PyCodeFile>, path: &str) -> PyResult<Option<Py<Definition>>> {
    let file = codefile.bind(py).try_borrow()?;
    let filename = file.filename_string();
    if path == file.module_name_str() {
        return Definition::create(py, jurigged_deftree::Kind::Module, path, &filename, 1, None).map(Some);
    }
    let Some((kind, first)) = file.tree().find(path).next().map(|node| (node.kind(), node.first_line())) else {
        return Ok(None);
    };
    drop(file);
    Definition::create(py, kind, path, &filename, first, None).map(Some)
}

/// (CodeFile, dotted path) of what a module, class, function (or method,
/// classmethod, staticmethod, wrapped function) or code object is, when its
/// source is a Python file: the file is tracked from now on.
pub fn resolve(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Option<(Py<PyCodeFile>, String)>> {
    let inspect = py.import("inspect")?;
    let modules = py.import("sys")?.getattr("modules")?;
    let registry = file_registry();
    let tracked = |module_name: &str, file: PathBuf| -> PyResult<Option<Py<PyCodeFile>>> {
        if file.extension().is_none_or(|e| e != "py") || !file.is_file() {
            return Ok(None);
        }
        registry.register(py, module_name, &file, None).map(Some)
    };
    if inspect.call_method1("ismodule", (obj,))?.extract::<bool>()? {
        let name: String = obj.getattr("__name__")?.extract()?;
        let Some(file) = obj.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok()) else {
            return Ok(None);
        };
        return Ok(tracked(&name, absolute(&file))?.map(|cf| (cf, name)));
    }
    // For a function or code object, its first line: a definition of the same
    // name elsewhere in the file is not it (a code object made with another
    // first line, as `code.replace(co_firstlineno=...)` makes).
    let mut first_line: Option<u32> = None;
    let (module_name, qualname, file) = if inspect.call_method1("isclass", (obj,))?.extract::<bool>()? {
        let module_name: String = obj.getattr("__module__")?.extract()?;
        let Some(file) = modules
            .get_item(&module_name)
            .ok()
            .and_then(|m| m.getattr("__file__").ok())
            .and_then(|f| f.extract::<PathBuf>().ok())
        else {
            return Ok(None);
        };
        (module_name, obj.getattr("__qualname__")?.extract::<String>()?, file)
    } else {
        // Methods, classmethods, staticmethods and decorated functions lead to the
        // function that holds the code.
        let mut function = obj.clone();
        for attribute in ["__func__", "__wrapped__"] {
            while let Ok(inner) = function.getattr(attribute) {
                function = inner;
            }
        }
        let code = match function.getattr("__code__") {
            Ok(code) => code,
            Err(_) if jurigged_patch::code_registry::is_code(&function)? => function.clone(),
            Err(_) => return Ok(None),
        };
        let file = code.getattr("co_filename")?.extract::<PathBuf>()?;
        first_line = code.getattr("co_firstlineno")?.extract().ok();
        let qualname: String = match function.getattr("__qualname__") {
            Ok(name) => name.extract()?,
            // A bare code object: where the registry recorded it, else its own
            // qualified name (Python 3.11+) or name.
            Err(_) => match code_path(py, &code, &file)? {
                Some(path) => path,
                None => code.getattr("co_qualname").or_else(|_| code.getattr("co_name"))?.extract()?,
            },
        };
        let module_name: String = match function.getattr("__module__").ok().and_then(|m| m.extract::<String>().ok()) {
            Some(name) => name,
            None => match module_name_of(py, &file)? {
                Some(name) => name,
                None => return Ok(None),
            },
        };
        (module_name, qualname, file)
    };
    if qualname.contains("<locals>") || qualname.contains('<') {
        return Ok(None);
    }
    let Some(codefile) = tracked(&module_name, absolute(&file))? else { return Ok(None) };
    let focus = {
        let file = codefile.bind(py).try_borrow()?;
        let module = file.module_name_str();
        let path = if module.is_empty() { qualname } else { format!("{module}.{qualname}") };
        let found = file.tree().find(&path).next().is_some_and(|node| {
            first_line.is_none_or(|line| (node.first_line()..=node.position().end.line).contains(&line))
        });
        found.then_some(path)
    };
    Ok(focus.map(|path| (codefile, path)))
}

/// The path the code registry knows `code` by, learning the namespace of its
/// module first if need be.
fn code_path(py: Python<'_>, code: &Bound<'_, PyAny>, file: &Path) -> PyResult<Option<String>> {
    let registry = jurigged_patch::code_registry::code_registry();
    if let Some(path) = registry.path_of(code) {
        return Ok(Some(path));
    }
    if let Some(name) = module_name_of(py, file)? {
        let module = py.import("sys")?.getattr("modules")?.get_item(name)?;
        registry.learn_namespace(module.getattr("__dict__")?.cast::<PyDict>()?, &absolute(file))?;
    }
    Ok(registry.path_of(code))
}

/// The name of the loaded module whose file is `file`, if any.
pub fn module_name_of(py: Python<'_>, file: &Path) -> PyResult<Option<String>> {
    let target = std::fs::canonicalize(file).ok();
    let modules = py.import("sys")?.getattr("modules")?.call_method0("copy")?;
    for item in modules.call_method0("items")?.try_iter()? {
        let (name, module): (String, Bound<'_, PyAny>) = item?.extract()?;
        let module_file = module.getattr("__file__").ok().and_then(|f| f.extract::<PathBuf>().ok());
        if module_file.and_then(|f| std::fs::canonicalize(f).ok()) == target && target.is_some() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}
