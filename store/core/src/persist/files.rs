//! Making files durable: temporary file, fsync, rename, fsync of the directory.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh temporary file name next to `target` (same directory, so renaming it over the
/// target is atomic).
pub(crate) fn temp_path(target: &Path, purpose: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("temp-{purpose}-{}-{n}", std::process::id());
    match target.parent() {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// Creates the directory `dir` unless it exists (not its parents: Redis's
/// `dirCreateIfMissing`).
pub(crate) fn create_dir(dir: &Path) -> io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        result => result,
    }
}

/// Renames `from` over `to`.
pub(crate) fn replace_file(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)
}

/// Fsyncs the directory holding `path`, so that a rename or a new file survives a crash.
pub(crate) fn fsync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

/// Fsyncs `file` and renames `temp` over `target`, then fsyncs the directory.
pub(crate) fn commit(file: &File, temp: &Path, target: &Path) -> io::Result<()> {
    file.sync_all()?;
    replace_file(temp, target)?;
    fsync_dir(target)
}
