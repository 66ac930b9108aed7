//! The system's notifications (inotify, FSEvents, ...): a thread that sets up
//! the watches of directories, and a thread that debounces their events.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::EventKind;
use notify::{RecursiveMode, Watcher as _};

use crate::change::{Change, Files};
use crate::debounce::{is_content_change, leaves_open, moves_or_removes, size_of, Debouncer, SystemClock};
use crate::error::{Error, Result};
use crate::fingerprint::{Fingerprint, Stamp};
use crate::routes::Routes;
use crate::sentinel::Sentinel;
use crate::sync::lock;

type RawEvents = Sender<notify::Result<notify::Event>>;

/// The system's notifications and the threads that use them: the debouncer
/// sleeps until the next deadline, so an idle watcher costs nothing.
pub(crate) struct Native {
    notifications: Arc<Notifications>,
    thread: JoinHandle<()>,
    /// Files whose directories are to be watched, to the arming thread.
    arming: Sender<ArmRequest>,
    armer: JoinHandle<()>,
}

/// What the arming thread is asked to do.
pub(crate) enum ArmRequest {
    /// Watch the directory of a newly registered file (with its stamp then).
    File(PathBuf, Option<Stamp>),
    /// A watched directory was moved or deleted: its watch is gone or follows it
    /// elsewhere. Watch the path again as soon as a directory is there.
    Rearm(PathBuf),
    /// A registered file was created, replaced or removed: if it is a symbolic
    /// link now (or was), where its target lies is looked at again.
    Resolve(PathBuf),
    Stop,
}

/// How often a watched directory that disappeared is looked for.
const REAPPEAR_POLL: Duration = Duration::from_millis(100);

/// How long after a file is registered its directory starts being watched.
/// Watching costs the process ~5-15 ms of kernel work when it exits (inotify
/// teardown); a short program never pays it. Nothing is lost meanwhile: the file
/// is compared with what it held when registered, and a change is reported.
const ARM_DELAY: Duration = Duration::from_millis(50);

/// How often an idle debouncer looks whether the process still holds the
/// notifications' descriptors (one `readlink` a second).
const DESCRIPTORS_CHECK: Duration = Duration::from_secs(1);

/// notify's watcher, used only while this process holds its descriptors.
struct Notifications {
    /// None once left behind.
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    sentinel: Sentinel,
    lost: AtomicBool,
}

impl Notifications {
    /// Whether the descriptors are still ours. The first caller to find them
    /// gone leaves notify's watcher behind (never used nor dropped: its
    /// descriptor numbers may be the program's files now) and reports it once.
    fn still_ours(&self, errors: &Sender<Change>) -> bool {
        if self.lost.load(Ordering::Acquire) {
            return false;
        }
        if self.sentinel.holds() {
            return true;
        }
        self.give_up(errors);
        false
    }

    fn give_up(&self, errors: &Sender<Change>) {
        if !self.lost.swap(true, Ordering::AcqRel) {
            std::mem::forget(lock(&self.watcher).take());
            let _ = errors.send(Change::Error(Arc::new(Error::DescriptorsClosed)));
        }
    }

    /// Runs `f` on notify's watcher while the descriptors are ours; None once
    /// they are not (a panic inside, as notify's on a descriptor closed
    /// meanwhile, counts as that).
    fn with_watcher<R>(
        &self,
        errors: &Sender<Change>,
        f: impl FnOnce(&mut notify::RecommendedWatcher) -> R,
    ) -> Option<R> {
        if !self.still_ours(errors) {
            return None;
        }
        let outcome = {
            let mut guard = lock(&self.watcher);
            let watcher = guard.as_mut()?;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(watcher)))
        };
        match outcome {
            Ok(result) => Some(result),
            Err(_) => {
                self.give_up(errors);
                None
            }
        }
    }
}

impl Native {
    pub(crate) fn start(debounce: Duration, files: Files, sender: Sender<Change>) -> Result<Native> {
        let (raw_sender, raw) = channel::<notify::Result<notify::Event>>();
        let events = raw_sender.clone();
        let watcher = notify::recommended_watcher(move |event| {
            let _ = events.send(event);
        })
        .map_err(Error::start)?;
        let sentinel = Sentinel::new();
        crate::sentinel::quiet_closed_descriptor_panics();
        let notifications =
            Arc::new(Notifications { watcher: Mutex::new(Some(watcher)), sentinel, lost: AtomicBool::new(false) });
        let routes: Arc<Mutex<Routes>> = Arc::default();
        let errors = sender.clone();
        let (arming, requests) = channel();
        let rearming = arming.clone();
        let read_routes = Arc::clone(&routes);
        let checked = Arc::clone(&notifications);
        let thread = std::thread::Builder::new()
            .name("jurigged debouncer".into())
            .spawn(move || debounce_loop(debounce, &raw, &files, &read_routes, &sender, &rearming, &checked))
            .map_err(Error::Thread)?;
        let armed_watcher = Arc::clone(&notifications);
        let armer = std::thread::Builder::new()
            .name("jurigged armer".into())
            .spawn(move || {
                let mut armer = Armer::new(&armed_watcher, &raw_sender, &errors, &routes);
                armer.run(&requests);
            })
            .map_err(Error::Thread)?;
        Ok(Native { notifications, thread, arming, armer })
    }

    /// Has the directory of `file` watched shortly (see ARM_DELAY); a change
    /// made meanwhile to what it holds now, or (given `read`) to the bytes read
    /// of it before, is reported then.
    pub(crate) fn arm(&self, file: PathBuf, read: Option<Fingerprint>) {
        let before = match read {
            Some(bytes) => Some(Stamp::read_as(bytes)),
            None => Stamp::of_file(&file),
        };
        let _ = self.arming.send(ArmRequest::File(file, before));
    }

    pub(crate) fn stop(self) {
        // The arming thread ends on Stop (the debouncer holds a sender too); then
        // dropping the last watcher closes the raw channel, which ends the debouncer.
        let _ = self.arming.send(ArmRequest::Stop);
        drop(self.arming);
        let _ = self.armer.join();
        // The debouncer shares `notifications`: notify's watcher is taken out
        // (unless it was left behind) so that dropping it closes the channel.
        drop(lock(&self.notifications.watcher).take());
        let _ = self.thread.join();
    }
}

fn directory_of(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("/"))
}

/// The arming thread's state: which directories are watched, and under which
/// paths events about registered files arrive.
struct Armer<'a> {
    notifications: &'a Notifications,
    events: &'a RawEvents,
    errors: &'a Sender<Change>,
    routes: &'a Mutex<Routes>,
    /// Watched directories: canonical path → the path given to the system
    /// (events about their entries come with it). One directory is never watched
    /// under two paths.
    watched: HashMap<PathBuf, PathBuf>,
    /// Registered files by the watched directory their events come from (or
    /// would), to report them when that directory comes back.
    files_in: HashMap<PathBuf, HashSet<PathBuf>>,
    /// Directories that went away (or were not there yet), looked for every
    /// REAPPEAR_POLL.
    missing: HashSet<PathBuf>,
    /// Registered files that are symbolic links → the event path of their target.
    links: HashMap<PathBuf, PathBuf>,
}

impl<'a> Armer<'a> {
    fn new(
        notifications: &'a Notifications,
        events: &'a RawEvents,
        errors: &'a Sender<Change>,
        routes: &'a Mutex<Routes>,
    ) -> Self {
        Armer {
            notifications,
            events,
            errors,
            routes,
            watched: HashMap::new(),
            files_in: HashMap::new(),
            missing: HashSet::new(),
            links: HashMap::new(),
        }
    }

    /// Serves requests until Stop, batching registrations that arrive within
    /// ARM_DELAY of each other.
    fn run(&mut self, requests: &Receiver<ArmRequest>) {
        loop {
            let first = if self.missing.is_empty() {
                requests.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                requests.recv_timeout(REAPPEAR_POLL)
            };
            let mut batch = Vec::new();
            match first {
                Ok(ArmRequest::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(ArmRequest::File(file, before)) => {
                    batch.push((file, before));
                    let deadline = Instant::now() + ARM_DELAY;
                    loop {
                        match requests.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                            Ok(ArmRequest::File(file, before)) => batch.push((file, before)),
                            Ok(ArmRequest::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                            Ok(other) => self.serve(other),
                            Err(RecvTimeoutError::Timeout) => break,
                        }
                    }
                }
                Ok(other) => self.serve(other),
                Err(RecvTimeoutError::Timeout) => {}
            }
            let mut fresh = HashSet::new();
            for (file, before) in batch {
                self.register(&file, before, &mut fresh);
            }
            self.rearm_those_back();
        }
    }

    fn serve(&mut self, request: ArmRequest) {
        match request {
            ArmRequest::Rearm(dir) => self.forget_dir(dir),
            ArmRequest::Resolve(file) => {
                // A write through the new link before its target's directory
                // was watched would go unseen: the file is looked at again (in
                // the same debounced burst as the event that caused this).
                if self.follow_link(&file) {
                    passed_on(self.events, file);
                }
            }
            ArmRequest::File(..) | ArmRequest::Stop => {}
        }
    }

    /// Watches the directory of a newly registered file (and of its target if it
    /// is a symbolic link). `fresh`: directories armed in this batch, whose
    /// files may have changed before their watch was in place.
    fn register(&mut self, file: &Path, before: Option<Stamp>, fresh: &mut HashSet<PathBuf>) {
        let dir = directory_of(file);
        match self.watch_dir(&dir) {
            Some((as_watched, armed_now)) => {
                if armed_now {
                    fresh.insert(as_watched.clone());
                }
                if let Some(name) = file.file_name() {
                    let event_path = as_watched.join(name);
                    if event_path != file {
                        lock(self.routes).add_alias(event_path, file);
                    }
                }
                self.files_in.entry(as_watched.clone()).or_default().insert(file.to_path_buf());
                let new_route = self.follow_link(file);
                // A write made before the watch was in place (even of the same
                // bytes): no event will come for it.
                if (fresh.contains(&as_watched) || new_route)
                    && !Stamp::still(before.as_ref(), Stamp::of_file(file).as_ref())
                {
                    passed_on(self.events, file.to_path_buf());
                }
            }
            // Watched as soon as it appears (a package deleted right after its
            // import is no error).
            None => {
                self.files_in.entry(dir).or_default().insert(file.to_path_buf());
            }
        }
    }

    /// The path under which `dir` is watched, arming it if it is not yet, and
    /// whether it was armed now; None when it is not there or cannot be watched
    /// (the failure was reported).
    fn watch_dir(&mut self, dir: &Path) -> Option<(PathBuf, bool)> {
        if self.missing.contains(dir) {
            return None;
        }
        // Most often: the directory of files registered before, watched as it is
        // named (no path resolution for each import).
        if lock(self.routes).is_watched_dir(dir) {
            return Some((dir.to_path_buf(), false));
        }
        let canonical = match dir.canonicalize() {
            Ok(canonical) if canonical.is_dir() => canonical,
            _ => {
                self.missing.insert(dir.to_path_buf());
                return None;
            }
        };
        if let Some(as_watched) = self.watched.get(&canonical) {
            return Some((as_watched.clone(), false));
        }
        match self.notifications.with_watcher(self.errors, |w| w.watch(dir, RecursiveMode::NonRecursive)) {
            Some(Ok(())) => {}
            Some(Err(error)) => {
                let _ = self.errors.send(Change::Error(Arc::new(Error::watch(dir.to_path_buf(), error))));
                return None;
            }
            None => return None,
        }
        self.watched.insert(canonical, dir.to_path_buf());
        lock(self.routes).add_dir(dir.to_path_buf());
        Some((dir.to_path_buf(), true))
    }

    /// A watched directory moved or was removed: its watch is dropped (it may
    /// follow the directory elsewhere) and the path is watched again once a
    /// directory is there.
    fn forget_dir(&mut self, dir: PathBuf) {
        let _ = self.notifications.with_watcher(self.errors, |w| w.unwatch(&dir));
        self.watched.retain(|_, as_watched| *as_watched != dir);
        lock(self.routes).remove_dir(&dir);
        self.missing.insert(dir);
    }

    /// Watches again the directories that came back, and reports their files
    /// as possibly changed (the receiver compares each with what it last
    /// applied).
    fn rearm_those_back(&mut self) {
        let back: Vec<PathBuf> = self.missing.iter().filter(|dir| dir.is_dir()).cloned().collect();
        for dir in back {
            self.missing.remove(&dir);
            let Some((as_watched, _)) = self.watch_dir(&dir) else { continue };
            let mut files: Vec<PathBuf> = self.files_in.get(&dir).into_iter().flatten().cloned().collect();
            files.extend(self.files_in.get(&as_watched).into_iter().flatten().cloned());
            for file in files {
                // A file in it may be a symbolic link now (a checkout of links).
                if directory_of(&file) == dir {
                    let _ = self.follow_link(&file);
                }
                passed_on(self.events, file);
            }
        }
    }

    /// Routes events about the target of `file`, if it is a symbolic link, to
    /// it, watching the target's directory: an editor that writes through the
    /// link changes only the target. Returns whether the route is new (a
    /// dangling link gets one when it is replaced or registered again).
    fn follow_link(&mut self, file: &Path) -> bool {
        let old = self.links.remove(file);
        let new = self.link_route(file);
        if old == new {
            if let Some(route) = new {
                self.links.insert(file.to_path_buf(), route);
            }
            return false;
        }
        let mut routes = lock(self.routes);
        if let Some(old) = old {
            routes.remove_alias(&old, file);
        }
        let Some(new) = new else { return false };
        routes.add_alias(new.clone(), file);
        drop(routes);
        self.files_in.entry(directory_of(&new)).or_default().insert(file.to_path_buf());
        self.links.insert(file.to_path_buf(), new);
        true
    }

    /// The event path of the target of `file` if it is a symbolic link (its
    /// directory watched), else None.
    fn link_route(&mut self, file: &Path) -> Option<PathBuf> {
        if !std::fs::symlink_metadata(file).ok()?.file_type().is_symlink() {
            return None;
        }
        let target = file.canonicalize().ok()?;
        let name = target.file_name()?.to_owned();
        let (as_watched, _) = self.watch_dir(&directory_of(&target))?;
        Some(as_watched.join(name)).filter(|event_path| event_path != file)
    }
}

/// Reports `file` as changed by a write that is over. `Other`: its close happened
/// before the watch existed, so none will come.
fn passed_on(events: &RawEvents, file: PathBuf) {
    let _ = events.send(Ok(notify::Event::new(EventKind::Other).add_path(file)));
}

/// Collects raw events into per-file deadlines and reports the files whose
/// deadline passed, in the order they first changed. A file written in place is
/// reported once its writer closed it, so that a save caught between truncation
/// and writing is not read.
fn debounce_loop(
    debounce: Duration,
    raw: &Receiver<notify::Result<notify::Event>>,
    files: &Files,
    routes: &Mutex<Routes>,
    sender: &Sender<Change>,
    arming: &Sender<ArmRequest>,
    notifications: &Notifications,
) {
    let mut debouncer = Debouncer::new(debounce, SystemClock);
    loop {
        let wait = debouncer.wait().map_or(DESCRIPTORS_CHECK, |wait| wait.min(DESCRIPTORS_CHECK));
        let received = raw.recv_timeout(wait);
        match received {
            Ok(Ok(event)) if is_content_change(&event.kind) => {
                let writing = leaves_open(&event.kind);
                let registered = lock(files);
                let routes = lock(routes);
                if moves_or_removes(&event.kind) {
                    for path in &event.paths {
                        if routes.is_watched_dir(path) || registered.iter().any(|f| f.parent() == Some(path)) {
                            let _ = arming.send(ArmRequest::Rearm(path.clone()));
                        }
                        if registered.contains(path) {
                            let _ = arming.send(ArmRequest::Resolve(path.clone()));
                        }
                    }
                }
                // The armer's (a change made before the watch was in place) says
                // nothing of a write still going on.
                let unannounced = matches!(event.kind, EventKind::Other);
                for path in routes.changed_files(event.paths.iter(), &registered) {
                    if unannounced {
                        let size = size_of(&path);
                        debouncer.changed_unannounced(path, size);
                    } else {
                        debouncer.changed(path, writing);
                    }
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                if sender.send(Change::Error(Arc::new(Error::backend(error)))).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                // Nothing more can come: the session is told (once) and this ends.
                if !notifications.still_ours(sender) {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let ready = debouncer.take_ready(size_of);
        if !ready.is_empty() && sender.send(Change::Files(ready)).is_err() {
            return;
        }
    }
}
