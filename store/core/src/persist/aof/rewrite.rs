//! The log's side of a rewrite, as Redis 7.0 does it: when the rewrite begins, new writes go
//! to a new incremental file (listed in the manifest at once); when its snapshot is written,
//! that becomes the new base, the files it covers become history, a new manifest is put in
//! place, and the history is deleted. A log being turned on writes to a temporary
//! incremental file until then, which becomes its first incremental file.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use super::manifest::{LogDir, Manifest};
use super::{fsync, Aof, LogFault};

impl Aof {
    /// The manifest, as loaded at start or written last.
    pub(crate) fn manifest(&self) -> Manifest {
        self.lock_files().manifest.clone()
    }

    /// Replaces the manifest kept in memory (at start, or after DEBUG LOADAOF read it).
    pub(crate) fn set_manifest(&self, manifest: Manifest) {
        self.lock_files().manifest = manifest;
    }

    /// At a rewrite's moment, under the data lock, once the log bytes before it are queued:
    /// writes them to the current file, then sends every later write to a new incremental
    /// file, listed in the manifest before anything is written to it (Redis's
    /// `openNewIncrAofForAppend`); for a log being turned on, the temporary one. The old file
    /// is fsynced. Nothing changes if the log is off, and nothing if this fails: a write that
    /// cannot be made must not end up after the snapshot that holds it already.
    pub(crate) fn open_new_incr(&self, at: &LogDir) -> io::Result<()> {
        let mut files = self.lock_files();
        let mut io = self.lock_io();
        if !self.lock().running {
            return Ok(());
        }
        if !self.write_locked(&mut io).0 {
            return Err(io::Error::other("the append-only log cannot be written"));
        }
        let (path, manifest) = if io.file.is_none() {
            (at.temp_incr_path(), None)
        } else {
            let mut manifest = files.manifest.clone();
            let incr = manifest.new_incr(&at.name);
            (incr.path(&at.dir), Some(manifest))
        };
        let file = open_empty(&path).inspect_err(|error| {
            tracing::warn!(
                "Can't open the append-only file {}: {error}",
                path.display()
            );
        })?;
        let sync_file = Arc::new(file.try_clone()?);
        match manifest {
            Some(manifest) => {
                at.persist(&manifest)?;
                files.manifest = manifest;
            }
            None => files.waiting = true,
        }
        tracing::info!(
            "Creating AOF incr file {} on background rewrite",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        let old = io.file.replace(file);
        io.path = path;
        io.size = 0;
        let (target, fault) = {
            let mut state = self.lock();
            state.sync_file = Some(sync_file);
            state.has_file = true;
            let fault = match state.fault {
                Some(LogFault::Fsync(errno)) => Some(errno),
                _ => None,
            };
            (state.written, fault)
        };
        if let Some(old) = old {
            // What the old file holds becomes durable now: later fsyncs are of the new one.
            let result = fsync(&old, fault);
            self.record_sync(&mut self.lock(), result, target);
        }
        Ok(())
    }

    /// A rewrite begins: its base goes into `at`, and the files it replaces are deleted
    /// unless `keep_history` (`aof-disable-auto-gc`).
    pub(crate) fn prepare_rewrite(&self, at: LogDir, keep_history: bool) {
        self.lock_files().rewrite = Some((at, keep_history));
    }

    /// A rewrite's snapshot is written and fsynced at `temp`: makes it the new base (named
    /// for its form, `rdb`), the temporary incremental file of a log being turned on its
    /// first incremental file, the files the base covers history, and writes the manifest;
    /// then deletes the history files unless the rewrite keeps them. As Redis's
    /// `backgroundRewriteDoneHandler`: on failure the manifest is as it was.
    pub(crate) fn finish_rewrite(&self, temp: &Path, rdb: bool) -> io::Result<()> {
        let mut files = self.lock_files();
        let Some((at, keep_history)) = files.rewrite.take() else {
            return Err(io::Error::other("no rewrite was prepared"));
        };
        let at = &at;
        let mut manifest = files.manifest.clone();
        let base = manifest.new_base(&at.name, rdb);
        let base_path = base.path(&at.dir);
        std::fs::rename(temp, &base_path).inspect_err(|error| {
            tracing::warn!(
                "Error trying to rename the temporary AOF base file {} into {}: {error}",
                temp.display(),
                base.display()
            );
        })?;
        tracing::info!(
            "Successfully renamed the temporary AOF base file {} into {}",
            temp.display(),
            base.display()
        );
        let mut io = self.lock_io();
        let mut renamed_incr = None;
        if files.waiting {
            let incr = manifest.new_incr(&at.name);
            let path = incr.path(&at.dir);
            if let Err(error) = std::fs::rename(&io.path, &path) {
                tracing::warn!(
                    "Error trying to rename the temporary AOF incr file into {}: {error}",
                    incr.display()
                );
                let _ = std::fs::remove_file(&base_path);
                return Err(error);
            }
            renamed_incr = Some(path);
        }
        // With the log on, the last incremental file is the one written now: it stays.
        manifest.retire_incrs(io.file.is_some());
        if let Err(error) = at.persist(&manifest) {
            let _ = std::fs::remove_file(&base_path);
            if let Some(path) = renamed_incr {
                let _ = std::fs::rename(&path, &io.path);
            }
            return Err(error);
        }
        if let Some(path) = renamed_incr {
            io.path = path;
            files.waiting = false;
        }
        files.manifest = manifest;
        if io.file.is_some() {
            let base_size = std::fs::metadata(&base_path).map_or(0, |m| m.len());
            let mut state = self.lock();
            state.size = base_size + io.size;
            state.base_size = state.size;
        }
        drop(io);
        if !keep_history {
            // A failure leaves files behind, no harm: as Redis, it is not the rewrite's.
            let _ = files.manifest.delete_history(&at.dir, &at.name);
        }
        Ok(())
    }

    /// A rewrite failed or was killed: a log being turned on drops its temporary
    /// incremental file and what was written to it (the data is in memory; the next attempt
    /// writes it into its base), as Redis does.
    pub(crate) fn abandon_rewrite(&self) {
        let mut files = self.lock_files();
        if !std::mem::take(&mut files.waiting) {
            return;
        }
        let mut io = self.lock_io();
        io.file = None;
        io.retry.clear();
        io.size = 0;
        tracing::info!("Removing the temp incr aof file {}", io.path.display());
        let _ = std::fs::remove_file(&io.path);
        self.lock().forget_file();
    }
}

/// Opens `path` for appending, empty (created, or cut to nothing).
fn open_empty(path: &Path) -> io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.set_len(0)?;
    Ok(file)
}
