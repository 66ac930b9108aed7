//! Telling code objects apart from other objects, cheaply.

use pyo3::prelude::*;
use pyo3::types::PyType;

/// Whether `object` is a code object.
pub fn is_code(object: &Bound<'_, PyAny>) -> PyResult<bool> {
    // A type check, not hasattr: walking constants meets many non-code objects,
    // and each failed hasattr builds an exception.
    static CODE_TYPE: pyo3::sync::PyOnceLock<Py<PyType>> = pyo3::sync::PyOnceLock::new();
    let py = object.py();
    // The type of a compiled code object, not types.CodeType: this runs in the
    // audit hook, possibly while the `types` module itself is being imported.
    let code_type = CODE_TYPE.get_or_try_init(py, || {
        let sample = py.import("builtins")?.getattr("compile")?.call1(("", "<jurigged>", "exec"))?;
        Ok::<_, PyErr>(sample.get_type().unbind())
    })?;
    Ok(object.get_type().is(code_type.bind(py)))
}
