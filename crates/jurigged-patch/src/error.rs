//! The one error type of this crate.

use std::path::PathBuf;

use pyo3::PyErr;

/// Why a change could not be applied to the live program.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A function's new code cannot replace the old one in place: its free
    /// variables differ. The caller re-adds the definition instead.
    #[error("cannot update {path} in place: {reason}")]
    Conform {
        /// Dotted path of the function.
        path: String,
        /// Which variables differ, and why.
        reason: String,
    },
    /// The source could not be decoded or parsed.
    #[error(transparent)]
    Parse(#[from] jurigged_deftree::Error),
    /// Python raised while compiling or evaluating a definition or statement.
    #[error("{}:{line}: {path}: {error}", .filename.display())]
    Python {
        /// The file of the definition.
        filename: PathBuf,
        /// Its first line.
        line: u32,
        /// Its dotted path.
        path: String,
        /// What Python raised.
        error: PyErr,
    },
    /// The namespace a change belongs to is not in the live module.
    #[error("{}:{line}: cannot apply a change to {path}: {what} is not defined in the running program", .filename.display())]
    Missing {
        /// The file of the definition.
        filename: PathBuf,
        /// Its first line.
        line: u32,
        /// Dotted path of the definition.
        path: String,
        /// What is missing (a class, a module).
        what: String,
    },
    /// The file changed on disk since it was read: writing would lose those edits.
    #[error("{}: the file changed on disk since it was read; refresh it before committing", .filename.display())]
    Stale {
        /// The file.
        filename: PathBuf,
    },
    /// The file is read-only (no write permission, or a read-only file
    /// system): committing would have to force it.
    #[error("{}: the file is read-only ({error}); not written", .filename.display())]
    ReadOnly {
        /// The file.
        filename: PathBuf,
        /// What the system said (or would say) to a write.
        error: std::io::Error,
    },
    /// Reading or writing the file failed.
    #[error("{}: {error}", .filename.display())]
    Io {
        /// The file.
        filename: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// Live instances, subclasses or hooks that could not follow a class made
    /// again (the class itself is changed).
    #[error("{message}")]
    Follow {
        /// What could not follow, and why.
        message: String,
    },
    /// A Python exception outside of any definition (an API misuse, a broken
    /// interpreter state).
    #[error(transparent)]
    Interpreter(#[from] PyErr),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
