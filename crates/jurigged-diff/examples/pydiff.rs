//! Prints the edit script that takes one version of a Python file to another:
//! what jurigged would do to a running program when the first is saved as the
//! second.
//!
//! ```text
//! cargo run -p jurigged-diff --example pydiff -- old.py new.py [--module NAME]
//! ```

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use jurigged_deftree::{DefTree, Parser};
use jurigged_diff::diff;

const USAGE: &str = "usage: pydiff OLD.py NEW.py [--module NAME]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (files, module) = match args.as_slice() {
        [old, new] => ((old, new), None),
        [old, new, flag, name] if flag == "--module" => ((old, new), Some(name.as_str())),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(Path::new(files.0), Path::new(files.1), module) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pydiff: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(old: &Path, new: &Path, module: Option<&str>) -> Result<(), Box<dyn Error>> {
    // Both versions are one module: by default the new file's stem names it.
    let stem = new.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let parser = Parser::new().module(module.unwrap_or(&stem));
    let old_tree = parse(&parser, old)?;
    let new_tree = parse(&parser.filename(new), new)?;
    let script = diff(&old_tree, &new_tree);
    for edit in script.edits() {
        println!("{edit}");
    }
    println!("{}", script.summary());
    Ok(())
}

fn parse(parser: &Parser, path: &Path) -> Result<DefTree, Box<dyn Error>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(parser.parse_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))?)
}
