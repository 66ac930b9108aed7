//! Any bytes: parsing never panics, and a tree that parses reconstructs the
//! decoded source exactly.

#![no_main]

use std::path::Path;

use jurigged_deftree::{decode_source, Parser};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tree) = Parser::new().module("m").parse_bytes(data) else {
        return;
    };
    let (text, encoding) = decode_source(data, Path::new("f.py")).expect("parse_bytes succeeded, so the bytes decode");
    assert_eq!(tree.reconstruct(), text, "reconstruct differs from the decoded source");
    assert_eq!(tree.encoding(), &encoding, "the tree records another encoding");
});
