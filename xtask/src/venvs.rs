//! The project's virtual environments and the interpreters behind them: the
//! default python3, and 3.9 / 3.13 from pyenv when present.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Failure};

/// Interpreters the wheel is tested on: the default `python3`, then 3.9 and 3.13
/// from pyenv when present. Each gets its own virtual environment in the project.
pub fn interpreters() -> Vec<(String, PathBuf)> {
    let mut found = vec![("python3".to_string(), util::root().join(".venv"))];
    for version in ["3.9", "3.13"] {
        if let Some(python) = pyenv_python(version) {
            found.push((python, util::root().join(format!(".venv-{version}"))));
        }
    }
    found
}

/// The newest installed pyenv interpreter of `version` (e.g. "3.13"), if any.
fn pyenv_python(version: &str) -> Option<String> {
    let output = Command::new("pyenv").args(["versions", "--bare"]).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let full = text.lines().map(str::trim).rfind(|v| v.strip_prefix(version).is_some_and(|r| r.starts_with('.')))?;
    let prefix = Command::new("pyenv").args(["prefix", full]).output().ok()?;
    let python = format!("{}/bin/python3", String::from_utf8_lossy(&prefix.stdout).trim());
    Path::new(&python).is_file().then_some(python)
}

/// Creates `venv` with `python` if it does not exist, with pytest and maturin in it.
pub fn ensure_venv(python: &str, venv: &Path) -> Result<PathBuf, Failure> {
    let venv_python = venv.join("bin/python");
    if !venv_python.is_file() {
        util::run(python, &["-m", "venv", &venv.to_string_lossy()])?;
    }
    let has = |module: &str| {
        Command::new(&venv_python).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
    };
    if !has("pytest") || !has("maturin") {
        let python = venv_python.to_string_lossy();
        util::run(
            &python,
            &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "pytest", "maturin>=1.5,<2"],
        )?;
    }
    Ok(venv_python)
}

/// Creates a bare virtual environment at `venv` with `python` if it does not
/// exist; returns its interpreter.
pub fn ensure_plain_venv(python: &str, venv: &Path) -> Result<PathBuf, Failure> {
    let venv_python = venv.join("bin/python");
    if !venv_python.is_file() {
        util::run(python, &["-m", "venv", &venv.to_string_lossy()])?;
    }
    Ok(venv_python)
}

/// The host interpreter of `version` and its venv: python3 if it is that
/// version, else pyenv's.
pub fn host_interpreter(version: &str) -> Option<(String, PathBuf)> {
    let output = Command::new("python3").args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).output();
    if output.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == version) {
        return Some(interpreters().swap_remove(0));
    }
    let python = pyenv_python(version)?;
    Some((python, util::root().join(format!(".venv-{version}"))))
}
