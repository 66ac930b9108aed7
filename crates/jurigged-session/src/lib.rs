//! The live session of jurigged: the one owner of the files being watched and of
//! what runs from them. It keeps the registry of live files, applies saves as
//! they arrive, sniffs imports, resolves Python objects to their definitions,
//! hands out typed events and logs them, drives the Recoder, and runs the
//! command line. The `jurigged` Python package (`jurigged-py`) registers what
//! this crate defines; the standalone binary calls [`cli::main`] directly.
//!
//! Modules, each using only those listed before it:
//! `sync`, `py_errors`, `boundary`, `live_trees`, `whole_trees`, `py_definition`, `py_event`,
//! `py_callbacks`, `py_operations`, `event_stream`, `logger`, `long_statements`, `touched`,
//! `lifecycle`, `py_codefile`, `running`, `rude`, `restart`, `sessions`, `file_registry`, `resolve`,
//! `py_glob_filter`, `sniffer`, `py_registry`, `syntax`, `save_loop`, `session_thread`, `watch_slots`,
//! `forked`, `child_env`, `py_watcher`, `py_recoder`, `py_db`, `attach`, `cli` (`docs/architecture.md`
//! says what each does).

mod sync;

pub mod attach;
pub mod boundary;
pub mod child_env;
pub mod cli;
pub mod event_stream;
pub mod file_registry;
mod forked;
pub mod lifecycle;
pub mod live_trees;
pub mod logger;
pub mod long_statements;
pub mod py_callbacks;
pub mod py_codefile;
pub mod py_db;
pub mod py_definition;
pub mod py_errors;
pub mod py_event;
pub mod py_glob_filter;
pub mod py_operations;
pub mod py_recoder;
pub mod py_registry;
pub mod py_watcher;
pub mod resolve;
pub mod restart;
pub mod rude;
pub mod running;
mod save_loop;
mod session_thread;
pub mod sessions;
pub mod sniffer;
pub mod syntax;
pub mod touched;
mod watch_slots;
pub mod whole_trees;

pub use py_callbacks::EventSource;
pub use py_codefile::PyCodeFile;
pub use py_errors::{read_only_error_type, ConformException, OutOfSyncException, PatchError, StaleException};
pub use py_event::{Event, EventKind};
pub use py_registry::{registry, Registry};
pub use py_watcher::PyWatcher;
pub use sniffer::ImportSniffer;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
