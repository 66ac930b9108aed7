//! `conform`: a live function takes new code in place, so that every reference
//! to it, old ones included, runs the new code.

use jurigged_patch::{conform, Error};
use pyo3::prelude::*;

use crate::support::LiveFile;

const SOURCE: &str = r#"
    def f(x, y=2) -> int:
        "old doc"
        return x + y

    def replacement(x, y=10) -> str:
        "new doc"
        return x * y

    kept = [f]
    bound = {"f": f}
"#;

#[test]
fn a_function_takes_new_code_and_references_kept_from_before_run_it() {
    Python::attach(|py| {
        let file = LiveFile::load(py, SOURCE);
        let f = file.eval(py, "f");
        conform(&f, &file.eval(py, "replacement")).unwrap();
        // The same function object, reached three ways, now runs the new body.
        assert!(file.eval(py, "f").is(&f));
        assert_eq!(file.eval(py, "f(3)").extract::<i64>().unwrap(), 30);
        assert_eq!(file.eval(py, "kept[0](3, 3)").extract::<i64>().unwrap(), 9);
        assert_eq!(file.eval(py, "bound['f'](4)").extract::<i64>().unwrap(), 40);
        assert!(file.eval(py, "f.__code__ is replacement.__code__").is_truthy().unwrap());
    });
}

#[test]
fn a_function_takes_the_defaults_docstring_and_annotations_of_the_new_one() {
    Python::attach(|py| {
        let file = LiveFile::load(py, SOURCE);
        conform(&file.eval(py, "f"), &file.eval(py, "replacement")).unwrap();
        assert_eq!(file.eval(py, "f.__defaults__").extract::<(i64,)>().unwrap(), (10,));
        assert_eq!(file.eval(py, "f.__doc__").extract::<String>().unwrap(), "new doc");
        assert!(file.eval(py, "f.__annotations__ == {'return': str}").is_truthy().unwrap());
        // Its identity stays: the name it was defined under and its module.
        assert_eq!(file.eval(py, "f.__name__").extract::<String>().unwrap(), "f");
    });
}

#[test]
fn a_bare_code_object_changes_the_code_and_nothing_else() {
    Python::attach(|py| {
        let file = LiveFile::load(py, SOURCE);
        conform(&file.eval(py, "f"), &file.eval(py, "replacement.__code__")).unwrap();
        assert_eq!(file.eval(py, "f(3)").extract::<i64>().unwrap(), 6, "3 * the old default 2");
        assert_eq!(file.eval(py, "f.__doc__").extract::<String>().unwrap(), "old doc");
        assert!(file.eval(py, "f.__annotations__ == {'return': int}").is_truthy().unwrap());
    });
}

#[test]
fn code_with_other_free_variables_is_refused_and_the_function_keeps_its_code() {
    Python::attach(|py| {
        let file = LiveFile::load(
            py,
            r#"
            def outer():
                a = 1
                def inner():
                    return a
                return inner

            def other():
                b = 2
                def inner():
                    return b
                return inner

            closure = outer()
            code_before = closure.__code__
            "#,
        );
        let error = conform(&file.eval(py, "closure"), &file.eval(py, "other()")).unwrap_err();
        assert!(matches!(error, Error::Conform { .. }), "{error}");
        assert!(file.eval(py, "closure.__code__ is code_before").is_truthy().unwrap());
        assert_eq!(file.eval(py, "closure()").extract::<i64>().unwrap(), 1);
    });
}

#[test]
fn an_object_with_conform_is_told_the_new_code() {
    Python::attach(|py| {
        let file = LiveFile::load(
            py,
            r#"
            class Listener:
                def __init__(self):
                    self.told = []

                def __conform__(self, new):
                    self.told.append(new)

            def g():
                return 1

            listener = Listener()
            "#,
        );
        conform(&file.eval(py, "listener"), &file.eval(py, "g.__code__")).unwrap();
        assert!(file.eval(py, "listener.told == [g.__code__]").is_truthy().unwrap());
    });
}
