//! One numbered database: its keys, their deadlines, lazy and active expiry.

use std::collections::{HashMap, VecDeque};

use foldhash::fast::RandomState;

use crate::access::{AccessClock, Lfu};
use crate::compact::CompactBytes;
use crate::entry::{entry_heap, Entry};
use crate::key_events::{KeyEvent, KeyEvents};
use crate::keys::{expired, Keys};
use crate::rng::Rng;
use crate::snapshot::DbPersist;
use crate::time::Millis;
use crate::value::Value;

/// One database.
///
/// Keys live in a table whose entries keep their positions (`keys.rs`, `table.rs`): a
/// removal leaves a hole for the next key instead of moving another key into it. That gives
/// O(1) random picks (RANDOMKEY, expiry and eviction sampling) and a SCAN that walks
/// positions from the end and returns each key present for the whole scan exactly once.
#[derive(Debug, Default)]
pub struct Db {
    keys: Keys,
    /// Keys removed because their deadline passed.
    pub expired: u64,
    /// Reads that found their key (INFO's keyspace_hits).
    pub hits: u64,
    /// Reads that did not (keyspace_misses).
    pub misses: u64,
    /// Keys some connection WATCHes: their change counters, bumped by every write.
    watched: HashMap<CompactBytes, Watched, RandomState>,
    /// Keys some connection is blocked on, each with its waiting client ids in arrival order.
    blocked: HashMap<CompactBytes, VecDeque<u64>, RandomState>,
    /// Blocked-on keys written since blocked clients were last served.
    ready: Vec<CompactBytes>,
    /// Heap bytes owned by the keys and values (`entry_heap`), kept up to date.
    heap: usize,
    /// The entry `get_mut` last handed out (its position, and the heap it was charged for):
    /// its value may have changed size since, so the next `&mut self` call that moves or
    /// measures entries charges it again first.
    resized: Option<(usize, usize)>,
    /// How accesses are recorded in entries (LRU clock or LFU counter).
    access: AccessClock,
    /// Persistence: deletions for the log, and the progress of a running snapshot, whose
    /// hooks run before every change (see `snapshot/walk.rs`).
    pub persist: DbPersist,
    /// Keys created, expired, evicted or missed by reads, for keyspace notifications (only
    /// the kinds asked for: none by default).
    pub events: KeyEvents,
    /// What was written since it was last taken, for client-side caching: each key as it is
    /// signalled (Redis's `signalModifiedKey`), `None` for the whole database emptied.
    /// Nothing is recorded (`None`) while no client tracks keys.
    modified: Option<Vec<Option<CompactBytes>>>,
    /// Until when (inclusive) expired keys stay: read as missing, but neither removed
    /// lazily nor actively (while clients are paused the data must not change).
    expiry_held_until: Option<Millis>,
}

#[derive(Debug, Default)]
struct Watched {
    version: u64,
    watchers: usize,
}

/// Samples per active-expiry round; as in Redis, another round follows while more than 10%
/// of a sample had expired (beyond that, lazy expiry cleans up more cheaply).
const SAMPLES_PER_ROUND: usize = 20;
const ACCEPTABLE_STALE_PERCENT: usize = 10;

impl Db {
    /// Number of keys, including expired ones not yet removed.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of positions in the key table, holes included: what [`key_at`] samples.
    ///
    /// [`key_at`]: Db::key_at
    pub fn positions(&self) -> usize {
        self.keys.positions()
    }

    /// Number of keys with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.keys.volatile_len()
    }

    /// Bytes of the list of keys with a deadline (MEMORY STATS' `overhead.hashtable.expires`).
    pub fn volatile_overhead(&self) -> usize {
        self.keys.deadlines_bytes()
    }

    /// Every write to `key` ends here: WATCHes of it are invalidated, and clients blocked on
    /// it get a chance to be served. Handlers never call this themselves: `insert`,
    /// `get_mut`, `remove`, `set_expiry` and `clear` do, and `signal_modified` after an
    /// unwatched change.
    fn touched(&mut self, key: &[u8]) {
        if let Some(modified) = &mut self.modified {
            modified.push(Some(CompactBytes::new(key)));
        }
        if !self.watched.is_empty() {
            if let Some(watch) = self.watched.get_mut(key) {
                watch.version += 1;
            }
        }
        self.wake_blocked(key);
    }

    /// Starts (or stops) recording the keys written, for client-side caching.
    pub fn record_modified(&mut self, on: bool) {
        match (on, &self.modified) {
            (true, None) => self.modified = Some(Vec::new()),
            (false, Some(_)) => self.modified = None,
            _ => {}
        }
    }

    /// The keys written since the last call, in order (`None` where the database was
    /// emptied), when recording (see [`record_modified`](Db::record_modified)).
    pub fn take_modified(&mut self) -> Vec<Option<CompactBytes>> {
        match &mut self.modified {
            Some(modified) if !modified.is_empty() => std::mem::take(modified),
            _ => Vec::new(),
        }
    }

    /// Queues `client` on `key`, after the clients already waiting there (once).
    pub fn add_blocked(&mut self, key: &[u8], client: u64) {
        let queue = self.blocked.entry(CompactBytes::new(key)).or_default();
        if !queue.contains(&client) {
            queue.push_back(client);
        }
    }

    /// Takes `client` out of `key`'s queue.
    pub fn remove_blocked(&mut self, key: &[u8], client: u64) {
        if let Some(queue) = self.blocked.get_mut(key) {
            queue.retain(|&id| id != client);
            if queue.is_empty() {
                self.blocked.remove(key);
            }
        }
    }

    /// The clients blocked on `key`, in the order they blocked.
    pub fn blocked_on(&self, key: &[u8]) -> Vec<u64> {
        self.blocked
            .get(key)
            .map_or_else(Vec::new, |queue| queue.iter().copied().collect())
    }

    /// True if a key some client is blocked on was written since [`take_ready`] last ran.
    ///
    /// [`take_ready`]: Db::take_ready
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The blocked-on keys written since the last call, in the order they were written
    /// (a key may appear more than once).
    pub fn take_ready(&mut self) -> std::vec::Drain<'_, CompactBytes> {
        self.ready.drain(..)
    }

    /// How accesses are recorded in this database's entries.
    pub fn access(&self) -> &AccessClock {
        &self.access
    }

    /// Counts accesses as `lfu` says, or keeps LRU clocks for `None` (see
    /// [`EvictionSettings::lfu`](crate::evict::EvictionSettings::lfu)).
    pub fn configure_access(&mut self, lfu: Option<Lfu>) {
        self.access.configure(lfu);
    }

    /// Starts watching `key`; returns its current change counter.
    pub fn watch(&mut self, key: &[u8]) -> u64 {
        let watch = self.watched.entry(CompactBytes::new(key)).or_default();
        watch.watchers += 1;
        watch.version
    }

    /// The change counter of a watched key.
    pub fn watch_version(&self, key: &[u8]) -> u64 {
        self.watched.get(key).map_or(0, |w| w.version)
    }

    /// Stops one watcher of `key`.
    pub fn unwatch(&mut self, key: &[u8]) {
        if let Some(watch) = self.watched.get_mut(key) {
            watch.watchers -= 1;
            if watch.watchers == 0 {
                self.watched.remove(key);
            }
        }
    }

    /// Keeps expired keys until `until` (inclusive; `None`: no longer): they read as
    /// missing, but stay, for lazy and active expiry alike.
    pub fn hold_expiry(&mut self, until: Option<Millis>) {
        self.expiry_held_until = until;
    }

    /// Whether expired keys stay at `now` (see [`hold_expiry`](Db::hold_expiry)).
    fn expiry_held(&self, now: Millis) -> bool {
        self.expiry_held_until.is_some_and(|until| now <= until)
    }

    /// Removes `key` if its deadline has passed (unless expiry is held); true if it has
    /// passed.
    fn expire_if_due(&mut self, key: &[u8], now: Millis) -> bool {
        let due = self
            .keys
            .get(key)
            .is_some_and(|entry| self.keys.expired(entry, now));
        if due {
            self.remove_expired(key, now);
        }
        due
    }

    /// Removes `key`, whose deadline has passed, and counts it; unless expiry is held.
    /// Returns whether it was removed.
    fn remove_expired(&mut self, key: &[u8], now: Millis) -> bool {
        if self.expiry_held(now) {
            return false;
        }
        self.remove(key);
        self.persist.deleted(key);
        self.events.record(KeyEvent::Expired, key);
        self.expired += 1;
        true
    }

    /// The position of `key`'s live entry, removing it first if it has expired. One hash
    /// lookup on the common path: every command goes through here.
    #[inline]
    fn live_index(&mut self, key: &[u8], now: Millis) -> Option<usize> {
        let position = self.keys.find(key)?;
        let (_, entry) = self.keys.at(position)?;
        if self.keys.expired(entry, now) {
            self.remove_expired(key, now);
            return None;
        }
        Some(position)
    }

    /// The live entry for `key`, removing it first if it has expired.
    pub fn get(&mut self, key: &[u8], now: Millis) -> Option<&Entry> {
        let position = self.live_index(key, now)?;
        self.keys.at(position).map(|(_, entry)| entry)
    }

    /// The live entry for `key` for a read command: counts a hit or miss and marks the key as
    /// accessed now.
    pub fn read(&mut self, key: &[u8], now: Millis) -> Option<&Entry> {
        let Some(position) = self.live_index(key, now) else {
            self.misses += 1;
            self.events.record(KeyEvent::Miss, key);
            return None;
        };
        self.hits += 1;
        let (_, entry) = self.keys.at_mut(position)?;
        entry.accessed = self.access.touch(entry.accessed, now);
        Some(entry)
    }

    /// Like [`read`](Db::read), but leaves the key's access time alone: what Redis's
    /// `LOOKUP_NOTOUCH` readers (EXISTS, TYPE, TTL and friends, OBJECT) do.
    pub fn read_untouched(&mut self, key: &[u8], now: Millis) -> Option<&Entry> {
        let Some(position) = self.live_index(key, now) else {
            self.misses += 1;
            self.events.record(KeyEvent::Miss, key);
            return None;
        };
        self.hits += 1;
        self.keys.at(position).map(|(_, entry)| entry)
    }

    /// Like [`read_untouched`](Db::read_untouched), but a miss is not recorded as a key
    /// event: Redis's OBJECT looks keys up with `LOOKUP_NONOTIFY`.
    pub fn read_untouched_unreported(&mut self, key: &[u8], now: Millis) -> Option<&Entry> {
        let Some(position) = self.live_index(key, now) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        self.keys.at(position).map(|(_, entry)| entry)
    }

    /// The live entry for `key`, for changing its value in place. Counts as a write (WATCH,
    /// blocked clients), so look the key up with `get` first when the change may not happen.
    pub fn get_mut(&mut self, key: &[u8], now: Millis) -> Option<&mut Entry> {
        self.get_mut_signalling(key, now, true)
    }

    /// [`get_mut`](Db::get_mut) for a change that WATCH and blocked clients do not see, as
    /// Redis does not signal it: a stream's consumer groups reading, acknowledging and
    /// claiming. Background saves still see it.
    pub fn get_mut_unwatched(&mut self, key: &[u8], now: Millis) -> Option<&mut Entry> {
        self.get_mut_signalling(key, now, false)
    }

    /// Counts a change made through [`get_mut_unwatched`](Db::get_mut_unwatched) as a write
    /// after all, for WATCH and blocked clients (XTRIM, once it knows it removed something).
    pub fn signal_modified(&mut self, key: &[u8]) {
        self.touched(key);
    }

    /// Wakes the clients blocked on `key` without counting a write for WATCH (XGROUP
    /// DESTROY: a group's readers must learn that it is gone).
    pub fn wake_blocked(&mut self, key: &[u8]) {
        if !self.blocked.is_empty() && self.blocked.contains_key(key) {
            self.ready.push(CompactBytes::new(key));
        }
    }

    fn get_mut_signalling(&mut self, key: &[u8], now: Millis, signal: bool) -> Option<&mut Entry> {
        let found = self.live_index(key, now);
        self.settle();
        self.persist.before_change(&self.keys, key);
        let position = found?;
        if signal {
            self.touched(key);
        }
        let (key, entry) = self.keys.at_mut(position)?;
        self.resized = Some((position, entry_heap(key, entry)));
        entry.accessed = self.access.touch(entry.accessed, now);
        Some(entry)
    }

    /// A read-modify-write of `key`'s value with one lookup: `change` sees the live entry (or
    /// `None`) and returns the new value, `None` to leave the key alone, or an error (which
    /// changes nothing). A new value replaces the old one in place, keeping its deadline and
    /// access history, and counts as a write as [`get_mut`](Db::get_mut) does; a missing key
    /// is created without a deadline. Returns whether a value was written.
    pub fn update<E>(
        &mut self,
        key: &[u8],
        now: Millis,
        change: impl FnOnce(Option<&Entry>) -> Result<Option<Value>, E>,
    ) -> Result<bool, E> {
        let found = self.live_index(key, now);
        let entry = found.and_then(|position| self.keys.at(position).map(|(_, entry)| entry));
        let Some(value) = change(entry)? else {
            return Ok(false);
        };
        let Some(position) = found else {
            self.insert(key, value, 0, now);
            return Ok(true);
        };
        self.before_write(key);
        self.replace_value(position, value, now);
        Ok(true)
    }

    /// What every write of an existing or new `key` does first: charges the entry `get_mut`
    /// handed out, lets a running snapshot write the key as it was, and counts as a write of
    /// it (WATCH, blocked clients).
    fn before_write(&mut self, key: &[u8]) {
        self.settle();
        self.persist.before_change(&self.keys, key);
        self.touched(key);
    }

    /// Puts `value` in place of the value of the key at `position`. An overwrite is an
    /// access of the key, and keeps its LFU history, as in Redis.
    fn replace_value(&mut self, position: usize, value: Value, now: Millis) {
        if let Some((stored_key, entry)) = self.keys.at_mut(position) {
            let freed = entry_heap(stored_key, entry);
            entry.accessed = self.access.touch(entry.accessed, now);
            entry.value = value;
            self.heap = (self.heap + entry_heap(stored_key, entry)).saturating_sub(freed);
        }
    }

    /// Charges the entry `get_mut` handed out for its current size.
    fn settle(&mut self) {
        if let Some((position, charged)) = self.resized.take() {
            if let Some((key, entry)) = self.keys.at(position) {
                self.heap = (self.heap + entry_heap(key, entry)).saturating_sub(charged);
            }
        }
    }

    /// Bytes used by this database: its tables, keys and values.
    pub fn used_memory(&mut self) -> usize {
        self.keys.table_bytes() + self.volatile_overhead() + self.heap()
    }

    /// Heap bytes owned by the keys and values.
    pub fn heap(&mut self) -> usize {
        self.settle();
        self.heap
    }

    /// The entry for `key`, expired or not, without counting a read or touching it.
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.keys.get(key)
    }

    /// When `key` (expired or not) expires: `None` for no such key or no deadline. Look the
    /// key up with `get` or `read` first for lazy expiry.
    pub fn deadline(&self, key: &[u8]) -> Option<Millis> {
        self.keys.deadline(self.keys.get(key)?)
    }

    /// The key (expired or not), entry and deadline at `index` among the key table's
    /// positions (`index < positions()`, `None` for a hole), or among the keys with a
    /// deadline (`index < volatile_len()`): what eviction samples.
    pub fn key_at(
        &self,
        index: usize,
        with_deadline: bool,
    ) -> Option<(&CompactBytes, &Entry, Option<Millis>)> {
        if with_deadline {
            let (position, deadline) = self.keys.volatile_at(index)?;
            let (key, entry) = self.keys.at(position)?;
            Some((key, entry, Some(deadline)))
        } else {
            let (key, entry) = self.keys.at(index)?;
            Some((key, entry, self.keys.deadline(entry)))
        }
    }

    /// A random key (expired or not) with its entry and deadline, among every key or among
    /// the keys with a deadline: what eviction samples.
    pub fn sample(
        &self,
        rng: &mut Rng,
        with_deadline: bool,
    ) -> Option<(&CompactBytes, &Entry, Option<Millis>)> {
        let index = if with_deadline {
            match self.keys.volatile_len() {
                0 => return None,
                len => rng.below(len),
            }
        } else {
            self.keys.random(rng)?
        };
        self.key_at(index, with_deadline)
    }

    /// Persistence's view of the database: its state, and the key table itself.
    pub fn persist_parts(&mut self) -> (&mut DbPersist, &Keys) {
        (&mut self.persist, &self.keys)
    }

    /// Records, for the append-only log, that `key` was removed by something other than a
    /// command (eviction): the log gets a DEL for it. Call after removing it.
    pub fn log_deletion(&mut self, key: &[u8]) {
        self.persist.deleted(key);
    }

    /// Records that eviction removed `key` (call after removing it): the log gets a DEL for
    /// it, and an `evicted` event is recorded if wanted.
    pub fn evicted(&mut self, key: &[u8]) {
        self.persist.deleted(key);
        self.events.record(KeyEvent::Evicted, key);
    }

    /// True if `key` exists and has not expired.
    pub fn contains(&mut self, key: &[u8], now: Millis) -> bool {
        self.get(key, now).is_some()
    }

    /// Marks `key` as read now (for OBJECT IDLETIME).
    pub fn touch(&mut self, key: &[u8], now: Millis) {
        if let Some(entry) = self.keys.get_mut(key) {
            entry.accessed = self.access.touch(entry.accessed, now);
        }
    }

    /// Stores `value` under `key`, replacing any old value. The deadline is `expires_at` (0 for
    /// none): a plain SET clears an old TTL, so callers that keep it pass the old deadline.
    pub fn insert(&mut self, key: &[u8], value: Value, expires_at: Millis, now: Millis) {
        let mut found = self.keys.find(key);
        // An old value whose deadline passed expires first (counted, logged, reported), as
        // Redis's write lookup expires it before the key is added anew.
        if let Some(position) = found {
            let expired = self
                .keys
                .at(position)
                .is_some_and(|(_, entry)| self.keys.expired(entry, now));
            if expired && self.remove_expired(key, now) {
                found = None;
            }
        }
        self.before_write(key);
        match found {
            Some(position) => {
                self.replace_value(position, value, now);
                self.keys.set_deadline(position, expires_at);
            }
            None => {
                self.events.record(KeyEvent::New, key);
                let stored_key = CompactBytes::new(key);
                let entry = Entry::new(value, self.access.fresh(now));
                self.heap += entry_heap(&stored_key, &entry);
                // While a snapshot walks the table, new keys go after the positions it has
                // yet to write.
                let fill_holes = self.persist.snapshot.is_none();
                self.keys
                    .insert_new(stored_key, entry, expires_at, fill_holes);
            }
        }
    }

    /// Removes `key`, returning its entry (expired or not).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        self.take(key).map(|(entry, _)| entry)
    }

    /// Removes `key`, returning its entry (expired or not) and its deadline (0 for none).
    pub fn take(&mut self, key: &[u8]) -> Option<(Entry, Millis)> {
        self.settle();
        self.persist.before_remove(&self.keys, key);
        let position = self.keys.find(key)?;
        let (stored_key, entry, deadline) = self.keys.remove_at(position)?;
        self.heap = self.heap.saturating_sub(entry_heap(&stored_key, &entry));
        self.touched(key);
        // Compaction moves keys, which a running snapshot's walk cannot follow: it waits.
        if self.persist.snapshot.is_none() && self.keys.wants_compaction() {
            self.keys.compact();
        }
        Some((entry, deadline))
    }

    /// Sets or clears (0) the deadline of an existing key; false if there is no such key.
    pub fn set_expiry(&mut self, key: &[u8], expires_at: Millis) -> bool {
        let Some(position) = self.keys.find(key) else {
            return false;
        };
        self.before_write(key);
        self.keys.set_deadline(position, expires_at);
        true
    }

    /// Removes every key. Watched keys that existed are touched, and clients blocked on a key
    /// that existed learn it is gone (XREADGROUP answers so), as Redis signals them.
    pub fn clear(&mut self) {
        if let Some(modified) = &mut self.modified {
            modified.push(None);
        }
        let existing: Vec<CompactBytes> = self
            .watched
            .keys()
            .chain(self.blocked.keys())
            .filter(|k| self.keys.find(k).is_some())
            .cloned()
            .collect();
        for key in existing {
            self.touched(&key);
        }
        self.persist.before_clear(&mut self.keys);
        self.keys = Keys::default();
        self.heap = 0;
        self.resized = None;
    }

    /// SWAPDB: exchanges keys with `other`, and with them a running snapshot's progress
    /// through them (it goes on writing each table under the number it had at the snapshot's
    /// moment). WATCHes, blocked clients and statistics stay with the database number. As in
    /// Redis, a watched key present on either side is touched (unless it was missing and only
    /// an expired one replaces it), and the keys clients are blocked on that now exist are
    /// ready to serve them.
    pub fn swap_contents(&mut self, other: &mut Db, now: Millis) {
        self.touch_watched_present_in(other, now);
        other.touch_watched_present_in(self, now);
        self.settle();
        other.settle();
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.heap, &mut other.heap);
        std::mem::swap(&mut self.persist.snapshot, &mut other.persist.snapshot);
        self.ready_blocked_keys();
        other.ready_blocked_keys();
    }

    /// Touches the watched keys present here, or alive in `other` (which replaces this
    /// database's keys): a missing key replaced with one whose deadline passed is no change.
    fn touch_watched_present_in(&mut self, other: &Db, now: Millis) {
        let alive_in_other = |key: &[u8]| {
            other
                .keys
                .get(key)
                .is_some_and(|entry| !other.keys.expired(entry, now))
        };
        let keys = &self.keys;
        for (key, watch) in self.watched.iter_mut() {
            if keys.find(key).is_some() || alive_in_other(key) {
                watch.version += 1;
            }
        }
    }

    /// Marks every blocked-on key that exists as ready.
    fn ready_blocked_keys(&mut self) {
        let existing = self.blocked.keys().filter(|k| self.keys.find(k).is_some());
        self.ready.extend(existing.cloned());
    }

    /// Every live key, in no particular order.
    pub fn keys(&self, now: Millis) -> impl Iterator<Item = &CompactBytes> {
        self.keys
            .iter()
            .filter(move |(_, _, deadline)| !expired(*deadline, now))
            .map(|(key, _, _)| key)
    }

    /// A random live key, or `None` when there is none.
    pub fn random_key(&mut self, now: Millis, rng: &mut Rng) -> Option<CompactBytes> {
        // Expired keys are removed as they are drawn; give up on an all-expired database
        // after a bounded number of tries, as Redis does.
        for _ in 0..100 {
            let position = self.keys.random(rng)?;
            let (key, entry) = self.keys.at(position)?;
            if !self.keys.expired(entry, now) {
                return Some(key.clone());
            }
            let key = key.clone();
            self.expire_if_due(&key, now);
        }
        let position = self.keys.random(rng)?;
        self.keys.at(position).map(|(key, _)| key.clone())
    }

    /// One SCAN step: visits up to `count` positions from `cursor` towards the start, calling
    /// `visit` for each live key and removing the expired ones it meets, and returns the next
    /// cursor (0 when done).
    ///
    /// Cursor 0 starts at the end of the table; a cursor is the number of positions not yet
    /// visited, so one beyond the table simply starts at its end.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        now: Millis,
        mut visit: impl FnMut(&CompactBytes, &Entry),
    ) -> u64 {
        let mut expired_keys = Vec::new();
        let next = self.keys.scan(cursor, count, |key, entry, deadline| {
            if !expired(deadline, now) {
                visit(key, entry);
            } else {
                expired_keys.push(key.clone());
            }
        });
        // The expired keys the walk met are removed, as Redis's SCAN expires them.
        for key in expired_keys {
            self.remove_expired(&key, now);
        }
        next
    }

    /// One bounded active-expiry pass: samples keys with deadlines and removes the expired
    /// ones, repeating while a good share of a sample was expired, for at most `max_rounds`
    /// rounds. Nothing while expired keys are held (clients paused).
    pub fn active_expire(&mut self, now: Millis, rng: &mut Rng, max_rounds: usize) -> ExpirePass {
        let mut pass = ExpirePass::default();
        if self.expiry_held(now) {
            return pass;
        }
        for _ in 0..max_rounds {
            if self.keys.volatile_len() == 0 {
                return pass;
            }
            let mut expired_in_round = 0;
            let sampled = SAMPLES_PER_ROUND.min(self.keys.volatile_len());
            for _ in 0..sampled {
                let index = rng.below(self.keys.volatile_len());
                let Some((position, deadline)) = self.keys.volatile_at(index) else {
                    break;
                };
                if deadline > now {
                    continue;
                }
                let Some((key, _)) = self.keys.at(position) else {
                    break;
                };
                let key = key.clone();
                self.remove_expired(&key, now);
                expired_in_round += 1;
            }
            pass.removed += expired_in_round;
            if expired_in_round * 100 <= sampled * ACCEPTABLE_STALE_PERCENT {
                return pass;
            }
        }
        // Every round found too many expired keys to stop, but the bound stops it.
        pass.capped = max_rounds > 0;
        pass
    }
}

/// What one [`Db::active_expire`] pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpirePass {
    /// Keys removed.
    pub removed: usize,
    /// The pass stopped at its bound on rounds while its last round still found more expired
    /// keys than acceptable: there were more to remove (Redis's active expiry stopping at
    /// its time limit).
    pub capped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_expiry_removes_on_access() {
        let mut db = Db::default();
        db.insert(b"k", Value::string(b"v"), 1_000, 0);
        assert!(db.get(b"k", 999).is_some());
        assert!(db.get(b"k", 1_000).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.volatile_len(), 0);
        assert_eq!(db.expired, 1);
    }

    #[test]
    fn held_expiry_reads_expired_keys_as_missing_but_keeps_them() {
        let mut db = Db::default();
        let mut rng = Rng::new(1);
        db.insert(b"k", Value::string(b"v"), 1_000, 0);
        db.hold_expiry(Some(2_000));
        assert!(db.get(b"k", 1_500).is_none());
        assert_eq!(db.active_expire(1_500, &mut rng, 4).removed, 0);
        assert_eq!((db.len(), db.expired), (1, 0));
        // Past the hold, expiry goes on.
        assert!(db.get(b"k", 2_001).is_none());
        assert_eq!((db.len(), db.expired), (0, 1));
    }

    #[test]
    fn update_writes_in_place_keeps_the_deadline_and_changes_nothing_on_error() {
        let mut db = Db::default();
        db.insert(b"k", Value::string(b"1"), 5_000, 0);
        let version = db.watch(b"k");
        let refused: Result<bool, &str> = db.update(b"k", 10, |_| Err("no"));
        assert_eq!(refused, Err("no"));
        assert_eq!(db.watch_version(b"k"), version);
        let left: Result<bool, ()> = db.update(b"k", 10, |_| Ok(None));
        assert_eq!(left, Ok(false));
        let written: Result<bool, ()> = db.update(b"k", 10, |entry| {
            assert!(entry.is_some());
            Ok(Some(Value::string(b"2")))
        });
        assert_eq!(written, Ok(true));
        assert_ne!(db.watch_version(b"k"), version);
        assert_eq!(db.deadline(b"k"), Some(5_000));
        let Some(Value::String(value)) = db.get(b"k", 10).map(|e| &e.value) else {
            panic!("a string")
        };
        assert_eq!(&value.bytes[..], b"2");
        let created: Result<bool, ()> = db.update(b"new", 10, |entry| {
            assert!(entry.is_none());
            Ok(Some(Value::string(b"x")))
        });
        assert_eq!(created, Ok(true));
        assert_eq!(db.deadline(b"new"), None);
        assert_eq!(db.heap(), recount(&mut db));
        // An expired key is gone before `change` sees it.
        let expired: Result<bool, ()> = db.update(b"k", 5_000, |entry| {
            assert!(entry.is_none());
            Ok(None)
        });
        assert_eq!(expired, Ok(false));
        assert!(db.peek(b"k").is_none());
    }

    #[test]
    fn plain_insert_clears_deadline() {
        let mut db = Db::default();
        db.insert(b"k", Value::string(b"v"), 1_000, 0);
        db.insert(b"k", Value::string(b"w"), 0, 0);
        assert_eq!(db.volatile_len(), 0);
        assert!(db.get(b"k", 5_000).is_some());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn the_deadline_list_follows_every_change(
            ops in proptest::collection::vec((0u8..5, 0u8..30, proptest::bool::ANY), 1..200),
        ) {
            let mut db = Db::default();
            let mut rng = Rng::new(3);
            for (op, key, deadline) in ops {
                let key = [b'k', key];
                let at = if deadline { 1_000 } else { 0 };
                match op {
                    0 | 1 => db.insert(&key, Value::string(b"v"), at, 0),
                    2 => {
                        db.remove(&key);
                    }
                    3 => {
                        db.set_expiry(&key, at);
                    }
                    _ => {
                        db.active_expire(if deadline { 2_000 } else { 0 }, &mut rng, 2);
                    }
                }
                db.keys.assert_consistent();
            }
        }
    }

    #[test]
    fn active_expiry_removes_most_expired_keys_in_bounded_rounds() {
        let mut db = Db::default();
        let mut rng = Rng::new(7);
        for i in 0..1000u32 {
            let deadline = if i % 2 == 0 { 100 } else { 10_000 };
            db.insert(&i.to_be_bytes(), Value::string(b"v"), deadline, 0);
        }
        db.insert(b"persistent", Value::string(b"v"), 0, 0);
        let once = db.active_expire(200, &mut rng, 1);
        assert!(once.removed <= SAMPLES_PER_ROUND);
        // Half the keys expired: one round cannot be enough.
        assert!(once.capped);
        let mut total = once.removed;
        for _ in 0..200 {
            total += db.active_expire(200, &mut rng, 16).removed;
        }
        // Few expired keys remain: the last passes stop on their own.
        assert!(!db.active_expire(200, &mut rng, 16).capped);
        // Sampling stops once few samples are expired, so a few may remain for lazy expiry.
        assert!(total > 400, "removed {total}");
        assert!(db.get(b"persistent", 200).is_some());
        assert_eq!(db.len(), 1001 - total);
    }

    #[test]
    fn scan_returns_every_key_present_throughout_despite_removals() {
        let mut db = Db::default();
        for i in 0..500u32 {
            db.insert(format!("k{i}").as_bytes(), Value::string(b"v"), 0, 0);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = db.scan(cursor, 10, 0, |k, _| {
                seen.insert(k.to_vec());
            });
            // Remove keys both ahead of and behind the cursor, and add new ones.
            step += 1;
            db.remove(format!("k{}", step * 3).as_bytes());
            db.insert(format!("new{step}").as_bytes(), Value::string(b"v"), 0, 0);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500u32 {
            let removed = i % 3 == 0 && i / 3 >= 1 && i / 3 <= step;
            if !removed {
                assert!(seen.contains(format!("k{i}").as_bytes()), "k{i} missed");
            }
        }
    }

    fn recount(db: &mut Db) -> usize {
        let mut total = 0;
        db.scan(0, usize::MAX, 0, |key, entry| {
            total += entry_heap(key, entry)
        });
        total
    }

    #[test]
    fn database_heap_follows_every_kind_of_change() {
        use crate::types::list::End;
        let mut db = Db::default();
        let mut rng = crate::rng::Rng::new(11);
        for step in 0..3000u64 {
            let key = format!("key-{:0>30}", rng.below(40));
            let long = format!("{step:0>50}");
            match rng.below(7) {
                0 => db.insert(key.as_bytes(), Value::string(long.as_bytes()), 0, 0),
                1 => {
                    db.remove(key.as_bytes());
                }
                2 => {
                    db.set_expiry(key.as_bytes(), 1_000 + step);
                }
                3 => {
                    db.set_expiry(key.as_bytes(), 0);
                }
                4 => {
                    if db.get(key.as_bytes(), 0).is_none() {
                        db.insert(
                            key.as_bytes(),
                            Value::List(crate::types::list::List::default()),
                            0,
                            0,
                        );
                    }
                    if let Some(entry) = db.get_mut(key.as_bytes(), 0) {
                        if let Value::List(list) = &mut entry.value {
                            list.push(
                                long.as_bytes(),
                                End::Left,
                                &crate::types::EncodingLimits::default(),
                            );
                        }
                    }
                }
                5 => {
                    if let Some(entry) = db.get_mut(key.as_bytes(), 0) {
                        if let Value::List(list) = &mut entry.value {
                            list.pop(End::Right);
                        }
                    }
                }
                _ => {
                    if db.get(key.as_bytes(), 0).is_none() {
                        db.insert(
                            key.as_bytes(),
                            Value::Hash(crate::types::hash::Hash::default()),
                            0,
                            0,
                        );
                    }
                    if let Some(entry) = db.get_mut(key.as_bytes(), 0) {
                        if let Value::Hash(hash) = &mut entry.value {
                            hash.set(
                                long.as_bytes(),
                                long.as_bytes(),
                                &crate::types::EncodingLimits::REDIS_DEFAULTS,
                            );
                        }
                    }
                }
            }
            assert_eq!(db.heap(), recount(&mut db), "after step {step}");
        }
        db.clear();
        assert_eq!(db.heap(), 0);
    }

    #[test]
    fn a_deadline_costs_a_place_in_the_list_not_a_copy_of_the_key() {
        let key = CompactBytes::new(&[b'k'; 100]);
        let mut db = Db::default();
        db.insert(&key, Value::string(b"v"), 0, 0);
        let plain = db.used_memory();
        db.set_expiry(&key, 5_000);
        let volatile = db.used_memory();
        assert_eq!(volatile, plain + db.volatile_overhead());
        assert!(key.heap_size() >= 100);
    }
}
