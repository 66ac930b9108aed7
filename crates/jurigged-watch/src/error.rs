//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

/// Why watching could not start or continue.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A watch or exclude pattern is not a valid glob.
    #[error("invalid pattern {pattern:?}: {message}")]
    Pattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// The operating system refused to watch a directory.
    #[error("failed to watch {}: {}", .path.display(), Reason(.limit, .source))]
    Watch {
        /// The directory.
        path: PathBuf,
        /// The system limit that was hit, when that is why.
        limit: Option<Limit>,
        /// What the system said.
        #[source]
        source: notify::Error,
    },
    /// The system's notifications could not be started.
    #[error("failed to start watching: {}", Reason(.limit, .source))]
    Start {
        /// The system limit that was hit, when that is why.
        limit: Option<Limit>,
        /// What the system said.
        #[source]
        source: notify::Error,
    },
    /// The system's notifications reported a failure while watching.
    #[error("watching failed: {}", Reason(.limit, .source))]
    Backend {
        /// The system limit that was hit, when that is why.
        limit: Option<Limit>,
        /// What the system said.
        #[source]
        source: notify::Error,
    },
    /// A debounce or polling interval no timer can hold (NaN, infinite,
    /// negative, too long).
    #[error("{option} must be {expected}, not {value}")]
    Timing {
        /// `debounce` or `poll`.
        option: &'static str,
        /// The value given, as written.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// The process closed the descriptors of the system's notifications (a
    /// daemonizing `os.closerange`): no change is seen any more.
    #[error(
        "this process closed the descriptors of its file notifications (os.closerange?): saves are no longer seen"
    )]
    DescriptorsClosed,
    /// A thread of the watcher could not be started.
    #[error("failed to start a watcher thread: {0}")]
    Thread(#[source] std::io::Error),
}

impl Error {
    /// The system limit that was hit, if that is why watching failed: raising it
    /// (or polling instead) is what the user can do.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            Error::Watch { limit, .. } | Error::Start { limit, .. } | Error::Backend { limit, .. } => *limit,
            _ => None,
        }
    }

    pub(crate) fn watch(path: PathBuf, source: notify::Error) -> Error {
        Error::Watch { path, limit: Limit::of(&source, Limit::Watches), source }
    }

    pub(crate) fn backend(source: notify::Error) -> Error {
        Error::Backend { limit: Limit::of(&source, Limit::Watches), source }
    }

    pub(crate) fn start(source: notify::Error) -> Error {
        Error::Start { limit: Limit::of(&source, Limit::Instances), source }
    }
}

/// A per-user limit of the system's file notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// Too many watched directories (inotify: `fs.inotify.max_user_watches`).
    Watches,
    /// Too many watchers (inotify: `fs.inotify.max_user_instances`), or of open
    /// files in the process.
    Instances,
}

impl Limit {
    /// The limit `error` says was hit. Starting a watcher fails with EMFILE when
    /// there are too many instances; adding a watch with ENOSPC (which notify
    /// reports as `MaxFilesWatch`) when there are too many watches.
    fn of(error: &notify::Error, on_emfile: Limit) -> Option<Limit> {
        match &error.kind {
            notify::ErrorKind::MaxFilesWatch => Some(Limit::Watches),
            notify::ErrorKind::Io(io) => match io.raw_os_error() {
                Some(ENOSPC) => Some(Limit::Watches),
                Some(EMFILE) => Some(on_emfile),
                _ => None,
            },
            _ => None,
        }
    }
}

// The same numbers on Linux, the BSDs and macOS.
const ENOSPC: i32 = 28;
const EMFILE: i32 = 24;

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Watches => {
                "the limit on watched directories was reached (on Linux: raise fs.inotify.max_user_watches)"
            }
            Limit::Instances => {
                "the limit on file watchers or open files was reached (on Linux: raise \
                 fs.inotify.max_user_instances, or ulimit -n)"
            }
        })
    }
}

/// The limit hit if there is one, else what the system said.
struct Reason<'a>(&'a Option<Limit>, &'a notify::Error);

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(limit) => write!(f, "{limit}"),
            None => write!(f, "{}", self.1),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_watches_is_named_and_keeps_its_source() {
        let error = Error::watch(PathBuf::from("/proj"), notify::Error::new(notify::ErrorKind::MaxFilesWatch));
        assert_eq!(error.limit(), Some(Limit::Watches));
        let text = error.to_string();
        assert!(text.starts_with("failed to watch /proj: "), "{text}");
        assert!(text.contains("max_user_watches"), "{text}");
        assert!(!text.contains("--"), "no command-line flag in a library message: {text}");
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("OS file watch limit reached."));
    }

    #[test]
    fn too_many_instances_is_told_by_its_errno() {
        let error = Error::start(notify::Error::io(std::io::Error::from_raw_os_error(EMFILE)));
        assert_eq!(error.limit(), Some(Limit::Instances));
        assert!(error.to_string().contains("max_user_instances"), "{error}");
        let enospc = Error::watch(PathBuf::from("/p"), notify::Error::io(std::io::Error::from_raw_os_error(ENOSPC)));
        assert_eq!(enospc.limit(), Some(Limit::Watches));
    }

    #[test]
    fn other_failures_say_what_the_system_said() {
        let error = Error::watch(
            PathBuf::from("/p"),
            notify::Error::io(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
        );
        assert_eq!(error.limit(), None);
        assert!(error.to_string().contains("permission denied"), "{error}");
    }
}
