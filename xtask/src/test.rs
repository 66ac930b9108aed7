//! `cargo xtask test`: everything CI runs.

use crate::util::{self, Failure};

pub fn run(_args: &[String]) -> Result<(), Failure> {
    util::run("cargo", &["fmt", "--all", "--", "--check"])?;
    util::run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    util::run("cargo", &["test", "--workspace"])?;
    Ok(())
}
