//! Structural diff of two Python [`DefTree`](jurigged_deftree::DefTree)s into an [`EditScript`].
//!
//! [`diff`] corresponds an old tree with a new one (definitions by kind and name
//! within the same parent, statements by their code) and says what a live program
//! must do to follow the change: [`Edit::Update`] a function whose body or
//! signature changed, [`Edit::Redecorate`] one whose decorators changed,
//! [`Edit::Add`] and [`Edit::Delete`] definitions (a class whose header changed is
//! both), [`Edit::Run`] new or changed statements, and [`Edit::Shift`] functions
//! that only moved. [`merge`] does the same for a snippet that mentions only some
//! definitions of a file, keeping the file's order. [`apply`] replays a script on
//! the old tree, with no Python involved.
//!
//! ```
//! use jurigged_deftree::Parser;
//! use jurigged_diff::{apply, diff, Edit};
//!
//! let parser = Parser::new().module("app");
//! let old = parser.parse("def f():\n    return 1\n\nprint('hi')\n")?;
//! let new = parser.parse("def f():\n    return 2\n\nprint('hi')\n")?;
//! let script = diff(&old, &new);
//! assert!(matches!(&script.edits()[..], [Edit::Update { .. }]));
//! assert_eq!(script.edits()[0].to_string(), "Update app.f @L1");
//! assert_eq!(apply(&old, &script)?.reconstruct(), new.reconstruct());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod correspond;
mod edit;
mod error;
mod script;

pub use apply::apply;
pub use correspond::counterparts;
pub use edit::{Edit, Summary};
pub use error::{Error, Result};
pub use script::{diff, merge, Deletions, EditScript, Order};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
