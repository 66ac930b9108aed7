//! `cargo xtask fuzz TARGET|all [--secs N] [-- LIBFUZZER_ARGS]`: builds a libFuzzer
//! target on the stable toolchain and runs it for a bounded time.
//!
//! This does what `cargo fuzz run` does, without cargo-fuzz and without nightly:
//! the SanitizerCoverage instrumentation libFuzzer feeds on comes from LLVM passes
//! that stable rustc accepts through `-C passes` and `-C llvm-args`. The one thing
//! missing is AddressSanitizer, which needs nightly; the fuzzed crates deny unsafe
//! code, so panics and failed assertions are what there is to find.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::util::{self, Failure};

const HELP: &str = "usage: cargo xtask fuzz TARGET|all [--secs N] [-- LIBFUZZER_ARGS...]

Builds the fuzz target (fuzz/fuzz_targets/TARGET.rs) with libFuzzer's coverage
instrumentation on the stable toolchain, in release mode with debug assertions,
into fuzz/target, then fuzzes it for N seconds.

  TARGET       a target in fuzz/fuzz_targets, or `all` for each in turn
  --secs N     how long to fuzz each target, in seconds (default 60; 0: no limit)
  --verbose    show every line libFuzzer prints (by default the lines about each
               new input are left out, bar one progress line every 10 s)
  -- ARGS      more libFuzzer options, e.g. -- -max_len=512 -only_ascii=1

The working corpus is fuzz/corpus/TARGET (not committed); the committed seeds in
fuzz/seeds/TARGET are read too. fuzz/python.dict is the dictionary. A crash, failed
assertion or timeout is saved under fuzz/artifacts/TARGET/ and makes this command
fail, printing the input and the command that replays it.
";

/// How often a progress line is shown without `--verbose`.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// At most this many lines of a panic message are kept for the report.
const PANIC_LINES: usize = 40;

/// Seconds each target runs when `--secs` is not given.
const DEFAULT_SECS: u64 = 60;

/// Seconds one input may take before libFuzzer calls it a hang. libFuzzer's own
/// default (20 minutes) would let a single slow input outlast any time budget.
const INPUT_TIMEOUT_SECS: u64 = 30;

/// What `cargo fuzz build` passes (cargo-fuzz `src/project.rs`), minus the
/// sanitizer: coverage counters and comparison tracing for libFuzzer, `cfg(fuzzing)`
/// for code that wants to know, and debug assertions in an optimised build.
const RUSTFLAGS: &[&str] = &[
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cllvm-args=-sanitizer-coverage-stack-depth",
    // Keeps distinct branches distinct, so that coverage sees them.
    "-Cllvm-args=-simplifycfg-branch-fold-threshold=0",
    "--cfg",
    "fuzzing",
    "-Clink-dead-code",
    "-Cdebug-assertions",
    // The sancov pass blocks ThinLTO imports across codegen units; one unit keeps
    // small functions inlined (about 3x faster according to cargo-fuzz).
    "-Ccodegen-units=1",
];

struct Options {
    targets: Vec<String>,
    secs: u64,
    verbose: bool,
    libfuzzer_args: Vec<String>,
}

/// How one target's run ended.
struct Outcome {
    target: String,
    crashed: bool,
    stats: Stats,
}

/// Figures read from libFuzzer's output.
#[derive(Default)]
struct Stats {
    runs: Option<u64>,
    exec_per_sec: Option<u64>,
    cov: Option<u64>,
    features: Option<u64>,
    corpus: Option<String>,
    new_units: Option<u64>,
    peak_rss_mb: Option<u64>,
    seconds: f64,
    /// The last panic message the target printed.
    panic: Vec<String>,
}

pub fn run(args: &[String]) -> Result<(), Failure> {
    let root = util::root();
    let fuzz_dir = root.join("fuzz");
    let known = targets(&fuzz_dir)?;
    let Some(options) = parse_args(args, &known)? else {
        print!("{HELP}");
        return Ok(());
    };

    let triple = host_triple()?;
    build(&fuzz_dir, &triple, &options.targets)?;

    let binaries = fuzz_dir.join("target").join(&triple).join("release");
    let mut outcomes = Vec::new();
    for target in &options.targets {
        outcomes.push(fuzz(&root, &binaries.join(target), target, &options)?);
    }

    eprintln!();
    for outcome in &outcomes {
        eprintln!("{}", outcome.summary());
    }
    let crashed: Vec<&str> = outcomes.iter().filter(|o| o.crashed).map(|o| o.target.as_str()).collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("the fuzzer found a failing input for {}", crashed.join(", ")).into())
    }
}

fn parse_args(args: &[String], known: &[String]) -> Result<Option<Options>, Failure> {
    let mut target = None;
    let mut secs = DEFAULT_SECS;
    let mut verbose = false;
    let mut libfuzzer_args = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" | "help" => return Ok(None),
            "-v" | "--verbose" => verbose = true,
            "--secs" => secs = parse_secs(rest.next().ok_or("--secs needs a number of seconds")?)?,
            "--" => {
                libfuzzer_args.extend(rest.by_ref().cloned());
            }
            other if other.starts_with("--secs=") => secs = parse_secs(&other["--secs=".len()..])?,
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other:?}; run `cargo xtask fuzz --help`").into());
            }
            other => {
                if let Some(first) = &target {
                    return Err(format!(
                        "one target at a time (got {first:?} and {other:?}); use `all` for every target"
                    )
                    .into());
                }
                target = Some(other.to_string());
            }
        }
    }
    let list = known.join(", ");
    let targets = match target.as_deref() {
        None => return Err(format!("which target? one of {list}, or all\n\n{HELP}").into()),
        Some("all") => known.to_vec(),
        Some(name) if known.iter().any(|k| k == name) => vec![name.to_string()],
        Some(name) => return Err(format!("no fuzz target {name:?}; the targets are {list}").into()),
    };
    Ok(Some(Options { targets, secs, verbose, libfuzzer_args }))
}

fn parse_secs(value: &str) -> Result<u64, Failure> {
    value.parse().map_err(|_| format!("--secs takes a whole number of seconds, not {value:?}").into())
}

/// The targets, one per `fuzz/fuzz_targets/*.rs`, sorted.
fn targets(fuzz_dir: &Path) -> Result<Vec<String>, Failure> {
    let dir = fuzz_dir.join("fuzz_targets");
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_string()))
        .collect();
    names.sort();
    Ok(names)
}

/// The host's target triple. Building for an explicit `--target` keeps RUSTFLAGS
/// away from build scripts and proc macros, which must not be instrumented.
fn host_triple() -> Result<String, Failure> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(&rustc).arg("-vV").output().map_err(|e| format!("cannot run {rustc}: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
        .ok_or_else(|| format!("`{rustc} -vV` did not say which host it is").into())
}

fn build(fuzz_dir: &Path, triple: &str, targets: &[String]) -> Result<(), Failure> {
    let mut rustflags = RUSTFLAGS.join(" ");
    if let Ok(extra) = std::env::var("RUSTFLAGS") {
        rustflags.push(' ');
        rustflags.push_str(&extra);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut args = vec![
        "build",
        "--manifest-path",
        "Cargo.toml",
        "--release",
        "--config",
        "profile.release.debug=\"line-tables-only\"",
        "--target",
        triple,
        "--target-dir",
        "target",
    ];
    for target in targets {
        args.extend(["--bin", target.as_str()]);
    }
    eprintln!("RUSTFLAGS=\"{rustflags}\"");
    util::run_in(fuzz_dir, &cargo, &args, &[("RUSTFLAGS", &rustflags)])
}

fn fuzz(root: &Path, binary: &Path, target: &str, options: &Options) -> Result<Outcome, Failure> {
    let fuzz_dir = root.join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    let seeds = fuzz_dir.join("seeds").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    for dir in [&corpus, &artifacts] {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }

    // Paths relative to the root, where the fuzzer runs, to keep its report short.
    let shown = |path: &Path| relative(root, path).display().to_string();
    let mut args = vec![
        format!("-artifact_prefix={}/", shown(&artifacts)),
        format!("-max_total_time={}", options.secs),
        format!("-timeout={INPUT_TIMEOUT_SECS}"),
        "-print_final_stats=1".to_string(),
    ];
    let dict = fuzz_dir.join("python.dict");
    if dict.is_file() {
        args.push(format!("-dict={}", shown(&dict)));
    }
    args.extend(options.libfuzzer_args.iter().cloned());
    // libFuzzer writes new inputs to the first directory only; the seeds stay as committed.
    args.push(shown(&corpus));
    if seeds.is_dir() {
        args.push(shown(&seeds));
    }

    eprintln!("\n$ {} {}", shown(binary), args.join(" "));
    let started_at = SystemTime::now();
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(&args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;

    // Echo libFuzzer's report as it comes, keeping the figures for the summary.
    // libFuzzer says so each time the corpus grows, thousands of times a minute at
    // first; unless asked for all of it, one progress line every few seconds will do.
    let mut stats = Stats::default();
    if let Some(stderr) = child.stderr.take() {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        let mut echo = std::io::stderr();
        let mut last_progress = Instant::now();
        let mut in_panic = false;
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&line);
                    // A panic's message runs from `panicked at` to the backtrace.
                    if text.contains(" panicked at ") {
                        in_panic = true;
                        stats.panic.clear();
                    } else if ["stack backtrace:", "note:", "=="].iter().any(|p| text.starts_with(p)) {
                        in_panic = false;
                    }
                    if in_panic && stats.panic.len() < PANIC_LINES {
                        stats.panic.push(text.trim_end().to_string());
                    }
                    let progress = stats.read(&text);
                    let due = progress && last_progress.elapsed() >= PROGRESS_EVERY;
                    if options.verbose || !is_chatter(&text) || due {
                        let _ = echo.write_all(&line);
                        if progress {
                            last_progress = Instant::now();
                        }
                    }
                }
            }
        }
    }
    let status = child.wait().map_err(|e| format!("lost the fuzzer process: {e}"))?;
    stats.seconds = started.elapsed().as_secs_f64();

    let crashed = !status.success();
    if crashed {
        eprintln!("\n{target}: the fuzzer failed ({status})");
        if !stats.panic.is_empty() {
            eprintln!("{}", stats.panic.join("\n"));
        }
        let found = new_files(&artifacts, started_at);
        if found.is_empty() {
            eprintln!("no artifact was written to {}", artifacts.display());
        }
        for artifact in found {
            report_artifact(root, binary, &artifact);
        }
    }
    Ok(Outcome { target: target.to_string(), crashed, stats })
}

fn report_artifact(root: &Path, binary: &Path, artifact: &Path) {
    eprintln!("artifact: {}", relative(root, artifact).display());
    if let Ok(bytes) = fs::read(artifact) {
        const SHOWN: usize = 4096;
        let shown = &bytes[..bytes.len().min(SHOWN)];
        let more =
            if bytes.len() > SHOWN { format!(" (first {SHOWN} of {} bytes)", bytes.len()) } else { String::new() };
        eprintln!("input{more}: {}", python_bytes(shown));
    }
    eprintln!("replay: {} {}", relative(root, binary).display(), relative(root, artifact).display());
}

/// Files in `dir` written since `since`, sorted.
fn new_files(dir: &Path, since: SystemTime) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            entry
                .metadata()
                .ok()
                .filter(|meta| meta.is_file())
                .and_then(|meta| meta.modified().ok())
                .is_some_and(|modified| modified >= since)
        })
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

fn relative<'a>(root: &Path, path: &'a Path) -> &'a Path {
    path.strip_prefix(root).unwrap_or(path)
}

/// `bytes` as a Python bytes literal, to paste into a test or a report.
fn python_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("b'");
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push('\'');
    out
}

impl Stats {
    /// Takes what it can from one line of libFuzzer's output: the progress lines
    /// (`#1234 NEW cov: 567 ft: 890 corp: 12/345b ... exec/s: 678 ...`) and the
    /// final `stat::name: value` lines. Says whether it was a progress line.
    fn read(&mut self, line: &str) -> bool {
        let line = line.trim_end();
        if let Some(stat) = line.strip_prefix("stat::") {
            let Some((name, value)) = stat.split_once(':') else { return false };
            let value = value.trim().parse().ok();
            match name {
                "number_of_executed_units" => self.runs = value.or(self.runs),
                "average_exec_per_sec" => self.exec_per_sec = value.or(self.exec_per_sec),
                "new_units_added" => self.new_units = value,
                "peak_rss_mb" => self.peak_rss_mb = value,
                _ => {}
            }
            return false;
        }
        let Some(progress) = line.strip_prefix('#') else { return false };
        let mut words = progress.split_whitespace();
        let runs = words.next().and_then(|n| n.parse().ok());
        if runs.is_none() {
            return false;
        }
        self.runs = runs;
        while let Some(word) = words.next() {
            let Some(value) = words.clone().next() else {
                break;
            };
            match word {
                "cov:" => self.cov = value.parse().ok(),
                "ft:" => self.features = value.parse().ok(),
                "corp:" => self.corpus = Some(value.to_string()),
                "exec/s:" => self.exec_per_sec = value.parse().ok(),
                _ => continue,
            }
            words.next();
        }
        true
    }
}

/// Whether a line of libFuzzer's output only says that the corpus grew or shrank:
/// `#123 NEW ...`, `#123 REDUCE ...` and the unsymbolised `NEW_FUNC[1/2]: 0x...`
/// that follow.
fn is_chatter(line: &str) -> bool {
    let line = line.trim_start();
    if line.starts_with("NEW_FUNC") {
        return true;
    }
    let mut words = line.split_whitespace();
    let counted = words.next().and_then(|first| first.strip_prefix('#')).is_some_and(|n| n.parse::<u64>().is_ok());
    counted && matches!(words.next(), Some("NEW" | "REDUCE"))
}

impl Outcome {
    fn summary(&self) -> String {
        let s = &self.stats;
        let mut parts = vec![format!("{:.0} s", s.seconds)];
        if let Some(runs) = s.runs {
            parts.push(format!("{runs} runs"));
        }
        if let Some(rate) = s.exec_per_sec {
            parts.push(format!("{rate} exec/s"));
        }
        if let Some(cov) = s.cov {
            parts.push(format!("cov {cov}"));
        }
        if let Some(features) = s.features {
            parts.push(format!("ft {features}"));
        }
        if let Some(corpus) = &s.corpus {
            parts.push(format!("corpus {corpus}"));
        }
        if let Some(new) = s.new_units {
            parts.push(format!("{new} new inputs"));
        }
        if let Some(rss) = s.peak_rss_mb {
            parts.push(format!("peak rss {rss} MB"));
        }
        let verdict = if self.crashed { "FAILED" } else { "ok" };
        format!("fuzz {}: {verdict} ({})", self.target, parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_bytes_escapes_like_python() {
        assert_eq!(python_bytes(b"a'b\\\n\t\xff\x00"), r"b'a\'b\\\n\t\xff\x00'");
    }

    #[test]
    fn stats_come_from_progress_and_final_lines() {
        let mut stats = Stats::default();
        stats.read("#4096\tpulse  cov: 1200 ft: 3400 corp: 85/2100b lim: 43 exec/s: 2048 rss: 80Mb\n");
        stats.read(
            "#5000\tNEW    cov: 1210 ft: 3450 corp: 86/2200b lim: 43 exec/s: 2100 rss: 81Mb L: 9/40 MS: 1 CopyPart-\n",
        );
        stats.read("stat::number_of_executed_units: 123456\n");
        stats.read("stat::average_exec_per_sec:     2057\n");
        stats.read("stat::peak_rss_mb:              90\n");
        assert_eq!(stats.runs, Some(123456));
        assert_eq!(stats.exec_per_sec, Some(2057));
        assert_eq!(stats.cov, Some(1210));
        assert_eq!(stats.features, Some(3450));
        assert_eq!(stats.corpus.as_deref(), Some("86/2200b"));
        assert_eq!(stats.peak_rss_mb, Some(90));
    }

    #[test]
    fn all_means_every_target_and_unknown_targets_are_refused() {
        let known = vec!["a_x".to_string(), "b_y".to_string()];
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let options = parse_args(&args(&["all", "--secs", "5"]), &known).unwrap().unwrap();
        assert_eq!(options.targets, known);
        assert_eq!(options.secs, 5);
        let options = parse_args(&args(&["b_y", "--", "-jobs=2"]), &known).unwrap().unwrap();
        assert_eq!(options.targets, ["b_y"]);
        assert_eq!(options.libfuzzer_args, ["-jobs=2"]);
        assert!(parse_args(&args(&["c_z"]), &known).is_err());
        assert!(parse_args(&args(&["a_x", "--secs", "soon"]), &known).is_err());
        assert!(parse_args(&args(&["--help"]), &known).unwrap().is_none());
    }

    #[test]
    fn corpus_growth_is_chatter_and_the_rest_is_not() {
        assert!(is_chatter("#5000\tNEW    cov: 1210 ft: 3450 corp: 86/2200b exec/s: 2100\n"));
        assert!(is_chatter("#6000\tREDUCE cov: 1210 ft: 3450 corp: 86/2100b exec/s: 2100\n"));
        assert!(is_chatter("\tNEW_FUNC[1/2]: 0x558b89d70651\n"));
        assert!(!is_chatter("#4096\tpulse  cov: 1200 ft: 3400 corp: 85/2100b exec/s: 2048\n"));
        assert!(!is_chatter("#10\tINITED cov: 900 ft: 1000 corp: 9/1000b exec/s: 0\n"));
        assert!(!is_chatter("==123== ERROR: libFuzzer: deadly signal\n"));
    }
}
