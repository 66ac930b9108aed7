//! The live tree of each watched file, readable without the GIL: a save is read,
//! parsed and diffed against it off the GIL. Every change to a live file (a save,
//! or `CodeFile.update/refresh/merge`, a Recoder's patch) publishes its new tree
//! here, so the diff made off the GIL is made against what is live.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use jurigged_deftree::DefTree;

use jurigged_watch::sync::lock;

/// Module name and live tree of each watched file, as last applied by a save,
/// readable without the GIL.
type Snapshots = Mutex<HashMap<PathBuf, (String, Arc<DefTree>)>>;

fn snapshots() -> &'static Snapshots {
    static SNAPSHOTS: OnceLock<Snapshots> = OnceLock::new();
    SNAPSHOTS.get_or_init(Mutex::default)
}

/// Publishes the live tree of `path`.
pub fn publish(path: &Path, module_name: &str, tree: Arc<DefTree>) {
    lock(snapshots()).insert(path.to_path_buf(), (module_name.to_string(), tree));
}

/// Reads a snapshot without the GIL. A fork (which happens with the GIL held)
/// waits for readers to leave, and readers wait for the fork to be over, so that
/// a child never inherits the lock held by a thread it does not have.
pub fn live_tree(path: &Path) -> Option<(String, Arc<DefTree>)> {
    loop {
        SNAPSHOT_READERS.fetch_add(1, Ordering::SeqCst);
        if !FORKING.load(Ordering::SeqCst) {
            break;
        }
        SNAPSHOT_READERS.fetch_sub(1, Ordering::SeqCst);
        while FORKING.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_micros(100));
        }
    }
    let found = lock(snapshots()).get(path).cloned();
    SNAPSHOT_READERS.fetch_sub(1, Ordering::SeqCst);
    found
}

/// Set by `os.fork()`'s before hook until its after hooks.
static FORKING: AtomicBool = AtomicBool::new(false);
/// Threads reading a snapshot without the GIL right now.
static SNAPSHOT_READERS: AtomicUsize = AtomicUsize::new(0);

/// Before `os.fork()`: waits for readers to leave and keeps new ones out (a
/// reader holds the lock for a lookup, never longer).
pub fn fork_begins() {
    FORKING.store(true, Ordering::SeqCst);
    while SNAPSHOT_READERS.load(Ordering::SeqCst) > 0 {
        std::thread::yield_now();
    }
}

/// After `os.fork()`, in the parent: readers may come in again (those that
/// arrived meanwhile count themselves, so the count is left alone).
pub fn fork_ended_in_parent() {
    FORKING.store(false, Ordering::SeqCst);
}

/// After `os.fork()`, in the child, where no other thread exists: no reader.
pub fn fork_ended_in_child() {
    SNAPSHOT_READERS.store(0, Ordering::SeqCst);
    FORKING.store(false, Ordering::SeqCst);
}

/// The files that have a live tree (every tracked file), for a forked child to
/// watch again: called with the GIL, after the fork is over.
pub fn paths() -> Vec<PathBuf> {
    lock(snapshots()).keys().cloned().collect()
}
