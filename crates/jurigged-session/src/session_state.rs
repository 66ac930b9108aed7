//! Where a session is in its life: armed (a watcher and its channel), running
//! (its thread took the channel), stopped, and inherited by a forked child
//! until that child arms a watcher of its own. Every module asks and changes
//! these through the methods here, which keep the one rule the fields share:
//! a forked child never touches the parent's watcher nor its locks (they may
//! have been held by threads the child does not have).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use jurigged_watch::sync::lock;
use jurigged_watch::{Change, Watcher};

/// A session's watcher, its channel, its thread's end and whether it stopped.
pub(crate) struct SessionState {
    /// None once stopped (it winds down apart), or in a child before it rearms.
    watcher: Mutex<Option<Watcher>>,
    /// The watcher's changes until the session's thread takes them.
    changes: Mutex<Option<Receiver<Change>>>,
    /// Set once the session's thread has applied its last save (None: not
    /// started).
    finished: Mutex<Option<Arc<AtomicBool>>>,
    /// Set by stop(): saves still in flight are not applied.
    stopped: AtomicBool,
    /// The process whose watcher this is: a forked child inherits the session
    /// but not its threads.
    pid: AtomicU32,
}

impl SessionState {
    /// A session of this process, armed with `watcher` and its `changes`, not
    /// running yet.
    pub(crate) fn new(watcher: Watcher, changes: Receiver<Change>) -> SessionState {
        SessionState {
            watcher: Mutex::new(Some(watcher)),
            changes: Mutex::new(Some(changes)),
            finished: Mutex::new(None),
            stopped: AtomicBool::new(false),
            pid: AtomicU32::new(std::process::id()),
        }
    }

    /// Whether this is a forked child's copy of a session of its parent, not
    /// rearmed yet.
    pub(crate) fn inherited(&self) -> bool {
        std::process::id() != self.pid.load(Ordering::SeqCst)
    }

    /// Whether stop() was called.
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// The changes for the session's thread to apply, once: None when a thread
    /// took them already.
    pub(crate) fn take_changes(&self) -> Option<Receiver<Change>> {
        lock(&self.changes).take()
    }

    /// The session's thread started; `finished` is set when it ends.
    pub(crate) fn started(&self, finished: Arc<AtomicBool>) {
        *lock(&self.finished) = Some(finished);
    }

    /// What the session's thread sets when it ends; None when it never
    /// started, or in a child that has not rearmed (the parent's thread is not
    /// there to wait for).
    pub(crate) fn finished(&self) -> Option<Arc<AtomicBool>> {
        if self.inherited() {
            return None;
        }
        lock(&self.finished).clone()
    }

    /// Whether the session's thread is applying saves (started and not ended).
    pub(crate) fn is_running(&self) -> bool {
        self.finished().is_some_and(|finished| !finished.load(Ordering::SeqCst))
    }

    /// Marks the session stopped; returns its watcher for the caller to wind
    /// down (None in a child that has not rearmed: that watcher is the
    /// parent's).
    pub(crate) fn stop(&self) -> Option<Watcher> {
        self.stopped.store(true, Ordering::Release);
        if self.inherited() {
            return None;
        }
        lock(&self.watcher).take()
    }

    /// Watches `path` from now on: Some(true) if it was not watched yet; None
    /// when there is no watcher of this process's (stopped, or inherited).
    pub(crate) fn add_file(&self, path: &Path) -> Option<jurigged_watch::Result<bool>> {
        if self.inherited() {
            return None;
        }
        lock(&self.watcher).as_ref().map(|watcher| watcher.add_file(path))
    }

    /// The files the watcher watches (none in a child that has not rearmed).
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        if self.inherited() {
            return Vec::new();
        }
        lock(&self.watcher).as_ref().map(Watcher::files).unwrap_or_default()
    }

    /// In a forked child: the parent's watcher and channel are left behind
    /// (leaked, never dropped: they belong to threads this process does not
    /// have), `watcher` and `changes` take their place and the session is this
    /// process's. Returns whether the parent's thread was running (the child
    /// then starts one of its own).
    pub(crate) fn rearm(&self, watcher: Watcher, changes: Receiver<Change>) -> bool {
        if let Some(parents) = lock(&self.watcher).replace(watcher) {
            std::mem::forget(parents);
        }
        if let Some(parents) = lock(&self.changes).replace(changes) {
            std::mem::forget(parents);
        }
        self.pid.store(std::process::id(), Ordering::SeqCst);
        lock(&self.finished).take().is_some()
    }
}

impl Drop for SessionState {
    fn drop(&mut self) {
        if self.inherited() {
            // Stopping it would wait for threads that do not exist in this process.
            if let Some(watcher) = lock(&self.watcher).take() {
                std::mem::forget(watcher);
            }
        }
    }
}
