//! A bytecode cache that Python would trust although it may predate its source.
//!
//! Python checks a timestamp `.pyc` against its source by the source's size and
//! its modification time in whole seconds. A save of the same size within the
//! second in which the `.pyc` was written passes that check: the import runs
//! the code from before the save, while the sniffer reads (and jurigged takes
//! as live) the bytes after it. No later save would tell the two apart, so that
//! process would keep the old code for good. It happens to processes that import
//! a module right after a save: a multiprocessing worker started then, a lazy
//! import.
//!
//! Such a cache is removed before the import reads it: Python then compiles the
//! source it finds and writes a fresh cache, as it would have with precise times.
//! Only a cache written no later than its source's last change is: one written
//! after it (the usual fresh cache) was compiled from that change, but for a
//! save between the compile's read and the cache's write (a few milliseconds).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The flags word of a hash-based `.pyc` (checked by hash, not by time).
const HASH_BASED: u32 = 1;

/// Removes `cached` (the bytecode cache of `source`) when Python would load it
/// although it may hold the code of the source before its last change. Any
/// error leaves things as they are: the import goes on as Python would do it.
pub(crate) fn drop_if_stale(source: &Path, cached: &Path) {
    if may_be_stale(source, cached).unwrap_or(false) {
        let _ = std::fs::remove_file(cached);
    }
}

fn may_be_stale(source: &Path, cached: &Path) -> Option<bool> {
    let source_meta = std::fs::metadata(source).ok()?;
    let cached_meta = std::fs::metadata(cached).ok()?;
    let header = read_header(cached)?;
    let source_modified = source_meta.modified().ok()?;
    let trusted = header.flags & HASH_BASED == 0
        && u64::from(header.mtime) == whole_seconds(source_modified)? & 0xFFFF_FFFF
        && u64::from(header.size) == source_meta.len() & 0xFFFF_FFFF;
    // Equal times too: both come from the same coarse clock tick.
    let written_before_the_change = cached_meta.modified().ok()? <= source_modified;
    Some(trusted && written_before_the_change)
}

/// The part of a `.pyc` header that Python checks against the source.
struct Header {
    flags: u32,
    mtime: u32,
    size: u32,
}

fn read_header(cached: &Path) -> Option<Header> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open(cached).ok()?.read_exact(&mut bytes).ok()?;
    let word = |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some(Header { flags: word(4), mtime: word(8), size: word(12) })
}

fn whole_seconds(time: SystemTime) -> Option<u64> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn header(flags: u32, mtime: u64, size: u64) -> Vec<u8> {
        let mut bytes = b"\x2b\x0e\r\n".to_vec();
        for word in [flags, mtime as u32, size as u32] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        bytes.extend_from_slice(b"code");
        bytes
    }

    fn set_modified(path: &Path, time: SystemTime) {
        std::fs::File::options().write(true).open(path).unwrap().set_modified(time).unwrap();
    }

    struct Files {
        dir: std::path::PathBuf,
        source: std::path::PathBuf,
        cached: std::path::PathBuf,
    }

    /// A source saved at `saved` and a cache written at `written` whose header
    /// matches the source (flags `flags`).
    fn files(name: &str, saved: SystemTime, written: SystemTime, flags: u32) -> Files {
        let dir = std::env::temp_dir().join(format!("jurigged-stale-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("work.py");
        let cached = dir.join("work.pyc");
        std::fs::write(&source, "def task(x):\n    return 2\n").unwrap();
        set_modified(&source, saved);
        std::fs::write(&cached, header(flags, whole_seconds(saved).unwrap(), 26)).unwrap();
        set_modified(&cached, written);
        Files { dir, source, cached }
    }

    const SECOND: Duration = Duration::from_secs(1);

    fn base() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_796_573_043) + Duration::from_millis(100)
    }

    #[test]
    fn a_cache_written_before_a_same_size_save_in_the_same_second_is_removed() {
        let f = files("before", base() + Duration::from_millis(400), base(), 0);
        drop_if_stale(&f.source, &f.cached);
        assert!(!f.cached.exists());
        std::fs::remove_dir_all(&f.dir).unwrap();
    }

    #[test]
    fn a_cache_written_after_its_source_is_kept() {
        for (name, after) in [("soon-after", Duration::from_millis(300)), ("well-after", 5 * SECOND)] {
            let f = files(name, base(), base() + after, 0);
            drop_if_stale(&f.source, &f.cached);
            assert!(f.cached.exists(), "{name}");
            std::fs::remove_dir_all(&f.dir).unwrap();
        }
    }

    #[test]
    fn a_cache_written_in_the_same_clock_tick_as_a_save_is_removed() {
        let f = files("same-tick", base(), base(), 0);
        drop_if_stale(&f.source, &f.cached);
        assert!(!f.cached.exists());
        std::fs::remove_dir_all(&f.dir).unwrap();
    }

    #[test]
    fn a_cache_python_would_not_trust_is_left_to_python() {
        // Hash-based: checked by the source's hash, never stale this way.
        let f = files("hashed", base() + Duration::from_millis(400), base(), HASH_BASED);
        drop_if_stale(&f.source, &f.cached);
        assert!(f.cached.exists());
        // A header for another time: Python compiles anew by itself.
        std::fs::write(&f.cached, header(0, whole_seconds(base()).unwrap() - 7, 26)).unwrap();
        set_modified(&f.cached, base());
        drop_if_stale(&f.source, &f.cached);
        assert!(f.cached.exists());
        std::fs::remove_dir_all(&f.dir).unwrap();
    }

    #[test]
    fn missing_or_short_files_change_nothing() {
        let dir = std::env::temp_dir().join(format!("jurigged-stale-short-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = dir.join("work.py");
        let cached = dir.join("work.pyc");
        drop_if_stale(&source, &cached);
        std::fs::write(&source, "x = 1\n").unwrap();
        std::fs::write(&cached, b"\x2b\x0e").unwrap();
        drop_if_stale(&source, &cached);
        assert!(cached.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
