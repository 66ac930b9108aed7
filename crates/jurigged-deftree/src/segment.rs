//! A piece of source text shared with the tree it came from.

use std::sync::Arc;

/// A slice of a shared source text, with the number of line breaks it holds, so that
/// pieces of several trees can be spliced without copying or re-scanning text.
#[derive(Clone)]
pub(crate) struct Segment {
    source: Arc<str>,
    start: u32,
    end: u32,
    breaks: u32,
}

impl Segment {
    pub(crate) fn new(source: &Arc<str>, start: usize, end: usize, breaks: u32) -> Segment {
        debug_assert!(start <= end && end <= source.len());
        Segment { source: Arc::clone(source), start: start as u32, end: end as u32, breaks }
    }

    pub(crate) fn empty(source: &Arc<str>) -> Segment {
        Segment::new(source, 0, 0, 0)
    }

    /// Grows the segment to end at `end`, which adds `extra_breaks` line breaks.
    pub(crate) fn extend(&mut self, end: usize, extra_breaks: u32) {
        debug_assert!(end >= self.end as usize);
        self.end = end as u32;
        self.breaks += extra_breaks;
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.source[self.start as usize..self.end as usize]
    }

    pub(crate) fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub(crate) fn breaks(&self) -> u32 {
        self.breaks
    }
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}
