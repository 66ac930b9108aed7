//! Which virtual environment the program runs in, found as `python` finds its
//! own: a `pyvenv.cfg` one level above the executable's directory; otherwise
//! the active environment (`VIRTUAL_ENV`), since this binary is seldom installed
//! inside one. Its packages are importable only if its `pyvenv.cfg` names the
//! Python version this binary embeds.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;

/// The settings of a `pyvenv.cfg` that matter here.
#[derive(Debug, PartialEq, Eq)]
struct Config {
    /// (major, minor) of `version` (venv) or `version_info` (virtualenv, uv).
    version: Option<(u32, u32)>,
    include_system_site_packages: bool,
}

fn parse_config(text: &str) -> Config {
    let mut config = Config { version: None, include_system_site_packages: false };
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "version" | "version_info" => {
                let mut parts = value.split('.').map(|p| p.parse::<u32>().ok());
                if let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) {
                    config.version = Some((major, minor));
                }
            }
            "include-system-site-packages" => config.include_system_site_packages = value.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    config
}

/// The environment to use and how it was found.
fn find() -> Option<(PathBuf, &'static str)> {
    let executable = std::env::current_exe().ok().and_then(|e| e.canonicalize().ok());
    if let Some(home) = executable.as_deref().and_then(Path::parent).and_then(Path::parent) {
        if home.join("pyvenv.cfg").is_file() {
            return Some((home.to_path_buf(), "the environment this jurigged is installed in"));
        }
    }
    let active = std::env::var_os("VIRTUAL_ENV").filter(|v| !v.is_empty())?;
    Some((PathBuf::from(active), "the active virtual environment (VIRTUAL_ENV)"))
}

fn warn(py: Python<'_>, message: String) -> PyResult<()> {
    py.import("sys")?.getattr("stderr")?.call_method1("write", (format!("jurigged: {message}\n"),))?;
    Ok(())
}

/// Makes the virtual environment's packages importable, as its `python` would
/// see them; says why when it cannot.
pub fn use_virtualenv(py: Python<'_>) -> PyResult<()> {
    let Some((venv, found_as)) = find() else { return Ok(()) };
    let sys = py.import("sys")?;
    let info = sys.getattr("version_info")?;
    let embedded: (u32, u32) = (info.get_item(0)?.extract()?, info.get_item(1)?.extract()?);
    let (major, minor) = embedded;
    let config = match std::fs::read_to_string(venv.join("pyvenv.cfg")) {
        Ok(text) => parse_config(&text),
        Err(error) => {
            let message = format!(
                "{} ({}) is not a virtual environment: cannot read its pyvenv.cfg ({error}); its packages are not importable",
                venv.display(),
                found_as
            );
            return warn(py, message);
        }
    };
    if config.version != Some(embedded) {
        let named =
            config.version.map(|(a, b)| format!("Python {a}.{b}")).unwrap_or_else(|| "no Python version".into());
        let message = format!(
            "the virtual environment {} is for {named}, and this jurigged embeds Python {major}.{minor}; its packages are not importable (use `python -m jurigged` from it, or a jurigged built for its Python)",
            venv.display()
        );
        return warn(py, message);
    }
    let site = py.import("site")?;
    if !config.include_system_site_packages {
        // As in the environment's own python: the base installation's packages
        // are not importable.
        let base: Vec<String> = site.call_method0("getsitepackages")?.extract()?;
        let user: Option<String> = site.getattr("USER_SITE")?.extract()?;
        let path = sys.getattr("path")?;
        let kept: Vec<String> = path
            .extract::<Vec<String>>()?
            .into_iter()
            .filter(|entry| !base.contains(entry) && user.as_ref() != Some(entry))
            .collect();
        sys.setattr("path", kept)?;
    }
    let site_packages = venv.join(format!("lib/python{major}.{minor}/site-packages"));
    site.call_method1("addsitedir", (site_packages.display().to_string(),))?;
    sys.setattr("prefix", venv.display().to_string())?;
    sys.setattr("exec_prefix", venv.display().to_string())?;
    let python = venv.join("bin/python");
    if python.exists() {
        sys.setattr("executable", python.display().to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyvenv_cfg_of_venv_virtualenv_and_uv() {
        let venv = "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n";
        assert_eq!(parse_config(venv), Config { version: Some((3, 11)), include_system_site_packages: false });
        let uv = "home = /x\nimplementation = CPython\nversion_info = 3.13.1\ninclude-system-site-packages = True\n";
        assert_eq!(parse_config(uv), Config { version: Some((3, 13)), include_system_site_packages: true });
        assert_eq!(parse_config("garbage\nversion = three\n").version, None);
    }
}
