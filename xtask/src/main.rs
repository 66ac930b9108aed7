//! Project tasks: `cargo xtask <command>`. Run `cargo xtask help` for the list.

mod bench;
mod crates;
mod demo;
mod fuzz;
mod install;
mod layering;
mod module_order;
mod original_suite;
mod py_entries;
mod python;
mod replay;
mod roundtrip;
mod sid;
mod test;
mod util;
mod venvs;

use util::Failure;

const HELP: &str = "usage: cargo xtask <command> [args]

commands:
  demo                     show what jurigged sees when examples/shapes.py is edited
  test [--quick]           everything CI runs: fmt, clippy, layering, tests, stdlib
                           round trip, fuzz smoke runs
  pytest [--all | --py X.Y] [ARGS]
                           build and install the wheel, run pytest on tests/python
                           (--all: under every test interpreter, 3.14 and 3.15 in
                           the sid root included; --py: under that one)
  sid [--path]             make the Debian sid root that has Python 3.14 and 3.15
  install-check            `cargo install --path crates/jurigged-cli` (the README's
                           line) into a scratch root; the binary ends programs as python
  crates                   the library crates as embedders meet them: docs without
                           warnings, cargo package, the examples of the pure crates
  layering                 check the dependency rules between the crates
                           (xtask/src/layering.rs)
  roundtrip DIR...         parse every .py under DIR and check exact reconstruction
  replay                   consecutive PyPI releases of pure-Python packages saved over
                           a live program must patch it like a fresh import
  fuzz TARGET [--secs N]   run one fuzz target (deftree_roundtrip, diff_apply)
  bench [--quick]          jurigged-rs against jurigged 0.6.1, side by side, with the
                           speed targets (bench --help for what is measured)
  bench deftree            Rust-level tree building and diff figures
  original-suite [--tests DIR]
                           the original jurigged 0.6.1's own tests (from its sdist,
                           fetched once; or DIR) run against this wheel: passed,
                           failed and the failures
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "roundtrip" => roundtrip::run(rest),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        "test" => test::run(rest),
        "demo" => demo::run(rest),
        "pytest" => python::pytest(rest),
        "replay" => replay::run(rest),
        "sid" => sid::run(rest),
        // Internal: what `sid` runs inside a private mount namespace.
        "sid-exec" => sid::exec_inside(rest),
        "install-check" => install::run(rest),
        "layering" => layering::check(),
        "crates" => crates::run(),
        "original-suite" => original_suite::run(rest),
        "help" | "-h" | "--help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(Failure::from(format!("unknown command {other:?}\n\n{HELP}"))),
    };
    if let Err(Failure(message)) = result {
        if let Some(message) = message {
            eprintln!("error: {message}");
        }
        std::process::exit(1);
    }
}
