//! Test binaries of this crate link libpython: point their rpath at the one pyo3
//! was configured with, so that they never load another.

fn main() {
    let config = pyo3_build_config::get();
    if let Some(dir) = config.lib_dir() {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
