//! The `jurigged` command line: run a script, a module or a REPL so that it is
//! live-editable. Shared by the console script (`jurigged`, `python -m jurigged`)
//! and the standalone binary.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{CommandFactory, Parser, ValueEnum};
use pyo3::exceptions::{PyKeyboardInterrupt, PySystemExit};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::file_registry::file_registry;

const AFTER_HELP: &str = "\
Examples:
  jurigged app.py --port 8000     run app.py; edit and save any watched file
  jurigged -v -m mypackage        run a module, print every change applied
  jurigged -w src/ --exclude '*/generated/*' app.py
  jurigged                        a live REPL
  jurigged attach PID             live updates in a running Python 3.14+ (attach --help)
  jurigged detach PID             stop what attach started

By default the current directory is watched (without .venv, venv, site-packages,
dist-packages, .tox and .nox). Only files the program imports are watched.";

/// The develoop's interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoopInterface {
    /// Plain lines; works with stdin and breakpoint().
    Basic,
    /// A full-screen terminal view.
    Rich,
}

/// Run a Python script so that it is live-editable.
#[derive(Debug, Parser)]
#[command(
    name = "jurigged",
    after_help = AFTER_HELP,
    disable_help_subcommand = true,
    disable_version_flag = true,
    // Combined short flags (-vw src), values glued to their flag (-d0.1) and the
    // program's own arguments are all clap's: the first word that is not one of
    // ours, or -m MODULE, ends jurigged's options.
    args_override_self = true
)]
pub struct Cli {
    /// Run an interactive session after the program ends (also after it raised)
    #[arg(short = 'i', long)]
    pub interactive: bool,

    /// Wildcard path/directory for which files to watch (repeatable; default: the
    /// current directory)
    #[arg(short = 'w', long = "watch", value_name = "PATH")]
    pub watch: Vec<String>,

    /// Glob of files or directories not to watch (repeatable), e.g. .venv or '*/tests/*'
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Interval to wait for to refresh a modified file, in seconds
    #[arg(short = 'd', long, value_name = "DEBOUNCE", value_parser = parse_debounce,
          default_value_t = Seconds(jurigged_watch::DEFAULT_DEBOUNCE))]
    pub debounce: Seconds,

    /// Poll for changes using the given interval, in seconds, instead of the
    /// system's file notifications
    #[arg(long, value_name = "POLL", value_parser = parse_poll)]
    pub poll: Option<Seconds>,

    /// Module or module:function to run; the words after it are its arguments
    #[arg(short = 'm', value_name = "MODULE", num_args = 1.., allow_hyphen_values = true)]
    pub module: Vec<OsString>,

    /// Inject jurigged.loop.__ in builtins
    #[arg(long)]
    pub dev: bool,

    /// Loop over a function: NAME, module:NAME or /module/qual/path (repeatable)
    #[arg(short = 'l', long = "loop", value_name = "NAME")]
    pub loop_on: Vec<String>,

    /// Interface of the develoop [default: rich on a terminal, basic otherwise]
    #[arg(long, value_enum, value_name = "INTERFACE")]
    pub loop_interface: Option<LoopInterface>,

    /// Loop over a function only when it raises (repeatable)
    #[arg(short = 'x', long = "xloop", value_name = "NAME")]
    pub xloop_on: Vec<String>,

    /// Show watched files and changes as they happen (a save touching many
    /// definitions is summed up in one line)
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// After a save with an edit that cannot take full effect (a running or
    /// pending statement, a running function, a class made again, a deleted
    /// function still called), execute the program again: same interpreter,
    /// arguments, environment and directory, same pid
    #[arg(long = "restart-on-rude-edit")]
    pub restart_on_rude_edit: bool,

    /// Do not run again an unchanged assignment (`table = build()`) whose value
    /// reads a function the save changed
    #[arg(long = "no-rerun-dependents")]
    pub no_rerun_dependents: bool,

    /// Append every event to PATH as one JSON object per line ('-': stderr)
    #[arg(long, value_name = "PATH")]
    pub events: Option<PathBuf>,

    /// Every Python the program starts joins the session, not only multiprocessing's
    #[arg(long)]
    pub children: bool,

    /// Print the version
    #[arg(long)]
    pub version: bool,

    /// Path to the script to run, then the script's arguments
    #[arg(value_name = "SCRIPT", num_args = 1.., trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// A number of seconds on the command line, checked by the watcher's rules
/// (`jurigged_watch::Timing`): a value no timer can hold is a usage error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

fn parse_debounce(text: &str) -> Result<Seconds, String> {
    jurigged_watch::debounce_argument(text).map(Seconds)
}

fn parse_poll(text: &str) -> Result<Seconds, String> {
    jurigged_watch::poll_argument(text).map(Seconds)
}

/// What to run: `-m MODULE ARGS...`, `SCRIPT ARGS...` or nothing (a REPL).
#[derive(Debug, PartialEq, Eq)]
struct Program {
    module: Option<OsString>,
    script: Option<PathBuf>,
    args: Vec<OsString>,
}

impl Cli {
    fn program(&self) -> Program {
        match (self.module.split_first(), self.command.split_first()) {
            // `-mpkg a`: clap ends the option's values at a glued value; the
            // words after it are the module's arguments all the same.
            (Some((module, args)), _) => Program {
                module: Some(module.clone()),
                script: None,
                args: args.iter().chain(&self.command).cloned().collect(),
            },
            (None, Some((script, args))) => {
                Program { module: None, script: Some(PathBuf::from(script)), args: args.to_vec() }
            }
            (None, None) => Program { module: None, script: None, args: Vec::new() },
        }
    }
}

/// What the command line needs of the develoop (`--loop`, `--xloop`), which
/// lives in a crate above this one.
pub trait Loops {
    /// Wraps the functions named by `--loop` (`loops`) and `--xloop` (`xloops`)
    /// as they are defined; `interface` is "basic" or "rich" when given.
    fn attach(&self, py: Python<'_>, loops: &[String], xloops: &[String], interface: Option<String>) -> PyResult<()>;
    /// Stops wrapping functions as they are defined.
    fn detach(&self, py: Python<'_>) -> PyResult<()>;
}

/// Runs the command line `argv` (its first word, the program name, is
/// ignored); returns the exit status.
pub fn main(py: Python<'_>, argv: Vec<OsString>, loops: &dyn Loops) -> PyResult<i32> {
    let mut words = vec![OsString::from("jurigged")];
    words.extend(argv.get(1..).unwrap_or_default().iter().cloned());
    match words.get(1).and_then(|word| word.to_str()) {
        Some("attach") => return crate::attach::attach_main(py, &words[1..]),
        Some("detach") => return crate::attach::detach_main(py, &words[1..]),
        _ => {}
    }
    let cli = match Cli::try_parse_from(&words) {
        Ok(cli) => cli,
        Err(error) => {
            let code = error.exit_code();
            let stream = if error.use_stderr() { "stderr" } else { "stdout" };
            let out = py.import("sys")?.getattr(stream)?;
            let rendered = error.render();
            let text =
                if crate::py_logger::use_colour(&out) { rendered.ansi().to_string() } else { rendered.to_string() };
            out.call_method1("write", (text,))?;
            out.call_method0("flush")?;
            return Ok(code);
        }
    };
    if cli.version {
        py.import("sys")?.getattr("stdout")?.call_method1("write", (format!("{}\n", version_line(py)?),))?;
        return Ok(0);
    }
    run(py, cli, loops)
}

/// `jurigged 0.7.0 (jurigged-rs, CPython 3.11.7)`: the distribution's version
/// (above the original's, which dependents pin against), what it is, and the
/// interpreter it runs on.
fn version_line(py: Python<'_>) -> PyResult<String> {
    let platform = py.import("platform")?;
    let implementation: String = platform.call_method0("python_implementation")?.extract()?;
    let python: String = platform.call_method0("python_version")?.extract()?;
    Ok(format!("jurigged {} (jurigged-rs, {implementation} {python})", env!("CARGO_PKG_VERSION")))
}

/// Runs the parsed command line.
fn run(py: Python<'_>, cli: Cli, loops: &dyn Loops) -> PyResult<i32> {
    let timing = match jurigged_watch::Timing::new(cli.debounce.0, cli.poll.map(|p| p.0)) {
        Ok(timing) => timing,
        Err(error) => return usage_error(py, &error.to_string()),
    };
    let Program { module, script, args: program_args } = cli.program();

    let events = match cli.events.as_deref().map(crate::py_watcher::open_event_stream).transpose() {
        Ok(events) => events,
        Err(error) => return usage_error(py, &format!("--events: {}", error.value(py))),
    };
    if cli.restart_on_rude_edit {
        crate::restart::enable();
    }
    let script_path = script.as_deref().map(jurigged_watch::absolute);
    let (mut patterns, excludes) = if cli.watch.is_empty() {
        let cwd = std::env::current_dir().unwrap_or_default();
        // The current directory (resolved by the filter, with the OS's bytes),
        // or the script's own when the current directory does not hold it.
        let root = match script_path.as_deref().and_then(Path::parent) {
            Some(directory) if !directory.starts_with(&cwd) => directory.as_os_str().to_string_lossy().into_owned(),
            _ => ".".to_string(),
        };
        let mut excludes: Vec<String> = crate::py_watcher::DEFAULT_EXCLUDES.iter().map(|s| s.to_string()).collect();
        excludes.extend(cli.exclude.iter().cloned());
        (vec![root], excludes)
    } else {
        (cli.watch.clone(), cli.exclude.clone())
    };
    if let Some(script) = &script_path {
        // The script is always watched, wherever it is and whatever -w says.
        patterns.push(script.as_os_str().to_string_lossy().into_owned());
        if cli.verbose {
            // The modules it imports from its own directory that no pattern
            // covers are named as they are imported: edits to them do nothing.
            if let Some(directory) = script.parent() {
                crate::py_sniffer::name_unwatched_under(directory);
            }
        }
    }
    let watcher = crate::py_watcher::start_watching(
        py,
        crate::py_watcher::WatchOptions {
            patterns,
            excludes,
            logger: Some(crate::py_logger::logger(py, cli.verbose)?),
            timing,
            autostart: true,
            events,
            children: cli.children,
            rerun_dependents: !cli.no_rerun_dependents,
        },
    )?;

    let main = main_module(py)?;
    if cli.dev {
        // `__` is the Python-level loop decorator (a pure-Python convenience).
        let loop_module = py.import("jurigged.loop")?;
        py.import("builtins")?.setattr("__", loop_module.getattr("__")?)?;
    }
    if !cli.loop_on.is_empty() || !cli.xloop_on.is_empty() {
        let interface = cli.loop_interface.map(|i| match i {
            LoopInterface::Basic => "basic".to_string(),
            LoopInterface::Rich => "rich".to_string(),
        });
        loops.attach(py, &cli.loop_on, &cli.xloop_on, interface)?;
    }
    let status = match (&module, &script) {
        (Some(module), _) => match module.to_str() {
            Some(module) => run_module(py, module, program_args),
            None => return usage_error(py, &format!("-m takes a module name, not {}", module.to_string_lossy())),
        },
        (None, Some(script)) => run_script(py, &main, script, program_args),
        (None, None) => {
            set_argv(py, vec![OsString::new()], None)?;
            interact(py, &main)?;
            Ok(0)
        }
    };
    let status = match status {
        Ok(status) => status,
        Err(error) => report_exit(py, error)?,
    };
    let mut status = status;
    loops.detach(py)?;
    if cli.interactive && (module.is_some() || script.is_some()) {
        let namespace = py.import("sys")?.getattr("modules")?.get_item("__main__")?;
        interact(py, &namespace)?;
        // As `python -i`: leaving the REPL ends the program successfully.
        status = 0;
    }
    watcher.stop()?;
    crate::lifecycle::note_exit_status(status);
    Ok(status)
}

fn usage_error(py: Python<'_>, message: &str) -> PyResult<i32> {
    let mut command = Cli::command();
    let error = command.error(clap::error::ErrorKind::ValueValidation, message);
    py.import("sys")?.getattr("stderr")?.call_method1("write", (error.render().to_string(),))?;
    Ok(2)
}

/// A fresh `__main__` module, installed in `sys.modules`.
fn main_module(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let module = py.import("types")?.getattr("ModuleType")?.call1(("__main__",))?;
    module.setattr("__builtins__", py.import("builtins")?)?;
    module.setattr("__spec__", py.None())?;
    module.setattr("__loader__", py.None())?;
    py.import("sys")?.getattr("modules")?.set_item("__main__", &module)?;
    Ok(module)
}

/// Sets `sys.argv` and `sys.path[0]` as python does. Paths and arguments go to
/// Python as the OS gave them (`os.fsdecode`: bytes that are not UTF-8 become
/// surrogates), so that a program in any directory finds its modules.
fn set_argv(py: Python<'_>, argv: Vec<OsString>, path0: Option<&Path>) -> PyResult<()> {
    let sys = py.import("sys")?;
    sys.setattr("argv", argv)?;
    let path = sys.getattr("path")?;
    let path = path.cast::<PyList>()?;
    let first = match path0 {
        Some(dir) => dir.as_os_str().to_os_string(),
        None => std::env::current_dir().map(PathBuf::into_os_string).unwrap_or_default(),
    };
    // `python -m jurigged` put the current directory first; `python script.py`
    // puts the script's directory there instead.
    if path.len() > 0
        && (path
            .get_item(0)?
            .extract::<PathBuf>()
            .is_ok_and(|p| p.as_os_str().is_empty() || p == std::env::current_dir().unwrap_or_default()))
    {
        path.set_item(0, first)?;
    } else {
        path.insert(0, first)?;
    }
    Ok(())
}

/// Runs a script as `__main__`, like `python script.py`.
fn run_script(py: Python<'_>, main: &Bound<'_, PyAny>, script: &Path, args: Vec<OsString>) -> PyResult<i32> {
    let path = jurigged_watch::absolute(script);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let message = format!("jurigged: can't open file '{}': {error}\n", script.display());
            py.import("sys")?.getattr("stderr")?.call_method1("write", (message,))?;
            return Ok(2);
        }
    };
    let mut argv = vec![script.as_os_str().to_os_string()];
    argv.extend(args);
    set_argv(py, argv, path.parent())?;
    main.setattr("__file__", path.as_os_str())?;
    main.setattr("__cached__", py.None())?;
    // Watch the script with the source that runs, before it runs.
    file_registry().register(py, "__main__", &path, Some(bytes.clone()))?;
    let builtins = py.import("builtins")?;
    let code = builtins.getattr("compile")?.call1((
        pyo3::types::PyBytes::new(py, &bytes),
        path.as_os_str(),
        "exec",
        0,
        true,
    ))?;
    builtins.getattr("exec")?.call1((code, main.getattr("__dict__")?))?;
    Ok(0)
}

/// Runs `-m module` (as `__main__`, like `python -m`) or `-m module:function`.
fn run_module(py: Python<'_>, target: &str, args: Vec<OsString>) -> PyResult<i32> {
    let mut argv = vec![OsString::from(target)];
    argv.extend(args);
    set_argv(py, argv, None)?;
    match target.split_once(':') {
        Some((module, function)) => {
            let module = py.import("importlib")?.call_method1("import_module", (module,))?;
            let mut object = module;
            for part in function.split('.') {
                object = object.getattr(part)?;
            }
            object.call0()?;
        }
        None => {
            py.import("runpy")?.call_method1("_run_module_as_main", (target, true))?;
        }
    }
    Ok(0)
}

/// An interactive console on `namespace` (a module), quiet when stdin is not a
/// terminal.
fn interact(py: Python<'_>, namespace: &Bound<'_, PyAny>) -> PyResult<()> {
    let sys = py.import("sys")?;
    let tty = sys.getattr("stdin")?.call_method0("isatty").and_then(|v| v.extract::<bool>()).unwrap_or(false);
    let options = PyDict::new(py);
    options.set_item("local", namespace.getattr("__dict__")?)?;
    if tty {
        let version: String = sys.getattr("version")?.extract()?;
        options.set_item(
            "banner",
            format!(
                "jurigged {} on Python {version}\nEdit and save any watched file: changes apply at once.",
                env!("CARGO_PKG_VERSION")
            ),
        )?;
    } else {
        sys.setattr("ps1", "")?;
        sys.setattr("ps2", "")?;
        options.set_item("banner", "")?;
    }
    options.set_item("exitmsg", "")?;
    match py.import("code")?.call_method("interact", (), Some(&options)) {
        Ok(_) => Ok(()),
        Err(error) if error.is_instance_of::<PySystemExit>(py) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The exit status for an exception that ended the program, printing its
/// traceback as Python would.
fn report_exit(py: Python<'_>, error: PyErr) -> PyResult<i32> {
    if error.is_instance_of::<PySystemExit>(py) {
        let code = error.value(py).getattr("code")?;
        if code.is_none() {
            return Ok(0);
        }
        if let Ok(status) = code.extract::<i32>() {
            return Ok(status);
        }
        let stderr = py.import("sys")?.getattr("stderr")?;
        stderr.call_method1("write", (format!("{}\n", code.str()?),))?;
        return Ok(1);
    }
    let interrupted = error.is_instance_of::<PyKeyboardInterrupt>(py);
    let value = crate::py_errors::exception_value(py, error);
    let hook = py.import("sys")?.getattr("excepthook")?;
    hook.call1((value.get_type(), &value, value.getattr("__traceback__")?))?;
    Ok(if interrupted { 130 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    fn os_words(text: &str) -> Vec<OsString> {
        text.split_whitespace().map(OsString::from).collect()
    }

    fn parse(text: &str) -> Cli {
        let mut argv = vec!["jurigged".to_string()];
        argv.extend(words(text));
        Cli::try_parse_from(argv).expect("a valid command line")
    }

    #[test]
    fn program_arguments_start_at_the_script_or_module() {
        let cli = parse("-v app.py -v --x 1");
        assert!(cli.verbose);
        assert_eq!(cli.command, os_words("app.py -v --x 1"));
        let cli = parse("-w src -d 0.1 app.py");
        assert_eq!(
            (cli.watch, cli.debounce, cli.command),
            (words("src"), Seconds(Duration::from_millis(100)), os_words("app.py"))
        );
        let cli = parse("-m pkg.mod -i a");
        assert!(!cli.interactive);
        assert_eq!((cli.module, cli.command), (os_words("pkg.mod -i a"), vec![]));
        let program = parse("-mpkg a").program();
        assert_eq!((program.module, program.args), (Some(OsString::from("pkg")), os_words("a")));
        let program = parse("app.py -m x").program();
        assert_eq!((program.script, program.args), (Some(PathBuf::from("app.py")), os_words("-m x")));
        let cli = parse("-i");
        assert!(cli.interactive && cli.command.is_empty() && cli.module.is_empty());
    }

    #[test]
    fn combined_short_flags_parse_like_any_command_line() {
        let cli = parse("-vw src app.py");
        assert!(cli.verbose);
        assert_eq!((cli.watch, cli.command), (words("src"), os_words("app.py")));
        let cli = parse("-vd 0.1 app.py");
        assert!(cli.verbose);
        assert_eq!((cli.debounce, cli.command), (Seconds(Duration::from_millis(100)), os_words("app.py")));
        let cli = parse("-iv -d0.2 -m pkg x");
        assert!(cli.interactive && cli.verbose);
        assert_eq!((cli.debounce, cli.module), (Seconds(Duration::from_millis(200)), os_words("pkg x")));
        let cli = parse("-vm pkg -v");
        assert!(cli.verbose);
        assert_eq!(cli.module, os_words("pkg -v"));
    }

    #[test]
    fn version_is_a_flag_of_its_own() {
        assert!(parse("--version").version);
    }

    #[test]
    fn the_help_lists_the_original_options() {
        let help = Cli::command().render_help().to_string();
        for option in [
            "--interactive",
            "--watch",
            "--debounce",
            "--poll",
            "-m",
            "--dev",
            "--verbose",
            "--version",
            "--exclude",
            "--loop",
            "--xloop",
        ] {
            assert!(help.contains(option), "{option} missing from:\n{help}");
        }
    }
}
