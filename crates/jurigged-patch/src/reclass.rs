//! A class whose class statement a save runs again (its header changed, its
//! `__slots__` changed, its decorators return a new class): live instances
//! follow it.
//!
//! Where CPython allows it the live class keeps its identity: its `__bases__`
//! are assigned and its namespace is brought to the new body's, so every
//! reference to the class (other modules, registries, `from m import C`) and
//! every instance follow with no search. Where it cannot (another layout, another
//! metaclass, a base's `__init_subclass__` that saw the new class), the new class
//! is bound, the live instances of the old one (found by the save's one heap
//! scan) get `__class__` = the new class, and its subclasses get it as a base.
//! What cannot follow is counted and reported.
//!
//! After either, the instances that followed get the fields a fresh instance
//! would have and the class's migration hook runs for each (`fields`).

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple, PyType};

use crate::fields::{fill_fields, gains_fields, has_hook, run_hook, thousands, MIGRATE_HOOK};
use crate::redecorate::bind_class_cells;
use crate::scope::{class_dict, LiveModule, Scope};

/// The name of the throwaway class that asks CPython whether bases can be assigned.
const PROBE: &str = "_jurigged_probe";

/// Names of a class's namespace that belong to the class object itself, not to
/// its body: never moved from the new class to the live one, never removed.
const OWN_NAMES: &[&str] = &[
    "__dict__",
    "__weakref__",
    "__module__",
    "__qualname__",
    "__slots__",
    "__classcell__",
    "__classdictcell__",
    "__firstlineno__",
    "__static_attributes__",
    // The ABC registry: the live class's virtual subclasses stay registered.
    "_abc_impl",
    "_abc_registry",
    "_abc_cache",
    "_abc_negative_cache",
    "_abc_negative_cache_version",
];

/// How a class made again is brought to the program.
pub(crate) enum Mode {
    /// The live class is updated: bases and namespace.
    InPlace,
    /// The live class's body changed and its decorators were applied again to
    /// it (see `redecorate`): only its instances are visited.
    Fields,
    /// The new class is bound; instances and subclasses migrate to it.
    Replace {
        /// Why the live class could not be updated (worded for the report).
        why: String,
        /// Whether instances may get the new class at all (an Enum's members
        /// are made by its class statement: they stay).
        migrate: bool,
    },
}

/// One class made again by a save.
pub(crate) struct ClassChange<'py> {
    pub(crate) old: Bound<'py, PyType>,
    pub(crate) new: Bound<'py, PyType>,
    scope: Scope<'py>,
    name: String,
    /// The class's dotted path and first line, for the report.
    pub(crate) path: String,
    pub(crate) line: u32,
    pub(crate) mode: Mode,
    /// Whether the change binds the new class itself (no step of the save does).
    pub(crate) rebind: bool,
    /// Names the class body bound and its decorators took away (attrs' field
    /// definitions), which the save's statements bound on the live class too:
    /// removed from it.
    pub(crate) taken_away: Vec<(String, Bound<'py, PyAny>)>,
    /// The names the old class statement bound: removed from the live class
    /// when the new one lacks them (attributes the program set stay).
    old_body: Vec<String>,
    /// Whether the instances must be visited after the change (fields to fill,
    /// a migration hook): the live class's instances are then found by the
    /// save's heap scan even when the class keeps its identity.
    visit_instances: bool,
    /// A NamedTuple whose fields changed: its instances keep theirs.
    tuple_fields: bool,
}

/// What committing a class change did, for what runs after the stretch.
pub(crate) struct Committed<'py> {
    /// Instances that follow the new class body (all, when the class kept its identity).
    followed: Vec<Bound<'py, PyAny>>,
    /// Values moved onto the live class (their `__set_name__` runs after).
    moved: Vec<(String, Bound<'py, PyAny>)>,
    /// What could not follow, worded for the report.
    problems: Vec<String>,
}

impl<'py> ClassChange<'py> {
    /// Decides how `new` (made by the save, not bound yet) replaces `old`, bound
    /// as `name` in `scope`.
    pub(crate) fn prepare(
        old: Bound<'py, PyType>,
        new: Bound<'py, PyType>,
        scope: Scope<'py>,
        name: &str,
        path: &str,
        line: u32,
        old_body: Vec<String>,
    ) -> PyResult<Self> {
        let mode = decide(&old, &new)?;
        let tuple_fields = tuple_fields_changed(&old, &new)?;
        let visit_instances =
            matches!(mode, Mode::Replace { .. }) || has_hook(&new)? || gains_fields(&old, &new)? || tuple_fields;
        Ok(ClassChange {
            old,
            new,
            scope,
            name: name.to_string(),
            path: path.to_string(),
            line,
            mode,
            rebind: false,
            taken_away: Vec::new(),
            old_body,
            visit_instances,
            tuple_fields,
        })
    }

    /// A decorated class whose body changed, kept in place: `fresh` is the class
    /// its statement and decorators made again, whose fields the live class's
    /// instances get.
    pub(crate) fn fields_only(
        old: Bound<'py, PyType>,
        fresh: Bound<'py, PyType>,
        path: &str,
        line: u32,
    ) -> PyResult<Self> {
        let visit_instances = gains_fields(&old, &fresh)?;
        Ok(ClassChange {
            old,
            new: fresh,
            scope: Scope::Module,
            name: String::new(),
            path: path.to_string(),
            line,
            mode: Mode::Fields,
            rebind: false,
            taken_away: Vec::new(),
            old_body: Vec::new(),
            visit_instances,
            tuple_fields: false,
        })
    }

    /// Whether the live instances of the old class must be found.
    pub(crate) fn visits_instances(&self) -> bool {
        self.visit_instances
    }

    /// The change itself, inside the commit's stretch: only C-level setters run
    /// (no Python code of the program). `instances` are the live instances of the
    /// old class (empty when they were not looked for).
    pub(crate) fn commit(&self, live: &LiveModule<'py>, instances: &[Bound<'py, PyAny>]) -> PyResult<Committed<'py>> {
        let py = self.old.py();
        let mut done = Committed { followed: Vec::new(), moved: Vec::new(), problems: Vec::new() };
        self.remove_taken_away()?;
        match &self.mode {
            Mode::InPlace => {
                if let Err(error) = self.update_in_place(&mut done) {
                    done.problems.push(format!("the live class keeps its old header ({})", error.value(py)));
                    return Ok(done);
                }
                done.followed = instances.to_vec();
            }
            Mode::Fields => done.followed = instances.to_vec(),
            Mode::Replace { why, migrate } => {
                if self.rebind {
                    self.bind(live)?;
                }
                let (followed, stayed, error) = if *migrate {
                    migrate_instances(&self.old, instances, &self.new)?
                } else {
                    (Vec::new(), instances.len(), None)
                };
                if stayed > 0 {
                    // Our reason first; CPython's words when it refused for another.
                    let reason = match error {
                        Some(error) if !why.starts_with("layout") => format!("{why}: {error}"),
                        _ => why.clone(),
                    };
                    done.problems.push(format!(
                        "{} of {} live instances keep the old class ({reason})",
                        thousands(stayed),
                        thousands(instances.len())
                    ));
                }
                done.followed = followed;
                self.rebase_subclasses(&mut done)?;
            }
        }
        Ok(done)
    }

    /// Removes from the live class what its decorators took away from the new one.
    fn remove_taken_away(&self) -> PyResult<()> {
        if self.taken_away.is_empty() {
            return Ok(());
        }
        let delattr = self.old.py().import("builtins")?.getattr("type")?.getattr("__delattr__")?;
        let live = class_dict(&self.old)?;
        for (name, made) in &self.taken_away {
            // What the save's statement bound there: of the kind the body made,
            // not the live class's own (a slot of the same name).
            if live.get_item(name)?.is_some_and(|value| value.get_type().is(made.get_type())) {
                delattr.call1((&self.old, name))?;
            }
        }
        Ok(())
    }

    /// Binds the new class where the old one was.
    fn bind(&self, live: &LiveModule<'py>) -> PyResult<()> {
        match &self.scope {
            Scope::Module => live.namespace.set_item(&self.name, &self.new),
            Scope::Class { class, .. } => {
                let setattr = class.py().import("builtins")?.getattr("type")?.getattr("__setattr__")?;
                setattr.call1((class, self.scope.stored_name(&self.name), &self.new)).map(drop)
            }
        }
    }

    /// Bases and namespace of the new class onto the live one.
    fn update_in_place(&self, done: &mut Committed<'py>) -> PyResult<()> {
        let py = self.old.py();
        let type_ = py.import("builtins")?.getattr("type")?;
        let (setattr, delattr) = (type_.getattr("__setattr__")?, type_.getattr("__delattr__")?);
        let old_bases = self.old.getattr("__bases__")?;
        let new_bases = self.new.getattr("__bases__")?;
        if !same_items(&old_bases, &new_bases)? {
            setattr.call1((&self.old, "__bases__", &new_bases))?;
        }
        let (before, after) = (class_dict(&self.old)?, class_dict(&self.new)?);
        let member = py.import("types")?.getattr("MemberDescriptorType")?;
        for (key, value) in after.iter() {
            let name: String = key.extract()?;
            // Slot descriptors belong to their class's layout (equal here).
            if OWN_NAMES.contains(&name.as_str()) || value.get_type().is(&member) {
                continue;
            }
            if before.get_item(&name)?.is_some_and(|old| old.is(&value)) {
                continue;
            }
            bind_class_cells(&value, &self.old)?;
            setattr.call1((&self.old, &name, &value))?;
            done.moved.push((name, value));
        }
        for key in before.keys() {
            let name: String = key.extract()?;
            if OWN_NAMES.contains(&name.as_str()) || after.contains(&name)? {
                continue;
            }
            // What the old body bound, and what the class machinery derives
            // from a body (`__abstractmethods__`, a decorator's `__init__`).
            let machinery = name.starts_with("__") && name.ends_with("__");
            if machinery || self.old_body.contains(&name) {
                delattr.call1((&self.old, &name))?;
            }
        }
        Ok(())
    }

    /// Subclasses of the old class (in any module) get the new class as a base.
    fn rebase_subclasses(&self, done: &mut Committed<'py>) -> PyResult<()> {
        let py = self.old.py();
        let type_ = py.import("builtins")?.getattr("type")?;
        let subclasses = type_.getattr("__subclasses__")?.call1((&self.old,))?;
        let setattr = type_.getattr("__setattr__")?;
        for subclass in subclasses.cast::<PyList>()?.iter() {
            // A probe of `bases_refused` not collected yet is no subclass of the program's.
            let name: String = subclass.getattr("__name__")?.extract()?;
            if subclass.is(&self.new) || name == PROBE {
                continue;
            }
            let bases = subclass.getattr("__bases__")?;
            let mut rebased = Vec::new();
            for base in bases.try_iter()? {
                let base = base?;
                rebased.push(if base.is(&self.old) { self.new.clone().into_any() } else { base });
            }
            let rebased = PyTuple::new(py, rebased)?;
            if let Err(error) = setattr.call1((&subclass, "__bases__", rebased)) {
                let name: String = subclass.getattr("__qualname__")?.extract()?;
                done.problems.push(format!("subclass {name} keeps the old class as its base ({})", error.value(py)));
            }
        }
        Ok(())
    }

    /// What runs Python code, after the stretch: `__set_name__` of what moved,
    /// virtual subclasses registered again, fields filled and the migration hook
    /// on the instances that followed. Returns what to report.
    pub(crate) fn finish(&self, done: Committed<'py>) -> Vec<String> {
        let mut problems = done.problems;
        if self.tuple_fields && !done.followed.is_empty() {
            problems.push(format!(
                "{} live instances keep their old fields (a NamedTuple's instances are tuples, which cannot change)",
                thousands(done.followed.len())
            ));
        }
        for (name, value) in &done.moved {
            let result = value.get_type().hasattr("__set_name__").and_then(|has| {
                if has {
                    value.call_method1("__set_name__", (&self.old, name)).map(drop)
                } else {
                    Ok(())
                }
            });
            if let Err(error) = result {
                problems.push(format!("{name}.__set_name__ raised {}", error.value(self.old.py())));
            }
        }
        if matches!(self.mode, Mode::Replace { .. }) {
            if let Err(error) = self.register_virtual_subclasses() {
                problems.push(format!("the virtual subclasses of the old class were not registered again ({error})"));
            }
        }
        // The live class has the new namespace when it kept its identity.
        let class = if matches!(self.mode, Mode::Replace { .. }) { &self.new } else { &self.old };
        if let Err(error) = fill_fields(class, &done.followed) {
            problems.push(format!("the new fields were not filled on the old instances ({error})"));
        }
        match run_hook(&self.old, class, &done.followed) {
            Ok(Some(report)) => problems.push(report),
            Ok(None) => {}
            Err(error) => problems.push(format!("{MIGRATE_HOOK} could not run ({error})")),
        }
        problems
    }

    /// An ABC's virtual subclasses (`register`) registered with the new class.
    fn register_virtual_subclasses(&self) -> PyResult<()> {
        let py = self.old.py();
        let abc = py.import("abc")?;
        if !self.old.is_instance(&abc.getattr("ABCMeta")?)? || !self.new.is_instance(&abc.getattr("ABCMeta")?)? {
            return Ok(());
        }
        let Ok(dump) = abc.getattr("_get_dump").and_then(|dump| dump.call1((&self.old,))) else { return Ok(()) };
        for reference in dump.get_item(0)?.try_iter()? {
            let subclass = reference?.call0()?;
            if !subclass.is_none() {
                self.new.call_method1("register", (subclass,))?;
            }
        }
        Ok(())
    }
}

/// Whether the live class can be updated in place, and if not, why.
fn decide<'py>(old: &Bound<'py, PyType>, new: &Bound<'py, PyType>) -> PyResult<Mode> {
    let py = old.py();
    let replace = |why: String| Mode::Replace { why, migrate: true };
    let metaclass = old.get_type();
    if let Ok(enum_type) = py.import("enum").and_then(|e| e.getattr("EnumMeta")) {
        if metaclass.is_subclass(enum_type.cast::<PyType>()?)? {
            return Ok(Mode::Replace {
                why: "an Enum's members are made by its class statement".to_string(),
                migrate: false,
            });
        }
    }
    if !new.get_type().is(&metaclass) {
        return Ok(replace("metaclass changed".to_string()));
    }
    if !plain_metaclass(&metaclass)? {
        let name: String = metaclass.getattr("__qualname__")?.extract()?;
        return Ok(replace(format!("its metaclass {name} made the new class")));
    }
    let (old_dict, new_dict) = (class_dict(old)?, class_dict(new)?);
    let same_slots = match (old_dict.get_item("__slots__")?, new_dict.get_item("__slots__")?) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq(b)?,
        _ => false,
    };
    if !same_slots {
        return Ok(replace("layout changed: __slots__".to_string()));
    }
    for attribute in ["__basicsize__", "__itemsize__", "__dictoffset__", "__weakrefoffset__"] {
        if !old.getattr(attribute)?.eq(new.getattr(attribute)?)? {
            return Ok(replace("layout changed: base".to_string()));
        }
    }
    if let Some(base) = init_subclass_base(new)? {
        return Ok(replace(format!("{base}.__init_subclass__ saw the new class")));
    }
    if let Some(refused) = bases_refused(old, new)? {
        return Ok(replace(refused));
    }
    Ok(Mode::InPlace)
}

/// Why CPython would refuse the new class's bases for the live class, if it
/// would (a class based on `object` alone cannot take a Python class as its
/// base: "deallocator differs"). Asked of a throwaway class of the same bases
/// and slots, so the live class is untouched.
fn bases_refused(old: &Bound<'_, PyType>, new: &Bound<'_, PyType>) -> PyResult<Option<String>> {
    let py = old.py();
    let (old_bases, new_bases) = (old.getattr("__bases__")?, new.getattr("__bases__")?);
    if same_items(&old_bases, &new_bases)? {
        return Ok(None);
    }
    let namespace = pyo3::types::PyDict::new(py);
    if let Some(slots) = class_dict(old)?.get_item("__slots__")? {
        namespace.set_item("__slots__", slots)?;
    }
    let probe = match old.get_type().call1((PROBE, old_bases, namespace)) {
        Ok(probe) => probe,
        Err(error) => return Ok(Some(format!("its bases cannot be assigned: {}", error.value(py)))),
    };
    let setattr = py.import("builtins")?.getattr("type")?.getattr("__setattr__")?;
    Ok(setattr
        .call1((&probe, "__bases__", new_bases))
        .err()
        .map(|error| format!("its bases cannot be assigned: {}", error.value(py))))
}

/// Whether a class is built from its body by more than `type` does: a
/// metaclass of the program or a library (Enum, TypedDict, a model's fields),
/// or `typing.NamedTuple`. A statement of its body that changes makes it again.
pub(crate) fn built_from_body(class: &Bound<'_, PyType>) -> PyResult<bool> {
    Ok(!plain_metaclass(&class.get_type())? || is_named_tuple(class)?)
}

fn is_named_tuple(class: &Bound<'_, PyType>) -> PyResult<bool> {
    let tuple = class.py().import("builtins")?.getattr("tuple")?;
    Ok(class_dict(class)?.contains("_fields")? && class.is_subclass(tuple.cast::<PyType>()?)?)
}

/// The fields of a NamedTuple class when `new`'s differ from `old`'s: its
/// instances are tuples, which cannot gain or lose items.
fn tuple_fields_changed<'py>(old: &Bound<'py, PyType>, new: &Bound<'py, PyType>) -> PyResult<bool> {
    if !is_named_tuple(old)? || !is_named_tuple(new)? {
        return Ok(false);
    }
    let fields = |class: &Bound<'py, PyType>| class_dict(class)?.get_item("_fields");
    Ok(match (fields(old)?, fields(new)?) {
        (Some(a), Some(b)) => !a.eq(b)?,
        _ => false,
    })
}

/// `type` and the ABC metaclasses of the standard library, which keep nothing
/// about a class outside of its namespace.
fn plain_metaclass(metaclass: &Bound<'_, PyType>) -> PyResult<bool> {
    let py = metaclass.py();
    let mut plain = vec![py.import("builtins")?.getattr("type")?, py.import("abc")?.getattr("ABCMeta")?];
    plain.extend(py.import("typing")?.getattr("_ProtocolMeta").ok());
    Ok(plain.iter().any(|m| m.is(metaclass)))
}

/// The first base (in the new class's MRO, the standard library's `typing`
/// aside) defining `__init_subclass__`: it saw the new class, which a registry
/// it keeps may hold, so the new class is the one to bind.
fn init_subclass_base(new: &Bound<'_, PyType>) -> PyResult<Option<String>> {
    let mro = new.getattr("__mro__")?;
    for base in mro.try_iter()?.skip(1) {
        let base = base?.cast_into::<PyType>()?;
        let namespace = class_dict(&base)?;
        let module: String = base.getattr("__module__")?.extract().unwrap_or_default();
        if namespace.contains("__init_subclass__")? && module != "typing" && module != "builtins" {
            return Ok(Some(base.getattr("__qualname__")?.extract()?));
        }
    }
    Ok(None)
}

fn same_items(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    let (a, b) = (a.cast::<PyTuple>()?, b.cast::<PyTuple>()?);
    Ok(a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.is(&y)))
}

/// Gives each instance (of `old`) the new class, with C-level setters only
/// (no `__setattr__` of the program runs). Returns those that followed, how
/// many did not, and why the first did not.
fn migrate_instances<'py>(
    old: &Bound<'py, PyType>,
    instances: &[Bound<'py, PyAny>],
    new: &Bound<'py, PyType>,
) -> PyResult<(Vec<Bound<'py, PyAny>>, usize, Option<String>)> {
    let py = new.py();
    let name = PyString::intern(py, "__class__");
    let object_setattr = py.import("builtins")?.getattr("object")?.getattr("__setattr__")?;
    // The class's own setter is the generic one unless it defines __setattr__:
    // then `object.__setattr__` is called, slower but with no code of the program.
    let generic = py.import("inspect")?.getattr("getattr_static")?.call1((old, "__setattr__"))?.is(&object_setattr);
    let mut followed = Vec::with_capacity(instances.len());
    let mut error = None;
    for instance in instances {
        let result =
            if generic { instance.setattr(&name, new) } else { object_setattr.call1((instance, &name, new)).map(drop) };
        match result {
            Ok(()) => followed.push(instance.clone()),
            Err(raised) => {
                if error.is_none() {
                    error = Some(raised.value(py).to_string());
                }
                if followed.is_empty() {
                    // Every instance has the same class: none will follow.
                    return Ok((followed, instances.len(), error));
                }
            }
        }
    }
    let stayed = instances.len() - followed.len();
    Ok((followed, stayed, error))
}

/// The names a class statement's body binds (stored: private names mangled).
pub(crate) fn body_names(class: &jurigged_deftree::Node) -> Vec<String> {
    class
        .children()
        .iter()
        .filter_map(crate::scope::bound_name)
        .map(|name| crate::scope::mangle(class.name(), &name))
        .collect()
}
