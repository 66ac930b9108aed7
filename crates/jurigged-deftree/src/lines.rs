//! Byte offsets to CPython positions: 1-based lines, 0-based UTF-8 byte columns.

/// A line and column in CPython's conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    /// 1-based line number.
    pub line: u32,
    /// 0-based column, in UTF-8 bytes from the start of the line.
    pub column: u32,
}

/// The extent of a statement in CPython's conventions (`lineno`, `col_offset`,
/// `end_lineno`, `end_col_offset`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    /// Where the statement starts.
    pub start: Location,
    /// Where the statement ends (exclusive column).
    pub end: Location,
}

impl Position {
    /// The same extent moved down by `delta` lines (up when negative).
    pub fn shifted(self, delta: i64) -> Position {
        let move_line = |l: Location| Location { line: (l.line as i64 + delta) as u32, column: l.column };
        Position { start: move_line(self.start), end: move_line(self.end) }
    }
}

/// Start offsets of every line of a text; `\n`, `\r\n` and a lone `\r` all end a
/// line, as in CPython's universal newlines.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.extend(crate::newlines::line_starts(text).map(|start| start as u32));
        LineIndex { starts }
    }

    /// 0-based index of the line holding `offset`.
    pub(crate) fn line_index(&self, offset: usize) -> usize {
        match self.starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub(crate) fn location(&self, offset: usize) -> Location {
        let index = self.line_index(offset);
        Location { line: index as u32 + 1, column: offset as u32 - self.starts[index] }
    }

    pub(crate) fn line_start(&self, offset: usize) -> usize {
        self.starts[self.line_index(offset)] as usize
    }

    /// Start of the line after the one holding `offset`, or `usize::MAX` on the last line.
    pub(crate) fn next_line_start(&self, offset: usize) -> usize {
        self.starts.get(self.line_index(offset) + 1).map_or(usize::MAX, |&s| s as usize)
    }

    /// Number of line breaks in `range`.
    pub(crate) fn breaks_in(&self, start: usize, end: usize) -> u32 {
        (self.line_index(end) - self.line_index(start)) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn universal_newlines() {
        let idx = LineIndex::new("a\r\nb\rc\nd");
        assert_eq!(idx.location(0), Location { line: 1, column: 0 });
        assert_eq!(idx.location(3), Location { line: 2, column: 0 });
        assert_eq!(idx.location(5), Location { line: 3, column: 0 });
        assert_eq!(idx.location(7), Location { line: 4, column: 0 });
        assert_eq!(idx.line_start(8), 7);
    }
}
