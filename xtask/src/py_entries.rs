//! Every entry from Python goes through the panic boundary: each `#[pymethods]`
//! block and each `#[pyfunction]` of the workspace carries
//! `#[jurigged_entry::py_entry]` on the line just above (the attribute must come
//! first, so pyo3 wraps the guarded function). A method added to a guarded block
//! is guarded already; a new block or function without it fails this check.

use std::path::Path;

use crate::util::{self, Failure};

const GUARD: &str = "#[jurigged_entry::py_entry]";

/// The lines (1-based) of `source` that open an entry from Python without the guard.
fn unguarded(source: &str) -> Vec<usize> {
    let mut previous = "";
    let mut missing = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let line = line.trim();
        let opens_entry = line == "#[pymethods]" || line.starts_with("#[pyfunction");
        if opens_entry && previous != GUARD {
            missing.push(index + 1);
        }
        if !line.is_empty() {
            previous = line;
        }
    }
    missing
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for path in entries.flatten().map(|e| e.path()) {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Checks every source file under `crates/`.
pub fn check() -> Result<(), Failure> {
    let root = util::root();
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    files.sort();
    let mut broken = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let shown = file.strip_prefix(&root).unwrap_or(file).display().to_string();
        broken.extend(unguarded(&source).into_iter().map(|line| format!("{shown}:{line}")));
    }
    if !broken.is_empty() {
        return Err(format!(
            "entries from Python without {GUARD} just above (a panic there would reach Python as PanicException):\n  {}",
            broken.join("\n  ")
        )
        .into());
    }
    eprintln!("entries: every #[pymethods] block and #[pyfunction] goes through the panic boundary");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_without_the_guard_just_above_is_found() {
        let source = "/// Doc.\n#[jurigged_entry::py_entry]\n#[pyfunction]\nfn a() {}\n\n#[pymethods]\nimpl X {}\n\
                      #[jurigged_entry::py_entry]\n\n    #[pymethods]\nimpl Y {}\n#[pyfunction(name = \"z\")]\nfn z() {}\n\
                      #[pymodule]\nfn m() {}\n";
        assert_eq!(unguarded(source), [6, 12]);
    }
}
