//! A digest of what a file holds, to tell a real change from a touch.

use std::path::Path;

/// A digest of a file's bytes (None when it cannot be read, or is not a regular
/// file: reading a FIFO would block the thread that reads it, and every file's
/// saves, until something writes to it). Symbolic links are followed, as an
/// import follows them.
pub(crate) fn fingerprint(path: &Path) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    Some(hasher.finish())
}
