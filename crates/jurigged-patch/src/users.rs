//! Who runs a code object, without scanning the heap when it can be known.
//!
//! Each heap scan tells which functions run the code objects it was asked about;
//! this index keeps weak references to them, under the new code they are given.
//! At the next save, a code object whose reference count is exactly what its
//! known holders account for (the registry, the code objects that contain it, the
//! known functions) has no other user: its users are known and the scan is
//! skipped. Any other holder (a closure made since, a running frame, a wrapper
//! with `__conform__`) makes the counts differ, and the heap is scanned.
//!
//! Code no scan has seen yet (the first save of a definition) is checked the
//! same way, the function bound where the definition lives taken as its known
//! user: in a large module, the first save of each function would otherwise
//! scan the heap (most of a one-function save's time, issue 26).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock};

use pyo3::prelude::*;

use crate::code_registry::{code_registry, is_code};
use jurigged_watch::sync::lock;

/// Beyond this many users of one code object, they are not remembered (weak
/// references cost memory); such code is found by a heap scan each time.
const MAX_REMEMBERED_USERS: usize = 100_000;

#[derive(Default)]
pub(crate) struct UserIndex {
    /// Weak references to the functions running each code object, by address.
    by_code: Mutex<HashMap<usize, Vec<Py<PyAny>>>>,
}

pub(crate) fn user_index() -> &'static UserIndex {
    static INDEX: OnceLock<UserIndex> = OnceLock::new();
    INDEX.get_or_init(UserIndex::default)
}

fn key(code: &Bound<'_, PyAny>) -> usize {
    code.as_ptr() as usize
}

impl UserIndex {
    fn lock(&self) -> MutexGuard<'_, HashMap<usize, Vec<Py<PyAny>>>> {
        lock(&self.by_code)
    }

    /// Remembers that `functions` run `code` (forgetting what ran it before).
    pub(crate) fn record(&self, code: &Bound<'_, PyAny>, functions: &[&Bound<'_, PyAny>]) -> PyResult<()> {
        if functions.len() > MAX_REMEMBERED_USERS {
            self.lock().remove(&key(code));
            return Ok(());
        }
        let weakref = code.py().import("weakref")?.getattr("ref")?;
        let refs = functions.iter().map(|f| weakref.call1((*f,)).map(Bound::unbind)).collect::<PyResult<Vec<_>>>()?;
        self.lock().insert(key(code), refs);
        Ok(())
    }

    /// Forgets `code` (it is no longer run by anything jurigged knows).
    pub(crate) fn forget(&self, code: &Bound<'_, PyAny>) {
        self.lock().remove(&key(code));
    }

    /// Every user of `code`, if the known ones are all of them; `held_here` is how
    /// many references the caller itself holds. The known ones are those the
    /// index remembers or, for code it has not seen (the first save of a
    /// definition), `bound`: the function bound at the definition's place
    /// (none: no user).
    /// Either way the reference count must add up, so a user we do not know
    /// of (a closure, a running frame, a copy) brings the heap scan back.
    pub(crate) fn complete_users<'py>(
        &self,
        counter: &RefCounter<'py>,
        code: &Bound<'py, PyAny>,
        held_here: isize,
        bound: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
        let py = code.py();
        // Cloned out: the weak references are called with no lock held.
        let remembered: Option<Vec<Py<PyAny>>> =
            self.lock().get(&key(code)).map(|refs| refs.iter().map(|r| r.clone_ref(py)).collect());
        let candidates = match (remembered, bound) {
            (Some(refs), _) => {
                let mut functions = Vec::with_capacity(refs.len());
                for weak in refs {
                    functions.push(weak.bind(py).call0()?);
                }
                functions
            }
            // Code no save has replaced yet: the bound function, or no user
            // at all (a nested closure's code none was made of yet).
            (None, bound) => bound.into_iter().cloned().collect(),
        };
        let mut alive = Vec::with_capacity(candidates.len());
        for function in candidates {
            if !function.is_none() && function.getattr("__code__")?.is(code) {
                alive.push(function);
            }
        }
        let expected = held_here + known_holders(code)? + alive.len() as isize;
        Ok((counter.count(code)? == expected).then_some(alive))
    }
}

/// Reference counts, as `sys.getrefcount` gives them less what the call adds.
pub(crate) struct RefCounter<'py> {
    getrefcount: Bound<'py, PyAny>,
    overhead: isize,
}

impl<'py> RefCounter<'py> {
    /// None where reference counts cannot be trusted to be exact: a free-threaded
    /// interpreter with the GIL disabled (biased and deferred reference counts,
    /// immortalized code objects) must fall back to the heap scan.
    pub(crate) fn new(py: Python<'py>) -> PyResult<Option<RefCounter<'py>>> {
        let sys = py.import("sys")?;
        if let Ok(is_gil_enabled) = sys.getattr("_is_gil_enabled") {
            if !is_gil_enabled.call0()?.is_truthy()? {
                return Ok(None);
            }
        }
        let getrefcount = sys.getattr("getrefcount")?;
        // Calibrated on a fresh object held once, through the same call path.
        let probe = pyo3::types::PyList::empty(py);
        let overhead = getrefcount.call1((&probe,))?.extract::<isize>()? - 1;
        Ok(Some(RefCounter { getrefcount, overhead }))
    }

    fn count(&self, object: &Bound<'py, PyAny>) -> PyResult<isize> {
        Ok(self.getrefcount.call1((object,))?.extract::<isize>()? - self.overhead)
    }
}

/// References to `code` held by the registry: its own entry, and the code objects
/// recorded there that contain it in their constants.
fn known_holders(code: &Bound<'_, PyAny>) -> PyResult<isize> {
    let registry = code_registry();
    let Some(path) = registry.path_of(code) else { return Ok(0) };
    let mut holders = 1;
    if let Some((parent, _)) = path.rsplit_once('.') {
        for parent_code in registry.at_path(code, parent)? {
            for constant in parent_code.getattr("co_consts")?.try_iter()? {
                let constant = constant?;
                if is_code(&constant)? && constant.is(code) {
                    holders += 1;
                }
            }
        }
    }
    Ok(holders)
}
