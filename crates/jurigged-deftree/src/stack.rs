//! Running the parse on a stack big enough for the source's nesting.
//!
//! The parser and the walks over its syntax tree recurse once per level of
//! nesting. Sources nested like ordinary code parse on the caller's thread;
//! deeper ones (still within the limits of [`crate::depth`]) parse on a thread of
//! their own whose stack fits the measured nesting, so the caller's stack (a
//! Python thread's, a watcher's) never matters.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::depth::Nesting;

/// Stack one counted level of expression nesting may take, with a margin over
/// the worst measured (chains of `yield`: 1.7 KiB per level in release builds,
/// 3.1 KiB in debug builds; unary operators 0.9 and 2.0 KiB). The inputs of
/// `tests/nesting.rs` at the limits check it.
const PER_EXPRESSION_LEVEL: usize = if cfg!(debug_assertions) { 8 * 1024 } else { 4 * 1024 };
/// Stack one level of indentation may take (measured: 2 KiB, 3.1 KiB in debug).
const PER_INDENTATION_LEVEL: usize = if cfg!(debug_assertions) { 16 * 1024 } else { 8 * 1024 };
/// Stack the parse takes besides nesting.
const BASE: usize = 256 * 1024;
/// Most stack a parse may use on the caller's thread: a thread of Python has
/// megabytes, and code that is not deeply nested needs much less.
const INLINE: usize = 512 * 1024;

/// The stack a parse of a source nested like `nesting` needs.
pub(crate) fn needed(nesting: crate::depth::Nesting) -> usize {
    let Nesting { expression, indentation } = nesting;
    BASE + expression as usize * PER_EXPRESSION_LEVEL + indentation as usize * PER_INDENTATION_LEVEL
}

/// Runs `parse` with at least `stack` bytes of stack; a panic inside it (the
/// parser is third-party code fed whatever a file holds) comes back as an error.
pub(crate) fn run_with_stack<R: Send>(stack: usize, parse: impl FnOnce() -> R + Send) -> Result<R, String> {
    if stack <= INLINE {
        return catch_unwind(AssertUnwindSafe(parse)).map_err(|panic| panic_message(&panic));
    }
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("jurigged parse".into())
            .stack_size(stack)
            .spawn_scoped(scope, parse)
            .map_err(|e| format!("no thread with a {} MiB stack for this deeply nested source: {e}", stack >> 20))?;
        thread.join().map_err(|panic| panic_message(&panic))
    })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".into());
    format!("the parser failed ({detail})")
}
