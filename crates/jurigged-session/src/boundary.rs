//! Where Rust meets the program: the panic boundary of jurigged-patch
//! (`jurigged_patch::boundary`), which `#[py_entry]` reaches as
//! `crate::boundary` in this crate: every entry from Python runs inside it, so a
//! bug of ours becomes a `PatchError`, never pyo3's `PanicException` nor an
//! abort; the session's threads run each save inside `guard`.

pub use jurigged_patch::boundary::{entry, entry_value, guard};
