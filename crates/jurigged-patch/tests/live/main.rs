//! Rust tests of jurigged-patch against the embedded interpreter: real modules
//! imported from real files, saved and patched as the session does.

mod code_registry;
mod conform;
mod support;
mod transaction;
