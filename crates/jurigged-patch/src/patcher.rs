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

use jurigged_deftree::{DefTree, Node};
use jurigged_diff::EditScript;
use pyo3::prelude::*;

use crate::commit::commit;
use crate::conform::{find_users, Swap};
use crate::error::Result;
use crate::event::{Event, EventKind};
use crate::prepare::{prepare, Prepared};
pub use crate::scope::LiveModule;
use crate::scope::Scope;

/// One operation ready to commit.
pub(crate) enum Step<'py> {
    /// Reported only: its code swaps are in the common list.
    Swapped(Event),
    /// Names evaluated during prepare, to bind at commit.
    Bind {
        bindings: Vec<(String, Bound<'py, PyAny>)>,
        scope: Scope<'py>,
        code: Bound<'py, PyAny>,
        event: Event,
    },
    /// A statement that needs the committed module (it reads a name the save
    /// binds from a nested scope): run at commit, after the bindings.
    Execute {
        code: Bound<'py, PyAny>,
        scope: Scope<'py>,
        node: Box<Node>,
        event: Event,
    },
    Delete {
        scope: Scope<'py>,
        name: String,
        event: Event,
    },
}

pub(crate) fn event(live: &LiveModule<'_>, kind: EventKind, node: &Node) -> Event {
    let code = (kind == EventKind::Run).then(|| {
        let text = node.header_text().trim();
        let first = text.lines().next().unwrap_or_default().to_string();
        if text.contains('\n') {
            format!("{first} ...")
        } else {
            first
        }
    });
    let line = if kind == EventKind::Run { node.position().start.line } else { node.first_line() };
    Event { kind, path: node.path().to_string(), filename: live.filename.clone(), line, code, error: None }
}

/// Applies `script` (computed from `old_tree`, the module's current tree, to
/// `new_tree`) to the live module; returns one event per operation.
pub fn patch<'py>(
    live: &LiveModule<'py>,
    script: &EditScript,
    old_tree: &DefTree,
    new_tree: &DefTree,
) -> Result<Vec<Event>> {
    let py = live.namespace.py();
    // What the save runs is not the module's own code: the registry learns it
    // from the compiled snippets at commit, not from the audit hook.
    let _patching = crate::registry::PatchingGuard::enter(&live.filename);
    let Prepared { mut swaps, steps, metadata, redecorations } = prepare(live, script, old_tree, new_tree)?;
    keep_last_swap_of_each_code(&mut swaps);
    let users = find_users(py, &swaps)?;
    commit(live, steps, &swaps, &users, metadata, redecorations)
}

/// Where a save swaps the same old code twice (a function that moved and is
/// recompiled), the later swap is the one: it was prepared from more of the save.
fn keep_last_swap_of_each_code(swaps: &mut Vec<Swap<'_>>) {
    let mut seen = std::collections::HashSet::new();
    swaps.reverse();
    swaps.retain(|swap| seen.insert(swap.old.as_ptr() as usize));
    swaps.reverse();
}

/// The dotted path of the scope holding `path`.
pub(crate) fn parent_path(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(parent, _)| parent)
}
