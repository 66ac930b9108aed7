//! `cargo xtask replay`: consecutive PyPI releases of pure-Python packages saved
//! over a running program must patch it as a fresh import of the new release would
//! (the oracle itself is tests/python/support/oracle_replay.py).

use std::path::{Path, PathBuf};

use crate::python;
use crate::util::{self, Failure};

const HELP: &str = "usage: cargo xtask replay [--py 3.14|3.15]

Builds and installs the wheel in .venv, downloads the releases below from PyPI
into target/replay-cache (once; later runs work offline), then for each pair of
consecutive releases and each module whose text changed: imports the old release's
module, saves the new release's text over it, applies it with CodeFile.refresh()
and compares every reachable function and every reference taken before the save
with a fresh compile and import of the new text. Prints a summary; fails if any
module differs. --py 3.14 (or 3.15) runs it in the sid root (cargo xtask sid).";

/// Packages replayed, each with consecutive releases (pure Python, wheels on
/// PyPI, modules that import one by one with few side effects).
const RELEASES: &[(&str, &[&str])] = &[
    ("toolz", &["0.12.0", "0.12.1", "1.0.0"]),
    ("more-itertools", &["10.2.0", "10.3.0", "10.4.0"]),
    ("idna", &["3.6", "3.7", "3.8", "3.9"]),
    ("six", &["1.16.0", "1.17.0"]),
    ("tomli", &["2.0.1", "2.0.2", "2.1.0"]),
    ("attrs", &["23.1.0", "23.2.0", "24.1.0"]),
    ("pyparsing", &["3.1.1", "3.1.2", "3.1.3"]),
    ("packaging", &["23.2", "24.0"]),
    ("click", &["8.1.6", "8.1.7"]),
    ("pluggy", &["1.4.0", "1.5.0"]),
];

pub fn run(args: &[String]) -> Result<(), Failure> {
    let in_sid = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => None,
        ["--py", version] if crate::sid::VERSIONS.contains(&version) => Some(version),
        ["-h" | "--help"] => {
            println!("{HELP}");
            return Ok(());
        }
        _ => return Err(format!("unknown options {args:?}\n\n{HELP}").into()),
    };
    let (main_python, main_venv) = &crate::venvs::interpreters()[0];
    let venv_python = crate::venvs::ensure_venv(main_python, main_venv)?;
    let wheel = python::build_wheel(&venv_python, false)?;
    if let Some(version) = in_sid {
        let cache = download_all(&venv_python)?;
        let Some(root) = crate::sid::prepare()? else { return Ok(()) };
        let python = root.python_with(version, &wheel)?;
        let args = oracle_args(&cache);
        return root.run_python(&python, &args.iter().map(String::as_str).collect::<Vec<_>>());
    }
    python::install_wheel(&venv_python, &wheel)?;
    replay_installed(&venv_python)
}

/// Every release of [`RELEASES`] in the cache (downloaded once); the cache.
fn download_all(venv_python: &Path) -> Result<PathBuf, Failure> {
    let cache = util::root().join("target/replay-cache");
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    for (dist, versions) in RELEASES {
        for version in *versions {
            download(venv_python, &cache, dist, version)?;
        }
    }
    Ok(cache)
}

/// The oracle script and its arguments: the cache, then each pair of
/// consecutive releases.
fn oracle_args(cache: &Path) -> Vec<String> {
    let script = util::root().join("tests/python/support/oracle_replay.py");
    let mut args = vec![script.to_string_lossy().into_owned(), cache.to_string_lossy().into_owned()];
    for (dist, versions) in RELEASES {
        args.extend(versions.windows(2).map(|w| format!("{dist}:{}:{}", w[0], w[1])));
    }
    args
}

/// The replay with the wheel already installed in the venv of `venv_python`.
pub fn replay_installed(venv_python: &Path) -> Result<(), Failure> {
    let cache = download_all(venv_python)?;
    let args = oracle_args(&cache);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    util::run(&venv_python.to_string_lossy(), &args)
}

/// The cached wheel of `dist` `version`, if downloaded before.
fn cached_wheel(cache: &Path, dist: &str, version: &str) -> Option<PathBuf> {
    let prefix = format!("{}-{version}-", dist.replace('-', "_").to_lowercase());
    std::fs::read_dir(cache).ok()?.flatten().map(|e| e.path()).find(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        name.starts_with(&prefix) && name.ends_with(".whl")
    })
}

/// Downloads the wheel of `dist` `version` into `cache` unless it is there.
fn download(venv_python: &Path, cache: &Path, dist: &str, version: &str) -> Result<(), Failure> {
    if cached_wheel(cache, dist, version).is_some() {
        return Ok(());
    }
    let requirement = format!("{dist}=={version}");
    let fetched = python::pip_download(venv_python, &requirement, python::Files::Wheel, cache);
    if fetched.is_err() || cached_wheel(cache, dist, version).is_none() {
        return Err(format!(
            "cannot download the wheel of {requirement} from PyPI (offline?); the replay needs each release \
             once in {}, after which it runs offline",
            cache.display()
        )
        .into());
    }
    Ok(())
}
