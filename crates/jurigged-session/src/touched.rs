//! Which definitions a change touched, and who is told: the recoders answering
//! for definitions of a file subscribe to its changes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;

use crate::py_event::Event;
use jurigged_patch::EventKind;
use jurigged_watch::sync::lock;

/// Which definitions a change touched, to tell the recoders answering for them.
#[derive(Debug, Default)]
pub struct Touched {
    /// (dotted path, whether it was deleted).
    paths: Vec<(String, bool)>,
}

impl Touched {
    /// The definitions (and statement scopes) `events` changed.
    pub fn by(events: &[Event]) -> Touched {
        let paths = events
            .iter()
            .filter(|e| {
                matches!(
                    e.kind(),
                    EventKind::Update | EventKind::Add | EventKind::Delete | EventKind::Run | EventKind::Rerun
                )
            })
            .map(|e| (e.path().to_string(), e.kind() == EventKind::Delete))
            .collect();
        Touched { paths }
    }

    /// `paths`, changed.
    pub fn updates(paths: Vec<String>) -> Touched {
        Touched { paths: paths.into_iter().map(|p| (p, false)).collect() }
    }

    /// Whether nothing was touched.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The paths touched and not deleted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().filter(|(_, deleted)| !deleted).map(|(p, _)| p.as_str())
    }

    /// Whether the definition at `watched` changed: it, something inside it, or
    /// (deleted) something holding it.
    pub fn touches(&self, watched: &str) -> bool {
        self.paths.iter().any(|(path, deleted)| {
            path == watched
                || path.strip_prefix(watched).is_some_and(|rest| rest.starts_with('.'))
                || (*deleted && watched.strip_prefix(path.as_str()).is_some_and(|rest| rest.starts_with('.')))
        })
    }
}

/// Told of the changes of a file: called with what they touched.
type Listener = Arc<dyn Fn(Python<'_>, &Touched) + Send + Sync>;

/// The listeners of each file, with the identity each was subscribed with.
type Listeners = Mutex<HashMap<PathBuf, Vec<(usize, Listener)>>>;

fn listeners() -> &'static Listeners {
    static LISTENERS: OnceLock<Listeners> = OnceLock::new();
    LISTENERS.get_or_init(Mutex::default)
}

/// Calls `listener` with what each later change of `path` touches (unless the
/// change comes from `id` itself, see [`notify()`]).
pub fn subscribe(path: PathBuf, id: usize, listener: Listener) {
    lock(listeners()).entry(path).or_default().push((id, listener));
}

/// Stops telling the listener subscribed for `path` as `id` (a recoder being
/// dropped: its identity may be reused by the next one).
pub fn unsubscribe(path: &Path, id: usize) {
    // Taken out under the lock, dropped after it: dropping a listener drops
    // the Python references it holds.
    let removed: Vec<(usize, Listener)> = {
        let mut all = lock(listeners());
        let Some(of_path) = all.get_mut(path) else { return };
        let (removed, kept) = std::mem::take(of_path).into_iter().partition(|(each, _)| *each == id);
        *of_path = kept;
        if of_path.is_empty() {
            all.remove(path);
        }
        removed
    };
    drop(removed);
}

/// Tells the listeners of `path` (but `source`, the one that made the change, if
/// any) what a change touched.
pub fn notify(py: Python<'_>, path: &Path, touched: &Touched, source: Option<usize>) {
    if touched.is_empty() {
        return;
    }
    // Cloned first: listeners run Python, never under the lock.
    let told: Vec<Listener> = lock(listeners())
        .get(path)
        .map(|all| all.iter().filter(|(id, _)| Some(*id) != source).map(|(_, l)| Arc::clone(l)).collect())
        .unwrap_or_default();
    for listener in told {
        listener(py, touched);
    }
}
