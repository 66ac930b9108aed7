//! `sys.stdin` during a run in the full-screen view: reading a line (what
//! `input()` does when stdout is not the terminal) steps the view aside, so
//! that the line is typed on the normal screen, echoed, in the terminal's
//! usual mode, and not swallowed by the key reader; then the view comes back.
//! Everything else is the real stdin's.

use std::sync::Arc;

use pyo3::prelude::*;

use super::full_screen::Shared;
use jurigged_watch::sync::lock;

#[pyclass(module = "jurigged.loop")]
pub struct StdinAside {
    shared: Arc<Shared>,
    real: Py<PyAny>,
}

impl StdinAside {
    pub fn new(shared: Arc<Shared>, real: Py<PyAny>) -> StdinAside {
        StdinAside { shared, real }
    }

    /// Calls `method` of the real stdin on the normal screen.
    fn aside<'py>(&self, py: Python<'py>, method: &str, size: isize) -> PyResult<Bound<'py, PyAny>> {
        // The prompt: what the run printed since its last line break.
        let prompt = {
            let screen = lock(&self.shared.screen);
            screen.output.rsplit('\n').next().unwrap_or_default().to_string()
        };
        let shared = Arc::clone(&self.shared);
        py.detach(|| shared.step_aside(&prompt));
        // The view comes back however the read ends (Ctrl-C typed in the usual
        // mode raises KeyboardInterrupt in it).
        let read = self.real.bind(py).call_method1(method, (size,));
        if let Some(text) = read.as_ref().ok().and_then(|text| text.str().ok()) {
            // The line read shows on the view after the prompt, as typed.
            lock(&self.shared.screen).output.push_str(&text.to_string_lossy());
        }
        let shared = Arc::clone(&self.shared);
        py.detach(|| shared.come_back());
        read
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl StdinAside {
    #[pyo3(signature = (size = -1))]
    fn readline<'py>(&self, py: Python<'py>, size: isize) -> PyResult<Bound<'py, PyAny>> {
        self.aside(py, "readline", size)
    }

    #[pyo3(signature = (size = -1))]
    fn read<'py>(&self, py: Python<'py>, size: isize) -> PyResult<Bound<'py, PyAny>> {
        self.aside(py, "read", size)
    }

    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        self.real.bind(py).getattr(name)
    }
}
