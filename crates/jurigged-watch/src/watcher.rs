//! The watcher: which files are registered, and the backend that watches them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::native::Native;
use crate::poll::Poller;

/// The shortest debounce: a zero debounce would report half-written files.
pub const MIN_DEBOUNCE: Duration = Duration::from_millis(1);

/// What the watcher reports.
#[derive(Debug, Clone)]
pub enum Change {
    /// Registered files that were written, replaced, deleted or created, once each
    /// per debounced burst, in the order they changed.
    Files(Vec<PathBuf>),
    /// The backend reported a problem (e.g. too many watches); watching goes on.
    Error(Arc<Error>),
}

/// Builds a [`Watcher`]: `Watcher::builder().debounce(d).poll(None).build()`.
#[derive(Debug, Clone)]
pub struct WatcherBuilder {
    debounce: Duration,
    poll: Option<Duration>,
}

impl Default for WatcherBuilder {
    fn default() -> Self {
        WatcherBuilder { debounce: Duration::from_millis(50), poll: None }
    }
}

impl WatcherBuilder {
    /// How long a file must stay quiet before its change is reported (default
    /// 50 ms; zero means the smallest safe value, 1 ms).
    pub fn debounce(mut self, debounce: Duration) -> Self {
        self.debounce = debounce.max(MIN_DEBOUNCE);
        self
    }

    /// Polls every `interval` instead of using the system's notifications, for
    /// file systems that do not deliver them (network mounts, some containers).
    pub fn poll(mut self, interval: Option<Duration>) -> Self {
        self.poll = interval.map(|i| i.max(MIN_DEBOUNCE));
        self
    }

    /// Starts the watcher; changes arrive on the receiver. Nothing is watched until
    /// files are added.
    pub fn build(self) -> Result<(Watcher, Receiver<Change>)> {
        let (sender, receiver) = channel();
        let files: Files = Arc::default();
        let backend = match self.poll {
            Some(interval) => Backend::Poll(Poller::start(interval, Arc::clone(&files), sender)?),
            None => Backend::Native(Native::start(self.debounce, Arc::clone(&files), sender)?),
        };
        Ok((Watcher { backend: Some(backend), files }, receiver))
    }
}

pub(crate) type Files = Arc<Mutex<HashSet<PathBuf>>>;

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if !lock(&self.files).insert(path.clone()) {
            return Ok(false);
        }
        if let Some(Backend::Poll(poller)) = &self.backend {
            poller.remember(&path);
        }
        if let Some(Backend::Native(native)) = &self.backend {
            // Its directory is watched shortly, off this thread; a failure to
            // watch arrives as a Change::Error.
            native.arm(path);
        }
        Ok(true)
    }

    /// Stops reporting changes to `path`.
    pub fn remove_file(&self, path: &Path) {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_debounce_is_never_used() {
        assert_eq!(Watcher::builder().debounce(Duration::ZERO).debounce, MIN_DEBOUNCE);
        assert_eq!(Watcher::builder().poll(Some(Duration::ZERO)).poll, Some(MIN_DEBOUNCE));
    }
}
