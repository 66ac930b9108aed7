//! Compiling a node of a [`DefTree`](jurigged_deftree::DefTree) with its real
//! filename and positions: line numbers as in the file and, since the text keeps
//! its indentation, column offsets too (traceback carets land right on 3.11+).
//!
//! Code that belongs to a class body is compiled inside `class` statements named
//! like the real enclosing classes, so that the compiler gives it what the real
//! class body would: private names mangled with the class's name, qualified
//! names (`Outer.Inner.method`), the `__class__` cell of `super()`.

use std::path::Path;

use jurigged_deftree::newlines::skip_lines;
use jurigged_deftree::{DefTree, Kind, Node};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// Which part of a node to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The whole statement, decorators included.
    Whole,
    /// A definition from its `def` line on: what an update re-evaluates.
    WithoutDecorators,
    /// A class's decorators applied to an empty class statement whose metaclass
    /// is the callable [`FRESH_CLASS`]: to apply them again to a class made
    /// already.
    DecoratorsOnly,
}

/// The name under which [`Part::DecoratorsOnly`] expects the callable that
/// returns the class to decorate.
pub(crate) const FRESH_CLASS: &str = "__jurigged_fresh_class__";

/// Compiles `node` (the given part of it) inside `classes` (the names of the
/// classes around it, outermost first; empty at module level), with the code
/// objects at the node's real lines.
pub(crate) fn compile_node<'py>(
    py: Python<'py>,
    node: &Node,
    part: Part,
    classes: &[&str],
    filename: &Path,
    context: &Context,
) -> PyResult<Bound<'py, PyAny>> {
    let mut snippet = snippet(node, part, classes);
    // A future import must stay the first statement of what is compiled.
    let is_future_import = node.header_text().trim_start().starts_with("from __future__");
    if snippet.line_offset > 0 && !context.prelude.is_empty() && !is_future_import {
        snippet.source.insert_str(0, &context.prelude);
        snippet.line_offset -= 1;
    }
    let code = compile(py, &snippet.source, filename, context.flags)
        .map_err(|error| error_in_place(py, error, snippet.line_offset))?;
    if snippet.line_offset == 0 {
        return Ok(code);
    }
    shifted(&code, snippet.line_offset as i64)
}

/// A syntax error found by CPython's compiler, with its line numbers moved to
/// the file's.
fn error_in_place(py: Python<'_>, error: PyErr, offset: u32) -> PyErr {
    if offset > 0 && error.is_instance_of::<pyo3::exceptions::PySyntaxError>(py) {
        let value = error.value(py);
        for attribute in ["lineno", "end_lineno"] {
            if let Ok(line) = value.getattr(attribute).and_then(|l| l.extract::<u32>()) {
                let _ = value.setattr(attribute, line + offset);
            }
        }
    }
    error
}

/// Source text for a node, and how many lines it must be moved down by to stand
/// at its real lines.
pub(crate) struct Snippet {
    pub(crate) source: String,
    pub(crate) line_offset: u32,
}

/// The text that compiles `node` inside `classes`. Line numbers are made right
/// by moving the compiled code (padding the text with blank lines instead makes
/// a save that adds N functions compile O(N²) lines).
pub(crate) fn snippet(node: &Node, part: Part, classes: &[&str]) -> Snippet {
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
    let decorator_lines = (node.position().start.line - node.header_line()) as usize;
    match part {
        Part::Whole => {}
        Part::WithoutDecorators => {
            text = skip_lines(&text, decorator_lines).to_string();
            first_line += decorator_lines as u32;
        }
        Part::DecoratorsOnly => {
            let decorators_end = text.len() - skip_lines(&text, decorator_lines).len();
            let indent = " ".repeat(node.position().start.column as usize);
            text = format!("{}{indent}class {}(metaclass={FRESH_CLASS}): pass\n", &text[..decorators_end], node.name());
        }
    }
    let depth = classes.len();
    let mut source = String::with_capacity(text.len() + 32 * (depth + 1));
    // The class headers take the lines above; near the top of the file there is
    // no room, and line numbers are off (a class body cannot start there anyway).
    let line_offset = (first_line as usize).saturating_sub(1 + depth) as u32;
    for (level, name) in classes.iter().enumerate() {
        // Level k is indented by k spaces: less than the code, which is indented
        // by at least one character per enclosing class, whatever the tab size.
        source.push_str(&" ".repeat(level));
        source.push_str("class ");
        source.push_str(name);
        source.push_str(":\n");
    }
    let indent = text.len() - text.trim_start_matches([' ', '\t', '\x0c']).len();
    if depth > 0 && indent < depth {
        source.push_str(&" ".repeat(depth - indent));
    }
    source.push_str(&text);
    if !source.ends_with('\n') {
        source.push('\n');
    }
    Snippet { source, line_offset }
}

/// A code object (and the code nested in it) moved by `delta` lines.
pub(crate) fn shifted<'py>(code: &Bound<'py, PyAny>, delta: i64) -> PyResult<Bound<'py, PyAny>> {
    let first_line: i64 = code.getattr("co_firstlineno")?.extract()?;
    let py = code.py();
    let mut constants = Vec::new();
    for constant in code.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        constants.push(if crate::registry::is_code(&constant)? { shifted(&constant, delta)? } else { constant });
    }
    let changes = PyDict::new(py);
    changes.set_item("co_consts", PyTuple::new(py, constants)?)?;
    changes.set_item("co_firstlineno", (first_line + delta).max(1))?;
    code.call_method("replace", (), Some(&changes))
}

/// `compile(source, filename, "exec", flags, dont_inherit=True)`.
fn compile<'py>(py: Python<'py>, source: &str, filename: &Path, flags: i64) -> PyResult<Bound<'py, PyAny>> {
    py.import("builtins")?.getattr("compile")?.call1((source, filename.as_os_str(), "exec", flags, true))
}

/// What every compile of one version of a file shares with a compile of the
/// whole file.
pub(crate) struct Context {
    /// The flags of the file's `from __future__` imports.
    pub(crate) flags: i64,
    /// A line that never runs (`if 0: import a, b`) naming the module's imported
    /// names: the compiler treats a method call on an imported name as an
    /// attribute load, and only knows the imports the source it compiles has.
    prelude: String,
}

impl Context {
    pub(crate) fn of(py: Python<'_>, tree: &DefTree) -> PyResult<Context> {
        let mut names: Vec<&str> = tree.imported_names().collect();
        names.sort_unstable();
        names.dedup();
        let prelude = if names.is_empty() { String::new() } else { format!("if 0: import {}\n", names.join(", ")) };
        Ok(Context { flags: future_flags(py, tree)?, prelude })
    }
}

/// The compiler flags of the `from __future__` imports at the top of `tree`: what
/// a fresh compile of the file would use.
pub(crate) fn future_flags(py: Python<'_>, tree: &DefTree) -> PyResult<i64> {
    let future = py.import("__future__")?;
    let mut flags = 0;
    for node in tree.root().children() {
        if node.kind() != Kind::Line {
            break;
        }
        let code = node.header_text().trim();
        let Some(names) = code.strip_prefix("from __future__ import") else {
            // The docstring and comments may come before; anything else ends them.
            if code.starts_with(['"', '\'']) || code.is_empty() {
                continue;
            }
            break;
        };
        for name in names.split([',', '(', ')', '\\', '\n', '\r']) {
            let name = name.split_whitespace().next().unwrap_or_default();
            if let Ok(feature) = future.getattr(name) {
                if let Ok(flag) = feature.getattr("compiler_flag").and_then(|f| f.extract::<i64>()) {
                    flags |= flag;
                }
            }
        }
    }
    Ok(flags)
}

/// The code of the innermost class body in a module code object compiled by
/// [`compile_node`] with `depth` classes around it (the module
/// code itself for depth 0).
pub(crate) fn body_code<'py>(module_code: &Bound<'py, PyAny>, depth: usize) -> PyResult<Bound<'py, PyAny>> {
    let mut code = module_code.clone();
    for _ in 0..depth {
        code = last_code_constant(&code, None)?
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("compiled class wrapper has no class body"))?;
    }
    Ok(code)
}

/// The last code object among the constants of `code` (named `name`, if given).
pub(crate) fn last_code_constant<'py>(
    code: &Bound<'py, PyAny>,
    name: Option<&str>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut found = None;
    for constant in code.getattr("co_consts")?.try_iter()? {
        let constant = constant?;
        if !crate::registry::is_code(&constant)? {
            continue;
        }
        if name
            .is_none_or(|name| constant.getattr("co_name").and_then(|n| n.extract::<String>()).is_ok_and(|n| n == name))
        {
            found = Some(constant);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_wrapped_in_their_real_classes_at_their_real_lines() {
        let tree = jurigged_deftree::Parser::new()
            .module("m")
            .parse("class A:\n    x = 1\n\n    @staticmethod\n    def f():\n        return 1\n")
            .unwrap();
        let f = tree.find("m.A.f").next().unwrap();
        let whole = snippet(f, Part::Whole, &["A"]);
        assert_eq!(whole.source, "class A:\n    @staticmethod\n    def f():\n        return 1\n");
        assert_eq!(whole.line_offset, 2);
        let bare = snippet(f, Part::WithoutDecorators, &["A"]);
        assert_eq!(bare.source, "class A:\n    def f():\n        return 1\n");
        assert_eq!(bare.line_offset, 3);
    }

    #[test]
    fn nested_classes_get_one_wrapper_each() {
        let source = "class A:\n    class B:\n        def f(self):\n            return 1\n";
        let tree = jurigged_deftree::Parser::new().module("m").parse(source).unwrap();
        let f = tree.find("m.A.B.f").next().unwrap();
        let nested = snippet(f, Part::Whole, &["A", "B"]);
        assert_eq!(nested.source, "class A:\n class B:\n        def f(self):\n            return 1\n");
        assert_eq!(nested.line_offset, 0);
    }

    #[test]
    fn one_line_class_bodies_keep_their_column() {
        let tree = jurigged_deftree::Parser::new().module("m").parse("\nclass A: x = 1\n").unwrap();
        let line = &tree.find("m.A").next().unwrap().children()[0];
        assert_eq!(snippet(line, Part::Whole, &["A"]).source, "class A:\n         x = 1\n");
    }
}
