//! Committing a prepared save: the new bindings, the deletions and the code
//! swaps in one stretch with no Python code in between (another thread sees
//! all of a save or none of it), then what runs Python code: `__set_name__`,
//! `__conform__`, the statements that could only run against the committed
//! module, and the class decorators re-applied to changed classes.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::code_registry::{code_registry, is_code};
use crate::conform::{commit_swaps, record_swaps, Swap};
use crate::error::{Error, Result};
use crate::event::{Event, EventKind};
use crate::reclass::ClassChange;
use crate::redecorate::{bind_class_cells, ClassRedecoration};
use crate::scope::{LiveModule, Scope};
use crate::step::Step;
use crate::warning_filters::SilencedWarnings;

/// The garbage collector held off for the commit stretch (a collection would
/// run finalizers, the program's code, in the middle of it), and turned back on
/// when dropped if it was on.
struct CollectorPaused<'py> {
    gc: Bound<'py, PyAny>,
    was_enabled: bool,
}

impl<'py> CollectorPaused<'py> {
    fn pause(py: Python<'py>) -> PyResult<CollectorPaused<'py>> {
        let gc = py.import("gc")?.into_any();
        let was_enabled: bool = gc.call_method0("isenabled")?.extract()?;
        gc.call_method0("disable")?;
        Ok(CollectorPaused { gc, was_enabled })
    }
}

impl Drop for CollectorPaused<'_> {
    fn drop(&mut self) {
        if self.was_enabled {
            if let Err(error) = self.gc.call_method0("enable") {
                error.print(self.gc.py());
            }
        }
    }
}

/// Commits prepared steps: bindings, deletions and code swaps in one stretch,
/// then what runs Python code.
pub(crate) fn commit<'py>(
    live: &LiveModule<'py>,
    steps: Vec<Step<'py>>,
    swaps: &[Swap<'py>],
    users: &crate::conform::Users<'py>,
    metadata: Vec<(Bound<'py, PyAny>, &'static str, Bound<'py, PyAny>)>,
    redecorations: Vec<ClassRedecoration<'py>>,
    class_changes: Vec<ClassChange<'py>>,
) -> Result<Vec<Event>> {
    let py = live.namespace.py();
    let type_setattr = py.import("builtins")?.getattr("type")?.getattr("__setattr__")?;
    let type_delattr = py.import("builtins")?.getattr("type")?.getattr("__delattr__")?;
    // Values replaced or removed stay alive until the stretch is over: a
    // finalizer they trigger must not run in the middle of it.
    let mut replaced: Vec<Bound<'py, PyAny>> = Vec::new();
    let mut events = Vec::with_capacity(steps.len());
    let mut after: Vec<Step<'py>> = Vec::new();

    // Both given back on every path out of the stretch, an early return or a
    // panic included (the warning filters first: re-enabling the collector can
    // run finalizers, which are the program's code).
    let collector = CollectorPaused::pause(py)?;
    // Python 3.13+ warns when a function's code changes kind (`def` to `async
    // def`): the warning machinery would run Python code inside the stretch.
    let quiet = if swaps_change_kind(swaps)? {
        let deprecation = py.import("builtins")?.getattr("DeprecationWarning")?;
        Some(SilencedWarnings::ignoring(py, &deprecation)?)
    } else {
        None
    };
    for step in steps {
        match step {
            Step::Bind { ref bindings, ref scope, ref event, .. } => {
                let result = bindings
                    .iter()
                    .try_for_each(|(name, value)| bind_one(live, scope, name, value, &type_setattr, &mut replaced));
                if let Err(error) = result {
                    events.push(error_event(event, Error::Interpreter(error)));
                    continue;
                }
                after.push(step);
            }
            Step::Delete { scope, name, mut event } => {
                let result = match &scope {
                    Scope::Module => match live.namespace.get_item(&name)? {
                        Some(value) => {
                            replaced.push(value);
                            live.namespace.del_item(&name)
                        }
                        None => Ok(()),
                    },
                    Scope::Class { class, .. } => match crate::scope::class_dict(class)?.get_item(&name)? {
                        Some(value) => {
                            replaced.push(value);
                            type_delattr.call1((class, &name)).map(drop)
                        }
                        None => Ok(()),
                    },
                };
                code_registry().forget(&live.filename, live.relative(&event.path));
                if let Err(error) = result {
                    event.kind = EventKind::Error;
                    event.error = Some(Error::Interpreter(error));
                }
                events.push(event);
            }
            other => after.push(other),
        }
    }
    // Classes made again: the live class updated, or instances and subclasses
    // given the new one (C-level setters only).
    let mut committed = Vec::with_capacity(class_changes.len());
    for (index, change) in class_changes.iter().enumerate() {
        let instances = users.instances.get(index).map(Vec::as_slice).unwrap_or(&[]);
        committed.push(change.commit(live, instances));
    }
    let mut swap_errors = commit_swaps(swaps, users);
    for (wrapper, attribute, value) in &metadata {
        if let Err(error) = crate::conform::set_copied(wrapper, attribute, value) {
            swap_errors.push(error);
        }
    }
    drop(quiet);
    drop(collector);
    drop(replaced);
    record_swaps(swaps, users)?;

    // The save is live; now what runs Python code.
    let mut conform_errors = crate::conform::tell_conformers(swaps, users);
    for error in swap_errors.into_iter().chain(conform_errors.drain(..)) {
        events.push(Event {
            kind: EventKind::Error,
            path: live.module_name.clone(),
            filename: live.filename.clone(),
            line: 0,
            code: None,
            error: Some(Error::Interpreter(error)),
            message: None,
            class_replaced: false,
        });
    }
    for step in after {
        match step {
            Step::Swapped(event) => events.push(event),
            Step::Bind { bindings, scope, code, event } => {
                let result = finish_class_bindings(&scope, &bindings).and_then(|()| learn_compiled(&code, &scope));
                match result {
                    Ok(()) => events.push(event),
                    Err(error) => events.push(error_event(&event, Error::Interpreter(error))),
                }
            }
            Step::Execute { code, scope, node, event } => match execute(live, &code, &scope) {
                Ok(()) => {
                    learn_compiled(&code, &scope)?;
                    events.push(event);
                }
                Err(error) => events.push(error_event(&event, live.python_error(&node, error))),
            },
            Step::Delete { event, .. } => events.push(event),
        }
    }
    for redecoration in redecorations {
        if let Err(error) = redecoration.commit() {
            events.push(redecoration.error_event(live, error));
        }
    }
    // After the decorators moved over: the fields a live class has now.
    for (change, done) in class_changes.iter().zip(committed) {
        let problems = match done {
            Ok(done) => change.finish(done),
            Err(error) => vec![error.to_string()],
        };
        for message in problems {
            events.push(Event {
                kind: EventKind::Error,
                path: change.path.clone(),
                filename: live.filename.clone(),
                line: change.line,
                code: None,
                error: Some(Error::Follow { message }),
                message: None,
                class_replaced: false,
            });
        }
    }
    Ok(events)
}

/// Whether a swap gives a function code of another kind (plain, generator,
/// coroutine, async generator).
fn swaps_change_kind(swaps: &[Swap<'_>]) -> PyResult<bool> {
    // CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
    const KIND_FLAGS: u32 = 0x20 | 0x80 | 0x100 | 0x200;
    let kind =
        |code: &Bound<'_, PyAny>| -> PyResult<u32> { Ok(code.getattr("co_flags")?.extract::<u32>()? & KIND_FLAGS) };
    for swap in swaps {
        if let Some(new) = &swap.new {
            if kind(&swap.old)? != kind(new)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn error_event(event: &Event, error: Error) -> Event {
    Event {
        kind: EventKind::Error,
        path: event.path.clone(),
        filename: event.filename.clone(),
        line: event.line,
        code: event.code.clone(),
        error: Some(error),
        message: None,
        class_replaced: false,
    }
}

/// Binds one name in its live scope, keeping what it replaces in `replaced`. A
/// class attribute is set with `type.__setattr__`: no metaclass code runs.
fn bind_one<'py>(
    live: &LiveModule<'py>,
    scope: &Scope<'py>,
    name: &str,
    value: &Bound<'py, PyAny>,
    type_setattr: &Bound<'py, PyAny>,
    replaced: &mut Vec<Bound<'py, PyAny>>,
) -> PyResult<()> {
    match scope {
        Scope::Module => {
            if let Some(old) = live.namespace.get_item(name)? {
                replaced.push(old);
            }
            if name == "__annotations__" {
                // A new annotated statement's annotations join the module's.
                if let Some(existing) = live.namespace.get_item(name)?.and_then(|a| a.cast_into::<PyDict>().ok()) {
                    if !existing.is(value) {
                        return existing.update(value.cast::<PyDict>()?.as_mapping());
                    }
                }
            }
            live.namespace.set_item(name, value)?;
            if name == crate::annotate::ANNOTATE {
                crate::annotate::forget_module_annotations(&live.namespace)?;
            }
            Ok(())
        }
        Scope::Class { class, .. } => {
            if let Some(old) = crate::scope::class_dict(class)?.get_item(name)? {
                replaced.push(old);
            }
            type_setattr.call1((class, name, value)).map(drop)
        }
    }
}

/// What a class statement does for the attributes its body binds, done for the
/// ones a save adds: the `__class__` cell of methods, and `__set_name__`.
fn finish_class_bindings(scope: &Scope<'_>, bindings: &[(String, Bound<'_, PyAny>)]) -> PyResult<()> {
    let Scope::Class { class, .. } = scope else { return Ok(()) };
    for (name, value) in bindings {
        bind_class_cells(value, class)?;
        if value.get_type().hasattr("__set_name__")? {
            value.call_method1("__set_name__", (class, name.as_str()))?;
        }
    }
    Ok(())
}

/// Runs a statement that needed the committed module.
fn execute<'py>(live: &LiveModule<'py>, code: &Bound<'py, PyAny>, scope: &Scope<'py>) -> PyResult<()> {
    let py = live.namespace.py();
    let exec = py.import("builtins")?.getattr("exec")?;
    match scope {
        Scope::Module => exec.call1((code, &live.namespace)).map(drop),
        Scope::Class { class, .. } => {
            let namespace = crate::scope::class_dict(class)?;
            let before = namespace.copy()?;
            let body = crate::compile::body_code(code, scope.class_names().len())?;
            exec.call1((body, &live.namespace, &namespace))?;
            let setattr = py.import("builtins")?.getattr("type")?.getattr("__setattr__")?;
            let mut bindings = Vec::new();
            for (key, value) in namespace.iter() {
                let name: String = key.extract()?;
                if name.starts_with("__") && name.ends_with("__") && before.contains(&name)? {
                    continue;
                }
                if before.get_item(&name)?.is_some_and(|old| old.is(&value)) {
                    continue;
                }
                setattr.call1((class, &name, &value))?;
                bindings.push((name, value));
            }
            finish_class_bindings(scope, &bindings)
        }
    }
}

/// Records the code objects a compiled snippet defines, under its scope's path.
fn learn_compiled(code: &Bound<'_, PyAny>, scope: &Scope<'_>) -> PyResult<()> {
    let container = crate::compile::body_code(code, scope.class_names().len())?;
    let prefix = scope.prefix();
    for constant in container.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        if is_code(&constant)? {
            let name: String = constant.getattr("co_name")?.extract()?;
            let path = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
            code_registry().add_code(&constant, &path)?;
        }
    }
    Ok(())
}
