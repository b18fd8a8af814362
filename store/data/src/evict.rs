//! Eviction under `maxmemory`, as Redis 7.0 does it: the eight policies, and the eviction
//! pool that approximates LRU, LFU and TTL order by sampling `maxmemory-samples` keys per
//! database (each key's access record is kept as `access.rs` describes).

use crate::access::{lfu_counter, lru_idle_ms, Lfu};
use crate::compact::CompactBytes;
use crate::db::Db;
use crate::entry::Entry;
use crate::rng::Rng;
use crate::time::Millis;

/// `maxmemory-policy`: what to remove when memory is over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Remove nothing; refuse commands that may grow memory.
    NoEviction,
    /// Least recently used of all keys.
    AllKeysLru,
    /// Least frequently used of all keys.
    AllKeysLfu,
    /// Any key.
    AllKeysRandom,
    /// Least recently used of the keys with a deadline.
    VolatileLru,
    /// Least frequently used of the keys with a deadline.
    VolatileLfu,
    /// Any key with a deadline.
    VolatileRandom,
    /// The key with the nearest deadline.
    VolatileTtl,
}

impl Policy {
    /// The policy named by a `maxmemory-policy` value; `noeviction` for anything else.
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// True if entries keep an LFU counter rather than an LRU clock.
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    fn all_keys(self) -> bool {
        matches!(
            self,
            Policy::AllKeysLru | Policy::AllKeysLfu | Policy::AllKeysRandom
        )
    }

    fn is_random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

/// The eviction settings, copied from the configuration when it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvictionSettings {
    /// `maxmemory` in bytes; 0 for no limit.
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub policy: Policy,
    /// `maxmemory-samples`: keys sampled per database to refill the pool.
    pub samples: usize,
    /// `lfu-log-factor`: how many hits it takes to grow the LFU counter.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`: minutes for the LFU counter to lose one (0: never).
    pub lfu_decay_time: u32,
}

impl EvictionSettings {
    /// How entries count accesses under these settings: `None` (LRU clocks) unless the
    /// policy is an LFU one.
    pub fn lfu(&self) -> Option<Lfu> {
        self.policy.is_lfu().then_some(Lfu {
            log_factor: self.lfu_log_factor,
            decay_time: self.lfu_decay_time,
        })
    }
}

impl Default for EvictionSettings {
    /// Redis's defaults: no limit, `noeviction`, 5 samples, LFU log factor 10, decay 1 minute.
    fn default() -> Self {
        EvictionSettings {
            maxmemory: 0,
            policy: Policy::NoEviction,
            samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
        }
    }
}

/// Redis's `EVPOOL_SIZE`.
const POOL_SIZE: usize = 16;

/// A candidate for eviction: the higher `idle`, the better.
#[derive(Debug, Clone)]
struct Candidate {
    idle: u64,
    db: usize,
    key: CompactBytes,
}

/// What one round of eviction achieved (Redis's `EVICT_OK`, `EVICT_RUNNING`, `EVICT_FAIL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Memory is within the limit (or there is none).
    Within,
    /// Still over the limit after this round's share of work; later rounds continue, and
    /// commands are not refused meanwhile.
    Running,
    /// Over the limit with nothing left to remove (or the policy is `noeviction`).
    Failed,
}

/// The eviction state a keyspace keeps: settings, Redis's eviction pool, and counters.
#[derive(Debug, Default)]
pub struct Eviction {
    /// The settings in force.
    pub settings: EvictionSettings,
    /// Best candidates seen so far, worst first (kept between rounds, as in Redis).
    pool: Vec<Candidate>,
    /// Where the random policies look next, so every database gives up keys in turn.
    next_db: usize,
    /// Keys evicted so far (INFO's evicted_keys).
    pub evicted: u64,
}

impl Eviction {
    /// Removes keys by the policy until memory is within the limit, at most `budget` of
    /// them. `used` gives the memory in use; it must drop as keys are removed.
    pub fn run(
        &mut self,
        dbs: &mut [Db],
        rng: &mut Rng,
        now: Millis,
        budget: usize,
        used: impl Fn(&mut [Db]) -> usize,
    ) -> Outcome {
        let limit = self.settings.maxmemory;
        if limit == 0 || used(dbs) as u64 <= limit {
            return Outcome::Within;
        }
        if self.settings.policy == Policy::NoEviction {
            return Outcome::Failed;
        }
        for _ in 0..budget {
            let Some((db, key)) = self.pick(dbs, rng, now) else {
                return Outcome::Failed;
            };
            if dbs[db].remove(&key).is_some() {
                // Every eviction passes here, once: the append-only log gets a DEL for the
                // key, so that replaying the log does not bring it back, and notifications
                // an `evicted` event.
                dbs[db].evicted(&key);
                self.evicted += 1;
            }
            if used(dbs) as u64 <= limit {
                return Outcome::Within;
            }
        }
        Outcome::Running
    }

    /// The next key to evict, by the policy; `None` when there is none.
    fn pick(&mut self, dbs: &[Db], rng: &mut Rng, now: Millis) -> Option<(usize, CompactBytes)> {
        let policy = self.settings.policy;
        let all_keys = policy.all_keys();
        if policy.is_random() {
            for _ in 0..dbs.len() {
                self.next_db = (self.next_db + 1) % dbs.len();
                let db = &dbs[self.next_db];
                if let Some((key, _, _)) = db.sample(rng, !all_keys) {
                    return Some((self.next_db, key.clone()));
                }
            }
            return None;
        }
        loop {
            let mut total = 0;
            for (index, db) in dbs.iter().enumerate() {
                let keys = if all_keys {
                    db.len()
                } else {
                    db.volatile_len()
                };
                if keys > 0 {
                    self.populate(index, db, rng, now);
                    total += keys;
                }
            }
            if total == 0 {
                return None;
            }
            // Best first; a candidate whose key went away since it was sampled is a ghost.
            while let Some(best) = self.pool.pop() {
                let db = &dbs[best.db];
                let alive =
                    db.peek(&best.key).is_some() && (all_keys || db.deadline(&best.key).is_some());
                if alive {
                    return Some((best.db, best.key));
                }
            }
        }
    }

    /// Redis's `evictionPoolPopulate`: samples keys of `db` and keeps the best of them in the
    /// pool, which holds the [`POOL_SIZE`] best candidates seen, worst first. Like Redis's
    /// `dictGetSomeKeys`, a sample as large as the database takes every key.
    fn populate(&mut self, index: usize, db: &Db, rng: &mut Rng, now: Millis) {
        let with_deadline = !self.settings.policy.all_keys();
        let keys = if with_deadline {
            db.volatile_len()
        } else {
            db.len()
        };
        if self.settings.samples >= keys {
            let positions = if with_deadline { keys } else { db.positions() };
            for position in 0..positions {
                if let Some((key, entry, deadline)) = db.key_at(position, with_deadline) {
                    self.consider(index, key, entry, deadline, now);
                }
            }
        } else {
            for _ in 0..self.settings.samples {
                if let Some((key, entry, deadline)) = db.sample(rng, with_deadline) {
                    self.consider(index, key, entry, deadline, now);
                }
            }
        }
    }

    /// Puts `key` of database `index` in the pool if it is among the best candidates seen.
    fn consider(
        &mut self,
        index: usize,
        key: &CompactBytes,
        entry: &Entry,
        deadline: Option<Millis>,
        now: Millis,
    ) {
        let idle = self.idle_score(entry, deadline, now);
        if self.pool.len() == POOL_SIZE && self.pool[0].idle >= idle {
            return;
        }
        if self.pool.iter().any(|c| c.db == index && c.key == *key) {
            return;
        }
        let at = self.pool.partition_point(|c| c.idle < idle);
        self.pool.insert(
            at,
            Candidate {
                idle,
                db: index,
                key: key.clone(),
            },
        );
        if self.pool.len() > POOL_SIZE {
            self.pool.remove(0);
        }
    }

    /// How good a candidate `entry` is: idle time (LRU), 255 minus its counter (LFU), or the
    /// nearness of its deadline (TTL).
    fn idle_score(&self, entry: &Entry, deadline: Option<Millis>, now: Millis) -> u64 {
        match self.settings.policy {
            Policy::AllKeysLfu | Policy::VolatileLfu => {
                255 - u64::from(lfu_counter(
                    entry.accessed,
                    now,
                    self.settings.lfu_decay_time,
                ))
            }
            Policy::VolatileTtl => u64::MAX - deadline.unwrap_or(u64::MAX),
            _ => lru_idle_ms(entry.accessed, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    #[test]
    fn pool_keeps_the_best_candidates_worst_first() {
        let mut eviction = Eviction {
            settings: EvictionSettings {
                policy: Policy::VolatileTtl,
                samples: 64,
                ..EvictionSettings::default()
            },
            ..Eviction::default()
        };
        let mut db = Db::default();
        for i in 0..100u64 {
            db.insert(
                format!("k{i}").as_bytes(),
                crate::value::Value::string(b"v"),
                T0 + 1000 * (i + 1),
                T0,
            );
        }
        let mut rng = Rng::new(3);
        for _ in 0..20 {
            eviction.populate(0, &db, &mut rng, T0);
        }
        assert_eq!(eviction.pool.len(), POOL_SIZE);
        assert!(eviction.pool.windows(2).all(|w| w[0].idle <= w[1].idle));
        // 1280 samples of 100 keys: the nearest deadline was certainly seen.
        assert_eq!(&eviction.pool.last().expect("full").key[..], b"k0");
    }
}
