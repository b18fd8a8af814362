//! Loading at start-up: the snapshot, or with `appendonly yes` the log (which wins, as in
//! Redis). Both are replayed through the command handlers, so a loaded key is exactly what
//! the commands would have made.
//!
//! A log whose last record was cut short (a crash in the middle of a write) loads everything
//! before it and is truncated there, with a warning (Redis's `aof-load-truncated yes`); so is
//! a transaction whose EXEC never made it. Anything else that is not a well-formed record is
//! corruption: loading stops with the file and byte offset, and the server must not start.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, MutexGuard};

use bytes::{Bytes, BytesMut};
use radish_resp::Version;

use super::aof::open_for_append;
use super::files::fsync_dir;
use super::format::{parse_record, write_checksum, Crc32, Parsed, CHECKSUM, MAGIC};
use super::propagate::set_logging;
use super::{fsync_policy, paths, snapshot};
use crate::clients::Client;
use crate::commands::{self, is, parse_int};
use crate::ctx::Ctx;
use crate::db::Millis;
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::server::Server;
use crate::session::{call_queued, ConnState};

/// Why the data on disk could not be loaded; the server must not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// Where in it the problem is, for a malformed file.
    pub offset: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(
                f,
                "Bad file format reading '{}' at byte offset {}: {}. Make a backup of the \
                 file, then fix or remove what follows that offset.",
                self.path.display(),
                offset,
                self.message
            ),
            None => write!(f, "Can't load '{}': {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for LoadError {}

fn io_error(path: &Path, error: std::io::Error) -> LoadError {
    LoadError {
        path: path.to_path_buf(),
        offset: None,
        message: error.to_string(),
    }
}

/// Which kind of file is being loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Snapshot,
    Log,
}

/// Runs commands read from a file as a connection would, with replies thrown away.
struct Replay<'s> {
    server: &'s Server,
    client: Arc<Client>,
    conn: ConnState,
    keyspace: Option<MutexGuard<'s, Keyspace>>,
    out: BytesMut,
    now: Millis,
    /// Keys whose deadline had passed by the time of loading.
    expired: u64,
    /// DEBUG RELOAD NOFLUSH: the keys loaded so far, by database. A key the data has already
    /// is replaced by the file's (Redis's MERGE) rather than added to.
    merged: Option<std::collections::HashSet<(usize, Bytes)>>,
}

impl<'s> Replay<'s> {
    /// A replay into `data` by a client of its own, registered until [`finish`].
    ///
    /// [`finish`]: Replay::finish
    fn new(server: &'s Server, data: MutexGuard<'s, Keyspace>, now: Millis) -> Replay<'s> {
        Replay {
            server,
            client: server.clients.register(None, None, now),
            conn: ConnState {
                replaying: true,
                ..ConnState::new(true)
            },
            keyspace: Some(data),
            out: BytesMut::new(),
            now,
            expired: 0,
            merged: None,
        }
    }

    /// Ends the replay: the data back, and how many keys it found expired.
    fn finish(mut self) -> (MutexGuard<'s, Keyspace>, u64) {
        self.server.clients.unregister(self.client.id);
        let data = self
            .keyspace
            .take()
            .expect("the replay holds the data lock");
        (data, self.expired)
    }

    fn run(&mut self, args: &[Bytes]) -> Result<(), String> {
        if is(&args[0], "select") {
            let databases = self.keyspace.as_ref().map_or(0, |data| data.len());
            let index = args
                .get(1)
                .and_then(|arg| parse_int(arg).ok())
                .filter(|&index| index >= 0 && (index as usize) < databases);
            let Some(index) = index else {
                return Err(format!(
                    "SELECT of a database this server does not have ({databases} configured)"
                ));
            };
            self.conn.db = index as usize;
            return Ok(());
        }
        if let (Some(merged), Some(key)) = (self.merged.as_mut(), args.get(1)) {
            // The first record of each key replaces what the data holds under it.
            if merged.insert((self.conn.db, key.clone())) {
                if let Some(data) = self.keyspace.as_mut() {
                    data.db(self.conn.db).remove(key);
                }
            }
        }
        if is(&args[0], "pexpireat") && args.len() == 3 {
            // A deadline that passed while the server was down: the key is gone (counted as
            // expired, as Redis does for a snapshot's expired keys).
            let passed = parse_int(&args[2]).is_ok_and(|at| at <= self.now as i64);
            if let (true, Some(data)) = (passed, self.keyspace.as_mut()) {
                if data.db(self.conn.db).remove(&args[1]).is_some() {
                    self.expired += 1;
                }
                return Ok(());
            }
        }
        let mut ctx = Ctx {
            server: self.server,
            client: &self.client,
            conn: &mut self.conn,
            reply: Reply {
                out: &mut self.out,
                version: Version::Resp2,
            },
            now: self.now,
            keyspace: &mut self.keyspace,
            block: None,
            ready_key: None,
        };
        call_queued(&mut ctx, args);
        self.out.clear();
        Ok(())
    }
}

/// Loads `path` into the data; a torn tail is cut off the file (if `allow_truncated`).
fn load_file(
    replay: &mut Replay<'_>,
    path: &Path,
    kind: Kind,
    allow_truncated: bool,
) -> Result<(), LoadError> {
    let bytes = Bytes::from(std::fs::read(path).map_err(|e| io_error(path, e))?);
    let bad = |offset: usize, message: String| LoadError {
        path: path.to_path_buf(),
        offset: Some(offset as u64),
        message,
    };
    let mut at = 0;
    let mut in_snapshot = bytes.starts_with(MAGIC);
    if in_snapshot {
        at = MAGIC.len();
    } else if kind == Kind::Snapshot && !bytes.is_empty() {
        return Err(bad(
            0,
            "not a radish snapshot (no RADISH-SNAPSHOT header)".into(),
        ));
    }
    // Commands after MULTI wait for EXEC, so a transaction cut short is not half applied.
    let mut multi: Option<(usize, Vec<Vec<Bytes>>)> = None;
    let mut torn = false;
    while at < bytes.len() {
        let (args, end) = match parse_record(&bytes, at) {
            Parsed::Record { args, end } => (args, end),
            Parsed::Incomplete => {
                torn = true;
                break;
            }
            Parsed::Invalid { at: offset, reason } => return Err(bad(offset, reason.into())),
        };
        let args: Vec<Bytes> = args.into_iter().map(|range| bytes.slice(range)).collect();
        if in_snapshot && args[0] == CHECKSUM {
            let expected = format!("{:08x}", Crc32::of(&bytes[..at]));
            if args.get(1).map(|a| &a[..]) != Some(expected.as_bytes()) {
                return Err(bad(at, "checksum mismatch: the snapshot is corrupt".into()));
            }
            in_snapshot = false;
            if kind == Kind::Snapshot && end != bytes.len() {
                return Err(bad(
                    end,
                    "unexpected data after the snapshot's checksum".into(),
                ));
            }
        } else if is(&args[0], "multi") {
            if multi.is_some() {
                return Err(bad(at, "MULTI inside a transaction".into()));
            }
            multi = Some((at, Vec::new()));
        } else if is(&args[0], "exec") {
            // An EXEC with no MULTI (a rewrite that began inside a transaction) is harmless.
            for queued in multi.take().map(|(_, queue)| queue).unwrap_or_default() {
                replay.run(&queued).map_err(|why| bad(at, why))?;
            }
        } else {
            if commands::lookup(&args[0]).is_none() {
                return Err(bad(
                    at,
                    format!("unknown command '{}'", String::from_utf8_lossy(&args[0])),
                ));
            }
            match &mut multi {
                Some((_, queue)) => queue.push(args),
                None => replay.run(&args).map_err(|why| bad(at, why))?,
            }
        }
        at = end;
    }
    if in_snapshot && !torn {
        return Err(bad(at, "the snapshot ends before its checksum".into()));
    }
    if !torn && multi.is_none() {
        return Ok(());
    }
    // A torn last record, or a transaction with no EXEC: both are where writing stopped.
    let cut = multi.map_or(at, |(start, _)| start);
    if kind == Kind::Snapshot || in_snapshot {
        return Err(bad(at, "the file ends in the middle of a record".into()));
    }
    if !allow_truncated {
        return Err(bad(
            cut,
            "the file ends in the middle of a record (aof-load-truncated is no)".into(),
        ));
    }
    tracing::warn!(
        "!!! Warning: short read while loading the AOF file {}!!!",
        path.display()
    );
    tracing::warn!(
        "AOF loaded anyway because aof-load-truncated is enabled: truncating {} bytes at \
         offset {cut} (everything before it is loaded)",
        bytes.len() - cut
    );
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    file.set_len(cut as u64).map_err(|e| io_error(path, e))?;
    file.sync_all().map_err(|e| io_error(path, e))?;
    Ok(())
}

/// Removes keys whose deadline passed while the server was down. Returns how many.
fn remove_expired(data: &mut Keyspace, now: Millis) -> u64 {
    let mut removed = 0;
    for index in 0..data.len() {
        let db = data.db(index);
        let (_, entries) = db.persist_parts();
        let expired: Vec<_> = entries
            .iter()
            .filter(|(_, entry)| entry.expires_at().is_some_and(|at| at <= now))
            .map(|(key, _)| key.clone())
            .collect();
        for key in expired {
            db.remove(&key);
            removed += 1;
        }
    }
    removed
}

/// Loads the data on disk into a new server and, with `appendonly yes`, starts the log
/// (writing its base first if there was none).
pub(crate) fn open(server: &Server, now: Millis) -> Result<(), LoadError> {
    let config = server.config().clone();
    let paths = paths(&config);
    let dir = PathBuf::from(config.get("dir").unwrap_or("."));
    std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
    let appendonly = config.get_bool("appendonly");
    let log_exists = paths.log.exists();
    let mut replay = Replay::new(server, server.keyspace(), now);
    let loaded = if appendonly && log_exists {
        tracing::info!("Reading the append only file {}", paths.log.display());
        load_file(
            &mut replay,
            &paths.log,
            Kind::Log,
            config.get_bool("aof-load-truncated"),
        )
        .map(|()| true)
    } else if paths.snapshot.exists() {
        tracing::info!("Loading the snapshot {}", paths.snapshot.display());
        load_file(&mut replay, &paths.snapshot, Kind::Snapshot, false).map(|()| true)
    } else {
        Ok(false)
    };
    let (mut data, expired_in_replay) = replay.finish();
    let loaded = loaded?;
    let expired = expired_in_replay + remove_expired(&mut data, now);
    let keys: usize = data.dbs().iter().map(|db| db.len()).sum();
    data.dirty = 0;
    if loaded {
        tracing::info!("DB loaded from disk: {keys} keys ({expired} had expired)");
    }
    if appendonly {
        let (mut file, mut size) =
            open_for_append(&paths.log).map_err(|e| io_error(&paths.log, e))?;
        if !log_exists {
            size = write_base(&mut data, &mut file, now).map_err(|e| io_error(&paths.log, e))?;
            fsync_dir(&paths.log).map_err(|e| io_error(&paths.log, e))?;
        }
        set_logging(&mut data, true);
        server
            .persist
            .aof
            .start(paths.log, Some(file), size, fsync_policy(&config));
    }
    let mut jobs = server.persist.jobs();
    jobs.loaded_keys = keys as u64;
    jobs.loaded_expired = expired;
    jobs.last_save = now;
    jobs.automatic = true;
    Ok(())
}

/// Which file DEBUG RELOAD (the snapshot) or DEBUG LOADAOF (the log) loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reload {
    /// The snapshot file.
    Snapshot,
    /// The append-only log.
    Log,
}

/// DEBUG RELOAD and DEBUG LOADAOF: loads the snapshot or the log into the running server, as
/// at start, emptying the data first if `flush`; if not, each key the file holds replaces
/// the one of that name (Redis's NOFLUSH MERGE; without MERGE Redis stops on such a key).
/// What the log holds in memory is written to its file first, and nothing loaded is logged
/// again. `keyspace` is the caller's hold on the data (taken if it has none), given back
/// locked.
pub(crate) fn reload<'s>(
    server: &'s Server,
    keyspace: &mut Option<MutexGuard<'s, Keyspace>>,
    from: Reload,
    flush: bool,
    now: Millis,
) -> Result<(), LoadError> {
    let config = server.config().clone();
    let paths = paths(&config);
    let (path, kind, allow_truncated) = match from {
        Reload::Snapshot => (paths.snapshot, Kind::Snapshot, false),
        Reload::Log => (paths.log, Kind::Log, config.get_bool("aof-load-truncated")),
    };
    // Nothing is emptied for a file that is not there.
    std::fs::metadata(&path).map_err(|e| io_error(&path, e))?;
    let mut data = keyspace.take().unwrap_or_else(|| server.keyspace());
    server.persist.write_log_file(&mut data);
    let logging = data.log.on;
    set_logging(&mut data, false);
    if flush {
        data.flush_all();
    }
    let mut replay = Replay::new(server, data, now);
    if !flush {
        replay.merged = Some(Default::default());
    }
    let loaded = load_file(&mut replay, &path, kind, allow_truncated);
    let (mut data, _) = replay.finish();
    remove_expired(&mut data, now);
    data.dirty = 0;
    set_logging(&mut data, logging);
    *keyspace = Some(data);
    loaded
}

/// Writes the dataset as a snapshot into an empty log file, and fsyncs it.
fn write_base(data: &mut Keyspace, file: &mut std::fs::File, now: Millis) -> std::io::Result<u64> {
    use std::io::Write;
    let mut crc = Crc32::default();
    let mut size = 0;
    let mut write = |bytes: &[u8]| {
        crc.update(bytes);
        size += bytes.len() as u64;
        file.write_all(bytes)
    };
    write(MAGIC)?;
    snapshot::write_all(data, now, &mut write)?;
    let mut trailer = BytesMut::new();
    write_checksum(&mut trailer, crc.value());
    file.write_all(&trailer)?;
    file.sync_all()?;
    Ok(size + trailer.len() as u64)
}
