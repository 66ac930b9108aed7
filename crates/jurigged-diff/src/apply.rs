//! Replaying an [`EditScript`] on the tree it was computed from.

use jurigged_deftree::{DefTree, Node};

use crate::error::{Error, Result};
use crate::script::{EditScript, Piece, Plan};

/// Applies `script` to `old`, the tree it was computed from: the result
/// reconstructs to the new source (for [`diff`](crate::diff)) or to the merged file
/// (for [`merge`](crate::merge)), byte for byte, with positions recomputed.
pub fn apply(old: &DefTree, script: &EditScript) -> Result<DefTree> {
    if old.root().len() != script.base_len {
        return Err(Error::WrongBase { module: old.module_name().to_string() });
    }
    let newline = newline_of(old.root());
    let root = rebuild(old.root(), &script.plan, &newline)?;
    Ok(DefTree::from_root(root, old))
}

fn rebuild(old: &Node, plan: &Plan, newline: &str) -> Result<Node> {
    let wrong_base = || Error::WrongBase { module: old.path().to_string() };
    let mut children = plan
        .pieces
        .iter()
        .map(|piece| match piece {
            Piece::Keep(index) => old.children().get(*index).cloned().ok_or_else(wrong_base),
            Piece::Take(node) => Ok(node.clone()),
            Piece::Merge(index, inner) => rebuild(old.children().get(*index).ok_or_else(wrong_base)?, inner, newline),
        })
        .collect::<Result<Vec<_>>>()?;
    // A merge can put a file's unterminated last line before another statement.
    let count = children.len();
    for child in children.iter_mut().take(count.saturating_sub(1)) {
        if !child.ends_with_line_break() {
            *child = child.with_final_newline(newline);
        }
    }
    Ok(plan.shell.with_children(children))
}

/// The line break the file uses (that of its first line).
fn newline_of(root: &Node) -> String {
    let text = root.text();
    match text.find(['\n', '\r']) {
        Some(at) if text[at..].starts_with("\r\n") => "\r\n".to_string(),
        Some(at) if text[at..].starts_with('\r') => "\r".to_string(),
        _ => "\n".to_string(),
    }
}
