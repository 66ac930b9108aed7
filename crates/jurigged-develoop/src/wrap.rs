//! `loop` / `xloop` as decorators, and `--loop NAME` / `--xloop NAME`: wrapping a
//! function of the program as soon as it is defined, before the main code runs.

use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict, PyTuple};

use super::run_loop;
use jurigged_watch::sync::lock;

/// A function wrapped in the develoop. It keeps the function's name and docstring
/// and `__wrapped__`, so that jurigged updates reach the function inside.
#[pyclass(module = "jurigged.loop", dict)]
pub struct LoopWrapper {
    function: Py<PyAny>,
    interface: Option<String>,
    only_on_error: bool,
}

#[jurigged_entry::py_entry]
#[pymethods]
impl LoopWrapper {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        run_loop(py, self.function.bind(py), args, kwargs, self.interface.as_deref(), self.only_on_error)
    }

    /// Methods bind like functions.
    fn __get__(
        slf: Py<Self>,
        py: Python<'_>,
        instance: Option<Bound<'_, PyAny>>,
        owner: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = owner;
        match instance {
            Some(instance) if !instance.is_none() => {
                Ok(py.import("types")?.getattr("MethodType")?.call1((slf, instance))?.unbind())
            }
            _ => Ok(slf.into_any()),
        }
    }
}

fn wrap(
    py: Python<'_>,
    function: &Bound<'_, PyAny>,
    interface: Option<String>,
    only_on_error: bool,
) -> PyResult<Py<PyAny>> {
    let wrapper = Py::new(py, LoopWrapper { function: function.clone().unbind(), interface, only_on_error })?;
    py.import("functools")?.call_method1("update_wrapper", (&wrapper, function))?;
    Ok(wrapper.into_any())
}

/// `loop(fn)`, `loop(interface="basic")(fn)` and the same for xloop.
fn decorator(
    py: Python<'_>,
    function: Option<&Bound<'_, PyAny>>,
    interface: Option<String>,
    only_on_error: bool,
) -> PyResult<Py<PyAny>> {
    if let Some(function) = function {
        return wrap(py, function, interface, only_on_error);
    }
    let later = PyCFunction::new_closure(
        py,
        None,
        None,
        move |args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>| -> PyResult<Py<PyAny>> {
            wrap(args.py(), &args.get_item(0)?, interface.clone(), only_on_error)
        },
    )?;
    Ok(later.into_any().unbind())
}

/// Loops on the function: runs it, shows its output and result, waits for r
/// (re-run), a (abort), c (continue), q (quit), and re-runs on every save.
#[jurigged_entry::py_entry]
#[pyfunction]
#[pyo3(name = "loop", signature = (function = None, *, interface = None))]
pub fn develoop_function(
    py: Python<'_>,
    function: Option<&Bound<'_, PyAny>>,
    interface: Option<String>,
) -> PyResult<Py<PyAny>> {
    decorator(py, function, interface, false)
}

/// Like loop, but only when the function raises; otherwise the program runs on.
#[jurigged_entry::py_entry]
#[pyfunction]
#[pyo3(signature = (function = None, *, interface = None))]
pub fn xloop(py: Python<'_>, function: Option<&Bound<'_, PyAny>>, interface: Option<String>) -> PyResult<Py<PyAny>> {
    decorator(py, function, interface, true)
}

/// A function to wrap once its module defines it.
struct Pending {
    module: String,
    path: Vec<String>,
    only_on_error: bool,
}

fn pending() -> &'static Mutex<Vec<Pending>> {
    static PENDING: Mutex<Vec<Pending>> = Mutex::new(Vec::new());
    &PENDING
}

fn interface_choice() -> &'static Mutex<Option<String>> {
    static INTERFACE: Mutex<Option<String>> = Mutex::new(None);
    &INTERFACE
}

/// Parses `NAME`, `module:NAME` (NAME may be dotted) or `/module/qual/path`.
fn parse_target(spec: &str) -> (String, Vec<String>) {
    if let Some(rest) = spec.strip_prefix('/') {
        let mut parts = rest.split('/').map(String::from);
        let module = parts.next().unwrap_or_default();
        return (module, parts.collect());
    }
    match spec.split_once(':') {
        Some((module, path)) => (module.to_string(), path.split('.').map(String::from).collect()),
        None => ("__main__".to_string(), spec.split('.').map(String::from).collect()),
    }
}

/// Wraps what is pending in the module whose namespace is `namespace`; returns
/// whether anything is still pending. The pending list is only read and
/// updated under its lock: finding and wrapping the functions runs Python code
/// (attribute lookups, `functools.update_wrapper`), with no lock held.
fn attach_in(py: Python<'_>, module: &str, namespace: &Bound<'_, PyDict>) -> PyResult<bool> {
    let targets: Vec<(Vec<String>, bool)> = lock(pending())
        .iter()
        .filter(|target| target.module == module)
        .map(|target| (target.path.clone(), target.only_on_error))
        .collect();
    let interface = lock(interface_choice()).clone();
    let mut done: Vec<Vec<String>> = Vec::new();
    for (path, only_on_error) in targets {
        let Some((last, parents)) = path.split_last() else {
            done.push(path);
            continue;
        };
        let mut owner: Option<Bound<'_, PyAny>> = None;
        let mut found = true;
        for part in parents {
            let next = match &owner {
                None => namespace.get_item(part)?,
                Some(object) => object.getattr(part.as_str()).ok(),
            };
            match next {
                Some(next) => owner = Some(next),
                None => {
                    found = false;
                    break;
                }
            }
        }
        let function = match (&owner, found) {
            (_, false) => None,
            (None, true) => namespace.get_item(last)?,
            (Some(object), true) => object.getattr(last.as_str()).ok(),
        };
        let Some(function) = function.filter(|f| !f.is_instance_of::<LoopWrapper>()) else { continue };
        let wrapped = wrap(py, &function, interface.clone(), only_on_error)?;
        match &owner {
            None => namespace.set_item(last, wrapped)?,
            Some(object) => object.setattr(last.as_str(), wrapped)?,
        }
        done.push(path);
    }
    let mut pending = lock(pending());
    pending.retain(|target| !(target.module == module && done.contains(&target.path)));
    Ok(!pending.is_empty())
}

/// Whether a function of `module` is still to be wrapped.
fn pending_in(module: &str) -> bool {
    lock(pending()).iter().any(|p| p.module == module)
}

/// Forgets the targets still pending that `drop` selects, and says so with
/// `why` (which gets the target's module and name).
fn give_up(py: Python<'_>, drop: impl Fn(&Pending) -> bool, why: impl Fn(&str, &str) -> String) {
    let dropped: Vec<Pending> = {
        let mut list = lock(pending());
        let (dropped, kept) = std::mem::take(&mut *list).into_iter().partition(|p| drop(p));
        *list = kept;
        dropped
    };
    for target in dropped {
        let option = if target.only_on_error { "--xloop" } else { "--loop" };
        let name = target.path.join(".");
        let spec = if target.module == "__main__" { name.clone() } else { format!("{}:{name}", target.module) };
        let message = format!("jurigged: {option} {spec}: {}; no loop on it\n", why(&target.module, &name));
        if let Err(error) = py.import("sys").and_then(|sys| sys.getattr("stderr")?.call_method1("write", (message,))) {
            error.print(py);
        }
    }
}

/// Gives up on the targets still pending (those of `module`, or all): their
/// module ran its body without defining them.
fn give_up_undefined(py: Python<'_>, module: Option<&str>) {
    give_up(
        py,
        |p| module.is_none_or(|m| p.module == m),
        |module, name| {
            if module == "__main__" {
                format!("the program did not define {name}")
            } else {
                format!("{module} did not define {name}")
            }
        },
    );
}

/// As a module's body starts (or at once for a module already imported):
/// gives up on its targets that its source `filename` never defines (a
/// misspelt name), rather than when the program ends, which a main loop or a
/// server may never do. Only an early warning: what goes wrong here is printed,
/// never raised into the program.
fn give_up_never_defined(py: Python<'_>, module: &str, filename: PyResult<Bound<'_, PyAny>>) {
    let Ok(filename) = filename.and_then(|f| f.extract::<std::path::PathBuf>()) else { return };
    let targets: Vec<Vec<String>> =
        lock(pending()).iter().filter(|p| p.module == module).map(|p| p.path.clone()).collect();
    // Reading and parsing the file needs no GIL.
    let never = py.detach(|| crate::target_check::never_defined(&filename, &targets));
    if never.is_empty() {
        return;
    }
    let shown = filename.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    give_up(py, |p| p.module == module && never.contains(&p.path), |_, name| format!("{shown} does not define {name}"));
}

/// The trace function: in the bodies of modules with functions to wrap only,
/// wraps them as soon as they exist (before each line, and when the body ends).
/// A body that ends without defining one gives up on it, and the trace function
/// is removed once nothing is pending: tracing costs the program every call.
#[jurigged_entry::py_entry]
#[pyfunction]
fn loop_tracer(py: Python<'_>, frame: &Bound<'_, PyAny>, event: &str, arg: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let _ = arg;
    let code = frame.getattr("f_code")?;
    if code.getattr("co_name")?.extract::<String>()? != "<module>" {
        return Ok(py.None());
    }
    let namespace = frame.getattr("f_globals")?;
    let namespace = namespace.cast::<PyDict>()?;
    let module: String = namespace.get_item("__name__")?.map(|n| n.extract()).transpose()?.unwrap_or_default();
    if event == "call" {
        if !pending_in(&module) {
            // Not one of the modules waited for: its lines are not traced.
            return Ok(py.None());
        }
        give_up_never_defined(py, &module, frame.getattr("f_code").and_then(|code| code.getattr("co_filename")));
    }
    let mut still_pending = attach_in(py, &module, namespace)?;
    if event == "return" && pending_in(&module) {
        give_up_undefined(py, Some(&module));
        still_pending = !lock(pending()).is_empty();
    }
    if !still_pending {
        py.import("sys")?.call_method1("settrace", (py.None(),))?;
        return Ok(py.None());
    }
    Ok(wrap_pyfunction!(loop_tracer, py)?.into_any().unbind())
}

/// Once the program's main code has finished (before `-i`'s REPL): gives up on
/// the targets never defined and removes the trace function.
pub fn detach_loops(py: Python<'_>) -> PyResult<()> {
    if lock(pending()).is_empty() {
        return Ok(());
    }
    give_up_undefined(py, None);
    let sys = py.import("sys")?;
    let ours =
        sys.call_method0("gettrace")?.getattr("__name__").ok().is_some_and(|n| n.eq("loop_tracer").unwrap_or(false));
    if ours {
        sys.call_method1("settrace", (py.None(),))?;
    }
    Ok(())
}

/// `--loop` / `--xloop`: wraps each named function as soon as its module defines
/// it; those already defined are wrapped now.
pub fn attach_loops(py: Python<'_>, loops: &[String], xloops: &[String], interface: Option<String>) -> PyResult<()> {
    {
        let mut list = lock(pending());
        for (spec, only_on_error) in loops.iter().map(|s| (s, false)).chain(xloops.iter().map(|s| (s, true))) {
            let (module, path) = parse_target(spec);
            list.push(Pending { module, path, only_on_error });
        }
        *lock(interface_choice()) = interface;
    }
    let modules = py.import("sys")?.getattr("modules")?;
    let names: Vec<String> = lock(pending()).iter().map(|p| p.module.clone()).collect();
    for name in names {
        if name == "__main__" {
            continue;
        }
        if let Ok(module) = modules.get_item(&name) {
            attach_in(py, &name, module.getattr("__dict__")?.cast::<PyDict>()?)?;
            // Its body has run: what it did not define may be defined later by
            // other code, unless its source cannot bind the name at all.
            if pending_in(&name) {
                give_up_never_defined(py, &name, module.getattr("__file__"));
            }
        }
    }
    if !lock(pending()).is_empty() {
        py.import("sys")?.call_method1("settrace", (wrap_pyfunction!(loop_tracer, py)?,))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_target;

    #[test]
    fn loop_targets() {
        assert_eq!(parse_target("main"), ("__main__".into(), vec!["main".into()]));
        assert_eq!(parse_target("pkg.mod:Class.run"), ("pkg.mod".into(), vec!["Class".into(), "run".into()]));
        assert_eq!(parse_target("/pkg.mod/Class/run"), ("pkg.mod".into(), vec!["Class".into(), "run".into()]));
    }
}
