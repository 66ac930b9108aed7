//! Moving the line numbers of code that did not change but moved in the file, so
//! that tracebacks and `inspect.getsource` point at the right lines.

use jurigged_deftree::{Kind, Node};
use pyo3::prelude::*;

use crate::code_registry::code_registry;
use crate::compile::shifted;
use crate::conform::{nested_pairs, Swap};
use crate::error::Result;
use crate::scope::LiveModule;

/// Lines up the swaps that move a function's (or a line's) code.
/// `exact` when several definitions share the node's path: only the code at its
/// old first line is its own.
pub(crate) fn prepare_shift<'py>(
    live: &LiveModule<'py>,
    node: &Node,
    delta: i64,
    exact: bool,
    heap_learned: &mut bool,
    swaps: &mut Vec<Swap<'py>>,
) -> Result<()> {
    let mut codes = shifted_codes(live, node, delta, exact);
    if codes.is_empty() {
        // Nothing known yet about this code: learn what the module holds, then
        // (once a save) what the heap holds.
        code_registry().learn_namespace(&live.namespace, &live.filename)?;
        codes = shifted_codes(live, node, delta, exact);
        if codes.is_empty() && node.kind() == Kind::Function && !*heap_learned {
            *heap_learned = true;
            code_registry().learn_from_heap(live.namespace.py(), &live.filename)?;
            codes = shifted_codes(live, node, delta, exact);
        }
    }
    for (_, old_code) in &codes {
        let new_code = shifted(old_code, delta)?;
        nested_pairs(old_code, &new_code, swaps)?;
        swaps.push(Swap { old: old_code.clone(), new: Some(new_code), attributes: None, function: None, bound: None });
    }
    Ok(())
}

/// The live code objects of a moved node (its outermost ones, for a line).
fn shifted_codes<'py>(
    live: &LiveModule<'py>,
    node: &Node,
    delta: i64,
    exact: bool,
) -> Vec<(String, Bound<'py, PyAny>)> {
    let py = live.namespace.py();
    let old_first = (node.first_line() as i64 - delta).max(1) as u32;
    match node.kind() {
        Kind::Line => {
            let position = node.position().shifted(-delta);
            let mut outermost: Vec<(String, Bound<'py, PyAny>)> = Vec::new();
            for (path, code) in code_registry().in_lines(py, &live.filename, position.start.line..=position.end.line) {
                if !outermost.iter().any(|(outer, _)| path.starts_with(&format!("{outer}."))) {
                    outermost.push((path, code));
                }
            }
            outermost
        }
        _ => {
            let relative = live.relative(node.path()).to_string();
            let codes = code_registry().find_all_at(py, &live.filename, &relative, old_first, exact);
            codes.into_iter().map(|code| (relative.clone(), code)).collect()
        }
    }
}
