//! `cargo xtask install-check`: the README's install line, `cargo install --path
//! crates/jurigged-cli --root DIR`, into a scratch directory, then the installed
//! binary runs a program that must end as under python.
//!
//! It builds in release, like the README's line: the duplicate `PyInit__jurigged`
//! that once broke it only showed in release links. The project's target
//! directory is reused, so an up-to-date tree costs well under a second.

use std::path::Path;
use std::process::Command;

use crate::util::{self, Failure};

/// What the installed binary runs: a non-daemon thread, an atexit handler,
/// buffered output, a file written and never closed, an object whose `__del__`
/// runs when the interpreter is finalized, and an exit status, all of which
/// python honours.
const PROGRAM: &str = "\
import atexit
import sys
import threading
import time

class Holder:
    def __del__(self):
        print('del ran')

def late():
    time.sleep(0.2)
    print('thread done')

holder = Holder()
unclosed = open('unclosed.txt', 'w')
unclosed.write('hello\\n')
atexit.register(print, 'atexit ran')
threading.Thread(target=late).start()
sys.stdout.write('main done\\n')
sys.exit(7)
";

const EXPECTED_OUTPUT: &str = "main done\nthread done\natexit ran\ndel ran\n";
/// What the unclosed file holds once python has ended.
const EXPECTED_UNCLOSED: &str = "hello\n";
const EXPECTED_STATUS: i32 = 7;

pub fn run(args: &[String]) -> Result<(), Failure> {
    if let Some(other) = args.first() {
        return Err(format!("install-check takes no arguments, got {other:?}").into());
    }
    let scratch = std::env::temp_dir().join(format!("jurigged-install-check-{}", std::process::id()));
    let result = check(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn check(scratch: &Path) -> Result<(), Failure> {
    let root = scratch.join("root");
    let target = util::root().join("target");
    util::run_in(
        &util::root(),
        "cargo",
        &["install", "--locked", "--quiet", "--path", "crates/jurigged-cli", "--root", &root.to_string_lossy()],
        &[("CARGO_TARGET_DIR", &target.to_string_lossy())],
    )?;
    let program = scratch.join("program.py");
    std::fs::write(&program, PROGRAM).map_err(|e| format!("{}: {e}", program.display()))?;
    let binary = root.join("bin/jurigged");
    let output = Command::new(&binary)
        .arg(&program)
        .current_dir(scratch)
        .env_remove("VIRTUAL_ENV")
        .env_remove("PYTHONUNBUFFERED")
        .output()
        .map_err(|e| format!("cannot run the installed {}: {e}", binary.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let unclosed = std::fs::read_to_string(scratch.join("unclosed.txt")).unwrap_or_default();
    if output.status.code() != Some(EXPECTED_STATUS) || stdout != EXPECTED_OUTPUT || unclosed != EXPECTED_UNCLOSED {
        return Err(format!(
            "the installed jurigged does not end a program as python does: status {:?} (expected {EXPECTED_STATUS}), \
             stdout {stdout:?} (expected {EXPECTED_OUTPUT:?}), unclosed file {unclosed:?} (expected \
             {EXPECTED_UNCLOSED:?}), stderr {:?}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    eprintln!("install-check: `cargo install --path crates/jurigged-cli` works; the binary ends programs as python");
    Ok(())
}
