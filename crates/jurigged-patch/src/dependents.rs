//! Unchanged module-level statements a save runs again because a function
//! they call changed: `uts46data = tuple(_seg_0() + _seg_1())` keeps the table
//! the old `_seg_N` built unless it runs again, while a fresh import of the new
//! text builds the new one.
//!
//! Only what can run again safely, by its text alone: a statement that binds
//! plain names to the value of one expression (`x = ...`, `a = b = ...`; not
//! augmented, not annotated, not to an attribute or a subscript: those change
//! an object, and running them twice is not running them once), whose value
//! calls a top-level function of the module that the save changed (its body,
//! signature or decorators: `handlers = {"h": f}` only refers to `f`, which
//! keeps its identity and gets the new code), or reads a name such a
//! statement binds (in file order: `b = f()` then `c = g(b)`). Not when running it again would not match a
//! fresh run either: a statement whose value reads what it binds (`f =
//! cache(f)`: it would wrap the wrapper), one binding a name that a
//! definition or a later statement binds too, one that is running now or
//! that comes after a statement running now (the script's main loop: what
//! follows it has not run yet).
//!
//! A changed plain assignment that reads a changed function (or what a
//! dependent binds) is run once the save is live too, not while the save is
//! prepared: then the function still has its old code.

use std::collections::HashSet;

use jurigged_deftree::{DefTree, Kind, Node};
use jurigged_diff::{counterparts, Edit, EditScript};

use crate::held::{Holds, Origins, RunningFrame};

/// A statement to run once the save is live, and why.
#[derive(Debug, Clone)]
pub(crate) struct Dependent {
    /// Its index among the new tree's top-level statements.
    pub(crate) index: usize,
    /// Whether the save changed it (it runs once, after the functions it
    /// reads got their new code; else it runs again, unchanged).
    pub(crate) changed: bool,
    /// The functions it calls that the save changed, in the order it reads them.
    pub(crate) calls: Vec<String>,
    /// The names it reads that a dependent before it binds.
    pub(crate) reads: Vec<String>,
}

/// The top-level statements of `new` that a save from `old` by `script` runs
/// once the save is live, in file order: the unchanged ones it runs again, and
/// the changed plain assignments that read a changed function (run before,
/// they would call its old code). `holds` are the changed statements it does
/// not run; `origins` and `running` place the module's running body.
pub(crate) fn dependents(
    old: &DefTree,
    new: &DefTree,
    script: &EditScript,
    holds: &Holds,
    origins: &Origins,
    running: &[RunningFrame],
) -> Vec<Dependent> {
    let children = new.root().children();
    let top_level: HashSet<&str> = children.iter().filter(|c| c.kind().is_definition()).map(Node::path).collect();
    let changed_functions: HashSet<String> = script
        .edits()
        .iter()
        .filter_map(|edit| match edit {
            Edit::Update { new, .. } | Edit::Redecorate { new, .. } => Some(new),
            _ => None,
        })
        .filter(|node| node.kind() == Kind::Function && top_level.contains(node.path()))
        .map(|node| node.name().to_string())
        .collect();
    // The usual save calls no changed function at top level: one walk over
    // the top-level statements, and nothing else is computed.
    let calls_changed =
        |node: &Node| node.assignment().is_some_and(|a| a.calls.iter().any(|name| changed_functions.contains(name)));
    if changed_functions.is_empty() || !children.iter().any(calls_changed) {
        return Vec::new();
    }
    // What the dependents found so far bind.
    let mut stale: HashSet<String> = HashSet::new();
    // The changed top-level statements the save runs, by where they start.
    let runs: HashSet<usize> = script
        .edits()
        .iter()
        .filter_map(|edit| match edit {
            Edit::Run { node, .. } if holds.get(node).is_none() => Some(node.span().start),
            _ => None,
        })
        .collect();
    // The first top-level statement of the old text that a frame of the
    // module's body is in: it and what follows are not run again.
    let first_running = running.iter().filter_map(|frame| origins.statement_at(frame.line)).min();
    let defined: HashSet<&str> = children.iter().filter(|c| c.kind().is_definition()).map(Node::name).collect();
    let pairs = counterparts(old.root(), new.root());
    let mut out = Vec::new();
    for (index, node) in children.iter().enumerate() {
        let Some(assignment) = node.assignment() else { continue };
        // A changed function it calls (one it only refers to is the same
        // object, with the new code), or a name a dependent binds.
        let calls: Vec<String> =
            assignment.calls.iter().filter(|name| changed_functions.contains(*name)).cloned().collect();
        let reads: Vec<String> = assignment.reads.iter().filter(|name| stale.contains(*name)).cloned().collect();
        if calls.is_empty() && reads.is_empty() {
            continue;
        }
        let changed = runs.contains(&node.span().start);
        if !changed {
            let Some(Some(old_index)) = pairs.get(index) else { continue };
            if first_running.is_some_and(|running| *old_index >= running) {
                continue;
            }
            let reads_itself = assignment.targets.iter().any(|target| assignment.reads.contains(target));
            let bound_elsewhere = assignment
                .targets
                .iter()
                .any(|target| defined.contains(target.as_str()) || bound_later(&children[index + 1..], target));
            if reads_itself || bound_elsewhere {
                continue;
            }
        }
        stale.extend(assignment.targets.iter().cloned());
        out.push(Dependent { index, changed, calls, reads });
    }
    out
}

/// Whether one of `later` (top-level statements) binds `name` by assignment or
/// import.
fn bound_later(later: &[Node], name: &str) -> bool {
    later.iter().any(|node| {
        node.assignment().is_some_and(|a| a.targets.iter().any(|t| t == name))
            || node.imports().iter().any(|imported| imported == name)
    })
}
