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
    let root = rebuild(old.root(), &script.plan)?;
    Ok(DefTree::from_root(root, old))
}

fn rebuild(old: &Node, plan: &Plan) -> Result<Node> {
    let wrong_base = || Error::WrongBase { module: old.path().to_string() };
    let children = plan
        .pieces
        .iter()
        .map(|piece| match piece {
            Piece::Keep(index) => old.children().get(*index).cloned().ok_or_else(wrong_base),
            Piece::Take(node) => Ok(node.clone()),
            Piece::Merge(index, inner) => rebuild(old.children().get(*index).ok_or_else(wrong_base)?, inner),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(plan.shell.with_children(children))
}
