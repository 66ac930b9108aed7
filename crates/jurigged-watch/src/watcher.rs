//! The watcher: which files are registered, and the backend that watches them.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;

pub use crate::change::Change;
use crate::change::Files;
use crate::error::Result;
use crate::native::Native;
use crate::poll::Poller;
use crate::sync::lock;
use crate::timing::Timing;

/// Builds a [`Watcher`]: `Watcher::builder().timing(timing).build()`.
#[derive(Debug, Clone, Default)]
pub struct WatcherBuilder {
    timing: Timing,
}

impl WatcherBuilder {
    /// The debounce (how long a file must stay quiet before its change is
    /// reported) and the polling interval, if polling replaces the system's
    /// notifications (network mounts, some containers). Default: 50 ms, no polling.
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Starts the watcher; changes arrive on the receiver. Nothing is watched until
    /// files are added.
    pub fn build(self) -> Result<(Watcher, Receiver<Change>)> {
        let (sender, receiver) = channel();
        let files: Files = Arc::default();
        let backend = match self.timing.poll() {
            Some(interval) => Backend::Poll(Poller::start(interval, Arc::clone(&files), sender)?),
            None => Backend::Native(Native::start(self.timing.debounce(), Arc::clone(&files), sender)?),
        };
        Ok((Watcher { backend: Some(backend), files }, receiver))
    }
}

enum Backend {
    Native(Native),
    Poll(Poller),
}

/// Watches the directories of the files it is given (editors save by writing a
/// new file and renaming it over the old one, which a watch on the file itself
/// would miss) and reports changes to those files on the receiver that
/// [`WatcherBuilder::build`] returns.
pub struct Watcher {
    /// None once stopped.
    backend: Option<Backend>,
    files: Files,
}

impl Watcher {
    /// A builder with the default debounce (50 ms) and native notifications.
    pub fn builder() -> WatcherBuilder {
        WatcherBuilder::default()
    }

    /// Starts reporting changes to `path`; returns false if it was already
    /// registered. The file need not exist yet.
    pub fn add_file(&self, path: &Path) -> Result<bool> {
        self.add(path, None)
    }

    /// Starts reporting changes to `path`, which the caller read as `read`
    /// before (a forked child's parent did): a change made since, even before
    /// this call, is reported once the file is watched. Returns false if it
    /// was already registered.
    pub fn add_file_read_as(&self, path: &Path, read: crate::Fingerprint) -> Result<bool> {
        self.add(path, Some(read))
    }

    fn add(&self, path: &Path, read: Option<crate::Fingerprint>) -> Result<bool> {
        let path = crate::paths::absolute(path);
        if !lock(&self.files).insert(path.clone()) {
            return Ok(false);
        }
        if let Some(Backend::Poll(poller)) = &self.backend {
            poller.remember(&path, read);
        }
        if let Some(Backend::Native(native)) = &self.backend {
            // Its directory is watched shortly, off this thread; a failure to
            // watch arrives as a Change::Error.
            native.arm(path, read);
        }
        Ok(true)
    }

    /// Stops reporting changes to `path`.
    pub fn remove_file(&self, path: &Path) {
        let path = crate::paths::absolute(path);
        lock(&self.files).remove(&path);
    }

    /// The registered files, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = lock(&self.files).iter().cloned().collect();
        files.sort();
        files
    }

    /// Stops watching and waits for the backend's threads to end (dropping the
    /// watcher does the same).
    pub fn stop(mut self) {
        self.stop_backend();
    }

    fn stop_backend(&mut self) {
        match self.backend.take() {
            Some(Backend::Native(native)) => native.stop(),
            Some(Backend::Poll(poller)) => poller.stop(),
            None => {}
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop_backend();
    }
}
