//! Which events stand for which registered files.
//!
//! An event names the path of the directory as it was watched, joined with an
//! entry's name. Usually that is the registered file itself, but not when:
//! - the file is a symbolic link: an editor that writes through it changes the
//!   target, maybe in another directory, which is watched too; events about the
//!   target stand for the link;
//! - the file's directory is watched under another path (the same directory
//!   reached through a symbolic link): a second watch of one directory would
//!   take the first one's place in notify, so events come with the first path.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The routes from event paths to registered files, shared by the thread that
/// sets up watches and the one that reads events.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    /// Event path → the registered files it stands for, when not itself.
    aliases: HashMap<PathBuf, Vec<PathBuf>>,
    /// The directories watched, as given to the system: a move or removal of
    /// one ends its watch.
    dirs: HashSet<PathBuf>,
}

impl Routes {
    pub(crate) fn add_alias(&mut self, event_path: PathBuf, file: &Path) {
        let files = self.aliases.entry(event_path).or_default();
        if !files.iter().any(|f| f == file) {
            files.push(file.to_path_buf());
        }
    }

    pub(crate) fn remove_alias(&mut self, event_path: &Path, file: &Path) {
        if let Some(files) = self.aliases.get_mut(event_path) {
            files.retain(|f| f != file);
            if files.is_empty() {
                self.aliases.remove(event_path);
            }
        }
    }

    pub(crate) fn add_dir(&mut self, dir: PathBuf) {
        self.dirs.insert(dir);
    }

    pub(crate) fn remove_dir(&mut self, dir: &Path) {
        self.dirs.remove(dir);
    }

    pub(crate) fn is_watched_dir(&self, path: &Path) -> bool {
        self.dirs.contains(path)
    }

    /// The registered files that events about `paths` stand for, in order,
    /// without repeats.
    pub(crate) fn changed_files<'a>(
        &self,
        paths: impl Iterator<Item = &'a PathBuf>,
        registered: &HashSet<PathBuf>,
    ) -> Vec<PathBuf> {
        let mut changed: Vec<PathBuf> = Vec::new();
        for path in paths {
            let aliased = self.aliases.get(path).into_iter().flatten();
            for file in std::iter::once(path).chain(aliased) {
                if registered.contains(file) && !changed.contains(file) {
                    changed.push(file.clone());
                }
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn only_registered_paths_once_each_in_order() {
        let registered: HashSet<PathBuf> = paths(&["/p/a.py", "/p/b.py"]).into_iter().collect();
        let events = paths(&["/p/.a.py.swp", "/p/b.py", "/p/a.py", "/p/b.py", "/p/c.py"]);
        let routes = Routes::default();
        assert_eq!(routes.changed_files(events.iter(), &registered), paths(&["/p/b.py", "/p/a.py"]));
    }

    #[test]
    fn an_event_on_a_link_target_stands_for_the_link() {
        let registered: HashSet<PathBuf> = paths(&["/p/mod.py", "/p/other.py"]).into_iter().collect();
        let mut routes = Routes::default();
        routes.add_alias(PathBuf::from("/elsewhere/target.py"), Path::new("/p/mod.py"));
        routes.add_alias(PathBuf::from("/elsewhere/target.py"), Path::new("/p/unregistered.py"));
        let events = paths(&["/elsewhere/target.py", "/p/mod.py"]);
        assert_eq!(routes.changed_files(events.iter(), &registered), paths(&["/p/mod.py"]));
        routes.remove_alias(Path::new("/elsewhere/target.py"), Path::new("/p/mod.py"));
        assert_eq!(routes.changed_files(events[..1].iter(), &registered), Vec::<PathBuf>::new());
    }
}
