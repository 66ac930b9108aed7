//! What the full-screen view shows, and the bytes that draw it for a terminal
//! of a given size: the title, the status, the function's output between two
//! rules as wide as the terminal, its result, and the key bar.

use std::time::Instant;

use crossterm::{cursor, queue, style, terminal};

/// The state of the view, written by the run and read by the painter.
#[derive(Default)]
pub struct Screen {
    pub title: String,
    /// What the function printed during the current (or last) run.
    pub output: String,
    pub status: String,
    pub result: String,
    pub note: String,
    /// When the run in progress started.
    pub started: Option<Instant>,
}

/// The key bars, longest first: a narrow terminal gets a shorter one rather
/// than one cut in the middle of a word.
const KEY_BARS: &[&str] = &[
    "r re-run · a abort · c continue · q quit · save a watched file to re-run",
    "r re-run · a abort · c continue · q quit",
    "r run · a abort · c cont · q quit",
    "r a c q",
];

/// The longest key bar that fits in `width` columns with the note after it
/// (the last column is left free: writing there makes some terminals wrap);
/// when no bar leaves room for the note, the longest bar that fits alone.
pub fn key_bar(width: usize, note: &str) -> String {
    let fits = |text: &str| text.chars().count() < width;
    if !note.is_empty() {
        let with_note = KEY_BARS.iter().map(|bar| format!("{bar}   {note}")).find(|line| fits(line));
        if let Some(line) = with_note {
            return line;
        }
    }
    KEY_BARS.iter().copied().find(|bar| fits(bar)).unwrap_or("").to_string()
}

/// The last `count` lines of `text`.
fn tail(text: &str, count: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].to_vec()
}

/// The terminal's size now (it is asked at every frame, so the view follows
/// a resized terminal); a terminal that does not know (a bare pty) gets 80×24.
pub fn terminal_size() -> (usize, usize) {
    let (width, height) = terminal::size().unwrap_or((0, 0));
    let width = if width == 0 { 80 } else { width as usize };
    let height = if height == 0 { 24 } else { height as usize };
    (width, height)
}

/// The bytes that draw the whole screen on a `width`×`height` terminal.
pub fn render(screen: &Screen, width: usize, height: usize) -> Vec<u8> {
    let clip = |line: &str| line.chars().take(width).collect::<String>();
    let rule = "─".repeat(width);
    let mut out = Vec::new();
    let status = match screen.started {
        Some(started) => format!("running… {:.1}s", started.elapsed().as_secs_f64()),
        None => screen.status.clone(),
    };
    let result_lines = tail(&screen.result, height.saturating_sub(8) / 2 + 1);
    let room = height.saturating_sub(6 + result_lines.len());
    let _ = queue!(out, terminal::Clear(terminal::ClearType::All), cursor::MoveTo(0, 0));
    let _ = queue!(
        out,
        style::SetAttribute(style::Attribute::Reverse),
        style::Print(clip(&format!(" develoop  {} ", screen.title))),
        style::SetAttribute(style::Attribute::Reset),
        style::Print("\r\n")
    );
    let _ = queue!(out, style::Print(clip(&status)), style::Print("\r\n"), style::Print(&rule), style::Print("\r\n"));
    for line in tail(&screen.output, room) {
        let _ = queue!(out, style::Print(clip(line)), style::Print("\r\n"));
    }
    let _ = queue!(out, style::Print(&rule), style::Print("\r\n"));
    for line in result_lines {
        let _ = queue!(out, style::Print(clip(line)), style::Print("\r\n"));
    }
    let _ = queue!(out, cursor::MoveTo(0, height.saturating_sub(1) as u16), style::Print(key_bar(width, &screen.note)));
    out
}

#[cfg(test)]
mod tests {
    use super::key_bar;

    #[test]
    fn the_key_bar_shortens_to_fit() {
        assert!(key_bar(100, "").starts_with("r re-run · a abort · c continue · q quit · save"));
        assert_eq!(key_bar(40, ""), "r run · a abort · c cont · q quit");
        assert_eq!(key_bar(41, ""), "r re-run · a abort · c continue · q quit");
        assert_eq!(key_bar(12, ""), "r a c q");
        assert_eq!(key_bar(100, "change detected"), format!("{}   change detected", super::KEY_BARS[0]));
        let note = "change detected: re-running";
        assert_eq!(key_bar(80, note), format!("{}   {note}", super::KEY_BARS[1]));
        assert_eq!(key_bar(41, note), format!("r a c q   {note}"));
        assert_eq!(key_bar(30, note), "r a c q");
        assert_eq!(key_bar(3, ""), "");
    }
}
