//! A live tree read whole: function bodies split into their statements and
//! nested functions, as `CodeFile.root` and its definitions describe a file.
//!
//! A live tree keeps each function body as one piece (saves compare bodies
//! whole, and a smaller tree is faster to make), so what only a reader of
//! definitions wants is parsed here, from the live text, on the first read
//! after a change and never by a save. The whole tree is kept as long as its
//! live tree is, for the next reads.

use std::sync::{Arc, Mutex, OnceLock, Weak};

use jurigged_deftree::{DefTree, Parser};
use pyo3::Python;

use jurigged_watch::sync::lock;

/// Whole trees made lately, each beside (a weak reference to) the live tree it
/// was read from: a live tree replaced by a save is dropped, and so is its
/// entry at the next read.
type Made = Mutex<Vec<(Weak<DefTree>, Arc<DefTree>)>>;

/// How many whole trees are kept: a reader walks one file at a time; a few
/// files read in turn are not parsed again at each turn.
const KEPT: usize = 16;

fn made() -> &'static Made {
    static MADE: OnceLock<Made> = OnceLock::new();
    MADE.get_or_init(Mutex::default)
}

/// The whole tree of `live`: parsed from its text on first demand (the GIL
/// released meanwhile: the program runs on), kept while `live` is alive. None
/// if its text does not parse whole (it parsed as a live tree, so it does).
pub fn whole_tree(py: Python<'_>, live: &Arc<DefTree>) -> Option<Arc<DefTree>> {
    if let Some(found) = kept(live) {
        return Some(found);
    }
    let parser =
        Parser::new().module(live.module_name()).filename(live.filename()).variable_facts(false).function_bodies(true);
    let text = live.reconstruct();
    let whole = Arc::new(py.detach(|| parser.parse(&text).ok())?);
    let mut made = lock(made());
    made.retain(|(of, _)| of.strong_count() > 0);
    if made.len() >= KEPT {
        made.remove(0);
    }
    made.push((Arc::downgrade(live), whole.clone()));
    Some(whole)
}

/// The whole tree already made from `live`, if any. A live tree that is alive
/// is at its own address, and a weak reference keeps a dropped one's address
/// from being reused, so the address tells it from a later one.
fn kept(live: &Arc<DefTree>) -> Option<Arc<DefTree>> {
    let made = lock(made());
    made.iter()
        .find(|(of, _)| of.strong_count() > 0 && std::ptr::eq(of.as_ptr(), Arc::as_ptr(live)))
        .map(|(_, whole)| whole.clone())
}
