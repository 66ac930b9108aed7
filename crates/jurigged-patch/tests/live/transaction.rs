//! A save applies whole or not at all: when any part of it fails (a statement
//! raises, a default cannot be evaluated, the text does not parse), the module
//! keeps every binding and every code object it had, and its CodeFile its text;
//! the next good save then applies.

use jurigged_patch::Error;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::support::{dedent, LiveFile};

const SOURCE: &str = r#"
    LIMIT = 3

    def f(x=1):
        "f doc"
        return x

    def g():
        return "g1"

    class A:
        def m(self):
            return "m1"

        @property
        def p(self):
            return "p1"
"#;

/// A save that changes every definition of SOURCE and adds some, with `extra`
/// at the end.
fn changed_with(extra: &str) -> String {
    let text = dedent(SOURCE)
        .replace("LIMIT = 3", "LIMIT = 30")
        .replace("\"g1\"", "\"g2\"")
        .replace("\"m1\"", "\"m2\"")
        .replace("\"p1\"", "\"p2\"");
    format!("{text}\ndef added():\n    return 1\n\n{extra}")
}

/// What a module holds: each binding and, for functions and the functions of
/// classes, their code, defaults and docstring: the objects themselves, to
/// compare by identity.
fn state<'py>(namespace: &Bound<'py, PyDict>) -> Vec<(String, Vec<Bound<'py, PyAny>>)> {
    let mut out = Vec::new();
    for (key, value) in namespace.iter() {
        let mut held = vec![value.clone()];
        let mut functions = vec![value.clone()];
        if value.is_instance_of::<pyo3::types::PyType>() {
            functions.extend(
                value.getattr("__dict__").unwrap().call_method0("values").unwrap().try_iter().unwrap().map(|member| {
                    let member = member.unwrap();
                    member.getattr("fget").unwrap_or(member)
                }),
            );
        }
        for function in functions {
            if let Ok(code) = function.getattr("__code__") {
                held.extend([code, function.getattr("__defaults__").unwrap(), function.getattr("__doc__").unwrap()]);
            }
        }
        out.push((key.to_string(), held));
    }
    out
}

fn assert_same_state(before: &[(String, Vec<Bound<'_, PyAny>>)], after: &[(String, Vec<Bound<'_, PyAny>>)]) {
    let names = |state: &[(String, Vec<Bound<'_, PyAny>>)]| state.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(names(before), names(after), "the module's names changed");
    for ((name, old), (_, new)) in before.iter().zip(after) {
        let same = old.len() == new.len() && old.iter().zip(new).all(|(a, b)| a.is(b));
        assert!(same, "{name} changed");
    }
}

fn results(py: Python<'_>, file: &LiveFile) -> String {
    file.eval(py, "repr((LIMIT, f(), f.__doc__, g(), A().m(), A().p))").to_string()
}

/// Saves `bad`, which must fail, and checks the module and its CodeFile are as before.
fn refused(py: Python<'_>, file: &mut LiveFile, bad: &str) -> Error {
    let namespace = file.namespace(py);
    let before = state(&namespace);
    let (text, shown) = (file.codefile.text(), results(py, file));
    let error = file.save(py, bad).expect_err("the save must be refused");
    assert_same_state(&before, &state(&namespace));
    assert_eq!(file.codefile.text(), text);
    assert_eq!(results(py, file), shown);
    error
}

#[test]
fn a_save_whose_last_statement_raises_leaves_the_module_as_it_was() {
    Python::attach(|py| {
        let mut file = LiveFile::load(py, SOURCE);
        let error = refused(py, &mut file, &changed_with("boom = 1 / 0\n"));
        let Error::Python { error, .. } = error else { panic!("{error}") };
        assert!(error.is_instance_of::<pyo3::exceptions::PyZeroDivisionError>(py));
        assert!(!file.namespace(py).contains("added").unwrap());
    });
}

#[test]
fn a_save_whose_new_default_cannot_be_evaluated_leaves_the_module_as_it_was() {
    Python::attach(|py| {
        let mut file = LiveFile::load(py, SOURCE);
        let bad = changed_with("").replace("def f(x=1):", "def f(x=UNDEFINED_NAME):");
        let error = refused(py, &mut file, &bad);
        assert!(matches!(error, Error::Python { ref path, .. } if path.ends_with(".f")), "{error}");
    });
}

#[test]
fn a_save_that_does_not_parse_leaves_the_module_as_it_was() {
    Python::attach(|py| {
        let mut file = LiveFile::load(py, SOURCE);
        let error = refused(py, &mut file, &changed_with("def broken(:\n"));
        assert!(matches!(error, Error::Parse(_)), "{error}");
    });
}

#[test]
fn a_good_save_after_a_refused_one_applies_all_of_it_to_the_same_objects() {
    Python::attach(|py| {
        let mut file = LiveFile::load(py, SOURCE);
        let (f, g, a) = (file.eval(py, "f"), file.eval(py, "g"), file.eval(py, "A"));
        refused(py, &mut file, &changed_with("boom = 1 / 0\n"));
        let events = file.save(py, &changed_with("")).unwrap();
        let name = &file.name;
        assert_eq!(
            events,
            [
                format!("Run {name} @L1: LIMIT = 30"),
                format!("Update {name}.g @L7"),
                format!("Update {name}.A.m @L11"),
                format!("Update {name}.A.p @L14"),
                format!("Add {name}.added @L18"),
            ]
        );
        assert_eq!(results(py, &file), "(30, 1, 'f doc', 'g2', 'm2', 'p2')");
        // Functions and classes were changed in place, not replaced.
        assert!(file.eval(py, "f").is(&f) && file.eval(py, "g").is(&g) && file.eval(py, "A").is(&a));
        assert_eq!(file.eval(py, "added()").extract::<i64>().unwrap(), 1);
        assert_eq!(file.codefile.text(), changed_with(""));
    });
}
