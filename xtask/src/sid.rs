//! Python 3.14 and 3.15 for the end-to-end tests, from a Debian sid root.
//!
//! pyenv here stops at 3.13 and cannot build newer ones; Debian sid ships both as
//! binaries, but installing them on the host would replace its libc. So a sid
//! root is made once with debootstrap into a cache folder outside the repository
//! (`~/.cache/jurigged-rs/sid-root`: shared by every clone and worktree, kept by
//! `cargo clean`, and never under a directory someone would `rm -rf`), and the
//! tests run in it with `chroot`, each interpreter with its own venv holding
//! pytest (downloaded on the host) and the abi3 wheel built on the host.
//!
//! The mounts a chroot needs (/proc, /dev, /dev/pts, the project at its own path)
//! are made in a private mount namespace (`unshare --mount`) by this same program
//! (`cargo xtask sid-exec`), which unmounts them when the command ends, even when
//! it fails. Mounts in a private namespace also vanish with its last process, so
//! even a killed run leaves none behind on the host.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{self, Failure};

/// The interpreters the sid root adds to the test matrix.
pub const VERSIONS: &[&str] = &["3.14", "3.15"];

/// What debootstrap installs besides the minimal base.
const PACKAGES: &str = "python3.14,python3.14-venv,python3.15,python3.15-venv";

/// Written in the root once debootstrap finished: a root without it is partial.
const READY_MARKER: &str = ".jurigged-ready";

/// Where the venvs and the downloaded wheels live, inside the root.
const OPT: &str = "opt/jurigged";

/// The packages the end-to-end suites import besides the standard library.
const TEST_REQUIREMENTS: &[&str] = &["pytest", "codefind==0.1.7"];

/// How the wheel file of each of TEST_REQUIREMENTS starts: all must be there.
const TEST_WHEEL_PREFIXES: &[&str] = &["pytest-", "codefind-"];

const HELP: &str = "usage: cargo xtask sid [--path]

Makes (once) the Debian sid root that gives the tests Python 3.14 and 3.15, in
$JURIGGED_SID_ROOT, else $XDG_CACHE_HOME/jurigged-rs/sid-root, else
~/.cache/jurigged-rs/sid-root. `cargo xtask test` and `cargo xtask pytest --py 3.14`
use it. Needs root (debootstrap, mount, chroot); installs debootstrap with apt-get
if missing. Elsewhere the step is skipped with a message, unless JURIGGED_SID=require
(implied by CI=true) makes that a failure; JURIGGED_SID=off skips it always.
JURIGGED_SID_MIRROR overrides the Debian mirror.

  --path   print the root's path and whether it is ready, change nothing";

/// `cargo xtask sid`: makes the root, or says where it is.
pub fn run(args: &[String]) -> Result<(), Failure> {
    match args.first().map(String::as_str) {
        None => {
            if let Some(root) = prepare()? {
                for version in VERSIONS {
                    root.ensure_venv(version)?;
                }
                eprintln!("sid root ready: {}", root.dir.display());
            }
            Ok(())
        }
        Some("--path") => {
            let dir = root_dir();
            let state = if dir.join(READY_MARKER).is_file() { "ready" } else { "not made yet" };
            println!("{} ({state})", dir.display());
            Ok(())
        }
        Some("-h" | "--help") => {
            println!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown option {other:?}\n\n{HELP}").into()),
    }
}

/// The cache folder of the root.
pub fn root_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("JURIGGED_SID_ROOT").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/var/cache"));
    cache.join("jurigged-rs/sid-root")
}

/// A ready sid root.
pub struct SidRoot {
    dir: PathBuf,
}

/// Whether the step must run (CI), may be skipped, or is turned off.
#[derive(Clone, Copy, PartialEq)]
enum Policy {
    Off,
    Auto,
    Require,
}

fn policy() -> Policy {
    match std::env::var("JURIGGED_SID").as_deref() {
        Ok("off" | "0") => Policy::Off,
        Ok("require" | "1") => Policy::Require,
        _ if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => Policy::Require,
        _ => Policy::Auto,
    }
}

/// The root, made if needed; None (with a message said) when the step cannot run
/// here and may be skipped.
pub fn prepare() -> Result<Option<SidRoot>, Failure> {
    let policy = policy();
    let skip = |why: String| -> Result<Option<SidRoot>, Failure> {
        if policy == Policy::Require {
            return Err(format!("Python 3.14/3.15 tests cannot run: {why} (JURIGGED_SID=require or CI is set)").into());
        }
        eprintln!("SKIPPED: the Python {} tests: {why}", VERSIONS.join(" and "));
        Ok(None)
    };
    if policy == Policy::Off {
        return skip("JURIGGED_SID=off".to_string());
    }
    if !is_root() {
        return skip("they need root (debootstrap, mount and chroot make their sid root)".to_string());
    }
    let dir = root_dir();
    if dir.join(READY_MARKER).is_file() {
        return Ok(Some(SidRoot { dir }));
    }
    let Some(debootstrap) = find_debootstrap() else {
        return skip("debootstrap is not installed and `apt-get install debootstrap` failed".to_string());
    };
    // Another run (another worktree) may be making it: wait for it, then look again.
    let _only_us = lock_beside(&dir)?;
    if dir.join(READY_MARKER).is_file() {
        return Ok(Some(SidRoot { dir }));
    }
    match bootstrap(&debootstrap, &dir) {
        Ok(()) => Ok(Some(SidRoot { dir })),
        Err(Failure(why)) => skip(why.unwrap_or_else(|| "debootstrap failed".to_string())),
    }
}

/// An exclusive lock on `ROOT.lock` next to the root, released when the file
/// is dropped (or the process ends).
fn lock_beside(dir: &Path) -> Result<std::fs::File, Failure> {
    let path = dir.with_file_name("sid-root.lock");
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.lock().map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(file)
}

/// Whether this process runs with effective user id 0.
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0")
}

/// debootstrap's path, installed with apt-get when missing.
fn find_debootstrap() -> Option<PathBuf> {
    let lookup = || {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path)
            .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
            .map(|dir| dir.join("debootstrap"))
            .find(|candidate| candidate.is_file())
    };
    if let Some(found) = lookup() {
        return Some(found);
    }
    let apt = |args: &[&str]| {
        eprintln!("$ apt-get {}", args.join(" "));
        Command::new("apt-get").args(args).env("DEBIAN_FRONTEND", "noninteractive").status().is_ok_and(|s| s.success())
    };
    let install = ["install", "-y", "-q", "--no-install-recommends", "debootstrap"];
    // A fresh machine may have no package lists yet.
    let installed = apt(&install) || (apt(&["update", "-q"]) && apt(&install));
    installed.then(lookup).flatten()
}

/// Makes the root at `dir` with debootstrap, aside first so that an interrupted
/// run never leaves a root that looks ready.
fn bootstrap(debootstrap: &Path, dir: &Path) -> Result<(), Failure> {
    let partial = dir.with_file_name("sid-root.partial");
    for stale in [&partial, &dir.to_path_buf()] {
        if stale.exists() {
            remove_tree(stale)?;
        }
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mirror = std::env::var("JURIGGED_SID_MIRROR").unwrap_or_else(|_| "http://deb.debian.org/debian".to_string());
    let started = std::time::Instant::now();
    let include = format!("--include={PACKAGES}");
    let target = partial.to_string_lossy().into_owned();
    util::run(&debootstrap.to_string_lossy(), &["--variant=minbase", &include, "sid", &target, &mirror])
        .map_err(|_| format!("debootstrap of sid from {mirror} failed (offline, or the mirror is unreachable)"))?;
    std::fs::write(partial.join(READY_MARKER), format!("{PACKAGES}\n"))
        .map_err(|e| format!("{}: {e}", partial.display()))?;
    std::fs::rename(&partial, dir).map_err(|e| format!("{} -> {}: {e}", partial.display(), dir.display()))?;
    eprintln!("sid root made in {:.0} s: {}", started.elapsed().as_secs_f64(), dir.display());
    Ok(())
}

/// Deletes a partial root, refusing while anything is mounted below it (deleting
/// through a bind mount of /dev or of the project would destroy them).
fn remove_tree(dir: &Path) -> Result<(), Failure> {
    let mounted = mounts_below(dir);
    if !mounted.is_empty() {
        return Err(format!(
            "refusing to delete {}: mounted below it: {} (unmount them first)",
            dir.display(),
            mounted.join(", ")
        )
        .into());
    }
    std::fs::remove_dir_all(dir).map_err(|e| format!("cannot delete {}: {e}", dir.display()).into())
}

/// Mount points at or below `dir`, as `findmnt` lists them.
pub fn mounts_below(dir: &Path) -> Vec<String> {
    let output = Command::new("findmnt").args(["--list", "--noheadings", "--output", "TARGET"]).output();
    let Ok(output) = output else { return Vec::new() };
    let prefix = dir.to_string_lossy().trim_end_matches('/').to_string();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::trim)
        .filter(|target| *target == prefix || target.starts_with(&format!("{prefix}/")))
        .map(str::to_string)
        .collect()
}

impl SidRoot {
    /// The venv of `version` in the root (a path inside it), with pytest, made once
    /// from wheels downloaded on the host.
    pub fn ensure_venv(&self, version: &str) -> Result<String, Failure> {
        // One per project (clone or worktree) and version: two projects testing
        // at once must not install their wheels into the same venv.
        let project = util::root().to_string_lossy().trim_start_matches('/').replace(['/', ' '], "_");
        let venv = format!("/{OPT}/venvs/{project}-{version}");
        let python = format!("{venv}/bin/python");
        let has_pytest = self.exec(&[&python, "-c", "import pytest, codefind"], Quiet::Yes).is_ok();
        if has_pytest {
            return Ok(python);
        }
        let _only_us = self.lock()?;
        let wheels = format!("/{OPT}/wheels-{version}");
        self.download_wheels(version, &self.inside(&wheels))?;
        if !self.dir.join(&venv[1..]).join("bin/python").is_file() {
            self.exec(&[&format!("/usr/bin/python{version}"), "-m", "venv", &venv], Quiet::No)?;
        }
        let mut install =
            vec![python.as_str(), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-index"];
        install.extend(["--find-links", &wheels]);
        install.extend(TEST_REQUIREMENTS);
        self.exec(&install, Quiet::No)?;
        Ok(python)
    }

    /// Held while the shared parts of the root change (the downloaded wheels).
    fn lock(&self) -> Result<std::fs::File, Failure> {
        lock_beside(&self.dir)
    }

    /// A path inside the root, as seen from the host.
    fn inside(&self, path: &str) -> PathBuf {
        self.dir.join(path.trim_start_matches('/'))
    }

    /// Downloads (on the host, once) the wheels the tests need for `version`.
    fn download_wheels(&self, version: &str, into: &Path) -> Result<(), Failure> {
        let names: Vec<String> = std::fs::read_dir(into)
            .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let has_wheels = TEST_WHEEL_PREFIXES.iter().all(|prefix| names.iter().any(|n| n.starts_with(prefix)));
        if has_wheels {
            return Ok(());
        }
        let (main_python, main_venv) = &crate::venvs::interpreters()[0];
        let host_python = crate::venvs::ensure_plain_venv(main_python, main_venv)?;
        let into = into.to_string_lossy().into_owned();
        let mut args = vec!["-m", "pip", "download", "-q", "--disable-pip-version-check", "--only-binary=:all:"];
        args.extend(["--implementation", "cp", "--python-version", version, "-d", &into]);
        args.extend(TEST_REQUIREMENTS);
        util::run(&host_python.to_string_lossy(), &args)
            .map_err(|_| format!("cannot download pytest's wheels for Python {version} (offline?)").into())
    }

    /// Runs pytest on Python `version` in the root with `wheel` installed, with
    /// `args` (tests/python when they name no test).
    pub fn pytest(&self, version: &str, wheel: &Path, args: &[&str]) -> Result<(), Failure> {
        let python = self.python_with(version, wheel)?;
        let tests = util::root().join("tests/python").to_string_lossy().into_owned();
        let mut command = vec![python.as_str(), "-m", "pytest", "-p", "no:cacheprovider"];
        if args.iter().all(|a| a.starts_with('-')) {
            command.push(&tests);
        }
        command.extend(args);
        eprintln!("(in the sid root, Python {version})");
        self.exec(&command, Quiet::No)
    }

    /// The venv interpreter of `version` (a path inside the root) with `wheel`
    /// installed.
    pub fn python_with(&self, version: &str, wheel: &Path) -> Result<String, Failure> {
        let python = self.ensure_venv(version)?;
        let wheel = wheel.to_string_lossy();
        let install = ["-m", "pip", "install", "-q", "--disable-pip-version-check", "--force-reinstall", "--no-deps"];
        let mut command = vec![python.as_str()];
        command.extend(install);
        command.push(&wheel);
        self.exec(&command, Quiet::No)?;
        Ok(python)
    }

    /// Runs `python` (from [`SidRoot::python_with`]) with `args` in the root.
    pub fn run_python(&self, python: &str, args: &[&str]) -> Result<(), Failure> {
        let mut command = vec![python];
        command.extend(args);
        self.exec(&command, Quiet::No)
    }

    /// Runs `command` in the root (cwd: the project), through `cargo xtask sid-exec`
    /// in a private mount namespace; then checks that the host sees no mount in the
    /// root.
    fn exec(&self, command: &[&str], quiet: Quiet) -> Result<(), Failure> {
        let xtask = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
        let project = util::root();
        let mut unshare = Command::new("unshare");
        unshare.args(["--mount", "--propagation", "private", "--"]).arg(xtask).arg("sid-exec");
        unshare.arg(&self.dir).arg(&project).arg("--").args(command);
        if quiet == Quiet::Yes {
            unshare.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        } else {
            eprintln!("$ [sid] {}", command.join(" "));
        }
        let status = unshare.status().map_err(|e| format!("cannot run unshare: {e}"))?;
        let left = mounts_below(&self.dir);
        if !left.is_empty() {
            return Err(format!("mounts left behind in the sid root: {}", left.join(", ")).into());
        }
        if status.success() {
            Ok(())
        } else {
            Err(format!("[sid] {} failed ({status})", command.join(" ")).into())
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Quiet {
    Yes,
    No,
}

/// Environment variables the commands in the root get from the host's, by prefix.
const FORWARDED_PREFIXES: &[&str] = &["ORACLE_", "PYTEST_", "JURIGGED_"];

/// `cargo xtask sid-exec ROOT PROJECT -- COMMAND...`, run by `SidRoot::exec` in a
/// private mount namespace: mounts what a chroot needs, runs the command in the
/// root with a clean environment, unmounts.
pub fn exec_inside(args: &[String]) -> Result<(), Failure> {
    let [root, project, dashes, command @ ..] = args else {
        return Err("usage: cargo xtask sid-exec ROOT PROJECT -- COMMAND...".into());
    };
    if dashes != "--" || command.is_empty() {
        return Err("usage: cargo xtask sid-exec ROOT PROJECT -- COMMAND...".into());
    }
    let (root, project) = (Path::new(root), Path::new(project));
    let mounts = Mounts::chroot_needs(root, project)?;
    let env = [
        "HOME=/root",
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "LANG=C.UTF-8",
        "TERM=xterm-256color",
        // The standalone binary embeds the host's Python, which the root lacks;
        // its tests run on the host.
        "JURIGGED_BINARY_TESTS=host-only",
    ];
    // The tests' own settings (ORACLE_SEED, PYTEST_ADDOPTS, ...) pass through.
    let passed: Vec<String> = std::env::vars()
        .filter(|(name, _)| FORWARDED_PREFIXES.iter().any(|prefix| name.starts_with(prefix)))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let status = Command::new("chroot")
        .arg(root)
        .args(["/usr/bin/env", "-i", "-C"])
        .arg(project)
        .args(passed)
        .args(env)
        .args(command)
        .status()
        .map_err(|e| format!("cannot run chroot: {e}"));
    let unmounted = mounts.unmount_all();
    let status = status?;
    unmounted?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::quiet())
    }
}

/// Bind mounts made for a chroot, undone in reverse order when dropped (or by
/// `unmount_all`, which says whether it worked).
pub struct Mounts {
    targets: Vec<PathBuf>,
}

impl Mounts {
    /// /proc, /dev, /dev/pts and `project` (at its own path) bound into `root`.
    fn chroot_needs(root: &Path, project: &Path) -> Result<Mounts, Failure> {
        let mut mounts = Mounts { targets: Vec::new() };
        for source in [Path::new("/proc"), Path::new("/dev"), Path::new("/dev/pts"), project] {
            mounts.bind(source, &root.join(source.strip_prefix("/").unwrap_or(source)))?;
        }
        Ok(mounts)
    }

    /// Binds `source` on `target` (created if missing).
    pub fn bind(&mut self, source: &Path, target: &Path) -> Result<(), Failure> {
        std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
        let status = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .status()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !status.success() {
            return Err(format!("mount --bind {} {} failed", source.display(), target.display()).into());
        }
        self.targets.push(target.to_path_buf());
        Ok(())
    }

    /// Unmounts everything, last first; a busy mount is detached lazily.
    pub fn unmount_all(mut self) -> Result<(), Failure> {
        self.unmount_remaining()
    }

    fn unmount_remaining(&mut self) -> Result<(), Failure> {
        let mut failed = Vec::new();
        while let Some(target) = self.targets.pop() {
            let unmount = |lazy: bool| {
                let mut umount = Command::new("umount");
                if lazy {
                    umount.arg("--lazy");
                } else {
                    // "target is busy" is expected (a process still in it): the
                    // lazy detach follows.
                    umount.stderr(std::process::Stdio::null());
                }
                umount.arg(&target).status().is_ok_and(|s| s.success())
            };
            if !unmount(false) && !unmount(true) {
                failed.push(target.display().to_string());
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            Err(format!("cannot unmount {}", failed.join(", ")).into())
        }
    }
}

impl Drop for Mounts {
    fn drop(&mut self) {
        if let Err(Failure(Some(message))) = self.unmount_remaining() {
            eprintln!("error: {message}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory under the system's temporary one, deleted when dropped
    /// (only once nothing is mounted below it).
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("xtask-sid-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            if mounts_below(&self.0).is_empty() {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn can_mount() -> bool {
        if !is_root() {
            eprintln!("not root: the mount tests need root, as the sid step does");
            return false;
        }
        true
    }

    #[test]
    fn dropped_mounts_leave_nothing_mounted_even_when_the_work_fails() {
        if !can_mount() {
            return;
        }
        let scratch = Scratch::new("drop");
        let result: Result<(), Failure> = (|| {
            let mut mounts = Mounts { targets: Vec::new() };
            mounts.bind(Path::new("/dev"), &scratch.0.join("dev"))?;
            mounts.bind(Path::new("/dev/pts"), &scratch.0.join("dev/pts"))?;
            assert_eq!(mounts_below(&scratch.0).len(), 2, "findmnt sees both mounts while they are up");
            Err("the command failed".into())
        })();
        assert!(result.is_err());
        assert_eq!(mounts_below(&scratch.0), Vec::<String>::new(), "findmnt still lists mounts");
    }

    #[test]
    fn a_busy_mount_is_still_detached() {
        if !can_mount() {
            return;
        }
        let scratch = Scratch::new("busy");
        let mut mounts = Mounts { targets: Vec::new() };
        let source = scratch.0.join("source");
        std::fs::create_dir_all(&source).unwrap();
        mounts.bind(&source, &scratch.0.join("target")).unwrap();
        // An open directory keeps the mount busy: a plain umount fails.
        let held = std::fs::File::open(scratch.0.join("target")).unwrap();
        mounts.unmount_all().unwrap();
        drop(held);
        assert_eq!(mounts_below(&scratch.0), Vec::<String>::new());
    }

    #[test]
    fn a_partial_root_with_a_mount_below_it_is_not_deleted() {
        if !can_mount() {
            return;
        }
        let scratch = Scratch::new("refuse");
        let keep = scratch.0.join("mounted/keep");
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::write(keep.join("file"), "precious").unwrap();
        let partial = scratch.0.join("partial");
        let mut mounts = Mounts { targets: Vec::new() };
        mounts.bind(&scratch.0.join("mounted"), &partial.join("inside")).unwrap();
        let refused = remove_tree(&partial);
        assert!(refused.is_err(), "deleted through a mount");
        assert!(keep.join("file").is_file());
        mounts.unmount_all().unwrap();
        remove_tree(&partial).unwrap();
        assert!(!partial.exists() && keep.join("file").is_file());
    }
}
