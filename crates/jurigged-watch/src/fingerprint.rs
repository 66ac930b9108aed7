//! [`Fingerprint`]: what a file held, to tell later that it changed.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::SystemTime;

/// The length and a hash of a file's bytes: enough to tell that the file changed
/// without keeping a copy of it. Fingerprints compare only within one process
/// (the hash is not stable across Rust releases, and need not be).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    len: usize,
    hash: u64,
}

impl Fingerprint {
    /// The fingerprint of `bytes`.
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut hasher);
        Fingerprint { len: bytes.len(), hash: hasher.finish() }
    }

    /// The fingerprint of the file at `path`; None when it cannot be read or is
    /// not a regular file (reading a FIFO would block until something writes to it).
    pub fn of_file(path: &Path) -> Option<Fingerprint> {
        if !std::fs::metadata(path).ok()?.is_file() {
            return None;
        }
        std::fs::read(path).ok().map(|bytes| Fingerprint::of(&bytes))
    }
}

/// What the armer compares to tell that a file was saved before its directory
/// was watched: its bytes and its modification time. A save that rewrote the
/// same bytes is a save too (the watch would have reported it, and the
/// program's `prerun`/`postrun` hooks see every save).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    bytes: Fingerprint,
    modified: Option<SystemTime>,
}

impl Stamp {
    /// The stamp of the file at `path` now; None when it cannot be read or is
    /// not a regular file.
    pub(crate) fn of_file(path: &Path) -> Option<Stamp> {
        let modified = std::fs::metadata(path).ok()?.modified().ok();
        Some(Stamp { bytes: Fingerprint::of_file(path)?, modified })
    }

    /// The stamp of a file read earlier as `bytes`, at a time not known: only
    /// its bytes are compared.
    pub(crate) fn read_as(bytes: Fingerprint) -> Stamp {
        Stamp { bytes, modified: None }
    }

    /// Whether a file stamped `before` is still as it was, `now`: the same
    /// bytes, and the same modification time when `before` has one.
    pub(crate) fn still(before: Option<&Stamp>, now: Option<&Stamp>) -> bool {
        match (before, now) {
            (Some(before), Some(now)) => {
                before.bytes == now.bytes && (before.modified.is_none() || before.modified == now.modified)
            }
            (before, now) => before.is_none() && now.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_have_equal_fingerprints_and_an_edit_changes_it() {
        assert_eq!(Fingerprint::of(b"def f(): pass\n"), Fingerprint::of(b"def f(): pass\n"));
        assert_ne!(Fingerprint::of(b"def f(): pass\n"), Fingerprint::of(b"def f(): pass\r\n"));
        assert_ne!(Fingerprint::of(b""), Fingerprint::of(b"\0"));
    }

    #[test]
    fn a_file_read_earlier_is_still_as_read_while_its_bytes_are() {
        let dir = std::env::temp_dir().join(format!("jurigged-read-as-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        let read = Stamp::read_as(Fingerprint::of(b"x = 1\n"));
        assert!(Stamp::still(Some(&read), Stamp::of_file(&file).as_ref()));
        std::fs::write(&file, "x = 2\n").unwrap();
        assert!(!Stamp::still(Some(&read), Stamp::of_file(&file).as_ref()));
        std::fs::remove_file(&file).unwrap();
        assert!(!Stamp::still(Some(&read), Stamp::of_file(&file).as_ref()));
        assert!(Stamp::still(None, Stamp::of_file(&file).as_ref()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_is_fingerprinted_by_its_bytes_and_a_directory_not_at_all() {
        let dir = std::env::temp_dir().join(format!("jurigged-fingerprint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        assert_eq!(Fingerprint::of_file(&file), Some(Fingerprint::of(b"x = 1\n")));
        assert_eq!(Fingerprint::of_file(&dir), None);
        assert_eq!(Fingerprint::of_file(&dir.join("missing.py")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_rewrite_of_the_same_bytes_changes_the_stamp_not_the_fingerprint() {
        let dir = std::env::temp_dir().join(format!("jurigged-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        let before = (Fingerprint::of_file(&file), Stamp::of_file(&file));
        let old = std::fs::metadata(&file).unwrap().modified().unwrap();
        // Written again until the clock moves (coarse file system clocks).
        while std::fs::metadata(&file).unwrap().modified().unwrap() == old {
            std::fs::write(&file, "x = 1\n").unwrap();
        }
        assert_eq!(Fingerprint::of_file(&file), before.0);
        assert_ne!(Stamp::of_file(&file), before.1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
