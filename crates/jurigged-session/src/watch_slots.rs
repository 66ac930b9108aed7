//! Which forked children watch with the system's notifications, and which poll.
//!
//! Each watcher on Linux takes an inotify instance, and a user has few of them
//! (128 by default, shared by all of the user's programs): a pool of 200 forked
//! workers, each re-arming its own watcher, would take them all and leave the
//! user's editor, build tools and other programs without. So only the first few
//! live forked children take notifications; the others poll the watched files.
//!
//! A slot is a lock (`flock`) on one of [`NATIVE_SLOTS`] files in a directory
//! of the user's: a child takes the first free one and holds it as long as it
//! lives; the kernel lets go of it when the child ends, however it ends, so a
//! pool that replaces its workers gives the slots of the dead ones to the new.
//! Anything unexpected (no such directory, another owner, no `flock`) means
//! polling: it is always safe, only slower to notice a save.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::os::unix::io::{AsRawFd, IntoRawFd};
use std::path::PathBuf;
use std::time::Duration;

use pyo3::prelude::*;

/// How many live forked children of the user's watch with notifications.
pub(crate) const NATIVE_SLOTS: usize = 4;

/// How often a forked child without a slot looks at the watched files.
pub(crate) const FALLBACK_POLL: Duration = Duration::from_millis(500);

/// How a forked child is to watch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ChildWatch {
    /// Notifications: this process holds a slot until it ends.
    Native,
    /// Polling every [`FALLBACK_POLL`].
    Poll,
}

/// Takes a slot for this (forked) process if one is free. A slot taken is held
/// until the process ends: its descriptor is left open on purpose.
pub(crate) fn take_slot(py: Python<'_>) -> ChildWatch {
    let Some(directory) = slot_directory() else { return ChildWatch::Poll };
    // Python's `fcntl.flock` (C, no Python code runs): this crate has no unsafe
    // code of its own.
    let Ok(flock) = py.import("fcntl").and_then(|fcntl| {
        let flags = fcntl.getattr("LOCK_EX")?.extract::<i32>()? | fcntl.getattr("LOCK_NB")?.extract::<i32>()?;
        Ok((fcntl.getattr("flock")?, flags))
    }) else {
        return ChildWatch::Poll;
    };
    for slot in 0..NATIVE_SLOTS {
        let Some(file) = open_slot(&directory.join(format!("slot-{slot}"))) else { continue };
        // Taken by a live process: BlockingIOError, the next slot is tried.
        if flock.0.call1((file.as_raw_fd(), flock.1)).is_ok() {
            // Held for the life of the process (closed at exit, or by the
            // program closing its descriptors: then another child may take it).
            let _ = file.into_raw_fd();
            return ChildWatch::Native;
        }
    }
    ChildWatch::Poll
}

/// The user's directory of slots, made private to them; None if it cannot be
/// trusted (not a directory, another owner, open to others).
fn slot_directory() -> Option<PathBuf> {
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let base = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|dir| dir.is_absolute());
    let directory = base.unwrap_or_else(std::env::temp_dir).join(format!("jurigged-{uid}-watch-slots"));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&directory);
    let metadata = std::fs::symlink_metadata(&directory).ok()?;
    let private = metadata.is_dir() && metadata.uid() == uid && metadata.mode() & 0o077 == 0;
    private.then_some(directory)
}

/// Opens (creating) one slot's file, never following a link.
fn open_slot(path: &PathBuf) -> Option<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .ok()
}
