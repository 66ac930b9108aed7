//! Who holds some code objects, found in one pass over the heap: the functions
//! that run them and the objects with `__conform__` that keep them in a slot;
//! and, in the same pass, the instances of some classes (classes a save makes
//! again: an instance refers to its class).
//!
//! `gc.get_referrers(*codes)` compares each reference of each heap object with
//! every code asked about, so a save of many definitions made it quadratic (a
//! heap of n functions times n codes). For a few codes it is the fastest scan
//! (all in C); past [`FEW_CODES`], one walk over `gc.get_objects()` looks each
//! function's code up by address instead.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple, PyType};

/// Up to this many codes, `gc.get_referrers` is used.
const FEW_CODES: usize = 32;

/// What the heap holds of `codes`: (holder, index into `codes`) for functions
/// running one of them, and for `__conform__` objects holding one.
pub(crate) struct Holders<'py> {
    pub(crate) functions: Vec<(Bound<'py, PyAny>, usize)>,
    pub(crate) conformers: Vec<(Bound<'py, PyAny>, usize)>,
    /// One list per class asked about: its direct instances.
    pub(crate) instances: Vec<Vec<Bound<'py, PyAny>>>,
}

/// One scan of the heap for the holders of `codes` and the instances of `classes`.
pub(crate) fn scan_heap<'py>(
    py: Python<'py>,
    codes: &[&Bound<'py, PyAny>],
    classes: &[Bound<'py, PyType>],
) -> PyResult<Holders<'py>> {
    let gc = py.import("gc")?;
    // By address, the first index of each: one lookup per object, not one pass
    // over the codes.
    let positions: HashMap<usize, usize> =
        codes.iter().enumerate().rev().map(|(index, code)| (code.as_ptr() as usize, index)).collect();
    let class_index: HashMap<usize, usize> =
        classes.iter().enumerate().map(|(index, class)| (class.as_ptr() as usize, index)).collect();
    let candidates = if codes.len() + classes.len() <= FEW_CODES {
        let wanted = codes.iter().copied().chain(classes.iter().map(|class| class.as_any()));
        gc.call_method1("get_referrers", PyTuple::new(py, wanted.collect::<Vec<_>>())?)?
    } else {
        gc.call_method0("get_objects")?
    };
    let function_type = py.import("types")?.getattr("FunctionType")?;
    let conform = ConformLookup::new(py)?;
    let mut conforming_types: HashMap<usize, bool> = HashMap::new();
    let mut holders =
        Holders { functions: Vec::new(), conformers: Vec::new(), instances: vec![Vec::new(); classes.len()] };
    for candidate in candidates.cast::<PyList>()?.iter() {
        let kind = candidate.get_type();
        if let Some(&index) = class_index.get(&(kind.as_ptr() as usize)) {
            holders.instances[index].push(candidate);
            continue;
        }
        if kind.is(&function_type) {
            let code = candidate.getattr("__code__")?;
            if let Some(&index) = positions.get(&(code.as_ptr() as usize)) {
                holders.functions.push((candidate, index));
            }
            continue;
        }
        // Whether a type has `__conform__` is asked once per type: the heap
        // holds many objects of few types.
        let conforms = match conforming_types.get(&(kind.as_ptr() as usize)) {
            Some(&conforms) => conforms,
            None => {
                let conforms = conform.defined_for(kind.as_any());
                conforming_types.insert(kind.as_ptr() as usize, conforms);
                conforms
            }
        };
        if conforms {
            // Which of the codes does it hold (in a slot)?
            for held in gc.call_method1("get_referents", (&candidate,))?.cast::<PyList>()?.iter() {
                if let Some(&index) = positions.get(&(held.as_ptr() as usize)) {
                    holders.conformers.push((candidate.clone(), index));
                }
            }
        }
    }
    Ok(holders)
}

/// Whether a type defines `__conform__`, read from the dictionaries of its
/// MRO through `type`'s own descriptors: for each type of the heap, no
/// metaclass code runs (a metaclass `__getattr__` may raise, or do anything).
struct ConformLookup<'py> {
    mro: Bound<'py, PyAny>,
    dict: Bound<'py, PyAny>,
}

impl<'py> ConformLookup<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        let slots = py.import("builtins")?.getattr("type")?.getattr("__dict__")?;
        Ok(ConformLookup { mro: slots.get_item("__mro__")?, dict: slots.get_item("__dict__")? })
    }

    /// False when anything about the type cannot be read: its objects are
    /// then not asked to conform, and the save goes on.
    fn defined_for(&self, kind: &Bound<'py, PyAny>) -> bool {
        let Ok(mro) =
            self.mro.call_method1("__get__", (kind,)).and_then(|m| m.cast_into::<PyTuple>().map_err(PyErr::from))
        else {
            return false;
        };
        mro.iter().any(|base| {
            self.dict.call_method1("__get__", (&base,)).and_then(|d| d.contains("__conform__")).unwrap_or(false)
        })
    }
}
