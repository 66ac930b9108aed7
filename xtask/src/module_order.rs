//! The order of jurigged-session's modules: its `lib.rs` lists them, "each using
//! only those listed before it"; a `crate::module` that names a later one (or
//! itself through another) is a circle in the making and fails the check.

use std::path::Path;

use crate::util::{self, Failure};

/// The crate whose module order is checked, relative to the workspace root.
const CRATE_SOURCE: &str = "crates/jurigged-session/src";

/// The modules `lib.rs` lists after "Modules, each using only those listed
/// before it:", in order.
fn listed_order(lib: &str) -> Vec<String> {
    let Some(start) = lib.find("Modules, each using only those listed before it:") else { return Vec::new() };
    let mut lines = lib[start..].lines();
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.take_while(|line| line.starts_with("//!")).collect();
    let listing = format!("{first} {}", rest.join(" "));
    let listing = listing.split("(`docs").next().unwrap_or_default();
    let listing = listing.split_once(':').map(|(_, names)| names).unwrap_or_default();
    listing.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// The modules a source file names as `crate::module`, outside its tests.
fn uses(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut used: Vec<String> = code
        .match_indices("crate::")
        .map(|(at, _)| {
            code[at + "crate::".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
        })
        .collect();
    used.sort();
    used.dedup();
    used
}

/// Every `crate::` use that names a module listed at or after the user.
fn backward_uses(dir: &Path, order: &[String]) -> Result<Vec<String>, Failure> {
    let mut broken = Vec::new();
    for (position, module) in order.iter().enumerate() {
        let file = dir.join(format!("{module}.rs"));
        let source = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        for used in uses(&source) {
            if let Some(at) = order.iter().position(|m| *m == used) {
                if at >= position && used != *module {
                    broken.push(format!("{module} uses {used}, listed after it"));
                }
            }
        }
    }
    Ok(broken)
}

/// Checks jurigged-session's modules against the order its `lib.rs` lists.
pub fn check() -> Result<(), Failure> {
    let dir = util::root().join(CRATE_SOURCE);
    let lib = std::fs::read_to_string(dir.join("lib.rs")).map_err(|e| format!("{CRATE_SOURCE}/lib.rs: {e}"))?;
    let order = listed_order(&lib);
    if order.is_empty() {
        return Err(format!("{CRATE_SOURCE}/lib.rs lists no module order").into());
    }
    let broken = backward_uses(&dir, &order)?;
    if !broken.is_empty() {
        return Err(format!("jurigged-session's module order broken:\n  {}", broken.join("\n  ")).into());
    }
    eprintln!("module order: the {} modules of jurigged-session import one way", order.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_is_read_in_order_and_a_backward_use_is_found() {
        let lib = "//! Modules, each using only those listed before it:\n//! `a`, `b`,\n//! `c` (`docs/x.md` says more).\n\nmod a;";
        assert_eq!(listed_order(lib), ["a", "b", "c"]);
        assert_eq!(uses("use crate::a::X;\nfn f() { crate::b::g(); }\n#[cfg(test)]\nuse crate::c;"), ["a", "b"]);
    }
}
