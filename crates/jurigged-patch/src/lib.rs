//! Applies edits of Python source to a running interpreter, through pyo3.
//!
//! - [`CodeFile`]: one per watched file: the text and [`DefTree`](jurigged_deftree::DefTree)
//!   that are live, the module they belong to, and `merge`/`refresh`/`commit`.
//! - [`patch`]: applies an [`EditScript`](jurigged_diff::EditScript) to a
//!   [`LiveModule`] transactionally: everything is compiled and checked first, then
//!   the code of every function is swapped in one stretch, then new statements run.
//! - [`code_registry()`](code_registry::code_registry): the live code objects of each file
//!   (learned from namespaces and, through an audit hook, from module bodies).
//! - [`conform`]: give new code to a function or an object with `__conform__`.
//!
//! Every operation yields an [`Event`] (`Update app.f @L3`, `Run app @L9: x = 1`).

mod annotate;
pub mod boundary;
mod clock;
pub mod code_registry;
mod code_type;
mod codefile;
mod commit;
mod compile;
mod conform;
mod dependents;
mod error;
mod event;
mod fields;
mod held;
mod patcher;
mod prepare;
mod py_exceptions;
mod reclass;
mod redecorate;
mod referrers;
mod scope;
mod shift;
mod step;
mod users;
mod warning_filters;
mod write_back;

pub use clock::StatementClock;
pub use codefile::{live_parser, read_source, CodeFile, SaveContext};
pub use conform::conform;
pub use error::{Error, Result};
pub use event::{Event, EventKind};
pub use held::{Pending, RunningFrame};
pub use patcher::{patch, LiveModule};
pub use py_exceptions::{read_only_error_type, ConformException, OutOfSyncException, PatchError, StaleException};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
