//! Modules that import each other: in no crate of the workspace may modules
//! import one another in a circle; jurigged-session's `lib.rs` also lists its
//! modules "each using only those listed before it", and a `crate::module` that
//! names a later one fails the check.

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

/// The modules the table under "### Modules of jurigged-session" in
/// docs/architecture.md names, in order.
fn documented_order(architecture: &str) -> Vec<String> {
    let Some(start) = architecture.find("### Modules of jurigged-session") else { return Vec::new() };
    architecture[start..]
        .lines()
        .skip(1)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .filter_map(|line| line.trim_start_matches('|').trim_start().strip_prefix('`')?.split('`').next())
        .map(str::to_string)
        .collect()
}

/// Where the listed order, the documented order and the module files disagree.
fn order_mismatches(listed: &[String], documented: &[String], files: &[String]) -> Vec<String> {
    let mut mismatches = Vec::new();
    if listed != documented {
        mismatches.push(format!(
            "docs/architecture.md's module table ({}) is not lib.rs's order ({})",
            documented.join(", "),
            listed.join(", ")
        ));
    }
    for file in files.iter().filter(|f| !listed.contains(f)) {
        mismatches.push(format!("{file}.rs is not in lib.rs's module order"));
    }
    mismatches
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

/// The source folders whose modules must not import each other in a circle:
/// every crate's (`crates/*/src`) and xtask's own.
fn sources() -> Result<Vec<std::path::PathBuf>, Failure> {
    let crates = util::root().join("crates");
    let entries = std::fs::read_dir(&crates).map_err(|e| format!("{}: {e}", crates.display()))?;
    let mut found: Vec<std::path::PathBuf> =
        entries.flatten().map(|entry| entry.path().join("src")).filter(|src| src.is_dir()).collect();
    found.sort();
    found.push(util::root().join("xtask/src"));
    Ok(found)
}

/// The modules of the crate in `dir` (one file each, directly in `src`) and
/// those each one names as `crate::module` outside comments and tests.
fn module_graph(dir: &Path) -> Result<Vec<(String, Vec<String>)>, Failure> {
    let mut graph = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_string))
        .filter(|name| name != "lib" && name != "main")
        .collect();
    names.sort();
    for name in &names {
        let file = dir.join(format!("{name}.rs"));
        let source = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let code: String =
            source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let used = uses(&code).into_iter().filter(|u| u != name && names.contains(u)).collect();
        graph.push((name.clone(), used));
    }
    Ok(graph)
}

/// A circle of imports in `graph`, as the modules along it, if there is one.
fn find_circle(graph: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    fn visit(
        graph: &[(String, Vec<String>)],
        module: &str,
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut circle = path[at..].to_vec();
            circle.push(module.to_string());
            return Some(circle);
        }
        if done.iter().any(|m| m == module) {
            return None;
        }
        path.push(module.to_string());
        let used = graph.iter().find(|(name, _)| name == module).map(|(_, used)| used.clone()).unwrap_or_default();
        for next in used {
            if let Some(circle) = visit(graph, &next, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.push(module.to_string());
        None
    }
    let mut done = Vec::new();
    graph.iter().find_map(|(name, _)| visit(graph, name, &mut Vec::new(), &mut done))
}

/// Checks that no crate's modules import each other in a circle, and
/// jurigged-session's modules against the order its `lib.rs` lists.
pub fn check() -> Result<(), Failure> {
    for dir in sources()? {
        if let Some(circle) = find_circle(&module_graph(&dir)?) {
            let source = dir.strip_prefix(util::root()).unwrap_or(&dir).display().to_string();
            return Err(format!("{source}: modules import each other in a circle: {}", circle.join(" -> ")).into());
        }
    }
    let dir = util::root().join(CRATE_SOURCE);
    let lib = std::fs::read_to_string(dir.join("lib.rs")).map_err(|e| format!("{CRATE_SOURCE}/lib.rs: {e}"))?;
    let order = listed_order(&lib);
    if order.is_empty() {
        return Err(format!("{CRATE_SOURCE}/lib.rs lists no module order").into());
    }
    let architecture = std::fs::read_to_string(util::root().join("docs/architecture.md"))
        .map_err(|e| format!("docs/architecture.md: {e}"))?;
    let files: Vec<String> = module_graph(&dir)?.into_iter().map(|(name, _)| name).collect();
    let mismatches = order_mismatches(&order, &documented_order(&architecture), &files);
    if !mismatches.is_empty() {
        return Err(mismatches.join("\n").into());
    }
    let broken = backward_uses(&dir, &order)?;
    if !broken.is_empty() {
        return Err(format!("jurigged-session's module order broken:\n  {}", broken.join("\n  ")).into());
    }
    eprintln!(
        "modules: no circle in any crate nor in xtask; the {} modules of jurigged-session in their listed order, as docs/architecture.md lists them",
        order.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_table_is_read_and_held_against_the_listing_and_the_files() {
        let doc = "intro\n### Modules of jurigged-session\n\ntext\n\n| module | job |\n|---|---|\n| `a` | x |\n| `b` | y |\n\n## Next\n| `c` | z |\n";
        let documented = documented_order(doc);
        assert_eq!(documented, ["a", "b"]);
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(order_mismatches(&names(&["a", "b"]), &documented, &names(&["a", "b"])).is_empty());
        assert_eq!(order_mismatches(&names(&["b", "a"]), &documented, &names(&["a", "b"])).len(), 1);
        assert_eq!(
            order_mismatches(&names(&["a", "b"]), &documented, &names(&["a", "b", "sync2"])),
            ["sync2.rs is not in lib.rs's module order"]
        );
    }

    #[test]
    fn the_listing_is_read_in_order_and_a_backward_use_is_found() {
        let lib = "//! Modules, each using only those listed before it:\n//! `a`, `b`,\n//! `c` (`docs/x.md` says more).\n\nmod a;";
        assert_eq!(listed_order(lib), ["a", "b", "c"]);
        assert_eq!(uses("use crate::a::X;\nfn f() { crate::b::g(); }\n#[cfg(test)]\nuse crate::c;"), ["a", "b"]);
    }

    #[test]
    fn a_circle_of_imports_is_found_and_a_chain_is_not() {
        let graph = |edges: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
            edges.iter().map(|(m, used)| (m.to_string(), used.iter().map(|u| u.to_string()).collect())).collect()
        };
        assert_eq!(find_circle(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &[])])), None);
        let circle = find_circle(&graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"])])).expect("a circle");
        assert_eq!(circle, ["a", "b", "c", "a"]);
    }
}
