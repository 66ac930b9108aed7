//! The operations a live program applies to follow a change.

use std::fmt;

use jurigged_deftree::Node;

/// One operation of an [`EditScript`](crate::EditScript). Nodes are owned copies:
/// `old` ones carry their positions in the old tree, the others in the new tree (in
/// the snippet, for a merge).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Edit {
    /// A function whose body or signature changed under the same decorators:
    /// compile the new definition and give every function object running the old
    /// code the new code, defaults and annotations.
    Update {
        /// The function as it was.
        old: Node,
        /// The function as it is now.
        new: Node,
    },
    /// A function whose decorators changed: run the whole new statement in
    /// `parent` (the new decorators take effect), and give the old undecorated
    /// function the new code, so that references taken before still run it.
    Redecorate {
        /// Dotted path of the module or class it lives in.
        parent: String,
        /// The function as it was.
        old: Node,
        /// The function as it is now.
        new: Node,
    },
    /// A new definition, or a class whose header changed: run the whole
    /// statement, decorators included, in `parent`.
    Add {
        /// Dotted path of the module or class to run it in.
        parent: String,
        /// The definition.
        node: Node,
    },
    /// A definition that no longer exists: remove its name from its namespace.
    Delete {
        /// Dotted path of the module or class it lived in.
        parent: String,
        /// The definition as it was.
        node: Node,
    },
    /// A new or changed statement: run it, and only it, in `parent`.
    Run {
        /// Dotted path of the module or class to run it in.
        parent: String,
        /// The statement.
        node: Node,
    },
    /// A function whose code is unchanged but moved by `delta` lines: move its line
    /// numbers (and those of the code nested in it).
    Shift {
        /// The function, at its new place.
        node: Node,
        /// New first line minus old first line.
        delta: i64,
    },
}

impl Edit {
    /// The node the operation is about (the new one where there is one).
    pub fn node(&self) -> &Node {
        match self {
            Edit::Update { new: node, .. }
            | Edit::Redecorate { new: node, .. }
            | Edit::Add { node, .. }
            | Edit::Delete { node, .. }
            | Edit::Run { node, .. }
            | Edit::Shift { node, .. } => node,
        }
    }

    /// Dotted path of what the operation changes (the scope, for a statement).
    pub fn path(&self) -> &str {
        self.node().path()
    }

    fn verb(&self) -> &'static str {
        match self {
            Edit::Update { .. } => "Update",
            Edit::Redecorate { .. } => "Redecorate",
            Edit::Add { .. } => "Add",
            Edit::Delete { .. } => "Delete",
            Edit::Run { .. } => "Run",
            Edit::Shift { .. } => "Shift",
        }
    }
}

/// `Update app.Shape.area @L12`, `Run app @L42: print("hi")`, `Shift app.f @L9 (+2)`:
/// the forms the original jurigged prints.
impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = self.node();
        let line = match self {
            Edit::Run { .. } => node.position().start.line,
            _ => node.first_line(),
        };
        write!(f, "{} {} @L{line}", self.verb(), node.path())?;
        match self {
            Edit::Run { .. } => {
                let code = node.header_text().trim();
                let first = code.lines().next().unwrap_or_default();
                let more = if code.contains('\n') { " ..." } else { "" };
                write!(f, ": {first}{more}")
            }
            Edit::Shift { delta, .. } => write!(f, " ({delta:+})"),
            _ => Ok(()),
        }
    }
}

/// How many definitions and statements a script keeps, changes, adds and deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Corresponding and unchanged (moved ones included).
    pub same: usize,
    /// Functions whose body, signature or decorators changed.
    pub changed: usize,
    /// Added definitions and statements to run (a class whose header changed
    /// counts here and in `deleted`).
    pub added: usize,
    /// Deleted definitions and dropped statements.
    pub deleted: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} same, {} changed, {} added, {} deleted", self.same, self.changed, self.added, self.deleted)
    }
}
