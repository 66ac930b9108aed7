//! Debouncing: a file is reported once it has been quiet for the debounce time,
//! however many events its save made, and once its writer closed it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};

/// Where the debouncer gets the time: the system's clock, or a test's.
pub(crate) trait Clock {
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
pub(crate) struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// The longest a file written in place is waited for to be closed after its
/// last event: a writer that keeps it open (rare) is reported after this anyway.
/// Counted from the last event, not the first: one write(2) of a large file can
/// block for seconds on a loaded machine (dirty-page throttling) and says
/// nothing until it returns, and a file read before it ends is half a save.
pub(crate) const MAX_WAIT_FOR_CLOSE: Duration = Duration::from_secs(3);

/// How long a file changed with no event from the system (found changed when
/// its directory was armed) must keep its length and time before it is read: a
/// write(2) still going on then says nothing until it returns, but the file
/// grows meanwhile.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);

/// What tells that a file is still being written: its length and modification
/// time.
pub(crate) type Size = (u64, Option<SystemTime>);

/// The size of the file at `path` now (None when it is not there).
pub(crate) fn size_of(path: &Path) -> Option<Size> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.len(), metadata.modified().ok()))
}

/// A file with changes not yet reported.
struct Pending {
    path: PathBuf,
    /// When it will have been quiet for the debounce time.
    due: Instant,
    /// Written in place and not closed yet: what is on disk may be half a save.
    writing: bool,
    last_event: Instant,
    /// How its last change came to be known.
    source: Source,
}

/// How a pending change came to be known.
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// An event from the system.
    Event,
    /// No event (found changed when its directory was armed): the file's size
    /// when last looked at, which must hold still for SETTLE.
    Unannounced { seen: Option<Size> },
}

impl Pending {
    fn ready(&self, now: Instant) -> bool {
        self.due <= now && (!self.writing || now.duration_since(self.last_event) >= MAX_WAIT_FOR_CLOSE)
    }

    /// When it becomes ready if no other event comes (one that does wakes the
    /// debouncer anyway).
    fn next_check(&self) -> Instant {
        if self.writing {
            self.due.max(self.last_event + MAX_WAIT_FOR_CLOSE)
        } else {
            self.due
        }
    }
}

/// Per-file deadlines: changes go in, files quiet for the debounce time come
/// out, in the order they first changed.
pub(crate) struct Debouncer<C> {
    clock: C,
    debounce: Duration,
    pending: Vec<Pending>,
}

impl<C: Clock> Debouncer<C> {
    pub(crate) fn new(debounce: Duration, clock: C) -> Self {
        Debouncer { clock, debounce, pending: Vec::new() }
    }

    /// Notes a change to `path`; `writing` when the event leaves it open for
    /// writing (see [`leaves_open`]).
    pub(crate) fn changed(&mut self, path: PathBuf, writing: bool) {
        self.note(path, writing, Source::Event);
    }

    /// Notes a change to `path` that the system did not report (see SETTLE),
    /// whose size is `size` now. An empty file is taken as one an editor just
    /// truncated to write it: it waits for its writer to close it, as after a
    /// truncation the system reports.
    pub(crate) fn changed_unannounced(&mut self, path: PathBuf, size: Option<Size>) {
        let truncated = matches!(size, Some((0, _)));
        self.note(path, truncated, Source::Unannounced { seen: size });
    }

    fn note(&mut self, path: PathBuf, writing: bool, source: Source) {
        let unannounced = source != Source::Event;
        let now = self.clock.now();
        let due = now + if unannounced { self.debounce.max(SETTLE) } else { self.debounce };
        match self.pending.iter_mut().find(|p| p.path == path) {
            Some(entry) => {
                entry.due = due;
                // An unannounced change says nothing of a writer the system
                // said has the file open.
                entry.writing = writing || (unannounced && entry.writing);
                entry.last_event = now;
                entry.source = source;
            }
            None => self.pending.push(Pending { path, due, writing, last_event: now, source }),
        }
    }

    /// How long until something may be ready (None: nothing is pending).
    pub(crate) fn wait(&self) -> Option<Duration> {
        let now = self.clock.now();
        let next = self.pending.iter().map(Pending::next_check).min()?;
        Some(next.saturating_duration_since(now))
    }

    /// The files ready to be reported, which are no longer pending; `size_of`
    /// tells the size of a file now (see SETTLE).
    pub(crate) fn take_ready(&mut self, size_of: impl Fn(&Path) -> Option<Size>) -> Vec<PathBuf> {
        let now = self.clock.now();
        let settle = self.debounce.max(SETTLE);
        let mut ready = Vec::new();
        self.pending.retain_mut(|p| {
            if !p.ready(now) {
                return true;
            }
            if let Source::Unannounced { seen } = p.source {
                let size = size_of(&p.path);
                // Still growing: looked at again, up to the longest wait.
                if size != seen && now.duration_since(p.last_event) < MAX_WAIT_FOR_CLOSE {
                    p.source = Source::Unannounced { seen: size };
                    p.due = now + settle;
                    return true;
                }
            }
            ready.push(p.path.clone());
            false
        });
        ready
    }
}

/// Whether an event can mean that a file's contents changed. Opening or reading a
/// file (as jurigged does after a save) must not count, or every read would
/// report a new change.
pub(crate) fn is_content_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) | EventKind::Any | EventKind::Other => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
    }
}

/// Whether an event can mean that its path is no longer what was watched there.
pub(crate) fn moves_or_removes(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_)) | EventKind::Create(_))
}

/// Whether an event leaves a file open for writing (so that what is on disk may
/// be half written), or says the writing is done.
pub(crate) fn leaves_open(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) | EventKind::Create(_))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use notify::event::{CreateKind, DataChange};

    use super::*;

    /// A clock that moves only when told to.
    #[derive(Clone)]
    struct FakeClock(Rc<Cell<Instant>>);

    impl FakeClock {
        fn new() -> FakeClock {
            FakeClock(Rc::new(Cell::new(Instant::now())))
        }

        fn advance(&self, by: Duration) {
            self.0.set(self.0.get() + by);
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.0.get()
        }
    }

    const DEBOUNCE: Duration = Duration::from_millis(20);

    /// Sizes for changes the system reported: never looked at.
    fn unchanged(_: &Path) -> Option<Size> {
        None
    }

    fn debouncer(debounce: Duration) -> (Debouncer<FakeClock>, FakeClock) {
        let clock = FakeClock::new();
        (Debouncer::new(debounce, clock.clone()), clock)
    }

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    /// Moves the clock to the debouncer's next check, as its loop sleeps until then.
    fn sleep_until_due(debouncer: &Debouncer<FakeClock>, clock: &FakeClock) {
        clock.advance(debouncer.wait().expect("something pending"));
    }

    #[test]
    fn a_burst_of_saves_is_reported_once_per_burst() {
        let (mut debouncer, clock) = debouncer(Duration::from_millis(200));
        let written = EventKind::Access(AccessKind::Close(AccessMode::Write));
        for _ in 1..=20 {
            debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&written));
            clock.advance(Duration::from_millis(5));
            assert_eq!(debouncer.take_ready(unchanged), Vec::<PathBuf>::new(), "not quiet yet");
        }
        assert_eq!(debouncer.wait(), Some(Duration::from_millis(195)));
        sleep_until_due(&debouncer, &clock);
        assert_eq!(debouncer.take_ready(unchanged), paths(&["/p/app.py"]));
        assert_eq!(debouncer.wait(), None, "nothing more to report");
    }

    #[test]
    fn files_are_reported_in_the_order_they_first_changed() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        for name in ["/p/b.py", "/p/a.py", "/p/b.py"] {
            debouncer.changed(PathBuf::from(name), false);
        }
        clock.advance(DEBOUNCE);
        assert_eq!(debouncer.take_ready(unchanged), paths(&["/p/b.py", "/p/a.py"]));
    }

    #[test]
    fn a_slow_in_place_write_is_reported_once_the_writer_closed_it() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        let truncated = EventKind::Modify(ModifyKind::Data(DataChange::Content));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(leaves_open(&truncated) && leaves_open(&EventKind::Create(CreateKind::File)));
        assert!(!leaves_open(&closed));
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&truncated));
        // Far longer than the debounce, the file still open for writing.
        clock.advance(DEBOUNCE * 10);
        assert_eq!(debouncer.take_ready(unchanged), Vec::<PathBuf>::new(), "a file still open is not reported");
        assert_eq!(debouncer.wait(), Some(MAX_WAIT_FOR_CLOSE - DEBOUNCE * 10), "nor looked at before the longest wait");
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&closed));
        assert_eq!(debouncer.wait(), Some(DEBOUNCE));
        sleep_until_due(&debouncer, &clock);
        assert_eq!(debouncer.take_ready(unchanged), paths(&["/p/app.py"]));
    }

    #[test]
    fn a_write_still_going_on_past_the_longest_wait_is_waited_for() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        let truncated = EventKind::Modify(ModifyKind::Data(DataChange::Content));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        // Opened (truncated), then a large write that says nothing until it
        // returns, just short of the longest wait, then more of it.
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&truncated));
        clock.advance(MAX_WAIT_FOR_CLOSE - DEBOUNCE);
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&truncated));
        clock.advance(MAX_WAIT_FOR_CLOSE - DEBOUNCE);
        assert_eq!(debouncer.take_ready(unchanged), Vec::<PathBuf>::new(), "still being written");
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&closed));
        sleep_until_due(&debouncer, &clock);
        assert_eq!(debouncer.take_ready(unchanged), paths(&["/p/app.py"]));
    }

    #[test]
    fn a_writer_that_never_closes_is_reported_after_the_longest_wait() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        debouncer.changed(PathBuf::from("/p/app.py"), true);
        let start = clock.now();
        sleep_until_due(&debouncer, &clock);
        assert_eq!(clock.now() - start, MAX_WAIT_FOR_CLOSE);
        assert_eq!(debouncer.take_ready(unchanged), paths(&["/p/app.py"]));
    }

    #[test]
    fn a_change_found_without_an_event_waits_until_the_file_stops_growing() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        let sizes = std::cell::RefCell::new(vec![(10, None), (20, None), (30, None), (30, None)]);
        let size_now = |_: &Path| Some(sizes.borrow()[0]);
        let looked = |_: &Path| {
            let mut sizes = sizes.borrow_mut();
            let size = sizes[0];
            if sizes.len() > 1 {
                sizes.remove(0);
            }
            Some(size)
        };
        debouncer.changed_unannounced(PathBuf::from("/p/app.py"), size_now(Path::new("")));
        sizes.borrow_mut().remove(0);
        assert_eq!(debouncer.wait(), Some(SETTLE), "not before it could have grown");
        let start = clock.now();
        let mut reported = Vec::new();
        while reported.is_empty() {
            sleep_until_due(&debouncer, &clock);
            reported = debouncer.take_ready(looked);
        }
        assert_eq!(reported, paths(&["/p/app.py"]));
        // Seen at 10, 20, 30, then 30 again: held still for one SETTLE.
        assert_eq!(clock.now() - start, SETTLE * 3);
    }

    #[test]
    fn an_empty_file_found_changed_waits_for_its_writer_to_close_it() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        debouncer.changed_unannounced(PathBuf::from("/p/app.py"), Some((0, None)));
        clock.advance(SETTLE * 2);
        assert_eq!(debouncer.take_ready(|_| Some((0, None))), Vec::<PathBuf>::new(), "truncated, not saved yet");
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&closed));
        sleep_until_due(&debouncer, &clock);
        assert_eq!(debouncer.take_ready(|_| Some((40, None))), paths(&["/p/app.py"]));
    }

    #[test]
    fn an_event_from_the_system_ends_the_settling() {
        let (mut debouncer, clock) = debouncer(DEBOUNCE);
        debouncer.changed_unannounced(PathBuf::from("/p/app.py"), Some((10, None)));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        debouncer.changed(PathBuf::from("/p/app.py"), leaves_open(&closed));
        sleep_until_due(&debouncer, &clock);
        assert_eq!(debouncer.take_ready(|_| Some((99, None))), paths(&["/p/app.py"]));
    }

    #[test]
    fn reading_a_file_is_no_change() {
        assert!(!is_content_change(&EventKind::Access(AccessKind::Open(AccessMode::Read))));
        assert!(!is_content_change(&EventKind::Access(AccessKind::Close(AccessMode::Read))));
        assert!(is_content_change(&EventKind::Access(AccessKind::Close(AccessMode::Write))));
    }
}
