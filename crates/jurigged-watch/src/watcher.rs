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
            Some(interval) => Backend::Poll(Poller::start(interval, Arc::clone(&files), sender)?),
            None => Backend::Native(Native::start(self.debounce, Arc::clone(&files), sender)?),
        };
        Ok((Watcher { backend: Some(backend), files }, receiver))
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
    watcher: Arc<Mutex<notify::RecommendedWatcher>>,
    thread: JoinHandle<()>,
    /// Files whose directories are to be watched, to the arming thread.
    arming: Sender<ArmRequest>,
    armer: JoinHandle<()>,
}

/// What the arming thread is asked to do.
enum ArmRequest {
    /// Watch the directory of a newly registered file (with its fingerprint then).
    File(PathBuf, Option<u64>),
    /// A watched directory was moved or deleted: its watch is gone or follows it
    /// elsewhere. Watch the path again as soon as a directory is there.
    Rearm(PathBuf),
    Stop,
}

/// How often a watched directory that disappeared is looked for.
const REAPPEAR_POLL: Duration = Duration::from_millis(100);

/// How long after a file is registered its directory starts being watched.
/// Watching costs the process ~5-15 ms of kernel work when it exits (inotify
/// teardown); a short program never pays it. Nothing is lost meanwhile: the file
/// is compared with what it held when registered, and a change is reported.
const ARM_DELAY: Duration = Duration::from_millis(50);

impl Native {
    fn start(debounce: Duration, files: Files, sender: Sender<Change>) -> Result<Native> {
        let (raw_sender, raw) = channel::<notify::Result<notify::Event>>();
        let events = raw_sender.clone();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = events.send(event);
        })
        .map_err(|e| Error::Start(e.to_string()))?;
        let watcher = Arc::new(Mutex::new(watcher));
        let errors = sender.clone();
        let (arming, requests) = channel();
        let rearming = arming.clone();
        let thread = std::thread::Builder::new()
            .name("jurigged debouncer".into())
            .spawn(move || debounce_loop(debounce, &raw, &files, &sender, &rearming))
            .map_err(|e| Error::Start(e.to_string()))?;
        let armed_watcher = Arc::clone(&watcher);
        let armer = std::thread::Builder::new()
            .name("jurigged armer".into())
            .spawn(move || arm_loop(&requests, &armed_watcher, &raw_sender, &errors))
            .map_err(|e| Error::Start(e.to_string()))?;
        Ok(Native { watcher, thread, arming, armer })
    }

    fn stop(self) {
        // The arming thread ends on Stop (the debouncer holds a sender too); then
        // dropping the last watcher closes the raw channel, which ends the debouncer.
        let _ = self.arming.send(ArmRequest::Stop);
        drop(self.arming);
        let _ = self.armer.join();
        drop(self.watcher);
        let _ = self.thread.join();
    }
}

fn directory_of(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"))
}

/// A digest of a file's bytes (None when it cannot be read, or is not a regular
/// file: reading a FIFO would block this thread, and every file's saves, until
/// something writes to it).
fn fingerprint(path: &Path) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    Some(hasher.finish())
}

/// Watches the directories of registered files, a little after they arrive, and
/// passes on as events the changes made before the watch was in place. A watched
/// directory that was moved or deleted is watched again when it is back, and its
/// files are reported as possibly changed.
fn arm_loop(
    requests: &Receiver<ArmRequest>,
    watcher: &Mutex<notify::RecommendedWatcher>,
    events: &Sender<notify::Result<notify::Event>>,
    errors: &Sender<Change>,
) {
    let mut armed: HashSet<PathBuf> = HashSet::new();
    // Registered files by directory, to report when a directory comes back.
    let mut files_in: HashMap<PathBuf, HashSet<PathBuf>> = HashMap::new();
    // Directories that went away, looked for every REAPPEAR_POLL.
    let mut missing: HashSet<PathBuf> = HashSet::new();
    loop {
        let first = if missing.is_empty() {
            requests.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            requests.recv_timeout(REAPPEAR_POLL)
        };
        let mut batch = Vec::new();
        match first {
            Ok(ArmRequest::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(ArmRequest::Rearm(dir)) => {
                // The old watch may follow the directory to where it was moved.
                let _ = lock(watcher).unwatch(&dir);
                armed.remove(&dir);
                missing.insert(dir);
            }
            Ok(ArmRequest::File(file, before)) => {
                batch.push((file, before));
                let deadline = Instant::now() + ARM_DELAY;
                loop {
                    match requests.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                        Ok(ArmRequest::File(file, before)) => batch.push((file, before)),
                        Ok(ArmRequest::Rearm(dir)) => {
                            let _ = lock(watcher).unwatch(&dir);
                            armed.remove(&dir);
                            missing.insert(dir);
                        }
                        Ok(ArmRequest::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                        Err(RecvTimeoutError::Timeout) => break,
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        let mut fresh = HashSet::new();
        for (file, _) in &batch {
            let dir = directory_of(file);
            files_in.entry(dir.clone()).or_default().insert(file.clone());
            if armed.contains(&dir) || fresh.contains(&dir) || missing.contains(&dir) {
                continue;
            }
            if !dir.is_dir() {
                // Not there (yet, or any more: a package deleted right after its
                // import): no error, it is watched as soon as it appears.
                missing.insert(dir);
                continue;
            }
            if arm(watcher, &dir, errors) {
                fresh.insert(dir);
            }
        }
        for (file, before) in batch {
            if fresh.contains(&directory_of(&file)) && fingerprint(&file) != before {
                passed_on(events, file);
            }
        }
        armed.extend(fresh);
        let back: Vec<PathBuf> = missing.iter().filter(|dir| dir.is_dir()).cloned().collect();
        for dir in back {
            missing.remove(&dir);
            if arm(watcher, &dir, errors) {
                // Whatever happened while it was away: the receiver compares each
                // file with what it last applied.
                for file in files_in.get(&dir).into_iter().flatten() {
                    passed_on(events, file.clone());
                }
                armed.insert(dir);
            }
        }
    }
}

/// Watches `dir`; a failure is reported on `errors`.
fn arm(watcher: &Mutex<notify::RecommendedWatcher>, dir: &Path, errors: &Sender<Change>) -> bool {
    match lock(watcher).watch(dir, RecursiveMode::NonRecursive) {
        Ok(()) => true,
        Err(error) => {
            let message = Error::Watch { path: dir.to_path_buf(), message: error.to_string() }.to_string();
            let _ = errors.send(Change::Error(message));
            false
        }
    }
}

/// Reports `file` as changed by a write that is over. `Other`: its close happened
/// before the watch existed, so none will come.
fn passed_on(events: &Sender<notify::Result<notify::Event>>, file: PathBuf) {
    let _ = events.send(Ok(notify::Event::new(EventKind::Other).add_path(file)));
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

/// Whether an event can mean that its path is no longer what was watched there.
fn moves_or_removes(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_)) | EventKind::Create(_))
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
    arming: &Sender<ArmRequest>,
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
                if moves_or_removes(&event.kind) {
                    for dir in event.paths.iter().filter(|p| registered.iter().any(|f| f.parent() == Some(p))) {
                        let _ = arming.send(ArmRequest::Rearm(dir.clone()));
                    }
                }
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
            // Its directory is watched shortly, off this thread (see ARM_DELAY);
            // a failure to watch arrives as a Change::Error.
            let _ = native.arming.send(ArmRequest::File(path.clone(), fingerprint(&path)));
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

/// What polling remembers of a file: its metadata, and a digest of its contents
/// (never the contents: a watched tree can be large).
#[derive(Clone, PartialEq, Eq)]
struct Snapshot {
    len: u64,
    modified: Option<SystemTime>,
    digest: u64,
}

/// How long after its last modification a file's contents are still compared on
/// every poll, even when size and mtime say nothing changed: mtimes are as coarse
/// as 1-2 s on some file systems, and a save of the same size within that window
/// would go unseen. Older files are only read when their metadata changes.
const COARSE_MTIME: Duration = Duration::from_secs(3);

/// The file's snapshot now, reading it only when `before` cannot vouch for it.
fn snapshot(path: &Path, before: Option<&Snapshot>) -> Option<Snapshot> {
    let metadata = std::fs::metadata(path).ok()?;
    let (len, modified) = (metadata.len(), metadata.modified().ok());
    if let (Some(before), Some(at)) = (before, modified) {
        let settled = SystemTime::now().duration_since(at).is_ok_and(|age| age >= COARSE_MTIME);
        if settled && before.len == len && before.modified == modified {
            return Some(before.clone());
        }
    }
    let digest = fingerprint(path)?;
    Some(Snapshot { len, modified, digest })
}

/// A thread that looks at the registered files every interval and reports those
/// whose contents changed (or that appeared or disappeared). Comparing digests of
/// the contents catches saves within the same second, which mtime-based polling
/// misses, and ignores a `touch`.
struct Poller {
    stop: Arc<AtomicBool>,
    known: Arc<Mutex<HashMap<PathBuf, Option<Snapshot>>>>,
    thread: JoinHandle<()>,
}

/// Whether two snapshots differ in what the file holds.
fn contents_differ(before: Option<&Snapshot>, now: Option<&Snapshot>) -> bool {
    before.map(|s| s.digest) != now.map(|s| s.digest)
}

impl Poller {
    fn start(interval: Duration, files: Files, sender: Sender<Change>) -> Result<Poller> {
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
                        let before = lock(&known_files).get(&path).cloned();
                        let now = snapshot(&path, before.as_ref().and_then(Option::as_ref));
                        let mut known = lock(&known_files);
                        match before {
                            // Registered meanwhile: remember() set its baseline.
                            None => {
                                known.entry(path).or_insert(now);
                            }
                            Some(before) => {
                                if contents_differ(before.as_ref(), now.as_ref()) {
                                    changed.push(path.clone());
                                }
                                known.insert(path, now);
                            }
                        }
                    }
                    changed.sort();
                    if !changed.is_empty() && sender.send(Change::Files(changed)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Start(e.to_string()))?;
        Ok(Poller { stop, known, thread })
    }

    fn remember(&self, path: &Path) {
        lock(&self.known).insert(path.to_path_buf(), snapshot(path, None));
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
