//! The state every connection shares: data, configuration, clients and counters.

use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use radish_data::evict::Outcome;
use radish_data::Millis;

use crate::persist::{LogFault, Persist};
use crate::scripting::{Functions, Scripts, ScriptsStats, SharedRng};
use crate::state::clients::Clients;
use crate::state::config::{Config, ListenOn};
use crate::state::keyspace::Keyspace;
use crate::state::latency::LatencyMonitor;
use crate::state::links::Links;
use crate::state::notify::Notify;
use crate::state::pause::ClientPause;
use crate::state::pubsub::PubSub;
use crate::state::pubsub::Publisher;
use crate::state::renames::Renames;
use crate::state::replication::{LinkState, Replication};
use crate::state::script_watch::ScriptWatch;
use crate::state::slowlog::SlowLog;
use crate::state::stats::{ExpirySample, Stats, Timer, Totals};
use crate::state::tracking::Delivery;

/// Descriptors kept for everything but clients: listeners, snapshot and log files, the
/// runtime's own (Redis's `CONFIG_MIN_RESERVED_FDS`). Whoever fits `maxclients`
/// ([`Server::with_open_files`]) keeps them too.
pub const RESERVED_FDS: u64 = 32;

/// Most keys one tick evicts, bounding the pause when `maxmemory` is lowered far below use.
const EVICTIONS_PER_TICK: usize = 1024;

pub use crate::state::links::{Connector, Link};
pub use crate::state::script_watch::{Escape, EscapeFn};

/// What the pump registers to move the server's listening sockets (see
/// [`Server::set_listen`]): stops listening where the server listens now, then listens as
/// the [`ListenOn`] says, and fails if any address could not be bound (the server then
/// listens nowhere, as Redis after a failed bind).
pub type ListenFn = Box<dyn Fn(&ListenOn) -> std::io::Result<()> + Send + Sync>;

/// The registered [`ListenFn`], in a type `Server`'s `Debug` can show.
struct ListenHook(ListenFn);

impl std::fmt::Debug for ListenHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenHook")
    }
}

/// The EVAL engine, locked; publishes its [`ScriptsStats`] when dropped, if it was changed.
pub(crate) struct ScriptsGuard<'s> {
    scripts: MutexGuard<'s, Scripts>,
    stats: &'s ScriptsStats,
    changed: bool,
}

impl std::ops::Deref for ScriptsGuard<'_> {
    type Target = Scripts;

    fn deref(&self) -> &Scripts {
        &self.scripts
    }
}

impl std::ops::DerefMut for ScriptsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Scripts {
        self.changed = true;
        &mut self.scripts
    }
}

impl Drop for ScriptsGuard<'_> {
    fn drop(&mut self) {
        if self.changed {
            self.stats.publish(&self.scripts);
        }
    }
}

/// One server's shared state. Adapters make one, wrap it in an `Arc`, and hand it to every
/// connection's [`Session`](crate::Session).
#[derive(Debug)]
pub struct Server {
    keyspace: Arc<Mutex<Keyspace>>,
    pubsub: Mutex<PubSub>,
    config: RwLock<Config>,
    /// Connected clients.
    pub clients: Clients,
    /// Cumulative counters (INFO stats).
    pub stats: Stats,
    /// When the server started, in Unix milliseconds.
    pub started_at: Millis,
    /// The TCP port actually bound (INFO's tcp_port), set by the pump when it binds, at start
    /// and on CONFIG SET (0 while the server listens on no TCP port).
    pub port: AtomicU64,
    /// `maxmemory`, readable without the data lock: commands skip eviction while it is 0.
    pub maxmemory: AtomicU64,
    /// `busy-reply-threshold` (milliseconds), read by every script as it starts.
    pub(crate) busy_reply_threshold: AtomicU64,
    shutdown_requested: AtomicBool,
    /// Notified when SHUTDOWN asks the server to stop; the accept loop waits on it.
    pub shutdown: Notify,
    /// Notified when REPLICAOF names a primary: the accept loop starts the link at once
    /// (`replica::due`) rather than on its next tick.
    pub replica_link: Notify,
    /// The append-only log, snapshots and their threads.
    pub(crate) persist: Arc<Persist>,
    /// The `rename-command` directives, applied to every command a client sends.
    pub(crate) renames: Renames,
    /// The EVAL engine and its script cache. Lock it after the data lock, never before.
    scripts: Mutex<Scripts>,
    /// What INFO reports of them (see [`ScriptsStats`]).
    pub(crate) scripts_stats: ScriptsStats,
    /// The function libraries and their engine: FCALL and FUNCTION STATS read them (a busy
    /// function does not keep FUNCTION STATS out), FUNCTION LOAD and the rest change them.
    /// Lock it after the data lock, never before (and never with `scripts`).
    pub(crate) functions: Arc<RwLock<Functions>>,
    /// The script or function running now, as other connections see it.
    pub(crate) watch: Arc<ScriptWatch>,
    /// What DEBUG switches: active expiry, the tick.
    pub(crate) debug: DebugSwitches,
    /// The slow log (SLOWLOG) and its settings.
    pub(crate) slowlog: SlowLog,
    /// The latency monitor (LATENCY) and its threshold.
    pub(crate) latency: LatencyMonitor,
    /// CLIENT PAUSE.
    pub(crate) pause: ClientPause,
    /// The clock commands and expiry cycles are timed with, from whoever runs the server.
    timer: Option<Timer>,
    /// Raises the open-files limit for `maxclients` clients and says how many fit, from
    /// whoever runs the server; without it, every client asked for fits.
    open_files: Option<fn(u64) -> u64>,
    /// The connections MIGRATE keeps to other servers. Lock it after the data lock.
    pub(crate) links: Mutex<Links>,
    /// Client-side caching is active (`Keyspace::record_modified`): commands check the
    /// tracking table's size before they run, which takes the data lock.
    pub(crate) tracking_active: AtomicBool,
    /// Moves the listening sockets, from whoever runs the server (see `set_listen`).
    listen: OnceLock<ListenHook>,
    /// Replication IDs and offsets, and the primary followed. Lock it after the data lock,
    /// never before.
    pub(crate) replication: Mutex<Replication>,
    /// What every command's admission checks read of replication, without its lock
    /// ([`ReplicaChecks`] bits, see [`Server::replica_changed`]).
    replica_checks: AtomicU8,
    /// When the replication cron last sent keepalives and PINGs.
    repl_cron: Mutex<ReplCron>,
    /// `min-replicas-to-write` (high 32 bits) and `min-replicas-max-lag` in seconds (low 32
    /// bits), read without a lock by every command's admission check.
    min_replicas: AtomicU64,
}

/// When the replication cron last acted.
#[derive(Debug, Default)]
struct ReplCron {
    keepalive: Millis,
    ping: Millis,
}

/// The bits of `Server::replica_checks`.
pub(crate) struct ReplicaChecks;

impl ReplicaChecks {
    /// Writes from clients are refused (`replica-read-only` on a replica): -READONLY.
    pub(crate) const READ_ONLY: u8 = 1;
    /// The link is down and `replica-serve-stale-data` is no: -MASTERDOWN.
    pub(crate) const STALE: u8 = 2;
    /// This server is a replica: keys expire when its primary says so, not by its own
    /// active expiry.
    pub(crate) const REPLICA: u8 = 4;
}

impl Server {
    /// A server with this configuration and empty databases, started at `now`.
    pub fn new(config: Config, now: Millis) -> Server {
        let databases = config.get_int("databases").max(1) as usize;
        let port = config.get_int("port") as u64;
        let eviction = config.eviction_settings();
        let busy_reply_threshold = config.get_int("busy-reply-threshold").max(0) as u64;
        let mut keyspace = Keyspace::new(databases);
        keyspace.configure(eviction);
        keyspace.encoding = config.encoding_limits();
        keyspace.set_notify(config.keyspace_events());
        let clients = Clients::default();
        keyspace.client_buffers = clients.buffers.clone();
        let keyspace = Arc::new(Mutex::new(keyspace));
        clients.limits.load(&config);
        let renames = Renames::new(config.renamed_commands());
        // One random generator for scripts and functions, as Redis has.
        let rng = SharedRng::default();
        let scripts = Scripts::new(rng.clone());
        let scripts_stats = ScriptsStats::default();
        scripts_stats.publish(&scripts);
        let functions = Arc::new(RwLock::new(Functions::new(rng.clone())));
        let slowlog = SlowLog::default();
        let latency = LatencyMonitor::default();
        configure_monitors(&config, &slowlog, &latency);
        // `replicaof <host> <port>`: the link starts with the pump's first tick.
        let mut replication = Replication::new();
        if let Some((host, port)) = config.get("replicaof").and_then(|v| v.rsplit_once(' ')) {
            if let Ok(port) = port.parse() {
                replication.follow(host, port, now);
            }
        }
        let server = Server {
            persist: Arc::new(Persist::new(keyspace.clone(), functions.clone(), now)),
            keyspace,
            pubsub: Mutex::new(PubSub::default()),
            config: RwLock::new(config),
            clients,
            stats: Stats::new(now),
            started_at: now,
            port: AtomicU64::new(port),
            maxmemory: AtomicU64::new(eviction.maxmemory),
            busy_reply_threshold: AtomicU64::new(busy_reply_threshold),
            shutdown_requested: AtomicBool::new(false),
            shutdown: Notify::default(),
            replica_link: Notify::default(),
            renames,
            scripts: Mutex::new(scripts),
            scripts_stats,
            functions,
            watch: Arc::default(),
            debug: DebugSwitches::default(),
            slowlog,
            latency,
            pause: ClientPause::default(),
            timer: None,
            open_files: None,
            links: Mutex::new(Links::default()),
            tracking_active: AtomicBool::new(false),
            listen: OnceLock::new(),
            replication: Mutex::new(replication),
            replica_checks: AtomicU8::new(0),
            repl_cron: Mutex::default(),
            min_replicas: AtomicU64::new(0),
        };
        server.replica_changed();
        server
    }

    /// At start, as Redis: raises the open-files limit for `maxclients`, or lowers
    /// `maxclients` to what the limit allows.
    pub(crate) fn fit_maxclients(&self) {
        let wanted = self.config().get_int("maxclients").max(0) as u64;
        let fits = self.clients_that_fit(wanted).max(1);
        if fits >= wanted {
            return;
        }
        tracing::warn!(
            "Current maximum open files is {}. maxclients has been reduced to {fits} to \
             compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            fits + RESERVED_FDS
        );
        let value = [(
            Bytes::from_static(b"maxclients"),
            Bytes::from(fits.to_string()),
        )];
        if self.config_mut().set_many(&value).is_ok() {
            self.apply_config(&mut self.keyspace());
        }
    }

    /// Call once the server has stopped serving: saves the snapshot if SHUTDOWN or the `save`
    /// rules ask for it, writes and fsyncs the append-only log, and stops persistence threads.
    pub fn close(&self, now: Millis) -> Result<(), String> {
        let config = self.config().clone();
        self.persist.close(&config, now)
    }

    /// Times commands (INFO commandstats, latencystats) and expiry cycles with `timer`, a
    /// monotonic clock in nanoseconds: the store reads no clock of its own, so without one
    /// those durations are 0.
    pub fn with_timer(mut self, timer: Timer) -> Server {
        self.timer = Some(timer);
        self
    }

    /// Fits `maxclients` (at start and on CONFIG SET) with `open_files`, which raises the
    /// process's open-files limit so that that many clients fit, as far as it can, and
    /// returns how many do: the store makes no system call of its own for it.
    pub fn with_open_files(mut self, open_files: fn(u64) -> u64) -> Server {
        self.open_files = Some(open_files);
        self
    }

    /// MIGRATE's cached connections (lock it after the data lock).
    pub(crate) fn links(&self) -> MutexGuard<'_, Links> {
        self.links
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens MIGRATE's connections to other servers with `connector`: the store opens no
    /// socket of its own, and without one MIGRATE cannot connect.
    pub fn with_connector(self, connector: Connector) -> Server {
        self.links
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .set_connector(connector);
        self
    }

    /// The EVAL engine (lock it after the data lock). What INFO reports of it is published
    /// when the guard goes, if it was changed.
    pub(crate) fn scripts(&self) -> ScriptsGuard<'_> {
        ScriptsGuard {
            scripts: self
                .scripts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            stats: &self.scripts_stats,
            changed: false,
        }
    }

    /// The EVAL engine if no one holds it: `None` while a script runs (or another thread
    /// looks a script up).
    pub(crate) fn try_scripts(&self) -> Option<MutexGuard<'_, Scripts>> {
        match self.scripts.try_lock() {
            Ok(scripts) => Some(scripts),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The function libraries, to read (lock them after the data lock).
    pub(crate) fn functions(&self) -> RwLockReadGuard<'_, Functions> {
        self.functions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The function libraries, to change (lock them after the data lock).
    pub(crate) fn functions_mut(&self) -> RwLockWriteGuard<'_, Functions> {
        self.functions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The clock set by [`with_timer`](Server::with_timer), if any.
    pub(crate) fn timer(&self) -> Option<Timer> {
        self.timer
    }

    /// How many of `wanted` clients the open-files limit lets in, raising it if it can.
    pub(crate) fn clients_that_fit(&self, wanted: u64) -> u64 {
        self.open_files.map_or(wanted, |fit| fit(wanted))
    }

    /// Locks the data. Never held across an `.await`: the store has none, and the pump calls
    /// into the store synchronously.
    pub fn keyspace(&self) -> MutexGuard<'_, Keyspace> {
        self.keyspace.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// All databases, if no one holds them now (a connection closing while a script runs
    /// must not wait for it).
    pub(crate) fn try_keyspace(&self) -> Option<MutexGuard<'_, Keyspace>> {
        match self.keyspace.try_lock() {
            Ok(guard) => Some(guard),
            Err(std::sync::TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    /// The pub/sub registry. Lock order: the data lock (if held) first, then this one.
    pub fn pubsub(&self) -> MutexGuard<'_, PubSub> {
        self.pubsub.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The configuration, for reading.
    pub fn config(&self) -> RwLockReadGuard<'_, Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The configuration, for CONFIG SET.
    pub fn config_mut(&self) -> RwLockWriteGuard<'_, Config> {
        self.config.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Copies the settings read on hot paths out of the configuration (after CONFIG SET):
    /// client limits and `maxmemory` here, eviction settings into `keyspace`, which the
    /// caller passes in as it may hold the data lock already.
    pub fn apply_config(&self, keyspace: &mut Keyspace) {
        let (eviction, encoding, notify) = {
            let config = self.config();
            self.clients.limits.load(&config);
            let threshold = config.get_int("busy-reply-threshold").max(0) as u64;
            self.busy_reply_threshold
                .store(threshold, Ordering::Relaxed);
            configure_monitors(&config, &self.slowlog, &self.latency);
            (
                config.eviction_settings(),
                config.encoding_limits(),
                config.keyspace_events(),
            )
        };
        keyspace.encoding = encoding;
        keyspace.set_notify(notify);
        self.maxmemory.store(eviction.maxmemory, Ordering::Relaxed);
        keyspace.configure(eviction);
        self.replica_changed();
    }

    /// One tick of background work (the pump calls it `hz` times a second): active
    /// expiry, eviction left over from commands while memory is over `maxmemory`, closing
    /// clients idle past `timeout` or over their output buffer limits; and INFO's samples:
    /// instantaneous rates, the expiry estimates (taken before active expiry removes what
    /// they measure), the memory peak and the time spent over `maxmemory`. DEBUG PAUSE-CRON
    /// stops it all; DEBUG SET-ACTIVE-EXPIRE 0 stops active expiry.
    pub fn tick(&self, now: Millis) {
        if self.persist.failed_for_good() && !self.shutdown_requested() {
            // Redis exits when the log fails with `appendfsync always`: every client is
            // closed (none gets a reply the log did not make durable) and the server stops.
            self.clients.kill_all();
            self.request_shutdown();
        }
        // A script holds the data: the tick waits for it, on its next turn, rather than hold
        // up the event loop it runs on.
        if self.debug.cron_paused.load(Ordering::Relaxed) || self.watch.is_reserved() {
            return;
        }
        let mut keyspace = self.keyspace();
        let expiry = ExpirySample::take(&mut keyspace, now);
        // While clients are paused the data stays as it is: no expiry, no eviction.
        let paused = self.pause.active(now);
        let expiry_started = self.timer.map(|timer| timer());
        // A replica leaves expiry to its primary, whose DELs come down its stream.
        let replica = self.replica_checks() & ReplicaChecks::REPLICA != 0;
        let expiring = self.debug.active_expire.load(Ordering::Relaxed) && !paused && !replica;
        let expire_capped = expiring && keyspace.active_expire(now).capped;
        let expire_micros = match (self.timer, expiry_started) {
            (Some(timer), Some(started)) => timer().saturating_sub(started) / 1000,
            _ => 0,
        };
        if expiring {
            self.latency
                .add_if_needed("expire-cycle", expire_micros / 1000, now);
        }
        let eviction = self.evict(&mut keyspace, now, EVICTIONS_PER_TICK);
        if keyspace.tracking.is_active() {
            // Expired and evicted keys invalidate what clients cache.
            let max_keys = self.config().get_int("tracking-table-max-keys").max(0) as usize;
            let mut to = Delivery {
                clients: &self.clients,
                current: None,
                out: None,
            };
            keyspace.invalidate_modified(None, &mut to);
            keyspace.tracking.broadcast(&mut to);
            keyspace.tracking.limit(max_keys, &mut to);
        }
        if keyspace.notify != 0 {
            self.publish_recorded(&mut keyspace, now);
        }
        let used_memory = keyspace.used_memory() as u64;
        self.persist.tick(&self.config(), &mut keyspace, now);
        let snapshot_for_replicas = match keyspace.repl.active() {
            true => self.feed_replicas_tick(&mut keyspace, now),
            false => None,
        };
        self.links().close_idle(now);
        self.clients
            .close_idle(now, |client| keyspace.is_waiting(client));
        drop(keyspace);
        if let Some(snapshot) = snapshot_for_replicas {
            // Read without the data lock (it may be large); the replicas collect the
            // stream meanwhile.
            let rdb = snapshot.and_then(|mut file| {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut file, &mut bytes).ok()?;
                Some(bytes)
            });
            if rdb.is_none() {
                tracing::warn!("BGSAVE for replication failed");
            }
            self.keyspace().repl.snapshot_done(rdb.as_deref());
        }
        self.clients.enforce_output_limits(now);
        self.clients.track_recent_peaks(now);
        self.clients.evict(now);
        let totals = Totals {
            commands: self.stats.commands_processed(),
            input: self.stats.net_input_bytes.load(Ordering::Relaxed),
            output: self.stats.net_output_bytes.load(Ordering::Relaxed),
        };
        let interval = self.tick_interval_ms();
        let mut sampled = self.stats.sampled();
        sampled.tick(now, interval, totals, &expiry);
        sampled.expire_micros += expire_micros;
        sampled.expire_capped += u64::from(expire_capped);
        sampled.saw_memory(used_memory);
        sampled.saw_eviction(now, eviction != Outcome::Within);
    }

    /// The primary's part of the tick: starts a snapshot for replicas that wait for one
    /// when no other job runs, keeps waiting replicas' links alive every second, and PINGs
    /// the replicas every `repl-ping-replica-period`, as Redis's replication cron. Once the
    /// snapshot they wait for is written, returns it, opened here so that a later save
    /// cannot replace it (`None` inside if it failed), for the caller to hand over.
    fn feed_replicas_tick(&self, keyspace: &mut Keyspace, now: Millis) -> Option<Option<File>> {
        let config = self.config();
        keyspace
            .repl
            .set_backlog_size(config.get_int("repl-backlog-size").max(1) as usize);
        let status = self.persist.status(keyspace, now);
        let busy = status.bgsave_in_progress || status.rewrite_in_progress;
        let mut written = None;
        if let Some(started) = keyspace.repl.waiting_for_snapshot() {
            if !status.bgsave_in_progress {
                let saved = status.last_bgsave_ok && status.last_save >= started / 1000;
                let path = std::path::PathBuf::from(config.get("dir").unwrap_or("."))
                    .join(config.get("dbfilename").unwrap_or("dump.rdb"));
                written = Some(saved.then(|| File::open(path).ok()).flatten());
            }
        } else if keyspace.repl.wants_snapshot() && !busy {
            let started = self.persist.bgsave(&config, keyspace, now, false);
            if matches!(started, Ok(crate::persist::Started::Now)) {
                tracing::info!("Starting BGSAVE for SYNC with target: disk");
                let replid = self.replication().replid.clone();
                keyspace.repl.snapshot_began(&replid, now);
                // The stream after the snapshot starts in a database it names.
                keyspace.log.selected = None;
            }
        }
        let period = config.get_int("repl-ping-replica-period").max(1) as u64 * 1000;
        drop(config);
        let mut cron = self.repl_cron.lock().unwrap_or_else(|e| e.into_inner());
        if now.saturating_sub(cron.keepalive) >= 1000 {
            cron.keepalive = now;
            keyspace.repl.keep_waiting_alive();
        }
        if cron.ping == 0 || keyspace.repl.replicas.is_empty() {
            // The first PING comes a period after replicas are there, not at once.
            cron.ping = now;
        }
        if now.saturating_sub(cron.ping) >= period {
            cron.ping = now;
            keyspace.repl.feed(crate::state::repl_stream::PING);
        }
        written
    }

    /// Publishes the keyspace events the databases recorded (keys created, expired, evicted,
    /// missed). Call with the data locked and notifications on (`keyspace.notify != 0`).
    pub(crate) fn publish_recorded(&self, keyspace: &mut Keyspace, now: Millis) {
        if keyspace.has_recorded() {
            self.publish(keyspace, now, |_| {});
        }
    }

    /// Publishes keyspace event `event` of class `class` on `key` of database `db`, after
    /// what the databases recorded before it, if the class is on. Call with the data locked.
    #[inline]
    pub(crate) fn notify(
        &self,
        keyspace: &mut Keyspace,
        now: Millis,
        class: u32,
        db: usize,
        event: &str,
        key: &[u8],
    ) {
        if keyspace.notify & class != 0 {
            self.publish(keyspace, now, |publisher| {
                publisher.publish(class, db, event, key)
            });
        }
    }

    /// Publishes what the databases recorded, then what `then` publishes, under one hold of
    /// pub/sub.
    fn publish(&self, keyspace: &mut Keyspace, now: Millis, then: impl FnOnce(&mut Publisher<'_>)) {
        let mut pubsub = self.pubsub();
        let mut publisher = Publisher {
            flags: keyspace.notify,
            pubsub: &mut pubsub,
            limit: self.clients.limits.output(true),
            now,
        };
        keyspace.publish_recorded(&mut publisher);
        then(&mut publisher);
    }

    /// Evicts keys by the `maxmemory` policy, at most `budget` of them (Redis's
    /// `performEvictions`): nothing while clients are paused, the data then staying as it
    /// is. The latency monitor times a pass that had to evict (`eviction-cycle`).
    pub(crate) fn evict(&self, keyspace: &mut Keyspace, now: Millis, budget: usize) -> Outcome {
        if self.pause.active(now) {
            return Outcome::Within;
        }
        let started = self.latency.start(self.timer);
        let outcome = keyspace.evict(now, budget);
        if outcome != Outcome::Within {
            self.latency
                .add_timed("eviction-cycle", self.timer, started, now);
        }
        outcome
    }

    /// How often [`tick`](Server::tick) wants to run, in milliseconds.
    pub fn tick_interval_ms(&self) -> u64 {
        1000 / self.config().get_int("hz").clamp(1, 500) as u64
    }

    /// Tells how a script that runs past `busy-reply-threshold` lets the event loop it runs
    /// on go on: `escape`, called on that thread, hands the loop's other connections to
    /// another thread, until the value it returns is dropped (when the script ends), and
    /// calls the function it is given once they are handed over (the watch wakes the waiting
    /// connections there, so that the wakes reach the thread that serves them). A script
    /// runs where its command arrives, as in Redis, and holds up its event loop until it is
    /// busy; from then on the other clients must be served (`-BUSY`, SCRIPT KILL). The pump
    /// sets this once, before serving; without it, a busy script's own event loop stays held.
    pub fn set_escape(&self, escape: EscapeFn) {
        self.watch.set_escape(escape);
    }

    /// Tells how CONFIG SET makes a new `port` or `bind` take effect: `listen`, called
    /// synchronously during the command, closes the listening sockets and binds the new
    /// ones (Redis's `changeListenPort` and `changeBindAddr`), handing them to the accept
    /// loop; an error fails the CONFIG SET, which then restores every value it set and calls
    /// `listen` again with the old ones. The pump sets this once, before serving; a second
    /// call is ignored. Without it (a server nobody accepts for), the values are only kept.
    pub fn set_listen(&self, listen: ListenFn) {
        let _ = self.listen.set(ListenHook(listen));
    }

    /// Listens as `on` says, through the hook the pump registered ([`set_listen`]); `Ok`
    /// without one. INFO's `tcp_port` follows: the port asked for, even with no address to
    /// listen on, as Redis reports it.
    ///
    /// [`set_listen`]: Server::set_listen
    pub(crate) fn relisten(&self, on: &ListenOn) -> std::io::Result<()> {
        if let Some(ListenHook(listen)) = self.listen.get() {
            listen(on)?;
        }
        self.port.store(u64::from(on.port), Ordering::Relaxed);
        Ok(())
    }

    /// Replication's state.
    pub(crate) fn replication(&self) -> MutexGuard<'_, Replication> {
        self.replication.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Works out again what admission checks read of replication, after the role, the
    /// link's state or `replica-read-only`/`replica-serve-stale-data` changed.
    pub(crate) fn replica_changed(&self) {
        let (read_only, serve_stale, min_replicas) = {
            let config = self.config();
            (
                config.get_bool("replica-read-only"),
                config.get_bool("replica-serve-stale-data"),
                (
                    config
                        .get_int("min-replicas-to-write")
                        .clamp(0, u32::MAX.into()) as u64,
                    config
                        .get_int("min-replicas-max-lag")
                        .clamp(0, u32::MAX.into()) as u64,
                ),
            )
        };
        let (count, lag) = min_replicas;
        self.min_replicas
            .store(count << 32 | lag, Ordering::Relaxed);
        let mut checks = 0;
        if let Some(primary) = &self.replication().primary {
            checks |= ReplicaChecks::REPLICA;
            if read_only {
                checks |= ReplicaChecks::READ_ONLY;
            }
            if !serve_stale && primary.state != LinkState::Connected {
                checks |= ReplicaChecks::STALE;
            }
        }
        self.replica_checks.store(checks, Ordering::Relaxed);
    }

    /// `min-replicas-to-write` and `-max-lag`, when both are set (Redis checks only then).
    pub(crate) fn min_replicas(&self) -> Option<(usize, u64)> {
        let packed = self.min_replicas.load(Ordering::Relaxed);
        let (count, lag) = ((packed >> 32) as usize, packed & u64::from(u32::MAX));
        (count > 0 && lag > 0).then_some((count, lag))
    }

    /// The [`ReplicaChecks`] bits in force.
    pub(crate) fn replica_checks(&self) -> u8 {
        self.replica_checks.load(Ordering::Relaxed)
    }

    /// Asks the server to stop (SHUTDOWN, or a signal the binary caught).
    pub fn request_shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::SeqCst);
        self.shutdown.notify();
    }

    /// True once shutdown was requested.
    pub fn shutdown_requested(&self) -> bool {
        self.shutdown_requested.load(Ordering::SeqCst)
    }

    /// For tests: makes the append-only log's writes or fsyncs fail as `fault` says (a full
    /// or broken disk), until called with `None`.
    pub fn inject_log_fault(&self, fault: Option<LogFault>) {
        self.persist.inject_log_fault(fault);
    }
}

/// Copies `slowlog-log-slower-than`, `slowlog-max-len` and `latency-monitor-threshold` out
/// of `config`, where every command reads them.
fn configure_monitors(config: &Config, slowlog: &SlowLog, latency: &LatencyMonitor) {
    slowlog.configure(
        config.get_int("slowlog-log-slower-than"),
        config.get_int("slowlog-max-len").max(0) as u64,
    );
    latency.set_threshold(config.get_int("latency-monitor-threshold").max(0) as u64);
}

/// What DEBUG SET-ACTIVE-EXPIRE, DEBUG PAUSE-CRON and DEBUG SET-SKIP-CHECKSUM-VALIDATION
/// turn off, for tests.
#[derive(Debug)]
pub(crate) struct DebugSwitches {
    active_expire: AtomicBool,
    cron_paused: AtomicBool,
    skip_checksum: AtomicBool,
}

impl Default for DebugSwitches {
    fn default() -> Self {
        DebugSwitches {
            active_expire: AtomicBool::new(true),
            cron_paused: AtomicBool::new(false),
            skip_checksum: AtomicBool::new(false),
        }
    }
}

impl DebugSwitches {
    /// DEBUG SET-ACTIVE-EXPIRE: whether the tick removes expired keys nobody reads.
    pub(crate) fn set_active_expire(&self, on: bool) {
        self.active_expire.store(on, Ordering::Relaxed);
    }

    /// DEBUG PAUSE-CRON: whether the tick does nothing at all.
    pub(crate) fn set_cron_paused(&self, paused: bool) {
        self.cron_paused.store(paused, Ordering::Relaxed);
    }

    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: whether RESTORE skips a payload's checksum (to
    /// feed it corrupt payloads, as Redis's tests do).
    pub(crate) fn set_skip_checksum(&self, skip: bool) {
        self.skip_checksum.store(skip, Ordering::Relaxed);
    }

    /// Whether RESTORE skips a payload's checksum.
    pub(crate) fn skip_checksum(&self) -> bool {
        self.skip_checksum.load(Ordering::Relaxed)
    }
}
