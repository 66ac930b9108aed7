//! Which old node each new node corresponds to, within one block.

use std::collections::{HashMap, VecDeque};

use jurigged_deftree::{Kind, Node};

/// For each node of `new`, the index of its counterpart in `old`.
///
/// Definitions correspond by kind and name, the k-th `def x` of a block to the k-th
/// (a property's getter and setter share a name). Other statements correspond when
/// their code is the same, comments and spacing aside, first come first served.
pub(crate) fn correspond(old: &[Node], new: &[Node]) -> Vec<Option<usize>> {
    let mut definitions: HashMap<(Kind, &str), VecDeque<usize>> = HashMap::new();
    let mut lines: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (index, node) in old.iter().enumerate() {
        if node.kind().is_definition() {
            definitions.entry((node.kind(), node.name())).or_default().push_back(index);
        } else {
            lines.entry(line_key(node)).or_default().push_back(index);
        }
    }
    new.iter()
        .map(|node| {
            if node.kind().is_definition() {
                definitions.get_mut(&(node.kind(), node.name()))?.pop_front()
            } else {
                lines.get_mut(&line_key(node))?.pop_front()
            }
        })
        .collect()
}

/// For each child of the new block `new`, the index of its counterpart among
/// the children of the old block `old`, as a save's diff pairs them: a
/// caller can follow a statement across versions of a file (which statement
/// of the new text stands where a running one stood).
pub fn counterparts(old: &Node, new: &Node) -> Vec<Option<usize>> {
    correspond(old.children(), new.children())
}

/// What makes two statements the same: their code, comments and spacing aside.
fn line_key(node: &Node) -> String {
    // Nodes compare their header code through `same_header_code`; a hashable key
    // must be built from the same information, which is the trimmed code text
    // when no token key is kept.
    node.code_key().map_or_else(|| node.header_text().trim().to_string(), str::to_string)
}
