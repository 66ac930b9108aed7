//! The live session of jurigged: the one owner of the files being watched and of
//! what runs from them. It keeps the registry of live files, applies saves as
//! they arrive, sniffs imports, resolves Python objects to their definitions,
//! hands out typed events and logs them, drives the Recoder, and runs the
//! command line. The `jurigged` Python package (`jurigged-py`) registers what
//! this crate defines; the standalone binary calls [`cli::main`] directly.

pub mod boundary;
pub mod cli;
pub mod codefile;
pub mod definition;
pub mod errors;
pub mod event;
pub mod events;
pub mod logger;
pub mod operations;
pub mod recoder;
pub mod session;

pub use codefile::PyCodeFile;
pub use errors::{ConformException, OutOfSyncException, PatchError, StaleException};
pub use event::Event;
pub use events::EventSource;
pub use session::{registry, ImportSniffer, PyWatcher, Registry};
