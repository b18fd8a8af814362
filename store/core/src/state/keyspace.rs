//! All databases, behind the server's one data lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use radish_data::db::ExpirePass;
use radish_data::evict::{Eviction, EvictionSettings, Outcome};
use radish_data::types::EncodingLimits;
use radish_data::{CompactBytes, Db, Millis, Rng, Value};

use crate::state::clients::Client;
use crate::state::events;
use crate::state::propagation::{Outer, Propagation};
use crate::state::pubsub::Publisher;
use crate::state::repl_stream::ReplStream;
use crate::state::tracking::{Delivery, Tracking};

/// What an empty server is charged for itself: its tables, buffers and code data. Redis
/// 7.0.15 reports 876,184 bytes (`used_memory_startup`) before the first key, and about
/// 915,000 with one client connected. Charging about as much leaves a `maxmemory` chosen for
/// Redis the same room (with 1 MiB, Redis takes a few hundred small keys; a 1 MiB baseline
/// took none).
pub const BASELINE: usize = 880 * 1024;

/// What a blocked command replies when its timeout passes, or at once when it cannot block
/// (inside MULTI/EXEC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// The null reply (`$-1` in RESP2): BLMOVE, BRPOPLPUSH.
    Null,
    /// The null array (`*-1` in RESP2): BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
    NullArray,
}

/// The type of value a blocking command pops (Redis's `btype`). It decides when its clients
/// can be served: a key written with another type keeps them waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pops {
    /// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
    List,
    /// BZPOPMIN, BZPOPMAX, BZMPOP.
    SortedSet,
    /// XREAD (reads rather than pops, but waits the same way).
    Stream,
    /// XREADGROUP: runs again whatever the key holds then, to answer an error if it is no
    /// longer a stream (or the group is gone), as Redis does.
    StreamGroup,
}

impl Pops {
    /// True if a waiter should run again now that the key holds `value` (`None`: nothing).
    pub fn matches(self, value: Option<&Value>) -> bool {
        matches!(
            (self, value),
            (Pops::List, Some(Value::List(_)))
                | (Pops::SortedSet, Some(Value::SortedSet(_)))
                | (Pops::Stream, Some(Value::Stream(_)))
                | (Pops::StreamGroup, _)
        )
    }

    /// True for the commands that take what they are served (lists, sorted sets): their
    /// waiters are served in order, and one that cannot be served holds up those behind it.
    /// Stream readers take nothing away: each is served on its own.
    pub fn takes(self) -> bool {
        matches!(self, Pops::List | Pops::SortedSet)
    }
}

/// A client blocked on keys, and the command to run again for it when one is written.
#[derive(Debug, Clone)]
pub struct Waiter {
    /// The database its keys are in.
    pub db: usize,
    /// The blocking command's full name, to run it again when a key is ready.
    pub command: &'static str,
    /// Its arguments.
    pub args: Vec<Bytes>,
    /// The keys it waits on.
    pub keys: Vec<Bytes>,
    /// The blocked client.
    pub client: Arc<Client>,
    /// What it is sent if it times out, or is unblocked by CLIENT UNBLOCK.
    pub on_timeout: TimeoutReply,
    /// The type of value it pops: only a key of that type serves it.
    pub pops: Pops,
    /// How long (µs) its command ran before blocking: the slow log adds the time serving
    /// it takes.
    pub micros: u64,
}

/// Every database, and the counters that change with them. The server keeps this behind one
/// mutex: a command (or a batch of pipelined commands, or a transaction) holds it for its whole
/// run, which makes each command atomic without any further locking.
#[derive(Debug)]
pub struct Keyspace {
    dbs: Vec<Db>,
    /// Random source for RANDOMKEY, SPOP and expiry sampling.
    pub rng: Rng,
    /// Changes since the last save (Redis's `server.dirty`).
    pub dirty: u64,
    /// Blocked clients by id.
    waiters: HashMap<u64, Waiter>,
    /// `maxmemory` eviction: settings, pool and counters.
    pub eviction: Eviction,
    /// What the running batch logs to the append-only log.
    pub log: Propagation,
    /// The replication stream and the replicas fed from it.
    pub repl: ReplStream,
    /// When aggregates change encoding (the `*-max-*` parameters).
    pub encoding: EncodingLimits,
    /// Bytes in clients' buffers (the server's [`Clients::buffers`]), part of used memory.
    ///
    /// [`Clients::buffers`]: crate::state::clients::Clients::buffers
    pub client_buffers: Arc<AtomicU64>,
    /// The keyspace event classes in force (`notify-keyspace-events`), 0 when nothing is
    /// published (no class, or neither `K` nor `E`): what `Ctx::notify` tests first.
    pub notify: u32,
    /// Client-side caching: who tracks what.
    pub tracking: Tracking,
    /// The databases record the keys written (see [`record_modified`](Keyspace::record_modified)).
    recording_modified: bool,
}

fn used_memory(dbs: &mut [Db], client_buffers: &AtomicU64) -> usize {
    let clients = client_buffers.load(Ordering::Relaxed) as usize;
    BASELINE + clients + dbs.iter_mut().map(Db::used_memory).sum::<usize>()
}

/// Rounds of sampling per database per active-expiry tick: bounds the work one tick does.
const ACTIVE_EXPIRE_ROUNDS: usize = 16;

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Keyspace {
        Keyspace {
            dbs: (0..databases.max(1)).map(|_| Db::default()).collect(),
            rng: Rng::from_entropy(),
            dirty: 0,
            waiters: HashMap::new(),
            eviction: Eviction::default(),
            log: Propagation::default(),
            repl: ReplStream::default(),
            encoding: EncodingLimits::default(),
            client_buffers: Arc::default(),
            notify: 0,
            tracking: Tracking::default(),
            recording_modified: false,
        }
    }

    /// Has the databases record the keys written while client-side caching is active, and
    /// stop once it is not; returns whether it is.
    pub fn record_modified(&mut self) -> bool {
        let on = self.tracking.is_active();
        if on != self.recording_modified {
            self.recording_modified = on;
            for db in &mut self.dbs {
                db.record_modified(on);
            }
        }
        on
    }

    /// Sends the invalidations for what was written since last asked (by client `writer`, or
    /// by expiry and eviction for none), for client-side caching.
    pub fn invalidate_modified(&mut self, writer: Option<u64>, to: &mut Delivery<'_>) {
        for key in self.take_modified() {
            match key {
                Some(key) => self.tracking.invalidate(&key, writer, true, to),
                None => self.tracking.flush(writer, to),
            }
        }
    }

    /// The keys written in every database since last asked (`None` for a database
    /// emptied; several emptied at once count as one), for client-side caching.
    pub fn take_modified(&mut self) -> Vec<Option<CompactBytes>> {
        let mut modified = Vec::new();
        for db in &mut self.dbs {
            for key in db.take_modified() {
                if key.is_none() && modified.last().is_some_and(Option::is_none) {
                    continue;
                }
                modified.push(key);
            }
        }
        modified
    }

    /// Number of databases.
    pub fn len(&self) -> usize {
        self.dbs.len()
    }

    /// Always false: there is at least one database.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// Database `index`, which must be in range (SELECT checks it).
    pub fn db(&mut self, index: usize) -> &mut Db {
        &mut self.dbs[index]
    }

    /// Two different databases at once (MOVE, COPY ... DB).
    pub fn two_dbs(&mut self, a: usize, b: usize) -> (&mut Db, &mut Db) {
        assert_ne!(a, b, "two_dbs needs two different databases");
        if a < b {
            let (low, high) = self.dbs.split_at_mut(b);
            (&mut low[a], &mut high[0])
        } else {
            let (low, high) = self.dbs.split_at_mut(a);
            (&mut high[0], &mut low[b])
        }
    }

    /// Every database, in order.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Removes every key of every database.
    pub fn flush_all(&mut self) {
        for db in &mut self.dbs {
            db.clear();
        }
    }

    /// Keys expired so far, lazily or actively.
    pub fn expired_keys(&self) -> u64 {
        self.dbs.iter().map(|db| db.expired).sum()
    }

    /// One active-expiry tick over every database, bounded in work. Returns the keys removed
    /// and whether some database's pass stopped at its bound with expired keys left (counted
    /// as INFO's expired_time_cap_reached_count, once per tick as Redis counts a cycle).
    pub fn active_expire(&mut self, now: Millis) -> ExpirePass {
        let rng = &mut self.rng;
        let mut total = ExpirePass::default();
        for db in &mut self.dbs {
            let pass = db.active_expire(now, rng, ACTIVE_EXPIRE_ROUNDS);
            total.removed += pass.removed;
            total.capped |= pass.capped;
        }
        total
    }

    /// Parks a blocked client: it is queued, after those already waiting, on each of its keys.
    pub fn add_waiter(&mut self, waiter: Waiter) {
        let db = &mut self.dbs[waiter.db];
        for key in &waiter.keys {
            db.add_blocked(key, waiter.client.id);
        }
        self.waiters.insert(waiter.client.id, waiter);
    }

    /// Removes a blocked client from every queue (served, timed out, or gone).
    pub fn remove_waiter(&mut self, client: u64) -> Option<Waiter> {
        let waiter = self.waiters.remove(&client)?;
        let db = &mut self.dbs[waiter.db];
        for key in &waiter.keys {
            db.remove_blocked(key, client);
        }
        Some(waiter)
    }

    /// Removes every blocked client from the queues, returning them.
    pub fn remove_all_waiters(&mut self) -> Vec<Waiter> {
        let ids: Vec<u64> = self.waiters.keys().copied().collect();
        ids.into_iter()
            .filter_map(|id| self.remove_waiter(id))
            .collect()
    }

    /// True while `client` is blocked.
    pub fn is_waiting(&self, client: u64) -> bool {
        self.waiters.contains_key(&client)
    }

    /// Keeps expired keys in every database until `until` (inclusive; `None`: no longer),
    /// read as missing but neither removed lazily nor actively: while clients are paused,
    /// the data does not change.
    pub fn hold_expiry(&mut self, until: Option<Millis>) {
        for db in &mut self.dbs {
            db.hold_expiry(until);
        }
    }

    /// Number of blocked clients (INFO's blocked_clients).
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// True if a key someone is blocked on was written since the last [`take_ready`].
    ///
    /// [`take_ready`]: Keyspace::take_ready
    pub fn has_ready(&self) -> bool {
        self.dbs.iter().any(Db::has_ready)
    }

    /// The written keys that have blocked clients, each once, by database.
    pub fn take_ready(&mut self) -> Vec<(usize, CompactBytes)> {
        let mut ready = Vec::new();
        for (index, db) in self.dbs.iter_mut().enumerate() {
            for key in db.take_ready() {
                if !ready.iter().any(|(i, k)| *i == index && *k == key) {
                    ready.push((index, key));
                }
            }
        }
        ready
    }

    /// The clients waiting on `key`, longest first.
    pub fn waiters_on(&self, db: usize, key: &[u8]) -> Vec<u64> {
        self.dbs[db].blocked_on(key)
    }

    /// The blocked client `client`, if it still waits.
    pub fn waiter(&self, client: u64) -> Option<Waiter> {
        self.waiters.get(&client).cloned()
    }

    /// Bytes in use (INFO's used_memory): the server's baseline, and every database's
    /// tables, keys and values.
    pub fn used_memory(&mut self) -> usize {
        used_memory(&mut self.dbs, &self.client_buffers)
    }

    /// Applies new eviction settings (at start-up and after CONFIG SET).
    pub fn configure(&mut self, settings: EvictionSettings) {
        for db in &mut self.dbs {
            db.configure_access(settings.lfu());
        }
        self.eviction.settings = settings;
    }

    /// Evicts keys by `maxmemory-policy` while memory is over `maxmemory`, at most `budget`
    /// of them (Redis's `performEvictions`). Costs nothing without a limit.
    pub fn evict(&mut self, now: Millis, budget: usize) -> Outcome {
        if self.eviction.settings.maxmemory == 0 {
            return Outcome::Within;
        }
        let client_buffers = &self.client_buffers;
        self.eviction
            .run(&mut self.dbs, &mut self.rng, now, budget, |dbs| {
                used_memory(dbs, client_buffers)
            })
    }

    /// Applies `notify-keyspace-events` (`flags` as [`events::parse`] reads it): the classes
    /// published, and what the databases record for them.
    pub fn set_notify(&mut self, flags: u32) {
        self.notify = events::effective(flags);
        let kinds = events::recorded_kinds(flags);
        for db in &mut self.dbs {
            db.events.want(&kinds);
        }
    }

    /// Publishes what the databases recorded (keys created, expired, evicted, missed), in
    /// the order each database recorded them, and forgets it.
    pub fn publish_recorded(&mut self, publisher: &mut Publisher<'_>) {
        for (index, db) in self.dbs.iter_mut().enumerate() {
            if !db.events.any() {
                continue;
            }
            for (event, key) in db.events.take() {
                let (class, name) = events::of_key_event(event);
                publisher.publish(class, index, name, &key);
            }
        }
    }

    /// True if a database holds recorded events not yet published.
    #[inline]
    pub fn has_recorded(&self) -> bool {
        self.dbs.iter().any(|db| db.events.any())
    }

    /// Records for the append-only log a DEL of every key that expiry or eviction removed
    /// since the last call.
    pub fn log_deletions(&mut self) {
        if !self.log.active() {
            return;
        }
        for (index, db) in self.dbs.iter_mut().enumerate() {
            for key in std::mem::take(&mut db.persist.deleted) {
                self.log.append(index, &[&b"DEL"[..], &key[..]]);
            }
        }
    }

    /// Turns logging on or off, in the log and in every database. Turning it on starts the
    /// log's reader in no database, so the next command logged is preceded by a SELECT.
    pub fn set_logging(&mut self, on: bool) {
        self.log.set_on(on);
        let deletes = self.log.active();
        for db in &mut self.dbs {
            if db.persist.log_deletes != deletes {
                db.persist.log_deletes = deletes;
                db.persist.deleted.clear();
            }
        }
    }

    /// Starts producing the stream for replicas (the first replica connects; the backlog
    /// lives on after it leaves, as Redis's).
    pub fn start_replicating(&mut self) {
        self.repl.create_backlog();
        if !self.log.replicas {
            self.log.replicas = true;
            if !self.log.on {
                self.log.selected = None;
            }
            for db in &mut self.dbs {
                db.persist.log_deletes = true;
            }
        }
    }

    /// Hands the stream bytes logged so far to the replicas (before the log's writer takes
    /// them).
    pub fn feed_replicas(&mut self) {
        if self.log.replicas && !self.repl.proxy {
            self.repl.feed(&self.log.buf);
            self.repl.send_ack_requests();
        }
    }

    /// After a command's handler ran in database `db`: logs the deletions it caused, then the
    /// command (see [`Propagation::end_command`]).
    #[inline]
    pub fn end_command(&mut self, db: usize, args: &[&[u8]], outer: Option<Outer>) {
        if self.log.on {
            self.log_deletions();
        }
        self.log.end_command(db, args, outer);
    }
}
