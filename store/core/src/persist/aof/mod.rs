//! The append-only log's file.
//!
//! Commands append their log bytes under the data lock (so the log is in execution order);
//! the connection that ran them writes them to the file right after releasing that lock and
//! before replying, as Redis writes its log before replying, so that a killed process loses
//! no acknowledged write. Whoever gets the file first writes everything pending, so many
//! clients' writes share one `write`.
//!
//! A thread fsyncs: with `appendfsync always` whenever something written is not yet fsynced,
//! the replies to those writes waiting for it ([`Aof::durable`]); every fsync covers all the
//! writes made while the previous one ran, many clients' at once (group commit), and runs
//! while the clients it answers prepare their next writes. With `everysec` it fsyncs when the
//! tick asks; with `no` never. Connections never fsync themselves: their threads serve other
//! connections too.
//!
//! The file written is the last incremental file of Redis 7.0's multi-part log
//! (`manifest.rs`); a rewrite opens the next one the moment it begins (`rewrite.rs`).
//!
//! A write or fsync that fails is retried with `everysec` and `no` (writes are refused
//! meanwhile: [`Aof::write_error`]); with `always` the log has failed for good, as Redis
//! exits then: no reply waiting for it is sent ([`Durable`] completes with `false`) and the
//! server stops.
//!
//! Offsets are logical: the number of log bytes appended since the server started, across
//! rewrites.

use std::fs::File;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

pub(crate) mod manifest;
mod rewrite;
mod thread;

use manifest::{LogDir, Manifest};

/// The error recorded for a failure the system gave no number for.
const EIO: i32 = 5;

/// `appendfsync`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fsync {
    /// Before any reply to a write.
    Always,
    /// About once a second, in the background.
    EverySec,
    /// Never: the operating system decides.
    No,
}

impl Fsync {
    /// The policy a configuration value names.
    pub(crate) fn parse(value: &str) -> Fsync {
        match value {
            "always" => Fsync::Always,
            "no" => Fsync::No,
            _ => Fsync::EverySec,
        }
    }
}

#[derive(Debug)]
struct State {
    /// True while the log is on.
    running: bool,
    policy: Fsync,
    /// Appended, not yet written.
    pending: Vec<u8>,
    /// Offset just after everything appended.
    appended: u64,
    /// Written to the file (handed to the kernel) up to here.
    written: u64,
    /// Fsynced up to here.
    durable: u64,
    /// Clients waiting for an offset to be acknowledged.
    waiters: Vec<(u64, Waker)>,
    /// The fsync thread is asleep, waiting for work.
    idle: bool,
    stop: bool,
    fsync_requested: bool,
    /// The OS error of the last write, if it failed (retried until one succeeds).
    write_error: Option<i32>,
    /// The OS error of the last fsync, if it failed.
    fsync_error: Option<i32>,
    /// A write or fsync failed with `appendfsync always` (with this OS error): the log
    /// cannot be trusted any more, and the server must stop (Redis exits). It stays so.
    fatal: Option<i32>,
    /// Errors to make the next writes or fsyncs fail with, for tests.
    fault: Option<LogFault>,
    /// The log's size (its base and incremental files: aof_current_size), and that size
    /// after the last rewrite (aof_base_size).
    size: u64,
    base_size: u64,
    /// An fsync in flight (INFO's aof_pending_bio_fsync): at most one at a time.
    syncing: bool,
    /// The file, for fsyncing without holding up writers.
    sync_file: Option<Arc<File>>,
    /// There is a file to write to (a log being turned on has one once its first rewrite
    /// begins).
    has_file: bool,
}

/// A failure to inject into the log's writes or fsyncs, as a full or broken disk would
/// cause: for tests (`Server::inject_log_fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFault {
    /// Every write fails with this OS error (28 is ENOSPC).
    Write(i32),
    /// Every fsync fails with this OS error (5 is EIO).
    Fsync(i32),
}

/// The files of the log: the manifest, and whether a log being turned on writes to the
/// temporary incremental file until its first rewrite ends (Redis's `AOF_WAIT_REWRITE`).
#[derive(Debug, Default)]
struct Files {
    manifest: Manifest,
    waiting: bool,
    /// Where the running rewrite puts its base, and whether it keeps the history files
    /// (`aof-disable-auto-gc`): settled when it begins.
    rewrite: Option<(LogDir, bool)>,
}

/// The file, held while writing to it.
#[derive(Debug, Default)]
struct Io {
    path: PathBuf,
    file: Option<File>,
    /// Bytes a failed write could not write, to write first next time.
    retry: Vec<u8>,
    /// An empty buffer (with its capacity) to swap with the pending bytes.
    spare: Vec<u8>,
    /// The file's size after the last successful write.
    size: u64,
}

/// The log's shared state.
#[derive(Debug)]
pub(crate) struct Aof {
    state: Mutex<State>,
    /// A write or fsync failed, readable without the lock: every write command checks it.
    write_failed: AtomicBool,
    work: Condvar,
    /// Locked before `io`, which is locked before `state`.
    files: Mutex<Files>,
    io: Mutex<Io>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            state: Mutex::new(State {
                running: false,
                policy: Fsync::EverySec,
                pending: Vec::new(),
                appended: 0,
                written: 0,
                durable: 0,
                waiters: Vec::new(),
                idle: false,
                stop: false,
                fsync_requested: false,
                write_error: None,
                fsync_error: None,
                fatal: None,
                fault: None,
                size: 0,
                base_size: 0,
                syncing: false,
                sync_file: None,
                has_file: false,
            }),
            write_failed: AtomicBool::new(false),
            work: Condvar::new(),
            files: Mutex::new(Files::default()),
            io: Mutex::new(Io::default()),
            thread: Mutex::new(None),
        }
    }
}

/// What INFO reports about the log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AofInfo {
    pub(crate) write_ok: bool,
    pub(crate) size: u64,
    pub(crate) base_size: u64,
    pub(crate) buffered: u64,
    pub(crate) syncing: bool,
}

impl Aof {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_io(&self) -> MutexGuard<'_, Io> {
        self.io.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_files(&self) -> MutexGuard<'_, Files> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the outcome of a write (`fsync` false) or an fsync of the log. With
    /// `appendfsync always` a failure is fatal: the replies waiting for it are never sent.
    fn set_status(&self, state: &mut State, fsync: bool, error: Option<&io::Error>) {
        let errno = error.map(|e| e.raw_os_error().unwrap_or(EIO));
        let was_ok = state.write_error.is_none() && state.fsync_error.is_none();
        let recorded = if fsync {
            &mut state.fsync_error
        } else {
            &mut state.write_error
        };
        if let Some(error) = error.filter(|_| *recorded != errno) {
            // Once per failure, not at every retry (Redis logs at most every 30 seconds).
            let what = if fsync { "fsyncing" } else { "writing to" };
            tracing::error!("Error {what} the AOF file: {error}");
        }
        *recorded = errno;
        let ok = state.write_error.is_none() && state.fsync_error.is_none();
        if ok && !was_ok && state.fatal.is_none() {
            tracing::warn!("AOF write error looks solved, Redis can write again.");
        }
        if errno.is_some() && state.policy == Fsync::Always && state.fatal.is_none() {
            tracing::error!(
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. \
                 Exiting..."
            );
            state.fatal = errno;
            wake_all(state);
        }
        self.write_failed
            .store(!ok || state.fatal.is_some(), Ordering::Relaxed);
    }

    /// Makes the log's next writes or fsyncs fail as `fault` says (`None`: they work again),
    /// as a full or broken disk would.
    pub(crate) fn inject_fault(&self, fault: Option<LogFault>) {
        self.lock().fault = fault;
    }

    /// True once a write or fsync failed with `appendfsync always`: the server must stop.
    pub(crate) fn failed_for_good(&self) -> bool {
        self.write_failed.load(Ordering::Relaxed) && self.lock().fatal.is_some()
    }

    /// Why writes to the log are failing while the log is on and its last write or fsync
    /// failed: the system's description of the error, as Redis's `strerror`.
    #[inline]
    pub(crate) fn write_error(&self) -> Option<String> {
        if !self.write_failed.load(Ordering::Relaxed) {
            return None;
        }
        let state = self.lock();
        let errno = state.write_error.or(state.fsync_error).or(state.fatal)?;
        if !state.running {
            return None;
        }
        let text = io::Error::from_raw_os_error(errno).to_string();
        // Rust adds " (os error N)" to the system's text.
        Some(match text.rfind(" (os error ") {
            Some(end) => text[..end].to_string(),
            None => text,
        })
    }

    /// Wakes the fsync thread if it sleeps.
    fn notify(&self, state: &mut State) {
        if state.idle {
            state.idle = false;
            self.work.notify_one();
        }
    }

    /// Turns the log on, writing to `file` at `path`, the last incremental file, whose size
    /// is `incr_size` (`None` for a log being turned on: its first rewrite opens a file).
    /// `sizes` are INFO's aof_current_size and aof_base_size to start from.
    pub(crate) fn start(
        self: &Arc<Self>,
        file: Option<(PathBuf, File, u64)>,
        sizes: (u64, u64),
        policy: Fsync,
    ) {
        let (path, file, incr_size) = match file {
            Some((path, file, size)) => (path, Some(file), size),
            None => (PathBuf::new(), None, 0),
        };
        let sync_file = file.as_ref().and_then(|f| f.try_clone().ok()).map(Arc::new);
        {
            let mut io = self.lock_io();
            *io = Io {
                path,
                file,
                retry: Vec::new(),
                spare: Vec::new(),
                size: incr_size,
            };
            let mut state = self.lock();
            state.running = true;
            state.stop = false;
            state.policy = policy;
            state.fatal = None;
            self.set_status(&mut state, false, None);
            self.set_status(&mut state, true, None);
            (state.size, state.base_size) = sizes;
            state.written = state.appended;
            state.durable = state.appended;
            state.has_file = io.file.is_some();
            state.sync_file = sync_file;
        }
        let aof = self.clone();
        let handle = std::thread::Builder::new()
            .name("radish-aof".into())
            .spawn(move || aof.run());
        match handle {
            Ok(handle) => *self.thread.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle),
            Err(error) => {
                tracing::error!("cannot start the append-only log's fsync thread: {error}");
                self.lock().running = false;
            }
        }
    }

    /// Turns the log off after writing and fsyncing everything appended. Clients waiting
    /// for it are answered.
    pub(crate) fn stop(&self) {
        {
            let mut state = self.lock();
            state.stop = true;
            self.work.notify_one();
        }
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
        let mut files = self.lock_files();
        let mut io = self.lock_io();
        io.file = None;
        io.retry.clear();
        if std::mem::take(&mut files.waiting) {
            // A log turned off before its first rewrite ended has no file to keep.
            let _ = std::fs::remove_file(&io.path);
        }
        let mut state = self.lock();
        state.running = false;
        state.stop = false;
        state.forget_file();
    }

    /// True while the log is on.
    pub(crate) fn running(&self) -> bool {
        self.lock().running
    }

    /// True once the log has a file to write to.
    pub(crate) fn has_file(&self) -> bool {
        self.lock().has_file
    }

    /// Queues log bytes (under the data lock, in execution order). Returns the offset just
    /// after them; `None` when the log is off.
    pub(crate) fn append(&self, bytes: &[u8]) -> Option<u64> {
        let mut state = self.lock();
        if !state.running {
            return None;
        }
        state.pending.extend_from_slice(bytes);
        state.appended += bytes.len() as u64;
        Some(state.appended)
    }

    /// The offset just after everything appended, while the log is on.
    pub(crate) fn wait_offset(&self) -> Option<u64> {
        let state = self.lock();
        state.running.then_some(state.appended)
    }

    /// With `appendfsync always`, after the caller appended its log bytes up to `offset`:
    /// the offset to wait for ([`durable`](Aof::durable)), or `None` if they are fsynced
    /// already or the policy is another. The caller then gives the other connections ready
    /// now a turn and calls [`sync`](Aof::sync), which writes and fsyncs for them all.
    pub(crate) fn fsync_wait(&self, offset: u64) -> Option<u64> {
        let state = self.lock();
        let no_wait = !state.running || !state.has_file || state.policy != Fsync::Always;
        if no_wait || state.durable >= offset {
            return None;
        }
        Some(offset)
    }

    /// With `appendfsync always`: writes what is appended (one write for every connection
    /// that appended since the last one) and fsyncs it on the calling thread, answering every
    /// client it covers. If an fsync is in flight already, the fsync thread is asked for the
    /// next one instead.
    ///
    /// This is Redis's model: its event loop writes and fsyncs the log once per pass, before
    /// the pass's replies. Callers first let every connection that is ready in the same pass
    /// append its log bytes (the pump yields once), so one write and one fsync cover
    /// them all, and nobody waits for a hand-off to another thread and back. Measured with
    /// redis-benchmark (bench/persistence.sh), the hand-off cost a quarter of the throughput
    /// with one client, and a write per connection instead of per pass another tenth with 50.
    pub(crate) fn sync(&self) {
        if self.lock().policy != Fsync::Always {
            return;
        }
        self.write_pending();
        let started = {
            let mut state = self.lock();
            if state.written <= state.durable {
                return;
            }
            if state.syncing {
                // Its fsync may have started before our write: it fsyncs again after.
                self.notify(&mut state);
                return;
            }
            state.begin_sync()
        };
        let Some((file, target, fault)) = started else {
            return;
        };
        // A failure is fatal with `always`: the clients waiting are told (`Durable`).
        self.finish_sync(fsync(&file, fault), target);
    }

    /// Wakes the fsync thread when something written waits for an fsync (`always`): for
    /// writes no client waits on (the tick's expiry deletions).
    pub(crate) fn kick(&self) {
        let mut state = self.lock();
        if state.policy == Fsync::Always && state.written > state.durable {
            self.notify(&mut state);
        }
    }

    /// Fsyncs everything written so far, then answers the clients waiting for it. Only the
    /// fsync thread calls it.
    fn sync_now(&self) {
        let Some((file, target, fault)) = self.lock().begin_sync() else {
            return;
        };
        self.finish_sync(fsync(&file, fault), target);
    }

    /// Records the outcome of an fsync of everything up to `target`.
    fn finish_sync(&self, result: io::Result<()>, target: u64) {
        let mut state = self.lock();
        state.syncing = false;
        self.record_sync(&mut state, result, target);
    }

    /// Records the outcome of an fsync of everything up to `target`, answering the clients
    /// it makes durable.
    fn record_sync(&self, state: &mut State, result: io::Result<()>, target: u64) {
        match result {
            Ok(()) => {
                state.durable = state.durable.max(target);
                self.set_status(state, true, None);
                wake_all(state);
            }
            Err(error) => self.set_status(state, true, Some(&error)),
        }
    }

    /// Changes `appendfsync`.
    pub(crate) fn set_policy(&self, policy: Fsync) {
        let mut state = self.lock();
        state.policy = policy;
        self.notify(&mut state);
    }

    /// Asks for an fsync of everything written (`everysec`, once a second).
    pub(crate) fn request_fsync(&self) {
        let mut state = self.lock();
        if state.running && state.policy == Fsync::EverySec {
            state.fsync_requested = true;
            self.notify(&mut state);
        }
    }

    /// Completes once replies to writes logged up to `offset` may be sent: once they are
    /// written, and with `appendfsync always` fsynced. While a log being turned on waits for
    /// its first file, only `always` holds replies back.
    pub(crate) fn durable(&self, offset: u64) -> Durable<'_> {
        Durable { aof: self, offset }
    }

    /// The offsets appended and fsynced so far.
    #[cfg(test)]
    pub(crate) fn offsets(&self) -> (u64, u64) {
        let state = self.lock();
        (state.appended, state.durable)
    }

    /// `appendfsync`.
    pub(crate) fn policy(&self) -> Fsync {
        self.lock().policy
    }

    /// Whether a background fsync (`everysec`) is in flight: a write now may wait for it
    /// (Redis's `aofFsyncInProgress`).
    pub(crate) fn background_fsync(&self) -> bool {
        let state = self.lock();
        state.syncing && state.policy == Fsync::EverySec
    }

    /// INFO's figures.
    pub(crate) fn info(&self) -> AofInfo {
        let state = self.lock();
        AofInfo {
            write_ok: state.write_error.is_none()
                && state.fsync_error.is_none()
                && state.fatal.is_none(),
            size: state.size,
            base_size: state.base_size,
            buffered: state.pending.len() as u64,
            syncing: state.syncing,
        }
    }

    /// Writes everything appended so far (whoever gets the file first writes for all).
    /// Returns true when replies must also wait for an fsync (`appendfsync always`).
    pub(crate) fn write_pending(&self) -> bool {
        let mut io = self.lock_io();
        self.write_locked(&mut io).1
    }

    /// Returns whether the write succeeded, and whether the policy is `always`.
    fn write_locked(&self, io: &mut Io) -> (bool, bool) {
        // The spare buffer becomes the pending one, keeping both allocations in use.
        let mut chunk = std::mem::take(&mut io.spare);
        let (end, fault) = {
            let mut state = self.lock();
            if state.fatal.is_some() {
                // Nothing more goes to a log that failed for good.
                state.pending.clear();
                io.spare = chunk;
                return (false, true);
            }
            if state.pending.is_empty() && io.retry.is_empty() {
                io.spare = chunk;
                return (state.write_error.is_none(), state.policy == Fsync::Always);
            }
            std::mem::swap(&mut chunk, &mut state.pending);
            let fault = match state.fault {
                Some(LogFault::Write(errno)) => Some(errno),
                _ => None,
            };
            (state.appended, fault)
        };
        let before = io.size;
        let result = io.write(&chunk, fault);
        let ok = result.is_ok();
        chunk.clear();
        io.spare = chunk;
        let mut state = self.lock();
        self.set_status(&mut state, false, result.err().as_ref());
        state.size += io.size - before;
        if ok && io.file.is_some() {
            state.written = state.written.max(end);
        }
        wake_all(&mut state);
        (ok, state.policy == Fsync::Always)
    }

    /// Retries a write that failed (`everysec`, `no`): the tick calls it once a second, as
    /// Redis's cron does, so that writes are accepted again once the disk has room.
    pub(crate) fn retry_failed_write(&self) {
        if self.write_failed.load(Ordering::Relaxed) && self.lock().write_error.is_some() {
            self.write_pending();
        }
    }
}

impl State {
    /// The log has no file any more: what was appended is dropped, and the clients waiting
    /// for it are answered (its data is in memory, and in the next rewrite's base).
    fn forget_file(&mut self) {
        self.has_file = false;
        self.sync_file = None;
        self.pending.clear();
        self.written = self.appended;
        self.durable = self.appended;
        wake_all(self);
    }
    /// Marks an fsync of everything written as in flight: the file to fsync (none before the
    /// log's first file) and the offset it will make durable.
    fn begin_sync(&mut self) -> Option<(Arc<File>, u64, Option<i32>)> {
        if self.fatal.is_some() {
            return None;
        }
        let file = self.sync_file.clone()?;
        self.syncing = true;
        let fault = match self.fault {
            Some(LogFault::Fsync(errno)) => Some(errno),
            _ => None,
        };
        Some((file, self.written, fault))
    }

    /// Whether the fsync thread should fsync now: something written is not yet durable, and
    /// the policy, the tick (`everysec`) or stopping asks for it.
    fn fsync_due(&self) -> bool {
        self.fatal.is_none()
            && self.written > self.durable
            && (self.policy == Fsync::Always || self.fsync_requested || self.stop)
    }
}

impl Io {
    /// Writes `chunk` (after anything that failed before). False on failure: the bytes are
    /// kept to retry, and the file is cut back to its last good size. `fault`: fail with
    /// this OS error instead of writing (tests).
    fn write(&mut self, chunk: &[u8], fault: Option<i32>) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let bytes = if self.retry.is_empty() {
            chunk
        } else {
            self.retry.extend_from_slice(chunk);
            &self.retry[..]
        };
        let written = match fault {
            Some(errno) => Err(io::Error::from_raw_os_error(errno)),
            None => file.write_all(bytes),
        };
        match written {
            Ok(()) => {
                self.size += bytes.len() as u64;
                self.retry.clear();
                Ok(())
            }
            Err(error) => {
                // The part written, if any, goes: it is written again whole (Redis too).
                let _ = file.set_len(self.size);
                if self.retry.is_empty() {
                    self.retry = chunk.to_vec();
                }
                Err(error)
            }
        }
    }
}

/// Fsyncs `file`, or fails with the injected `fault`.
fn fsync(file: &File, fault: Option<i32>) -> io::Result<()> {
    match fault {
        Some(errno) => Err(io::Error::from_raw_os_error(errno)),
        None => file.sync_data(),
    }
}

/// Replies to writes logged up to here may be sent: everything while a log being turned on
/// has no file yet (its next rewrite's base will hold the data, as Redis logs nothing then).
fn acknowledged(state: &State) -> u64 {
    match state.policy {
        _ if !state.has_file => state.appended,
        Fsync::Always => state.durable,
        _ => state.written,
    }
}

/// Wakes the clients whose writes are acknowledged now.
fn wake_all(state: &mut State) {
    if state.waiters.is_empty() {
        return;
    }
    let acknowledged = acknowledged(state);
    let mut index = 0;
    while index < state.waiters.len() {
        if state.waiters[index].0 <= acknowledged {
            state.waiters.swap_remove(index).1.wake();
        } else {
            index += 1;
        }
    }
}

/// The future returned by [`Aof::durable`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Durable<'a> {
    aof: &'a Aof,
    offset: u64,
}

impl Future for Durable<'_> {
    /// True once the writes may be acknowledged; false if the log failed for good before
    /// they were durable: their replies must not be sent (Redis exits before sending them).
    type Output = bool;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let mut state = self.aof.lock();
        if state.fatal.is_some() {
            return Poll::Ready(false);
        }
        if !state.running || acknowledged(&state) >= self.offset {
            return Poll::Ready(true);
        }
        let offset = self.offset;
        let known = state
            .waiters
            .iter()
            .any(|(o, w)| *o == offset && w.will_wake(cx.waker()));
        if !known {
            state.waiters.push((offset, cx.waker().clone()));
        }
        Poll::Pending
    }
}

/// Opens the log at `path` for appending, creating it if needed; returns it and its size.
pub(crate) fn open_for_append(path: &Path) -> io::Result<(File, u64)> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let size = file.metadata()?.len();
    Ok((file, size))
}
