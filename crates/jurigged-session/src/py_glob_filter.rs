//! `jurigged.glob_filter(pattern)`: watch patterns as filename filters.

use std::path::PathBuf;

use jurigged_watch::Filter;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use jurigged_watch::absolute;

/// `jurigged.glob_filter(pattern)`: a callable telling whether a filename matches
/// a watch pattern (as `watch()` takes them).
#[pyclass(module = "jurigged", frozen)]
pub struct GlobFilter {
    filter: Filter,
    pattern: String,
}

impl GlobFilter {
    /// A filter accepting the files `pattern` (a watch pattern) matches.
    pub fn new(pattern: &str) -> PyResult<GlobFilter> {
        GlobFilter::any_of(&[pattern.to_string()])
    }

    /// A filter accepting the files any of `patterns` matches.
    pub fn any_of(patterns: &[String]) -> PyResult<GlobFilter> {
        let filter = Filter::new(patterns, [""; 0]).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(GlobFilter { filter, pattern: patterns.join(", ") })
    }
}

#[jurigged_entry::py_entry]
#[pymethods]
impl GlobFilter {
    fn __call__(&self, filename: PathBuf) -> bool {
        self.filter.matches(&absolute(&filename))
    }

    fn __repr__(&self) -> String {
        format!("glob_filter({:?})", self.pattern)
    }
}

/// A filter for `registry.auto_register` from a watch pattern.
#[jurigged_entry::py_entry]
#[pyfunction]
pub fn glob_filter(pattern: &str) -> PyResult<GlobFilter> {
    GlobFilter::new(pattern)
}
