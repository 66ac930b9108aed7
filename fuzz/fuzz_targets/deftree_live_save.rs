//! Arbitrary bytes saved over a watched module, through everything a save does
//! before Python: decode, depth check, parse (as the live session parses, and in
//! full), tree, and diff against a fixed module. Nothing may panic, not even
//! inside the parser (the parser turns a panic into `Error::Parser`, which is
//! caught here as a failure), and a diff always applies.

#![no_main]

use std::sync::OnceLock;

use jurigged_deftree::{DefTree, Error, Parser};
use jurigged_diff::{apply, diff};
use libfuzzer_sys::fuzz_target;

/// The module as it was before the save.
const BEFORE: &str = "import os\n\nLIMIT = 3\n\n\nclass Shape:\n    def area(self):\n        return 0\n\n\ndef f(x, y=LIMIT):\n    return [x + y for _ in range(2)]\n";

fn live_parser() -> Parser {
    Parser::new().module("m").filename("m.py").variable_facts(false).function_bodies(false)
}

fn before() -> &'static DefTree {
    static BEFORE_TREE: OnceLock<DefTree> = OnceLock::new();
    BEFORE_TREE.get_or_init(|| live_parser().parse(BEFORE).expect("the fixed module parses"))
}

fn parsed(result: Result<DefTree, Error>) -> Option<DefTree> {
    match result {
        Ok(tree) => Some(tree),
        Err(Error::Parser { message, .. }) => panic!("the parser failed: {message}"),
        Err(_) => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(new) = parsed(live_parser().parse_bytes(data)) else {
        return;
    };
    let old = before();
    let script = diff(old, &new);
    let applied = apply(old, &script).expect("a script applies to the tree it was computed from");
    assert_eq!(applied.reconstruct(), new.reconstruct(), "apply(old, diff(old, new)) is not new");
    let back = diff(&new, old);
    let restored = apply(&new, &back).expect("a script applies to the tree it was computed from");
    assert_eq!(restored.reconstruct(), old.reconstruct());
    // The full parse (variable facts, nested bodies) of the same bytes succeeds too.
    let full = parsed(Parser::new().module("m").parse_bytes(data)).expect("the live parse succeeded");
    assert_eq!(full.reconstruct(), new.reconstruct());
});
