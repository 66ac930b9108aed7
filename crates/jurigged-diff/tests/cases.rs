//! Data-driven diff cases, one test per case: a folder under `tests/cases/`
//! holding `before.py`, `after.py` and an optional `options.txt`. The edit
//! script is checked against the insta snapshot `expected.snap`; for merges
//! (`order = original`), the merged file against `merged.snap.py` too (a binary
//! snapshot: compared byte for byte, line endings included, which a text
//! snapshot would normalize away).
//!
//! Run one case: `cargo test -p jurigged-diff --test cases -- NAME`. A mismatch
//! fails the test; outside CI insta also writes the new output beside the
//! snapshot (`.snap.new`) for `cargo insta review` (or `INSTA_UPDATE=always`
//! to accept everything; read the diff before committing it). Under CI (`CI`
//! set) insta writes nothing.

use std::path::Path;

use jurigged_deftree::Parser;
use jurigged_diff::{apply, diff, merge, Deletions, EditScript};

datatest_stable::harness! {
    { test = diff_case, root = "tests/cases", pattern = r"/before\.py$" },
}

struct Options {
    original_order: bool,
    deletions: Deletions,
}

fn read_options(dir: &Path) -> Result<Options, String> {
    let mut options = Options { original_order: false, deletions: Deletions::All };
    let Ok(text) = std::fs::read_to_string(dir.join("options.txt")) else { return Ok(options) };
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (key, value) = line.split_once('=').ok_or_else(|| format!("bad option line {line:?}"))?;
        match (key.trim(), value.trim()) {
            ("order", "original") => options.original_order = true,
            ("order", "new") => options.original_order = false,
            ("deletions", "all") => options.deletions = Deletions::All,
            ("deletions", "none") => options.deletions = Deletions::None,
            ("deletions", only) if only.starts_with("only ") => {
                options.deletions = Deletions::Only(only[5..].split(',').map(|p| p.trim().to_string()).collect())
            }
            _ => return Err(format!("unknown option {line:?}")),
        }
    }
    Ok(options)
}

/// The edit script as the snapshots hold it: its summary, then one edit a line.
fn render(script: &EditScript) -> String {
    let mut out = format!("# {}\n", script.summary());
    for edit in script.edits() {
        out.push_str(&format!("{edit}\n"));
    }
    out
}

fn diff_case(before_path: &Path, before: String) -> datatest_stable::Result<()> {
    let dir = before_path.parent().ok_or("a case's before.py has a folder")?;
    let after =
        std::fs::read_to_string(dir.join("after.py")).map_err(|e| format!("{}/after.py: {e}", dir.display()))?;
    let options = read_options(dir).map_err(|e| format!("{}/options.txt: {e}", dir.display()))?;
    let parser = Parser::new().module("m");
    let old = parser.parse(&before).map_err(|e| format!("before.py: {e}"))?;
    let new = parser.parse(&after).map_err(|e| format!("after.py: {e}"))?;
    let script = if options.original_order { merge(&old, &new, options.deletions) } else { diff(&old, &new) };
    let result = apply(&old, &script)?.reconstruct();

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(std::fs::canonicalize(dir)?);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(std::fs::canonicalize(before_path)?);
    settings.bind(|| {
        insta::assert_snapshot!("expected", render(&script));
        if options.original_order {
            insta::assert_binary_snapshot!("merged.py", result.clone().into_bytes());
        }
    });
    if !options.original_order && result != after {
        return Err(format!("apply(before, diff) does not reconstruct after.py:\n{result}").into());
    }
    Ok(())
}
