//! `cargo xtask demo`: what jurigged sees when you save an edit to
//! `examples/shapes.py`: the definition tree, the edit script, and the exact
//! reconstruction of the new file from the old tree and the script.

use jurigged_deftree::{Kind, Parser};
use jurigged_diff::{apply, diff};

use crate::util::{self, Failure};

/// The edits a developer makes in the demo, as (old text, new text).
const EDITS: &[(&str, &str)] = &[
    ("return math.pi * self.radius ** 2", "return math.tau * self.radius ** 2 / 2  # same area, other formula"),
    ("\n\ndef describe(shape):", "\n\ndef diameter(shape):\n    return 2 * shape.radius\n\n\ndef describe(shape):"),
    ("area {shape.area():.2f}\"", "area {shape.area():.2f}, diameter {diameter(shape)}\""),
];

pub fn run(_args: &[String]) -> Result<(), Failure> {
    let path = util::root().join("examples/shapes.py");
    let before = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut after = before.clone();
    for (old, new) in EDITS {
        if !after.contains(old) {
            return Err(format!("examples/shapes.py no longer contains {old:?}; update the demo").into());
        }
        after = after.replacen(old, new, 1);
    }
    let parser = Parser::new().module("shapes").filename(&path);
    let old = parser.parse(&before).map_err(|e| e.to_string())?;
    let new = parser.parse(&after).map_err(|e| e.to_string())?;

    println!("Definitions in examples/shapes.py:");
    for node in old.definitions() {
        let kind = if node.kind() == Kind::Class { "class" } else { "def" };
        println!("  {kind:<5} {:<24} line {}", node.path(), node.first_line());
    }
    println!("\nAfter the edit, a running program would apply:");
    let script = diff(&old, &new);
    for edit in script.edits() {
        println!("  {edit}");
    }
    println!("  ({})", script.summary());
    let rebuilt = apply(&old, &script).map_err(|e| e.to_string())?.reconstruct();
    if rebuilt != after {
        return Err("apply(old, diff(old, new)) did not reconstruct the new file".into());
    }
    println!("\napply(old tree, script) reconstructs the edited file byte for byte ({} bytes).", rebuilt.len());
    Ok(())
}
