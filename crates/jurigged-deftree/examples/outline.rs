//! Prints the definition tree of a Python file: one line per node, indented by
//! depth, with its kind, dotted path and lines.
//!
//! ```text
//! cargo run -p jurigged-deftree --example outline -- app.py
//! ```

use std::process::ExitCode;

use jurigged_deftree::{Kind, Node, Parser};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: outline FILE.py");
        return ExitCode::from(2);
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("outline: {path}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stem = std::path::Path::new(path).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    match Parser::new().module(stem).filename(path).parse_bytes(&bytes) {
        Ok(tree) => {
            print_node(tree.root(), 0);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("outline: {path}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn print_node(node: &Node, depth: usize) {
    let kind = match node.kind() {
        Kind::Module => "module",
        Kind::Class => "class",
        Kind::Function if node.is_async() => "async def",
        Kind::Function => "def",
        Kind::Line => "line",
    };
    let indent = depth * 2;
    if node.kind() == Kind::Module {
        println!("{kind} {}", node.path());
    } else {
        let position = node.position();
        println!("{:indent$}{kind} {} L{}-L{}", "", node.path(), position.start.line, position.end.line);
    }
    for child in node.children() {
        print_node(child, depth + 1);
    }
}
