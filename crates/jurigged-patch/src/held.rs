//! Statements a save holds back instead of running, so that one statement
//! never holds a save hostage:
//! - a module-level statement that is running now (a frame of the module's
//!   body is inside it on some thread's stack: the script's main loop,
//!   `serve_forever()`): running it again would start a second loop on the
//!   save's thread, and no later save would ever be applied;
//! - a module-level statement after one that is running now (a statement
//!   after the script's main loop): it has not run yet in this process, and
//!   running it in the save would run it before its time;
//! - a *pending* statement: its last run raised, so its save applied nothing;
//!   later saves in which its text is unchanged do not run it again.
//!
//! The live file ([`crate::CodeFile`]) owns what this needs across saves: the
//! line ranges its module's running code gives each top-level statement
//! ([`Origins`]), and the pending statements.

use std::collections::HashMap;

use jurigged_deftree::{DefTree, Kind, Node};
use jurigged_diff::{counterparts, Edit, EditScript};

use crate::event::{Event, EventKind};

/// A frame of the module's own body code on some thread's stack.
#[derive(Debug, Clone)]
pub struct RunningFrame {
    /// Its current line, in the text the module's code was compiled from.
    pub line: u32,
    /// The thread's name.
    pub thread: String,
}

/// A statement whose run raised: its save applied nothing.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Its dotted path (a statement's is its block's: the module, a class).
    pub path: String,
    /// Its code, as saved: a later save with this same text does not run it.
    pub text: String,
    /// The code of the statement it replaces, which is what runs live: a save
    /// that brings it back has nothing to run and clears the pending one.
    pub live_text: Option<String>,
    /// Its first line in the saved file.
    pub line: u32,
    /// Its first line of code (` ...` when it has more).
    pub code: String,
    /// What it raised: `OSError: Address already in use`.
    pub error: String,
    /// When (local time, `10:12:03`).
    pub at: String,
}

impl Pending {
    /// The note of a save that holds it back.
    pub fn note(&self, filename: &std::path::Path, line: u32) -> String {
        let file = filename.file_name().map_or_else(|| filename.display().to_string(), |n| n.to_string_lossy().into());
        format!(
            "Pending {file} L{line} {}: not applied ({}, at {}); edit it to try again",
            self.code, self.error, self.at
        )
    }
}

/// Why a statement of a save is not run.
#[derive(Debug, Clone)]
pub(crate) enum Hold {
    /// It is running now on these threads.
    Running { threads: Vec<String> },
    /// It comes after a statement running now on these threads (lines
    /// `running` in the new text): it has not run yet.
    AfterRunning { threads: Vec<String>, running: (u32, u32) },
    /// Its last run raised and its text is unchanged.
    Pending(Pending),
    /// It is back to the text that runs live: nothing to run.
    Restored,
}

/// The statements a save does not run, by where the new statement starts.
#[derive(Debug, Default)]
pub(crate) struct Holds {
    by_start: HashMap<usize, Hold>,
}

impl Holds {
    pub(crate) fn get(&self, node: &Node) -> Option<&Hold> {
        self.by_start.get(&node.span().start)
    }

    /// The event a held statement gives instead of `Run` (None: said nothing).
    pub(crate) fn event(hold: &Hold, filename: &std::path::Path, node: &Node) -> Option<Event> {
        let position = node.position();
        let (kind, message) = match hold {
            Hold::Running { threads } => {
                let word = if threads.len() == 1 { "thread" } else { "threads" };
                let lines = lines_text(position.start.line, position.end.line);
                let message = format!(
                    "Skip {} @{lines}: this statement is running ({word} {}); its change takes effect when the \
                     program restarts",
                    node.path(),
                    threads.join(", ")
                );
                (EventKind::Skip, message)
            }
            Hold::AfterRunning { threads, running } => {
                let word = if threads.len() == 1 { "thread" } else { "threads" };
                let message = format!(
                    "Skip {} @{}: after a running statement ({} in {word} {}), it has not run yet; its change \
                     takes effect when the program restarts",
                    node.path(),
                    lines_text(position.start.line, position.end.line),
                    lines_text(running.0, running.1),
                    threads.join(", ")
                );
                (EventKind::Skip, message)
            }
            Hold::Pending(pending) => (EventKind::Pending, pending.note(filename, position.start.line)),
            Hold::Restored => return None,
        };
        Some(Event {
            kind,
            path: node.path().to_string(),
            filename: filename.to_path_buf(),
            line: position.start.line,
            code: Some(first_line_of(node)),
            error: None,
            message: Some(message),
            class_replaced: false,
        })
    }
}

/// `L12`, or `L12-L18`.
fn lines_text(start: u32, end: u32) -> String {
    if start == end {
        format!("L{start}")
    } else {
        format!("L{start}-L{end}")
    }
}

/// A statement's first line of code, ` ...` added when it has more (a
/// definition has its body).
pub(crate) fn first_line_of(node: &Node) -> String {
    let text = node.header_text().trim();
    let first = text.lines().next().unwrap_or_default().to_string();
    if text.contains('\n') || node.kind().is_definition() {
        format!("{first} ...")
    } else {
        first
    }
}

/// For each top-level statement of the live tree, the lines it has in the code
/// the module is running (its body as imported): None for what a save added.
/// Saves move statements in the file, never in the running body.
#[derive(Debug, Clone)]
pub(crate) struct Origins(Vec<Option<(u32, u32)>>);

impl Origins {
    /// The origins of a tree whose text is the one the module ran.
    pub(crate) fn of(tree: &DefTree) -> Origins {
        Origins(tree.root().children().iter().map(|node| Some(lines_of(node))).collect())
    }

    /// The index of the top-level statement the running body is at, at `line`.
    pub(crate) fn statement_at(&self, line: u32) -> Option<usize> {
        self.0.iter().position(|range| range.is_some_and(|(start, end)| (start..=end).contains(&line)))
    }

    /// The origins of `new` after a save from `old`: a statement kept keeps its
    /// lines, a running statement held back gives its lines to the new text
    /// that stands for it (it still runs there).
    pub(crate) fn after(&self, old: &DefTree, new: &DefTree, held_running: &[(usize, usize)]) -> Origins {
        let pairs = counterparts(old.root(), new.root());
        let mut origins: Vec<Option<(u32, u32)>> =
            pairs.iter().map(|pair| pair.and_then(|i| self.0.get(i).copied().flatten())).collect();
        for &(old_index, new_index) in held_running {
            if let (Some(slot), Some(origin)) = (origins.get_mut(new_index), self.0.get(old_index)) {
                *slot = *origin;
            }
        }
        Origins(origins)
    }
}

/// A statement's lines: from its first decorator to the end of its last statement.
fn lines_of(node: &Node) -> (u32, u32) {
    (node.first_line(), node.position().end.line)
}

/// For each top-level statement of `new` that has no counterpart in `old`, the
/// old statement without one that it replaces: between the same two kept
/// neighbours, the k-th changed statement of the old text to the k-th of the new.
pub(crate) fn replacements(old: &DefTree, new: &DefTree) -> HashMap<usize, usize> {
    let pairs = counterparts(old.root(), new.root());
    let olds = old.root().children();
    let news = new.root().children();
    let mut kept = vec![false; olds.len()];
    for index in pairs.iter().flatten() {
        kept[*index] = true;
    }
    let mut out = HashMap::new();
    let mut gap_new: Vec<usize> = Vec::new();
    let mut next_old = 0usize;
    let close_gap = |gap_new: &mut Vec<usize>, from: usize, to: usize, out: &mut HashMap<usize, usize>| {
        let gap_old = (from..to.min(olds.len())).filter(|&i| !kept[i] && olds[i].kind() == Kind::Line);
        let gap_lines = gap_new.drain(..).filter(|&j| news[j].kind() == Kind::Line);
        for (j, i) in gap_lines.zip(gap_old) {
            out.insert(j, i);
        }
    };
    for (j, pair) in pairs.iter().enumerate() {
        match pair {
            None => gap_new.push(j),
            Some(i) => {
                if *i >= next_old {
                    close_gap(&mut gap_new, next_old, *i, &mut out);
                    next_old = i + 1;
                } else {
                    gap_new.clear();
                }
            }
        }
    }
    close_gap(&mut gap_new, next_old, olds.len(), &mut out);
    out
}

/// What a save of `new` over the live `old` holds back, and which running
/// statements (old index, new index) it holds.
pub(crate) fn holds_for(
    old: &DefTree,
    new: &DefTree,
    script: &EditScript,
    origins: &Origins,
    running: &[RunningFrame],
    pending: &[Pending],
) -> (Holds, Vec<(usize, usize)>) {
    let mut holds = Holds::default();
    for edit in script.edits() {
        // A statement, or a definition whose run raised (a class body, a decorator).
        let (Edit::Run { node, .. } | Edit::Add { node, .. }) = edit else { continue };
        let text = node.code_text();
        let same_parent = |p: &&Pending| p.path == node.path();
        if let Some(p) = pending.iter().filter(same_parent).find(|p| p.text == text) {
            holds.by_start.insert(node.span().start, Hold::Pending(p.clone()));
        } else if pending.iter().filter(same_parent).any(|p| p.live_text.as_deref() == Some(text.as_str())) {
            holds.by_start.insert(node.span().start, Hold::Restored);
        }
    }
    let mut held_running = Vec::new();
    if running.is_empty() {
        return (holds, held_running);
    }
    let mut threads_at: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for frame in running {
        if let Some(index) = origins.statement_at(frame.line) {
            let threads = threads_at.entry(index).or_default();
            if !threads.contains(&frame.thread) {
                threads.push(frame.thread.clone());
            }
        }
    }
    let replaced = replacements(old, new);
    let news = new.root().children();
    for (&new_index, &old_index) in &replaced {
        let Some(threads) = threads_at.get(&old_index) else { continue };
        held_running.push((old_index, new_index));
        holds.by_start.insert(news[new_index].span().start, Hold::Running { threads: threads.clone() });
    }
    hold_after_running(new, script, &replaced, &threads_at, counterparts(old.root(), new.root()), &mut holds);
    (holds, held_running)
}

/// Holds the changed top-level statements of `new` that come after the first
/// statement the module's body is running (`threads_at`, by old index): they
/// have not run yet. `replaced` and `pairs` follow old statements into `new`.
fn hold_after_running(
    new: &DefTree,
    script: &EditScript,
    replaced: &HashMap<usize, usize>,
    threads_at: &std::collections::BTreeMap<usize, Vec<String>>,
    pairs: Vec<Option<usize>>,
    holds: &mut Holds,
) {
    let Some((&first, threads)) = threads_at.iter().next() else { return };
    let news = new.root().children();
    // The new statement that stands for the running one, or failing that
    // (deleted), the first that stands for one after it.
    let Some(running) = (0..news.len())
        .find(|&j| pairs.get(j).copied().flatten().or_else(|| replaced.get(&j).copied()).is_some_and(|i| i >= first))
    else {
        return;
    };
    let runs = script.edits().iter().filter_map(|edit| match edit {
        Edit::Run { node, .. } => Some(node),
        _ => None,
    });
    let lines = (news[running].first_line(), news[running].position().end.line);
    for node in runs {
        let after = news.iter().skip(running + 1).any(|later| later.span() == node.span());
        if after && holds.get(node).is_none() {
            let hold = Hold::AfterRunning { threads: threads.clone(), running: lines };
            holds.by_start.insert(node.span().start, hold);
        }
    }
}

/// The pending statements (and definitions) that still hold after a change to `tree`: those
/// whose text is still there (a statement edited since is tried again).
///
/// Only the nodes at a pending statement's path have their text made: a save
/// of a large file with nothing pending (the usual case) costs nothing here.
pub(crate) fn still_pending(pending: Vec<Pending>, tree: &DefTree) -> Vec<Pending> {
    if pending.is_empty() {
        return pending;
    }
    let mut texts: std::collections::HashMap<&str, Vec<String>> =
        pending.iter().map(|p| (p.path.as_str(), Vec::new())).collect();
    for node in tree.walk() {
        if let Some(found) = texts.get_mut(node.path()) {
            found.push(node.code_text());
        }
    }
    let kept = pending
        .iter()
        .map(|p| texts.get(p.path.as_str()).is_some_and(|found| found.contains(&p.text)))
        .collect::<Vec<_>>();
    pending.into_iter().zip(kept).filter_map(|(p, keep)| keep.then_some(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::{replacements, still_pending, Origins, Pending};
    use jurigged_deftree::{DefTree, Parser};

    fn tree(text: &str) -> DefTree {
        Parser::new().module("app").parse(text).expect("parses")
    }

    const OLD: &str = "import time\n\ndef f():\n    return 1\n\nwhile True:\n    time.sleep(1)\nprint('end')\n";

    #[test]
    fn a_changed_statement_replaces_the_old_one_between_the_same_kept_neighbours() {
        let old = tree(OLD);
        let new = tree(&OLD.replace("sleep(1)", "sleep(2)").replace("import time\n", "import time\nx = 1\n"));
        let pairs = replacements(&old, &new);
        // New: import, x = 1, def f, while, print. Old: import, def f, while, print.
        // `x = 1` has no old statement in its gap; the loop replaces the loop.
        assert_eq!(pairs.get(&3), Some(&2));
        assert_eq!(pairs.get(&1), None);
        assert_eq!(pairs.len(), 1);
    }

    #[test]
    fn statements_keep_the_lines_of_the_running_body_across_saves() {
        let old = tree(OLD);
        let origins = Origins::of(&old);
        assert_eq!(origins.statement_at(7), Some(2));
        // Two lines added above: the loop moved in the file, not in the body.
        let new = tree(&format!("y = 0\nz = 0\n{}", OLD.replace("sleep(1)", "sleep(2)")));
        let after = origins.after(&old, &new, &[(2, 4)]);
        assert_eq!(after.statement_at(7), Some(4));
        assert_eq!(after.statement_at(1), Some(2));
        assert_eq!(after.0[0], None);
    }

    fn pending(path: &str, text: &str) -> Pending {
        Pending {
            path: path.to_string(),
            text: text.to_string(),
            live_text: None,
            line: 1,
            code: text.to_string(),
            error: "OSError".to_string(),
            at: "10:00:00".to_string(),
        }
    }

    #[test]
    fn a_pending_statement_stays_while_its_text_is_in_the_tree_at_its_path() {
        let old = tree(OLD);
        let sleep = "while True:\n    time.sleep(1)\n";
        let kept = still_pending(vec![pending("app", sleep), pending("app", "x = 1\n"), pending("app.f", sleep)], &old);
        // Only the loop at the module's level is still there, as it was.
        assert_eq!(kept.iter().map(|p| (p.path.as_str(), p.text.as_str())).collect::<Vec<_>>(), [("app", sleep)]);
        let edited = tree(&OLD.replace("sleep(1)", "sleep(2)"));
        assert!(still_pending(kept, &edited).is_empty(), "an edited statement is tried again");
    }
}
