//! How long the watcher waits: the debounce and the polling interval, checked
//! once here for every entry (the command line, `watch()`, `JURIGGED_SESSION`
//! in a child Python), so that no number reaches a timer it would break.

use std::time::Duration;

use crate::error::{Error, Result};

/// The debounce when none is given.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(50);

/// The shortest debounce or polling interval used: zero would report
/// half-written files (or poll in a busy loop). Shorter values are raised to it.
pub const MIN_DEBOUNCE: Duration = Duration::from_millis(1);

/// The longest wait accepted: what a millisecond timer holds (`poll(2)` and
/// `epoll_wait` take an `int` of milliseconds), about 24.8 days. Past it a
/// deadline could overflow `Instant` (`watch(debounce=1e19)` once panicked the
/// debouncer at the first save).
pub const MAX_WAIT: Duration = Duration::from_millis(i32::MAX as u64);

/// The debounce and the polling interval of a watcher, both within
/// [`MIN_DEBOUNCE`]..=[`MAX_WAIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    debounce: Duration,
    poll: Option<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { debounce: DEFAULT_DEBOUNCE, poll: None }
    }
}

impl Timing {
    /// From seconds as users write them: `debounce` zero or more (None: the
    /// default), `poll` above zero (None: the system's notifications). NaN,
    /// infinities, negatives and values past [`MAX_WAIT`] are refused.
    pub fn from_seconds(debounce: Option<f64>, poll: Option<f64>) -> Result<Timing> {
        let debounce = debounce.map(|seconds| checked("debounce", seconds, false)).transpose()?;
        let poll = poll.map(|seconds| checked("poll", seconds, true)).transpose()?;
        Timing::new(debounce.unwrap_or(DEFAULT_DEBOUNCE), poll)
    }

    /// From durations; values past [`MAX_WAIT`] are refused, short ones raised
    /// to [`MIN_DEBOUNCE`].
    pub fn new(debounce: Duration, poll: Option<Duration>) -> Result<Timing> {
        for (option, value) in [("debounce", Some(debounce)), ("poll", poll)] {
            if let Some(value) = value.filter(|v| *v > MAX_WAIT) {
                return Err(timing_error(option, format!("{:?}", value.as_secs_f64())));
            }
        }
        Ok(Timing { debounce: debounce.max(MIN_DEBOUNCE), poll: poll.map(|p| p.max(MIN_DEBOUNCE)) })
    }

    /// How long a file must stay quiet before its change is reported.
    pub fn debounce(&self) -> Duration {
        self.debounce
    }

    /// The polling interval, when polling replaces the system's notifications.
    pub fn poll(&self) -> Option<Duration> {
        self.poll
    }
}

/// Parses a number of seconds for the command line's `--debounce`.
pub fn debounce_argument(text: &str) -> std::result::Result<Duration, String> {
    argument("debounce", text, false)
}

/// Parses a number of seconds for the command line's `--poll`.
pub fn poll_argument(text: &str) -> std::result::Result<Duration, String> {
    argument("poll", text, true)
}

fn argument(option: &'static str, text: &str, positive: bool) -> std::result::Result<Duration, String> {
    let seconds: f64 =
        text.trim().parse().map_err(|_| format!("{option} must be a number of seconds, not {text:?}"))?;
    checked(option, seconds, positive).map_err(|error| error.to_string())
}

/// `seconds` as a duration within the bounds; zero is refused when `positive`.
fn checked(option: &'static str, seconds: f64, positive: bool) -> Result<Duration> {
    let in_range = seconds.is_finite() && seconds >= 0.0 && !(positive && seconds == 0.0);
    let duration = Some(seconds).filter(|_| in_range).and_then(|s| Duration::try_from_secs_f64(s).ok());
    match duration.filter(|d| *d <= MAX_WAIT) {
        Some(duration) => Ok(duration),
        None => Err(timing_error(option, format!("{seconds:?}"))),
    }
}

fn timing_error(option: &'static str, value: String) -> Error {
    let lowest = if option == "poll" { "above 0" } else { "from 0" };
    Error::Timing { option, value, expected: format!("a number of seconds {lowest} up to {}", MAX_WAIT.as_secs_f64()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_a_timer_cannot_hold_is_refused() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.001, 1e19, 1e300, 3e6] {
            assert!(Timing::from_seconds(Some(bad), None).is_err(), "debounce {bad}");
            assert!(Timing::from_seconds(None, Some(bad)).is_err(), "poll {bad}");
        }
        assert!(Timing::from_seconds(None, Some(0.0)).is_err(), "poll 0 polls in a busy loop");
        assert!(debounce_argument("1e300").is_err() && poll_argument("0").is_err() && poll_argument("x").is_err());
        let message = Timing::from_seconds(Some(1e300), None).unwrap_err().to_string();
        assert_eq!(message, "debounce must be a number of seconds from 0 up to 2147483.647, not 1e300");
    }

    #[test]
    fn accepted_values_keep_their_meaning_and_zero_is_never_used() {
        assert_eq!(Timing::from_seconds(None, None).unwrap(), Timing::default());
        assert_eq!(Timing::default().debounce(), DEFAULT_DEBOUNCE);
        let timing = Timing::from_seconds(Some(0.0), Some(2.5)).unwrap();
        assert_eq!((timing.debounce(), timing.poll()), (MIN_DEBOUNCE, Some(Duration::from_millis(2500))));
        assert_eq!(Timing::from_seconds(Some(2147483.647), None).unwrap().debounce(), MAX_WAIT);
        assert_eq!(debounce_argument(" 0.1 "), Ok(Duration::from_millis(100)));
        assert!(Timing::new(MAX_WAIT + Duration::from_millis(1), None).is_err());
    }
}
