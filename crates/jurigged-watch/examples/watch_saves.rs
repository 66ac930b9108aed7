//! Prints each save of the files given, as jurigged sees them: one line per file
//! per debounced burst, however the editor writes it.
//!
//! ```text
//! cargo run -p jurigged-watch --example watch_saves -- app.py lib.py [--poll SECONDS] [--count N]
//! ```
//!
//! `--count N` exits after N reported saves (otherwise it runs until Ctrl-C).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use jurigged_watch::{poll_argument, Change, Timing, Watcher, DEFAULT_DEBOUNCE};

struct Options {
    files: Vec<PathBuf>,
    poll: Option<Duration>,
    count: Option<usize>,
}

const USAGE: &str = "usage: watch_saves FILE... [--poll SECONDS] [--count N]";

fn parse_args() -> Result<Options, String> {
    let mut options = Options { files: Vec::new(), poll: None, count: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--poll" => {
                let seconds = args.next().ok_or("--poll takes seconds")?;
                options.poll = Some(poll_argument(&seconds).map_err(|e| format!("--poll: {e}"))?);
            }
            "--count" => {
                options.count = Some(args.next().and_then(|s| s.parse().ok()).ok_or("--count takes a number")?)
            }
            _ => options.files.push(PathBuf::from(arg)),
        }
    }
    if options.files.is_empty() {
        return Err("no file to watch".into());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("watch_saves: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let built =
        Timing::new(DEFAULT_DEBOUNCE, options.poll).and_then(|timing| Watcher::builder().timing(timing).build());
    let (watcher, changes) = match built {
        Ok(pair) => pair,
        Err(error) => {
            eprintln!("watch_saves: {error}");
            return ExitCode::FAILURE;
        }
    };
    for file in &options.files {
        if let Err(error) = watcher.add_file(file) {
            eprintln!("watch_saves: {}: {error}", file.display());
            return ExitCode::FAILURE;
        }
    }
    let mut reported = 0;
    for change in changes {
        match change {
            Change::Files(paths) => {
                for path in paths {
                    println!("saved: {}", path.display());
                    reported += 1;
                }
            }
            // Watching goes on after an error (a limit hit, a directory gone).
            Change::Error(error) => eprintln!("watch_saves: {error}"),
        }
        if options.count.is_some_and(|count| reported >= count) {
            break;
        }
    }
    watcher.stop();
    ExitCode::SUCCESS
}
