//! Whether this process still holds the descriptors of its notifications.
//!
//! A daemonizing program closes every descriptor it did not open itself
//! (`os.closerange(3, 65536)` after a fork), notify's among them. Its numbers
//! are then free for the program's own files: the watcher must never use them
//! again (notify would read, write or close the program's files), nor panic
//! (notify unwraps a write to its closed wake-up descriptor).
//!
//! A sentinel descriptor, opened next to notify's, tells: a program that closed
//! those closed it too. It is a socket, whose identity (`socket:[inode]` under
//! `/proc/self/fd`) no other descriptor shares, so a number reused by the
//! program is no sentinel.

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// One end of a socket pair, and what `/proc/self/fd` said it was.
pub(crate) struct Sentinel {
    /// Closed only while still ours: once the program closed it, its number
    /// may be one of the program's files. None once left behind.
    socket: Option<UnixStream>,
    identity: Option<PathBuf>,
}

impl Sentinel {
    /// A new sentinel; where `/proc` cannot tell (not Linux) or no socket can
    /// be had, one that always holds.
    pub(crate) fn new() -> Sentinel {
        let Ok((socket, _other_end)) = UnixStream::pair() else { return Sentinel { socket: None, identity: None } };
        let identity = std::fs::read_link(link(&socket)).ok();
        Sentinel { socket: Some(socket), identity }
    }

    /// Whether this process still holds the sentinel (and so, most likely,
    /// the descriptors opened with it).
    pub(crate) fn holds(&self) -> bool {
        match (&self.socket, &self.identity) {
            (Some(socket), Some(identity)) => std::fs::read_link(link(socket)).ok().as_ref() == Some(identity),
            (_, None) => true,
            (None, Some(_)) => false,
        }
    }
}

fn link(socket: &UnixStream) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", socket.as_raw_fd()))
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        if !self.holds() {
            std::mem::forget(self.socket.take());
        }
    }
}

/// The name notify gives the thread that reads inotify's events.
const NOTIFY_THREAD: &str = "notify-rs inotify loop";

/// Keeps the panic of notify's reading thread on a descriptor the program
/// closed (`poll failed: Bad file descriptor`) off the program's stderr: the
/// watcher says what happened in one line of its own (Change::Error); a
/// backtrace of a thread of notify's would only alarm. Every other panic goes
/// to the hook that was there. Installed once per process.
pub(crate) fn quiet_closed_descriptor_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_notify_thread = std::thread::current().name() == Some(NOTIFY_THREAD);
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if !(on_notify_thread && message.contains("Bad file descriptor")) {
                previous(info);
                return;
            }
            // Never unwound: unwinding would drop notify's descriptors, whose
            // numbers the program closed (and may reuse), and closing one that
            // is already closed aborts the process. The thread sleeps for good,
            // as the watcher leaves notify behind for good.
            loop {
                std::thread::park();
            }
        }));
    });
}
