//! Eviction under `maxmemory`, as Redis 7.0 does it: the eight policies, the 24-bit LRU clock
//! and the logarithmic LFU counter kept in each entry's `accessed` field, and the eviction
//! pool that approximates LRU, LFU and TTL order by sampling `maxmemory-samples` keys per
//! database.

use std::sync::atomic::Ordering;

use crate::commands::{self, Command};
use crate::compact::CompactBytes;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::db::{Db, Entry, Millis};
use crate::error::Error;
use crate::rng::Rng;

/// Most keys evicted before one command; past that the command runs anyway and the server's
/// tick carries on (Redis bounds this step by time, 500 µs by default).
const EVICTIONS_PER_COMMAND: usize = 128;

/// What refuses a command that may grow memory while it is over the limit.
const OOM: Error = Error::Static("OOM command not allowed when used memory > 'maxmemory'.");

/// What still runs inside MULTI while memory is over the limit (anything else might queue
/// without bound).
const ALLOWED_IN_MULTI_WHEN_FULL: &[&str] = &["exec", "discard", "quit", "reset"];

/// Redis's `processCommand` step for `maxmemory`: evicts by the policy, then refuses
/// `command` if memory is still over the limit and the command may grow it: it has the
/// `denyoom` flag, or is queued inside MULTI, or is an EXEC of a transaction holding such a
/// command. Without a limit it costs one atomic load.
#[inline]
pub(crate) fn admit(ctx: &mut Ctx<'_, '_>, command: &Command, top_name: &str) -> Result<(), Error> {
    if ctx.server.maxmemory.load(Ordering::Relaxed) == 0 {
        return Ok(());
    }
    let now = ctx.now;
    if ctx.keyspace().evict(now, EVICTIONS_PER_COMMAND) != Outcome::Failed {
        return Ok(());
    }
    let grows = command.flags.contains(&"denyoom")
        || match &ctx.conn.multi {
            Some(_) if !ALLOWED_IN_MULTI_WHEN_FULL.contains(&top_name) => true,
            Some(_) if top_name == "exec" => commands::queued_with_flag(ctx, "denyoom"),
            _ => false,
        };
    if !grows {
        return Ok(());
    }
    if top_name == "exec" {
        return Err(commands::abort_exec(ctx, &OOM));
    }
    Err(OOM)
}

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

impl Default for EvictionSettings {
    fn default() -> Self {
        EvictionSettings::from_config(&Config::default())
    }
}

impl EvictionSettings {
    /// Reads the settings from the configuration.
    pub fn from_config(config: &Config) -> EvictionSettings {
        EvictionSettings {
            maxmemory: config.get_int("maxmemory").max(0) as u64,
            policy: Policy::parse(config.get("maxmemory-policy").unwrap_or("")),
            samples: config.get_int("maxmemory-samples").max(1) as usize,
            lfu_log_factor: config
                .get_int("lfu-log-factor")
                .clamp(0, i64::from(u32::MAX)) as u32,
            lfu_decay_time: config
                .get_int("lfu-decay-time")
                .clamp(0, i64::from(u32::MAX)) as u32,
        }
    }
}

/// Redis's `LRU_CLOCK_MAX`: the LRU clock is 24 bits of Unix seconds.
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// Redis's `LFU_INIT_VAL`: the counter a new key starts with, so it is not evicted at once.
const LFU_INIT_VAL: u32 = 5;

/// Redis's `LRU_CLOCK()` at `now`.
fn lru_clock(now: Millis) -> u32 {
    ((now / 1000) & u64::from(LRU_CLOCK_MAX)) as u32
}

/// Redis's `estimateObjectIdleTime`: milliseconds since the LRU clock `field` was taken,
/// allowing for one wrap of the clock.
fn lru_idle_ms(field: u32, now: Millis) -> u64 {
    let clock = lru_clock(now);
    let field = field & LRU_CLOCK_MAX;
    let ticks = if clock >= field {
        clock - field
    } else {
        clock + (LRU_CLOCK_MAX - field)
    };
    u64::from(ticks) * 1000
}

/// Redis's `LFUGetTimeInMinutes`: 16 bits of Unix minutes.
fn lfu_minutes(now: Millis) -> u32 {
    ((now / 60_000) & 0xffff) as u32
}

/// Redis's `LFUDecrAndReturn`: the counter of the LFU field `field` (minutes << 8 | counter)
/// after one decrement per `decay_time` minutes since it was last updated.
fn lfu_counter(field: u32, now: Millis, decay_time: u32) -> u8 {
    let updated = field >> 8;
    let counter = field & 0xff;
    let minutes = lfu_minutes(now);
    let elapsed = if minutes >= updated {
        minutes - updated
    } else {
        0xffff - updated + minutes
    };
    let periods = elapsed.checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(periods) as u8
}

/// Redis's `LFULogIncr`: grows the counter with probability 1 / ((counter - 5) × factor + 1),
/// so it takes about a million hits to reach 255 with the default factor of 10.
fn lfu_log_incr(counter: u8, log_factor: u32, rng: &mut Rng) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let base = f64::from(u32::from(counter).saturating_sub(LFU_INIT_VAL));
    let p = 1.0 / (base * f64::from(log_factor) + 1.0);
    if draw < p {
        counter + 1
    } else {
        counter
    }
}

/// How a database records access in its entries' `accessed` field: Redis's LRU clock, or
/// (under an LFU policy) the minute of the last access and a logarithmic counter.
#[derive(Debug, Clone)]
pub struct AccessClock {
    lfu: Option<(u32, u32)>,
    rng: Rng,
}

impl Default for AccessClock {
    fn default() -> Self {
        AccessClock {
            lfu: None,
            rng: Rng::new(0x1f0_c0de),
        }
    }
}

impl AccessClock {
    /// Follows `settings`: LFU fields under an LFU policy, LRU clocks otherwise. Existing
    /// fields are not converted: as in Redis, they adjust as keys are accessed again.
    pub fn configure(&mut self, settings: &EvictionSettings) {
        self.lfu = settings
            .policy
            .is_lfu()
            .then_some((settings.lfu_log_factor, settings.lfu_decay_time));
    }

    /// The field of a key created at `now`.
    pub fn fresh(&self, now: Millis) -> u32 {
        match self.lfu {
            Some(_) => (lfu_minutes(now) << 8) | LFU_INIT_VAL,
            None => lru_clock(now),
        }
    }

    /// The field of a key accessed at `now`, whose field was `field`.
    pub fn touch(&mut self, field: u32, now: Millis) -> u32 {
        match self.lfu {
            Some((log_factor, decay_time)) => {
                let counter = lfu_counter(field, now, decay_time);
                (lfu_minutes(now) << 8)
                    | u32::from(lfu_log_incr(counter, log_factor, &mut self.rng))
            }
            None => lru_clock(now),
        }
    }

    /// OBJECT IDLETIME: seconds since the access recorded in `field`; `None` under an LFU
    /// policy, which does not track it.
    pub fn idle_seconds(&self, field: u32, now: Millis) -> Option<u64> {
        match self.lfu {
            Some(_) => None,
            None => Some(lru_idle_ms(field, now) / 1000),
        }
    }

    /// OBJECT FREQ: the decayed LFU counter in `field`; `None` unless an LFU policy is set.
    pub fn frequency(&self, field: u32, now: Millis) -> Option<u8> {
        self.lfu
            .map(|(_, decay_time)| lfu_counter(field, now, decay_time))
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
                // key, so that replaying the log does not bring it back.
                dbs[db].log_deletion(&key);
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
                let keys = if all_keys {
                    db.len()
                } else {
                    db.volatile_len()
                };
                if keys > 0 {
                    let (key, _) = db.key_at(rng.below(keys), !all_keys)?;
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
                let alive = dbs[best.db]
                    .peek(&best.key)
                    .is_some_and(|entry| all_keys || entry.expires_at().is_some());
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
        let whole = self.settings.samples >= keys;
        for sample in 0..self.settings.samples.min(keys) {
            let position = if whole { sample } else { rng.below(keys) };
            let Some((key, entry)) = db.key_at(position, with_deadline) else {
                return;
            };
            let idle = self.idle_score(entry, now);
            if self.pool.len() == POOL_SIZE && self.pool[0].idle >= idle {
                continue;
            }
            if self.pool.iter().any(|c| c.db == index && c.key == *key) {
                continue;
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
    }

    /// How good a candidate `entry` is: idle time (LRU), 255 minus its counter (LFU), or the
    /// nearness of its deadline (TTL).
    fn idle_score(&self, entry: &Entry, now: Millis) -> u64 {
        match self.settings.policy {
            Policy::AllKeysLfu | Policy::VolatileLfu => {
                255 - u64::from(lfu_counter(
                    entry.accessed,
                    now,
                    self.settings.lfu_decay_time,
                ))
            }
            Policy::VolatileTtl => u64::MAX - entry.expires_at().unwrap_or(u64::MAX),
            _ => lru_idle_ms(entry.accessed, now),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    #[test]
    fn lru_idle_time_survives_the_clock_wrapping() {
        let field = lru_clock(T0);
        assert_eq!(lru_idle_ms(field, T0 + 42_000), 42_000);
        let wrap_at = (u64::from(LRU_CLOCK_MAX) + 1) * 1000;
        let before_wrap = wrap_at - 3_000;
        assert_eq!(lru_idle_ms(lru_clock(before_wrap), wrap_at + 2_000), 4_000);
    }

    #[test]
    fn lfu_counter_starts_at_five_grows_logarithmically_and_decays_per_period() {
        let settings = EvictionSettings {
            policy: Policy::AllKeysLfu,
            ..EvictionSettings::default()
        };
        let mut clock = AccessClock::default();
        clock.configure(&settings);
        let mut field = clock.fresh(T0);
        assert_eq!(clock.frequency(field, T0), Some(5));
        // At the initial value every hit counts.
        field = clock.touch(field, T0);
        assert_eq!(clock.frequency(field, T0), Some(6));
        for _ in 0..999 {
            field = clock.touch(field, T0);
        }
        let counter = clock.frequency(field, T0).expect("lfu");
        // redis.conf's table for factor 10: 1000 hits give 18, not the 255 a count would.
        assert!((14..=22).contains(&counter), "counter {counter}");
        // lfu-decay-time 1: one less per minute, never below zero.
        assert_eq!(clock.frequency(field, T0 + 3 * 60_000), Some(counter - 3));
        assert_eq!(clock.frequency(field, T0 + 600 * 60_000), Some(0));
        assert_eq!(clock.idle_seconds(field, T0), None);
    }

    #[test]
    fn lfu_counter_never_decays_with_decay_time_zero() {
        let field = (lfu_minutes(T0) << 8) | 9;
        assert_eq!(lfu_counter(field, T0 + 3_600_000, 0), 9);
        assert_eq!(lfu_counter(field, T0 + 3_600_000, 1), 0);
    }

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
                crate::Value::string(b"v"),
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
