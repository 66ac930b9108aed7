//! `cargo xtask original-suite`: the original jurigged's own tests, run
//! unchanged against this package's wheel, to measure the drop-in (README,
//! "Drop-in for jurigged").
//!
//! The tests come from the original's 0.6.1 sdist (it ships `tests/`, the
//! same as the repository's tag v0.6.1), fetched once with `pip download`
//! into `target/original-suite/` (network needed the first time: pip builds the
//! sdist's metadata with hatchling). `--tests DIR` runs a `tests/` directory
//! of one's own instead (a clone of github.com/breuleux/jurigged), offline.
//! Not part of `cargo xtask test`: it needs the network once and is a
//! measure, not a gate (some of its tests time saves to tens of milliseconds).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::python::{self, build_wheel, install_wheel};
use crate::util::{self, Failure};
use crate::venvs::{ensure_venv, interpreters};

/// The original's release whose tests are run.
const RELEASE: &str = "0.6.1";

/// What the original's tests import besides jurigged and pytest.
const NEEDS: &[&str] = &["codefind==0.1.7"];

pub fn run(args: &[String]) -> Result<(), Failure> {
    let given = match args {
        [] => None,
        [flag, dir] if flag == "--tests" => Some(PathBuf::from(dir)),
        _ => return Err("usage: cargo xtask original-suite [--tests DIR]".into()),
    };
    let (python, venv) = &interpreters()[0];
    let venv_python = ensure_venv(python, venv)?;
    let wheel = build_wheel(&venv_python, false)?;
    install_wheel(&venv_python, &wheel)?;
    let mut pip = vec!["-m", "pip", "install", "--quiet", "--disable-pip-version-check"];
    pip.extend(NEEDS);
    util::run(&venv_python.to_string_lossy(), &pip)?;
    let tests = match given {
        Some(dir) => std::path::absolute(&dir).map_err(|e| format!("{}: {e}", dir.display()))?,
        None => sdist_tests(&venv_python)?,
    };
    let Some(parent) = tests.parent() else { return Err(format!("{}: no parent", tests.display()).into()) };
    // Run from the directory holding `tests/` (the tests import
    // `tests.snippets...`); the sdist keeps the original under `src/`, so
    // `import jurigged` finds the wheel.
    eprintln!("$ cd {} && {} -m pytest tests -q -rf -p no:cacheprovider", parent.display(), venv_python.display());
    let output = Command::new(&venv_python)
        .args(["-m", "pytest", "tests", "-q", "-rf", "-p", "no:cacheprovider"])
        .current_dir(parent)
        .output()
        .map_err(|e| format!("cannot run pytest: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    for line in stdout.lines().filter(|l| l.starts_with("FAILED") || l.starts_with("ERROR")) {
        println!("{line}");
    }
    let summary = stdout.lines().rev().find(|l| l.contains(" passed") || l.contains(" failed"));
    match summary {
        Some(summary) => {
            println!("original jurigged {RELEASE} suite against this wheel: {}", summary.trim_matches(['=', ' ']));
            Ok(())
        }
        None => Err(format!("pytest gave no summary:\n{stdout}{}", String::from_utf8_lossy(&output.stderr)).into()),
    }
}

/// The `tests/` directory of the original's sdist, downloaded and unpacked
/// under `target/original-suite/` the first time.
fn sdist_tests(venv_python: &Path) -> Result<PathBuf, Failure> {
    let dir = util::root().join("target/original-suite");
    let unpacked = dir.join(format!("jurigged-{RELEASE}"));
    let tests = unpacked.join("tests");
    if tests.is_dir() {
        return Ok(tests);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let archive = dir.join(format!("jurigged-{RELEASE}.tar.gz"));
    if !archive.is_file() {
        python::pip_download(venv_python, &format!("jurigged=={RELEASE}"), python::Files::Sdist, &dir)?;
    }
    util::run("tar", &["xzf", &archive.to_string_lossy(), "-C", &dir.to_string_lossy()])?;
    if tests.is_dir() {
        Ok(tests)
    } else {
        Err(format!("{} has no tests/ (use --tests DIR with a clone of the original)", archive.display()).into())
    }
}
