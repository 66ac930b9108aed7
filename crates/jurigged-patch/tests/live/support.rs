//! A real module for each test: its source written to a fresh directory,
//! imported by the embedded interpreter, and a [`CodeFile`] bound to it.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use jurigged_patch::{CodeFile, Event, Result};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// An imported module of a file of its own, and its CodeFile. The directory is
/// removed and the module forgotten when it is dropped.
pub struct LiveFile {
    dir: PathBuf,
    pub path: PathBuf,
    pub name: String,
    pub codefile: CodeFile,
    namespace: Py<PyDict>,
}

impl LiveFile {
    /// Writes `source` (dedented) as a new module, imports it and binds a CodeFile to it.
    pub fn load(py: Python<'_>, source: &str) -> LiveFile {
        LiveFile::load_with(py, source, |_| {})
    }

    /// Like [`LiveFile::load`], calling `before_import` with the file's path
    /// once it is written, before the module is imported.
    pub fn load_with(py: Python<'_>, source: &str, before_import: impl FnOnce(&Path)) -> LiveFile {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("live_module_{id}");
        let dir = std::env::temp_dir().join(format!("jurigged-patch-tests-{}-{id}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.py"));
        std::fs::write(&path, dedent(source)).unwrap();
        before_import(&path);
        let sys_path = py.import("sys").unwrap().getattr("path").unwrap().cast_into::<PyList>().unwrap();
        sys_path.insert(0, dir.to_string_lossy()).unwrap();
        let module = py.import(name.as_str()).unwrap();
        let namespace = module.dict().unbind();
        let mut codefile = CodeFile::new(&path, &name, None).unwrap();
        codefile.associate(namespace.clone_ref(py));
        LiveFile { dir, path, name, codefile, namespace }
    }

    pub fn namespace<'py>(&self, py: Python<'py>) -> Bound<'py, PyDict> {
        self.namespace.bind(py).clone()
    }

    /// Evaluates the Python expression `expression` in the module.
    pub fn eval<'py>(&self, py: Python<'py>, expression: &str) -> Bound<'py, PyAny> {
        let code = CString::new(expression).unwrap();
        py.eval(&code, Some(&self.namespace(py)), None).unwrap_or_else(|e| panic!("{expression}: {e}"))
    }

    /// Saves `source` (dedented) to the file and applies it, as a save seen by
    /// the watcher is.
    pub fn save(&mut self, py: Python<'_>, source: &str) -> Result<Vec<String>> {
        std::fs::write(&self.path, dedent(source)).unwrap();
        self.codefile.refresh(py).map(|events| events.iter().map(Event::to_string).collect())
    }
}

impl Drop for LiveFile {
    fn drop(&mut self) {
        Python::attach(|py| {
            if let Ok(modules) = py.import("sys").and_then(|sys| sys.getattr("modules")) {
                let _ = modules.del_item(self.name.as_str());
            }
            if let Ok(path) = py.import("sys").and_then(|sys| sys.getattr("path")) {
                let _ = path.call_method1("remove", (self.dir.to_string_lossy(),));
            }
        });
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `text` without the indentation its non-blank lines share, and without its
/// first line if blank (sources are written as indented raw strings).
pub fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let margin = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    text.lines().map(|l| format!("{}\n", l.get(margin..).unwrap_or(""))).collect()
}
