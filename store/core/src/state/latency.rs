//! The latency monitor, as Redis 7.0's `latency.c` keeps it: for each event (`command`,
//! `fast-command`, `expire-cycle`...), the worst latency of each second it was seen in, for
//! the last [`SAMPLES`] such seconds, and its worst ever. Only latencies at or over
//! `latency-monitor-threshold` milliseconds are recorded; 0 turns the monitor off.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use radish_data::Millis;

use crate::state::stats::Timer;

/// Seconds of history each event keeps (Redis's `LATENCY_TS_LEN`).
pub const SAMPLES: usize = 160;

/// The worst latency of one second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sample {
    /// The second, in Unix seconds (0: an unused slot).
    pub time: i64,
    /// Milliseconds.
    pub latency: u64,
}

/// One event's history: a ring of [`SAMPLES`] seconds.
#[derive(Debug, Clone)]
pub struct Series {
    /// Where the next second goes.
    next: usize,
    /// The worst latency since the event was first seen (or reset).
    pub max: u64,
    samples: [Sample; SAMPLES],
}

impl Series {
    fn new() -> Series {
        Series {
            next: 0,
            max: 0,
            samples: [Sample::default(); SAMPLES],
        }
    }

    /// The seconds held, oldest first.
    pub fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..SAMPLES)
            .map(move |j| self.samples[(self.next + j) % SAMPLES])
            .filter(|sample| sample.time != 0)
    }

    /// The last second recorded.
    pub fn latest(&self) -> Sample {
        self.samples[(self.next + SAMPLES - 1) % SAMPLES]
    }

    /// Adds `latency` seen at `time`: the same second keeps its worst.
    fn add(&mut self, latency: u64, time: i64) {
        self.max = self.max.max(latency);
        let last = (self.next + SAMPLES - 1) % SAMPLES;
        if self.samples[last].time == time {
            let sample = &mut self.samples[last];
            sample.latency = sample.latency.max(latency);
            return;
        }
        self.samples[self.next] = Sample { time, latency };
        self.next = (self.next + 1) % SAMPLES;
    }

    /// What LATENCY DOCTOR says of the event at `now` (Redis's `analyzeLatencyForEvent`).
    pub fn analyze(&self, now: i64) -> Analysis {
        let mut analysis = Analysis::default();
        let mut sum = 0u64;
        let mut oldest = 0i64;
        for sample in self.samples() {
            analysis.samples += 1;
            if analysis.samples == 1 {
                analysis.min = sample.latency;
                analysis.max = sample.latency;
            } else {
                analysis.min = analysis.min.min(sample.latency);
                analysis.max = analysis.max.max(sample.latency);
            }
            sum += sample.latency;
            if oldest == 0 || sample.time < oldest {
                oldest = sample.time;
            }
        }
        if analysis.samples == 0 {
            return analysis;
        }
        analysis.avg = sum / analysis.samples;
        analysis.period = (now - oldest).max(0);
        if analysis.period == 0 {
            analysis.period = 1;
        }
        let deviation: u64 = self
            .samples()
            .map(|sample| analysis.avg.abs_diff(sample.latency))
            .sum();
        analysis.mad = deviation / analysis.samples;
        analysis
    }
}

/// An event's figures for LATENCY DOCTOR.
#[derive(Debug, Clone, Copy, Default)]
pub struct Analysis {
    /// Seconds recorded.
    pub samples: u64,
    /// Their average latency (truncated), least and most.
    pub avg: u64,
    /// Least latency recorded.
    pub min: u64,
    /// Most latency recorded.
    pub max: u64,
    /// Mean absolute deviation from `avg` (truncated).
    pub mad: u64,
    /// Seconds from the oldest second recorded to now (at least 1).
    pub period: i64,
}

/// The events seen so far, in the order they were first seen.
#[derive(Debug, Default)]
pub struct Events {
    series: Vec<(String, Series)>,
}

impl Events {
    /// Every event with its history.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Series)> {
        self.series
            .iter()
            .map(|(name, series)| (name.as_str(), series))
    }

    /// The event named `name` exactly.
    pub fn get(&self, name: &[u8]) -> Option<(&str, &Series)> {
        self.iter().find(|(event, _)| event.as_bytes() == name)
    }

    /// How many events have a history.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True if no event has a history.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Forgets the events named `name` (in any case), or all of them: how many it forgot.
    pub fn reset(&mut self, name: Option<&[u8]>) -> usize {
        let before = self.series.len();
        self.series.retain(|(event, _)| {
            name.is_some_and(|name| !event.as_bytes().eq_ignore_ascii_case(name))
        });
        before - self.series.len()
    }

    fn add(&mut self, event: &str, latency: u64, time: i64) {
        let index = match self.series.iter().position(|(name, _)| name == event) {
            Some(index) => index,
            None => {
                self.series.push((event.to_string(), Series::new()));
                self.series.len() - 1
            }
        };
        self.series[index].1.add(latency, time);
    }
}

/// The server's latency monitor.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    /// `latency-monitor-threshold`, in milliseconds (0: off).
    threshold: AtomicU64,
    events: Mutex<Events>,
}

impl LatencyMonitor {
    /// Sets `latency-monitor-threshold` (milliseconds; 0 turns the monitor off).
    pub fn set_threshold(&self, millis: u64) {
        self.threshold.store(millis, Ordering::Relaxed);
    }

    /// `latency-monitor-threshold`.
    pub fn threshold(&self) -> u64 {
        self.threshold.load(Ordering::Relaxed)
    }

    /// Whether the monitor is on: what is timed only for it need not be otherwise.
    #[inline]
    pub fn enabled(&self) -> bool {
        self.threshold() != 0
    }

    /// Records `event` taking `millis` at `now`, if the monitor is on and that is at least
    /// its threshold (Redis's `latencyAddSampleIfNeeded`).
    pub fn add_if_needed(&self, event: &str, millis: u64, now: Millis) {
        let threshold = self.threshold();
        if threshold != 0 && millis >= threshold {
            let time = (now / 1000) as i64;
            self.events().add(event, millis, time);
        }
    }

    /// Records `event`, whose work started at `started` on `timer` (nanoseconds), now that it
    /// is done: [`add_if_needed`](LatencyMonitor::add_if_needed) with the milliseconds it took.
    pub fn add_timed(&self, event: &str, timer: Option<Timer>, started: Option<u64>, now: Millis) {
        if let (Some(timer), Some(started)) = (timer, started) {
            let millis = timer().saturating_sub(started) / 1_000_000;
            self.add_if_needed(event, millis, now);
        }
    }

    /// The clock reading to time an event with, if the monitor is on (Redis's
    /// `latencyStartMonitor`): no clock read otherwise.
    pub fn start(&self, timer: Option<Timer>) -> Option<u64> {
        if self.enabled() {
            timer.map(|timer| timer())
        } else {
            None
        }
    }

    /// The events recorded. Lock order: after the data lock.
    pub fn events(&self) -> MutexGuard<'_, Events> {
        self.events.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeps_the_worst_and_the_ring_keeps_the_last_160() {
        let monitor = LatencyMonitor::default();
        monitor.add_if_needed("command", 500, 1_000);
        assert!(monitor.events().is_empty(), "off by default");
        monitor.set_threshold(100);
        monitor.add_if_needed("command", 99, 1_000);
        assert!(monitor.events().is_empty(), "under the threshold");
        monitor.add_if_needed("command", 150, 1_000);
        monitor.add_if_needed("command", 300, 1_500);
        monitor.add_if_needed("command", 200, 1_900);
        monitor.add_if_needed("command", 120, 2_000);
        let events = monitor.events();
        let (_, series) = events.get(b"command").unwrap();
        let samples: Vec<(i64, u64)> = series.samples().map(|s| (s.time, s.latency)).collect();
        assert_eq!(samples, [(1, 300), (2, 120)]);
        assert_eq!(series.max, 300);
        assert_eq!(series.latest().latency, 120);
        drop(events);
        for second in 3..200 {
            monitor.add_if_needed("command", 100 + second, second * 1000);
        }
        let events = monitor.events();
        let (_, series) = events.get(b"command").unwrap();
        let times: Vec<i64> = series.samples().map(|s| s.time).collect();
        assert_eq!(times, (40..200).collect::<Vec<i64>>());
    }

    #[test]
    fn analysis_is_redis_integer_arithmetic() {
        let monitor = LatencyMonitor::default();
        monitor.set_threshold(1);
        for (second, latency) in [(10, 100), (11, 201), (15, 300)] {
            monitor.add_if_needed("command", latency, second * 1000);
        }
        let events = monitor.events();
        let analysis = events.get(b"command").unwrap().1.analyze(20);
        assert_eq!(analysis.samples, 3);
        assert_eq!((analysis.avg, analysis.min, analysis.max), (200, 100, 300));
        assert_eq!(analysis.mad, (100 + 1 + 100) / 3);
        assert_eq!(analysis.period, 10);
    }

    #[test]
    fn reset_matches_names_in_any_case() {
        let monitor = LatencyMonitor::default();
        monitor.set_threshold(1);
        monitor.add_if_needed("command", 5, 1000);
        monitor.add_if_needed("expire-cycle", 5, 1000);
        assert_eq!(monitor.events().reset(Some(b"nothing")), 0);
        assert_eq!(monitor.events().reset(Some(b"COMMAND")), 1);
        assert_eq!(monitor.events().reset(None), 1);
        assert!(monitor.events().is_empty());
    }
}
