//! The one error type of this crate.

/// Why an edit script could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The script was computed against another tree than the one given to `apply`.
    #[error(
        "the edit script for {module} was made from another version of the file; diff again against the current tree"
    )]
    WrongBase {
        /// Module name of the tree given to `apply`.
        module: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
