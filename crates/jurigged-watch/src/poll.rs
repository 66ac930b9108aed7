//! `--poll` mode: the registered files are looked at every interval, for file
//! systems that deliver no notifications (network mounts, some containers).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::change::{Change, Files};
use crate::error::{Error, Result};
use crate::sync::lock;
use crate::Fingerprint;

/// What polling remembers of a file: its metadata, and a digest of its contents
/// (never the contents: a watched tree can be large).
#[derive(Clone, PartialEq, Eq)]
struct Snapshot {
    len: u64,
    modified: Option<SystemTime>,
    /// The path's own entry when it is a symbolic link: pointed elsewhere, it
    /// may now lead to an old file of the same size and time.
    link: Option<SystemTime>,
    digest: Fingerprint,
}

/// How long after its last modification a file's contents are still compared on
/// every poll, even when size and mtime say nothing changed: mtimes are as coarse
/// as 1-2 s on some file systems, and a save of the same size within that window
/// would go unseen. Older files are only read when their metadata changes.
const COARSE_MTIME: Duration = Duration::from_secs(3);

/// The file's snapshot now, reading it only when `before` cannot vouch for it.
/// A symbolic link is followed (a write through it is a save of the file).
fn snapshot(path: &Path, before: Option<&Snapshot>) -> Option<Snapshot> {
    let metadata = std::fs::metadata(path).ok()?;
    let (len, modified) = (metadata.len(), metadata.modified().ok());
    let link =
        std::fs::symlink_metadata(path).ok().filter(|m| m.file_type().is_symlink()).and_then(|m| m.modified().ok());
    if let (Some(before), Some(at)) = (before, modified) {
        let settled = SystemTime::now().duration_since(at).is_ok_and(|age| age >= COARSE_MTIME);
        if settled && before.len == len && before.modified == modified && before.link == link {
            return Some(before.clone());
        }
    }
    let digest = Fingerprint::of_file(path)?;
    Some(Snapshot { len, modified, link, digest })
}

/// Whether two snapshots differ in what the file holds.
fn contents_differ(before: Option<&Snapshot>, now: Option<&Snapshot>) -> bool {
    before.map(|s| s.digest) != now.map(|s| s.digest)
}

type Known = Arc<Mutex<HashMap<PathBuf, Option<Snapshot>>>>;

/// A thread that looks at the registered files every interval and reports those
/// whose contents changed (or that appeared or disappeared). Comparing digests of
/// the contents catches saves within the same second, which mtime-based polling
/// misses, and ignores a `touch`.
pub(crate) struct Poller {
    stop: Arc<AtomicBool>,
    known: Known,
    thread: JoinHandle<()>,
}

impl Poller {
    pub(crate) fn start(interval: Duration, files: Files, sender: Sender<Change>) -> Result<Poller> {
        let stop = Arc::new(AtomicBool::new(false));
        let known: Known = Arc::default();
        let (stop_flag, known_files) = (Arc::clone(&stop), Arc::clone(&known));
        let thread = std::thread::Builder::new()
            .name("jurigged poller".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Acquire) {
                    std::thread::park_timeout(interval);
                    let changed = poll_once(&files, &known_files);
                    if !changed.is_empty() && sender.send(Change::Files(changed)).is_err() {
                        break;
                    }
                }
            })
            .map_err(Error::Thread)?;
        Ok(Poller { stop, known, thread })
    }

    /// Sets the baseline of a newly registered file: what it holds now, or
    /// (given `read`) the bytes read of it before, which the next poll compares
    /// with what it holds then.
    pub(crate) fn remember(&self, path: &Path, read: Option<Fingerprint>) {
        let baseline = match read {
            Some(digest) => Some(Snapshot { len: 0, modified: None, link: None, digest }),
            None => snapshot(path, None),
        };
        lock(&self.known).insert(path.to_path_buf(), baseline);
    }

    pub(crate) fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// Looks at every registered file once; returns those that changed, sorted.
fn poll_once(files: &Files, known_files: &Known) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = lock(files).iter().cloned().collect();
    let mut changed = Vec::new();
    for path in paths {
        let before = lock(known_files).get(&path).cloned();
        let now = snapshot(&path, before.as_ref().and_then(Option::as_ref));
        let mut known = lock(known_files);
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
    changed
}
