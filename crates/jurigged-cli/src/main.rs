//! `jurigged`, standalone: an embedded Python interpreter that runs the same
//! command line as `python -m jurigged`, with the `jurigged` package built in.
//!
//! The interpreter is the one this binary was built against. A virtual
//! environment is used as its own `python` would: the one this binary sits in
//! (`pyvenv.cfg` next to its directory), else the active one (`VIRTUAL_ENV`),
//! when its `pyvenv.cfg` names the same Python version.
//!
//! The program ends as under `python`: the interpreter is finalized
//! (`Py_FinalizeEx`: non-daemon threads joined, `atexit` handlers run, the
//! standard streams flushed, then modules torn down, so that `__del__` methods
//! run and files the program never closed are flushed), and the exit status is
//! the program's.

mod venv;

use pyo3::prelude::*;
use pyo3::types::PyModule;

// The native module comes from jurigged-py, whose `#[pymodule]` already defines
// `PyInit__jurigged`: defining a second one here made release links fail.
use jurigged_py::jurigged_native;

/// The pure-Python part of the package, shipped inside the binary: submodules
/// first, then the package itself, which imports them (listed by build.rs from
/// the package folder).
const PACKAGE_MODULES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/package_modules.rs"));

fn main() {
    pyo3::append_to_inittab!(jurigged_native);
    let status = Python::attach(|py| match run(py) {
        Ok(status) => status,
        Err(error) => {
            error.print(py);
            1
        }
    });
    let status = finalize(status);
    std::process::exit(status);
}

/// Ends the interpreter as `python` does once its program has ended:
/// `Py_FinalizeEx` waits for the non-daemon threads, runs the `atexit` handlers
/// (ours among them: watcher threads stop entering Python, and a save still
/// running gets its bounded wait), flushes the standard streams, collects and
/// tears down the modules (`__del__` methods run, unclosed files are flushed).
/// Returns the exit status: 120 when flushing stdout failed, as python.
///
/// Objects that Rust statics hold are never used again: the process exits right
/// after, and statics are not dropped.
#[allow(unsafe_code)]
fn finalize(status: i32) -> i32 {
    // SAFETY: called once, on the main thread that initialized the interpreter,
    // after the last `Python::attach` has ended and before the process exits;
    // `PyGILState_Ensure` makes that thread's state current, as
    // `Py_FinalizeEx` requires. Nothing of ours enters Python after it: watcher
    // threads check the exit flag our atexit hook sets during finalization.
    let finalized = unsafe {
        pyo3::ffi::PyGILState_Ensure();
        pyo3::ffi::Py_FinalizeEx()
    };
    if finalized < 0 {
        120
    } else {
        status
    }
}

fn run(py: Python<'_>) -> PyResult<i32> {
    install_signal_handlers(py)?;
    venv::use_virtualenv(py)?;
    install_package(py)?;
    // As the OS gave them: an argument that is not UTF-8 reaches the program
    // as python would hand it (`os.fsdecode`).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let sys = py.import("sys")?;
    sys.setattr("argv", argv.clone())?;
    jurigged_session::cli::main(py, argv, &jurigged_develoop::Develoop)
}

/// What `python` sets up and an embedded interpreter does not: Ctrl-C raises
/// KeyboardInterrupt (unless the process was started with SIGINT ignored, as a
/// background job is), and writing to a closed pipe or past the file size
/// limit raises an OSError instead of killing the process.
fn install_signal_handlers(py: Python<'_>) -> PyResult<()> {
    let signal = py.import("signal")?;
    let sigint = signal.getattr("SIGINT")?;
    if signal.call_method1("getsignal", (&sigint,))?.eq(signal.getattr("SIG_DFL")?)? {
        signal.call_method1("signal", (sigint, signal.getattr("default_int_handler")?))?;
    }
    for name in ["SIGPIPE", "SIGXFSZ"] {
        if let Ok(number) = signal.getattr(name) {
            signal.call_method1("signal", (number, signal.getattr("SIG_IGN")?))?;
        }
    }
    Ok(())
}

/// Registers the `jurigged` package: the native module as `jurigged._jurigged`
/// and the package's Python code, so that `import jurigged` works in the program.
fn install_package(py: Python<'_>) -> PyResult<()> {
    let modules = py.import("sys")?.getattr("modules")?;
    let native = py.import("_jurigged")?;
    modules.set_item("jurigged._jurigged", &native)?;
    let package = PyModule::new(py, "jurigged")?;
    package.setattr("__path__", Vec::<String>::new())?;
    package.setattr("__package__", "jurigged")?;
    modules.set_item("jurigged", &package)?;
    package.setattr("_jurigged", &native)?;
    let builtins = py.import("builtins")?;
    for (name, source) in PACKAGE_MODULES {
        let module = if *name == "jurigged" {
            package.clone()
        } else {
            let module = PyModule::new(py, name)?;
            module.setattr("__package__", "jurigged")?;
            modules.set_item(*name, &module)?;
            let short = name.rsplit('.').next().unwrap_or(name);
            package.setattr(short, &module)?;
            module
        };
        // Not a real file: no __file__, so that nothing tries to watch or read it.
        let filename = format!("<jurigged binary: {name}>");
        let code = builtins.getattr("compile")?.call1((*source, filename, "exec"))?;
        builtins.getattr("exec")?.call1((code, module.dict()))?;
    }
    Ok(())
}
