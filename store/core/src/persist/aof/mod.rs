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
//! tick asks; with `no` never. It also installs rewritten logs. Connections never fsync
//! themselves: their threads serve other connections too.
//!
//! Offsets are logical: the number of log bytes appended since the server started, across
//! rewrites.

use std::fs::File;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

mod thread;

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

/// A finished snapshot for the fsync thread to turn into the new log: it appends the
/// commands logged since the snapshot's moment, fsyncs, and renames it over the log.
#[derive(Debug)]
pub(crate) struct Install {
    /// The snapshot's temporary file, written and fsynced.
    pub(crate) path: PathBuf,
    /// The same file, open for writing at its end.
    pub(crate) file: File,
    /// Told the outcome.
    pub(crate) done: mpsc::Sender<Result<(), String>>,
    /// The rewrite's kill switch: killed before the rename, it installs nothing.
    pub(crate) abort: Arc<crate::persist::abort::Abort>,
}

/// Tail bytes small enough to write with the file locked, when installing a rewrite.
const FINISH_UNDER_LOCK: usize = 256 * 1024;

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
    /// The offset where the rewrite running now took its snapshot.
    rewrite_from: Option<u64>,
    install: Option<Install>,
    /// The last write (or fsync) succeeded.
    write_ok: bool,
    /// Why it failed: the OS error number (0 if there was none).
    write_errno: i32,
    /// The current log file's size, and its size after the last rewrite.
    size: u64,
    base_size: u64,
    /// An fsync in flight (INFO's aof_pending_bio_fsync): at most one at a time.
    syncing: bool,
    /// The file, for fsyncing without holding up writers.
    sync_file: Option<Arc<File>>,
    /// There is a file (a log being turned on has none until its first rewrite).
    has_file: bool,
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
    /// Log bytes since the running rewrite's snapshot: (its offset, the bytes not yet
    /// copied to the rewritten file).
    tail: Option<(u64, Vec<u8>)>,
}

/// The log's shared state.
#[derive(Debug)]
pub(crate) struct Aof {
    state: Mutex<State>,
    /// `!state.write_ok`, readable without the lock: every write command checks it.
    write_failed: AtomicBool,
    work: Condvar,
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
                rewrite_from: None,
                install: None,
                write_ok: true,
                write_errno: 0,
                size: 0,
                base_size: 0,
                syncing: false,
                sync_file: None,
                has_file: false,
            }),
            write_failed: AtomicBool::new(false),
            work: Condvar::new(),
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

    /// Records the outcome of a write or fsync of the log (`None`: it succeeded).
    fn set_write_status(&self, state: &mut State, error: Option<&io::Error>) {
        state.write_ok = error.is_none();
        state.write_errno = error.and_then(io::Error::raw_os_error).unwrap_or(0);
        self.write_failed.store(!state.write_ok, Ordering::Relaxed);
    }

    /// Makes the log's last write a failure with OS error `errno`, as a full disk would.
    #[cfg(test)]
    pub(crate) fn fail_writes(&self, errno: i32) {
        let mut state = self.lock();
        self.set_write_status(&mut state, Some(&io::Error::from_raw_os_error(errno)));
    }

    /// Why writes to the log are failing while the log is on and its last write or fsync
    /// failed: the system's description of the error, as Redis's `strerror`.
    #[inline]
    pub(crate) fn write_error(&self) -> Option<String> {
        if !self.write_failed.load(Ordering::Relaxed) {
            return None;
        }
        let state = self.lock();
        if !state.running || state.write_ok {
            return None;
        }
        let text = io::Error::from_raw_os_error(state.write_errno).to_string();
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

    /// Turns the log on, writing to `file` at `path` (`None` until a rewrite installs the
    /// first file). `size` is the file's current size.
    pub(crate) fn start(
        self: &Arc<Self>,
        path: PathBuf,
        file: Option<File>,
        size: u64,
        policy: Fsync,
    ) {
        let sync_file = file.as_ref().and_then(|f| f.try_clone().ok()).map(Arc::new);
        {
            let mut io = self.lock_io();
            *io = Io {
                path,
                file,
                retry: Vec::new(),
                spare: Vec::new(),
                size,
                tail: None,
            };
            let mut state = self.lock();
            state.running = true;
            state.stop = false;
            state.policy = policy;
            self.set_write_status(&mut state, None);
            state.size = size;
            state.base_size = size;
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
        let mut io = self.lock_io();
        io.file = None;
        io.tail = None;
        io.retry.clear();
        let mut state = self.lock();
        state.running = false;
        state.stop = false;
        state.has_file = false;
        state.sync_file = None;
        state.rewrite_from = None;
        state.pending.clear();
        if let Some(install) = state.install.take() {
            let _ = install
                .done
                .send(Err("the append-only log was turned off".into()));
        }
        state.written = state.appended;
        state.durable = state.appended;
        wake_all(&mut state);
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
        if !state.running || state.policy != Fsync::Always || state.durable >= offset {
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
        let Some((file, target)) = started else {
            return;
        };
        if !self.finish_sync(file.sync_data(), target) {
            // The fsync thread retries, pausing between failures; the clients keep waiting.
            self.kick();
        }
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
        let Some((file, target)) = self.lock().begin_sync() else {
            return;
        };
        self.finish_sync(file.sync_data(), target);
    }

    /// Records the outcome of an fsync of everything up to `target`; false if it failed.
    fn finish_sync(&self, result: io::Result<()>, target: u64) -> bool {
        let mut state = self.lock();
        state.syncing = false;
        match result {
            Ok(()) => {
                state.durable = state.durable.max(target);
                wake_all(&mut state);
                true
            }
            Err(error) => {
                tracing::error!("error fsyncing the append-only log: {error}");
                self.set_write_status(&mut state, Some(&error));
                false
            }
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

    /// A rewrite took its snapshot now: what is appended from here on is kept, to follow
    /// the snapshot in the new log. Call under the data lock.
    pub(crate) fn begin_rewrite(&self) {
        let mut state = self.lock();
        state.rewrite_from = Some(state.appended);
    }

    /// A rewrite was killed: the log stops keeping its tail, and an install it handed over
    /// and that has not begun is refused.
    pub(crate) fn cancel_rewrite(&self) {
        self.lock_io().tail = None;
        let mut state = self.lock();
        state.rewrite_from = None;
        if let Some(install) = state.install.take() {
            let _ = install.done.send(Err("aborted".into()));
        }
    }

    /// Hands a finished snapshot to the fsync thread, to install as the new log.
    pub(crate) fn install(&self, install: Install) {
        let mut state = self.lock();
        if !state.running {
            let _ = install
                .done
                .send(Err("the append-only log was turned off".into()));
            return;
        }
        state.install = Some(install);
        self.work.notify_one();
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
            write_ok: state.write_ok,
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
        let (end, rewrite_from) = {
            let mut state = self.lock();
            if state.pending.is_empty() && io.retry.is_empty() {
                io.spare = chunk;
                return (state.write_ok, state.policy == Fsync::Always);
            }
            std::mem::swap(&mut chunk, &mut state.pending);
            (state.appended, state.rewrite_from)
        };
        io.keep_tail(&chunk, end - chunk.len() as u64, rewrite_from);
        let result = io.write(&chunk);
        let ok = result.is_ok();
        chunk.clear();
        io.spare = chunk;
        let mut state = self.lock();
        self.set_write_status(&mut state, result.err().as_ref());
        state.size = io.size;
        if ok && io.file.is_some() {
            state.written = state.written.max(end);
        }
        wake_all(&mut state);
        (ok, state.policy == Fsync::Always)
    }
}

impl State {
    /// Marks an fsync of everything written as in flight: the file to fsync (none before the
    /// log's first file) and the offset it will make durable.
    fn begin_sync(&mut self) -> Option<(Arc<File>, u64)> {
        let file = self.sync_file.clone()?;
        self.syncing = true;
        Some((file, self.written))
    }

    /// Whether the fsync thread should fsync now: something written is not yet durable, and
    /// the policy, the tick (`everysec`) or stopping asks for it.
    fn fsync_due(&self) -> bool {
        self.written > self.durable
            && (self.policy == Fsync::Always || self.fsync_requested || self.stop)
    }
}

impl Io {
    /// Keeps the bytes from `rewrite_from` on, for the rewrite in progress.
    fn keep_tail(&mut self, chunk: &[u8], start: u64, rewrite_from: Option<u64>) {
        let Some(from) = rewrite_from else {
            self.tail = None;
            return;
        };
        let tail = match &mut self.tail {
            Some((offset, bytes)) if *offset == from => bytes,
            _ => &mut self.tail.insert((from, Vec::new())).1,
        };
        let end = start + chunk.len() as u64;
        if end > from {
            let skip = from.saturating_sub(start) as usize;
            tail.extend_from_slice(&chunk[skip..]);
        }
    }

    /// Writes `chunk` (after anything that failed before). False on failure: the bytes are
    /// kept to retry, and the file is cut back to its last good size.
    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        let bytes = if self.retry.is_empty() {
            chunk
        } else {
            self.retry.extend_from_slice(chunk);
            &self.retry[..]
        };
        match file.write_all(bytes) {
            Ok(()) => {
                self.size += bytes.len() as u64;
                self.retry.clear();
                Ok(())
            }
            Err(error) => {
                tracing::error!("error writing to the append-only log: {error}");
                let _ = file.set_len(self.size);
                if self.retry.is_empty() {
                    self.retry = chunk.to_vec();
                }
                Err(error)
            }
        }
    }
}

/// Replies to writes logged up to here may be sent.
fn acknowledged(state: &State) -> u64 {
    match state.policy {
        Fsync::Always => state.durable,
        _ if !state.has_file => state.appended,
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
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.aof.lock();
        if !state.running || acknowledged(&state) >= self.offset {
            return Poll::Ready(());
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
