//! Writing snapshots: in the background a chunk at a time (BGSAVE, BGREWRITEAOF), or all at
//! once under the data lock (SAVE, SHUTDOWN).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{mpsc, Arc, MutexGuard};

use bytes::BytesMut;
use radish_data::keys::expired;
use radish_data::snapshot::format::{write_checksum, write_command, write_entry, Crc32, MAGIC};
use radish_data::snapshot::DbSnapshot;
use radish_data::Millis;

use super::abort::Abort;
use super::aof::Install;
use super::files::{commit, fsync_dir, replace_file, temp_path};
use super::{JobKind, Persist};
use crate::scripting::Functions;
use crate::state::keyspace::Keyspace;

/// Keys written per hold of the data lock.
const KEYS_PER_STEP: usize = 256;

/// Bytes gathered before they are written out.
const WRITE_CHUNK: usize = 1 << 20;

/// Takes the snapshot's moment: every database records what it holds now. Call under the
/// data lock, with no snapshot running.
pub(super) fn begin(data: &mut Keyspace, now: Millis) {
    for index in 0..data.len() {
        let db = data.db(index);
        let positions = db.positions();
        db.persist.snapshot = Some(Box::new(DbSnapshot::new(index, positions, now)));
    }
}

/// Forgets a snapshot in progress.
pub(super) fn cancel(data: &mut Keyspace) {
    for index in 0..data.len() {
        data.db(index).persist.snapshot = None;
    }
}

/// One step of a background snapshot, under the data lock: walks up to [`KEYS_PER_STEP`]
/// keys and collects every database's output (walked keys and before-images) into `chunk`,
/// with SELECTs. Returns true when the snapshot is complete (and forgotten).
fn step(data: &mut Keyspace, chunk: &mut BytesMut, selected: &mut Option<usize>) -> bool {
    let mut budget = KEYS_PER_STEP;
    let mut done = true;
    for index in 0..data.len() {
        let (persist, entries) = data.db(index).persist_parts();
        let Some(snapshot) = persist.snapshot.as_deref_mut() else {
            continue;
        };
        if budget > 0 && !snapshot.finished() {
            budget = budget.saturating_sub(snapshot.step(entries, budget));
        }
        if !snapshot.out.is_empty() {
            if *selected != Some(snapshot.index) {
                write_command(
                    chunk,
                    &[&b"SELECT"[..], snapshot.index.to_string().as_bytes()],
                );
                *selected = Some(snapshot.index);
            }
            chunk.unsplit(snapshot.out.split());
        }
        done &= snapshot.finished();
    }
    if done {
        cancel(data);
    }
    done
}

/// A snapshot file being written, with its running checksum.
struct SnapshotFile {
    file: BufWriter<File>,
    crc: Crc32,
}

impl SnapshotFile {
    fn create(path: &Path) -> io::Result<SnapshotFile> {
        let mut file = SnapshotFile {
            file: BufWriter::with_capacity(WRITE_CHUNK, File::create(path)?),
            crc: Crc32::default(),
        };
        file.write(MAGIC)?;
        Ok(file)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.crc.update(bytes);
        self.file.write_all(bytes)
    }

    /// Writes the checksum record, flushes, and returns the file (not yet fsynced).
    fn finish(mut self) -> io::Result<File> {
        let mut trailer = BytesMut::new();
        write_checksum(&mut trailer, self.crc.value());
        self.file.write_all(&trailer)?;
        self.file.into_inner().map_err(|e| e.into_error())
    }
}

fn lock(persist: &Persist) -> MutexGuard<'_, Keyspace> {
    persist.keyspace.lock().unwrap_or_else(|e| e.into_inner())
}

/// The background job's thread: writes the snapshot begun by [`begin`] to a temporary file,
/// then puts it in place (BGSAVE) or hands it to the log writer (BGREWRITEAOF with the log
/// on). Cleans up after itself on failure or abort.
pub(super) fn run(
    persist: &Persist,
    kind: JobKind,
    target: &Path,
    abort: &Arc<Abort>,
) -> Result<(), String> {
    let purpose = match kind {
        JobKind::Bgsave => "bgsave",
        JobKind::Rewrite => "rewriteaof",
    };
    let temp = temp_path(target, purpose);
    let result = write_in_steps(persist, &temp, abort).and_then(|file| {
        file.sync_all().map_err(|e| e.to_string())?;
        if kind == JobKind::Rewrite && persist.aof.running() {
            // The log's thread puts it in place, through the same kill switch.
            let (done, outcome) = mpsc::channel();
            persist.aof.install(Install {
                path: temp.clone(),
                file,
                done,
                abort: abort.clone(),
            });
            outcome
                .recv()
                .unwrap_or_else(|_| Err("the append-only log writer stopped".into()))
        } else {
            // Killed before this, it renames nothing: a newer save owns the target now.
            abort
                .commit(|| replace_file(&temp, target))
                .and_then(|()| fsync_dir(target))
                .map_err(|e| e.to_string())
        }
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

fn write_in_steps(persist: &Persist, temp: &Path, abort: &Abort) -> Result<File, String> {
    let written = (|| {
        let mut file = SnapshotFile::create(temp)?;
        let mut selected = None;
        let mut chunk = BytesMut::with_capacity(WRITE_CHUNK);
        {
            // Under the data lock, as the walk's steps: the libraries as they are now.
            let _data = lock(persist);
            let functions = persist
                .functions
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            write_functions(&mut chunk, &functions);
        }
        loop {
            let done = {
                let mut data = lock(persist);
                // Whoever aborted it (under this lock) forgot its walk, and another job may
                // have begun one since: leave the data alone.
                if abort.is_killed() {
                    return Err(io::Error::other("aborted"));
                }
                step(&mut data, &mut chunk, &mut selected)
            };
            file.write(&chunk)?;
            chunk.clear();
            if done {
                return file.finish();
            }
        }
    })();
    written.map_err(|error| {
        let mut data = lock(persist);
        if !abort.is_killed() {
            cancel(&mut data);
        }
        error.to_string()
    })
}

/// Writes the whole dataset to `target` now (temp file, fsync, rename, fsync of the
/// directory). The caller holds the data lock.
pub(super) fn save(
    data: &mut Keyspace,
    functions: &Functions,
    target: &Path,
    now: Millis,
) -> io::Result<()> {
    let temp = temp_path(target, "save");
    let result = (|| {
        let mut file = SnapshotFile::create(&temp)?;
        write_all(data, functions, now, |bytes| file.write(bytes))?;
        let file = file.finish()?;
        commit(&file, &temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The commands that load every function library back: `FUNCTION LOAD <code>`, as Redis's
/// log rewrite writes them, first in a snapshot.
fn write_functions(chunk: &mut BytesMut, functions: &Functions) {
    for library in functions.libraries() {
        write_command(chunk, &[&b"FUNCTION"[..], b"LOAD", &library.code]);
    }
}

/// Serialises the function libraries and every live key of every database, passing the
/// bytes to `sink` in chunks.
pub(super) fn write_all(
    data: &mut Keyspace,
    functions: &Functions,
    now: Millis,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut chunk = BytesMut::with_capacity(WRITE_CHUNK);
    write_functions(&mut chunk, functions);
    for index in 0..data.len() {
        let (_, entries) = data.db(index).persist_parts();
        if entries.is_empty() {
            continue;
        }
        write_command(&mut chunk, &[&b"SELECT"[..], index.to_string().as_bytes()]);
        for (key, entry, deadline) in entries.iter() {
            if !expired(deadline, now) {
                write_entry(&mut chunk, key, entry, deadline);
            }
            if chunk.len() >= WRITE_CHUNK {
                sink(&chunk)?;
                chunk.clear();
            }
        }
    }
    sink(&chunk)
}
