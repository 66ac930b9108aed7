//! Whether a module's source can define a `--loop` target at all, told from
//! its definition tree as soon as the module starts running, so that a
//! misspelt name (`-l gret`) is reported at once rather than when the program
//! ends (a server or a main loop may never end).

use std::path::Path;

use jurigged_deftree::{Kind, Node, Parser};

/// The name the tree is parsed under (paths of definitions start with it).
const MODULE: &str = "m";

/// The targets (dotted paths, split) that the source of `file` can never
/// define: no definition, assignment, import or star import binds them. A
/// file that cannot be read or parsed rules nothing out.
pub fn never_defined(file: &Path, targets: &[Vec<String>]) -> Vec<Vec<String>> {
    let Ok(bytes) = std::fs::read(file) else { return Vec::new() };
    let Ok(tree) = Parser::new().module(MODULE).filename(file).parse_bytes(&bytes) else { return Vec::new() };
    let star = tree.root().children().iter().any(|node| node.kind() == Kind::Line && has_star_import(node));
    if star {
        return Vec::new();
    }
    targets.iter().filter(|path| !could_define(tree.root(), path)).cloned().collect()
}

/// `from x import *` can bind any name.
fn has_star_import(node: &Node) -> bool {
    let code = node.code_text();
    code.contains("import") && code.split("import").skip(1).any(|rest| rest.trim_start().starts_with('*'))
}

/// Whether `scope` (the module or a class) can bind `path`.
fn could_define(scope: &Node, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else { return true };
    // The scope's own facts name every binding: assignments, imports, and
    // definitions nested in `if`/`try` blocks, which have no node of their own.
    let bound = match scope.vars() {
        Some(vars) => vars.assigned.iter().any(|name| name == first),
        None => true,
    };
    let defined = scope.children().iter().filter(|node| node.kind().is_definition() && node.name() == first);
    let classes: Vec<&Node> = defined.clone().filter(|node| node.kind() == Kind::Class).collect();
    if !bound && defined.count() == 0 {
        return false;
    }
    // `Class.method`: the class's body must bind the rest; anything else bound
    // to the name (a module, an object) cannot be looked into.
    rest.is_empty() || classes.is_empty() || classes.iter().any(|class| could_define(class, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str, target: &str) -> bool {
        let dir = std::env::temp_dir().join(format!("target-check-{}-{}", std::process::id(), target));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("m.py");
        std::fs::write(&file, source).expect("write");
        let path: Vec<String> = target.split('.').map(String::from).collect();
        let never = never_defined(&file, std::slice::from_ref(&path));
        let _ = std::fs::remove_dir_all(&dir);
        never.is_empty()
    }

    #[test]
    fn what_a_module_can_define() {
        let source = "import os\nfrom helpers import work\nx = 1\nif True:\n    def hidden():\n        pass\n\
                      def greet():\n    pass\nclass C:\n    def run(self):\n        pass\n    alias = run\n";
        for defined in ["greet", "os", "work", "x", "hidden", "C", "C.run", "C.alias", "os.path"] {
            assert!(check(source, defined), "{defined} is defined");
        }
        for missing in ["gret", "C.walk", "greet2"] {
            assert!(!check(source, missing), "{missing} is never defined");
        }
        assert!(check("from helpers import *\n", "gret"));
        assert!(check("def broken(:\n", "gret"), "a file that does not parse rules nothing out");
    }
}
