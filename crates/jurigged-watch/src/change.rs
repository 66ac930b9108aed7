//! What the backends share: the registered files and the changes they report.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::error::Error;

/// What the watcher reports.
#[derive(Debug, Clone)]
pub enum Change {
    /// Registered files that were written, replaced, deleted or created, once each
    /// per debounced burst, in the order they changed.
    Files(Vec<PathBuf>),
    /// The backend reported a problem (e.g. too many watches); watching goes on.
    Error(Arc<Error>),
}

/// The registered files, shared by the watcher and its backend.
pub(crate) type Files = Arc<Mutex<HashSet<PathBuf>>>;
