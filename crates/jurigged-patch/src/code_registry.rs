//! The code registry ("codefind"): the live code objects of each file, by dotted
//! path (relative to the module) and first line.
//!
//! It learns code two ways: from what is alive in a module's namespace
//! (functions, methods, properties, wrappers), and from each module body as it is
//! executed (an audit hook on `exec`), which also finds functions that nothing in
//! the namespace leads to, such as those hidden by a decorator.

pub use crate::code_type::is_code;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use jurigged_watch::sync::lock;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyTuple, PyType};

/// One live code object.
#[derive(Debug)]
pub struct CodeEntry {
    /// Dotted path inside the module (`Class.method`, `outer.inner`).
    pub path: String,
    /// `co_firstlineno`.
    pub first_line: u32,
    /// The code object.
    pub code: Py<PyAny>,
}

/// The code objects of one file, indexed by path and by identity.
#[derive(Default)]
struct FileCodes {
    /// Ordered, so that what stands below a path (`path.` and on) is one range:
    /// forgetting a definition costs its own entries, not the whole file's.
    by_path: BTreeMap<String, Vec<CodeEntry>>,
    /// Path of each recorded code object, by the object's address (the registry
    /// keeps the objects alive, so addresses are stable).
    by_code: HashMap<usize, String>,
}

impl FileCodes {
    /// Records a code object. Several may stand at one path and first line (the
    /// versions a function had, still run by references kept from before the
    /// registry knew of them): a change there is given to each of them.
    fn insert(&mut self, entry: CodeEntry) {
        let at_path = self.by_path.entry(entry.path.clone()).or_default();
        if at_path.iter().any(|e| e.code.as_ptr() == entry.code.as_ptr()) {
            return;
        }
        self.by_code.insert(entry.code.as_ptr() as usize, entry.path.clone());
        at_path.push(entry);
    }

    fn entries(&self) -> impl Iterator<Item = &CodeEntry> {
        self.by_path.values().flatten()
    }
}

/// The code objects of every file the registry knows.
#[derive(Default)]
pub struct CodeRegistry {
    files: Mutex<HashMap<PathBuf, FileCodes>>,
    /// Module bodies under these directories (or these files) are learned as they
    /// are executed.
    learn_under: Mutex<Vec<PathBuf>>,
    heap_scans: AtomicUsize,
}

/// The process-wide code registry.
pub fn code_registry() -> &'static CodeRegistry {
    static REGISTRY: OnceLock<CodeRegistry> = OnceLock::new();
    REGISTRY.get_or_init(CodeRegistry::default)
}

impl CodeRegistry {
    fn files(&self) -> MutexGuard<'_, HashMap<PathBuf, FileCodes>> {
        lock(&self.files)
    }

    /// How many times the heap was scanned for the users of code objects.
    pub fn heap_scans(&self) -> usize {
        self.heap_scans.load(Ordering::Relaxed)
    }

    pub(crate) fn count_heap_scan(&self) {
        self.heap_scans.fetch_add(1, Ordering::Relaxed);
    }

    /// Learns the module bodies executed from now on from files under `path`.
    pub fn learn_under(&self, path: impl Into<PathBuf>) {
        let path = path.into();
        let mut dirs = lock(&self.learn_under);
        if !dirs.contains(&path) {
            dirs.push(path);
        }
    }

    fn should_learn(&self, filename: &Path) -> bool {
        let dirs = lock(&self.learn_under);
        dirs.iter().any(|dir| filename.starts_with(dir))
    }

    /// The code object at `path` whose first line is `first_line`; failing that,
    /// the only one at `path`.
    pub fn find<'py>(
        &self,
        py: Python<'py>,
        filename: &Path,
        path: &str,
        first_line: u32,
    ) -> Option<Bound<'py, PyAny>> {
        let files = self.files();
        let entries = files.get(filename)?.by_path.get(path)?;
        let mut at_path = entries.iter();
        if let Some(exact) = at_path.clone().rfind(|e| e.first_line == first_line) {
            return Some(exact.code.bind(py).clone());
        }
        match (at_path.next(), at_path.next()) {
            (Some(only), None) => Some(only.code.bind(py).clone()),
            (None, _) => None,
            // Several: a wrapper made by a decorator of the same file can carry
            // the name it wraps; the code named like the path is the one.
            _ => {
                let name = path.rsplit('.').next().unwrap_or(path);
                let mut named = entries.iter().filter(|e| {
                    e.code.bind(py).getattr("co_name").and_then(|n| n.extract::<String>()).is_ok_and(|n| n == name)
                });
                match (named.next(), named.next()) {
                    (Some(only), None) => Some(only.code.bind(py).clone()),
                    _ => None,
                }
            }
        }
    }

    /// Every code object at `path` whose first line is `first_line`, newest
    /// first; failing that, unless `exact` (several definitions share the path:
    /// another one's code would be wrong), the one [`CodeRegistry::find`] finds.
    pub fn find_all_at<'py>(
        &self,
        py: Python<'py>,
        filename: &Path,
        path: &str,
        first_line: u32,
        exact: bool,
    ) -> Vec<Bound<'py, PyAny>> {
        let found: Vec<Bound<'py, PyAny>> = {
            let files = self.files();
            let entries = files.get(filename).and_then(|codes| codes.by_path.get(path));
            entries
                .map(|entries| {
                    entries
                        .iter()
                        .rev()
                        .filter(|e| e.first_line == first_line)
                        .map(|e| e.code.bind(py).clone())
                        .collect()
                })
                .unwrap_or_default()
        };
        if !found.is_empty() {
            return found;
        }
        if exact {
            return Vec::new();
        }
        self.find(py, filename, path, first_line).into_iter().collect()
    }

    /// The code objects recorded at `path` in the file of `like`.
    pub(crate) fn at_path<'py>(&self, like: &Bound<'py, PyAny>, path: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let filename = like.getattr("co_filename")?.extract::<PathBuf>()?;
        let files = self.files();
        Ok(files
            .get(&filename)
            .and_then(|codes| codes.by_path.get(path))
            .map(|entries| entries.iter().map(|e| e.code.bind(like.py()).clone()).collect())
            .unwrap_or_default())
    }

    /// The path (relative to its module) at which `code` is recorded.
    pub fn path_of(&self, code: &Bound<'_, PyAny>) -> Option<String> {
        let filename = code.getattr("co_filename").ok()?.extract::<PathBuf>().ok()?;
        self.files().get(&filename)?.by_code.get(&(code.as_ptr() as usize)).cloned()
    }

    /// Every code object of `filename` whose first line is in `lines`, with its
    /// path, outermost first.
    pub fn in_lines<'py>(
        &self,
        py: Python<'py>,
        filename: &Path,
        lines: std::ops::RangeInclusive<u32>,
    ) -> Vec<(String, Bound<'py, PyAny>)> {
        let files = self.files();
        let Some(entries) = files.get(filename) else { return Vec::new() };
        let mut found: Vec<(String, Bound<'py, PyAny>)> = entries
            .entries()
            .filter(|e| lines.contains(&e.first_line))
            .map(|e| (e.path.clone(), e.code.bind(py).clone()))
            .collect();
        found.sort_by_key(|(path, _)| path.matches('.').count());
        found
    }

    /// Whether anything is known about `filename`.
    pub fn knows(&self, filename: &Path) -> bool {
        self.files().get(filename).is_some_and(|e| !e.by_path.is_empty())
    }

    /// Records `code` (and the code nested in it) as living at `path`.
    pub fn add_code(&self, code: &Bound<'_, PyAny>, path: &str) -> PyResult<()> {
        let mut found = Vec::new();
        collect_code_tree(code, path, &mut found)?;
        let filename = code.getattr("co_filename")?.extract::<PathBuf>()?;
        let mut files = self.files();
        let entries = files.entry(filename).or_default();
        for entry in found {
            entries.insert(entry);
        }
        Ok(())
    }

    /// Records the code of a module body: everything nested in it, with paths
    /// relative to the module.
    pub fn add_module_code(&self, code: &Bound<'_, PyAny>) -> PyResult<()> {
        for constant in code.getattr("co_consts")?.try_iter()? {
            let constant = constant?;
            if is_code(&constant)? {
                let name: String = constant.getattr("co_name")?.extract()?;
                self.add_code(&constant, &name)?;
            }
        }
        Ok(())
    }

    /// Replaces `old` by `new` wherever it is recorded, under a new first line.
    pub(crate) fn replace(&self, old: &Bound<'_, PyAny>, new: &Bound<'_, PyAny>) -> PyResult<()> {
        let first_line: u32 = new.getattr("co_firstlineno")?.extract()?;
        let filename = old.getattr("co_filename")?.extract::<PathBuf>()?;
        let mut files = self.files();
        let Some(codes) = files.get_mut(&filename) else { return Ok(()) };
        let Some(path) = codes.by_code.remove(&(old.as_ptr() as usize)) else { return Ok(()) };
        if let Some(entries) = codes.by_path.get_mut(&path) {
            let new_was_there = entries.iter().any(|e| e.code.as_ptr() == new.as_ptr());
            for entry in entries.iter_mut().filter(|e| e.code.as_ptr() == old.as_ptr()) {
                entry.code = new.clone().unbind();
                entry.first_line = first_line;
            }
            // Several old versions given the same new code are one entry now
            // (only then: many codes share a path, `<lambda>`, and hashing them
            // all at each replace made a save of many lines quadratic).
            if new_was_there {
                let mut seen = HashSet::new();
                entries.retain(|e| seen.insert(e.code.as_ptr() as usize));
            }
        }
        codes.by_code.insert(new.as_ptr() as usize, path);
        Ok(())
    }

    /// Forgets what is recorded at `path` or below it.
    pub(crate) fn forget(&self, filename: &Path, path: &str) {
        if let Some(codes) = self.files().get_mut(filename) {
            use std::ops::Bound::{Included, Unbounded};
            let below = format!("{path}.");
            let nested = codes.by_path.range::<str, _>((Included(below.as_str()), Unbounded));
            let gone: Vec<String> = nested
                .map(|(key, _)| key)
                .take_while(|key| key.starts_with(&below))
                .chain(codes.by_path.get_key_value(path).map(|(key, _)| key))
                .cloned()
                .collect();
            for key in gone {
                for entry in codes.by_path.remove(&key).unwrap_or_default() {
                    codes.by_code.remove(&(entry.code.as_ptr() as usize));
                }
            }
        }
    }

    /// Learns the code of every function alive in the process that was compiled
    /// from `filename` (one heap scan): what the namespace does not lead to.
    pub fn learn_from_heap(&self, py: Python<'_>, filename: &Path) -> PyResult<()> {
        self.count_heap_scan();
        let function_type = py.import("types")?.getattr("FunctionType")?;
        let objects = py.import("gc")?.call_method0("get_objects")?;
        let mut found = Vec::new();
        for object in objects.try_iter()? {
            let object = object?;
            if object.get_type().is(&function_type) && defined_in(&object.getattr("__code__")?, filename)? {
                found.push(object);
            }
        }
        self.add_functions(found)
    }

    /// Records the code of each function under its [`qualified_path`].
    fn add_functions(&self, functions: Vec<Bound<'_, PyAny>>) -> PyResult<()> {
        for function in functions {
            if let Some(path) = qualified_path(&function)? {
                self.add_code(&function.getattr("__code__")?, &path)?;
            }
        }
        Ok(())
    }

    /// Learns the code of everything alive in a module's namespace that was defined
    /// in `filename`.
    pub fn learn_namespace(&self, namespace: &Bound<'_, PyDict>, filename: &Path) -> PyResult<()> {
        let kinds = Kinds::new(namespace.py())?;
        let mut seen = HashSet::new();
        let mut functions = Vec::new();
        for value in namespace.values() {
            collect_functions(&kinds, &value, filename, 0, &mut seen, &mut functions)?;
        }
        self.add_functions(functions)
    }
}

/// The path a function's code is recorded at: its qualified name without
/// `<locals>`. The code's own qualified name is exact; before 3.11 only the
/// function's (which a decorator may have copied) is there. None for a function
/// running a renamed copy of another's code (`f.__code__.replace(co_name="g")`):
/// its qualified name still says `f`, and the edits of `f` are not its.
pub(crate) fn qualified_path(function: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let code = function.getattr("__code__")?;
    let qualname: String = match code.getattr("co_qualname") {
        Ok(name) => name.extract()?,
        Err(_) => function.getattr("__qualname__")?.extract()?,
    };
    let name: String = code.getattr("co_name")?.extract()?;
    if qualname.rsplit('.').next() != Some(name.as_str()) {
        return Ok(None);
    }
    Ok(Some(qualname.replace(".<locals>", "")))
}

/// The functions compiled from `filename` that `class` (a class) holds:
/// methods, class and static methods, property accessors, nested classes'.
pub(crate) fn functions_of_class<'py>(class: &Bound<'py, PyAny>, filename: &Path) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let kinds = Kinds::new(class.py())?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    collect_functions(&kinds, class, filename, 0, &mut seen, &mut out)?;
    Ok(out)
}

/// Collects `code` and its nested code objects with their paths.
fn collect_code_tree(code: &Bound<'_, PyAny>, path: &str, out: &mut Vec<CodeEntry>) -> PyResult<()> {
    out.push(CodeEntry {
        path: path.to_string(),
        first_line: code.getattr("co_firstlineno")?.extract()?,
        code: code.clone().unbind(),
    });
    for constant in code.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        if is_code(&constant)? {
            let name: String = constant.getattr("co_name")?.extract()?;
            collect_code_tree(&constant, &format!("{path}.{name}"), out)?;
        }
    }
    Ok(())
}

const MAX_UNWRAP_DEPTH: usize = 8;

/// The types a scan looks into, each read through its own C-level attributes
/// so that no user code runs (a lazy module's `__getattr__` may import, or
/// raise).
struct Kinds<'py> {
    function: Bound<'py, PyAny>,
    method: Bound<'py, PyAny>,
    classmethod: Bound<'py, PyAny>,
    staticmethod: Bound<'py, PyAny>,
    property: Bound<'py, PyAny>,
    partial: Bound<'py, PyAny>,
    getattr_static: Bound<'py, PyAny>,
    modules: Bound<'py, PyAny>,
}

impl<'py> Kinds<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        let builtins = py.import("builtins")?;
        let types = py.import("types")?;
        Ok(Kinds {
            function: types.getattr("FunctionType")?,
            method: types.getattr("MethodType")?,
            classmethod: builtins.getattr("classmethod")?,
            staticmethod: builtins.getattr("staticmethod")?,
            property: builtins.getattr("property")?,
            partial: py.import("functools")?.getattr("partial")?,
            getattr_static: py.import("inspect")?.getattr("getattr_static")?,
            modules: py.import("sys")?.getattr("modules")?,
        })
    }

    fn is_function(&self, object: &Bound<'py, PyAny>) -> bool {
        object.get_type().is(&self.function)
    }

    /// Reads `attribute` of `object` through the descriptor of `base`, a builtin
    /// type `object` is an instance of: a subclass's override does not run.
    fn read(base: &Bound<'py, PyAny>, attribute: &str, object: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
        let descriptor = base.getattr(attribute).ok()?;
        descriptor.call_method1("__get__", (object, base)).ok().filter(|v| !v.is_none())
    }

    /// What `object` may hide a function behind: a decorator's wrapper, a
    /// method, a property, a partial, a closure.
    fn inner_objects(&self, object: &Bound<'py, PyAny>) -> Vec<Bound<'py, PyAny>> {
        let mut inner = Vec::new();
        let kind = object.get_type();
        if object.cast::<PyModule>().is_ok() {
            return inner;
        }
        if self.is_function(object) {
            if let Ok(dict) = object.getattr("__dict__").and_then(|d| d.cast_into::<PyDict>().map_err(PyErr::from)) {
                inner.extend(dict.get_item("__wrapped__").ok().flatten());
            }
            if let Ok(cells) = object.getattr("__closure__").and_then(|c| c.cast_into::<PyTuple>().map_err(PyErr::from))
            {
                // An empty cell raises: it holds nothing.
                inner.extend(cells.iter().filter_map(|cell| cell.getattr("cell_contents").ok()));
            }
            return inner;
        }
        let is = |base: &Bound<'py, PyAny>| kind.is(base) || kind.is_subclass(base).unwrap_or(false);
        if kind.is(&self.method) {
            inner.extend(Self::read(&self.method, "__func__", object));
        } else if is(&self.classmethod) {
            inner.extend(Self::read(&self.classmethod, "__func__", object));
        } else if is(&self.staticmethod) {
            inner.extend(Self::read(&self.staticmethod, "__func__", object));
        } else if is(&self.property) {
            for accessor in ["fget", "fset", "fdel"] {
                inner.extend(Self::read(&self.property, accessor, object));
            }
        } else if is(&self.partial) {
            inner.extend(Self::read(&self.partial, "func", object));
        } else if object.is_callable() || kind.getattr("__get__").is_ok() {
            // A wrapper object (lru_cache, a user's decorator class, a
            // descriptor): only what its own namespace says, read statically.
            for attribute in ["__wrapped__", "__func__", "func"] {
                if let Ok(value) = self.getattr_static.call1((object, attribute, object.py().None())) {
                    if !value.is_none() && (self.is_function(&value) || value.is_callable()) {
                        inner.push(value);
                    }
                }
            }
        }
        inner
    }

    /// The file of the module a class says it was defined in, read from the
    /// namespaces of the class and the module.
    fn class_file(&self, namespace: &Bound<'py, PyDict>) -> Option<String> {
        let module = namespace.get_item("__module__").ok()??;
        let module = self.modules.get_item(module).ok()?.cast_into::<PyModule>().ok()?;
        module.dict().get_item("__file__").ok()??.extract().ok()
    }
}

fn already_seen(object: &Bound<'_, PyAny>, seen: &mut HashSet<usize>) -> bool {
    !seen.insert(object.as_ptr() as usize)
}

fn defined_in(code: &Bound<'_, PyAny>, filename: &Path) -> PyResult<bool> {
    Ok(code.getattr("co_filename")?.extract::<PathBuf>()? == filename)
}

/// Functions reachable from `object` whose code was compiled from `filename`.
fn collect_functions<'py>(
    kinds: &Kinds<'py>,
    object: &Bound<'py, PyAny>,
    filename: &Path,
    depth: usize,
    seen: &mut HashSet<usize>,
    out: &mut Vec<Bound<'py, PyAny>>,
) -> PyResult<()> {
    if depth > MAX_UNWRAP_DEPTH || already_seen(object, seen) {
        return Ok(());
    }
    if let Ok(class) = object.cast::<PyType>() {
        // A class defined in this file: its methods and nested classes.
        let Ok(namespace) = crate::scope::class_dict(class) else { return Ok(()) };
        if kinds.class_file(&namespace).as_deref().map(Path::new) != Some(filename) {
            return Ok(());
        }
        for value in namespace.values() {
            collect_functions(kinds, &value, filename, depth + 1, seen, out)?;
        }
        return Ok(());
    }
    if kinds.is_function(object) && defined_in(&object.getattr("__code__")?, filename)? {
        out.push(object.clone());
    }
    for inner in kinds.inner_objects(object) {
        collect_functions(kinds, &inner, filename, depth + 1, seen, out)?;
    }
    Ok(())
}

/// `sys.addaudithook` callback: learns module bodies as they are executed. It
/// never raises: an exception from an audit hook would abort the audited
/// operation (here, an import of the user's program), so even a panic of ours
/// is caught here and the code object is left unlearned.
#[jurigged_entry::py_entry]
#[pyfunction]
#[pyo3(name = "_jurigged_audit_hook")]
fn audit_hook(event: &str, args: &Bound<'_, PyAny>) {
    if event == "exec" {
        let _ = crate::boundary::guard(|| learn_executed(args));
    }
}

thread_local! {
    /// The file this thread applies a save to, while it does: the code it runs
    /// from that file is the patcher's own (snippets compiled with the file's
    /// name), which the audit hook must not take for the module's code.
    static PATCHING: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}

/// Marks the current thread as applying a save to a file until dropped.
pub(crate) struct PatchingGuard {
    was: Option<PathBuf>,
}

impl PatchingGuard {
    pub(crate) fn enter(filename: &Path) -> PatchingGuard {
        PatchingGuard { was: PATCHING.with(|p| p.replace(Some(filename.to_path_buf()))) }
    }
}

impl Drop for PatchingGuard {
    fn drop(&mut self) {
        let was = self.was.take();
        PATCHING.with(|p| *p.borrow_mut() = was);
    }
}

fn learn_executed(args: &Bound<'_, PyAny>) -> PyResult<()> {
    let Ok(code) = args.get_item(0) else { return Ok(()) };
    if !is_code(&code)? {
        return Ok(());
    }
    let filename: PathBuf = code.getattr("co_filename")?.extract()?;
    if PATCHING.with(|p| p.borrow().as_deref() == Some(filename.as_path())) {
        return Ok(());
    }
    let registry = code_registry();
    if registry.should_learn(&filename) {
        registry.add_module_code(&code)?;
    }
    Ok(())
}

/// Installs the audit hook once per process (audit hooks cannot be removed).
pub fn install_audit_hook(py: Python<'_>) -> PyResult<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let hook = wrap_pyfunction!(audit_hook, py)?;
    py.import("sys")?.call_method1("addaudithook", (hook,))?;
    let _ = INSTALLED.set(());
    Ok(())
}
