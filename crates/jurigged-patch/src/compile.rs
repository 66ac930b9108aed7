//! Compiling a node of a [`DefTree`](jurigged_deftree::DefTree) with its real
//! filename and positions: line numbers as in the file and, since the text keeps
//! its indentation, column offsets too (traceback carets land right on 3.11+).

use std::path::Path;

use jurigged_deftree::Node;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Name of the class that wraps code meant for a class body, so that the compiler
/// gives methods their `__class__` cell and indentation stays as in the file.
pub(crate) const WRAPPER: &str = "__jurigged_class__";

/// Which part of a node to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The whole statement, decorators included.
    Whole,
    /// A definition from its `def` line on: what an update re-evaluates.
    WithoutDecorators,
}

/// Source text that compiles `node` at its real lines, wrapped in a class when it
/// belongs to a class body.
pub(crate) fn padded_source(node: &Node, part: Part, in_class: bool) -> String {
    let code = node.code_text();
    let header_indent = code.len() - code.trim_start_matches([' ', '\t', '\x0c']).len();
    let first_code_column = node.decorator_location().unwrap_or(node.position().start).column as usize;
    // A statement sharing its line with a header (`class A: x = 1`) starts at its
    // code: spaces stand in for what precedes it on its line.
    let mut text = if header_indent == first_code_column || first_code_column == 0 {
        code
    } else {
        format!("{}{code}", " ".repeat(first_code_column))
    };
    let mut first_line = node.header_line();
    if part == Part::WithoutDecorators {
        let skip = node.position().start.line - node.header_line();
        text = skip_lines(&text, skip as usize).to_string();
        first_line += skip;
    }
    let mut out = String::with_capacity(text.len() + first_line as usize + 32);
    if in_class {
        // The wrapper takes the line above; on line 1 there is none, and line
        // numbers are one off (a class body cannot start on line 1 anyway).
        out.push_str(&"\n".repeat(first_line.saturating_sub(2) as usize));
        out.push_str("class ");
        out.push_str(WRAPPER);
        out.push_str(":\n");
        if !text.starts_with([' ', '\t', '\x0c']) {
            out.push(' ');
        }
    } else {
        out.push_str(&"\n".repeat(first_line.saturating_sub(1) as usize));
    }
    out.push_str(&text);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `text` without its first `count` lines (any of `\n`, `\r\n`, `\r` ends one).
fn skip_lines(text: &str, count: usize) -> &str {
    let bytes = text.as_bytes();
    let mut at = 0;
    for _ in 0..count {
        while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
            at += 1;
        }
        if at < bytes.len() && bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
            at += 1;
        }
        at = (at + 1).min(bytes.len());
    }
    &text[at..]
}

/// `compile(source, filename, "exec", flags, dont_inherit=True)`.
pub(crate) fn compile<'py>(py: Python<'py>, source: &str, filename: &Path, flags: i64) -> PyResult<Bound<'py, PyAny>> {
    py.import("builtins")?.getattr("compile")?.call1((source, filename.to_string_lossy(), "exec", flags, true))
}

/// The compiler flags of the `from __future__` imports found in a module namespace.
pub(crate) fn future_flags(py: Python<'_>, namespace: &Bound<'_, PyDict>) -> PyResult<i64> {
    let feature = py.import("__future__")?.getattr("_Feature")?;
    let mut flags = 0;
    for value in namespace.values() {
        if value.is_instance(&feature)? {
            flags |= value.getattr("compiler_flag")?.extract::<i64>()?;
        }
    }
    Ok(flags)
}

/// The class body code object inside a module code object compiled from a
/// wrapped source.
pub(crate) fn wrapper_body<'py>(module_code: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    for constant in module_code.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        if constant.hasattr("co_name")? && constant.getattr("co_name")?.extract::<String>()? == WRAPPER {
            return Ok(constant);
        }
    }
    Err(pyo3::exceptions::PyRuntimeError::new_err("compiled wrapper has no class body"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_lines_handles_every_line_ending() {
        assert_eq!(skip_lines("a\nb\r\nc\rd", 1), "b\r\nc\rd");
        assert_eq!(skip_lines("a\nb\r\nc\rd", 2), "c\rd");
        assert_eq!(skip_lines("a\nb\r\nc\rd", 3), "d");
        assert_eq!(skip_lines("a", 3), "");
    }

    #[test]
    fn methods_are_wrapped_at_their_real_lines() {
        let tree = jurigged_deftree::Parser::new()
            .module("m")
            .parse("class A:\n    x = 1\n\n    @staticmethod\n    def f():\n        return 1\n")
            .unwrap();
        let f = tree.find("m.A.f").next().unwrap();
        let whole = padded_source(f, Part::Whole, true);
        assert_eq!(whole, format!("\n\nclass {WRAPPER}:\n    @staticmethod\n    def f():\n        return 1\n"));
        let bare = padded_source(f, Part::WithoutDecorators, true);
        assert_eq!(bare, format!("\n\n\nclass {WRAPPER}:\n    def f():\n        return 1\n"));
    }

    #[test]
    fn one_line_class_bodies_keep_their_column() {
        let tree = jurigged_deftree::Parser::new().module("m").parse("\nclass A: x = 1\n").unwrap();
        let line = &tree.find("m.A").next().unwrap().children()[0];
        assert_eq!(padded_source(line, Part::Whole, true), format!("class {WRAPPER}:\n         x = 1\n"));
    }
}
