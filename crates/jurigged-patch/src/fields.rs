//! What old instances of a changed class get: the fields a fresh instance
//! would have (`@dataclass` and attrs defaults and factories) and the class's
//! migration hook, `__jurigged_migrate__(self, old_class)`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

/// The method a class may define to migrate an instance that followed a change
/// of its class: `def __jurigged_migrate__(self, old_class)`.
pub(crate) const MIGRATE_HOOK: &str = "__jurigged_migrate__";

/// A field's default as a fresh instance gets it.
enum FieldDefault<'py> {
    Value(Bound<'py, PyAny>),
    Factory { factory: Bound<'py, PyAny>, takes_self: bool },
}

/// The fields of `class` (`@dataclass`, attrs) with a default or a factory.
fn field_defaults<'py>(class: &Bound<'py, PyType>) -> PyResult<Vec<(String, FieldDefault<'py>)>> {
    let py = class.py();
    let mut out = Vec::new();
    let lookup = |name: &str| -> Option<Bound<'py, PyAny>> {
        // Through the class's MRO, without a metaclass's __getattr__.
        py.import("inspect").ok()?.getattr("getattr_static").ok()?.call1((class, name, py.None())).ok()
    };
    if lookup("__dataclass_fields__").is_some_and(|f| !f.is_none()) {
        let dataclasses = py.import("dataclasses")?;
        let missing = dataclasses.getattr("MISSING")?;
        for field in dataclasses.call_method1("fields", (class,))?.try_iter()? {
            let field = field?;
            let name: String = field.getattr("name")?.extract()?;
            let factory = field.getattr("default_factory")?;
            let default = field.getattr("default")?;
            if !factory.is(&missing) {
                out.push((name, FieldDefault::Factory { factory, takes_self: false }));
            } else if !default.is(&missing) {
                out.push((name, FieldDefault::Value(default)));
            }
        }
    } else if let Some(attributes) = lookup("__attrs_attrs__").filter(|a| !a.is_none()) {
        let attr = py.import("attr")?;
        let (nothing, factory_type) = (attr.getattr("NOTHING")?, attr.getattr("Factory")?);
        for attribute in attributes.try_iter()? {
            let attribute = attribute?;
            let name: String = attribute.getattr("name")?.extract()?;
            let default = attribute.getattr("default")?;
            if default.is(&nothing) {
                continue;
            }
            if default.is_instance(&factory_type)? {
                let takes_self = default.getattr("takes_self")?.is_truthy()?;
                out.push((name, FieldDefault::Factory { factory: default.getattr("factory")?, takes_self }));
            } else {
                out.push((name, FieldDefault::Value(default)));
            }
        }
    }
    Ok(out)
}

/// Whether `new` has fields with a default or a factory that `old` lacks.
pub(crate) fn gains_fields(old: &Bound<'_, PyType>, new: &Bound<'_, PyType>) -> PyResult<bool> {
    let before: Vec<String> = field_defaults(old)?.into_iter().map(|(name, _)| name).collect();
    Ok(field_defaults(new)?.iter().any(|(name, _)| !before.contains(name)))
}

/// Gives each instance the fields a fresh instance would have and it lacks
/// (never removes one: the program's data stays).
pub(crate) fn fill_fields<'py>(class: &Bound<'py, PyType>, instances: &[Bound<'py, PyAny>]) -> PyResult<()> {
    if instances.is_empty() {
        return Ok(());
    }
    let fields = field_defaults(class)?;
    if fields.is_empty() {
        return Ok(());
    }
    let py = class.py();
    let object = py.import("builtins")?.getattr("object")?;
    let (getattribute, setattr) = (object.getattr("__getattribute__")?, object.getattr("__setattr__")?);
    for instance in instances {
        // Its own attributes: a class attribute (a dataclass default) is not the
        // instance's, which a fresh one would have.
        let own = getattribute.call1((instance, "__dict__")).ok().and_then(|d| d.cast_into::<PyDict>().ok());
        for (name, default) in &fields {
            let has = match &own {
                Some(own) => own.contains(name.as_str())?,
                None => getattribute.call1((instance, name.as_str())).is_ok(),
            };
            if has {
                continue;
            }
            let value = match default {
                FieldDefault::Value(value) => value.clone(),
                FieldDefault::Factory { factory, takes_self: true } => factory.call1((instance,))?,
                FieldDefault::Factory { factory, .. } => factory.call0()?,
            };
            setattr.call1((instance, name.as_str(), value))?;
        }
    }
    Ok(())
}

pub(crate) fn has_hook(class: &Bound<'_, PyType>) -> PyResult<bool> {
    let py = class.py();
    let found = py.import("inspect")?.getattr("getattr_static")?.call1((class, MIGRATE_HOOK, py.None()))?;
    Ok(!found.is_none())
}

/// Runs the class's migration hook for each instance that followed; reports
/// how many raised, with the first traceback.
pub(crate) fn run_hook<'py>(
    old: &Bound<'py, PyType>,
    new: &Bound<'py, PyType>,
    instances: &[Bound<'py, PyAny>],
) -> PyResult<Option<String>> {
    if instances.is_empty() || !has_hook(new)? {
        return Ok(None);
    }
    let py = new.py();
    let mut failed = 0;
    let mut first: Option<PyErr> = None;
    for instance in instances {
        if let Err(error) = instance.getattr(MIGRATE_HOOK).and_then(|hook| hook.call1((old,))) {
            failed += 1;
            first.get_or_insert(error);
        }
    }
    let Some(error) = first else { return Ok(None) };
    let traceback = py
        .import("traceback")?
        .call_method1("format_exception", (error.get_type(py), error.value(py), error.traceback(py)))?
        .extract::<Vec<String>>()?
        .concat();
    Ok(Some(format!(
        "{MIGRATE_HOOK} raised for {} of {} instances; the first:\n{}",
        thousands(failed),
        thousands(instances.len()),
        traceback.trim_end()
    )))
}

/// `1204` as `1,204`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
