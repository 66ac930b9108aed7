//! Watching Python source files for saves, as editors really save them.
//!
//! - [`Filter`]: which files are of interest (the original jurigged's watch
//!   patterns, plus excludes).
//! - [`Watcher`]: watches (with notify) the *directories* of registered files (editors save by
//!   writing a temporary file and renaming it over the original, or by deleting
//!   and recreating it), debounces bursts, and reports each changed file once per
//!   burst as a [`Change`]. `--poll` mode compares contents instead.
//! - [`sync`]: the lock that survives a panic of its holder, which every crate
//!   of jurigged takes (this is the lowest crate that locks).
//!
//! ```no_run
//! use jurigged_watch::{Change, Timing, Watcher};
//!
//! let (watcher, changes) = Watcher::builder().timing(Timing::from_seconds(Some(0.05), None)?).build()?;
//! watcher.add_file("app.py".as_ref())?;
//! if let Ok(Change::Files(paths)) = changes.recv() {
//!     println!("saved: {paths:?}");
//! }
//! # Ok::<(), jurigged_watch::Error>(())
//! ```

mod change;
mod debounce;
mod error;
mod filter;
mod fingerprint;
mod native;
mod paths;
mod poll;
mod routes;
mod sentinel;
pub mod sync;
mod timing;
mod watcher;

pub use error::{Error, Limit, Result};
pub use filter::{Filter, Unmatched};
pub use fingerprint::Fingerprint;
pub use paths::{absolute, absolute_pattern};
pub use timing::{debounce_argument, poll_argument, Timing, DEFAULT_DEBOUNCE, MAX_WAIT, MIN_DEBOUNCE};
pub use watcher::{Change, Watcher, WatcherBuilder};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
