//! `cargo xtask demo`: the live-edit demo. Builds the `jurigged` binary, runs
//! `examples/shapes.py` under it, saves an edit to a function while the program
//! runs, shows the program picking it up, then restores the file.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use crate::util::{self, Failure};

/// The edit the demo saves, as (old text, new text).
const EDIT: (&str, &str) = (
    "return f\"circle of radius {shape.radius}: area {shape.area():.2f}\"",
    "return f\"circle of radius {shape.radius}: area {shape.area():.2f} (edited while running!)\"",
);

pub fn run(_args: &[String]) -> Result<(), Failure> {
    util::run("cargo", &["build", "--quiet", "-p", "jurigged-cli"])?;
    let root = util::root();
    let example = root.join("examples/shapes.py");
    let original = std::fs::read_to_string(&example).map_err(|e| format!("{}: {e}", example.display()))?;
    if !original.contains(EDIT.0) {
        return Err("examples/shapes.py no longer contains the line the demo edits; update xtask/src/demo.rs".into());
    }
    println!("$ jurigged -v examples/shapes.py");
    let mut child = Command::new(root.join("target/debug/jurigged"))
        .args(["-v", "examples/shapes.py"])
        .current_dir(&root)
        .env("PYTHONUNBUFFERED", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start jurigged: {e}"))?;
    let lines = forward_output(&mut child);
    let result = demo(&example, &original, &lines);
    // Whatever happened, the example goes back to what it was.
    let restored = std::fs::write(&example, &original);
    let _ = child.kill();
    let _ = child.wait();
    restored.map_err(|e| format!("could not restore {}: {e}", example.display()))?;
    result?;
    println!("\nThe running program picked up the edit; examples/shapes.py is restored.");
    Ok(())
}

fn demo(example: &std::path::Path, original: &str, lines: &Receiver<String>) -> Result<(), Failure> {
    wait_for(lines, "circle of radius", Duration::from_secs(20))?;
    println!("\n[demo] editing describe() in examples/shapes.py and saving...\n");
    std::fs::write(example, original.replacen(EDIT.0, EDIT.1, 1)).map_err(|e| format!("cannot save the edit: {e}"))?;
    wait_for(lines, "edited while running", Duration::from_secs(10))
}

/// Prints the child's output as it comes, and passes each line on.
fn forward_output(child: &mut Child) -> Receiver<String> {
    let (sender, receiver) = channel();
    let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
    let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
    for stream in [stdout, stderr].into_iter().flatten() {
        let sender = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                println!("  {line}");
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

fn wait_for(lines: &Receiver<String>, text: &str, limit: Duration) -> Result<(), Failure> {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(format!("the program did not print {text:?} within {limit:?}").into()),
        }
    }
}
