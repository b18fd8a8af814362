//! Reading the files at start-up (and for DEBUG RELOAD and LOADAOF): which file to load, its
//! records checked and handed one by one to a [`Replayer`] (see `exec/replay.rs`: keys of an
//! RDB file go into the databases, commands through the dispatcher), and what follows a
//! load: the log started, its base written.
//!
//! A snapshot is an RDB file, read as it streams in. A log is the files its manifest lists
//! (Redis 7.0's multi-part log: the base, then each incremental file), each read whole: an
//! RDB preamble if it starts with one, then commands. A log as Redis before 7.0 wrote it,
//! one `appendfilename` in `dir`, becomes the base of a new manifest first, as Redis
//! upgrades it.
//!
//! A log whose last file's last record was cut short (a crash in the middle of a write)
//! loads everything before it and is truncated there, with a warning (Redis's
//! `aof-load-truncated yes`); so is a transaction whose EXEC never made it. Anything else
//! that is not a well-formed record, a torn record in any other file included, is
//! corruption: loading stops with the file and byte offset, and the server must not start.

use std::fmt;
use std::path::{Path, PathBuf};

use radish_data::rdb::file::{Item, LoadedKey, Reader, MAGIC};
use radish_data::snapshot::format::{parse_record, Parsed};
use radish_data::types::EncodingLimits;
use radish_data::Millis;

use super::aof::manifest::{LogDir, Manifest};
use super::aof::open_for_append;
use super::files::create_dir;
use super::snapshot::{self, Plan, Purpose};
use super::{fsync_policy, paths, Paths, Persist};
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

/// A file to load: its path (a log's manifest), its kind, a log's files in loading order,
/// whether a torn tail may be cut off the last, and how RDB data in it is read.
#[derive(Debug)]
pub(crate) struct FileToLoad {
    pub(crate) path: PathBuf,
    pub(crate) kind: Kind,
    pub(crate) parts: Vec<PathBuf>,
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
    /// The file to load at start: the log with `appendonly yes` (only the log, as in Redis,
    /// even when it has no files), else the snapshot, if there is one. Creates the data
    /// directory; reads the log's manifest whatever `appendonly` says (a malformed one stops
    /// the server, as in Redis), and with `appendonly yes` moves a log Redis before 7.0
    /// wrote into the append-only directory.
    pub(crate) fn file_to_load(&self, config: &Config) -> Result<Option<FileToLoad>, LoadError> {
        let paths = paths(config);
        let dir = PathBuf::from(config.get("dir").unwrap_or("."));
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let manifest = read_manifest(&paths.aof)?.unwrap_or_default();
        self.aof.set_manifest(manifest.clone());
        if config.get_bool("appendonly") {
            let manifest = upgrade_if_needed(&paths, manifest)?;
            self.aof.set_manifest(manifest.clone());
            if manifest.is_empty() {
                return Ok(None);
            }
            tracing::info!(
                "Reading the append only files in {}",
                paths.aof.dir.display()
            );
            return log_to_load(config, &paths.aof, &manifest).map(Some);
        }
        if paths.snapshot.exists() {
            tracing::info!("Loading the snapshot {}", paths.snapshot.display());
            return Ok(Some(FileToLoad {
                path: paths.snapshot,
                kind: Kind::Snapshot,
                parts: Vec::new(),
                allow_truncated: false,
                rdb: RdbSettings::new(config),
            }));
        }
        Ok(None)
    }

    /// After the load at start (`loaded`: a file was loaded, `expired`: keys it held whose
    /// deadline had passed): removes what expired while the server was down and, with
    /// `appendonly yes`, starts the log as Redis's `aofOpenIfNeededOnServerStart` does (a
    /// base written from the data if the log has no files, the last incremental file opened
    /// or a first one created, the manifest written). History files are deleted. From now
    /// on `save` rules and automatic rewrites apply.
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
        let at = &paths.aof;
        let mut manifest = self.aof.manifest();
        if config.get_bool("appendonly") {
            let failed = |e| io_error(&at.dir, e);
            create_dir(&at.dir).map_err(failed)?;
            // Redis counts what it loaded: a base written now is not in the figures.
            let sizes = loaded_sizes(at, &manifest);
            let mut changed = false;
            if manifest.is_empty() {
                let rdb = config.get_bool("aof-use-rdb-preamble");
                let base = manifest.new_base(&at.name, rdb);
                let plan = Plan::new(config, data, Purpose::LogBase, now);
                snapshot::save(data, &self.functions(), plan, &base.path(&at.dir), now)
                    .map_err(failed)?;
                tracing::info!("Creating AOF base file {} on server start", base.display());
                changed = true;
            }
            let opening = !manifest.incrs.is_empty();
            let incr = manifest.last_incr(&at.name);
            changed |= !opening;
            let path = incr.path(&at.dir);
            let (file, incr_size) = open_for_append(&path).map_err(|e| io_error(&path, e))?;
            if changed {
                at.persist(&manifest).map_err(failed)?;
            }
            let verb = if opening { "Opening" } else { "Creating" };
            tracing::info!("{verb} AOF incr file {} on server start", incr.display());
            data.set_logging(true);
            self.aof
                .start(Some((path, file, incr_size)), sizes, fsync_policy(config));
        }
        if at.dir.is_dir() && !config.get_bool("aof-disable-auto-gc") {
            // A failure leaves files behind, no harm (logged).
            let _ = manifest.delete_history(&at.dir, &at.name);
        }
        self.aof.set_manifest(manifest);
        let mut jobs = self.jobs();
        jobs.loaded_keys = keys as u64;
        jobs.loaded_expired = expired;
        jobs.last_save = now;
        jobs.automatic = true;
        Ok(())
    }

    /// Before DEBUG RELOAD or LOADAOF loads `from` into the running server: the file (which
    /// must exist: nothing is emptied for a file that is not there; for the log, the
    /// manifest read again from disk, as Redis does), with what the log holds in memory
    /// written to its file first and logging stopped, so that nothing loaded is logged
    /// again; the data emptied if `flush`. Returns the file, and whether the log was on, for
    /// [`finish_reload`](Persist::finish_reload).
    pub(crate) fn prepare_reload(
        &self,
        config: &Config,
        data: &mut Keyspace,
        from: Reload,
        flush: bool,
    ) -> Result<(FileToLoad, bool), LoadError> {
        let paths = paths(config);
        let file = match from {
            Reload::Snapshot => {
                std::fs::metadata(&paths.snapshot).map_err(|e| io_error(&paths.snapshot, e))?;
                FileToLoad {
                    path: paths.snapshot,
                    kind: Kind::Snapshot,
                    parts: Vec::new(),
                    allow_truncated: false,
                    rdb: RdbSettings::new(config),
                }
            }
            Reload::Log => {
                let manifest_path = paths.aof.manifest_path();
                let Some(manifest) = read_manifest(&paths.aof)? else {
                    let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
                    return Err(io_error(&manifest_path, missing));
                };
                let mut manifest = manifest;
                if !config.get_bool("aof-disable-auto-gc") {
                    // As Redis's DEBUG LOADAOF (a failure is logged, and harmless).
                    let _ = manifest.delete_history(&paths.aof.dir, &paths.aof.name);
                }
                let file = log_to_load(config, &paths.aof, &manifest)?;
                self.aof.set_manifest(manifest);
                file
            }
        };
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

/// Reads the manifest in `at`, if there is one; a malformed one is a load error.
fn read_manifest(at: &LogDir) -> Result<Option<Manifest>, LoadError> {
    at.read().map_err(|message| LoadError {
        path: at.manifest_path(),
        offset: None,
        message,
    })
}

/// Redis's upgrade from a log before 7.0 (`loadAppendOnlyFiles`, `aofUpgradePrepare`): when
/// `appendfilename` is in `dir` and the append-only directory has no log (or only a
/// manifest naming that file as its base, not yet moved), it becomes the base of a new
/// manifest and moves into the directory.
fn upgrade_if_needed(paths: &Paths, manifest: Manifest) -> Result<Manifest, LoadError> {
    let at = &paths.aof;
    if !paths.log.is_file() {
        return Ok(manifest);
    }
    let half_done = manifest.incrs.is_empty()
        && manifest
            .base
            .as_ref()
            .is_some_and(|base| base.name == at.name.as_bytes())
        && !at.dir.join(&at.name).exists();
    if at.dir.is_dir() && !manifest.is_empty() && !half_done {
        return Ok(manifest);
    }
    let failed = |e| io_error(&at.dir, e);
    create_dir(&at.dir).map_err(failed)?;
    let manifest = Manifest::upgraded(&at.name);
    at.persist(&manifest).map_err(failed)?;
    std::fs::rename(&paths.log, at.dir.join(&at.name)).map_err(|e| io_error(&paths.log, e))?;
    tracing::info!(
        "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
        at.name,
        at.dir.display()
    );
    Ok(manifest)
}

/// The log a manifest lists, to load: every file must exist (Redis's
/// `getBaseAndIncrAppendOnlyFilesSize`).
fn log_to_load(config: &Config, at: &LogDir, manifest: &Manifest) -> Result<FileToLoad, LoadError> {
    let mut parts = Vec::new();
    for file in manifest.to_load() {
        let path = file.path(&at.dir);
        std::fs::metadata(&path).map_err(|e| io_error(&path, e))?;
        parts.push(path);
    }
    Ok(FileToLoad {
        path: at.manifest_path(),
        kind: Kind::Log,
        parts,
        allow_truncated: config.get_bool("aof-load-truncated"),
        rdb: RdbSettings::new(config),
    })
}

/// INFO's aof_current_size and aof_base_size after loading the log: the base and
/// incremental files' sizes, and the base's.
fn loaded_sizes(at: &LogDir, manifest: &Manifest) -> (u64, u64) {
    let size = |file: &super::aof::manifest::LogFile| {
        std::fs::metadata(file.path(&at.dir)).map_or(0, |m| m.len())
    };
    let base = manifest.base.as_ref().map_or(0, size);
    let incrs: u64 = manifest.incrs.iter().map(size).sum();
    (base + incrs, base)
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
        Kind::Log => {
            for (index, part) in file.parts.iter().enumerate() {
                let last = index + 1 == file.parts.len();
                load_log(replay, part, last, file.allow_truncated, file.rdb)?;
            }
            Ok(())
        }
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

/// Replays one file of a log: its RDB preamble if it has one, then its commands. Only the
/// `last` file may be cut where a record was torn (if `allow_truncated`).
fn load_log(
    replay: &mut impl Replayer,
    path: &Path,
    last: bool,
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
    if !last {
        // Redis: "Fatal error: the truncated file is not the last file".
        return Err(bad(
            cut,
            "the file ends in the middle of a record, and it is not the last file of the log"
                .into(),
        ));
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
