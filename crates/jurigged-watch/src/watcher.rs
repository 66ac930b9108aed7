//! Watching the directories of registered files and reporting saves.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher as _};

use crate::error::{Error, Result};

/// The shortest debounce: a zero debounce would report half-written files.
pub const MIN_DEBOUNCE: Duration = Duration::from_millis(1);

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Registered files that were written, replaced, deleted or created, once each
    /// per debounced burst, in the order they changed.
    Files(Vec<PathBuf>),
    /// The backend reported a problem (e.g. too many watches); watching goes on.
    Error(String),
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
            Some(interval) => Backend::Poll(Poller::start(interval, Arc::clone(&files), sender)),
            None => Backend::Native(Native::start(self.debounce, Arc::clone(&files), sender)?),
        };
        Ok((Watcher { backend, files, dirs: Mutex::default() }, receiver))
    }
}

type Files = Arc<Mutex<HashSet<PathBuf>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether an event can mean that a file's contents changed. Opening or reading a
/// file (as jurigged does after a save) must not count, or every read would
/// report a new change.
fn is_content_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
    }
}

/// The registered paths among `paths`, in order, without repeats.
fn registered_paths<'a>(paths: impl Iterator<Item = &'a PathBuf>, registered: &HashSet<PathBuf>) -> Vec<PathBuf> {
    let mut changed: Vec<PathBuf> = Vec::new();
    for path in paths {
        if registered.contains(path) && !changed.contains(path) {
            changed.push(path.clone());
        }
    }
    changed
}

enum Backend {
    Native(Native),
    Poll(Poller),
}

/// The system's notifications (inotify, FSEvents, ...) and a thread that debounces
/// them: a file is reported once it has been quiet for the debounce time, however
/// many events its save made. The thread sleeps until the next deadline, so an
/// idle watcher costs nothing.
struct Native {
    watcher: Mutex<notify::RecommendedWatcher>,
    thread: JoinHandle<()>,
}

impl Native {
    fn start(debounce: Duration, files: Files, sender: Sender<Change>) -> Result<Native> {
        let (raw_sender, raw) = channel::<notify::Result<notify::Event>>();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = raw_sender.send(event);
        })
        .map_err(|e| Error::Start(e.to_string()))?;
        let thread = std::thread::Builder::new()
            .name("jurigged debouncer".into())
            .spawn(move || debounce_loop(debounce, &raw, &files, &sender))
            .map_err(|e| Error::Start(e.to_string()))?;
        Ok(Native { watcher: Mutex::new(watcher), thread })
    }

    fn stop(self) {
        // Dropping the watcher closes the raw channel, which ends the thread.
        drop(self.watcher);
        let _ = self.thread.join();
    }
}

/// The longest a file written in place is waited for to be closed: a writer that
/// keeps it open (rare) is reported after this anyway.
const MAX_WAIT_FOR_CLOSE: Duration = Duration::from_secs(1);

/// A file with changes not yet reported.
struct Pending {
    path: PathBuf,
    /// When it will have been quiet for the debounce time.
    due: Instant,
    /// Written in place and not closed yet: what is on disk may be half a save.
    writing: bool,
    first_seen: Instant,
}

impl Pending {
    fn ready(&self, now: Instant) -> bool {
        self.due <= now && (!self.writing || now.duration_since(self.first_seen) >= MAX_WAIT_FOR_CLOSE)
    }

    /// When to look at it again.
    fn next_check(&self, debounce: Duration) -> Instant {
        if self.writing && self.due <= Instant::now() {
            self.due + debounce
        } else {
            self.due
        }
    }
}

/// Whether an event leaves a file open for writing (so that what is on disk may
/// be half written), or says the writing is done.
fn leaves_open(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) | EventKind::Create(_))
}

/// Collects raw events into per-file deadlines and reports the files whose
/// deadline passed, in the order they first changed. A file written in place is
/// reported once its writer closed it, so that a save caught between truncation
/// and writing is not read.
fn debounce_loop(
    debounce: Duration,
    raw: &Receiver<notify::Result<notify::Event>>,
    files: &Files,
    sender: &Sender<Change>,
) {
    let mut pending: Vec<Pending> = Vec::new();
    loop {
        let received = match pending.iter().map(|p| p.next_check(debounce)).min() {
            None => raw.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(due) => raw.recv_timeout(due.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(Ok(event)) if is_content_change(&event.kind) => {
                let now = Instant::now();
                let writing = leaves_open(&event.kind);
                let registered = lock(files);
                for path in registered_paths(event.paths.iter(), &registered) {
                    match pending.iter_mut().find(|p| p.path == path) {
                        Some(entry) => {
                            entry.due = now + debounce;
                            entry.writing = writing;
                        }
                        None => pending.push(Pending { path, due: now + debounce, writing, first_seen: now }),
                    }
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                if sender.send(Change::Error(error.to_string())).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        let ready: Vec<PathBuf> = pending.iter().filter(|p| p.ready(now)).map(|p| p.path.clone()).collect();
        if !ready.is_empty() {
            pending.retain(|p| !p.ready(now));
            if sender.send(Change::Files(ready)).is_err() {
                return;
            }
        }
    }
}

/// Watches the directories of the files it is given (editors save by writing a
/// new file and renaming it over the old one, which a watch on the file itself
/// would miss) and reports changes to those files on the receiver that
/// [`WatcherBuilder::build`] returns.
pub struct Watcher {
    backend: Backend,
    files: Files,
    dirs: Mutex<HashSet<PathBuf>>,
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
        if let Backend::Poll(poller) = &self.backend {
            poller.remember(&path);
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"));
        let mut dirs = lock(&self.dirs);
        if dirs.contains(&dir) {
            return Ok(true);
        }
        if let Backend::Native(native) = &self.backend {
            lock(&native.watcher).watch(&dir, RecursiveMode::NonRecursive).map_err(|e| {
                lock(&self.files).remove(&path);
                Error::Watch { path: dir.clone(), message: e.to_string() }
            })?;
        }
        dirs.insert(dir);
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

    /// Stops watching and waits for the backend's thread to end.
    pub fn stop(self) {
        match self.backend {
            Backend::Native(native) => native.stop(),
            Backend::Poll(poller) => poller.stop(),
        }
    }
}

/// What polling compares: cheap metadata first, then the contents.
#[derive(Clone, PartialEq, Eq)]
struct Snapshot {
    len: u64,
    modified: Option<SystemTime>,
    contents: Vec<u8>,
}

fn snapshot(path: &Path) -> Option<Snapshot> {
    let metadata = std::fs::metadata(path).ok()?;
    let contents = std::fs::read(path).ok()?;
    Some(Snapshot { len: metadata.len(), modified: metadata.modified().ok(), contents })
}

/// A thread that reads the registered files every interval and reports those
/// whose contents changed (or that appeared or disappeared). Comparing contents
/// catches saves within the same second, which mtime-based polling misses.
struct Poller {
    stop: Arc<AtomicBool>,
    known: Arc<Mutex<HashMap<PathBuf, Option<Snapshot>>>>,
    thread: JoinHandle<()>,
}

impl Poller {
    fn start(interval: Duration, files: Files, sender: Sender<Change>) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let known: Arc<Mutex<HashMap<PathBuf, Option<Snapshot>>>> = Arc::default();
        let (stop_flag, known_files) = (Arc::clone(&stop), Arc::clone(&known));
        let thread = std::thread::Builder::new()
            .name("jurigged poller".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Acquire) {
                    std::thread::park_timeout(interval);
                    let paths: Vec<PathBuf> = lock(&files).iter().cloned().collect();
                    let mut changed = Vec::new();
                    for path in paths {
                        let now = snapshot(&path);
                        let mut known = lock(&known_files);
                        let before = known.entry(path.clone()).or_insert_with(|| now.clone());
                        if *before != now {
                            *before = now;
                            changed.push(path);
                        }
                    }
                    changed.sort();
                    if !changed.is_empty() && sender.send(Change::Files(changed)).is_err() {
                        break;
                    }
                }
            })
            .expect("spawning the poller thread");
        Poller { stop, known, thread }
    }

    fn remember(&self, path: &Path) {
        lock(&self.known).insert(path.to_path_buf(), snapshot(path));
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_registered_paths_once_each_in_order() {
        let registered: HashSet<PathBuf> = ["/p/a.py", "/p/b.py"].iter().map(PathBuf::from).collect();
        let events: Vec<PathBuf> =
            ["/p/.a.py.swp", "/p/b.py", "/p/a.py", "/p/b.py", "/p/c.py"].iter().map(PathBuf::from).collect();
        assert_eq!(registered_paths(events.iter(), &registered), [PathBuf::from("/p/b.py"), PathBuf::from("/p/a.py")]);
    }

    #[test]
    fn a_file_being_written_waits_for_its_close() {
        let start = Instant::now();
        let debounce = Duration::from_millis(10);
        let mut entry =
            Pending { path: PathBuf::from("/p/a.py"), due: start + debounce, writing: true, first_seen: start };
        assert!(!entry.ready(start + debounce * 2), "still open for writing");
        assert!(entry.ready(start + MAX_WAIT_FOR_CLOSE), "but not forever");
        entry.writing = false;
        assert!(entry.ready(start + debounce));
        assert!(!entry.ready(start));
        assert!(leaves_open(&EventKind::Modify(ModifyKind::Data(notify::event::DataChange::Content))));
        assert!(!leaves_open(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
    }

    #[test]
    fn zero_debounce_is_never_used() {
        assert_eq!(Watcher::builder().debounce(Duration::ZERO).debounce, MIN_DEBOUNCE);
        assert_eq!(Watcher::builder().poll(Some(Duration::ZERO)).poll, Some(MIN_DEBOUNCE));
    }
}
