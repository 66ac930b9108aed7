//! The live session of jurigged: the one owner of the files being watched and of
//! what runs from them. It keeps the registry of live files, applies saves as
//! they arrive, sniffs imports, resolves Python objects to their definitions,
//! hands out typed events and logs them, drives the Recoder, and runs the
//! command line. The `jurigged` Python package (`jurigged-py`) registers what
//! this crate defines; the standalone binary calls [`cli::main`] directly.
//!
//! Modules, each using only those listed before it:
//! `sync`, `errors`, `boundary`, `definition`, `event`, `events`, `operations`,
//! `event_stream`, `logger`, `touched`, `live_trees`, `lifecycle`, `codefile`,
//! `running`, `sessions`, `file_registry`, `resolve`, `glob_filter`, `sniffer`,
//! `registry`, `syntax`, `save_loop`, `session_thread`, `forked`, `child_env`,
//! `watcher`, `recoder`, `db`, `cli` (`docs/architecture.md` says what each
//! does).

mod sync;

pub mod boundary;
pub mod child_env;
pub mod cli;
pub mod codefile;
pub mod db;
pub mod definition;
pub mod errors;
pub mod event;
pub mod event_stream;
pub mod events;
pub mod file_registry;
mod forked;
pub mod glob_filter;
pub mod lifecycle;
pub mod live_trees;
pub mod logger;
pub mod operations;
pub mod recoder;
pub mod registry;
pub mod resolve;
pub mod running;
mod save_loop;
mod session_thread;
pub mod sessions;
pub mod sniffer;
pub mod syntax;
pub mod touched;
pub mod watcher;

pub use codefile::PyCodeFile;
pub use errors::{ConformException, OutOfSyncException, PatchError, StaleException};
pub use event::{Event, EventKind};
pub use events::EventSource;
pub use registry::{registry, Registry};
pub use sniffer::ImportSniffer;
pub use watcher::PyWatcher;
