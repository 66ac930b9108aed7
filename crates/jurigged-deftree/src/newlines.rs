//! Lines as CPython counts them (universal newlines): `\n`, `\r\n` and a lone
//! `\r` each end a line. Every place that turns source text into line numbers,
//! or line numbers back into text, goes through here, so that they all agree
//! with the interpreter's `co_firstlineno` and tracebacks.

/// Byte offsets where lines start: 0, then the offset just after each line break.
/// A text ending with a break yields its length last (the empty line after it).
pub fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::once(0).chain(std::iter::from_fn(move || {
        while at < bytes.len() {
            let byte = bytes[at];
            at += 1;
            match byte {
                b'\n' => return Some(at),
                b'\r' => {
                    if bytes.get(at) == Some(&b'\n') {
                        at += 1;
                    }
                    return Some(at);
                }
                _ => {}
            }
        }
        None
    }))
}

/// Number of line breaks in `text`.
pub fn count_line_breaks(text: &str) -> usize {
    line_starts(text).count() - 1
}

/// `text` without its first `count` lines (empty when it has no more).
pub fn skip_lines(text: &str, count: usize) -> &str {
    let start = line_starts(text).nth(count).unwrap_or(text.len());
    &text[start..]
}

/// The lines of `text`, without their line breaks. Unlike [`str::lines`], a lone
/// `\r` ends a line, as it does for Python; a text ending with a break has no
/// empty last line (as with [`str::lines`]).
pub fn lines(text: &str) -> impl Iterator<Item = &str> + '_ {
    let mut starts = line_starts(text).peekable();
    std::iter::from_fn(move || {
        let start = starts.next()?;
        if start == text.len() {
            return None;
        }
        let end = starts.peek().copied().unwrap_or(text.len());
        Some(text[start..end].trim_end_matches(['\n', '\r']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_break_ends_a_line() {
        let text = "a\r\nb\rc\nd";
        assert_eq!(line_starts(text).collect::<Vec<_>>(), [0, 3, 5, 7]);
        assert_eq!(count_line_breaks(text), 3);
        assert_eq!(lines(text).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn a_final_break_starts_no_extra_line() {
        assert_eq!(line_starts("a\n").collect::<Vec<_>>(), [0, 2]);
        assert_eq!(count_line_breaks("a\n"), 1);
        assert_eq!(lines("a\n\nb\r").collect::<Vec<_>>(), ["a", "", "b"]);
        assert_eq!(lines("").count(), 0);
        assert_eq!(count_line_breaks(""), 0);
    }

    #[test]
    fn skipping_lines_keeps_the_rest_byte_for_byte() {
        assert_eq!(skip_lines("a\nb\r\nc\rd", 0), "a\nb\r\nc\rd");
        assert_eq!(skip_lines("a\nb\r\nc\rd", 1), "b\r\nc\rd");
        assert_eq!(skip_lines("a\nb\r\nc\rd", 2), "c\rd");
        assert_eq!(skip_lines("a\nb\r\nc\rd", 3), "d");
        assert_eq!(skip_lines("a\nb\r\nc\rd", 9), "");
        assert_eq!(skip_lines("a\r", 1), "");
        assert_eq!(skip_lines("a", 3), "");
    }
}
