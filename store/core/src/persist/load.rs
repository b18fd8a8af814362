//! Reading the files at start-up (and for DEBUG RELOAD and LOADAOF): which file to load, its
//! records checked and handed one by one to a [`Replayer`] (see `exec/replay.rs`: keys of an
//! RDB file go into the databases, commands through the dispatcher), and what follows a
//! load: the log started, its base written.
//!
//! A snapshot is an RDB file, read as it streams in. A log is read whole: an RDB preamble if
//! it starts with one, then commands.
//!
//! A log whose last record was cut short (a crash in the middle of a write) loads everything
//! before it and is truncated there, with a warning (Redis's `aof-load-truncated yes`); so is
//! a transaction whose EXEC never made it. Anything else that is not a well-formed record is
//! corruption: loading stops with the file and byte offset, and the server must not start.

use std::fmt;
use std::path::{Path, PathBuf};

use radish_data::rdb::file::{Item, LoadedKey, Reader, MAGIC};
use radish_data::snapshot::format::{parse_record, Parsed};
use radish_data::types::EncodingLimits;
use radish_data::Millis;

use super::aof::open_for_append;
use super::files::fsync_dir;
use super::snapshot::{self, Plan, Purpose};
use super::{fsync_policy, paths, Persist};
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
    /// A snapshot: an RDB file.
    Snapshot,
    /// The append-only log: its base (an RDB preamble or commands), then the commands
    /// logged since.
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

/// A file to load: its path, its kind, whether a torn tail may be cut off, and how RDB
/// data in it is read.
#[derive(Debug)]
pub(crate) struct FileToLoad {
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
    pub(crate) allow_truncated: bool,
    pub(crate) rdb: RdbSettings,
}

/// How RDB data is read: values built with the encoding limits in force, the checksum
/// checked with `rdbchecksum yes`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RdbSettings {
    pub(crate) limits: EncodingLimits,
    pub(crate) verify_checksum: bool,
}

impl RdbSettings {
    pub(crate) fn new(config: &Config) -> RdbSettings {
        RdbSettings {
            limits: config.encoding_limits(),
            verify_checksum: config.get_bool("rdbchecksum"),
        }
    }
}

/// What applies the records of a file: the keys and libraries of RDB data, and commands as
/// a client would have sent them. Each `Err` says why the file cannot be loaded.
pub(crate) trait Replayer {
    /// True if `name` is a command this server has (anything else is corruption).
    fn knows(&self, name: &[u8]) -> bool;

    /// Runs one command.
    fn run(&mut self, args: &[&[u8]]) -> Result<(), String>;

    /// The keys that follow belong to database `index`.
    fn select_db(&mut self, index: u64) -> Result<(), String>;

    /// Adds a key read from RDB data to the selected database.
    fn load_key(&mut self, key: LoadedKey) -> Result<(), String>;

    /// Loads a function library read from RDB data.
    fn load_function(&mut self, code: &[u8]) -> Result<(), String> {
        self.run(&[&b"FUNCTION"[..], b"LOAD", code])
    }
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
                rdb: RdbSettings::new(config),
            }));
        }
        if paths.snapshot.exists() {
            tracing::info!("Loading the snapshot {}", paths.snapshot.display());
            return Ok(Some(FileToLoad {
                path: paths.snapshot,
                kind: Kind::Snapshot,
                allow_truncated: false,
                rdb: RdbSettings::new(config),
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
                let plan = Plan::new(config, data, Purpose::LogBase, now);
                size = write_base(data, &self.functions(), plan, &mut file, now)
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
                rdb: RdbSettings::new(config),
            },
            Reload::Log => FileToLoad {
                path: paths.log,
                kind: Kind::Log,
                allow_truncated: config.get_bool("aof-load-truncated"),
                rdb: RdbSettings::new(config),
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

/// Loads `file` into `replay`; a torn tail is cut off a log (if `allow_truncated`).
pub(crate) fn load_file(replay: &mut impl Replayer, file: &FileToLoad) -> Result<(), LoadError> {
    let path = &file.path;
    match file.kind {
        Kind::Snapshot => {
            let source = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
            let reader = std::io::BufReader::with_capacity(1 << 16, source);
            load_rdb(replay, reader, path, file.rdb).map(|_| ())
        }
        Kind::Log => load_log(replay, path, file.allow_truncated, file.rdb),
    }
}

/// Reads RDB data from `source` into `replay`, up to and including its checksum. Returns the
/// reader, holding what follows.
fn load_rdb<R: std::io::Read>(
    replay: &mut impl Replayer,
    source: R,
    path: &Path,
    settings: RdbSettings,
) -> Result<Reader<R>, LoadError> {
    let bad = |offset: u64, message: String| LoadError {
        path: path.to_path_buf(),
        offset: Some(offset),
        message,
    };
    let mut reader = Reader::new(source, settings.limits, settings.verify_checksum)
        .map_err(|e| bad(e.offset, e.message))?;
    replay
        .select_db(0)
        .map_err(|why| bad(reader.offset(), why))?;
    loop {
        let at = reader.offset();
        match reader.next_item().map_err(|e| bad(e.offset, e.message))? {
            Item::Aux { name, value } => log_aux(&name, &value),
            Item::Function(code) => replay.load_function(&code).map_err(|why| bad(at, why))?,
            Item::SelectDb(index) => replay.select_db(index).map_err(|why| bad(at, why))?,
            Item::Key(key) => replay.load_key(key).map_err(|why| bad(at, why))?,
            Item::End => return Ok(reader),
        }
    }
}

/// Logs what Redis logs of a file's auxiliary fields.
fn log_aux(name: &[u8], value: &[u8]) {
    let value = String::from_utf8_lossy(value);
    match name {
        b"redis-ver" => tracing::info!("Loading RDB produced by version {value}"),
        b"ctime" => tracing::info!("RDB created at Unix time {value}"),
        b"used-mem" => {
            let mb = value.parse::<u64>().unwrap_or(0) / (1024 * 1024);
            tracing::info!("RDB memory usage when created {mb} Mb")
        }
        _ => tracing::debug!("RDB field {}: {value}", String::from_utf8_lossy(name)),
    }
}

/// Replays a log: its RDB preamble if it has one, then its commands.
fn load_log(
    replay: &mut impl Replayer,
    path: &Path,
    allow_truncated: bool,
    settings: RdbSettings,
) -> Result<(), LoadError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    let bad = |offset: usize, message: String| LoadError {
        path: path.to_path_buf(),
        offset: Some(offset as u64),
        message,
    };
    let mut at = 0;
    if bytes.starts_with(MAGIC) {
        tracing::info!("Reading RDB preamble from AOF file...");
        let reader = load_rdb(replay, &bytes[..], path, settings)?;
        at = reader.offset() as usize;
        tracing::info!("Reading the remaining AOF tail...");
    }
    replay.select_db(0).map_err(|why| bad(at, why))?;
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
        if args[0].eq_ignore_ascii_case(b"multi") {
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
    if !torn && multi.is_none() {
        return Ok(());
    }
    // A torn last record, or a transaction with no EXEC: both are where writing stopped.
    let cut = multi.map_or(at, |(start, _)| start);
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

/// Writes the dataset as the base of an empty log file, and fsyncs it. Returns its size.
fn write_base(
    data: &mut Keyspace,
    functions: &Functions,
    plan: Plan,
    file: &mut std::fs::File,
    now: Millis,
) -> std::io::Result<u64> {
    let written = snapshot::write_all(data, functions, plan, now, file.try_clone()?)?;
    written.sync_all()?;
    use std::io::Seek;
    file.stream_position()
}
