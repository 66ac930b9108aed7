//! `cargo xtask bench [--quick]`: jurigged-rs against jurigged 0.6.1 (the Python
//! original), measured in the same run, alternating them, printed as one table
//! with the targets of the project; `cargo xtask bench deftree`: the Rust-level
//! tree building and diff figures.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::python;
use crate::util::{self, python_files, Failure};

const HELP: &str = "usage: cargo xtask bench [--quick] [--only NAME,...]
       cargo xtask bench deftree

Measures jurigged-rs (\"ours\") against jurigged 0.6.1 (\"original\") in one run,
alternating the two run by run, and prints one table: ours and the original as
median (min-max) n=runs, the ratio original/ours, and the target with PASS/MISS.

Setup (under target/bench/, reused): target/bench/original, a venv with
`pip install jurigged==0.6.1` (made if absent); target/bench/ours, a venv with
the release wheel of crates/jurigged-py (rebuilt and reinstalled every time).
Both run `<venv>/bin/python -m jurigged -d DEBOUNCE script.py` on python3.
The drivers are bench/*.py; they write their programs to temporary directories.

measures (NAME for --only):
  latency   save-to-new-behaviour: a program calls f() of a watched module every
            0.2 ms and prints when the value changes; time from just before the
            write to that line. Modules of 70, 2,000 and 20,000 lines; in-place
            writes and atomic renames; body edits and edits inserting lines at
            the top (timed until the last function's line number moved too);
            debounce 1 ms and 50 ms (the default)
  startup   a trivial script and one importing many stdlib modules, overhead
            over plain python; and plain python with our wheel installed
            (its hook for child processes) over the same python without it
  memory    peak RSS (VmHWM) with 200 watched modules of 500 lines imported,
            idle and after editing each once, over plain python
  objects   patch latency with 0, 1M and 5M live objects (lists, dicts and
            closures of the watched module), checking every closure updated
  instances a save that makes a class again (a base gained or lost) with 1M live
            instances: migrated to the new class, or kept in place
  trees     tree building and applying a save on the largest stdlib files,
            through jurigged.CodeFile in each tool
  merge     CodeFile.merge() of a one-function change in large stdlib files
            (typing, argparse, inspect, tkinter, _pydecimal), their module
            imported: median of the per-file medians

targets: latency on 70 lines <= debounce + 3 ms; 2,000 lines >= 20x faster
than the original; 20,000 lines >= 50x; line-shifting edits at 20,000 lines
>= 200x; startup overhead <= 15 ms (trivial script); the wheel installed
costs a program with no session <= 3 ms; memory after editing 200
modules <= 40 MiB over python; patch latency at 5M objects <= 2x that at 0,
with every closure updated; a class made again with 1M live instances
<= 2 s, every instance following; a one-function merge() in a large
stdlib file >= 10x faster than the original. At the 50 ms default debounce a ratio target is
judged on the time beyond the debounce (both tools wait it out).

--quick      fewer sizes, configurations and repetitions (a couple of minutes)
--only       run only these measures, e.g. --only latency,startup

The table is also saved to target/bench/last-table.txt. Missed targets are
reported as MISS; the exit status is non-zero only when the harness failed:
a driver crashed, or ours crashed or timed out in a measurement.

deftree      the Rust-level figures (cargo bench -p jurigged-diff --bench deftree)";

const MEASURES: [&str; 7] = ["latency", "startup", "memory", "objects", "instances", "trees", "merge"];

pub fn run(args: &[String]) -> Result<(), Failure> {
    let mut quick = false;
    let mut only: Option<Vec<String>> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "deftree" if args.len() == 1 => return deftree(),
            "-h" | "--help" => {
                println!("{HELP}");
                return Ok(());
            }
            "--quick" => quick = true,
            "--only" => {
                let names = iter.next().ok_or(format!("--only needs names\n\n{HELP}"))?;
                only = Some(names.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
            }
            other => return Err(format!("unknown argument {other:?}\n\n{HELP}").into()),
        }
    }
    let selected: Vec<&str> = match &only {
        None => MEASURES.to_vec(),
        Some(names) => {
            if let Some(bad) = names.iter().find(|n| !MEASURES.contains(&n.as_str())) {
                return Err(format!("unknown measure {bad:?} (one of {})", MEASURES.join(", ")).into());
            }
            MEASURES.iter().copied().filter(|m| names.iter().any(|n| n == m)).collect()
        }
    };
    compare(quick, &selected)
}

/// Sets up both tools, runs the drivers and prints the table.
fn compare(quick: bool, measures: &[&str]) -> Result<(), Failure> {
    let root = util::root();
    let bench_dir = root.join("target/bench");
    std::fs::create_dir_all(&bench_dir).map_err(|e| format!("{}: {e}", bench_dir.display()))?;
    let main_python = crate::venvs::ensure_venv("python3", &root.join(".venv"))?;
    let original = ensure_original(&bench_dir.join("original"))?;
    let ours = crate::venvs::ensure_plain_venv("python3", &bench_dir.join("ours"))?;
    let wheel = python::build_wheel_into(&main_python, true, &bench_dir.join("wheels"))?;
    python::install_wheel(&ours, &wheel)?;

    let mut report = Report::default();
    for measure in measures {
        let script = root.join("bench").join(format!("{measure}.py"));
        eprintln!("== bench: {measure}");
        let mut args: Vec<String> = vec![
            script.to_string_lossy().into_owned(),
            "--ours".into(),
            ours.to_string_lossy().into_owned(),
            "--original".into(),
            original.to_string_lossy().into_owned(),
        ];
        if quick {
            args.push("--quick".into());
        }
        let mut child = Command::new("python3")
            .args(&args)
            .current_dir(root.join("bench"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading bench/{measure}.py: {e}"))?;
            match serde_json::from_str::<Record>(&line) {
                Ok(record) => report.add(record),
                Err(_) => eprintln!("{line}"),
            }
        }
        let status = child.wait().map_err(|e| e.to_string())?;
        if !status.success() {
            report.harness.push(format!("bench/{measure}.py failed ({status})"));
        }
    }

    let text = report.render(&header(quick));
    println!("\n{text}");
    let saved = bench_dir.join("last-table.txt");
    std::fs::write(&saved, &text).map_err(|e| format!("{}: {e}", saved.display()))?;
    eprintln!("(saved to {})", saved.display());
    if report.harness_failures().is_empty() {
        Ok(())
    } else {
        Err("the benchmark harness failed (see above)".into())
    }
}

/// The venv with jurigged 0.6.1, created and filled if needed; returns its python.
fn ensure_original(venv: &Path) -> Result<PathBuf, Failure> {
    let venv_python = crate::venvs::ensure_plain_venv("python3", venv)?;
    let installed = Command::new(&venv_python)
        .args(["-c", "import importlib.metadata as m, sys; sys.exit(m.version('jurigged') != '0.6.1')"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        util::run(
            &venv_python.to_string_lossy(),
            &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "jurigged==0.6.1"],
        )?;
    }
    Ok(venv_python)
}

/// A line saying what was measured where.
fn header(quick: bool) -> String {
    let capture = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .current_dir(util::root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = capture("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = !capture("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let python = capture("python3", &["-c", "import platform; print(platform.python_version())"]);
    let date = capture("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!(
        "cargo xtask bench{}: jurigged-rs {commit}{} vs jurigged 0.6.1, python {python}, {cpus} CPUs, load {load}, {date}",
        if quick { " --quick" } else { "" },
        if dirty { " (uncommitted changes)" } else { "" },
    )
}

/// One line a driver prints (bench/common.py describes them): a note, a
/// harness failure, a row of the table, or one tool's figures on a row.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Record {
    note: Option<String>,
    fatal: Option<String>,
    row: Option<String>,
    tool: Option<String>,
    label: Option<String>,
    unit: Option<String>,
    target: Option<Target>,
    /// `null` where the driver had no number (NaN or infinity): skipped.
    samples: Vec<Option<f64>>,
    errors: Vec<String>,
    problems: Vec<String>,
    timeouts: Option<u64>,
    ok: Option<bool>,
    status: Option<String>,
    limit_ms: Option<f64>,
}

/// What a row is judged against (`kind`: "le", "ratio_ge" or "rel_le").
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Target {
    kind: String,
    value: Option<f64>,
    text: String,
    /// For "rel_le": the row whose median ours is compared with.
    row: Option<String>,
    /// For "ratio_ge": the debounce both tools wait out, taken off both medians.
    minus: Option<f64>,
}

/// One row of the table, as announced by a driver.
struct Row {
    id: String,
    label: String,
    unit: String,
    target: Option<Target>,
}

/// One tool's figures on one row, merged over the driver's records.
#[derive(Default)]
struct Figures {
    samples: Vec<f64>,
    errors: Vec<String>,
    timeouts: u64,
    ok: Option<bool>,
    problems: Vec<String>,
    status: Option<String>,
    limit_ms: Option<f64>,
}

impl Figures {
    fn median(&self) -> Option<f64> {
        median(&self.samples)
    }
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    figures: HashMap<(String, String), Figures>,
    notes: Vec<String>,
    harness: Vec<String>,
}

impl Report {
    fn add(&mut self, record: Record) {
        if let Some(note) = record.note {
            self.notes.push(note);
            return;
        }
        if let Some(fatal) = record.fatal {
            self.harness.push(fatal);
            return;
        }
        let Some(id) = record.row else { return };
        let Some(tool) = record.tool else {
            if !self.rows.iter().any(|r| r.id == id) {
                self.rows.push(Row {
                    label: record.label.unwrap_or_else(|| id.clone()),
                    unit: record.unit.unwrap_or_default(),
                    target: record.target,
                    id,
                });
            }
            return;
        };
        let figures = self.figures.entry((id, tool)).or_default();
        figures.samples.extend(record.samples.into_iter().flatten());
        figures.errors.extend(record.errors);
        figures.problems.extend(record.problems);
        figures.timeouts += record.timeouts.unwrap_or(0);
        if let Some(ok) = record.ok {
            figures.ok = Some(figures.ok.unwrap_or(true) && ok);
        }
        if let Some(status) = record.status {
            figures.status = Some(status);
        }
        if let Some(limit) = record.limit_ms {
            figures.limit_ms = Some(figures.limit_ms.map_or(limit, |l: f64| l.max(limit)));
        }
    }

    fn get(&self, id: &str, tool: &str) -> Option<&Figures> {
        self.figures.get(&(id.to_string(), tool.to_string()))
    }

    /// Failures of the harness: drivers that failed, and ours crashing or timing out.
    fn harness_failures(&self) -> Vec<String> {
        let mut out = self.harness.clone();
        for row in &self.rows {
            if let Some(ours) = self.get(&row.id, "ours") {
                out.extend(ours.errors.iter().map(|e| format!("ours: {e}")));
            } else {
                out.push(format!("ours: no figures for {}", row.label));
            }
        }
        dedup(out)
    }

    fn render(&self, header: &str) -> String {
        let mut lines: Vec<[String; 6]> =
            vec![["measure", "ours", "original", "orig/ours", "target", "result"].map(String::from)];
        let mut verdicts = (0, 0);
        for row in &self.rows {
            let ours = self.get(&row.id, "ours");
            let original = self.get(&row.id, "original");
            let (ratio, ratio_text) = ratio(ours, original);
            let (target, verdict) = self.verdict(row, ours, ratio);
            match verdict.split_whitespace().next() {
                Some("PASS") => verdicts.0 += 1,
                Some("MISS") | Some("FAIL") => verdicts.1 += 1,
                _ => {}
            }
            lines.push([
                row.label.clone(),
                cell(ours, &row.unit),
                cell(original, &row.unit),
                ratio_text,
                target,
                verdict,
            ]);
        }
        let widths: Vec<usize> =
            (0..6).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
        let mut out = format!("{header}\n\n");
        for (i, line) in lines.iter().enumerate() {
            let cells: Vec<String> = line
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(c, (text, width))| {
                    let pad = width - text.chars().count();
                    if (1..=3).contains(&c) {
                        format!("{}{text}", " ".repeat(pad))
                    } else {
                        format!("{text}{}", " ".repeat(pad))
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if i == 0 {
                let total = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out.push_str(&format!("\ntargets: {} PASS, {} MISS\n", verdicts.0, verdicts.1));
        if !self.notes.is_empty() {
            out.push_str("\nnotes:\n");
            for note in dedup(self.notes.clone()) {
                out.push_str(&format!("  - {note}\n"));
            }
        }
        for tool in ["ours", "original"] {
            let mut found = Vec::new();
            for row in &self.rows {
                if let Some(figures) = self.get(&row.id, tool) {
                    found.extend(figures.problems.iter().cloned());
                    if tool == "original" {
                        found.extend(figures.errors.iter().cloned());
                    }
                }
            }
            let found = condense(dedup(found));
            if !found.is_empty() {
                out.push_str(&format!("\n{tool}: problems seen\n"));
                for problem in found {
                    out.push_str(&format!("  - {problem}\n"));
                }
            }
        }
        let failures = self.harness_failures();
        if !failures.is_empty() {
            out.push_str("\nHARNESS FAILURES\n");
            for failure in failures {
                out.push_str(&format!("  - {}\n", failure.replace('\n', "\n    ")));
            }
        }
        out
    }

    /// The target's text and PASS / MISS (with what was measured against it).
    fn verdict(&self, row: &Row, ours: Option<&Figures>, ratio: Option<Ratio>) -> (String, String) {
        let Some(target) = &row.target else { return (String::new(), String::new()) };
        let text = target.text.clone();
        let bound = target.value.unwrap_or(f64::NAN);
        let Some(median) = ours.and_then(Figures::median) else { return (text, "FAIL (no figures)".into()) };
        let flagged = ours.and_then(|f| f.ok) == Some(false);
        let pass_or_miss = |pass: bool| if pass && !flagged { "PASS" } else { "MISS" };
        let verdict = match target.kind.as_str() {
            "le" => pass_or_miss(median <= bound).to_string(),
            "ratio_ge" if target.minus.is_some() => {
                // Judged on the time beyond the debounce both tools wait out.
                let minus = target.minus.unwrap_or(0.0);
                let theirs = self.get(&row.id, "original").and_then(Figures::median);
                match (theirs, ratio) {
                    (Some(theirs), _) if median > minus => {
                        let r = (theirs - minus) / (median - minus);
                        format!("{} ({}x beyond d)", pass_or_miss(r >= bound), short(r))
                    }
                    (Some(_), _) => format!("{} (within the debounce)", pass_or_miss(true)),
                    (None, Some(Ratio::NoReaction)) => "n/a (original: no reaction)".to_string(),
                    (None, Some(Ratio::AtLeast(r))) if r >= bound => pass_or_miss(true).to_string(),
                    (None, _) => "n/a (no original figures)".to_string(),
                }
            }
            "ratio_ge" => match ratio {
                Some(Ratio::Exact(r)) => pass_or_miss(r >= bound).to_string(),
                Some(Ratio::AtLeast(r)) if r >= bound => pass_or_miss(true).to_string(),
                Some(Ratio::AtLeast(_)) => "n/a (original timed out)".to_string(),
                Some(Ratio::NoReaction) => "n/a (original: no reaction)".to_string(),
                None => "n/a (no original figures)".to_string(),
            },
            "rel_le" => {
                let reference = target.row.as_deref().and_then(|id| self.get(id, "ours")).and_then(Figures::median);
                match reference {
                    Some(reference) => {
                        let factor = median / reference;
                        format!("{} ({factor:.1}x)", pass_or_miss(median <= bound * reference))
                    }
                    None => "n/a (no reference)".to_string(),
                }
            }
            _ => String::new(),
        };
        let verdict =
            if flagged && verdict.starts_with("MISS") { format!("{verdict} (see problems)") } else { verdict };
        (text, verdict)
    }
}

#[derive(Clone, Copy)]
enum Ratio {
    Exact(f64),
    AtLeast(f64),
    NoReaction,
}

/// original / ours, and its text.
fn ratio(ours: Option<&Figures>, original: Option<&Figures>) -> (Option<Ratio>, String) {
    let (Some(ours), Some(original)) = (ours, original) else { return (None, String::new()) };
    let Some(mine) = ours.median() else { return (None, String::new()) };
    if let Some(theirs) = original.median() {
        if mine > 0.0 && theirs > 0.0 {
            let r = theirs / mine;
            return (Some(Ratio::Exact(r)), format!("{}x", short(r)));
        }
        return (None, String::new());
    }
    match (original.status.as_deref(), original.limit_ms) {
        (Some("no reaction"), _) => (Some(Ratio::NoReaction), "n/a".into()),
        (Some("timeout"), Some(limit)) if mine > 0.0 => {
            let r = limit / mine;
            (Some(Ratio::AtLeast(r)), format!("> {}x", short(r)))
        }
        _ => (None, String::new()),
    }
}

/// A figure with 3 significant digits or so.
fn short(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// "median (min–max) unit n=N", or why there is none.
fn cell(figures: Option<&Figures>, unit: &str) -> String {
    let Some(figures) = figures else { return String::new() };
    let Some(median) = figures.median() else {
        return match figures.status.as_deref() {
            Some("timeout") => match figures.limit_ms {
                Some(limit) => format!("timeout (> {:.0} s)", limit / 1e3),
                None => "timeout".into(),
            },
            Some(other) => other.to_string(),
            None => "failed".into(),
        };
    };
    let (scale, unit) = if unit == "ms" && median.abs() >= 10_000.0 { (1e-3, "s") } else { (1.0, unit) };
    let min = figures.samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = figures.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut text = if figures.samples.len() > 1 {
        format!("{} ({}–{}) {unit}", short(median * scale), short(min * scale), short(max * scale))
    } else {
        format!("{} {unit}", short(median * scale))
    };
    text.push_str(&format!(" n={}", figures.samples.len()));
    if figures.timeouts > 0 {
        text.push_str(&format!(" +{} timeout", figures.timeouts));
    }
    text
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    Some(if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 })
}

/// `items` without repeats, in their first order.
fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|i| seen.insert(i.clone())).collect()
}

/// At most 4 items per label prefix ("label: ..."), with a count of the rest.
fn condense(items: Vec<String>) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut hidden: Vec<(String, usize)> = Vec::new();
    for item in items {
        let key = item.split(": ").next().unwrap_or("").to_string();
        let count = counts.entry(key.clone()).or_default();
        *count += 1;
        if *count <= 4 {
            out.push(item);
        } else if let Some(entry) = hidden.iter_mut().find(|(k, _)| *k == key) {
            entry.1 += 1;
        } else {
            hidden.push((key, 1));
        }
    }
    out.extend(hidden.into_iter().map(|(key, n)| format!("{key}: ... and {n} more")));
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lines: &[&str]) -> Report {
        let mut report = Report::default();
        for line in lines {
            report.add(serde_json::from_str(line).unwrap());
        }
        report
    }

    #[test]
    fn table_with_targets() {
        let r = report(&[
            r#"{"row": "a", "label": "latency 70", "unit": "ms", "target": {"kind": "le", "value": 4, "text": "<= 4 ms"}}"#,
            r#"{"row": "a", "tool": "ours", "samples": [3, 2, 5], "errors": [], "timeouts": 0, "ok": null}"#,
            r#"{"row": "a", "tool": "original", "samples": [30], "errors": [], "timeouts": 0, "ok": null}"#,
            r#"{"row": "b", "label": "latency 2000", "unit": "ms", "target": {"kind": "ratio_ge", "value": 20, "text": ">= 20x"}}"#,
            r#"{"row": "b", "tool": "ours", "samples": [10], "errors": [], "timeouts": 0, "ok": null}"#,
            r#"{"row": "b", "tool": "original", "samples": [], "errors": ["t"], "timeouts": 1, "ok": null, "status": "timeout", "limit_ms": 60000}"#,
            r#"{"row": "c", "label": "objects 5M", "unit": "ms", "target": {"kind": "rel_le", "row": "a", "value": 2, "text": "<= 2x"}}"#,
            r#"{"row": "c", "tool": "ours", "samples": [9], "errors": [], "timeouts": 0, "ok": false, "problems": ["c: 3 closures never updated"]}"#,
            r#"{"row": "d", "label": "latency 2000 d=50", "unit": "ms", "target": {"kind": "ratio_ge", "value": 20, "minus": 50, "text": ">= 20x beyond d"}}"#,
            r#"{"row": "d", "tool": "ours", "samples": [54], "errors": [], "timeouts": 0, "ok": null}"#,
            r#"{"row": "d", "tool": "original", "samples": [150], "errors": [], "timeouts": 0, "ok": null}"#,
            r#"{"note": "hello"}"#,
        ]);
        let text = r.render("header");
        assert!(text.contains("3.00 (2.00–5.00) ms n=3"), "{text}");
        assert!(text.contains("10.0x"), "{text}");
        assert!(text.contains("> 6000x"), "{text}");
        assert!(text.contains("MISS (3.0x) (see problems)"), "{text}");
        assert!(text.contains("PASS (25.0x beyond d)"), "{text}");
        assert!(text.contains("targets: 3 PASS, 1 MISS"), "{text}");
        assert!(text.contains("3 closures never updated"));
        assert!(r.harness_failures().is_empty());
    }

    #[test]
    fn null_numbers_are_no_figures() {
        let r = report(&[
            r#"{"row": "a", "label": "x", "unit": "ms", "target": {"kind": "le", "value": 4, "text": "<= 4 ms"}}"#,
            r#"{"row": "a", "tool": "ours", "samples": [null, 3, null], "errors": [], "timeouts": null, "ok": null, "limit_ms": null}"#,
        ]);
        let text = r.render("header");
        assert!(text.contains("3.00 ms n=1"), "{text}");
        assert!(text.contains("PASS"), "{text}");
    }

    #[test]
    fn ours_errors_are_harness_failures() {
        let r = report(&[
            r#"{"row": "a", "label": "x", "unit": "ms", "target": null}"#,
            r#"{"row": "a", "tool": "ours", "samples": [], "errors": ["crashed"], "timeouts": 0, "ok": null, "status": "failed"}"#,
        ]);
        assert_eq!(r.harness_failures(), vec!["ours: crashed".to_string()]);
        assert!(r.render("h").contains("HARNESS FAILURES"));
    }
}
