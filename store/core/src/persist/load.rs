//! Reading the files at start-up (and for DEBUG RELOAD and LOADAOF): which file to load, its
//! records checked and handed one by one to a [`Replayer`] (the dispatcher, see
//! `exec/replay.rs`), and what follows a load: the log started, its base written.
//!
//! A log whose last record was cut short (a crash in the middle of a write) loads everything
//! before it and is truncated there, with a warning (Redis's `aof-load-truncated yes`); so is
//! a transaction whose EXEC never made it. Anything else that is not a well-formed record is
//! corruption: loading stops with the file and byte offset, and the server must not start.

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use radish_data::snapshot::format::{parse_record, write_checksum, Crc32, Parsed, CHECKSUM, MAGIC};
use radish_data::Millis;

use super::aof::open_for_append;
use super::files::fsync_dir;
use super::{fsync_policy, paths, snapshot, Persist};
use crate::scripting::Functions;
use crate::state::config::Config;
use crate::state::keyspace::Keyspace;

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
pub(crate) enum Kind {
    /// A snapshot: the header, the data as commands, a checksum.
    Snapshot,
    /// The append-only log: a snapshot as its base, then the commands logged since.
    Log,
}

/// Which file DEBUG RELOAD (the snapshot) or DEBUG LOADAOF (the log) loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reload {
    /// The snapshot file.
    Snapshot,
    /// The append-only log.
    Log,
}

/// A file to load: its path, its kind, and whether a torn tail may be cut off.
#[derive(Debug)]
pub(crate) struct FileToLoad {
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
    pub(crate) allow_truncated: bool,
}

/// What runs the records of a file: each command, as a client would have sent it.
pub(crate) trait Replayer {
    /// True if `name` is a command this server has (anything else is corruption).
    fn knows(&self, name: &[u8]) -> bool;

    /// Runs one command; `Err` says why the file cannot be loaded.
    fn run(&mut self, args: &[&[u8]]) -> Result<(), String>;
}

impl Persist {
    /// The file to load at start: the log with `appendonly yes` (it wins, as in Redis), else
    /// the snapshot, if there is one. Creates the data directory.
    pub(crate) fn file_to_load(&self, config: &Config) -> Result<Option<FileToLoad>, LoadError> {
        let paths = paths(config);
        let dir = PathBuf::from(config.get("dir").unwrap_or("."));
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        if config.get_bool("appendonly") && paths.log.exists() {
            tracing::info!("Reading the append only file {}", paths.log.display());
            return Ok(Some(FileToLoad {
                path: paths.log,
                kind: Kind::Log,
                allow_truncated: config.get_bool("aof-load-truncated"),
            }));
        }
        if paths.snapshot.exists() {
            tracing::info!("Loading the snapshot {}", paths.snapshot.display());
            return Ok(Some(FileToLoad {
                path: paths.snapshot,
                kind: Kind::Snapshot,
                allow_truncated: false,
            }));
        }
        Ok(None)
    }

    /// After the load at start (`loaded`: a file was loaded, `expired`: keys it held whose
    /// deadline had passed): removes what expired while the server was down and, with
    /// `appendonly yes`, starts the log (writing its base first if there was none). From
    /// now on `save` rules and automatic rewrites apply.
    pub(crate) fn finish_load(
        &self,
        config: &Config,
        data: &mut Keyspace,
        loaded: bool,
        expired: u64,
        now: Millis,
    ) -> Result<(), LoadError> {
        let paths = paths(config);
        let expired = expired + remove_expired(data, now);
        let keys: usize = data.dbs().iter().map(|db| db.len()).sum();
        data.dirty = 0;
        if loaded {
            tracing::info!("DB loaded from disk: {keys} keys ({expired} had expired)");
        }
        if config.get_bool("appendonly") {
            let log_exists = paths.log.exists();
            let (mut file, mut size) =
                open_for_append(&paths.log).map_err(|e| io_error(&paths.log, e))?;
            if !log_exists {
                size = write_base(data, &self.functions(), &mut file, now)
                    .map_err(|e| io_error(&paths.log, e))?;
                fsync_dir(&paths.log).map_err(|e| io_error(&paths.log, e))?;
            }
            data.set_logging(true);
            self.aof
                .start(paths.log, Some(file), size, fsync_policy(config));
        }
        let mut jobs = self.jobs();
        jobs.loaded_keys = keys as u64;
        jobs.loaded_expired = expired;
        jobs.last_save = now;
        jobs.automatic = true;
        Ok(())
    }

    /// Before DEBUG RELOAD or LOADAOF loads `from` into the running server: the file (which
    /// must exist: nothing is emptied for a file that is not there), with what the log holds
    /// in memory written to its file first and logging stopped, so that nothing loaded is
    /// logged again; the data emptied if `flush`. Returns the file, and whether the log was
    /// on, for [`finish_reload`](Persist::finish_reload).
    pub(crate) fn prepare_reload(
        &self,
        config: &Config,
        data: &mut Keyspace,
        from: Reload,
        flush: bool,
    ) -> Result<(FileToLoad, bool), LoadError> {
        let paths = paths(config);
        let file = match from {
            Reload::Snapshot => FileToLoad {
                path: paths.snapshot,
                kind: Kind::Snapshot,
                allow_truncated: false,
            },
            Reload::Log => FileToLoad {
                path: paths.log,
                kind: Kind::Log,
                allow_truncated: config.get_bool("aof-load-truncated"),
            },
        };
        std::fs::metadata(&file.path).map_err(|e| io_error(&file.path, e))?;
        self.write_log_file(data);
        let logging = data.log.on;
        data.set_logging(false);
        if flush {
            // Redis's emptyData: the function libraries go with the keys.
            data.flush_all();
            self.functions
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .flush();
        }
        Ok((file, logging))
    }

    /// After DEBUG RELOAD or LOADAOF: removes what has expired, and logs again if it did.
    pub(crate) fn finish_reload(&self, data: &mut Keyspace, logging: bool, now: Millis) {
        remove_expired(data, now);
        data.dirty = 0;
        data.set_logging(logging);
    }
}

/// Replays `path` into `replay`; a torn tail is cut off the file (if `allow_truncated`).
pub(crate) fn load_file(
    replay: &mut impl Replayer,
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
    let mut multi: Option<(usize, Vec<Vec<&[u8]>>)> = None;
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
        let args: Vec<&[u8]> = args.into_iter().map(|range| &bytes[range]).collect();
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
        } else if args[0].eq_ignore_ascii_case(b"multi") {
            if multi.is_some() {
                return Err(bad(at, "MULTI inside a transaction".into()));
            }
            multi = Some((at, Vec::new()));
        } else if args[0].eq_ignore_ascii_case(b"exec") {
            // An EXEC with no MULTI (a rewrite that began inside a transaction) is harmless.
            for queued in multi.take().map(|(_, queue)| queue).unwrap_or_default() {
                replay.run(&queued).map_err(|why| bad(at, why))?;
            }
        } else {
            if !replay.knows(args[0]) {
                return Err(bad(
                    at,
                    format!("unknown command '{}'", String::from_utf8_lossy(args[0])),
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
pub(crate) fn remove_expired(data: &mut Keyspace, now: Millis) -> u64 {
    let mut removed = 0;
    for index in 0..data.len() {
        let db = data.db(index);
        let (_, entries) = db.persist_parts();
        let expired: Vec<_> = entries
            .iter()
            .filter(|(_, _, deadline)| deadline.is_some_and(|at| at <= now))
            .map(|(key, _, _)| key.clone())
            .collect();
        for key in expired {
            db.remove(&key);
            removed += 1;
        }
    }
    removed
}

/// Writes the dataset as a snapshot into an empty log file, and fsyncs it.
fn write_base(
    data: &mut Keyspace,
    functions: &Functions,
    file: &mut std::fs::File,
    now: Millis,
) -> std::io::Result<u64> {
    use std::io::Write;
    let mut crc = Crc32::default();
    let mut size = 0;
    let mut write = |bytes: &[u8]| {
        crc.update(bytes);
        size += bytes.len() as u64;
        file.write_all(bytes)
    };
    write(MAGIC)?;
    snapshot::write_all(data, functions, now, &mut write)?;
    let mut trailer = BytesMut::new();
    write_checksum(&mut trailer, crc.value());
    file.write_all(&trailer)?;
    file.sync_all()?;
    Ok(size + trailer.len() as u64)
}
