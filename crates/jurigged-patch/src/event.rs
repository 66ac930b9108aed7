//! What happened to the live program, one event per applied operation.

use std::fmt;
use std::path::PathBuf;

use crate::error::Error;

/// What an event tells: the one kind from the patcher to the session's
/// loggers, the develoop and Python (`Event.kind`). The patcher makes every
/// kind but [`EventKind::Watch`], which the session makes when it starts
/// watching a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A file is now watched.
    Watch,
    /// A function got new code in place, or a definition changed.
    Update,
    /// A definition was (re-)executed and bound.
    Add,
    /// A definition was removed from its namespace.
    Delete,
    /// A statement was executed.
    Run,
    /// An unchanged statement was executed again: its value calls a function
    /// the save changed (or reads what such a statement binds).
    Rerun,
    /// Something could not be applied.
    Error,
    /// A changed statement not run: it is running now, or comes after one
    /// running now (its change takes effect when the program restarts).
    Skip,
    /// A changed statement not run: its last run raised and its text is
    /// unchanged since (it is pending until edited).
    Pending,
}

impl EventKind {
    /// The word the original jurigged prints at the start of a line.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Watch => "Watch",
            EventKind::Update => "Update",
            EventKind::Add => "Add",
            EventKind::Delete => "Delete",
            EventKind::Run => "Run",
            EventKind::Rerun => "Rerun",
            EventKind::Error => "Error",
            EventKind::Skip => "Skip",
            EventKind::Pending => "Pending",
        }
    }

    /// The lowercase word Python sees as `event.kind` and the event stream
    /// writes as `kind`.
    pub fn word(self) -> &'static str {
        match self {
            EventKind::Watch => "watch",
            EventKind::Update => "update",
            EventKind::Add => "add",
            EventKind::Delete => "delete",
            EventKind::Run => "run",
            EventKind::Rerun => "rerun",
            EventKind::Error => "error",
            EventKind::Skip => "skip",
            EventKind::Pending => "pending",
        }
    }
}

/// One applied operation (or failure), e.g. `Update pkg.mod.Shape.area @L12`.
#[derive(Debug)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Dotted path of the definition (of the scope, for a statement).
    pub path: String,
    /// The file.
    pub filename: PathBuf,
    /// The first line concerned, in the file as it is now.
    pub line: u32,
    /// For a statement, its first line of code.
    pub code: Option<String>,
    /// For an error, what went wrong.
    pub error: Option<Error>,
    /// The whole line, when the kind's usual form does not say it all (a
    /// statement held back says why).
    pub message: Option<String>,
    /// An error because a class's decorators return another class, which
    /// cannot replace the live one: the edit cannot take full effect.
    pub class_replaced: bool,
}

impl Event {
    /// Whether this reports instances, subclasses or hooks that could not
    /// follow a class made again (the class itself changed).
    pub fn not_followed(&self) -> bool {
        matches!(self.error, Some(crate::Error::Follow { .. }))
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(message) = &self.message {
            return f.write_str(message);
        }
        match (&self.error, &self.code) {
            // The class changed; what could not follow it is named, in the
            // words of an edit that cannot take full effect.
            (Some(error @ crate::Error::Follow { .. }), _) => {
                write!(f, "Replace {} @L{}: {error}", self.path, self.line)
            }
            (Some(error), _) => write!(f, "Error {} @L{}: {error}", self.path, self.line),
            (None, Some(code)) => write!(f, "{} {} @L{}: {code}", self.kind.as_str(), self.path, self.line),
            (None, None) => write!(f, "{} {} @L{}", self.kind.as_str(), self.path, self.line),
        }
    }
}
