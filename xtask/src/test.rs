//! `cargo xtask test`: everything CI runs, in the order that fails fastest.

use std::process::Command;

use crate::layering;
use crate::python;
use crate::replay;
use crate::util::{self, Failure};

const HELP: &str = "usage: cargo xtask test [--quick]

Runs, in order: cargo fmt --check, clippy (warnings denied), the dependency
rules (xtask/src/layering.rs: no pyo3 under the pure-Rust crates, clap and
crossterm only under the session, develoop, bindings and binary, each crate
depending only on lower layers; jurigged-session's modules in their listed
order; every #[pymethods] block and #[pyfunction] under #[py_entry]), cargo test --workspace (the READMEs' examples included), the library
crates as embedders meet them (cargo xtask crates), pytest on the wheel under Python 3.11
(python3), 3.9 and 3.13 (from pyenv), 3.14 and 3.15 (in the Debian sid root,
see `cargo xtask sid --help`), the replay
of real releases (cargo xtask replay), the README's `cargo install` line
(install-check), the round trip over the standard library of every CPython 3.9+
that pyenv has (or python3's), and a short run of each fuzz target.

  --quick   stop after the replay";

/// Seconds each fuzz target runs for in CI.
const FUZZ_SMOKE_SECS: &str = "20";

pub fn run(args: &[String]) -> Result<(), Failure> {
    let quick = match args.first().map(String::as_str) {
        None => false,
        Some("--quick") => true,
        Some("-h" | "--help") => {
            println!("{HELP}");
            return Ok(());
        }
        Some(other) => return Err(format!("unknown option {other:?}\n\n{HELP}").into()),
    };
    util::run("cargo", &["fmt", "--all", "--", "--check"])?;
    util::run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    layering::check()?;
    util::run("cargo", &["test", "--workspace"])?;
    crate::crates::run()?;
    python::test_all()?;
    let (main_python, main_venv) = &crate::venvs::interpreters()[0];
    replay::replay_installed(&crate::venvs::ensure_venv(main_python, main_venv)?)?;
    if quick {
        return Ok(());
    }
    crate::install::run(&[])?;
    for stdlib in stdlib_dirs()? {
        util::run("cargo", &["run", "--quiet", "--release", "-p", "xtask", "--", "roundtrip", &stdlib])?;
    }
    util::run("cargo", &["xtask", "fuzz", "all", "--secs", FUZZ_SMOKE_SECS])?;
    Ok(())
}

/// The standard library of every CPython 3.9+ that pyenv has, or python3's.
fn stdlib_dirs() -> Result<Vec<String>, Failure> {
    let from_pyenv = Command::new("pyenv").args(["versions", "--bare"]).output().ok().filter(|o| o.status.success());
    let mut dirs = Vec::new();
    if let Some(output) = from_pyenv {
        for version in String::from_utf8_lossy(&output.stdout).lines().map(str::trim) {
            let mut parts = version.split('.');
            let (Some("3"), Some(minor)) = (parts.next(), parts.next().and_then(|m| m.parse::<u32>().ok())) else {
                continue;
            };
            if minor < 9 || parts.next().is_none() {
                continue;
            }
            let prefix = Command::new("pyenv").args(["prefix", version]).output().map_err(|e| e.to_string())?;
            let prefix = String::from_utf8_lossy(&prefix.stdout).trim().to_string();
            let dir = format!("{prefix}/lib/python3.{minor}");
            if std::path::Path::new(&dir).is_dir() {
                dirs.push(dir);
            }
        }
    }
    if dirs.is_empty() {
        let output = Command::new("python3")
            .args(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"])
            .output()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        dirs.push(String::from_utf8_lossy(&output.stdout).trim().to_string());
    }
    Ok(dirs)
}
