//! What the original jurigged also reported of a change, for the clients that
//! count its operations: an `UpdateOperation` for each changed scope (the
//! enclosing classes, innermost first, then the module) after the change's own
//! operations, and a `DeleteOperation` for each statement the change replaced
//! (the original deleted the old statement and added the new one). These
//! events reach Python callbacks and loggers only (see `Event::is_echo`): this
//! package's log, event stream and summaries say a change once.

use std::path::Path;

use jurigged_deftree::{DefTree, Kind, Node};

use jurigged_patch::EventKind;

use crate::py_event::Event;

/// The echoes of `events`, a change of the file from `old` to `new`; none when
/// the change changed nothing.
pub fn echoes(filename: &Path, old: &DefTree, new: &DefTree, events: &[Event]) -> Vec<Event> {
    let changes: Vec<&Event> = events
        .iter()
        .filter(|e| !e.is_echo())
        .filter(|e| matches!(e.kind(), EventKind::Update | EventKind::Add | EventKind::Delete | EventKind::Run))
        .collect();
    if changes.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    replaced_statements(filename, old.root(), new.root(), &mut out);
    // Each scope once (a save may change 100,000 functions of one module).
    let mut touched: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for event in changes {
        // A statement's path is its scope's; a definition's scope holds it.
        let scope = match event.kind() {
            EventKind::Run => event.path(),
            _ => parent_of(event.path()),
        };
        if seen.insert(scope) {
            touched.push(scope.to_string());
        }
    }
    let mut scopes: Vec<(String, u32)> = Vec::new();
    for mut scope in touched {
        while let Some(class) = new.find(&scope).find(|n| n.kind() == Kind::Class) {
            if scopes.iter().any(|(path, _)| *path == scope) {
                break;
            }
            scopes.push((scope.clone(), class.first_line()));
            // A class at the top of a module named "" has no dot in its path.
            let Some((parent, _)) = scope.rsplit_once('.') else { break };
            scope = parent.to_string();
        }
    }
    // Innermost first, as the original reports a scope after its members.
    scopes.sort_by_key(|(path, _)| std::cmp::Reverse(path.matches('.').count()));
    for (path, line) in scopes {
        out.push(Event::echo(EventKind::Update, Kind::Class, &path, filename, line, None));
    }
    out.push(Event::echo(EventKind::Update, Kind::Module, new.module_name(), filename, 1, None));
    out
}

/// The dotted path holding `path` ("" when it has no dot: the scope of a
/// module named "").
fn parent_of(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(parent, _)| parent)
}

/// A Delete echo for each statement of the block `old` that no statement of
/// `new` stands for, in classes that stand for each other too.
fn replaced_statements(filename: &Path, old: &Node, new: &Node, out: &mut Vec<Event>) {
    let matches = jurigged_diff::counterparts(old, new);
    let mut matched = vec![false; old.children().len()];
    for (new_child, counterpart) in new.children().iter().zip(&matches) {
        let Some(index) = *counterpart else { continue };
        matched[index] = true;
        let old_child = &old.children()[index];
        if old_child.kind() == Kind::Class && new_child.kind() == Kind::Class {
            replaced_statements(filename, old_child, new_child, out);
        }
    }
    for (child, _) in old.children().iter().zip(&matched).filter(|(c, m)| !**m && c.kind() == Kind::Line) {
        let code = child.header_text().trim().lines().next().unwrap_or_default();
        out.push(Event::echo(EventKind::Delete, Kind::Line, old.path(), filename, child.first_line(), Some(code)));
    }
}
