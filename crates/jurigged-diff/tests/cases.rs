//! Data-driven diff cases: one folder per case under `tests/cases/`, holding
//! `before.py`, `after.py`, an optional `options.txt` and the expected edit script
//! in `expected.txt`. For merges (`order = original`), `merged.py` holds the
//! expected merged file. `UPDATE_SNAPSHOTS=1 cargo test -p jurigged-diff --test cases`
//! rewrites the expectations; read the diff before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jurigged_deftree::Parser;
use jurigged_diff::{apply, diff, merge, Deletions, EditScript};

struct Options {
    original_order: bool,
    deletions: Deletions,
}

fn read_options(dir: &Path) -> Options {
    let mut options = Options { original_order: false, deletions: Deletions::All };
    let Ok(text) = std::fs::read_to_string(dir.join("options.txt")) else { return options };
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (key, value) =
            line.split_once('=').unwrap_or_else(|| panic!("{}: bad option line {line:?}", dir.display()));
        match (key.trim(), value.trim()) {
            ("order", "original") => options.original_order = true,
            ("order", "new") => options.original_order = false,
            ("deletions", "all") => options.deletions = Deletions::All,
            ("deletions", "none") => options.deletions = Deletions::None,
            ("deletions", only) if only.starts_with("only ") => {
                options.deletions = Deletions::Only(only[5..].split(',').map(|p| p.trim().to_string()).collect())
            }
            _ => panic!("{}: unknown option {line:?}", dir.display()),
        }
    }
    options
}

fn render(script: &EditScript) -> String {
    let mut out = format!("# {}\n", script.summary());
    for edit in script.edits() {
        writeln!(out, "{edit}").unwrap();
    }
    out
}

/// Compares `actual` with the file at `path`, or rewrites it when asked to.
fn check_snapshot(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!("{}:\n--- expected\n{expected}--- actual\n{actual}", path.display())),
        Err(_) => failures.push(format!("{} is missing; run with UPDATE_SNAPSHOTS=1 and review it", path.display())),
    }
}

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

#[test]
fn diff_cases_match_their_snapshots() {
    let parser = Parser::new().module("m");
    let dirs = case_dirs();
    let mut failures = Vec::new();
    for dir in &dirs {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
        };
        let (before, after) = (read("before.py"), read("after.py"));
        let old = parser.parse(&before).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let new = parser.parse(&after).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let options = read_options(dir);
        let script = if options.original_order { merge(&old, &new, options.deletions) } else { diff(&old, &new) };
        check_snapshot(&dir.join("expected.txt"), &render(&script), &mut failures);
        let result = apply(&old, &script).unwrap().reconstruct();
        if options.original_order {
            check_snapshot(&dir.join("merged.py"), &result, &mut failures);
        } else if result != after {
            failures.push(format!("{}: apply(before, diff) does not reconstruct after.py:\n{result}", dir.display()));
        }
    }
    assert!(dirs.len() >= 30, "expected at least 30 cases, found {}", dirs.len());
    assert!(failures.is_empty(), "{} of {} cases failed:\n\n{}", failures.len(), dirs.len(), failures.join("\n"));
}
