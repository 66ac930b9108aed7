//! The one error type of this crate.

use std::path::PathBuf;

/// Why watching could not start or continue.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A watch or exclude pattern is not a valid glob.
    #[error("invalid pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// The operating system refused to watch a directory.
    #[error("failed to watch {}: {message}; retry with --poll", .path.display())]
    Watch {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        message: String,
    },
    /// The watcher could not be started.
    #[error("failed to start watching: {0}")]
    Start(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
