//! Python source as a tree of definitions that reproduces the file byte for byte.
//!
//! [`Parser`] turns source text (or bytes, decoded as CPython does with
//! [`decode_source`]) into a [`DefTree`]: a [`Node`] for the module, each class and
//! function (sync or async) and each other statement ([`Kind::Line`]). Every node
//! knows its dotted path, its exact text split into leading comments, header
//! (decorators and signature) and body, its CPython [`Position`], and for
//! definitions its [`VarFacts`]. [`DefTree::reconstruct`] returns the source exactly.
//!
//! ```
//! use jurigged_deftree::Parser;
//!
//! let source = "import math\n\n# Area of a circle.\ndef area(r):\n    return math.pi * r ** 2\n";
//! let tree = Parser::new().module("geometry").parse(source)?;
//! let area = tree.find("geometry.area").next().unwrap();
//! assert_eq!(area.leading_text(), "\n# Area of a circle.\n");
//! assert_eq!(area.header_text(), "def area(r):\n");
//! assert_eq!(area.vars().unwrap().free, ["math"]);
//! assert_eq!(tree.reconstruct(), source);
//! # Ok::<(), jurigged_deftree::Error>(())
//! ```
//!
//! The parser's own syntax tree never appears in this crate's interface.

mod build;
mod decode;
mod depth;
mod error;
mod holders;
mod lines;
pub mod newlines;
mod segment;
mod stack;
mod tree;
mod vars;

pub use build::Parser;
pub use decode::{declared_encoding, decode_source, SourceEncoding};
pub use depth::{within_cpython_limits, MAX_BRACKETS, MAX_EXPRESSION_DEPTH, MAX_INDENTATION};
pub use error::{Error, Result};
pub use lines::{Location, Position};
pub use tree::{DefTree, Kind, Node, Walk};
pub use vars::{Assignment, VarFacts};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
