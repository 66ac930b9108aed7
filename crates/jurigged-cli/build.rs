//! The jurigged binary links libpython: point its rpath at the one pyo3
//! was configured with, so that they never load another.
//!
//! It also lists the package's Python files for `main.rs` to embed: the
//! package folder is the one place they are named.

use std::path::PathBuf;

fn main() {
    let config = pyo3_build_config::get();
    if let Some(dir) = config.lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
    list_package_modules();
}

/// Writes `package_modules.rs`: `(module name, source)` of every module of
/// `python/jurigged/` but `__main__`, submodules first (they import only the
/// native module) and the package itself last (it imports them).
fn list_package_modules() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let package = manifest.join("../jurigged-py/python/jurigged");
    println!("cargo:rerun-if-changed={}", package.display());
    let mut submodules: Vec<String> = std::fs::read_dir(&package)
        .expect("the jurigged package folder is readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".py").map(str::to_string))
        .filter(|stem| stem != "__init__" && stem != "__main__")
        .collect();
    submodules.sort();
    let mut table = String::from("&[\n");
    for stem in &submodules {
        let file = package.join(format!("{stem}.py"));
        table.push_str(&format!("    (\"jurigged.{stem}\", include_str!({:?})),\n", file.display().to_string()));
    }
    let init = package.join("__init__.py");
    table.push_str(&format!("    (\"jurigged\", include_str!({:?})),\n]\n", init.display().to_string()));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("package_modules.rs");
    std::fs::write(out, table).expect("OUT_DIR is writable");
}
