//! Two sources separated by the first 0xFF byte (which never occurs in UTF-8):
//! applying `diff(a, b)` to `a` gives `b`, a tree diffed with itself needs no edit,
//! and merging `b` into `a` then applying never panics.
//!
//! Input without a 0xFF byte is compared with itself.

#![no_main]

use jurigged_deftree::{DefTree, Parser};
use jurigged_diff::{apply, diff, merge, Deletions};
use libfuzzer_sys::fuzz_target;

fn parse(bytes: &[u8]) -> Option<DefTree> {
    let text = std::str::from_utf8(bytes).ok()?;
    Parser::new().module("m").parse(text).ok()
}

fn check_diff(a: &DefTree, b: &DefTree) {
    let script = diff(a, b);
    let applied = apply(a, &script).expect("a script applies to the tree it was computed from");
    assert_eq!(applied.reconstruct(), b.reconstruct(), "apply(a, diff(a, b)) is not b");
}

fuzz_target!(|data: &[u8]| {
    let (a, b) = match data.iter().position(|&byte| byte == 0xFF) {
        Some(at) => (&data[..at], Some(&data[at + 1..])),
        None => (data, None),
    };
    let Some(a) = parse(a) else {
        return;
    };
    let b = match b {
        Some(b) => match parse(b) {
            Some(b) => b,
            None => return,
        },
        None => a.clone(),
    };
    let same = diff(&a, &a);
    assert!(same.is_empty(), "diff(a, a) has edits: {:?}", same.edits());
    check_diff(&a, &b);
    let merged = merge(&a, &b, Deletions::All);
    let _ = apply(&a, &merged);
});
