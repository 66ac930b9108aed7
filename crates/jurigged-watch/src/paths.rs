//! Paths made absolute: the one home of "relative to the current directory",
//! for file names (the watcher, the session's file registry, the command line)
//! and for watch patterns (the filter, and the patterns handed to a child
//! process or to a program `jurigged attach` reaches, which may run elsewhere).

use std::path::{Path, PathBuf};

/// `path`, absolute (relative to the current directory; as given when that
/// cannot be known). Not resolved: links and `..` stay as they are.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A watch pattern made absolute as the filter reads it: relative to the
/// current directory, a leading `./` dropped, `.` the directory itself. A
/// pattern starting with `~` is left for its reader to expand (a child of
/// another user's home would expand it to its own); the bytes of the current
/// directory are kept, whatever they are.
pub fn absolute_pattern(pattern: &str) -> PathBuf {
    let path = Path::new(pattern);
    if pattern.starts_with('~') || path.is_absolute() {
        return path.to_path_buf();
    }
    let Ok(cwd) = std::env::current_dir() else { return path.to_path_buf() };
    match pattern {
        "." | "./" => cwd,
        _ => cwd.join(pattern.strip_prefix("./").unwrap_or(pattern)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_made_absolute_from_the_current_directory_and_home_is_left_alone() {
        let cwd = std::env::current_dir().expect("a current directory");
        assert_eq!(absolute_pattern("."), cwd);
        assert_eq!(absolute_pattern("./"), cwd);
        assert_eq!(absolute_pattern("./src/*.py"), cwd.join("src/*.py"));
        assert_eq!(absolute_pattern("src"), cwd.join("src"));
        assert_eq!(absolute_pattern("/abs/x.py"), PathBuf::from("/abs/x.py"));
        assert_eq!(absolute_pattern("~/proj"), PathBuf::from("~/proj"));
        assert_eq!(absolute(Path::new("a.py")), cwd.join("a.py"));
    }
}
