//! `cargo xtask roundtrip DIR...`: every Python file CPython accepts must parse and
//! reconstruct byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use jurigged_deftree::{Kind, Parser};

use crate::util::{python_files, Failure};

pub fn run(args: &[String]) -> Result<(), Failure> {
    let mut python = None;
    let mut dirs = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--python" => python = Some(PathBuf::from(args.next().ok_or("--python needs a path")?)),
            "-h" | "--help" => {
                println!("usage: cargo xtask roundtrip [--python PYTHON] DIR...\n\nParses every .py file under the directories (those the matching CPython compiles)\nand checks that the tree reconstructs the source byte for byte.");
                return Ok(());
            }
            _ => dirs.push(PathBuf::from(arg)),
        }
    }
    if dirs.is_empty() {
        return Err("usage: cargo xtask roundtrip [--python PYTHON] DIR...".into());
    }
    let (mut files, mut mismatches, mut failures, mut skipped) = (0, 0, 0, 0);
    for dir in &dirs {
        let python = python.clone().unwrap_or_else(|| python_for(dir));
        let candidates = python_files(dir);
        let rejected = rejected_by_cpython(&python, &candidates)?;
        for path in candidates {
            if rejected.contains(&path) {
                skipped += 1;
                continue;
            }
            files += 1;
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            match check_file(&path, &bytes) {
                Ok(()) => {}
                Err(Problem::Parse(message)) => {
                    failures += 1;
                    eprintln!("parse failure: {message}");
                }
                Err(Problem::Mismatch(message)) => {
                    mismatches += 1;
                    eprintln!("mismatch: {}: {message}", path.display());
                }
            }
        }
    }
    println!("{files} files, {mismatches} mismatches, {failures} parse failures ({skipped} files CPython rejects were skipped)");
    if mismatches + failures > 0 {
        return Err(Failure::quiet());
    }
    Ok(())
}

enum Problem {
    Parse(String),
    Mismatch(String),
}

fn check_file(path: &Path, bytes: &[u8]) -> Result<(), Problem> {
    let (text, _) = jurigged_deftree::decode_source(bytes, path).map_err(|e| Problem::Parse(e.to_string()))?;
    let tree = Parser::new().module("m").filename(path).parse(&text).map_err(|e| Problem::Parse(e.to_string()))?;
    let rebuilt = tree.reconstruct();
    if rebuilt != text {
        let at = rebuilt.bytes().zip(text.bytes()).position(|(a, b)| a != b).unwrap_or(rebuilt.len().min(text.len()));
        return Err(Problem::Mismatch(format!("reconstruction differs at byte {at}")));
    }
    // Positions must point at the keyword of each definition.
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    for node in tree.definitions() {
        let start = node.position().start;
        let Some(&line_start) = line_starts.get(start.line as usize - 1) else {
            return Err(Problem::Mismatch(format!("{} has line {} past the end", node.path(), start.line)));
        };
        let at = &text[line_start + start.column as usize..];
        let keyword = if node.kind() == Kind::Class {
            "class"
        } else if node.is_async() {
            "async"
        } else {
            "def"
        };
        if !text.contains('\r') && !at.starts_with(keyword) {
            return Err(Problem::Mismatch(format!(
                "{} at {}:{} does not start with {keyword}",
                node.path(),
                start.line,
                start.column
            )));
        }
    }
    Ok(())
}

/// The interpreter of the CPython installation a directory belongs to (for a
/// pyenv standard library, `<prefix>/bin/python3`), else `python3`.
fn python_for(dir: &Path) -> PathBuf {
    let absolute = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    for ancestor in absolute.ancestors() {
        let candidate = ancestor.join("bin").join("python3");
        if candidate.is_file() && ancestor.join("lib").is_dir() && absolute.starts_with(ancestor.join("lib")) {
            return candidate;
        }
    }
    PathBuf::from("python3")
}

/// The files among `files` that `python` refuses to compile.
fn rejected_by_cpython(python: &Path, files: &[PathBuf]) -> Result<std::collections::HashSet<PathBuf>, Failure> {
    const SCRIPT: &str = r#"
import sys, warnings
warnings.simplefilter("ignore")
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        with open(path, "rb") as f:
            compile(f.read(), path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, UnicodeDecodeError, LookupError, MemoryError, RecursionError):
        print(path)
"#;
    use std::io::Write;
    let mut child = Command::new(python)
        .args(["-c", SCRIPT])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let writer = std::thread::spawn(move || stdin.write_all(list.as_bytes()));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer.join().expect("writer thread").map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("{} failed while checking files", python.display()).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).lines().map(PathBuf::from).collect())
}
