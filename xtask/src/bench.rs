//! `cargo xtask bench [deftree]`: speed figures, printed with their targets.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{self, python_files, Failure};

const HELP: &str = "usage: cargo xtask bench [deftree]

  deftree   tree building on the largest files of python3's standard library, and
            diff + apply of a 20,000-line module with one function changed";

pub fn run(args: &[String]) -> Result<(), Failure> {
    match args.first().map(String::as_str) {
        None | Some("deftree") => deftree(),
        Some("-h" | "--help") => {
            println!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown benchmark {other:?}\n\n{HELP}").into()),
    }
}

fn deftree() -> Result<(), Failure> {
    let stdlib = stdlib_dir()?;
    let mut files: Vec<(usize, PathBuf)> = python_files(&stdlib)
        .into_iter()
        .filter(|p| p.parent() == Some(stdlib.as_path()))
        .filter_map(|p| Some((std::fs::read_to_string(&p).ok()?.lines().count(), p)))
        .collect();
    files.sort();
    let largest: Vec<String> = files.iter().rev().take(6).map(|(_, p)| p.display().to_string()).collect();
    let mut args = vec!["bench", "--quiet", "-p", "jurigged-diff", "--bench", "deftree", "--"];
    args.extend(largest.iter().map(String::as_str));
    util::run("cargo", &args)
}

/// The standard library directory of `python3`.
fn stdlib_dir() -> Result<PathBuf, Failure> {
    let output = Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    if !output.status.success() {
        return Err("python3 could not tell where its standard library is".into());
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}
