//! The Python side of the tests: project virtual environments, the wheel, pytest.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::sid;
use crate::util::{self, Failure};
use crate::venvs::{ensure_venv, host_interpreter, interpreters};

/// Packages that only some suites import, installed into a venv only when one
/// of them runs: `distributed` for test_processes.py's Dask cluster; the web
/// frameworks and servers for test_servers.py; a Jupyter kernel and its client
/// for test_ipython.py (Django pinned by Python version: its newest release no
/// longer installs on 3.9); `codefind` (a dependency of the wheel, which is
/// installed without its dependencies) for test_dropin.py's clients;
/// pytest-hot-reloading for its suite. pytest-hot-reloading requires
/// `jurigged<0.6` (the original), which pip would install over ours: it goes in
/// without its dependencies, and those it uses (cachetools; watchdog, which the
/// original brought) beside it, as the README tells its users to. All pinned,
/// so that a new release cannot break a suite unseen.
const SUITE_PACKAGES: &[SuitePackages] = &[
    SuitePackages { suite: "test_processes.py", module: "distributed", python: (3, 9), pip: &["distributed"] },
    SuitePackages {
        suite: "test_servers.py",
        module: "aiohttp",
        python: (3, 9),
        pip: &[
            "flask==3.1.3",
            "fastapi==0.128.8",
            "uvicorn==0.39.0",
            "gunicorn==23.0.0",
            "django==4.2.30; python_version < '3.10'",
            "django==5.2.19; python_version >= '3.10'",
            "aiohttp==3.13.5",
        ],
    },
    SuitePackages {
        suite: "test_ipython.py",
        module: "ipykernel",
        python: (3, 9),
        pip: &["ipykernel==6.31.0", "jupyter_client==8.6.3"],
    },
    SuitePackages { suite: "test_dropin.py", module: "codefind", python: (3, 9), pip: &["codefind==0.1.7"] },
    SuitePackages {
        suite: "test_pytest_hot_reloading.py",
        module: "pytest_hot_reloading",
        python: (3, 10),
        pip: &[
            "--no-deps",
            "pytest-hot-reloading==0.1.0a19",
            "cachetools==5.5.2",
            "watchdog==6.0.0",
            "codefind==0.1.7",
        ],
    },
];

/// What one suite needs installed.
struct SuitePackages {
    /// The test file that needs them.
    suite: &'static str,
    /// A module whose import tells they are there.
    module: &'static str,
    /// The oldest Python they install on (older ones skip the suite).
    python: (u32, u32),
    /// The arguments of `pip install`.
    pip: &'static [&'static str],
}

/// Installs the packages of the suites `args` selects (all of them when it
/// names no test file) that the venv of `venv_python` lacks.
fn ensure_suite_packages(venv_python: &Path, args: &[&str]) -> Result<(), Failure> {
    let names_files = args.iter().any(|a| a.contains(".py") || a.contains('/'));
    let version = Command::new(venv_python)
        .args(["-c", "import sys; print(*sys.version_info[:2])"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|_| Vec::<u32>::new());
    let version = (version.first().copied().unwrap_or(0), version.get(1).copied().unwrap_or(0));
    for needs in SUITE_PACKAGES {
        let selected = !names_files || args.iter().any(|a| a.contains(needs.suite));
        let present = Command::new(venv_python)
            .args(["-c", &format!("import {}", needs.module)])
            .output()
            .is_ok_and(|o| o.status.success());
        if selected && !present && version >= needs.python {
            let mut command = vec!["-m", "pip", "install", "--quiet", "--disable-pip-version-check"];
            command.extend(needs.pip.iter().copied());
            util::run(&venv_python.to_string_lossy(), &command)?;
        }
    }
    Ok(())
}

/// Builds the abi3 wheel with the main venv's maturin; returns its path.
pub fn build_wheel(venv_python: &Path, release: bool) -> Result<PathBuf, Failure> {
    build_wheel_into(venv_python, release, &util::root().join("target/wheels"))
}

/// Builds the abi3 wheel with the main venv's maturin into `out` (emptied
/// first); returns its path.
pub fn build_wheel_into(venv_python: &Path, release: bool, out: &Path) -> Result<PathBuf, Failure> {
    let out = out.to_path_buf();
    let _ = std::fs::remove_dir_all(&out);
    let maturin = venv_python.with_file_name("maturin");
    let manifest = util::root().join("crates/jurigged-py/Cargo.toml");
    let mut args =
        vec!["build", "--quiet", "-m", manifest.to_str().unwrap_or_default(), "-o", out.to_str().unwrap_or_default()];
    if release {
        args.push("--release");
    }
    util::run(&maturin.to_string_lossy(), &args)?;
    let wheel = std::fs::read_dir(&out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or("maturin built no wheel")?;
    Ok(wheel)
}

/// What of a distribution `pip download` fetches.
pub enum Files {
    /// Its wheel (`--only-binary :all:`).
    Wheel,
    /// Its source archive (`--no-binary :all:`).
    Sdist,
}

/// Runs `pip download` of `requirement` alone (no dependencies) into `dir`;
/// whether it fetched anything is for the caller to check in `dir`.
pub fn pip_download(venv_python: &Path, requirement: &str, files: Files, dir: &Path) -> Result<(), Failure> {
    let choice = match files {
        Files::Wheel => "--only-binary",
        Files::Sdist => "--no-binary",
    };
    let dir = dir.to_string_lossy();
    let args = ["-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", choice, ":all:"];
    let mut args = args.to_vec();
    args.extend([requirement, "-d", &dir]);
    util::run(&venv_python.to_string_lossy(), &args)
}

/// Installs `wheel` into the venv of `venv_python`.
pub fn install_wheel(venv_python: &Path, wheel: &Path) -> Result<(), Failure> {
    util::run(
        &venv_python.to_string_lossy(),
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--force-reinstall",
            "--no-deps",
            &wheel.to_string_lossy(),
        ],
    )
}

/// Builds the standalone binary that the end-to-end tests drive next to the wheel.
fn build_binary() -> Result<(), Failure> {
    util::run("cargo", &["build", "--quiet", "-p", "jurigged-cli"])
}

/// Builds the wheel, installs it in every test interpreter's venv and runs pytest
/// on `tests/python` in each: the host's (python3, 3.9, 3.13), then 3.14 and 3.15
/// in the sid root (skipped with a message where it cannot be made).
pub fn test_all() -> Result<(), Failure> {
    run_pytest(&Selection::All, &["-q"])
}

/// Which interpreters `cargo xtask pytest` runs on.
enum Selection {
    Main,
    All,
    Version(String),
}

/// `cargo xtask pytest [--all | --py X.Y] [PYTEST ARGS...]`: builds and installs
/// the wheel, then runs pytest (on tests/python by default) in the main venv, in
/// every test interpreter's with `--all`, or in the one of version X.Y.
pub fn pytest(args: &[String]) -> Result<(), Failure> {
    let (selection, rest) = match args.first().map(String::as_str) {
        Some("--all") => (Selection::All, &args[1..]),
        Some("--py") => {
            let version = args.get(1).ok_or("--py needs a version, like --py 3.14")?;
            (Selection::Version(version.clone()), &args[2..])
        }
        _ => (Selection::Main, args),
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    run_pytest(&selection, &rest)
}

/// Where tests/python/conftest.py writes the tracebacks of a test that got stuck
/// (pytest's capture holds stderr meanwhile); the sid root sees the same path.
fn stuck_report() -> PathBuf {
    util::root().join("target/stuck-test.txt")
}

/// A failed pytest run that ended on a stuck test shows which one and where
/// each thread was.
fn showing_a_stuck_test(run: Result<(), Failure>) -> Result<(), Failure> {
    if run.is_err() {
        let report = std::fs::read_to_string(stuck_report()).unwrap_or_default();
        if report.contains("Timeout (") {
            eprintln!("{report}");
        }
    }
    run
}

fn run_pytest(selection: &Selection, args: &[&str]) -> Result<(), Failure> {
    let interpreters = interpreters();
    let host: Vec<(String, PathBuf)> = match selection {
        Selection::Main => interpreters[..1].to_vec(),
        Selection::All => interpreters.clone(),
        Selection::Version(version) if sid::VERSIONS.contains(&version.as_str()) => Vec::new(),
        Selection::Version(version) => vec![host_interpreter(version).ok_or_else(|| {
            format!("no Python {version} here (python3, pyenv, or {} in the sid root)", sid::VERSIONS.join(", "))
        })?],
    };
    let in_sid: Vec<&str> = match selection {
        Selection::Main => Vec::new(),
        Selection::All => sid::VERSIONS.to_vec(),
        Selection::Version(version) => sid::VERSIONS.iter().copied().filter(|v| v == version).collect(),
    };
    build_binary()?;
    let (main_python, main_venv) = &interpreters[0];
    let main = ensure_venv(main_python, main_venv)?;
    let wheel = build_wheel(&main, false)?;
    let tests = util::root().join("tests/python").to_string_lossy().into_owned();
    for (python, venv) in &host {
        let venv_python = ensure_venv(python, venv)?;
        install_wheel(&venv_python, &wheel)?;
        ensure_suite_packages(&venv_python, args)?;
        let mut command = vec!["-m", "pytest", "-p", "no:cacheprovider"];
        if args.iter().all(|a| a.starts_with('-')) {
            command.push(&tests);
        }
        command.extend(args.iter().copied());
        showing_a_stuck_test(util::run(&venv_python.to_string_lossy(), &command))?;
    }
    if in_sid.is_empty() {
        return Ok(());
    }
    let Some(root) = sid::prepare()? else { return Ok(()) };
    for version in in_sid {
        showing_a_stuck_test(root.pytest(version, &wheel, args))?;
    }
    Ok(())
}
