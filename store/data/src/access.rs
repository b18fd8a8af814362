//! How a database records each key's accesses, as Redis 7.0 does in the 24-bit `lru` field of
//! its objects: the LRU clock of the last access, or under an LFU policy the minute of the
//! last access and a logarithmic access counter. Eviction (`evict.rs`) and OBJECT IDLETIME and
//! FREQ read it.

use crate::rng::Rng;
use crate::time::Millis;

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
pub(crate) fn lru_idle_ms(field: u32, now: Millis) -> u64 {
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
pub(crate) fn lfu_counter(field: u32, now: Millis, decay_time: u32) -> u8 {
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
    lfu: Option<Lfu>,
    rng: Rng,
}

/// How an LFU policy counts accesses (`lfu-log-factor`, `lfu-decay-time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lfu {
    /// How many hits it takes to grow the counter.
    pub log_factor: u32,
    /// Minutes for the counter to lose one (0: never).
    pub decay_time: u32,
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
    /// Keeps LFU fields counted as `lfu` says, or LRU clocks for `None`. Existing fields are
    /// not converted: as in Redis, they adjust as keys are accessed again.
    pub fn configure(&mut self, lfu: Option<Lfu>) {
        self.lfu = lfu;
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
            Some(lfu) => {
                let counter = lfu_counter(field, now, lfu.decay_time);
                (lfu_minutes(now) << 8)
                    | u32::from(lfu_log_incr(counter, lfu.log_factor, &mut self.rng))
            }
            None => lru_clock(now),
        }
    }

    /// The field of a key RESTOREd at `now` with IDLETIME `idle_seconds` or FREQ `frequency`
    /// (Redis's `objectSetLRUOrLFU`): under an LFU policy the frequency counts, else the idle
    /// time, each only if given; otherwise the key is fresh.
    pub fn restored(&self, now: Millis, idle_seconds: Option<u64>, frequency: Option<u8>) -> u32 {
        match (self.lfu, idle_seconds, frequency) {
            (Some(_), _, Some(frequency)) => (lfu_minutes(now) << 8) | u32::from(frequency),
            (None, Some(idle), _) => {
                // Redis wraps a negative clock by adding LRU_CLOCK_MAX (not 2^24), then keeps
                // the low 24 bits.
                let mut field = i64::from(lru_clock(now)).wrapping_sub(idle as i64);
                if field < 0 {
                    field = field.wrapping_add(i64::from(LRU_CLOCK_MAX));
                }
                (field as u32) & LRU_CLOCK_MAX
            }
            _ => self.fresh(now),
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
        self.lfu.map(|lfu| lfu_counter(field, now, lfu.decay_time))
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
        let mut clock = AccessClock::default();
        clock.configure(Some(Lfu {
            log_factor: 10,
            decay_time: 1,
        }));
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
}
