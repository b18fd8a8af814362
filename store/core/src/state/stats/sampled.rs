//! What the server's tick samples for INFO: instantaneous rates, `avg_ttl` and
//! `expired_stale_perc`, the memory peak, the time spent over `maxmemory`.

use radish_data::{Millis, Rng};

use crate::state::keyspace::Keyspace;

/// Samples of one counter, taken about every 100 ms, for an instantaneous rate (Redis's
/// `trackInstantaneousMetric`): the rate is the mean of the last 16 samples.
#[derive(Debug, Clone)]
struct InstantMetric {
    samples: [u64; INSTANT_SAMPLES],
    next: usize,
    last_time: Millis,
    last_count: u64,
}

/// Samples averaged for an instantaneous rate, as Redis's STATS_METRIC_SAMPLES.
const INSTANT_SAMPLES: usize = 16;

impl InstantMetric {
    fn new(now: Millis) -> InstantMetric {
        InstantMetric {
            samples: [0; INSTANT_SAMPLES],
            next: 0,
            last_time: now,
            last_count: 0,
        }
    }

    /// Takes a sample: the counter reads `count` at `now`.
    fn track(&mut self, now: Millis, count: u64) {
        let elapsed = now.saturating_sub(self.last_time);
        let delta = count.saturating_sub(self.last_count);
        self.samples[self.next] = (delta * 1000).checked_div(elapsed).unwrap_or(0);
        self.next = (self.next + 1) % INSTANT_SAMPLES;
        self.last_time = now;
        self.last_count = count;
    }

    /// The rate per second.
    fn per_second(&self) -> u64 {
        self.samples.iter().sum::<u64>() / INSTANT_SAMPLES as u64
    }
}

/// Redis samples instantaneous metrics every 100 ms.
const INSTANT_PERIOD_MS: u64 = 100;
/// Keys with a deadline each tick samples per database for `avg_ttl` and
/// `expired_stale_perc` (Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const EXPIRY_SAMPLES: usize = 20;

/// The totals the tick turns into instantaneous rates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    /// Commands run so far.
    pub(crate) commands: u64,
    /// Bytes read from clients.
    pub(crate) input: u64,
    /// Bytes written to clients.
    pub(crate) output: u64,
}

/// What a tick saw of keys with deadlines, before active expiry ran.
#[derive(Debug, Default)]
pub(crate) struct ExpirySample {
    /// Per database: the sum and number of remaining TTLs sampled, `None` when the database
    /// has no key with a deadline. (A sum of TTLs near the largest deadline overflows 64 bits.)
    ttls: Vec<Option<(u128, u64)>>,
    /// Keys sampled, and how many of them were past their deadline.
    sampled: u64,
    stale: u64,
}

impl ExpirySample {
    /// Samples up to [`EXPIRY_SAMPLES`] keys with a deadline in each database.
    pub(crate) fn take(keyspace: &mut Keyspace, now: Millis) -> ExpirySample {
        let mut rng = Rng::new(keyspace.rng.next_u64());
        let mut sample = ExpirySample::default();
        for db in keyspace.dbs() {
            let volatile = db.volatile_len();
            if volatile == 0 {
                sample.ttls.push(None);
                continue;
            }
            let (mut sum, mut count) = (0, 0);
            for _ in 0..EXPIRY_SAMPLES.min(volatile) {
                let deadline = db
                    .key_at(rng.below(volatile), true)
                    .and_then(|(_, _, deadline)| deadline);
                let Some(deadline) = deadline else {
                    continue;
                };
                sample.sampled += 1;
                if deadline > now {
                    sum += u128::from(deadline - now);
                    count += 1;
                } else {
                    sample.stale += 1;
                }
            }
            sample.ttls.push(Some((sum, count)));
        }
        sample
    }
}

/// What the server's tick keeps up to date for INFO.
#[derive(Debug, Clone)]
pub(crate) struct Sampled {
    ticks: u64,
    ops: InstantMetric,
    input: InstantMetric,
    output: InstantMetric,
    /// Per database, the estimated mean TTL of its keys with deadlines, in ms (Redis's
    /// running average: each tick's sample weighs 2%).
    avg_ttl: Vec<Millis>,
    /// The estimated share of keys with deadlines that are past them, 0..=1.
    pub(crate) stale_share: f64,
    /// Time spent in active expiry, in microseconds.
    pub(crate) expire_micros: u64,
    /// Active-expiry ticks that stopped at their bound with expired keys left (INFO's
    /// expired_time_cap_reached_count: radish bounds a pass in rounds where Redis bounds it
    /// in time).
    pub(crate) expire_capped: u64,
    /// Highest `used_memory` seen.
    pub(crate) peak_memory: u64,
    /// Since when memory has been over `maxmemory` (eviction could not catch up).
    eviction_exceeded_since: Option<Millis>,
    /// Time memory was over `maxmemory` before that, in ms.
    eviction_exceeded_total: Millis,
}

impl Sampled {
    /// Nothing sampled yet, at `now`.
    pub(crate) fn new(now: Millis) -> Sampled {
        Sampled {
            ticks: 0,
            ops: InstantMetric::new(now),
            input: InstantMetric::new(now),
            output: InstantMetric::new(now),
            avg_ttl: Vec::new(),
            stale_share: 0.0,
            expire_micros: 0,
            expire_capped: 0,
            peak_memory: 0,
            eviction_exceeded_since: None,
            eviction_exceeded_total: 0,
        }
    }

    /// CONFIG RESETSTAT: everything but the memory peak and `avg_ttl` (Redis's
    /// `resetServerStats` keeps those).
    pub(crate) fn reset(&mut self, now: Millis) {
        *self = Sampled {
            avg_ttl: std::mem::take(&mut self.avg_ttl),
            peak_memory: self.peak_memory,
            ..Sampled::new(now)
        };
    }

    /// One tick at `now`, `interval_ms` after the last: instantaneous rates from `totals`
    /// every [`INSTANT_PERIOD_MS`] (every tick when ticks are at least that far apart, as
    /// Redis's `run_with_period`), and the expiry estimates from `expiry`.
    pub(crate) fn tick(
        &mut self,
        now: Millis,
        interval_ms: u64,
        totals: Totals,
        expiry: &ExpirySample,
    ) {
        let every = (INSTANT_PERIOD_MS / interval_ms.max(1)).max(1);
        if self.ticks % every == 0 {
            self.ops.track(now, totals.commands);
            self.input.track(now, totals.input);
            self.output.track(now, totals.output);
        }
        self.ticks += 1;
        self.avg_ttl.resize(expiry.ttls.len(), 0);
        for (average, ttls) in self.avg_ttl.iter_mut().zip(&expiry.ttls) {
            match *ttls {
                None => *average = 0,
                Some((_, 0)) => {}
                Some((sum, count)) => {
                    // At most the largest TTL sampled: fits.
                    let sample = (sum / u128::from(count)) as u64;
                    if *average == 0 {
                        *average = sample;
                    }
                    *average = (*average / 50) * 49 + sample / 50;
                }
            }
        }
        let current = if expiry.sampled > 0 {
            expiry.stale as f64 / expiry.sampled as f64
        } else {
            0.0
        };
        self.stale_share = current * 0.05 + self.stale_share * 0.95;
    }

    /// Notes `used` bytes of memory: the peak follows it.
    pub(crate) fn saw_memory(&mut self, used: u64) {
        self.peak_memory = self.peak_memory.max(used);
    }

    /// Notes at `now` whether memory is over `maxmemory` after eviction did what it could.
    pub(crate) fn saw_eviction(&mut self, now: Millis, over_limit: bool) {
        match (over_limit, self.eviction_exceeded_since) {
            (true, None) => self.eviction_exceeded_since = Some(now),
            (false, Some(since)) => {
                self.eviction_exceeded_total += now.saturating_sub(since);
                self.eviction_exceeded_since = None;
            }
            _ => {}
        }
    }

    /// `(total, current)` time over `maxmemory` in ms, as of `now`.
    pub(crate) fn eviction_exceeded(&self, now: Millis) -> (Millis, Millis) {
        let current = self
            .eviction_exceeded_since
            .map_or(0, |since| now.saturating_sub(since));
        (self.eviction_exceeded_total + current, current)
    }

    /// Commands per second, bytes read and written per second.
    pub(crate) fn rates(&self) -> (u64, u64, u64) {
        (
            self.ops.per_second(),
            self.input.per_second(),
            self.output.per_second(),
        )
    }

    /// Database `index`'s estimated mean TTL in ms (0 when not sampled yet).
    pub(crate) fn avg_ttl(&self, index: usize) -> Millis {
        self.avg_ttl.get(index).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instantaneous_rate_is_the_mean_of_sixteen_samples() {
        let mut metric = InstantMetric::new(0);
        metric.track(100, 50);
        assert_eq!(metric.per_second(), 500 / 16);
        for i in 2..=16 {
            metric.track(i * 100, i * 50);
        }
        assert_eq!(metric.per_second(), 500);
    }
}
