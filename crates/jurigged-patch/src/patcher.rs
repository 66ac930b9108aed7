//! Applying an [`EditScript`] to a live module, transactionally and atomically.
//!
//! Prepare: every statement and definition of the save is compiled and run in
//! file order against the live scopes as the save changes them (`prepare`),
//! every conform is checked and the users of the old code are found
//! (one heap scan at most). Nothing live has changed yet: any failure leaves the
//! program as it was, except for what the save's own statements did.
//!
//! Commit: the new bindings, the deletions and the code swaps happen in one
//! stretch with no Python code in between, so another thread sees all of a save
//! or none of it (`commit`). Then what runs Python code: `__set_name__`, `__conform__`, the
//! statements that could only run against the committed module, and the class
//! decorators re-applied to changed classes.

use crate::clock::StatementClock;
use crate::commit::commit;
use crate::conform::{find_users, Swap};
use crate::dependents::Dependent;
use crate::error::Result;
use crate::event::Event;
use crate::held::Holds;
use crate::prepare::{prepare, Prepared};
pub use crate::scope::LiveModule;
use jurigged_deftree::DefTree;
use jurigged_diff::EditScript;

/// Applies `script` (computed from `old_tree`, the module's current tree, to
/// `new_tree`) to the live module; returns one event per operation.
pub fn patch<'py>(
    live: &LiveModule<'py>,
    script: &EditScript,
    old_tree: &DefTree,
    new_tree: &DefTree,
) -> Result<Vec<Event>> {
    patch_holding(live, script, old_tree, new_tree, &Holds::default(), &[], None)
}

/// [`patch`], not running the statements `holds` names, running again the
/// unchanged `dependents` once the save is live, telling `clock` as each
/// statement starts and ends.
pub(crate) fn patch_holding<'py>(
    live: &LiveModule<'py>,
    script: &EditScript,
    old_tree: &DefTree,
    new_tree: &DefTree,
    holds: &Holds,
    dependents: &[Dependent],
    clock: Option<&dyn StatementClock>,
) -> Result<Vec<Event>> {
    let py = live.namespace.py();
    // What the save runs is not the module's own code: the registry learns it
    // from the compiled snippets at commit, not from the audit hook.
    let _patching = crate::code_registry::PatchingGuard::enter(&live.filename);
    let Prepared { mut swaps, steps, metadata, redecorations, class_changes } =
        prepare(live, script, old_tree, new_tree, holds, dependents, clock)?;
    keep_last_swap_of_each_code(&mut swaps);
    // The instances of classes made again are found by the same heap scan as
    // the users of old code, and only when some must be visited.
    let classes: Vec<_> = if class_changes.iter().any(|change| change.visits_instances()) {
        class_changes.iter().map(|change| change.old.clone()).collect()
    } else {
        Vec::new()
    };
    let users = find_users(py, &swaps, &classes)?;
    commit(live, steps, &swaps, &users, metadata, redecorations, class_changes)
}

/// Where a save swaps the same old code twice (a function that moved and is
/// recompiled), the later swap is the one: it was prepared from more of the save.
fn keep_last_swap_of_each_code(swaps: &mut Vec<Swap<'_>>) {
    let mut seen = std::collections::HashSet::new();
    swaps.reverse();
    swaps.retain(|swap| seen.insert(swap.old.as_ptr() as usize));
    swaps.reverse();
}
