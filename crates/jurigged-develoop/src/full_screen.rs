//! The terminal as the full-screen view holds it (raw mode, alternate screen),
//! shared by the view's threads and by what steps aside for a moment: a line
//! read by `input()` in the function is typed on the normal screen in the
//! terminal's usual mode, then the view comes back.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use jurigged_watch::sync::lock;
use std::time::{Duration, Instant};

use crossterm::{cursor, queue, terminal};

use super::frame::Screen;

/// What the view's threads share.
#[derive(Default)]
pub struct Shared {
    pub screen: Mutex<Screen>,
    /// The view is closing: its threads end.
    pub stop: AtomicBool,
    /// The view stepped aside: nothing is painted and no key is read.
    pub aside: AtomicBool,
    /// The key reader saw `aside` and reads nothing until it is cleared.
    pub keys_idle: AtomicBool,
    /// The next frame is drawn even if it is the same as the last one.
    pub repaint: AtomicBool,
    /// Held while bytes go to the terminal or its mode changes.
    pub terminal: Mutex<()>,
}

/// Raw mode and the alternate screen, cursor hidden.
pub fn take_over() -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    let mut out = std::io::stdout();
    queue!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
    out.flush()
}

/// The terminal as it was before the view: normal screen, usual mode.
pub fn give_back() {
    let mut out = std::io::stdout();
    let _ = queue!(out, cursor::Show, terminal::LeaveAlternateScreen);
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}

impl Shared {
    /// Steps aside for a line: the key reader stops reading (so that it does
    /// not swallow what is typed), the painter stops, the normal screen comes
    /// back in the terminal's usual mode and shows `prompt`. Called without
    /// the GIL (the key reader may be waiting for it).
    pub fn step_aside(&self, prompt: &str) {
        self.keys_idle.store(false, Ordering::Release);
        self.aside.store(true, Ordering::Release);
        // The key reader checks at least every poll (50 ms); it may be gone.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.keys_idle.load(Ordering::Acquire) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let _terminal = lock(&self.terminal);
        give_back();
        let mut out = std::io::stdout();
        let _ = out.write_all(prompt.as_bytes());
        let _ = out.flush();
    }

    /// Takes the terminal back after `step_aside` and draws a whole frame.
    pub fn come_back(&self) {
        {
            let _terminal = lock(&self.terminal);
            let _ = take_over();
        }
        self.repaint.store(true, Ordering::Release);
        self.aside.store(false, Ordering::Release);
    }
}
