//! Speed of tree building and of diff + apply; run by `cargo xtask bench deftree`.
//!
//! Arguments: the `.py` files to build trees of (the largest of a standard
//! library). Prints one line per figure, with the target next to it.

use std::time::{Duration, Instant};

use jurigged_deftree::Parser;
use jurigged_diff::{apply, diff};

/// Runs `work` in batches for about `budget`; returns the median time of one call.
fn median_time(budget: Duration, mut work: impl FnMut()) -> Duration {
    work();
    let start = Instant::now();
    let mut samples = Vec::new();
    while start.elapsed() < budget || samples.len() < 5 {
        let t = Instant::now();
        work();
        samples.push(t.elapsed());
    }
    samples.sort();
    samples[samples.len() / 2]
}

/// A module of about `lines` lines: classes of methods and plain functions.
fn synthetic_module(lines: usize, changed: Option<usize>) -> String {
    let mut out = String::from("import math\nimport os\n\nCONSTANT = 3\n\n");
    let mut index = 0;
    while out.lines().count() < lines {
        if index % 5 == 0 {
            out.push_str(&format!("\nclass Shape{index}:\n    \"\"\"A shape.\"\"\"\n\n    sides = {index}\n\n"));
            for m in 0..4 {
                out.push_str(&format!(
                    "    def method{m}(self, x, y=2):\n        # Scale by the constant.\n        total = x * y + self.sides\n        for i in range(3):\n            total += math.sqrt(i + {m})\n        return total * CONSTANT\n\n"
                ));
            }
        } else {
            let body = if changed == Some(index) { "return value - 1" } else { "return value + 1" };
            out.push_str(&format!(
                "\ndef function{index}(a, b, *args, key=None, **kwargs):\n    value = a + b\n    if key is not None:\n        value += len(args)\n    {body}\n\n"
            ));
        }
        index += 1;
    }
    out
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let parser = Parser::new().module("bench");

    println!("tree building (target: >= 1,000,000 lines/s; jurigged 0.6.1: about 45,000 lines/s)");
    let mut total_lines = 0usize;
    let mut total_time = Duration::ZERO;
    for path in &files {
        let source = std::fs::read_to_string(path).expect("readable source");
        let lines = source.lines().count();
        let time = median_time(Duration::from_millis(300), || {
            std::hint::black_box(parser.parse(&source).expect("stdlib parses"));
        });
        total_lines += lines;
        total_time += time;
        let name = std::path::Path::new(path).file_name().unwrap().to_string_lossy();
        println!(
            "  {name:<28} {lines:>6} lines  {:>7.3} ms  {:>10.0} lines/s",
            ms(time),
            lines as f64 / time.as_secs_f64()
        );
    }
    if total_lines > 0 {
        println!(
            "  {:<28} {total_lines:>6} lines  {:>7.3} ms  {:>10.0} lines/s",
            "all",
            ms(total_time),
            total_lines as f64 / total_time.as_secs_f64()
        );
    }

    println!("diff + apply, 20,000-line module, one function changed (target: <= 5 ms)");
    let old_source = synthetic_module(20_000, None);
    let new_source = synthetic_module(20_000, Some(1001));
    assert_ne!(old_source, new_source);
    let old = parser.parse(&old_source).unwrap();
    let new = parser.parse(&new_source).unwrap();
    let script = diff(&old, &new);
    assert_eq!(
        script.edits().len(),
        1,
        "one function changed: {:?}",
        script.edits().iter().map(|e| e.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(apply(&old, &script).unwrap().reconstruct(), new_source);
    let diff_only = median_time(Duration::from_millis(500), || {
        std::hint::black_box(diff(&old, &new));
    });
    let both = median_time(Duration::from_millis(500), || {
        let script = diff(&old, &new);
        std::hint::black_box(apply(&old, &script).unwrap());
    });
    let lines = old_source.lines().count();
    println!("  {lines} lines: diff {:.3} ms, diff + apply {:.3} ms", ms(diff_only), ms(both));
    let shifted_source = format!("# a new first line\n{new_source}");
    let shifted = parser.parse(&shifted_source).unwrap();
    let shift_time = median_time(Duration::from_millis(500), || {
        let script = diff(&old, &shifted);
        std::hint::black_box(apply(&old, &script).unwrap());
    });
    println!(
        "  {lines} lines, a line inserted at the top (every function shifts): diff + apply {:.3} ms",
        ms(shift_time)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
