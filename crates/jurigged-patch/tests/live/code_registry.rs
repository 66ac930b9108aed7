//! The code registry: once a module is known to it, each function's code object
//! is found by the file, its dotted path in the module and its first line.

use jurigged_patch::code_registry::{code_registry, install_audit_hook};
use pyo3::prelude::*;

use crate::support::LiveFile;

const NESTED: &str = r#"
    def f():
        return 1

    class A:
        def m(self):
            return 2

        class B:
            def n(self):
                return 3

    def make():
        def inner():
            return 4
        return inner

    made = make()
"#;

/// The paths and code names `found` holds, in order.
fn paths(found: &[(String, Bound<'_, PyAny>)]) -> Vec<(String, String)> {
    found.iter().map(|(path, code)| (path.clone(), code.getattr("co_name").unwrap().extract().unwrap())).collect()
}

#[test]
fn functions_methods_and_closures_of_a_learned_namespace_are_found_by_path_and_line() {
    Python::attach(|py| {
        let file = LiveFile::load(py, NESTED);
        assert!(!code_registry().knows(&file.path));
        code_registry().learn_namespace(&file.namespace(py), &file.path).unwrap();
        assert!(code_registry().knows(&file.path));
        let find = |path: &str, line: u32| code_registry().find(py, &file.path, path, line);
        assert!(find("f", 1).unwrap().is(file.eval(py, "f.__code__")));
        assert!(find("A.m", 5).unwrap().is(file.eval(py, "A.m.__code__")));
        assert!(find("A.B.n", 9).unwrap().is(file.eval(py, "A.B.n.__code__")));
        // The closure's code is found through the code of the function making it.
        assert!(find("make.inner", 13).unwrap().is(file.eval(py, "made.__code__")));
        assert!(find("nowhere", 1).is_none());
        assert_eq!(code_registry().path_of(&file.eval(py, "A.B.n.__code__")).as_deref(), Some("A.B.n"));
    });
}

#[test]
fn the_code_whose_first_line_is_in_a_range_is_listed_outermost_first() {
    Python::attach(|py| {
        let file = LiveFile::load(py, NESTED);
        code_registry().learn_namespace(&file.namespace(py), &file.path).unwrap();
        let found = code_registry().in_lines(py, &file.path, 4..=9);
        assert_eq!(paths(&found), [("A.m".into(), "m".into()), ("A.B.n".into(), "n".into())]);
        let found = code_registry().in_lines(py, &file.path, 12..=13);
        assert_eq!(paths(&found), [("make".into(), "make".into()), ("make.inner".into(), "inner".into())]);
    });
}

const HIDDEN: &str = r#"
    def hide(fn):
        return None

    @hide
    def hidden():
        return "hidden"
"#;

#[test]
fn a_function_its_decorator_hides_is_learned_while_the_module_body_runs() {
    Python::attach(|py| {
        install_audit_hook(py).unwrap();
        let file = LiveFile::load_with(py, HIDDEN, |path| code_registry().learn_under(path));
        code_registry().learn_namespace(&file.namespace(py), &file.path).unwrap();
        let code = code_registry().find(py, &file.path, "hidden", 4).expect("learned from the module body");
        assert_eq!(code.getattr("co_name").unwrap().extract::<String>().unwrap(), "hidden");
        assert!(file.eval(py, "hidden is None").is_truthy().unwrap());
    });
}

#[test]
fn a_function_its_decorator_hides_is_not_in_the_namespace_alone() {
    Python::attach(|py| {
        install_audit_hook(py).unwrap();
        // Not under learn_under: only the namespace teaches the registry.
        let file = LiveFile::load(py, HIDDEN);
        code_registry().learn_namespace(&file.namespace(py), &file.path).unwrap();
        assert!(code_registry().find(py, &file.path, "hidden", 4).is_none());
        assert!(code_registry().find(py, &file.path, "hide", 1).is_some());
    });
}

#[test]
fn after_lines_are_inserted_above_a_function_it_is_found_at_its_new_line() {
    Python::attach(|py| {
        let mut file = LiveFile::load(py, NESTED);
        code_registry().learn_namespace(&file.namespace(py), &file.path).unwrap();
        let method = file.eval(py, "A.m");
        let events = file.save(py, &format!("# one\n# two\n{}", crate::support::dedent(NESTED))).unwrap();
        assert!(events.is_empty(), "moving code is not an event: {events:?}");
        let code = code_registry().find(py, &file.path, "A.m", 7).expect("found at its new first line");
        assert!(code.is(method.getattr("__code__").unwrap()));
        assert_eq!(code.getattr("co_firstlineno").unwrap().extract::<u32>().unwrap(), 7);
        assert_eq!(code_registry().in_lines(py, &file.path, 5..=5).len(), 0, "nothing is left at the old line");
    });
}
