//! Preparing a save: every statement and definition runs in file order against
//! the live scopes as the save changes them (see `Staged`), the code swaps
//! are lined up and checked. Nothing live changes here.

use jurigged_deftree::{DefTree, Kind, Node};
use jurigged_diff::{Edit, EditScript};
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::annotate::bind_whole_scope;
use crate::clock::StatementClock;
use crate::code_registry::{code_registry, is_code};
use crate::compile::{compile_node, last_code_constant, Part};
use crate::conform::{check_freevars, nested_pairs, FunctionAttributes, Swap};
use crate::dependents::Dependent;
use crate::error::{Error, Result};
use crate::event::EventKind;
use crate::held::Holds;
use crate::reclass::{ClassChange, Mode};
use crate::redecorate::ClassRedecoration;
use crate::scope::{defined_later, Definitions, LiveModule, Scope, Staged};
use crate::shift::prepare_shift;
use crate::step::{event, parent_path, Step};

/// How deep a chain of decorators' wrappers is followed.
const MAX_WRAPPERS: usize = 8;

/// What a prepared save commits.
pub(crate) struct Prepared<'py> {
    pub(crate) swaps: Vec<Swap<'py>>,
    pub(crate) steps: Vec<Step<'py>>,
    /// What decorators' wrappers copied from a changed function, with the new
    /// values.
    pub(crate) metadata: Vec<(Bound<'py, PyAny>, &'static str, Bound<'py, PyAny>)>,
    pub(crate) redecorations: Vec<ClassRedecoration<'py>>,
    /// Classes the save makes again, which live instances follow.
    pub(crate) class_changes: Vec<ClassChange<'py>>,
}

/// Prepares `script` (from `old_tree` to `new_tree`) for the live module.
pub(crate) fn prepare<'py>(
    live: &LiveModule<'py>,
    script: &EditScript,
    old_tree: &DefTree,
    new_tree: &DefTree,
    holds: &Holds,
    dependents: &[Dependent],
    clock: Option<&dyn StatementClock>,
) -> Result<Prepared<'py>> {
    let py = live.namespace.py();
    let readded = script
        .edits()
        .iter()
        .filter_map(|edit| match edit {
            Edit::Add { node, .. } if node.kind() == Kind::Class => Some(node.path().to_string()),
            _ => None,
        })
        .collect();
    let mut prepared = Preparation {
        live,
        holds,
        deferred: dependents
            .iter()
            .filter(|d| d.changed)
            .filter_map(|d| new_tree.root().children().get(d.index))
            .map(|node| node.span().start)
            .collect(),
        clock,
        old_tree,
        new_tree,
        class_changes: Vec::new(),
        remade: Vec::new(),
        readded,
        staged: Staged::new(py, new_tree)?,
        swaps: Vec::new(),
        steps: Vec::new(),
        changed_classes: Vec::new(),
        definitions: Definitions::of(new_tree),
        rerun: Vec::new(),
        changed: std::collections::HashSet::new(),
        rebound: std::collections::HashSet::new(),
        metadata: Vec::new(),
        heap_learned: false,
    };
    let mut held_since = std::time::Instant::now();
    for edit in script.edits() {
        prepared.add(edit)?;
        if held_since.elapsed() >= YIELD_EVERY {
            // Nothing live has changed yet: the program's threads may run while
            // a long save is prepared.
            py.detach(std::thread::yield_now);
            held_since = std::time::Instant::now();
        }
    }
    prepared.rerun_remaining()?;
    prepared.remake_classes()?;
    prepared.rerun_dependents(dependents)?;
    // Lines may have moved: a Shift, statements added, deleted or run again (a
    // module's annotations start at its first statement), or a function made
    // longer or shorter. Only then, as this compiles the whole file.
    let lines_moved = old_tree.root().line_breaks() != new_tree.root().line_breaks()
        || script.edits().iter().any(|edit| !matches!(edit, Edit::Update { .. }));
    if lines_moved {
        crate::annotate::realign_scopes(live, new_tree, &prepared.staged.context, &mut prepared.swaps)?;
    }
    if crate::compile::future_flags(py, old_tree)? != prepared.staged.context.flags {
        // A `from __future__` import came or went: every function compiles
        // differently, as in a fresh import.
        prepared.recompile_unchanged(old_tree, |_, _| true)?;
        prepared.recompile_unchanged_lines(old_tree)?;
        // Class decorators see annotations of another form.
        for node in new_tree.definitions().filter(|n| n.kind() == Kind::Class && n.decorator_location().is_some()) {
            let relative = live.relative(node.path()).to_string();
            if !prepared.changed_classes.contains(&relative) {
                prepared.changed_classes.push(relative);
            }
        }
    } else if !prepared.rebound.is_empty() {
        prepared.recompile_unchanged(old_tree, Preparation::reads_rebound_name)?;
    }
    let redecorations = prepared.class_redecorations()?;
    let Preparation { swaps, steps, metadata, class_changes, .. } = prepared;
    Ok(Prepared { swaps, steps, metadata, redecorations, class_changes })
}

/// How long preparing a save holds the GIL before letting the program's other
/// threads run.
const YIELD_EVERY: std::time::Duration = std::time::Duration::from_millis(5);

struct Preparation<'a, 'py> {
    live: &'a LiveModule<'py>,
    /// The statements this save does not run (running now, or pending).
    holds: &'a Holds,
    /// Changed statements run once the save is live (see `dependents`), by
    /// where they start.
    deferred: std::collections::HashSet<usize>,
    /// Told as each statement starts and ends.
    clock: Option<&'a dyn StatementClock>,
    old_tree: &'a DefTree,
    new_tree: &'a DefTree,
    /// Classes made again, with how live instances follow.
    class_changes: Vec<ClassChange<'py>>,
    /// Classes (relative paths) whose `__slots__` the save changes: their class
    /// statement runs again (a new layout).
    remade: Vec<String>,
    /// Classes the script adds (full paths): one it deletes too had its header
    /// changed, and is made again.
    staged: Staged<'py>,
    swaps: Vec<Swap<'py>>,
    steps: Vec<Step<'py>>,
    /// Paths of the classes (relative to the module) whose bodies the save changes.
    changed_classes: Vec<String>,
    definitions: Definitions,
    /// Names (by block) one of whose several definitions the save removed.
    rerun: Vec<(String, String)>,
    /// Definitions the script changes or adds, by where they start.
    changed: std::collections::HashSet<usize>,
    /// Names that changed statements bind, by block path.
    rebound: std::collections::HashSet<(String, String)>,
    /// What decorators' wrappers copied from a changed function (`__doc__`,
    /// `__annotations__` by `functools.wraps`), with the new values.
    metadata: Vec<(Bound<'py, PyAny>, &'static str, Bound<'py, PyAny>)>,
    /// Whether this save learned the functions of the heap already.
    heap_learned: bool,
    readded: std::collections::HashSet<String>,
}

impl<'py> Preparation<'_, 'py> {
    fn add(&mut self, edit: &Edit) -> Result<()> {
        let live = self.live;
        if let Edit::Update { new, .. }
        | Edit::Redecorate { new, .. }
        | Edit::Add { node: new, .. }
        | Edit::Run { node: new, .. } = edit
        {
            self.changed.insert(new.span().start);
        }
        if let Some(class) = changed_class(live, edit) {
            if !self.changed_classes.contains(&class) {
                self.changed_classes.push(class);
            }
        }
        match edit {
            Edit::Update { old, new } => match self.update(old, new) {
                Ok(()) => self.steps.push(Step::Swapped(event(live, EventKind::Update, new))),
                // Not updatable in place (or never executed): run it again.
                Err(Error::Conform { .. } | Error::Missing { .. }) => {
                    let step = self.run(parent_path(new.path()), new, EventKind::Add)?;
                    self.steps.push(step);
                }
                Err(other) => return Err(other),
            },
            Edit::Redecorate { parent, old, new } => {
                // The name gets the newly decorated object, and the old undecorated
                // function runs the very code object the new one runs (when it
                // can), so that later saves reach both.
                let step = self.run(parent, new, EventKind::Update)?;
                let code = match &step {
                    Step::Bind { code, scope, .. } | Step::Execute { code, scope, .. } => {
                        let body = crate::compile::body_code(code, scope.class_names().len())?;
                        last_code_constant(&body, Some(new.name()))?
                    }
                    _ => None,
                };
                match self.update_to(old, new, code) {
                    Ok(()) | Err(Error::Conform { .. } | Error::Missing { .. }) => {}
                    Err(other) => return Err(other),
                }
                self.steps.push(step);
            }
            Edit::Shift { node, delta } => {
                let exact = self.definitions.is_shared(node.path());
                prepare_shift(live, node, *delta, exact, &mut self.heap_learned, &mut self.swaps)?
            }
            Edit::Add { node, .. } | Edit::Run { node, .. } if self.holds.get(node).is_some() => {
                let hold = self.holds.get(node).cloned();
                if let Some(event) = hold.and_then(|hold| Holds::event(&hold, &live.filename, node)) {
                    self.steps.push(Step::Swapped(event));
                }
            }
            Edit::Add { parent, node } => {
                let step = self.run(parent, node, EventKind::Add)?;
                self.steps.push(step);
            }
            // Run once the save is live, by `rerun_dependents`.
            Edit::Run { node, .. } if self.deferred.contains(&node.span().start) => {}
            Edit::Run { parent, node } => {
                let step = self.run(parent, node, EventKind::Run)?;
                self.steps.push(step);
            }
            Edit::Delete { parent, node } => self.delete(parent, node)?,
            _ => {}
        }
        Ok(())
    }

    /// Compiles and runs a statement or a whole definition in its scope; what it
    /// binds is committed later.
    fn run(&mut self, parent: &str, node: &Node, kind: EventKind) -> Result<Step<'py>> {
        let live = self.live;
        let py = live.namespace.py();
        let scope = live.scope(parent, node)?;
        let code = compile_node(py, node, Part::Whole, &scope.class_names(), &live.filename, &self.staged.context)
            .map_err(|e| live.python_error(node, e))?;
        let hidden = self.hidden(&scope, node);
        let event = event(live, kind, node);
        if let Some(clock) = self.clock {
            clock.started(&live.filename, node.position().start.line, &crate::held::first_line_of(node));
        }
        let ran = self.staged.run(live, &code, &scope, &hidden);
        if let Some(clock) = self.clock {
            clock.ended();
        }
        match ran {
            Ok(mut bindings) => {
                // A later definition of a name (the implementation after its
                // overload stubs, a setter after its getter, a `__doc__` property
                // after a docstring) keeps it.
                let offset = node.span().start;
                bindings.retain(|(name, _)| !self.definitions.defined_after(parent, name, offset));
                if node.kind() == Kind::Line {
                    self.rebound.extend(bindings.iter().map(|(name, _)| (parent.to_string(), name.clone())));
                }
                // The annotations of the whole scope, not only this statement's.
                let context = &self.staged.context;
                bind_whole_scope(live, &scope, self.new_tree, context, &mut bindings, &mut self.swaps)?;
                self.conform_replaced(&scope, &bindings)?;
                if node.kind() == Kind::Class {
                    self.note_class_change(&scope, node, &mut bindings)?;
                }
                self.note_remade_class(&scope, node, &bindings)?;
                Ok(Step::Bind { bindings, scope, code, event })
            }
            Err(error) if self.needs_commit(py, &error) => {
                Ok(Step::Execute { code, scope, node: Box::new(node.clone()), event })
            }
            Err(error) => Err(live.python_error(node, error)),
        }
    }

    /// References to what a step's bindings replace follow the change, as for
    /// a changed function: the methods of a class made again (its header
    /// changed) give their new code to the old class's methods, and a lambda
    /// bound again to the same name gives its code to the old lambda.
    fn conform_replaced(&mut self, scope: &Scope<'py>, bindings: &[(String, Bound<'py, PyAny>)]) -> Result<()> {
        let live = self.live;
        let holder = match scope {
            Scope::Module => live.namespace.clone(),
            Scope::Class { class, .. } => crate::scope::class_dict(class)?,
        };
        let py = live.namespace.py();
        let function_type = py.import("types")?.getattr("FunctionType")?;
        let from_here = |function: &Bound<'py, PyAny>| -> PyResult<bool> {
            Ok(function.get_type().is(&function_type)
                && function.getattr("__code__")?.getattr("co_filename")?.extract::<std::path::PathBuf>()?
                    == live.filename)
        };
        for (name, value) in bindings {
            let Some(current) = holder.get_item(name)? else { continue };
            if current.is(value) {
                continue;
            }
            let is_lambda = |f: &Bound<'py, PyAny>| -> PyResult<bool> {
                Ok(from_here(f)? && f.getattr("__code__")?.getattr("co_name")?.extract::<String>()? == "<lambda>")
            };
            let replaced: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = if is_lambda(value)? && is_lambda(&current)? {
                vec![(current.getattr("__code__")?, value.clone())]
            } else if value.cast::<PyType>().is_ok() && current.cast::<PyType>().is_ok() {
                if !self.heap_learned {
                    code_registry().learn_namespace(&live.namespace, &live.filename)?;
                }
                // By path: the k-th definition at a path (a getter, then its
                // setter) gets the k-th old one's; a single one gets all.
                let mut by_path: std::collections::BTreeMap<String, Vec<Bound<'py, PyAny>>> = Default::default();
                for function in crate::code_registry::functions_of_class(value, &live.filename)? {
                    if let Some(path) = crate::code_registry::qualified_path(&function)? {
                        by_path.entry(path).or_default().push(function);
                    }
                }
                let mut pairs = Vec::new();
                for (path, mut functions) in by_path {
                    let first_line = |code: &Bound<'py, PyAny>| -> u32 {
                        code.getattr("co_firstlineno").and_then(|l| l.extract()).unwrap_or(0)
                    };
                    functions.sort_by_key(|f| f.getattr("__code__").map(|c| first_line(&c)).unwrap_or(0));
                    let mut olds = code_registry().at_path(&functions[0].getattr("__code__")?, &path)?;
                    olds.sort_by_key(|c| first_line(c));
                    if functions.len() == 1 {
                        pairs.extend(olds.into_iter().map(|old| (old, functions[0].clone())));
                    } else if functions.len() == olds.len() {
                        pairs.extend(olds.into_iter().zip(functions));
                    }
                }
                pairs
            } else {
                Vec::new()
            };
            for (old, function) in replaced {
                let new = function.getattr("__code__")?;
                if old.is(&new) || check_freevars(&old, &new, name).is_err() {
                    continue;
                }
                nested_pairs(&old, &new, &mut self.swaps)?;
                let attributes = Some(FunctionAttributes::of(&function)?);
                self.swaps.push(Swap {
                    old,
                    new: Some(new),
                    attributes,
                    function: Some(function.clone()),
                    bound: None,
                });
            }
        }
        Ok(())
    }

    /// Whether an error of a step is a name this save binds that a nested scope
    /// (a comprehension, a called function) looked up in the live module, where
    /// it is not yet: the step must run once the save is committed.
    fn needs_commit(&self, py: Python<'py>, error: &PyErr) -> bool {
        if !error.is_instance_of::<pyo3::exceptions::PyNameError>(py) {
            return false;
        }
        let value = error.value(py);
        let name = value.getattr("name").ok().and_then(|n| n.extract::<String>().ok()).or_else(|| {
            // Python < 3.10 only says it in the message: "name 'x' is not defined".
            let message = value.str().ok()?.to_string();
            message.split('\'').nth(1).map(str::to_string)
        });
        name.is_some_and(|name| self.staged.binds_module_name(&name))
    }

    fn hidden(&self, scope: &Scope<'py>, node: &Node) -> Vec<String> {
        match scope {
            Scope::Module => Vec::new(),
            Scope::Class { .. } => defined_later(self.new_tree, parent_path(node.path()), node),
        }
    }

    /// Lines up the swap of a function's code for its new version: the code of a
    /// fresh compile of the whole definition, with the defaults and annotations
    /// of the new definition evaluated without its decorators.
    fn update(&mut self, old: &Node, new: &Node) -> Result<()> {
        self.update_to(old, new, None)
    }

    /// [`Prepared::update`] to `compiled`, the function's code object from a
    /// compile made already, if given.
    fn update_to(&mut self, old: &Node, new: &Node, compiled: Option<Bound<'py, PyAny>>) -> Result<()> {
        let live = self.live;
        let py = live.namespace.py();
        let relative = live.relative(old.path());
        let exact = self.definitions.is_shared(new.path());
        let old_codes = find_codes(live, relative, old.first_line(), exact, &mut self.heap_learned, new)?;
        let scope = live.scope(parent_path(new.path()), new)?;
        let classes = scope.class_names();
        let context = &self.staged.context;
        let bare = compile_node(py, new, Part::WithoutDecorators, &classes, &live.filename, context)
            .map_err(|e| live.python_error(new, e))?;
        let hidden = self.hidden(&scope, new);
        let evaluated = self
            .staged
            .evaluate(live, &bare, &scope, &hidden, None)
            .map_err(|e| live.python_error(new, e))?
            .into_iter()
            .find(|(name, _)| name == new.name())
            .map(|(_, value)| value)
            .ok_or_else(|| {
                live.python_error(
                    new,
                    pyo3::exceptions::PyRuntimeError::new_err("the definition did not bind its name"),
                )
            })?;
        // With decorators, the code starts at the first decorator, as CPython's.
        let new_code = if let Some(code) = compiled {
            code
        } else if new.decorator_location().is_some() {
            let whole = compile_node(py, new, Part::Whole, &classes, &live.filename, context)
                .map_err(|e| live.python_error(new, e))?;
            let body = crate::compile::body_code(&whole, classes.len())?;
            last_code_constant(&body, Some(new.name()))?.ok_or_else(|| {
                live.python_error(new, pyo3::exceptions::PyRuntimeError::new_err("the definition compiled to no code"))
            })?
        } else {
            evaluated.getattr("__code__")?
        };
        for old_code in &old_codes {
            check_freevars(old_code, &new_code, new.path())?;
        }
        let attributes = FunctionAttributes::of(&evaluated)?;
        // `__conform__` objects get the new function, as from the original: one
        // that runs the code recorded for it (a decorated definition's code
        // starts at its first decorator, unlike the bare `def` evaluated here),
        // so that the code they keep is the one the next save replaces. The
        // evaluated function is a fresh object: nothing live changes. Where
        // the code cannot be given to it, they get the code object.
        let handed = if evaluated.getattr("__code__")?.is(&new_code) || evaluated.setattr("__code__", &new_code).is_ok()
        {
            Some(evaluated.clone())
        } else {
            None
        };
        let bound = bound_function(&scope, live, new)?;
        for old_code in old_codes {
            nested_pairs(&old_code, &new_code, &mut self.swaps)?;
            self.refresh_wrappers(&scope, new, &old_code, &attributes)?;
            let attributes = Some(attributes.clone());
            // The bound function, if it runs this version: a user known
            // without a heap scan (see `UserIndex::complete_users`).
            let bound = bound.as_ref().filter(|f| f.getattr("__code__").is_ok_and(|c| c.is(&old_code))).cloned();
            self.swaps.push(Swap {
                old: old_code,
                new: Some(new_code.clone()),
                attributes,
                function: handed.clone(),
                bound,
            });
        }
        Ok(())
    }

    /// The wrappers between the live binding of `node`'s name and the function
    /// running `old_code` copied its docstring and annotations when they wrapped
    /// it (`functools.wraps`): they get the new ones, as a fresh import would.
    fn refresh_wrappers(
        &mut self,
        scope: &Scope<'py>,
        node: &Node,
        old_code: &Bound<'py, PyAny>,
        new: &FunctionAttributes<'py>,
    ) -> PyResult<()> {
        let py = old_code.py();
        let holder = match scope {
            Scope::Module => self.live.namespace.clone(),
            Scope::Class { class, .. } => crate::scope::class_dict(class)?,
        };
        let Some(mut object) = holder.get_item(scope.stored_name(node.name()))? else { return Ok(()) };
        let function_type = py.import("types")?.getattr("FunctionType")?;
        let getattr_static = py.import("inspect")?.getattr("getattr_static")?;
        let generic_setattr = py.import("builtins")?.getattr("object")?.getattr("__setattr__")?;
        let mut wrappers: Vec<Bound<'py, PyAny>> = Vec::new();
        for _ in 0..MAX_WRAPPERS {
            if object.get_type().is(&function_type) && object.getattr("__code__")?.is(old_code) {
                for (attribute, value) in new.copied_by_wraps() {
                    let old = object.getattr(attribute)?;
                    for wrapper in &wrappers {
                        // A function's own attributes are C-level; another wrapper's
                        // are read from its namespace.
                        let copied = if wrapper.get_type().is(&function_type) {
                            wrapper.getattr(attribute)?
                        } else {
                            getattr_static.call1((wrapper, attribute, py.None()))?
                        };
                        let same = if attribute == "__doc__" { copied.eq(&old)? } else { copied.is(&old) };
                        if same && !copied.is(value) {
                            self.metadata.push((Bound::clone(wrapper), attribute, value.clone()));
                        }
                    }
                }
                return Ok(());
            }
            // Only wrappers whose attributes are set without user code.
            let plain = object.get_type().is(&function_type)
                || object.get_type().getattr("__setattr__").is_ok_and(|s| s.is(&generic_setattr));
            let inner = getattr_static.call1((&object, "__wrapped__", py.None()))?;
            if !plain || inner.is_none() {
                return Ok(());
            }
            wrappers.push(object);
            object = inner;
        }
        Ok(())
    }

    fn delete(&mut self, parent: &str, node: &Node) -> Result<()> {
        let live = self.live;
        if node.kind() == Kind::Class && self.readded.contains(node.path()) {
            // Its header changed: the class statement that adds it again brings
            // the live class (and its instances) to the new one.
            return Ok(());
        }
        let scope = live.scope(parent, node)?;
        let name = scope.stored_name(node.name());
        if node.kind() == Kind::Function {
            // Objects holding the code (`__conform__`) are told it is gone, as
            // the original tells them: one of several definitions of a name
            // registered by a decorator (`@registry.register def do`) too.
            let relative = live.relative(node.path());
            let found = find_codes(live, relative, node.first_line(), false, &mut self.heap_learned, node);
            for code in found.unwrap_or_default() {
                self.swaps.push(Swap { old: code, new: None, attributes: None, function: None, bound: None });
            }
        }
        if self.definitions.defines(parent, &name) {
            // One of several definitions of the name went. When they chain
            // through their decorators (a property without the setter that
            // was removed) the others run again to make the name anew; else the
            // name keeps what the remaining ones bound.
            if self.chained_with_remaining(parent, node, &scope, &name)
                && !self.rerun.iter().any(|(p, n)| p == parent && *n == name)
            {
                self.rerun.push((parent.to_string(), name));
            }
            return Ok(());
        }
        let event = event(live, EventKind::Delete, node);
        self.steps.push(Step::Delete { scope, name, event });
        Ok(())
    }

    /// Functions the save did not change whose signature reads a name a changed
    /// statement rebinds (`def f(t=TABLE)` after `TABLE = ...` changed): a fresh
    /// import evaluates their defaults with the new value.
    fn reads_rebound_name(&self, function: &Node) -> bool {
        let words: std::collections::HashSet<&str> =
            function.header_text().split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
        let mut block = parent_path(function.path());
        loop {
            if words.iter().any(|word| self.rebound.contains(&(block.to_string(), word.to_string()))) {
                return true;
            }
            if block.is_empty() || block == self.new_tree.module_name() {
                return false;
            }
            block = parent_path(block);
        }
    }

    /// Gives every function that the save did not change and `select` picks the
    /// code and defaults a compile of the new text gives it.
    fn recompile_unchanged(&mut self, old_tree: &DefTree, select: impl Fn(&Self, &Node) -> bool) -> Result<()> {
        let mut old_functions: std::collections::HashMap<&str, std::collections::VecDeque<&Node>> =
            std::collections::HashMap::new();
        for node in old_tree.definitions().filter(|n| n.kind() == Kind::Function) {
            old_functions.entry(node.path()).or_default().push_back(node);
        }
        let new_tree = self.new_tree;
        for new in new_tree.definitions().filter(|n| n.kind() == Kind::Function) {
            let Some(old) = old_functions.get_mut(new.path()).and_then(|olds| olds.pop_front()) else { continue };
            if self.changed.contains(&new.span().start) || !select(self, new) {
                continue;
            }
            match self.update(old, new) {
                Ok(()) => self.steps.push(Step::Swapped(event(self.live, EventKind::Update, new))),
                Err(Error::Conform { .. } | Error::Missing { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// Gives the code objects of the unchanged lines that hold some (a lambda, a
    /// comprehension) the code a compile of the new text gives them: the k-th
    /// one of a name in the line to the k-th.
    fn recompile_unchanged_lines(&mut self, old_tree: &DefTree) -> Result<()> {
        let live = self.live;
        let py = live.namespace.py();
        let mut old_lines: std::collections::HashMap<String, std::collections::VecDeque<&Node>> = Default::default();
        for node in code_lines(old_tree) {
            old_lines.entry(format!("{}\n{}", node.path(), node.header_text().trim())).or_default().push_back(node);
        }
        for new in code_lines(self.new_tree) {
            let key = format!("{}\n{}", new.path(), new.header_text().trim());
            let Some(old) = old_lines.get_mut(&key).and_then(|olds| olds.pop_front()) else { continue };
            if self.changed.contains(&new.span().start) {
                continue;
            }
            let scope = live.scope(new.path(), new)?;
            let classes = scope.class_names();
            let code = compile_node(py, new, Part::Whole, &classes, &live.filename, &self.staged.context)
                .map_err(|e| live.python_error(new, e))?;
            let body = crate::compile::body_code(&code, classes.len())?;
            let position = old.position();
            let olds = code_registry().in_lines(py, &live.filename, position.start.line..=position.end.line);
            let mut news: Vec<Bound<'py, PyAny>> = Vec::new();
            for constant in body.getattr("co_consts")?.try_iter()? {
                let constant = constant?;
                if is_code(&constant)? {
                    news.push(constant);
                }
            }
            let prefix = scope.prefix();
            for (path, old_code) in olds {
                let name = path.strip_prefix(prefix).map(|rest| rest.trim_start_matches('.')).unwrap_or(&path);
                if name.contains('.') {
                    continue; // nested: paired with its parent
                }
                let Some(at) = news
                    .iter()
                    .position(|c| c.getattr("co_name").and_then(|n| n.extract::<String>()).is_ok_and(|n| n == name))
                else {
                    continue;
                };
                let new_code = news.remove(at);
                if check_freevars(&old_code, &new_code, new.path()).is_ok() {
                    nested_pairs(&old_code, &new_code, &mut self.swaps)?;
                    self.swaps.push(Swap {
                        old: old_code,
                        new: Some(new_code),
                        attributes: None,
                        function: None,
                        bound: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether the removed definition `node` of `name` and those of the same
    /// name that remain in the block `parent` name it in their decorators
    /// (`@x.setter`): removing one changes what the others make.
    fn chained_with_remaining(&self, parent: &str, node: &Node, scope: &Scope<'py>, name: &str) -> bool {
        let new_tree = self.new_tree;
        let block = if parent == new_tree.module_name() {
            Some(new_tree.root())
        } else {
            new_tree.find(parent).find(|c| c.kind() == Kind::Class)
        };
        let mut remaining = block
            .into_iter()
            .flat_map(|b| b.children())
            .filter(|c| c.kind().is_definition() && scope.stored_name(c.name()) == name);
        node.decorators_name(node.name()) || remaining.any(|c| c.decorators_name(c.name()))
    }

    /// Runs again, in file order, the remaining definitions of names one of whose
    /// definitions the save removed.
    fn rerun_remaining(&mut self) -> Result<()> {
        let new_tree = self.new_tree;
        for (parent, name) in std::mem::take(&mut self.rerun) {
            let block = if parent == new_tree.module_name() {
                Some(new_tree.root())
            } else {
                new_tree.find(&parent).find(|c| c.kind() == Kind::Class)
            };
            let Some(block) = block else { continue };
            let scope = self.live.scope(&parent, block)?;
            for node in block.children() {
                // A definition held back (pending) stays as it is live.
                if node.kind().is_definition()
                    && scope.stored_name(node.name()) == name
                    && self.holds.get(node).is_none()
                {
                    let step = self.run(&parent, node, EventKind::Update)?;
                    self.steps.push(step);
                }
            }
        }
        Ok(())
    }

    /// Runs, once the save is live (so that they call the new code), the
    /// statements whose value reads a function the save changed: unchanged
    /// ones again, changed plain assignments for the first time. One that
    /// raises then is reported and its names keep their values; the rest of
    /// the save stays applied.
    fn rerun_dependents(&mut self, dependents: &[Dependent]) -> Result<()> {
        let live = self.live;
        let py = live.namespace.py();
        let children = self.new_tree.root().children();
        for dependent in dependents {
            let Some(node) = children.get(dependent.index) else { continue };
            let scope = live.scope(node.path(), node)?;
            let context = &self.staged.context;
            let compiled = compile_node(py, node, Part::Whole, &scope.class_names(), &live.filename, context);
            let code = match compiled {
                Ok(code) => code,
                // A changed statement that does not compile fails the save, as
                // any; an unchanged one compiled when the module was imported,
                // and a failure now only loses its rerun.
                Err(error) if dependent.changed => return Err(live.python_error(node, error)),
                Err(_) => continue,
            };
            let event = if dependent.changed {
                event(live, EventKind::Run, node)
            } else {
                let mut event = event(live, EventKind::Rerun, node);
                let targets = node.assignment().map(|a| a.targets.clone()).unwrap_or_default();
                let bound: Vec<String> = targets.iter().map(|target| self.full_path(target)).collect();
                let mut why = Vec::new();
                if !dependent.calls.is_empty() {
                    why.push(format!("calls {}", dependent.calls.join(", ")));
                }
                if !dependent.reads.is_empty() {
                    why.push(format!("reads {}", dependent.reads.join(", ")));
                }
                event.message = Some(format!(
                    "Rerun {} @L{}: {}, changed by this save",
                    bound.join(", "),
                    event.line,
                    why.join(" and ")
                ));
                event
            };
            self.steps.push(Step::Execute { code, scope, node: Box::new(node.clone()), event });
        }
        Ok(())
    }

    /// When `node` (a class statement that ran) bound a new class where a live
    /// class of the same name stands, the live instances follow it: the live
    /// class is updated in place if it can be (and stays bound), else replaced.
    fn note_class_change(
        &mut self,
        scope: &Scope<'py>,
        node: &Node,
        bindings: &mut Vec<(String, Bound<'py, PyAny>)>,
    ) -> Result<()> {
        let live = self.live;
        let holder = match scope {
            Scope::Module => live.namespace.clone(),
            Scope::Class { class, .. } => crate::scope::class_dict(class)?,
        };
        let name = scope.stored_name(node.name());
        let Some(position) = bindings.iter().position(|(n, _)| *n == name) else { return Ok(()) };
        let Ok(new) = bindings[position].1.clone().cast_into::<PyType>() else { return Ok(()) };
        let Some(old) = holder.get_item(&name)?.and_then(|c| c.cast_into::<PyType>().ok()) else { return Ok(()) };
        if old.is(&new) || !same_definition(&old, &new)? {
            return Ok(());
        }
        let old_body = self
            .old_tree
            .find(node.path())
            .find(|n| n.kind() == Kind::Class)
            .map(crate::reclass::body_names)
            .unwrap_or_default();
        let change = ClassChange::prepare(
            old.clone(),
            new,
            scope.clone(),
            node.name(),
            node.path(),
            node.first_line(),
            old_body,
        )?;
        if matches!(change.mode, Mode::InPlace) {
            // The live class stays bound; the save's next steps see it.
            bindings.remove(position);
            self.staged.stage(scope, &name, old.as_any())?;
        }
        self.class_changes.retain(|c| !c.old.is(&old));
        self.class_changes.push(change);
        Ok(())
    }

    /// A statement of a class body whose class must be made again by its whole
    /// statement: one that gives the class other `__slots__` (another layout),
    /// or any statement of a class its metaclass or base builds from the body
    /// (an Enum's members, a NamedTuple's or TypedDict's fields, a model
    /// metaclass's fields), which setting the attribute would leave behind.
    fn note_remade_class(
        &mut self,
        scope: &Scope<'py>,
        node: &Node,
        bindings: &[(String, Bound<'py, PyAny>)],
    ) -> Result<()> {
        let Scope::Class { class, path } = scope else { return Ok(()) };
        let slots_changed = match bindings.iter().find(|(name, _)| name == "__slots__") {
            Some((_, slots)) => match crate::scope::class_dict(class)?.get_item("__slots__")? {
                Some(live) => !live.eq(slots)?,
                None => true,
            },
            None => false,
        };
        let built_from_body = node.kind() == Kind::Line && crate::reclass::built_from_body(class)?;
        if (slots_changed || built_from_body) && !self.remade.contains(path) {
            self.remade.push(path.clone());
        }
        Ok(())
    }

    /// The dotted path of a definition from its path relative to the module.
    fn full_path(&self, relative: &str) -> String {
        if self.live.module_name.is_empty() {
            relative.to_string()
        } else {
            format!("{}.{relative}", self.live.module_name)
        }
    }

    /// Runs again the class statements of the classes whose layout the save
    /// changes (see [`Preparation::note_slots_change`]).
    fn remake_classes(&mut self) -> Result<()> {
        for path in std::mem::take(&mut self.remade) {
            let full = self.full_path(&path);
            let new_tree = self.new_tree;
            let Some(node) = new_tree.find(&full).find(|n| n.kind() == Kind::Class) else { continue };
            // Its decorators run with the statement.
            self.changed_classes.retain(|changed| *changed != path);
            let step = self.run(parent_path(node.path()), node, EventKind::Add)?;
            self.steps.push(step);
        }
        Ok(())
    }

    /// Decorated classes whose bodies the save changed: their decorators are
    /// applied again, to a fresh copy of the class, and what they made is moved
    /// to the live class.
    fn class_redecorations(&mut self) -> Result<Vec<ClassRedecoration<'py>>> {
        let mut out = Vec::new();
        for path in std::mem::take(&mut self.changed_classes) {
            let full = self.full_path(&path);
            let Some(node) = self.new_tree.find(&full).find(|n| n.kind() == Kind::Class) else { continue };
            if node.decorator_location().is_none() {
                continue;
            }
            let parent = parent_path(node.path());
            let scope = self.live.scope(parent, node)?;
            let Some(redecoration) = ClassRedecoration::prepare(self.live, &self.staged, node, &scope)? else {
                continue;
            };
            match redecoration.new_class.clone() {
                // The decorators made a new class: it replaces the live one as a
                // class made again by its statement would.
                Some(new_class) => {
                    let mut bindings = vec![(scope.stored_name(node.name()), new_class.into_any())];
                    self.conform_replaced(&scope, &bindings)?;
                    self.note_class_change(&scope, node, &mut bindings)?;
                    if let Some(change) = self.class_changes.last_mut().filter(|c| c.old.is(&redecoration.live_class)) {
                        change.rebind = true;
                        change.taken_away = redecoration.taken_away.clone();
                    }
                }
                None => {
                    // The live class keeps its identity; instances made before
                    // get the fields it gained.
                    let change = ClassChange::fields_only(
                        redecoration.live_class.clone(),
                        redecoration.fresh.clone(),
                        node.path(),
                        node.first_line(),
                    )?;
                    if change.visits_instances() {
                        self.class_changes.push(change);
                    }
                    out.push(redecoration)
                }
            }
        }
        Ok(out)
    }
}

/// The module- and class-level lines of `tree` that hold code objects (not the
/// bodies of functions, which lean trees keep as one line each).
fn code_lines(tree: &DefTree) -> Vec<&Node> {
    let functions: std::collections::HashSet<&str> =
        tree.definitions().filter(|n| n.kind() == Kind::Function).map(Node::path).collect();
    tree.walk()
        .filter(|node| node.kind() == Kind::Line && node.defines_code() && !functions.contains(node.path()))
        .collect()
}

/// The class (relative path) whose body an edit changes, if any.
fn changed_class(live: &LiveModule<'_>, edit: &Edit) -> Option<String> {
    let scope = match edit {
        // A method's body or signature: class decorators read the class's
        // annotations, fields and attributes, never a method's code, and running
        // them again for it would make a new class for nothing (`@attrs.define`).
        Edit::Update { .. } => return None,
        Edit::Redecorate { new, .. } => parent_path(new.path()).to_string(),
        Edit::Add { parent, .. } | Edit::Run { parent, .. } | Edit::Delete { parent, .. } => parent.clone(),
        _ => return None,
    };
    let relative = live.relative(&scope);
    (!relative.is_empty()).then(|| relative.to_string())
}

/// The live code objects of the definition at `relative` (first line
/// `first_line`: every version there), learning the module's functions, then
/// the heap's, when none is known yet. `exact` when several definitions share
/// the path: only code at that first line will do.
fn find_codes<'py>(
    live: &LiveModule<'py>,
    relative: &str,
    first_line: u32,
    exact: bool,
    heap_learned: &mut bool,
    node: &Node,
) -> Result<Vec<Bound<'py, PyAny>>> {
    let py = live.namespace.py();
    let find = || code_registry().find_all_at(py, &live.filename, relative, first_line, exact);
    let mut found = find();
    if found.is_empty() {
        code_registry().learn_namespace(&live.namespace, &live.filename)?;
        found = find();
    }
    if found.is_empty() && !*heap_learned {
        // Hidden from the namespace (say, kept only by a wrapper object): look at
        // every function alive, once a save.
        *heap_learned = true;
        code_registry().learn_from_heap(py, &live.filename)?;
        found = find();
    }
    if found.is_empty() {
        return Err(Error::Missing {
            filename: live.filename.clone(),
            line: node.first_line(),
            path: node.path().to_string(),
            what: "its code".to_string(),
        });
    }
    Ok(found)
}

/// The plain function bound under `node`'s name where it lives (the module's
/// namespace or its class's), if any: read from the dictionary, so no
/// descriptor nor `__getattr__` of the program runs.
fn bound_function<'py>(scope: &Scope<'py>, live: &LiveModule<'py>, node: &Node) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = live.namespace.py();
    let holder = match scope {
        Scope::Module => live.namespace.clone(),
        Scope::Class { class, .. } => crate::scope::class_dict(class)?,
    };
    let Some(object) = holder.get_item(scope.stored_name(node.name()))? else { return Ok(None) };
    let function_type = py.import("types")?.getattr("FunctionType")?;
    Ok(object.get_type().is(&function_type).then_some(object))
}

/// Whether two classes come from the same class statement (a class made again,
/// not another class bound under the name).
fn same_definition<'py>(old: &Bound<'py, PyType>, new: &Bound<'py, PyType>) -> PyResult<bool> {
    // `__qualname__` lives on the type object, `__module__` in its namespace.
    let module = |class: &Bound<'py, PyType>| crate::scope::class_dict(class)?.get_item("__module__");
    let same_module = match (module(old)?, module(new)?) {
        (Some(a), Some(b)) => a.eq(&b)?,
        _ => false,
    };
    Ok(same_module && old.getattr("__qualname__")?.eq(new.getattr("__qualname__")?)?)
}
