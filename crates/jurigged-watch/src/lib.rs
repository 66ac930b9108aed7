//! Watching Python source files for saves, as editors really save them.
//!
//! - [`Filter`]: which files are of interest (the original jurigged's watch
//!   patterns, plus excludes).
//! - [`Watcher`]: watches (with notify) the *directories* of registered files (editors save by
//!   writing a temporary file and renaming it over the original, or by deleting
//!   and recreating it), debounces bursts, and reports each changed file once per
//!   burst as a [`Change`]. `--poll` mode compares contents instead.
//!
//! ```no_run
//! use std::time::Duration;
//! use jurigged_watch::{Change, Watcher};
//!
//! let (watcher, changes) = Watcher::builder().debounce(Duration::from_millis(50)).build()?;
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
mod poll;
mod routes;
mod watcher;

pub use error::{Error, Limit, Result};
pub use filter::{Filter, Unmatched};
pub use fingerprint::Fingerprint;
pub use watcher::{Change, Watcher, WatcherBuilder, MIN_DEBOUNCE};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
