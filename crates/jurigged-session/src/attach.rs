//! `jurigged attach PID` and `jurigged detach PID`: live updates for a Python
//! that was not started under jurigged.
//!
//! Python 3.14's safe external debugger interface (PEP 768) runs a script in
//! another Python process at its next safe point: `sys.remote_exec(pid, path)`.
//! The call is made by the target's own interpreter binary (its version must
//! match the target's), started here as a short-lived child. The script starts
//! a session in the target through `jurigged._attach` (the target's own jurigged
//! when it has one, else this installation's package, lent through a path entry)
//! and answers through a status file; the target's log lines are also handed to
//! this terminal through a follow file for as long as the command runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use pyo3::prelude::*;

/// The first Python that has `sys.remote_exec`.
const FIRST_VERSION: (u32, u32) = (3, 14);

/// How long the target may take to reach a safe point and start the session.
const ANSWER_DEADLINE: Duration = Duration::from_secs(15);

/// How often the follow file and the target are looked at.
const TICK: Duration = Duration::from_millis(50);

/// Start live updates inside a running Python process (3.14 or later)
#[derive(Debug, Parser)]
#[command(name = "jurigged attach", disable_help_subcommand = true)]
pub struct AttachCli {
    /// The process to attach to
    pub pid: u32,

    /// Wildcard path/directory for which files to watch (repeatable; default: the
    /// target's current directory). Relative paths are taken from here.
    #[arg(short = 'w', long = "watch", value_name = "PATH")]
    pub watch: Vec<String>,

    /// Glob of files or directories not to watch (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Interval to wait for to refresh a modified file, in seconds [default: 0.05]
    #[arg(short = 'd', long, value_name = "DEBOUNCE", value_parser = jurigged_watch::debounce_argument)]
    pub debounce: Option<Duration>,

    /// Poll for changes using the given interval, in seconds
    #[arg(long, value_name = "POLL", value_parser = jurigged_watch::poll_argument)]
    pub poll: Option<Duration>,

    /// Show watched files and changes as they happen (in the target's stderr and here)
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Append every event to PATH in the target, as one JSON object per line
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Return once the session runs, instead of following its output until Ctrl-C
    #[arg(long)]
    pub no_follow: bool,
}

/// Stop the session that `jurigged attach` started in a process
#[derive(Debug, Parser)]
#[command(name = "jurigged detach", disable_help_subcommand = true)]
pub struct DetachCli {
    /// The process to detach from
    pub pid: u32,
}

/// Why an attach or a detach could not be done, in words for the user.
struct Refusal(String);

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal(message)
    }
}

/// Runs `jurigged attach ...` (`words` starts with "attach"); returns the exit status.
pub fn attach_main(py: Python<'_>, words: &[OsString]) -> PyResult<i32> {
    let cli = match AttachCli::try_parse_from(words) {
        Ok(cli) => cli,
        Err(error) => return clap_exit(py, error),
    };
    let result = Target::find(cli.pid).and_then(|target| {
        let options = session_options(&cli);
        let answer = target.remote_run(py, Request::Start(&options))?;
        Ok((target, answer))
    });
    let (target, answer) = match result {
        Ok(found) => found,
        Err(Refusal(message)) => return refuse(py, &message),
    };
    let status = match answer {
        Answer::Started { python, cwd, package, lent_from } => {
            let from = match lent_from {
                Some(path) => format!("this installation's package, lent from {path}"),
                None => format!("its own package, {package}"),
            };
            say(py, &format!("jurigged: attached to pid {} (Python {python}, in {cwd}), using {from}", target.pid))?;
            if cli.no_follow {
                0
            } else {
                say(py, "jurigged: following its output; Ctrl-C stops following (the session keeps running; `jurigged detach PID` stops it)")?;
                follow(py, &target)?
            }
        }
        Answer::Refused(message) => return refuse(py, &message),
        Answer::Stopped => 0,
    };
    Ok(status)
}

/// Runs `jurigged detach PID` (`words` starts with "detach"); returns the exit status.
pub fn detach_main(py: Python<'_>, words: &[OsString]) -> PyResult<i32> {
    let cli = match DetachCli::try_parse_from(words) {
        Ok(cli) => cli,
        Err(error) => return clap_exit(py, error),
    };
    let answer = Target::find(cli.pid).and_then(|target| target.remote_run(py, Request::Stop));
    match answer {
        Ok(Answer::Stopped) => {
            say(py, &format!("jurigged: detached from pid {}: its session stopped", cli.pid))?;
            Ok(0)
        }
        Ok(Answer::Refused(message)) | Err(Refusal(message)) => refuse(py, &message),
        Ok(Answer::Started { .. }) => refuse(py, "the target answered a detach with a start"),
    }
}

/// The options of the session, as `jurigged._attach.start` takes them. Relative
/// watch paths are the user's, taken from here; the defaults are the target's
/// current directory without other people's code, as under `jurigged`.
fn session_options(cli: &AttachCli) -> serde_json::Value {
    let absolute = |pattern: &str| jurigged_watch::absolute_pattern(pattern).to_string_lossy().into_owned();
    let (patterns, excludes): (Vec<String>, Vec<String>) = if cli.watch.is_empty() {
        let mut excludes: Vec<String> = crate::py_watcher::DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
        excludes.extend(cli.exclude.iter().cloned());
        (vec![".".to_string()], excludes)
    } else {
        (cli.watch.iter().map(|w| absolute(w)).collect(), cli.exclude.clone())
    };
    serde_json::json!({
        "patterns": patterns,
        "excludes": excludes,
        "debounce": cli.debounce.unwrap_or(jurigged_watch::DEFAULT_DEBOUNCE).as_secs_f64(),
        "poll": cli.poll.map(|p| p.as_secs_f64()),
        "verbose": cli.verbose,
        "events": cli.events.as_deref().map(|p| jurigged_watch::absolute(p).to_string_lossy().into_owned()),
    })
}

/// A running process that may be a Python: its pid, the interpreter binary it
/// runs and that binary's version.
struct Target {
    pid: u32,
    executable: PathBuf,
    /// Where the script, the status and the follow file are, for this target.
    dir: PathBuf,
}

enum Request<'a> {
    Start(&'a serde_json::Value),
    Stop,
}

enum Answer {
    Started { python: String, cwd: String, package: String, lent_from: Option<String> },
    Stopped,
    Refused(String),
}

impl Target {
    /// The process `pid`, if it is a Python that can be attached to.
    fn find(pid: u32) -> Result<Target, Refusal> {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        if !proc.exists() {
            return Err(format!("no process with pid {pid}").into());
        }
        let executable = std::fs::read_link(proc.join("exe")).map_err(|error| {
            format!("cannot read which program pid {pid} runs ({error}): attaching needs the same user as the target, or root")
        })?;
        let name = executable.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some(version) = python_version_of(&name).or_else(|| asked_version(&executable, &name)) else {
            return Err(format!(
                "pid {pid} runs {}, which is not a Python interpreter (python3.X)",
                executable.display()
            )
            .into());
        };
        if version < FIRST_VERSION {
            return Err(format!(
                "pid {pid} runs Python {}.{}; jurigged attach needs the target to run Python {}.{} or later (PEP 768's sys.remote_exec)",
                version.0, version.1, FIRST_VERSION.0, FIRST_VERSION.1
            )
            .into());
        }
        let dir = std::env::temp_dir().join(format!("jurigged-attach-{pid}"));
        make_private_dir(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        Ok(Target { pid, executable, dir })
    }

    fn alive(&self) -> bool {
        Path::new(&format!("/proc/{}", self.pid)).exists()
    }

    fn status_path(&self) -> PathBuf {
        self.dir.join("status.json")
    }

    fn follow_path(&self) -> PathBuf {
        self.dir.join("follow.log")
    }

    /// Has the target run `request`'s script and waits for its answer.
    fn remote_run(&self, py: Python<'_>, request: Request<'_>) -> Result<Answer, Refusal> {
        let status = self.status_path();
        let _ = std::fs::remove_file(&status);
        let script = self.dir.join(format!("request-{}.py", std::process::id()));
        let body = match request {
            Request::Start(options) => {
                // The follow file exists only while someone follows.
                std::fs::write(self.follow_path(), b"").map_err(|e| format!("{}: {e}", self.dir.display()))?;
                let lend = self.lent_package_dir(py)?;
                start_script(options, &status, &self.follow_path(), lend.as_deref())
            }
            Request::Stop => stop_script(&status),
        };
        std::fs::write(&script, body).map_err(|e| format!("cannot write {}: {e}", script.display()))?;
        let asked = self.remote_exec(&script).and_then(|()| {
            say(py, &format!("jurigged: waiting for pid {} to run the request at its next safe point", self.pid))
                .map_err(|e| Refusal(e.to_string()))
        });
        let answer = asked.and_then(|()| self.wait_for_answer(py, &status));
        let _ = std::fs::remove_file(&script);
        answer
    }

    /// `sys.remote_exec(pid, script)` through the target's own interpreter.
    fn remote_exec(&self, script: &Path) -> Result<(), Refusal> {
        let call = format!("import sys; sys.remote_exec({}, {})", self.pid, python_string(&script.to_string_lossy()));
        let output = Command::new(&self.executable)
            .args(["-I", "-c", &call])
            .env_remove("PYTHON_DISABLE_REMOTE_DEBUG")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.executable.display()))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default().trim().to_string();
        Err(explain_remote_exec_failure(self.pid, &last).into())
    }

    /// The status file's answer, once the target wrote it.
    fn wait_for_answer(&self, py: Python<'_>, status: &Path) -> Result<Answer, Refusal> {
        let start = Instant::now();
        loop {
            if let Ok(text) = std::fs::read_to_string(status) {
                let _ = std::fs::remove_file(status);
                return parse_answer(self.pid, &text);
            }
            if !self.alive() {
                return Err(format!("pid {} exited during the attach", self.pid).into());
            }
            if start.elapsed() > ANSWER_DEADLINE {
                return Err(format!(
                    "pid {} did not answer within {} s: it runs the request at its next safe point, and its main thread may be blocked in a long call (a sleep, a read); the request stays queued there",
                    self.pid,
                    ANSWER_DEADLINE.as_secs()
                )
                .into());
            }
            if let Err(error) = py.check_signals() {
                let _ = error;
                return Err("interrupted".to_string().into());
            }
            py.detach(|| std::thread::sleep(TICK));
        }
    }

    /// A directory whose only entry is this installation's `jurigged` package,
    /// for a target that cannot import its own; None when this jurigged has no
    /// package on disk to lend (the standalone binary).
    fn lent_package_dir(&self, py: Python<'_>) -> Result<Option<PathBuf>, Refusal> {
        let package = py
            .import("jurigged")
            .and_then(|m| m.getattr("__file__"))
            .and_then(|f| f.extract::<PathBuf>())
            .ok()
            .and_then(|init| init.parent().map(Path::to_path_buf))
            .filter(|dir| dir.join("_attach.py").is_file());
        let Some(package) = package else { return Ok(None) };
        let lend = self.dir.join("lent");
        let link = lend.join("jurigged");
        let _ = std::fs::create_dir_all(&lend);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&package, &link).map_err(|e| format!("cannot link {}: {e}", link.display()))?;
        Ok(Some(lend))
    }
}

/// Follows the target's log lines until Ctrl-C or its end; returns the exit status.
fn follow(py: Python<'_>, target: &Target) -> PyResult<i32> {
    use std::io::{Read, Seek, SeekFrom};
    let path = target.follow_path();
    let mut offset = 0u64;
    let stderr = py.import("sys")?.getattr("stderr")?;
    loop {
        if let Ok(mut file) = std::fs::File::open(&path) {
            let mut fresh = String::new();
            if file.seek(SeekFrom::Start(offset)).is_ok()
                && file.read_to_string(&mut fresh).is_ok()
                && !fresh.is_empty()
            {
                offset += fresh.len() as u64;
                stderr.call_method1("write", (fresh,))?;
                stderr.call_method0("flush")?;
            }
        }
        if !target.alive() {
            let _ = std::fs::remove_file(&path);
            say(py, &format!("jurigged: pid {} exited", target.pid))?;
            return Ok(0);
        }
        if py.check_signals().is_err() {
            let _ = std::fs::remove_file(&path);
            say(py, &format!("jurigged: stopped following pid {}; its session keeps running", target.pid))?;
            return Ok(0);
        }
        py.detach(|| std::thread::sleep(TICK));
    }
}

/// `(3, 14)` for `python3.14` (or `python3.14t`, `python3.14d`).
fn python_version_of(name: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix("python")?;
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let mut parts = digits.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// The version of an interpreter whose name does not say it (`python3`), asked
/// of the binary itself; never run for a program not named python.
fn asked_version(executable: &Path, name: &str) -> Option<(u32, u32)> {
    if !name.starts_with("python") {
        return None;
    }
    let output = Command::new(executable)
        .args(["-I", "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"])
        .output()
        .ok()?;
    python_version_of(String::from_utf8_lossy(&output.stdout).trim())
}

/// A failed `sys.remote_exec`, from the last line of its traceback.
fn explain_remote_exec_failure(pid: u32, last: &str) -> String {
    let lower = last.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") || lower.contains("errno 1]") {
        format!(
            "not permitted to attach to pid {pid} ({last}): attaching needs the target's user and the right to trace it (CAP_SYS_PTRACE, or /proc/sys/kernel/yama/ptrace_scope set to 0 for same-user processes)"
        )
    } else if lower.contains("remote debugging") && (lower.contains("disabled") || lower.contains("not enabled")) {
        format!(
            "pid {pid} has remote debugging turned off (PYTHON_DISABLE_REMOTE_DEBUG, -X disable_remote_debug, or a Python built --without-remote-debug): it cannot be attached to ({last})"
        )
    } else if lower.contains("no such process") || lower.contains("errno 3]") {
        format!("pid {pid} exited during the attach")
    } else {
        format!("cannot attach to pid {pid}: {last}")
    }
}

/// The answer the target wrote, in the user's words.
fn parse_answer(pid: u32, text: &str) -> Result<Answer, Refusal> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("pid {pid} answered something unreadable ({e})"))?;
    let field = |name: &str| value.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let ok = value.get("ok").and_then(|v| v.as_bool()).unwrap_or(false);
    if ok && value.get("python").is_some() {
        let lent_from = value.get("lent_from").and_then(|v| v.as_str()).map(str::to_string);
        return Ok(Answer::Started {
            python: field("python"),
            cwd: field("cwd"),
            package: field("package"),
            lent_from,
        });
    }
    if ok {
        return Ok(Answer::Stopped);
    }
    let message = match field("reason").as_str() {
        "attached" => {
            let options = value.get("options").map(|o| o.to_string()).unwrap_or_default();
            format!(
                "pid {pid} has a jurigged session already, attached with {options}; `jurigged detach {pid}` stops it"
            )
        }
        "not-attached" => format!("pid {pid} has no session started by jurigged attach"),
        _ => format!("pid {pid} could not start the session: {}", field("error")),
    };
    Ok(Answer::Refused(message))
}

/// The script that starts the session in the target.
fn start_script(options: &serde_json::Value, status: &Path, follow: &Path, lend: Option<&Path>) -> String {
    let options = python_string(&options.to_string());
    let status = python_string(&status.to_string_lossy());
    let follow = python_string(&follow.to_string_lossy());
    let lend = lend.map(|p| python_string(&p.to_string_lossy())).unwrap_or_else(|| "None".to_string());
    format!(
        r#"def _jurigged_attach():
    import json, os, sys
    status = {status}
    lend = {lend}
    try:
        lent_from = None
        try:
            import jurigged._attach as attach
        except ImportError:
            if lend is None:
                raise
            # After the target's own entries: nothing of its own is shadowed.
            sys.path.append(lend)
            import jurigged._attach as attach
            lent_from = lend
        attach.start(json.loads({options}), status, {follow}, lent_from)
    except BaseException as error:
        with open(status + ".partial", "w", encoding="utf-8") as fh:
            json.dump({{"ok": False, "reason": "error", "error": "%s: %s" % (type(error).__name__, error)}}, fh)
        os.replace(status + ".partial", status)
_jurigged_attach()
del _jurigged_attach
"#
    )
}

/// The script that stops the attached session.
fn stop_script(status: &Path) -> String {
    let status = python_string(&status.to_string_lossy());
    format!(
        r#"def _jurigged_detach():
    import json, os, sys
    status = {status}
    try:
        attach = sys.modules.get("jurigged._attach")
        if attach is None:
            with open(status + ".partial", "w", encoding="utf-8") as fh:
                json.dump({{"ok": False, "reason": "not-attached"}}, fh)
            os.replace(status + ".partial", status)
        else:
            attach.stop(status)
    except BaseException as error:
        with open(status + ".partial", "w", encoding="utf-8") as fh:
            json.dump({{"ok": False, "reason": "error", "error": "%s: %s" % (type(error).__name__, error)}}, fh)
        os.replace(status + ".partial", status)
_jurigged_detach()
del _jurigged_detach
"#
    )
}

/// `text` as a Python string literal (a JSON string is one).
fn python_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn make_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

fn say(py: Python<'_>, line: &str) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    stderr.call_method1("write", (format!("{line}\n"),))?;
    stderr.call_method0("flush")?;
    Ok(())
}

fn refuse(py: Python<'_>, message: &str) -> PyResult<i32> {
    say(py, &format!("jurigged: error: {message}"))?;
    Ok(1)
}

fn clap_exit(py: Python<'_>, error: clap::Error) -> PyResult<i32> {
    let stream = if error.use_stderr() { "stderr" } else { "stdout" };
    let out = py.import("sys")?.getattr(stream)?;
    out.call_method1("write", (error.render().to_string(),))?;
    out.call_method0("flush")?;
    Ok(error.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpreter_names_give_their_version() {
        assert_eq!(python_version_of("python3.14"), Some((3, 14)));
        assert_eq!(python_version_of("python3.15t"), Some((3, 15)));
        assert_eq!(python_version_of("python3"), None);
        assert_eq!(python_version_of("sleep"), None);
    }

    #[test]
    fn remote_exec_failures_are_worded_for_the_user() {
        assert!(explain_remote_exec_failure(7, "PermissionError: [Errno 1] Operation not permitted")
            .contains("CAP_SYS_PTRACE"));
        assert!(explain_remote_exec_failure(7, "RuntimeError: Remote debugging is not enabled in the remote process")
            .contains("PYTHON_DISABLE_REMOTE_DEBUG"));
    }
}
