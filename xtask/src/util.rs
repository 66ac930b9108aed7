//! Small helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a command failed; `quiet` failures have already said so.
#[derive(Debug)]
pub struct Failure(pub Option<String>);

impl Failure {
    pub fn quiet() -> Failure {
        Failure(None)
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure(Some(message))
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure(Some(message.to_string()))
    }
}

/// Every `.py` file below `dir` (or `dir` itself), sorted.
pub fn python_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if path.extension().is_some_and(|e| e == "py") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The repository root (the parent of the xtask crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

/// Runs a command from the repository root, echoing it; fails if it fails.
pub fn run(program: &str, args: &[&str]) -> Result<(), Failure> {
    run_in(&root(), program, args, &[])
}

/// Runs a command in `dir` with extra environment variables.
pub fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), Failure> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")).into())
    }
}
