//! `cargo xtask bench [deftree]`: placeholder.

use crate::util::Failure;

pub fn run(_args: &[String]) -> Result<(), Failure> {
    Err("benchmarks are not wired yet".into())
}
