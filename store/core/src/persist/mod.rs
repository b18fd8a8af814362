//! Persistence, one implementation for both runtimes: the append-only log (`aof`), point-in-
//! time snapshots taken in small steps (`snapshot`, over the data layer's walk), and reading
//! both back (`load`; keys and commands are applied by `exec/replay.rs`). The file formats
//! are the data layer's: RDB files (`radish_data::rdb::file`) and commands
//! (`radish_data::snapshot::format`).
//!
//! Background work runs on plain threads (the log writer, one snapshot at a time); what needs
//! the time (save rules, `everysec`, finishing a background save) happens on the server's
//! tick, which is given the time like everything else in the store.

mod abort;
mod aof;
mod files;
mod jobs;
mod load;
mod snapshot;
mod status;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;

pub use aof::{Durable, LogFault};
pub use load::LoadError;
pub(crate) use load::{load_file, Reload, Replayer};
pub(crate) use status::Status;

use radish_data::Millis;

use crate::error::Error;
use crate::scripting::Functions;
use crate::state::config::Config;
use crate::state::keyspace::Keyspace;
use crate::state::latency::LatencyMonitor;
use crate::state::stats::Timer;
use abort::Abort;
use aof::manifest::LogDir;
use aof::{Aof, Fsync};
use snapshot::{Plan, Purpose};

/// How long to wait before retrying a background save that failed, as Redis.
const RETRY_DELAY_MS: Millis = 5_000;

/// What a background job writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobKind {
    /// BGSAVE: the snapshot file.
    Bgsave,
    /// BGREWRITEAOF: a new append-only log.
    Rewrite,
}

/// A background snapshot in progress.
#[derive(Debug)]
struct Job {
    kind: JobKind,
    started: Millis,
    /// `dirty` when it started: what a successful save makes clean.
    dirty_at_start: u64,
    abort: Arc<Abort>,
    /// The job's thread, which returns its outcome; the tick reaps it once it has ended (as
    /// Redis's cron does).
    handle: JoinHandle<JobOutcome>,
}

/// What a job's thread returns: `Err` with why it failed.
type JobOutcome = Result<(), String>;

/// Persistence status: jobs, schedules and outcomes, for the commands and INFO.
#[derive(Debug)]
struct Jobs {
    running: Option<Job>,
    /// Threads of killed jobs, still ending: joined at close.
    killed: Vec<JoinHandle<JobOutcome>>,
    bgsave_scheduled: bool,
    rewrite_scheduled: bool,
    /// The last successful save, in Unix milliseconds.
    last_save: Millis,
    last_bgsave_ok: bool,
    last_bgsave_try: Millis,
    last_bgsave_secs: i64,
    /// SAVEs and background saves started (INFO's rdb_saves, counted as Redis does).
    saves: u64,
    /// Keys in the dataset when the running job started (current_save_keys_total).
    save_keys_total: u64,
    last_rewrite_ok: bool,
    last_rewrite_try: Millis,
    last_rewrite_secs: i64,
    /// Rewrites started (aof_rewrites).
    rewrites: u64,
    rewrite_failures: u64,
    loaded_keys: u64,
    loaded_expired: u64,
    /// When the log was last asked for an `everysec` fsync.
    last_fsync_request: Millis,
    /// SHUTDOWN's choice: `Some(true)` SAVE, `Some(false)` NOSAVE.
    shutdown_save: Option<bool>,
    /// `save` rules and automatic log rewrites apply: the server was opened on its files
    /// (`Server::open`). A server made with `Server::new` writes files only when a command
    /// asks it to.
    automatic: bool,
}

/// What the latency monitor needs to time the log's writes and fsyncs where they happen:
/// the monitor, the clock, and the time to date its samples with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LatencyProbe<'a> {
    pub(crate) latency: &'a LatencyMonitor,
    pub(crate) timer: Option<Timer>,
    pub(crate) now: Millis,
}

/// The server's persistence: owned by the `Server`, shared with its threads.
#[derive(Debug)]
pub struct Persist {
    keyspace: Arc<Mutex<Keyspace>>,
    /// The function libraries: part of the dataset, saved with it.
    functions: Arc<RwLock<Functions>>,
    aof: Arc<Aof>,
    jobs: Mutex<Jobs>,
    /// `!jobs.last_bgsave_ok`, readable without the lock: every write command checks it.
    bgsave_failed: AtomicBool,
}

/// What refuses writes (and PING) while the last background save failed, with save rules
/// set and `stop-writes-on-bgsave-error yes`.
/// A persistence failure that refuses writes (Redis's `DISK_ERROR_TYPE_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiskError {
    /// The last background save failed and `stop-writes-on-bgsave-error` is on.
    Snapshot,
    /// Writing the append-only log failed: the system's error text.
    Log(String),
}

const BGSAVE_FAILED: Error = Error::Static(
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist \
     to disk. Commands that may modify the data set are disabled, because this instance is \
     configured to report errors during writes if RDB snapshotting fails \
     (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the \
     RDB error.",
);

/// Files and settings, read from the configuration when needed.
struct Paths {
    snapshot: PathBuf,
    /// `appendfilename` in `dir`: a log as Redis before 7.0 wrote it (loaded once and moved
    /// into the append-only directory), and where temporary files of rewrites go.
    log: PathBuf,
    /// The append-only directory.
    aof: LogDir,
}

fn paths(config: &Config) -> Paths {
    let dir = PathBuf::from(config.get("dir").unwrap_or("."));
    let name = config.get("appendfilename").unwrap_or("appendonly.aof");
    Paths {
        snapshot: dir.join(config.get("dbfilename").unwrap_or("dump.rdb")),
        log: dir.join(name),
        aof: LogDir {
            dir: dir.join(config.get("appenddirname").unwrap_or("appendonlydir")),
            name: name.to_string(),
        },
    }
}

fn fsync_policy(config: &Config) -> Fsync {
    Fsync::parse(config.get("appendfsync").unwrap_or("everysec"))
}

/// The outcome of BGSAVE or BGREWRITEAOF when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Started {
    /// It runs now.
    Now,
    /// It will run when the job in progress ends.
    Scheduled,
}

/// Why BGSAVE cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Busy {
    /// The same kind of job is running.
    Same,
    /// The other kind is running (and the request was not to schedule).
    Other,
}

/// Why a rewrite of the log (BGREWRITEAOF, or turning the log on) cannot start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RewriteRefused {
    /// One is running already.
    InProgress,
    /// The log's directory cannot be written (logged).
    CannotWrite,
}

impl Persist {
    /// The function libraries, to save (under the data lock, which comes first).
    fn functions(&self) -> RwLockReadGuard<'_, Functions> {
        self.functions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Persistence for the data behind `keyspace` and the libraries in `functions`: nothing
    /// running, nothing loaded.
    pub(crate) fn new(
        keyspace: Arc<Mutex<Keyspace>>,
        functions: Arc<RwLock<Functions>>,
        now: Millis,
    ) -> Persist {
        Persist {
            keyspace,
            functions,
            aof: Arc::new(Aof::default()),
            bgsave_failed: AtomicBool::new(false),
            jobs: Mutex::new(Jobs {
                running: None,
                killed: Vec::new(),
                bgsave_scheduled: false,
                rewrite_scheduled: false,
                last_save: now,
                last_bgsave_ok: true,
                last_bgsave_try: 0,
                last_bgsave_secs: -1,
                saves: 0,
                save_keys_total: 0,
                last_rewrite_ok: true,
                last_rewrite_try: 0,
                last_rewrite_secs: -1,
                rewrites: 0,
                rewrite_failures: 0,
                loaded_keys: 0,
                loaded_expired: 0,
                last_fsync_request: now,
                shutdown_save: None,
                automatic: false,
            }),
        }
    }

    fn jobs(&self) -> MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes the log's writes or fsyncs fail as `fault` says, until called with `None`: a
    /// full or broken disk, for tests.
    pub(crate) fn inject_log_fault(&self, fault: Option<LogFault>) {
        self.aof.inject_fault(fault);
    }

    /// True once the log failed with `appendfsync always`: the server must stop, as Redis
    /// exits (its clients are closed without the replies the log did not make durable).
    pub(crate) fn failed_for_good(&self) -> bool {
        self.aof.failed_for_good()
    }

    /// Completes once writes logged up to `offset` are fsynced (appendfsync always), or at
    /// once when the log is off; with `false` if the log failed for good first.
    pub fn durable(&self, offset: u64) -> Durable<'_> {
        self.aof.durable(offset)
    }

    /// With `appendfsync always`: writes what is appended and fsyncs it, on the calling
    /// thread, answering every client it covers (one write and one fsync per pass of the
    /// event loop, as Redis does; see `Aof::sync`). Untimed: sessions use
    /// [`sync_timed`](Persist::sync_timed).
    #[cfg(test)]
    pub(crate) fn sync(&self) {
        self.aof.sync();
    }

    /// With `appendfsync always`: writes what is appended and fsyncs it, on the calling
    /// thread, answering every client it covers (one write and one fsync per pass of the
    /// event loop, as Redis does; see `Aof::sync`); the write and the fsync each timed for the latency monitor
    /// (`aof-write...`, `aof-fsync-always`), as Redis's `flushAppendOnlyFile` times them.
    pub(crate) fn sync_timed(&self, probe: &LatencyProbe<'_>) {
        self.write_timed(probe);
        let started = probe.latency.start(probe.timer);
        self.aof.sync();
        if self.aof.policy() == Fsync::Always {
            probe
                .latency
                .add_timed("aof-fsync-always", probe.timer, started, probe.now);
        }
    }

    /// Writes what the log holds, timed for the latency monitor: `aof-write`, and by what
    /// else was going on, `aof-write-pending-fsync` (a background fsync in flight),
    /// `aof-write-active-child` (a snapshot or rewrite running) or `aof-write-alone`.
    fn write_timed(&self, probe: &LatencyProbe<'_>) {
        let (Some(timer), Some(started)) = (probe.timer, probe.latency.start(probe.timer)) else {
            self.aof.write_pending();
            return;
        };
        let fsync_in_flight = self.aof.background_fsync();
        self.aof.write_pending();
        let millis = timer().saturating_sub(started) / 1_000_000;
        let event = if fsync_in_flight {
            "aof-write-pending-fsync"
        } else if self.jobs().running.is_some() {
            "aof-write-active-child"
        } else {
            "aof-write-alone"
        };
        probe.latency.add_if_needed(event, millis, probe.now);
        probe.latency.add_if_needed("aof-write", millis, probe.now);
    }

    /// Redis's `writeCommandsDeniedByDiskError`: why write commands (and PING) are refused
    /// now, if they are. While nothing failed, two atomic loads.
    #[inline]
    pub(crate) fn deny_writes<C: std::ops::Deref<Target = Config>>(
        &self,
        config: impl FnOnce() -> C,
    ) -> Option<Error> {
        match self.disk_error(config)? {
            DiskError::Snapshot => Some(BGSAVE_FAILED),
            DiskError::Log(error) => Some(Error::Message(format!(
                "MISCONF Errors writing to the AOF file: {error}"
            ))),
        }
    }

    /// Which persistence failure refuses writes now, if one does.
    #[inline]
    pub(crate) fn disk_error<C: std::ops::Deref<Target = Config>>(
        &self,
        config: impl FnOnce() -> C,
    ) -> Option<DiskError> {
        if self.bgsave_failed.load(Ordering::Relaxed) {
            let config = config();
            if config.get_bool("stop-writes-on-bgsave-error") && !config.save_points().is_empty() {
                return Some(DiskError::Snapshot);
            }
        }
        self.aof.write_error().map(DiskError::Log)
    }

    /// Records whether the last snapshot save succeeded (INFO's rdb_last_bgsave_status).
    fn set_bgsave_status(&self, jobs: &mut Jobs, ok: bool) {
        jobs.last_bgsave_ok = ok;
        self.bgsave_failed.store(!ok, Ordering::Relaxed);
    }

    /// The Unix time (seconds) of the last successful save: LASTSAVE.
    pub(crate) fn last_save(&self) -> Millis {
        self.jobs().last_save / 1000
    }

    /// Under the data lock, at the end of a batch: queues the batch's log bytes, in execution
    /// order. Returns the log offset just after them if the batch logged anything; pass it to
    /// [`write_log`](Persist::write_log) once the lock is released.
    #[inline]
    pub(crate) fn end_batch(&self, data: &mut Keyspace) -> Option<u64> {
        data.feed_replicas();
        if data.log.buf.is_empty() && !data.log.flushed {
            return None;
        }
        let mut wait = None;
        if !data.log.buf.is_empty() {
            wait = self.aof.append(&data.log.buf);
            data.log.buf.clear();
        }
        if std::mem::take(&mut data.log.flushed) {
            wait = wait.max(self.aof.wait_offset());
        }
        wait
    }

    /// The log offset that a reply to a client served by another connection's write (a
    /// blocked pop) acknowledges, to pass to [`write_log`](Persist::write_log).
    pub(crate) fn wait_offset(&self) -> Option<u64> {
        self.aof.wait_offset()
    }

    /// After the data lock is released, before replying: writes the log up to `logged` (as
    /// Redis writes its log before replying). Returns the offset the replies must still wait
    /// for, with `appendfsync always`, to be written and fsynced by [`sync`](Persist::sync)
    /// ([`durable`](Persist::durable)).
    #[inline]
    pub(crate) fn write_log(&self, logged: Option<u64>, probe: &LatencyProbe<'_>) -> Option<u64> {
        let offset = logged?;
        if let Some(wait) = self.aof.fsync_wait(offset) {
            // appendfsync always: `sync` writes for every connection of the pass at once,
            // one write and one fsync, as Redis's event loop does.
            return Some(wait);
        }
        self.write_timed(probe);
        None
    }

    /// Queues the log bytes produced so far in this batch, remembering that the batch must
    /// still write (and maybe wait for) them.
    fn flush_log(&self, data: &mut Keyspace) {
        data.feed_replicas();
        if !data.log.buf.is_empty() {
            self.aof.append(&data.log.buf);
            data.log.buf.clear();
            data.log.flushed = true;
        }
    }

    /// Writes everything logged so far to the log file (DEBUG LOADAOF reads it back).
    fn write_log_file(&self, data: &mut Keyspace) {
        self.flush_log(data);
        self.aof.write_pending();
    }

    /// SAVE: writes the snapshot now, holding the data lock, unless a background save runs.
    pub(crate) fn save(
        &self,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
    ) -> Result<(), SaveError> {
        {
            let mut jobs = self.jobs();
            if jobs.running.as_ref().map(|job| job.kind) == Some(JobKind::Bgsave) {
                return Err(SaveError::InProgress);
            }
            jobs.saves += 1;
        }
        self.save_now(config, data, now)
    }

    /// Writes the snapshot now, holding the data lock.
    pub(crate) fn save_now(
        &self,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
    ) -> Result<(), SaveError> {
        let target = paths(config).snapshot;
        let plan = Plan::new(config, data, Purpose::Dump, now);
        let result = snapshot::save(data, &self.functions(), plan, &target, now);
        let mut jobs = self.jobs();
        match result {
            Ok(()) => {
                data.dirty = 0;
                jobs.last_save = now;
                self.set_bgsave_status(&mut jobs, true);
                tracing::info!("DB saved on disk");
                Ok(())
            }
            Err(error) => {
                tracing::warn!("Failed saving the DB: {error}");
                Err(SaveError::Failed)
            }
        }
    }

    /// After FLUSHALL, as Redis: a background save in progress is stopped and, with `save`
    /// rules, the (now empty) snapshot is written at once, so that a restart does not bring
    /// the flushed data back. The changes still count as unsaved.
    pub(crate) fn flushed_all(&self, config: &Config, data: &mut Keyspace, now: Millis) {
        self.kill_job(&mut self.jobs(), data, Some(JobKind::Bgsave));
        if self.saves_by_rule(config) {
            // A failure is logged; FLUSHALL itself has succeeded. A successful save leaves
            // no unsaved changes, as in Redis 7.0 (rdb_changes_since_last_save:0).
            let _ = self.save_now(config, data, now);
        }
    }

    /// Applies CONFIG SET of `appendonly` and `appendfsync`. Turning the log on fails, as in
    /// Redis, when its first rewrite cannot start now for want of a writable directory.
    pub(crate) fn configure(
        self: &Arc<Self>,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
    ) -> Result<(), RewriteRefused> {
        self.aof.set_policy(fsync_policy(config));
        let wanted = config.get_bool("appendonly");
        if wanted && !self.aof.running() {
            let mut jobs = self.jobs();
            if jobs.running.is_some() || data.log.in_exec() {
                jobs.rewrite_scheduled = true;
            } else {
                self.start_rewrite(&mut jobs, config, data, now)?;
            }
        } else if !wanted && (self.aof.running() || data.log.on) {
            // The rewrite first, so that it puts no file in place once the log is off.
            let mut jobs = self.jobs();
            jobs.rewrite_scheduled = false;
            self.kill_job(&mut jobs, data, Some(JobKind::Rewrite));
            drop(jobs);
            self.flush_log(data);
            data.set_logging(false);
            self.aof.stop();
        }
        Ok(())
    }

    /// SHUTDOWN's saving: stops a background save, and saves if `save` says so (or, when
    /// `None`, if `save` rules are set and apply: see `Jobs::automatic`). The caller then
    /// stops the server; on error, it should not.
    pub(crate) fn prepare_shutdown(
        &self,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
        save: Option<bool>,
    ) -> Result<(), SaveError> {
        self.kill_job(&mut self.jobs(), data, None);
        self.flush_log(data);
        let wanted = save.unwrap_or_else(|| self.saves_by_rule(config));
        self.jobs().shutdown_save = Some(wanted);
        if wanted {
            tracing::info!("Saving the final RDB snapshot before exiting.");
            self.save_now(config, data, now)?;
        }
        Ok(())
    }

    /// True if `save` rules are set and apply (the server was opened on its files).
    fn saves_by_rule(&self, config: &Config) -> bool {
        self.jobs().automatic && !config.save_points().is_empty()
    }

    /// Stops the running job if it is of `kind` (of any kind for `None`), as Redis kills its
    /// child: at once, with nothing recorded, so that another can start right away. The
    /// caller holds the data lock, under which the job's thread checks for the abort before
    /// every step: its walk through the data is forgotten here, and the thread touches the
    /// data no more (it removes its temporary file and ends on its own).
    fn kill_job(&self, jobs: &mut Jobs, data: &mut Keyspace, kind: Option<JobKind>) {
        let Some(job) = jobs
            .running
            .take_if(|job| kind.map_or(true, |kind| job.kind == kind))
        else {
            return;
        };
        job.abort.kill();
        snapshot::cancel(data);
        jobs.killed.push(job.handle);
        match job.kind {
            JobKind::Rewrite => {
                // A log being turned on drops its temporary file (Redis does too).
                self.aof.abandon_rewrite();
                // Redis's words: its rewrite is a child process, radish's a thread.
                tracing::info!("Killing running AOF rewrite child (the rewrite thread)");
            }
            JobKind::Bgsave => tracing::info!("Background saving stopped"),
        }
    }

    /// Called once the server has stopped serving: saves if SHUTDOWN or the `save` rules
    /// ask for it and there are unsaved changes, then writes and fsyncs the log and stops
    /// every persistence thread.
    pub(crate) fn close(&self, config: &Config, now: Millis) -> Result<(), String> {
        if self.aof.failed_for_good() {
            // As Redis's exit(1): nothing more is saved or written.
            let mut data = self.keyspace.lock().unwrap_or_else(|e| e.into_inner());
            self.kill_job(&mut self.jobs(), &mut data, None);
            data.set_logging(false);
            self.aof.stop();
            return Err(
                "Can't recover from AOF write error when the AOF fsync policy is \
                        'always'. Exiting..."
                    .to_string(),
            );
        }
        let mut result = Ok(());
        {
            let mut data = self.keyspace.lock().unwrap_or_else(|e| e.into_inner());
            self.kill_job(&mut self.jobs(), &mut data, None);
            data.log_deletions();
            self.end_batch(&mut data);
            let decided = self.jobs().shutdown_save;
            let wanted = decided.unwrap_or_else(|| self.saves_by_rule(config));
            if wanted && (decided.is_none() || data.dirty > 0) {
                if decided.is_none() {
                    tracing::info!("Saving the final RDB snapshot before exiting.");
                }
                if self.save_now(config, &mut data, now).is_err() {
                    result = Err("Error trying to save the DB".to_string());
                }
            }
            if self.aof.running() {
                tracing::info!("Calling fsync() on the AOF file.");
            }
            data.set_logging(false);
            self.aof.stop();
        }
        // The killed job's thread ends at its next step; wait for it (and its temporary
        // file's removal) without the data lock, which it takes to step.
        let killed = std::mem::take(&mut self.jobs().killed);
        for handle in killed {
            let _ = handle.join();
        }
        result
    }
}

impl Drop for Persist {
    fn drop(&mut self) {
        // A server dropped without `close` (in-process servers, tests) still writes and
        // fsyncs what its log holds, and stops the log's thread.
        if self.aof.running() {
            self.aof.stop();
        }
    }
}

/// Why SAVE failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SaveError {
    /// A background save is running.
    InProgress,
    /// Writing the file failed (the log says why).
    Failed,
}
