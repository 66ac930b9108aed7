//! `cargo xtask crates`: the library crates as an embedder meets them. Their
//! documentation builds without a warning, each packages, and the example
//! program of each pure crate runs and prints what its README shows.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{self, Failure};

/// The crates other tools embed (the binary and xtask are not for embedding;
/// the binary's build also reads the Python package beside it).
const LIBRARIES: &[&str] = &[
    "jurigged-entry",
    "jurigged-watch",
    "jurigged-deftree",
    "jurigged-diff",
    "jurigged-patch",
    "jurigged-session",
    "jurigged-develoop",
    "jurigged-py",
];

const OLD: &str = "import math\n\ndef area(r):\n    return math.pi * r ** 2\n\nclass C:\n    def m(self):\n        return 1\n\nprint(area(1))\n";
const NEW: &str = "import math\n\ndef area(r):\n    return math.pi * r * r\n\nclass C:\n    def m(self):\n        return 1\n    async def n(self):\n        return 2\n\nprint(area(2))\n";

/// How long the watch example may take to report a save on a loaded machine.
const WATCH_DEADLINE: Duration = Duration::from_secs(60);

pub fn run() -> Result<(), Failure> {
    let root = util::root();
    util::run_in(
        &root,
        "cargo",
        &["doc", "--no-deps", "--workspace", "--exclude", "xtask"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    let mut package = vec!["package", "--no-verify", "--allow-dirty"];
    for library in LIBRARIES {
        package.extend(["-p", library]);
    }
    util::run("cargo", &package)?;
    let scratch = tempfile_dir()?;
    let result = run_examples(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn run_examples(dir: &Path) -> Result<(), Failure> {
    let old = dir.join("old").join("app.py");
    let new = dir.join("new").join("app.py");
    for (path, text) in [(&old, OLD), (&new, NEW)] {
        std::fs::create_dir_all(path.parent().unwrap_or(dir)).map_err(|e| e.to_string())?;
        std::fs::write(path, text).map_err(|e| e.to_string())?;
    }
    let script = example_output("jurigged-diff", "pydiff", &[&old, &new])?;
    expect(
        "pydiff",
        &script,
        "Update app.area @L3\nAdd app.C.n @L9\nRun app @L12: print(area(2))\n2 same, 1 changed, 2 added, 1 deleted\n",
    )?;
    let outline = example_output("jurigged-deftree", "outline", &[&new])?;
    expect(
        "outline",
        &outline,
        "module app\n  line app L1-L1\n  def app.area L3-L4\n    line app.area L4-L4\n  class app.C L6-L10\n    def app.C.m L7-L8\n      line app.C.m L8-L8\n    async def app.C.n L9-L10\n      line app.C.n L10-L10\n  line app L12-L12\n",
    )?;
    watch_example(&new)
}

/// Runs an example to the end and returns what it printed.
fn example_output(package: &str, example: &str, files: &[&Path]) -> Result<String, Failure> {
    let mut command = Command::new("cargo");
    command.args(["run", "--quiet", "-p", package, "--example", example, "--"]).args(files).current_dir(util::root());
    eprintln!("$ cargo run -p {package} --example {example} -- ...");
    let output = command.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("{example} failed: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn expect(example: &str, got: &str, wanted: &str) -> Result<(), Failure> {
    if got == wanted {
        Ok(())
    } else {
        Err(format!("{example} printed:\n{got}\nexpected:\n{wanted}").into())
    }
}

/// The watch example reports a save of the file it watches. Its watch is armed
/// off its main thread, so the file is written again until the report comes.
fn watch_example(file: &Path) -> Result<(), Failure> {
    util::run("cargo", &["build", "--quiet", "-p", "jurigged-watch", "--example", "watch_saves"])?;
    let binary = util::root().join("target/debug/examples/watch_saves");
    eprintln!("$ {} {} --count 1", binary.display(), file.display());
    let mut child = Command::new(&binary)
        .arg(file)
        .args(["--count", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run watch_saves: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from watch_saves")?;
    let (lines, reports) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let start = Instant::now();
    let mut round = 0;
    let line = loop {
        round += 1;
        std::fs::write(file, format!("{NEW}# save {round}\n")).map_err(|e| e.to_string())?;
        match reports.recv_timeout(Duration::from_millis(500)) {
            Ok(line) => break Some(line),
            Err(_) if start.elapsed() < WATCH_DEADLINE => continue,
            Err(_) => break None,
        }
    };
    let finished = wait_with_deadline(&mut child, WATCH_DEADLINE);
    let wanted = format!("saved: {}", file.display());
    match (line, finished) {
        (Some(line), true) if line == wanted => Ok(()),
        (Some(line), true) => Err(format!("watch_saves printed {line:?}, expected {wanted:?}").into()),
        (Some(_), false) => Err("watch_saves did not exit after --count 1".into()),
        (None, _) => {
            let _ = child.kill();
            Err(format!("watch_saves reported no save within {WATCH_DEADLINE:?}").into())
        }
    }
}

fn wait_with_deadline(child: &mut std::process::Child, deadline: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    false
}

fn tempfile_dir() -> Result<std::path::PathBuf, Failure> {
    let dir = std::env::temp_dir().join(format!("jurigged-xtask-crates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}
