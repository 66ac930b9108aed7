//! The live session of jurigged: the one owner of the files being watched and of
//! what runs from them. It keeps the registry of live files, applies saves as
//! they arrive, sniffs imports, resolves Python objects to their definitions,
//! hands out typed events and logs them, drives the Recoder, and runs the
//! command line. The `jurigged` Python package (`jurigged-py`) registers what
//! this crate defines; the standalone binary calls [`cli::main`] directly.
//!
//! Modules, each using only those listed before it:
//! `py_errors`, `boundary`, `live_trees`, `whole_trees`, `py_definition`, `py_event`,
//! `original_echo`, `py_callbacks`, `py_operations`, `event_stream`, `py_logger`, `long_statements`,
//! `touched`, `lifecycle`, `py_codefile`, `running`, `rude`, `restart`, `session_state`, `sessions`,
//! `file_registry`, `resolve`, `py_glob_filter`, `stale_bytecode`, `py_sniffer`, `py_registry`, `syntax`, `save_loop`,
//! `session_thread`, `watch_slots`, `forked`, `child_env`, `py_watcher`, `py_recoder`, `py_db`,
//! `attach`, `cli` (`docs/architecture.md` says what each does).
//!
//! Below, the modules are declared in two groups, the engine and the
//! Python-facing `py_*` modules, and the crate's surface is the list of `pub
//! use` at the end: what `jurigged-py`, `jurigged-develoop`, the binary and this
//! crate's tests use. Only `cli` and `boundary` are public modules, because
//! other crates name them as paths (`cli::main`, `cli::Loops`; `#[py_entry]`
//! expands to `crate::boundary::entry` in every crate that has entries).

// The engine: live files and their trees, the save loop, sessions and their
// threads, processes (exit, fork, children, restart, attach), loggers and the
// command line.
mod attach;
pub mod boundary;
mod child_env;
pub mod cli;
mod event_stream;
mod file_registry;
mod forked;
mod lifecycle;
mod live_trees;
mod long_statements;
mod original_echo;
mod resolve;
mod restart;
mod rude;
mod running;
mod save_loop;
mod session_state;
mod session_thread;
mod sessions;
mod stale_bytecode;
mod syntax;
mod touched;
mod watch_slots;
mod whole_trees;

// Python-facing: the classes, functions and exceptions of the `jurigged`
// package, over the engine.
mod py_callbacks;
mod py_codefile;
mod py_db;
mod py_definition;
mod py_errors;
mod py_event;
mod py_glob_filter;
mod py_logger;
mod py_operations;
mod py_recoder;
mod py_registry;
mod py_sniffer;
mod py_watcher;

// The surface. Types of the `jurigged` package:
pub use jurigged_patch::EventKind;
pub use py_callbacks::EventSource;
pub use py_codefile::PyCodeFile;
pub use py_errors::{
    read_only_error_type, ConformException, OutOfSyncException, PatchError, StaleException, WatchError,
};
pub use py_event::Event;
pub use py_glob_filter::GlobFilter;
pub use py_recoder::Recoder;
pub use py_registry::{registry, AutoRegistration, Registry};
pub use py_sniffer::ImportSniffer;
pub use py_watcher::PyWatcher;

// Its functions, and the registration of its class families:
pub use py_db::{conform, find_code, get_functions, heap_scans};
pub use py_definition::add_classes as add_definition_classes;
pub use py_glob_filter::glob_filter;
pub use py_logger::{_tag_logs_with_pid, add_loggers};
pub use py_operations::add_classes as add_operation_classes;
pub use py_recoder::{make_recoder, virtual_file};
pub use py_registry::add_sniffer;
pub use py_watcher::{watch, DEFAULT_EXCLUDES};

// For Rust code above this crate (the develoop, embedders, this crate's tests):
// every event as it is announced, an exception as Python code holds it,
// starting a session, and the live files and trees.
pub use file_registry::{file_registry, FileRegistry};
pub use live_trees::live_tree;
pub use py_callbacks::activity;
pub use py_errors::exception_value;
pub use py_watcher::{start_watching, WatchOptions};

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
