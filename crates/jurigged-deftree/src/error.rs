//! The one error type of this crate.

use std::path::PathBuf;

/// Why a source could not be turned into a [`DefTree`](crate::DefTree).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not valid in the encoding the file declares (or UTF-8 by default).
    #[error("{}: cannot decode as {encoding} at byte {offset}: the file is not valid in its declared encoding", .filename.display())]
    Decode {
        /// The file, as given to the parser.
        filename: PathBuf,
        /// The encoding that was tried.
        encoding: String,
        /// Offset of the first undecodable byte.
        offset: usize,
    },
    /// A PEP 263 declaration names an encoding we do not know.
    #[error("{}:{line}: unknown encoding {encoding:?} in the coding declaration", .filename.display())]
    UnknownEncoding {
        /// The file, as given to the parser.
        filename: PathBuf,
        /// The line (1 or 2) holding the declaration.
        line: u32,
        /// The name as written.
        encoding: String,
    },
    /// The text is not valid Python; positions follow CPython's `SyntaxError`.
    #[error("{}:{line}:{column}: invalid syntax: {message}", .filename.display(), column = .column + 1)]
    Syntax {
        /// The file, as given to the parser.
        filename: PathBuf,
        /// 1-based line of the error.
        line: u32,
        /// 0-based UTF-8 byte column of the error.
        column: u32,
        /// What the parser says is wrong.
        message: String,
    },
    /// The parser could not run on this source (no thread for it, or it failed
    /// inside); the program is unaffected.
    #[error("{}: cannot parse: {message}", .filename.display())]
    Parser {
        /// The file, as given to the parser.
        filename: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
