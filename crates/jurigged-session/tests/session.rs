//! The session from Rust, in a real interpreter: modules written to a temporary
//! directory, imported, changed by saves and through the API.
//!
//! The tests of this binary share one interpreter and the process-wide
//! registries, so each uses modules of its own name in a directory of its own.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jurigged_session::{
    activity, file_registry, live_tree, make_recoder, start_watching, Event, EventKind, WatchOptions,
};
use pyo3::prelude::*;
use pyo3::types::PyList;

/// How long a condition may take to hold on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(30);

/// A directory holding `name.py` with `text`, on `sys.path`.
fn project(py: Python<'_>, name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join(format!("{name}.py"));
    std::fs::write(&file, text).expect("the module is written");
    let sys_path = py.import("sys").and_then(|sys| sys.getattr("path")).expect("sys.path");
    sys_path.call_method1("insert", (0, dir.path().display().to_string())).expect("sys.path takes the directory");
    (dir, file)
}

fn import<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyAny> {
    py.import("importlib").and_then(|m| m.call_method1("import_module", (name,))).expect("the module imports")
}

/// `module.function()`, as an integer.
fn call(module: &Bound<'_, PyAny>, function: &str) -> i64 {
    module.getattr(function).and_then(|f| f.call0()).and_then(|v| v.extract()).expect("the function returns an int")
}

/// Waits, without the GIL between checks, until `condition` holds.
fn wait_until(py: Python<'_>, mut condition: impl FnMut(Python<'_>) -> bool) -> bool {
    let deadline = Instant::now() + DEADLINE;
    while Instant::now() < deadline {
        if condition(py) {
            return true;
        }
        py.detach(|| std::thread::sleep(Duration::from_millis(10)));
    }
    condition(py)
}

/// Saves `text` to `file` the way an editor that replaces the file does.
fn save(file: &Path, text: &str) {
    let temporary = file.with_extension("py.saving");
    std::fs::write(&temporary, text).expect("the save is written");
    std::fs::rename(&temporary, file).expect("the save replaces the file");
}

#[test]
fn a_save_reaches_old_references_and_is_announced_as_a_typed_update() {
    Python::attach(|py| {
        let (dir, file) = project(py, "session_save", "def f():\n    return 1\n");
        let announced = PyList::empty(py);
        let append = announced.getattr("append").expect("list.append");
        activity(py).expect("registry.activity").get().register(py, append.unbind(), false).expect("register");
        let watcher = start_watching(
            py,
            WatchOptions {
                patterns: vec![dir.path().display().to_string()],
                excludes: Vec::new(),
                logger: None,
                timing: jurigged_watch::Timing::new(Duration::from_millis(10), None).expect("a short debounce"),
                autostart: true,
                events: None,
                children: false,
                rerun_dependents: true,
            },
        )
        .expect("the session starts");
        let module = import(py, "session_save");
        let old_reference = module.getattr("f").expect("f");
        assert_eq!(call(&module, "f"), 1);

        save(&file, "def f():\n    return 2\n");
        let updated = wait_until(py, |_| old_reference.call0().and_then(|v| v.extract::<i64>()).ok() == Some(2));
        watcher.stop().expect("stop");
        assert!(updated, "the save never reached the function the program held");
        let kinds: Vec<EventKind> = announced
            .iter()
            .filter_map(|event| event.cast::<Event>().ok().map(|e| e.get().kind()))
            .filter(|kind| *kind != EventKind::Watch)
            .collect();
        assert!(kinds.contains(&EventKind::Update), "no update announced: {kinds:?}");
    });
}

#[test]
fn a_change_through_the_api_is_the_tree_the_next_save_is_diffed_against() {
    Python::attach(|py| {
        let (_dir, file) = project(py, "session_api", "def f():\n    return 1\n");
        let module = import(py, "session_api");
        let codefile = file_registry().register(py, "session_api", &file, None).expect("the file registers");
        let new_text = "def f():\n    return 10\n\ndef g():\n    return 20\n";
        codefile.bind(py).call_method1("update", (new_text,)).expect("update applies");

        assert_eq!(call(&module, "f"), 10);
        assert_eq!(call(&module, "g"), 20);
        let (module_name, tree) = live_tree(&file).expect("the registered file has a live tree");
        assert_eq!(module_name, "session_api");
        assert_eq!(tree.reconstruct(), new_text, "the live tree is stale after an API change");
    });
}

#[test]
fn a_recoder_goes_out_of_sync_when_another_change_touches_its_definition() {
    Python::attach(|py| {
        let (_dir, file) = project(py, "session_recoder", "def f():\n    return 1\n\ndef g():\n    return 2\n");
        let module = import(py, "session_recoder");
        let f = module.getattr("f").expect("f");
        let recoder = make_recoder(py, &f, false).expect("make_recoder").expect("f has a recoder");
        let status = |py: Python<'_>| -> String {
            recoder.bind(py).getattr("status").and_then(|s| s.extract()).expect("recoder.status")
        };
        assert_eq!(status(py), "live");
        let codefile = file_registry().lookup(py, &file).expect("make_recoder tracks the file");

        codefile
            .bind(py)
            .call_method1("update", ("def f():\n    return 1\n\ndef g():\n    return 3\n",))
            .expect("update");
        assert_eq!(status(py), "live", "a change to g concerns no recoder of f");

        codefile
            .bind(py)
            .call_method1("update", ("def f():\n    return 5\n\ndef g():\n    return 3\n",))
            .expect("update");
        assert_eq!(status(py), "out-of-sync");
        assert_eq!(call(&module, "f"), 5);
    });
}

#[test]
fn a_save_that_does_not_parse_changes_nothing_and_is_an_error_event() {
    Python::attach(|py| {
        let (_dir, file) = project(py, "session_broken", "def f():\n    return 1\n");
        let module = import(py, "session_broken");
        let codefile = file_registry().register(py, "session_broken", &file, None).expect("the file registers");
        let error = codefile.bind(py).call_method1("update", ("def f(:\n    return 2\n",)).expect_err("a syntax error");
        assert!(error.is_instance_of::<pyo3::exceptions::PySyntaxError>(py), "{error}");
        assert_eq!(call(&module, "f"), 1);
        let (_, tree) = live_tree(&file).expect("live tree");
        assert_eq!(tree.reconstruct(), "def f():\n    return 1\n");
    });
}
