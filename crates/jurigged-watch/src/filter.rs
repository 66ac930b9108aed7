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
///
/// The leading part of a pattern that exists on disk as written is literal: a
/// project in `proj[1]/` is that directory, whatever `[1]` means to a glob.
/// Patterns under which no file exists are listed by [`Filter::unmatched`].
#[derive(Debug, Clone)]
pub struct Filter {
    include: GlobSet,
    /// Files and directories watched as paths, not globs (see [`non_utf8_path`]).
    paths: Vec<PathBuf>,
    exclude: GlobSet,
    unmatched: Vec<Unmatched>,
}

/// A watch pattern under which no file exists when the filter is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    /// The pattern as given.
    pub pattern: String,
    /// Why nothing matches it.
    pub reason: String,
}

impl std::fmt::Display for Unmatched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "watch pattern {:?} matches no file ({}): nothing is watched for it unless such a file appears",
            self.pattern, self.reason
        )
    }
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
        let mut exclude = GlobSetBuilder::new();
        for pattern in excludes {
            let pattern = pattern.as_ref();
            if pattern.contains('/') {
                let resolved = literal_where_it_exists(&resolve(pattern));
                exclude.add(build_glob(pattern, &resolved)?);
                exclude.add(build_glob(pattern, &format!("{}/*", resolved.trim_end_matches('/')))?);
            } else {
                exclude.add(build_glob(pattern, &format!("*/{pattern}"))?);
                exclude.add(build_glob(pattern, &format!("*/{pattern}/*"))?);
            }
        }
        let exclude = finish(exclude)?;
        let mut include = GlobSetBuilder::new();
        let mut unmatched = Vec::new();
        let mut paths = Vec::new();
        for pattern in patterns {
            let pattern = pattern.as_ref();
            if let Some(path) = non_utf8_path(pattern) {
                paths.push(path);
                continue;
            }
            let resolved = resolve(pattern);
            let glob = if Path::new(&resolved).is_dir() {
                format!("{}/*", glob_escape(resolved.trim_end_matches('/')))
            } else {
                literal_where_it_exists(&resolved)
            };
            let built = build_glob(pattern, &glob)?;
            if let Some(reason) = matches_nothing(&resolved, &built, &exclude) {
                unmatched.push(Unmatched { pattern: pattern.to_string(), reason });
            }
            include.add(built);
        }
        Ok(Filter { include: finish(include)?, paths, exclude, unmatched })
    }

    /// The watch patterns under which no file exists now, each with why: a
    /// program can say so, rather than silently watch nothing.
    pub fn unmatched(&self) -> &[Unmatched] {
        &self.unmatched
    }

    /// Whether `path` (absolute) is watched and not excluded.
    pub fn matches(&self, path: &Path) -> bool {
        let included = self.include.is_match(path) || self.paths.iter().any(|p| path.starts_with(p));
        included && !self.exclude.is_match(path)
    }
}

/// Expands `~` and makes the pattern absolute.
/// The file or directory `pattern` names, when resolving it against the home or
/// current directory gives a path that is not valid UTF-8 (a project in such a
/// directory): no glob can spell it, so it is matched as a path, everything
/// below it included.
fn non_utf8_path(pattern: &str) -> Option<PathBuf> {
    let path = resolve_path(pattern);
    (path.to_str().is_none() && path.exists()).then_some(path)
}

/// `pattern` as a path: `~` expanded, relative to the current directory; with
/// the OS's bytes, whatever they are.
fn resolve_path(pattern: &str) -> PathBuf {
    if let Some(rest) = pattern.strip_prefix('~') {
        if let Some(home) = std::env::var_os("HOME") {
            let mut path = home;
            path.push(rest);
            return PathBuf::from(path);
        }
    }
    crate::paths::absolute_pattern(pattern)
}

/// `pattern` as [`resolve_path`] makes it, as text.
fn resolve(pattern: &str) -> String {
    resolve_path(pattern).display().to_string()
}

fn finish(builder: GlobSetBuilder) -> Result<GlobSet> {
    builder.build().map_err(|e| Error::Pattern { pattern: String::new(), message: e.to_string() })
}

/// `text` with every character a glob gives a meaning to matched literally.
fn glob_escape(text: &str) -> String {
    // globset::escape leaves the backslash, which escapes on Unix.
    globset::escape(text).replace('\\', "\\\\")
}

/// Whether `text` has characters a glob gives a meaning to.
fn has_glob_characters(text: &str) -> bool {
    text.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

/// The length of the longest leading part of `resolved`, cut at a separator,
/// that exists on disk as written.
fn existing_prefix_len(resolved: &str) -> usize {
    let mut cut = 0;
    for (index, _) in resolved.match_indices('/').chain(std::iter::once((resolved.len(), ""))) {
        let prefix = &resolved[..index];
        if prefix.is_empty() {
            continue;
        }
        if std::fs::symlink_metadata(prefix).is_err() {
            break;
        }
        cut = index;
    }
    cut
}

/// The pattern as a glob in which the longest leading part that exists on disk
/// is literal: a project in `proj[1]/` is that directory, not `proj1/`. The rest
/// (what does not exist as written) keeps its glob meaning.
fn literal_where_it_exists(resolved: &str) -> String {
    if !has_glob_characters(resolved) {
        return resolved.to_string();
    }
    let cut = existing_prefix_len(resolved);
    format!("{}{}", glob_escape(&resolved[..cut]), &resolved[cut..])
}

/// How many directory entries are looked at, at most, to tell whether a glob
/// matches anything: beyond that it is assumed to (a warning must never cost a
/// large tree's walk).
const UNMATCHED_SEARCH_BUDGET: usize = 5_000;

/// Why no file matches the watch pattern `resolved` (as `glob`, minus
/// `exclude`), or None when one does or may.
fn matches_nothing(resolved: &str, glob: &globset::Glob, exclude: &GlobSet) -> Option<String> {
    let cut = existing_prefix_len(resolved);
    if cut == resolved.len() {
        return None;
    }
    let rest = &resolved[cut..];
    let Some(first_glob) = rest.find(['*', '?', '[', ']', '{', '}', '\\']) else {
        return Some("no such file or directory".to_string());
    };
    // The directories before the first component with a glob character are
    // literal: if one is missing, nothing can match.
    let literal_end = cut + rest[..first_glob].rfind('/').unwrap_or(0);
    if literal_end > cut {
        return Some(format!("{} does not exist", &resolved[..literal_end]));
    }
    // Below the deepest directory that exists as written, a breadth-first walk
    // (a match near the top is found after few entries).
    let base = match &resolved[..cut] {
        "" => Path::new("/"),
        existing => Path::new(existing),
    };
    let matcher = glob.compile_matcher();
    let mut budget = UNMATCHED_SEARCH_BUDGET;
    let mut queue = std::collections::VecDeque::from([base.to_path_buf()]);
    while let Some(dir) = queue.pop_front() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if budget == 0 {
                return None;
            }
            budget -= 1;
            let path = entry.path();
            if exclude.is_match(&path) {
                continue;
            }
            if matcher.is_match(&path) {
                return None;
            }
            // Symbolic links to directories are followed (the budget ends a loop).
            if path.is_dir() {
                queue.push_back(path);
            }
        }
    }
    Some(format!("no file below {} matches it", base.display()))
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

    /// A fresh directory under the system's temporary directory, removed at the end.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("jw-filter-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn glob_characters_in_a_real_directory_name_are_literal() {
        let scratch = Scratch::new("glob-names");
        for name in ["proj[1]", "proj1", "a*b", "what?", "{x,y}"] {
            std::fs::create_dir_all(scratch.0.join(name).join("pkg")).unwrap();
            std::fs::write(scratch.0.join(name).join("app.py"), "x = 1\n").unwrap();
        }
        let root = scratch.0.display().to_string();
        for name in ["proj[1]", "a*b", "what?", "{x,y}"] {
            for pattern in [format!("{root}/{name}"), format!("{root}/{name}/*.py")] {
                let filter = Filter::new([&pattern], [""; 0]).unwrap();
                assert!(filter.matches(&scratch.0.join(name).join("app.py")), "{pattern}");
                assert!(filter.matches(&scratch.0.join(name).join("pkg/mod.py")), "{pattern}");
                assert!(!filter.matches(&scratch.0.join("proj1/app.py")), "{pattern} is literal");
                assert_eq!(filter.unmatched(), [], "{pattern}");
            }
        }
        // Where the name does not exist as written, the glob keeps its meaning.
        let class = Filter::new([format!("{root}/proj[0-9]/*.py")], [""; 0]).unwrap();
        assert!(class.matches(&scratch.0.join("proj1/app.py")));
        assert_eq!(class.unmatched(), []);
    }

    #[test]
    fn patterns_that_match_nothing_say_why() {
        let scratch = Scratch::new("unmatched");
        std::fs::create_dir_all(scratch.0.join("src")).unwrap();
        std::fs::write(scratch.0.join("src/notes.txt"), "").unwrap();
        let root = scratch.0.display().to_string();
        let cases = [
            (format!("{root}/missing"), "no such file or directory".to_string()),
            (format!("{root}/missing/*.py"), format!("{root}/missing does not exist")),
            (format!("{root}/src/*.py"), format!("no file below {root}/src matches it")),
            (format!("{root}/*.py"), format!("no file below {root} matches it")),
        ];
        for (pattern, reason) in cases {
            let filter = Filter::new([&pattern], [""; 0]).unwrap();
            let unmatched = filter.unmatched();
            assert_eq!(unmatched, [Unmatched { pattern: pattern.clone(), reason }]);
            assert!(unmatched[0].to_string().contains("nothing is watched"), "{}", unmatched[0]);
        }
        // Matches that are all excluded watch nothing either.
        std::fs::write(scratch.0.join("src/test_app.py"), "").unwrap();
        let excluded = Filter::new([format!("{root}/*.py")], ["test_*.py"]).unwrap();
        assert_eq!(excluded.unmatched().len(), 1);
        let included = Filter::new([format!("{root}/*.py")], [""; 0]).unwrap();
        assert_eq!(included.unmatched(), []);
    }

    #[test]
    fn invalid_globs_are_reported_with_the_pattern() {
        let err = Filter::new(["/proj/[.py"], [""; 0]).unwrap_err();
        assert!(err.to_string().contains("/proj/[.py"), "{err}");
    }
}
