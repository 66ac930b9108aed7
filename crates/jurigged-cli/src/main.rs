//! `jurigged`, standalone: an embedded Python interpreter that runs the same
//! command line as `python -m jurigged`, with the `jurigged` package built in.
//!
//! The interpreter is the one this binary was built against; when a virtual
//! environment is active (`VIRTUAL_ENV`) and of the same Python version, its
//! packages are importable, as they would be under its own `python`.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyModule;

/// The pure-Python part of the package, shipped inside the binary: submodules
/// first, then the package itself, which imports them.
const PACKAGE_MODULES: &[(&str, &str)] = &[
    ("jurigged.db", include_str!("../../jurigged-py/python/jurigged/db.py")),
    ("jurigged.loop", include_str!("../../jurigged-py/python/jurigged/loop.py")),
    ("jurigged", include_str!("../../jurigged-py/python/jurigged/__init__.py")),
];

fn main() {
    pyo3::append_to_inittab!(jurigged_native);
    let status = Python::attach(|py| match run(py) {
        Ok(status) => status,
        Err(error) => {
            error.print(py);
            1
        }
    });
    // Flush Python's streams before leaving without unwinding the interpreter.
    Python::attach(|py| {
        for stream in ["stdout", "stderr"] {
            if let Ok(stream) = py.import("sys").and_then(|sys| sys.getattr(stream)) {
                let _ = stream.call_method0("flush");
            }
        }
    });
    std::process::exit(status);
}

#[pymodule]
#[pyo3(name = "_jurigged")]
fn jurigged_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    jurigged_py::jurigged_native(m)
}

fn run(py: Python<'_>) -> PyResult<i32> {
    // An embedded interpreter starts without Python's SIGINT handler: install it
    // so that Ctrl-C raises KeyboardInterrupt in the program, as under python.
    let signal = py.import("signal")?;
    signal.call_method1("signal", (signal.getattr("SIGINT")?, signal.getattr("default_int_handler")?))?;
    use_virtualenv(py)?;
    install_package(py)?;
    let argv: Vec<String> = std::env::args().collect();
    let sys = py.import("sys")?;
    sys.setattr("argv", argv.clone())?;
    let main = py.import("jurigged._jurigged")?.getattr("cli_main")?;
    main.call1((argv,))?.extract()
}

/// Makes the active virtual environment's packages importable.
fn use_virtualenv(py: Python<'_>) -> PyResult<()> {
    let Some(venv) = std::env::var_os("VIRTUAL_ENV").map(PathBuf::from) else { return Ok(()) };
    let sys = py.import("sys")?;
    let (major, minor): (u32, u32) = sys
        .getattr("version_info")?
        .get_item(0)?
        .extract::<u32>()
        .and_then(|a| Ok((a, sys.getattr("version_info")?.get_item(1)?.extract()?)))?;
    let site_packages = venv.join(format!("lib/python{major}.{minor}/site-packages"));
    if !site_packages.is_dir() {
        let message = format!(
            "jurigged: the virtual environment {} has no packages for Python {major}.{minor} (this jurigged embeds Python {major}.{minor}); its packages are not importable\n",
            venv.display()
        );
        sys.getattr("stderr")?.call_method1("write", (message,))?;
        return Ok(());
    }
    py.import("site")?.call_method1("addsitedir", (site_packages.display().to_string(),))?;
    sys.setattr("prefix", venv.display().to_string())?;
    sys.setattr("exec_prefix", venv.display().to_string())?;
    let python = venv.join("bin/python");
    if python.exists() {
        sys.setattr("executable", python.display().to_string())?;
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
