//! Which files are of interest: watch patterns as the original jurigged accepts
//! them, minus exclude patterns.

use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Error, Result};

/// Matches absolute paths against watch patterns and exclude patterns.
///
/// A watch pattern is a file, a directory (everything below it), or a glob
/// (`src/*.py`); `~` and relative paths are resolved against the home and the
/// current directory. As in the original, `*` also matches `/`, so `./*.py` is
/// every Python file below the current directory.
///
/// An exclude pattern with no `/` names a file or directory anywhere (`.venv`,
/// `test_*.py`); one with a `/` is a glob on the path like a watch pattern.
#[derive(Debug, Clone)]
pub struct Filter {
    include: GlobSet,
    exclude: GlobSet,
}

impl Filter {
    /// A filter from watch patterns and exclude patterns.
    pub fn new<I, E>(patterns: I, excludes: E) -> Result<Filter>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
        E: IntoIterator,
        E::Item: AsRef<str>,
    {
        let mut include = GlobSetBuilder::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            let resolved = resolve(pattern);
            let glob =
                if Path::new(&resolved).is_dir() { format!("{}/*", resolved.trim_end_matches('/')) } else { resolved };
            include.add(build_glob(pattern, &glob)?);
        }
        let mut exclude = GlobSetBuilder::new();
        for pattern in excludes {
            let pattern = pattern.as_ref();
            if pattern.contains('/') {
                let resolved = resolve(pattern);
                exclude.add(build_glob(pattern, &resolved)?);
                exclude.add(build_glob(pattern, &format!("{}/*", resolved.trim_end_matches('/')))?);
            } else {
                exclude.add(build_glob(pattern, &format!("*/{pattern}"))?);
                exclude.add(build_glob(pattern, &format!("*/{pattern}/*"))?);
            }
        }
        let finish = |builder: GlobSetBuilder| {
            builder.build().map_err(|e| Error::Pattern { pattern: String::new(), message: e.to_string() })
        };
        Ok(Filter { include: finish(include)?, exclude: finish(exclude)? })
    }

    /// Whether `path` (absolute) is watched and not excluded.
    pub fn matches(&self, path: &Path) -> bool {
        self.include.is_match(path) && !self.exclude.is_match(path)
    }
}

/// Expands `~` and makes the pattern absolute.
fn resolve(pattern: &str) -> String {
    if let Some(rest) = pattern.strip_prefix('~') {
        if let Some(home) = std::env::var_os("HOME") {
            return format!("{}{rest}", PathBuf::from(home).display());
        }
    }
    let path = Path::new(pattern);
    if path.is_absolute() {
        return pattern.to_string();
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let joined = cwd.join(pattern.strip_prefix("./").unwrap_or(pattern));
    let text = joined.display().to_string();
    if pattern == "." || pattern == "./" {
        cwd.display().to_string()
    } else {
        text
    }
}

fn build_glob(pattern: &str, glob: &str) -> Result<globset::Glob> {
    GlobBuilder::new(glob)
        .literal_separator(false)
        .build()
        .map_err(|e| Error::Pattern { pattern: pattern.to_string(), message: e.kind().to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_crosses_directories_like_the_original() {
        let filter = Filter::new(["/proj/*.py"], [""; 0]).unwrap();
        assert!(filter.matches(Path::new("/proj/app.py")));
        assert!(filter.matches(Path::new("/proj/pkg/mod.py")));
        assert!(!filter.matches(Path::new("/proj/notes.txt")));
        assert!(!filter.matches(Path::new("/other/app.py")));
    }

    #[test]
    fn excludes_without_slash_name_any_component() {
        let filter = Filter::new(["/proj/*.py"], [".venv", "test_*.py"]).unwrap();
        assert!(!filter.matches(Path::new("/proj/.venv/lib/site.py")));
        assert!(!filter.matches(Path::new("/proj/tests/test_app.py")));
        assert!(filter.matches(Path::new("/proj/app.py")));
    }

    #[test]
    fn excludes_with_slash_are_paths() {
        let filter = Filter::new(["/proj/*.py"], ["/proj/vendor"]).unwrap();
        assert!(!filter.matches(Path::new("/proj/vendor/x.py")));
        assert!(filter.matches(Path::new("/proj/vendored.py")));
    }

    #[test]
    fn directories_and_files_as_patterns() {
        let dir = std::env::temp_dir().join(format!("jw-filter-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let file = dir.join("one.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        let by_dir = Filter::new([dir.display().to_string()], [""; 0]).unwrap();
        assert!(by_dir.matches(&dir.join("sub/two.py")));
        let by_file = Filter::new([file.display().to_string()], [""; 0]).unwrap();
        assert!(by_file.matches(&file));
        assert!(!by_file.matches(&dir.join("two.py")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_globs_are_reported_with_the_pattern() {
        let err = Filter::new(["/proj/[.py"], [""; 0]).unwrap_err();
        assert!(err.to_string().contains("/proj/[.py"), "{err}");
    }
}
