//! A save's statements run on the save's own thread, and one may run long (a
//! slow computation, a statement that blocks): the caller is told when each
//! starts and ends, so that something else (a timer of its own) can say so
//! while it runs.

use std::path::Path;

/// Told when a save starts running a statement or definition, and when it ends.
pub trait StatementClock {
    /// The save starts running the statement at `line` of `filename`, whose
    /// first line of code is `code`.
    fn started(&self, filename: &Path, line: u32, code: &str);
    /// It ended (returned or raised).
    fn ended(&self);
}
