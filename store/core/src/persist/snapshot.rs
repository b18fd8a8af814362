//! Writing snapshots: in the background a chunk at a time (BGSAVE, BGREWRITEAOF), or all at
//! once under the data lock (SAVE, SHUTDOWN). A snapshot is an RDB file as Redis 7.0 writes
//! it (`radish_data::rdb::file`), and so is a log's base, unless `aof-use-rdb-preamble no`
//! asks for the commands that recreate the data.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use radish_data::evict::Policy;
use radish_data::keys::expired;
use radish_data::rdb::crc64::crc64;
use radish_data::rdb::file::{
    checksum_trailer, write_aux, write_end, write_function, write_header, write_resize_db,
    write_select_db, SavedAccess, WriteOptions,
};
use radish_data::snapshot::format::write_command;
use radish_data::snapshot::{DbSnapshot, Format};
use radish_data::Millis;

use super::abort::Abort;
use super::files::{commit, fsync_dir, replace_file, temp_path};
use super::{JobKind, Persist};
use crate::scripting::Functions;
use crate::state::config::Config;
use crate::state::keyspace::Keyspace;
use crate::state::REDIS_VERSION;

/// Keys written per hold of the data lock.
const KEYS_PER_STEP: usize = 256;

/// Bytes gathered before they are written out.
const WRITE_CHUNK: usize = 1 << 20;

/// What a snapshot is written for, which decides its form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// The snapshot file (`dbfilename`).
    Dump,
    /// The base of the append-only log.
    LogBase,
}

/// The form of one snapshot, settled from the configuration when it begins (as Redis's
/// child sees the configuration of the moment it forked).
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    format: Format,
    /// `rdbchecksum`.
    checksum: bool,
    /// The base of a log (the `aof-base` field).
    log_base: bool,
    /// `used_memory` at the start, for the `used-mem` field.
    used_memory: usize,
    /// `rdb-key-save-delay`: microseconds to wait after each key (negative: wait 1 µs with
    /// probability 1/|n|), to slow a save down in tests, as Redis's `debugDelay`.
    key_delay: i64,
    /// The snapshot's moment (the `ctime` field).
    now: Millis,
}

impl Plan {
    /// The plan for a snapshot taken now for `purpose`.
    pub(super) fn new(config: &Config, data: &mut Keyspace, purpose: Purpose, now: Millis) -> Plan {
        let rdb = purpose == Purpose::Dump || config.get_bool("aof-use-rdb-preamble");
        let eviction = config.eviction_settings();
        let access = match eviction.policy {
            Policy::AllKeysLru | Policy::VolatileLru => SavedAccess::IdleTime,
            Policy::AllKeysLfu | Policy::VolatileLfu => SavedAccess::Frequency {
                decay_time: eviction.lfu_decay_time,
            },
            _ => SavedAccess::Nothing,
        };
        let format = if rdb {
            Format::Rdb(WriteOptions {
                limits: config.encoding_limits(),
                compress: config.get_bool("rdbcompression"),
                access,
                now,
            })
        } else {
            Format::Commands
        };
        Plan {
            format,
            checksum: config.get_bool("rdbchecksum"),
            log_base: purpose == Purpose::LogBase,
            used_memory: data.used_memory(),
            key_delay: config.get_int("rdb-key-save-delay"),
            now,
        }
    }

    /// What comes before the keys: the RDB header and auxiliary fields and the function
    /// libraries, or the FUNCTION LOADs that recreate the libraries.
    fn opening(&self, functions: &Functions) -> Vec<u8> {
        let mut out = Vec::new();
        match self.format {
            Format::Rdb(_) => {
                write_header(&mut out);
                write_aux(&mut out, b"redis-ver", REDIS_VERSION.as_bytes());
                let bits = (usize::BITS).to_string();
                write_aux(&mut out, b"redis-bits", bits.as_bytes());
                write_aux(&mut out, b"ctime", (self.now / 1000).to_string().as_bytes());
                write_aux(
                    &mut out,
                    b"used-mem",
                    self.used_memory.to_string().as_bytes(),
                );
                let base = if self.log_base { "1" } else { "0" };
                write_aux(&mut out, b"aof-base", base.as_bytes());
                for library in functions.libraries() {
                    write_function(&mut out, &library.code);
                }
            }
            Format::Commands => {
                let mut commands = BytesMut::new();
                for library in functions.libraries() {
                    write_command(&mut commands, &[&b"FUNCTION"[..], b"LOAD", &library.code]);
                }
                out.extend_from_slice(&commands);
            }
        }
        out
    }

    /// The switch to database `index`, whose sizes are `sizes` when it is first selected.
    fn select(&self, out: &mut BytesMut, index: usize, sizes: Option<(usize, usize)>) {
        match self.format {
            Format::Rdb(_) => {
                let mut bytes = Vec::new();
                write_select_db(&mut bytes, index);
                if let Some((keys, volatile)) = sizes {
                    write_resize_db(&mut bytes, keys, volatile);
                }
                out.extend_from_slice(&bytes);
            }
            Format::Commands => write_command(out, &[&b"SELECT"[..], index.to_string().as_bytes()]),
        }
    }

    /// Waits as `rdb-key-save-delay` asks after `keys` keys were written.
    fn delay(&self, keys: u64) {
        let micros = match self.key_delay {
            0 => return,
            n if n > 0 => n as u64 * keys,
            // Redis sleeps 1 µs with a chance of 1 in |n|: on average 1/|n| µs a key.
            n => keys / n.unsigned_abs(),
        };
        if micros > 0 {
            std::thread::sleep(Duration::from_micros(micros));
        }
    }
}

/// Takes the snapshot's moment: every database records what it holds now. Call under the
/// data lock, with no snapshot running.
pub(super) fn begin(data: &mut Keyspace, plan: &Plan) {
    for index in 0..data.len() {
        let db = data.db(index);
        let positions = db.positions();
        db.persist.snapshot = Some(Box::new(DbSnapshot::new(
            index,
            positions,
            plan.now,
            plan.format,
        )));
    }
}

/// Forgets a snapshot in progress.
pub(super) fn cancel(data: &mut Keyspace) {
    for index in 0..data.len() {
        data.db(index).persist.snapshot = None;
    }
}

/// Where a background snapshot's writer is: the database its output last selected, and
/// those it has selected at least once (their sizes went with the first selection).
#[derive(Default)]
struct Selection {
    current: Option<usize>,
    seen: Vec<bool>,
}

/// One step of a background snapshot, under the data lock: walks up to `budget` keys and
/// collects every database's output (walked keys and before-images) into `chunk`, with
/// database switches. Returns the keys written, and true when the snapshot is complete (and
/// forgotten).
fn step(
    data: &mut Keyspace,
    plan: &Plan,
    chunk: &mut BytesMut,
    selection: &mut Selection,
    budget: usize,
) -> (u64, bool) {
    let mut budget = budget;
    let mut done = true;
    let mut written = 0;
    for index in 0..data.len() {
        let db = data.db(index);
        let sizes = (db.len(), db.volatile_len());
        let (persist, entries) = db.persist_parts();
        let Some(snapshot) = persist.snapshot.as_deref_mut() else {
            continue;
        };
        let before = snapshot.written;
        if budget > 0 && !snapshot.finished() {
            budget = budget.saturating_sub(snapshot.step(entries, budget));
        }
        written += snapshot.written - before;
        if !snapshot.out.is_empty() {
            if selection.current != Some(snapshot.index) {
                if selection.seen.len() <= snapshot.index {
                    selection.seen.resize(snapshot.index + 1, false);
                }
                let first = !std::mem::replace(&mut selection.seen[snapshot.index], true);
                plan.select(chunk, snapshot.index, first.then_some(sizes));
                selection.current = Some(snapshot.index);
            }
            chunk.unsplit(snapshot.out.split());
        }
        done &= snapshot.finished();
    }
    if done {
        cancel(data);
    }
    (written, done)
}

/// A snapshot file being written, with its running checksum.
struct SnapshotFile {
    file: BufWriter<File>,
    plan: Plan,
    crc: u64,
}

impl SnapshotFile {
    fn create(path: &Path, plan: Plan, opening: &[u8]) -> io::Result<SnapshotFile> {
        let mut file = SnapshotFile {
            file: BufWriter::with_capacity(WRITE_CHUNK, File::create(path)?),
            plan,
            crc: 0,
        };
        file.write(opening)?;
        Ok(file)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.plan.checksum && matches!(self.plan.format, Format::Rdb(_)) {
            self.crc = crc64(self.crc, bytes);
        }
        self.file.write_all(bytes)
    }

    /// Ends the file (the end marker and checksum of an RDB file), flushes, and returns it
    /// (not yet fsynced).
    fn finish(mut self) -> io::Result<File> {
        if let Format::Rdb(_) = self.plan.format {
            let mut end = Vec::new();
            write_end(&mut end);
            self.write(&end)?;
            let crc = self.plan.checksum.then_some(self.crc);
            self.file.write_all(&checksum_trailer(crc))?;
        }
        self.file.into_inner().map_err(|e| e.into_error())
    }
}

fn lock(persist: &Persist) -> MutexGuard<'_, Keyspace> {
    persist.keyspace.lock().unwrap_or_else(|e| e.into_inner())
}

/// The background job's thread: writes the snapshot begun by [`begin`] to a temporary file,
/// then puts it in place (BGSAVE) or makes it the log's new base (BGREWRITEAOF). Cleans up after itself on failure or abort.
pub(super) fn run(
    persist: &Persist,
    kind: JobKind,
    plan: Plan,
    target: &Path,
    abort: &Arc<Abort>,
) -> Result<(), String> {
    let purpose = match kind {
        JobKind::Bgsave => "bgsave",
        JobKind::Rewrite => "rewriteaof",
    };
    let temp = temp_path(target, purpose);
    let result = write_in_steps(persist, plan, &temp, abort).and_then(|file| {
        file.sync_all().map_err(|e| e.to_string())?;
        if kind == JobKind::Rewrite {
            // The new base of the log's directory, through the same kill switch.
            let rdb = matches!(plan.format, Format::Rdb(_));
            abort
                .commit(|| persist.aof.finish_rewrite(&temp, rdb))
                .map_err(|e| e.to_string())
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

fn write_in_steps(
    persist: &Persist,
    plan: Plan,
    temp: &Path,
    abort: &Abort,
) -> Result<File, String> {
    let written = (|| {
        let opening = {
            // Under the data lock, as the walk's steps: the libraries as they are now.
            let _data = lock(persist);
            let functions = persist
                .functions
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            plan.opening(&functions)
        };
        let mut file = SnapshotFile::create(temp, plan, &opening)?;
        let mut selection = Selection::default();
        let mut chunk = BytesMut::with_capacity(WRITE_CHUNK);
        // With a delay per key, one key per hold of the lock: the wait is outside it.
        let budget = if plan.key_delay == 0 {
            KEYS_PER_STEP
        } else {
            1
        };
        loop {
            let (keys, done) = {
                let mut data = lock(persist);
                // Whoever aborted it (under this lock) forgot its walk, and another job may
                // have begun one since: leave the data alone.
                if abort.is_killed() {
                    return Err(io::Error::other("aborted"));
                }
                step(&mut data, &plan, &mut chunk, &mut selection, budget)
            };
            file.write(&chunk)?;
            chunk.clear();
            if done {
                return file.finish();
            }
            plan.delay(keys);
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
    plan: Plan,
    target: &Path,
    now: Millis,
) -> io::Result<()> {
    let temp = temp_path(target, "save");
    let result = (|| {
        let file = File::create(&temp)?;
        let file = write_all(data, functions, plan, now, file)?;
        commit(&file, &temp, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes the function libraries and every live key of every database to `file`, whole:
/// opening, keys, end. Returns the file, flushed (not fsynced).
pub(super) fn write_all(
    data: &mut Keyspace,
    functions: &Functions,
    plan: Plan,
    now: Millis,
    file: File,
) -> io::Result<File> {
    let mut file = SnapshotFile {
        file: BufWriter::with_capacity(WRITE_CHUNK, file),
        plan,
        crc: 0,
    };
    file.write(&plan.opening(functions))?;
    let mut chunk = BytesMut::with_capacity(WRITE_CHUNK);
    let mut scratch = Vec::new();
    for index in 0..data.len() {
        let db = data.db(index);
        let sizes = (db.len(), db.volatile_len());
        let (_, entries) = db.persist_parts();
        if entries.is_empty() {
            continue;
        }
        plan.select(&mut chunk, index, Some(sizes));
        for (key, entry, deadline) in entries.iter() {
            if !expired(deadline, now) {
                plan.format
                    .write(&mut chunk, &mut scratch, key, entry, deadline);
                plan.delay(1);
            }
            if chunk.len() >= WRITE_CHUNK {
                file.write(&chunk)?;
                chunk.clear();
            }
        }
    }
    file.write(&chunk)?;
    file.finish()
}
