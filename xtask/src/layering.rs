//! The dependency rules of the workspace (docs/architecture.md, invariants),
//! checked on the resolved graph of `cargo metadata`:
//!
//! - the pure-Rust crates do not depend on pyo3, even indirectly: they must build
//!   and run with no Python;
//! - clap and crossterm (the command line and the terminal) appear only under the
//!   crates that own them: the session, the develoop, the bindings and the binary;
//! - the workspace's crates depend one way, each only on crates of lower layers.

use std::collections::{HashMap, HashSet};
use std::process::Command;

use serde::Deserialize;

use crate::util::{self, Failure};

/// The layers, lowest first: a crate may depend only on crates of lower layers.
/// Crates named here but not in the workspace (yet) are skipped.
const LAYERS: &[&[&str]] = &[
    &["jurigged-entry", "jurigged-watch", "jurigged-deftree"],
    &["jurigged-diff"],
    &["jurigged-patch"],
    &["jurigged-session"],
    &["jurigged-develoop"],
    &["jurigged-py"],
    &["jurigged-cli"],
];

/// Workspace crates outside the layers, free to depend on any of them.
const TOOLS: &[&str] = &["xtask"];

/// Crates that must build and run with no Python.
const PURE_RUST_CRATES: &[&str] = &["jurigged-entry", "jurigged-watch", "jurigged-deftree", "jurigged-diff"];

/// The Python bindings, which the pure-Rust crates must not reach.
const PYTHON_CRATES: &[&str] = &["pyo3", "pyo3-ffi"];

/// Crates of the user interface, and the only workspace crates that may reach them.
const INTERFACE_CRATES: &[&str] = &["clap", "crossterm"];
const INTERFACE_OWNERS: &[&str] = &["jurigged-session", "jurigged-develoop", "jurigged-py", "jurigged-cli"];

/// What this check reads of `cargo metadata --format-version 1`.
#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

/// `kind` is null for a normal dependency, "dev" or "build" otherwise.
#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// The package graph by name: each package's dependencies, normal ones apart.
struct Graph {
    members: Vec<String>,
    normal: HashMap<String, Vec<String>>,
    any_kind: HashMap<String, Vec<String>>,
}

impl Graph {
    fn new(metadata: &Metadata) -> Graph {
        let names: HashMap<&str, &str> = metadata.packages.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
        let name = |id: &str| names.get(id).copied().unwrap_or(id).to_string();
        let mut normal: HashMap<String, Vec<String>> = HashMap::new();
        let mut any_kind: HashMap<String, Vec<String>> = HashMap::new();
        for node in &metadata.resolve.nodes {
            for dep in &node.deps {
                if dep.dep_kinds.iter().any(|k| k.kind.is_none()) {
                    normal.entry(name(&node.id)).or_default().push(name(&dep.pkg));
                }
                any_kind.entry(name(&node.id)).or_default().push(name(&dep.pkg));
            }
        }
        let mut members: Vec<String> = metadata.workspace_members.iter().map(|id| name(id)).collect();
        members.sort();
        Graph { members, normal, any_kind }
    }

    /// Every package `krate` needs to build and run (normal dependencies, transitively),
    /// each with the chain that brings it in.
    fn runtime_closure(&self, krate: &str) -> HashMap<String, Vec<String>> {
        let mut found: HashMap<String, Vec<String>> = HashMap::new();
        let mut stack = vec![vec![krate.to_string()]];
        let mut seen = HashSet::from([krate.to_string()]);
        while let Some(chain) = stack.pop() {
            let last = chain.last().cloned().unwrap_or_default();
            for dep in self.normal.get(&last).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    let mut longer = chain.clone();
                    longer.push(dep.clone());
                    found.insert(dep.clone(), longer.clone());
                    stack.push(longer);
                }
            }
        }
        found
    }
}

fn layer_of(krate: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&krate))
}

/// Every broken rule, one sentence each.
fn violations(graph: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for krate in &graph.members {
        let Some(layer) = layer_of(krate) else {
            if !TOOLS.contains(&krate.as_str()) {
                out.push(format!("{krate} has no layer: add it to LAYERS in xtask/src/layering.rs"));
            }
            continue;
        };
        let closure = graph.runtime_closure(krate);
        let mut forbidden: Vec<&str> = Vec::new();
        if PURE_RUST_CRATES.contains(&krate.as_str()) {
            forbidden.extend(PYTHON_CRATES);
        }
        if !INTERFACE_OWNERS.contains(&krate.as_str()) {
            forbidden.extend(INTERFACE_CRATES);
        }
        for name in forbidden {
            if let Some(chain) = closure.get(name) {
                out.push(format!("{krate} must not depend on {name}, but does: {}", chain.join(" -> ")));
            }
        }
        let mut deps: Vec<&String> = graph.any_kind.get(krate).into_iter().flatten().collect();
        deps.sort();
        deps.dedup();
        for dep in deps {
            if let Some(dep_layer) = layer_of(dep).filter(|&l| l >= layer) {
                let how = if dep_layer == layer { "of its own layer" } else { "of a higher layer" };
                out.push(format!("{krate} must not depend on {dep}, a crate {how}"));
            }
        }
    }
    out
}

/// Runs the check on the workspace.
pub fn check() -> Result<(), Failure> {
    let output = Command::new("cargo")
        .args(["metadata", "--format-version", "1"])
        .current_dir(util::root())
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    let metadata: Metadata =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cannot read cargo metadata's output: {e}"))?;
    let broken = violations(&Graph::new(&metadata));
    if !broken.is_empty() {
        return Err(format!("dependency rules broken:\n  {}", broken.join("\n  ")).into());
    }
    eprintln!(
        "layering: {} do not depend on pyo3; clap and crossterm only under {}; every crate depends only on lower layers",
        PURE_RUST_CRATES.join(", "),
        INTERFACE_OWNERS.join(", "),
    );
    crate::module_order::check()?;
    crate::py_entries::check()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A graph of `edges` (from, to, kind: "" for normal), every `from` and `to`
    /// starting with "jurigged-" a workspace member.
    fn graph(edges: &[(&str, &str, &str)]) -> Graph {
        let mut names: Vec<&str> = edges.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
        names.sort();
        names.dedup();
        let packages: Vec<String> = names.iter().map(|n| format!(r#"{{"id": "{n} 0.1.0", "name": "{n}"}}"#)).collect();
        let members: Vec<String> =
            names.iter().filter(|n| n.starts_with("jurigged-")).map(|n| format!(r#""{n} 0.1.0""#)).collect();
        let nodes: Vec<String> = names
            .iter()
            .map(|n| {
                let deps: Vec<String> = edges
                    .iter()
                    .filter(|(from, _, _)| from == n)
                    .map(|(_, to, kind)| {
                        let kind = if kind.is_empty() { "null".to_string() } else { format!(r#""{kind}""#) };
                        format!(r#"{{"pkg": "{to} 0.1.0", "dep_kinds": [{{"kind": {kind}, "target": null}}]}}"#)
                    })
                    .collect();
                format!(r#"{{"id": "{n} 0.1.0", "deps": [{}]}}"#, deps.join(", "))
            })
            .collect();
        let text = format!(
            r#"{{"packages": [{}], "workspace_members": [{}], "resolve": {{"nodes": [{}]}}, "version": 1}}"#,
            packages.join(", "),
            members.join(", "),
            nodes.join(", ")
        );
        Graph::new(&serde_json::from_str(&text).unwrap())
    }

    const TODAY: &[(&str, &str, &str)] = &[
        ("jurigged-diff", "jurigged-deftree", ""),
        ("jurigged-patch", "jurigged-diff", ""),
        ("jurigged-patch", "jurigged-watch", ""),
        ("jurigged-patch", "pyo3", ""),
        ("jurigged-patch", "pyo3", "dev"),
        ("pyo3", "pyo3-ffi", ""),
        ("jurigged-py", "jurigged-patch", ""),
        ("jurigged-py", "clap", ""),
        ("jurigged-py", "crossterm", ""),
        ("jurigged-cli", "jurigged-py", ""),
        ("jurigged-deftree", "pyo3-build-config", "build"),
    ];

    fn with(extra: &[(&'static str, &'static str, &'static str)]) -> Vec<String> {
        let edges: Vec<_> = TODAY.iter().chain(extra).copied().collect();
        violations(&graph(&edges))
    }

    #[test]
    fn the_graph_of_today_without_session_or_develoop_passes() {
        assert_eq!(with(&[]), Vec::<String>::new());
    }

    #[test]
    fn pyo3_reached_indirectly_from_a_pure_crate_is_refused_with_its_chain() {
        let broken = with(&[("jurigged-deftree", "helper", ""), ("helper", "pyo3", "")]);
        assert!(broken.iter().any(|b| b.contains("jurigged-deftree -> helper -> pyo3")), "{broken:?}");
        assert!(broken.iter().any(|b| b.starts_with("jurigged-diff must not depend on pyo3")), "{broken:?}");
    }

    #[test]
    fn pyo3_as_a_dev_dependency_of_a_pure_crate_is_allowed() {
        assert_eq!(with(&[("jurigged-diff", "pyo3", "dev")]), Vec::<String>::new());
    }

    #[test]
    fn clap_or_crossterm_below_the_session_is_refused() {
        let broken = with(&[("jurigged-patch", "clap", ""), ("jurigged-watch", "crossterm", "")]);
        assert!(broken.iter().any(|b| b.starts_with("jurigged-patch must not depend on clap")), "{broken:?}");
        assert!(broken.iter().any(|b| b.starts_with("jurigged-watch must not depend on crossterm")), "{broken:?}");
    }

    #[test]
    fn the_session_and_develoop_may_use_clap_and_crossterm_once_they_exist() {
        let broken = with(&[
            ("jurigged-session", "jurigged-patch", ""),
            ("jurigged-session", "clap", ""),
            ("jurigged-develoop", "jurigged-session", ""),
            ("jurigged-develoop", "crossterm", ""),
            ("jurigged-py", "jurigged-develoop", ""),
        ]);
        assert_eq!(broken, Vec::<String>::new());
    }

    #[test]
    fn a_crate_depending_on_a_higher_one_is_refused_even_for_tests() {
        let broken = with(&[("jurigged-diff", "jurigged-patch", "dev"), ("jurigged-session", "jurigged-develoop", "")]);
        assert!(broken.contains(&"jurigged-diff must not depend on jurigged-patch, a crate of a higher layer".into()));
        assert!(
            broken.contains(&"jurigged-session must not depend on jurigged-develoop, a crate of a higher layer".into())
        );
        let peers = with(&[("jurigged-watch", "jurigged-deftree", "")]);
        assert_eq!(peers, vec!["jurigged-watch must not depend on jurigged-deftree, a crate of its own layer"]);
    }

    #[test]
    fn a_new_crate_must_be_given_a_layer() {
        assert_eq!(
            with(&[("jurigged-extra", "jurigged-diff", "")]),
            vec!["jurigged-extra has no layer: add it to LAYERS in xtask/src/layering.rs"]
        );
    }
}
