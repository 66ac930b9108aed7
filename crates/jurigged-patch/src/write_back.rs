//! Writing a live file back to disk without harming it: through symlinks to
//! the file they name, keeping its mode, owner, group and hard links, never
//! widening who may read it, refusing a read-only file, and checking once more,
//! right before the new bytes take effect, that nobody else saved it meanwhile.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

/// Why the bytes were not written.
#[derive(Debug)]
pub enum WriteError {
    /// The file may not be written (no write permission bit, a read-only file
    /// system, or the system refused to open it for writing).
    ReadOnly(std::io::Error),
    /// The file changed on disk (another program saved it) before the write
    /// took effect: nothing was written.
    Stale,
    /// Any other failure of the system.
    Io(std::io::Error),
}

impl From<std::io::Error> for WriteError {
    fn from(error: std::io::Error) -> WriteError {
        if is_read_only_error(&error) {
            WriteError::ReadOnly(error)
        } else {
            WriteError::Io(error)
        }
    }
}

/// As many links as the kernel follows before it says ELOOP.
const MAX_LINKS: usize = 40;

/// The file `path` names once every symlink on the way is followed (the last
/// target may not exist yet: a dangling link is written through too).
pub fn link_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = std::fs::read_link(&current)?;
                // A relative target is relative to the link's own directory.
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(current),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(current),
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!("more than {MAX_LINKS} symbolic links to follow")))
}

/// Writes `bytes` as the new content of the file `path` names. `stale()` says
/// whether the file on disk is no longer what was last read: it is asked right
/// before the new bytes take effect, and nothing is written when it says yes.
///
/// A reader sees the old file or the new one, never a part, whenever a rename
/// can keep what the file is: a temporary file (unpredictable name, same
/// directory, the original's owner and group, created with no more than the
/// owner's bits of its mode, given its whole mode once its owner and group are
/// right) replaces the link's target. A file with several hard links, whose
/// owner we cannot give the temporary file, or in a directory we cannot write
/// is written in place instead.
pub fn write_source(path: &Path, bytes: &[u8], stale: &dyn Fn() -> bool) -> Result<(), WriteError> {
    let target = link_target(path)?;
    let existing = match std::fs::metadata(&target) {
        Ok(metadata) => Some(metadata),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error.into()),
    };
    let Some(existing) = existing else { return write_new(&target, bytes, stale) };
    if !existing.is_file() {
        return Err(WriteError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, a device or a directory): not written",
        )));
    }
    platform::replace(&target, &existing, bytes, stale)
}

/// A file that does not exist yet: created through a temporary file and a
/// rename, with the mode `File::create` gives (0666 less the umask).
fn write_new(target: &Path, bytes: &[u8], stale: &dyn Fn() -> bool) -> Result<(), WriteError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".jurigged-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(directory_of(target))?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    if stale() {
        return Err(WriteError::Stale);
    }
    file.persist(target).map(drop).map_err(|error| error.error.into())
}

fn directory_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Overwrites `target` where it is: the only way to keep its hard links, or
/// its owner when we cannot give it to a new file.
fn write_in_place(target: &Path, bytes: &[u8], stale: &dyn Fn() -> bool) -> Result<(), WriteError> {
    // Opened (which checks we may write it) before the last staleness check,
    // so that only the write itself follows that check.
    let mut file = std::fs::OpenOptions::new().write(true).open(target)?;
    if stale() {
        return Err(WriteError::Stale);
    }
    file.rewind()?;
    file.write_all(bytes)?;
    file.set_len(bytes.len() as u64)?;
    file.sync_all()?;
    Ok(())
}

/// Whether the system refused a write because the file or its file system is
/// read-only to us.
fn is_read_only_error(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    if error.raw_os_error() == Some(libc::EROFS) {
        return true;
    }
    error.kind() == std::io::ErrorKind::PermissionDenied
}

#[cfg(unix)]
mod platform {
    use std::fs::Metadata;
    use std::io::Write;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    use super::{directory_of, write_in_place, WriteError};

    /// The bits of a mode that say who may do what (special bits included).
    const PERMISSION_BITS: u32 = 0o7777;

    /// A read-only file, as `EACCES` says it (the errno a write would get).
    fn read_only() -> WriteError {
        WriteError::ReadOnly(std::io::Error::from_raw_os_error(libc::EACCES))
    }

    pub(super) fn replace(
        target: &Path,
        existing: &Metadata,
        bytes: &[u8],
        stale: &dyn Fn() -> bool,
    ) -> Result<(), WriteError> {
        let mode = existing.permissions().mode() & PERMISSION_BITS;
        // No write bit for anyone: read-only on purpose, even for root (who
        // could write it), as editors treat it.
        if mode & 0o222 == 0 {
            return Err(read_only());
        }
        // A rename would leave the other links with the old text.
        if existing.nlink() > 1 {
            return write_in_place(target, bytes, stale);
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix(".jurigged-").suffix(".tmp");
        // Born with at most the owner's bits (and only ever narrowed by the
        // umask): its owner and group are not the original's yet.
        builder.permissions(std::fs::Permissions::from_mode(mode & 0o700));
        let mut file = match builder.tempfile_in(directory_of(target)) {
            Ok(file) => file,
            // A directory we may not write, holding a file we may.
            Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                return write_in_place(target, bytes, stale)
            }
            Err(error) => return Err(error.into()),
        };
        let created = file.as_file().metadata()?;
        // The temporary file is ours: its owner is who we are. The owner of a
        // file whose owner bits forbid writing may not write it (but root).
        let euid = created.uid();
        if euid != 0 && existing.uid() == euid && mode & 0o200 == 0 {
            return Err(read_only());
        }
        if (created.uid(), created.gid()) != (existing.uid(), existing.gid()) {
            let owned = std::os::unix::fs::fchown(file.as_file(), Some(existing.uid()), Some(existing.gid()));
            if owned.is_err() {
                // Not ours to give: the file keeps its owner by being written in place.
                drop(file);
                return write_in_place(target, bytes, stale);
            }
        }
        file.write_all(bytes)?;
        // After the owner and group are the original's (chown would also clear
        // set-user-ID and set-group-ID bits).
        file.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.as_file().sync_all()?;
        if stale() {
            return Err(WriteError::Stale);
        }
        file.persist(target).map(drop).map_err(|error| error.error.into())
    }
}

#[cfg(not(unix))]
mod platform {
    use std::fs::Metadata;
    use std::path::Path;

    use super::{write_in_place, WriteError};

    pub(super) fn replace(
        target: &Path,
        existing: &Metadata,
        bytes: &[u8],
        stale: &dyn Fn() -> bool,
    ) -> Result<(), WriteError> {
        if existing.permissions().readonly() {
            return Err(WriteError::ReadOnly(std::io::Error::from(std::io::ErrorKind::PermissionDenied)));
        }
        write_in_place(target, bytes, stale)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::link_target;

    #[test]
    fn a_chain_of_relative_links_leads_to_the_last_target_even_when_it_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::os::unix::fs::symlink("sub/b.py", dir.path().join("a.py")).unwrap();
        std::os::unix::fs::symlink("c.py", dir.path().join("sub/b.py")).unwrap();
        assert_eq!(link_target(&dir.path().join("a.py")).unwrap(), dir.path().join("sub/c.py"));
        std::os::unix::fs::symlink("loop.py", dir.path().join("loop.py")).unwrap();
        assert!(link_target(&dir.path().join("loop.py")).is_err());
    }
}
