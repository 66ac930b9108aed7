//! What prepare hands to commit: one step per operation of a save, and the
//! events that report them.

use jurigged_deftree::Node;
use pyo3::prelude::*;

use crate::event::{Event, EventKind};
use crate::scope::{LiveModule, Scope};

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
    let statement = matches!(kind, EventKind::Run | EventKind::Rerun);
    let code = statement.then(|| crate::held::first_line_of(node));
    let line = if statement { node.position().start.line } else { node.first_line() };
    Event {
        kind,
        path: node.path().to_string(),
        filename: live.filename.clone(),
        line,
        code,
        error: None,
        message: None,
        class_replaced: false,
    }
}

/// The dotted path of the scope holding `path`.
pub(crate) fn parent_path(path: &str) -> &str {
    path.rsplit_once('.').map_or("", |(parent, _)| parent)
}
