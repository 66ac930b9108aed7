//! Computing an [`EditScript`]: the live operations and the plan to rebuild the tree.

use jurigged_deftree::{DefTree, Kind, Node};

use crate::correspond::correspond;
use crate::edit::{Edit, Summary};

/// Which order the result of a script follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The new tree's: a file was saved and the result is the new file.
    New,
    /// The old tree's: a snippet is merged into a file. What the snippet does not
    /// mention is kept, what it adds goes after the definition it followed.
    Original,
}

/// Which definitions of the old tree a [`merge`] may delete when the snippet does
/// not mention them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletions {
    /// Any of them (and statements the snippet does not have).
    All,
    /// None of them.
    None,
    /// Only these dotted paths and what they contain.
    Only(Vec<String>),
}

impl Deletions {
    fn allows(&self, node: &Node) -> bool {
        match self {
            Deletions::All => true,
            Deletions::None => false,
            // A statement's path is its scope's: it may go when its scope may.
            Deletions::Only(paths) => paths.iter().any(|allowed| {
                let path = node.path();
                path == allowed || path.strip_prefix(allowed.as_str()).is_some_and(|rest| rest.starts_with('.'))
            }),
        }
    }
}

/// How to rebuild a block: its shell (leading text, header, trailer) and its
/// children in their new order.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) shell: Node,
    pub(crate) pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
pub(crate) enum Piece {
    /// The old child at this index, as it is.
    Keep(usize),
    /// This node instead.
    Take(Node),
    /// The old child at this index with its own children rebuilt by a plan.
    Merge(usize, Plan),
}

/// What changed between two versions of a file: the live operations, in the order
/// they must be applied (deletions first, then the rest in file order), and the plan
/// that [`apply`](crate::apply) follows.
#[derive(Debug, Clone)]
pub struct EditScript {
    order: Order,
    edits: Vec<Edit>,
    summary: Summary,
    pub(crate) plan: Plan,
    /// Length of the old tree, to refuse a script applied to another tree.
    pub(crate) base_len: usize,
}

impl EditScript {
    /// The operations, deletions first, then the rest in file order.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// Counts of same, changed, added and deleted definitions and statements.
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Which order the script's result follows.
    pub fn order(&self) -> Order {
        self.order
    }

    /// Whether the live program has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}

/// The script that turns `old` into `new` (a file was saved).
pub fn diff(old: &DefTree, new: &DefTree) -> EditScript {
    let mut differ = Differ {
        order: Order::New,
        deletions: Deletions::All,
        edits: Vec::new(),
        deletes: Vec::new(),
        summary: Summary::default(),
    };
    let plan = differ.block(old.root(), new.root());
    differ.finish(plan, old)
}

/// The script that merges `snippet` into `old`, keeping `old`'s order: what the
/// snippet mentions replaces its counterpart, what it adds goes after the
/// definition it follows in the snippet, and what it leaves out is deleted only
/// where `deletions` allows. Positions of the edits are the snippet's; apply the
/// script and [`diff`] against the result for positions in the merged file.
pub fn merge(old: &DefTree, snippet: &DefTree, deletions: Deletions) -> EditScript {
    let mut differ = Differ {
        order: Order::Original,
        deletions,
        edits: Vec::new(),
        deletes: Vec::new(),
        summary: Summary::default(),
    };
    let plan = differ.block(old.root(), snippet.root());
    differ.finish(plan, old)
}

struct Differ {
    order: Order,
    deletions: Deletions,
    edits: Vec<Edit>,
    deletes: Vec<Edit>,
    summary: Summary,
}

impl Differ {
    fn finish(mut self, plan: Plan, old: &DefTree) -> EditScript {
        let mut edits = std::mem::take(&mut self.deletes);
        edits.append(&mut self.edits);
        EditScript { order: self.order, edits, summary: self.summary, plan, base_len: old.root().len() }
    }

    /// Diffs the children of two corresponding blocks (module or class bodies).
    fn block(&mut self, old: &Node, new: &Node) -> Plan {
        let matches = correspond(old.children(), new.children());
        let mut matched_old = vec![false; old.children().len()];
        let mut outcomes = Vec::with_capacity(new.children().len());
        for (new_child, counterpart) in new.children().iter().zip(&matches) {
            let outcome = match counterpart {
                Some(index) => {
                    matched_old[*index] = true;
                    self.pair(&old.children()[*index], *index, new_child, old.path())
                }
                None => {
                    self.added(new_child, old.path());
                    Outcome::Take(new_child.clone())
                }
            };
            outcomes.push(outcome);
        }
        let mut deleted = vec![false; old.children().len()];
        for (index, child) in old.children().iter().enumerate() {
            if !matched_old[index] && self.deletions.allows(child) {
                deleted[index] = true;
                self.summary.deleted += 1;
                if child.kind().is_definition() {
                    self.deletes.push(Edit::Delete { parent: old.path().to_string(), node: child.clone() });
                }
            }
        }
        match self.order {
            Order::New => Plan {
                shell: new.with_children(Vec::new()),
                pieces: outcomes.into_iter().map(Outcome::into_piece).collect(),
            },
            Order::Original => {
                let pieces = original_order(old, &matches, outcomes, &deleted);
                Plan { shell: old.with_children(Vec::new()), pieces }
            }
        }
    }

    fn added(&mut self, node: &Node, parent: &str) {
        self.summary.added += 1;
        let parent = parent.to_string();
        let node = node.clone();
        self.edits.push(if node.kind().is_definition() {
            Edit::Add { parent, node }
        } else {
            Edit::Run { parent, node }
        });
    }

    /// Diffs two corresponding nodes.
    fn pair(&mut self, old: &Node, index: usize, new: &Node, parent: &str) -> Outcome {
        if old.same_code_text(new) {
            self.summary.same += 1;
            self.shifts(old, new);
            return if old.same_text(new) || self.order == Order::Original {
                Outcome::Keep(index)
            } else {
                Outcome::Take(new.clone())
            };
        }
        let replacement = self.replacement(old, new);
        match new.kind() {
            Kind::Line => {
                // Same code, other comments or spacing: nothing to run.
                self.summary.same += 1;
                Outcome::Take(replacement)
            }
            // A function keeps its identity whatever its header says: old
            // references must run the new code.
            Kind::Function if !old.same_decorators(new) => {
                self.summary.changed += 1;
                let (old, new) = (old.clone(), new.clone());
                self.edits.push(Edit::Redecorate { parent: parent.to_string(), old, new });
                Outcome::Take(replacement)
            }
            Kind::Function => {
                self.summary.changed += 1;
                self.edits.push(Edit::Update { old: old.clone(), new: new.clone() });
                Outcome::Take(replacement)
            }
            _ if !old.same_header_code(new) => {
                self.summary.deleted += 1;
                self.deletes.push(Edit::Delete { parent: parent.to_string(), node: old.clone() });
                self.added(new, parent);
                Outcome::Take(replacement)
            }
            Kind::Class | Kind::Module => {
                let plan = self.block(old, new);
                Outcome::Merge(index, Box::new((plan, replacement)))
            }
        }
    }

    /// What stands in the result for a changed node: the new one, except that a
    /// merge keeps the old leading comments and, when the snippet has none and ends
    /// its code with a line break, the old trailing ones.
    fn replacement(&self, old: &Node, new: &Node) -> Node {
        match self.order {
            Order::New => new.clone(),
            Order::Original => {
                let node = new.with_leading_of(old);
                if new.trailer_text().is_empty() && new.ends_with_line_break() {
                    node.with_trailer_of(old)
                } else {
                    node
                }
            }
        }
    }

    /// Shift edits for the functions of an unchanged node that moved.
    fn shifts(&mut self, old: &Node, new: &Node) {
        if self.order == Order::Original {
            return;
        }
        let delta = new.first_line() as i64 - old.first_line() as i64;
        if delta == 0 {
            return;
        }
        match new.kind() {
            Kind::Function => self.edits.push(Edit::Shift { node: new.clone(), delta }),
            // An `if` block or a lambda line holds code objects too.
            Kind::Line if new.defines_code() => self.edits.push(Edit::Shift { node: new.clone(), delta }),
            Kind::Class => {
                for (old_child, new_child) in old.children().iter().zip(new.children()) {
                    self.shifts(old_child, new_child);
                }
            }
            _ => {}
        }
    }
}

/// The result of diffing one pair (or one added node).
// Short-lived, one per child of a block: the size of a node is no concern here.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Keep(usize),
    Take(Node),
    /// A class whose body is merged child by child; the node is its new shell.
    Merge(usize, Box<(Plan, Node)>),
}

/// The blank lines that open a leading text.
fn blank_prefix(leading: &str) -> &str {
    let mut end = 0;
    for line in leading.split_inclusive(['\n']) {
        if !line.trim().is_empty() {
            break;
        }
        end += line.len();
    }
    &leading[..end]
}

/// An addition placed before a definition it did not precede in the file gets
/// the blank lines that separate that definition from what is above it.
fn spaced(piece: Piece, spacing: &str) -> Piece {
    match piece {
        Piece::Take(node) if !spacing.is_empty() && blank_prefix(node.leading_text()).is_empty() => {
            Piece::Take(node.with_leading(&format!("{spacing}{}", node.leading_text())))
        }
        other => other,
    }
}

/// An addition put in front of a block: its own blank lines above replaced by
/// those of the statement it goes before (a snippet's leading blank line is
/// not the file's).
fn spaced_as(piece: Piece, spacing: &str) -> Piece {
    match piece {
        Piece::Take(node) => {
            let leading = node.leading_text();
            let rest = &leading[blank_prefix(leading).len()..];
            Piece::Take(node.with_leading(&format!("{spacing}{rest}")))
        }
        other => other,
    }
}

impl Outcome {
    fn into_piece(self) -> Piece {
        match self {
            Outcome::Keep(index) => Piece::Keep(index),
            Outcome::Take(node) => Piece::Take(node),
            Outcome::Merge(index, merged) => {
                let (plan, shell) = *merged;
                Piece::Merge(index, Plan { shell: shell.with_children(Vec::new()), ..plan })
            }
        }
    }
}

/// Whether the `index`-th statement of a block must stay before anything added
/// in front of the block: its docstring, and the `from __future__` imports.
fn must_stay_first(children: &[Node], index: usize) -> bool {
    let node = &children[index];
    if node.kind() != Kind::Line {
        return false;
    }
    let code = node.header_text().trim_start();
    let docstring = index == 0 && code.trim_start_matches(['r', 'R', 'u', 'U']).starts_with(['"', '\'']);
    docstring || code.starts_with("from __future__")
}

/// Lays out a merged block in the old order: each old child in place (unless
/// deleted), each addition after the old child its predecessor in the snippet
/// corresponds to, or before its successor's when it has no predecessor (at
/// the front of the block when the snippet has no old child at all).
fn original_order(old: &Node, matches: &[Option<usize>], outcomes: Vec<Outcome>, deleted: &[bool]) -> Vec<Piece> {
    let count = old.children().len();
    let mut at_old: Vec<Option<Piece>> = (0..count).map(|_| None).collect();
    let mut before: Vec<Vec<Piece>> = (0..count).map(|_| Vec::new()).collect();
    let mut after: Vec<Vec<Piece>> = (0..count).map(|_| Vec::new()).collect();
    let mut at_end = Vec::new();
    let mut pending_front = Vec::new();
    let mut anchor: Option<usize> = None;
    for (outcome, counterpart) in outcomes.into_iter().zip(matches) {
        match counterpart {
            Some(index) => {
                at_old[*index] = Some(outcome.into_piece());
                let spacing = blank_prefix(old.children()[*index].leading_text());
                before[*index].extend(pending_front.drain(..).map(|piece| spaced(piece, spacing)));
                anchor = Some(*index);
            }
            None => match anchor {
                Some(index) => after[index].push(outcome.into_piece()),
                None => pending_front.push(outcome.into_piece()),
            },
        }
    }
    // Nothing of the snippet stands in the block: what it adds goes first, as
    // the original merges it (before the block's first statement), yet after a
    // docstring and `from __future__` imports, which must stay first.
    if !pending_front.is_empty() {
        match (0..count).find(|&index| !must_stay_first(old.children(), index)) {
            None => at_end.append(&mut pending_front),
            Some(first) => {
                let spacing = blank_prefix(old.children()[first].leading_text());
                before[first].extend(pending_front.drain(..).map(|piece| spaced_as(piece, spacing)));
            }
        }
    }
    let mut pieces = Vec::with_capacity(count);
    for index in 0..count {
        pieces.append(&mut before[index]);
        match at_old[index].take() {
            Some(piece) => pieces.push(piece),
            None if !deleted[index] => pieces.push(Piece::Keep(index)),
            None => {}
        }
        pieces.append(&mut after[index]);
    }
    pieces.append(&mut at_end);
    pieces
}
