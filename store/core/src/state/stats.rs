//! The counters behind INFO's commandstats, errorstats and latencystats, and the figures the
//! server's tick samples (instantaneous rates, `avg_ttl`, `expired_stale_perc`).
//!
//! Cost on the command path: a session gathers what its commands did in a [`Batch`] (plain
//! fields, no lock, no shared atomic) and folds it into the shared [`CommandStats`] once per
//! `Session::handle` call, so a pipeline of 16 commands takes one extra lock, not 16.
//!
//! Timing: the store reads no clock of its own; the adapter gives the server a [`Timer`]
//! (`Server::with_timer`), and without one every duration is 0. A clock read costs some
//! 25 ns on a virtual machine, 5% of the CPU time the server spends on a pipelined GET, so
//! commands are timed by sampling rather than each one, see [`Batch::begin`]. Every command
//! is counted; the time of an untimed one is the last measure of the same command, and
//! latency percentiles come from the measures.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use foldhash::fast::FixedState;
use indexmap::IndexMap;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use radish_data::{Millis, Rng};

use crate::state::keyspace::Keyspace;

/// Counters reported by INFO (stats, commandstats, errorstats, latencystats) and the
/// server's identity there.
#[derive(Debug)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections refused (maxclients).
    pub rejected_connections: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Per-command and per-error counters, commands run, socket reads and writes: sessions
    /// fold what a batch did into it once per batch. Lock order: after the data lock.
    pub(crate) commands: Mutex<CommandStats>,
    /// What the tick samples: instantaneous rates, expiry estimates, the memory peak.
    /// Lock order: after the data lock and `commands`.
    pub(crate) sampled: Mutex<Sampled>,
    /// INFO's run_id: 40 random hex digits, new at every start.
    pub run_id: String,
    /// INFO's master_replid: as Redis, another 40 random hex digits fixed at start.
    pub replid: String,
}

impl Stats {
    /// Zeroed counters for a server started at `now`, with fresh random ids.
    pub fn new(now: Millis) -> Stats {
        let mut rng = Rng::from_entropy();
        let mut id = || {
            (0..5)
                .map(|_| format!("{:08x}", rng.next_u64() as u32))
                .collect::<String>()
        };
        Stats {
            connections: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            net_input_bytes: AtomicU64::new(0),
            net_output_bytes: AtomicU64::new(0),
            commands: Mutex::new(CommandStats::default()),
            sampled: Mutex::new(Sampled::new(now)),
            run_id: id(),
            replid: id(),
        }
    }

    /// The command and error counters.
    pub(crate) fn commands(&self) -> MutexGuard<'_, CommandStats> {
        self.commands.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the tick samples.
    pub(crate) fn sampled(&self) -> MutexGuard<'_, Sampled> {
        self.sampled.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Commands run so far (INFO's total_commands_processed).
    pub fn commands_processed(&self) -> u64 {
        self.commands().processed
    }

    /// CONFIG RESETSTAT at `now`: zeroes what Redis's `resetServerStats`,
    /// `resetCommandTableStats` and `resetErrorTableStats` zero, here.
    pub fn reset(&self, now: Millis) {
        for counter in [
            &self.connections,
            &self.rejected_connections,
            &self.net_input_bytes,
            &self.net_output_bytes,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        *self.commands() = CommandStats::default();
        self.sampled().reset(now);
    }
}

/// In a run of the same command (a pipeline of GETs, or a client sending only GETs), one in
/// this many is timed.
const TIME_ONE_IN: u32 = 32;

/// The counters of consecutive calls of one command in a batch (a pipeline of 16 GETs is
/// one run): the session adds to it with no lookup, and the fold looks its command's entry up once.
#[derive(Debug, Clone, Copy)]
struct Run {
    command: &'static str,
    /// Calls (commands that ran; a served blocked command is the call it blocked in).
    calls: u64,
    /// Their time in nanoseconds: measured, or for an untimed command the last measure
    /// of the same command.
    nanos: u64,
    /// Calls that replied with an error of their own.
    failed: u64,
    /// Requests refused before running (arity, NOAUTH, OOM, wrong context...).
    rejected: u64,
}

/// A monotonic clock in nanoseconds from any origin, which the adapter provides: what
/// commands are timed with (INFO commandstats, latencystats).
pub type Timer = fn() -> u64;

/// A command's start, as [`Batch::begin`] gives it: the time if it is timed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start(Option<u64>);

/// What a session's commands did during one `Session::handle` call, not yet folded into
/// the server's [`CommandStats`].
#[derive(Debug, Default)]
pub(crate) struct Batch {
    runs: Vec<Run>,
    /// Durations (ns) for the latency histograms, with how many calls in a row took it:
    /// every call counts, an untimed one with its run's last measure.
    samples: Vec<(&'static str, u64, u64)>,
    /// The code (first word) of every error reply sent.
    errors: Vec<String>,
    /// Reads from the socket (INFO's total_reads_processed).
    pub(crate) reads: u64,
    /// Writes to the socket (total_writes_processed).
    pub(crate) writes: u64,
    /// The command this session began last, and how many of its run went untimed since the
    /// last timed one.
    last_command: Option<&'static str>,
    untimed: u32,
    /// The last measured duration, which untimed commands of the same run are given.
    last_nanos: u64,
    /// The clock commands are timed with; none: nothing is timed.
    timer: Option<Timer>,
}

impl Batch {
    /// An empty batch timing its commands with `timer`.
    pub(crate) fn new(timer: Option<Timer>) -> Batch {
        Batch {
            timer,
            ..Batch::default()
        }
    }

    /// The time now, if there is a clock.
    fn clock(&self) -> Option<u64> {
        self.timer.map(|timer| timer())
    }

    /// Starts timing a blocked command served again (always timed: one measure per
    /// blocked client).
    pub(crate) fn start(&self) -> Start {
        Start(self.clock())
    }

    /// A command starts. It is timed (the clock is read) if it is another command than the
    /// one before, or the [`TIME_ONE_IN`]th of a run: so every command that runs at all gets
    /// measures, and a stream of the same command costs a pair of clock reads per 32
    /// commands rather than per command.
    #[inline]
    pub(crate) fn begin(&mut self, command: &'static str) -> Start {
        let repeat = self.last_command.is_some_and(|last| last == command);
        self.last_command = Some(command);
        if repeat && self.untimed + 1 < TIME_ONE_IN {
            self.untimed += 1;
            return Start(None);
        }
        self.untimed = 0;
        Start(self.clock())
    }

    /// `command`, begun at `start`, ran; `failed` if it replied with an error, `blocked` if
    /// it is now waiting for data (its latency is then sampled when it is served, as in
    /// Redis).
    #[inline]
    pub(crate) fn ran(&mut self, command: &'static str, start: Start, failed: bool, blocked: bool) {
        let nanos = self.measure(command, start, !blocked);
        let run = self.run(command);
        run.calls += 1;
        run.nanos += nanos;
        run.failed += u64::from(failed);
    }

    /// A blocked `command`, begun again at `start`, was served (it replied): its time and
    /// failure, but no second call. It runs for another client, between this session's own
    /// commands, so it leaves their timing alone.
    pub(crate) fn served(&mut self, command: &'static str, start: Start, failed: bool) {
        let nanos = self.elapsed(start).unwrap_or(0);
        self.sample(command, nanos);
        let run = self.run(command);
        run.nanos += nanos;
        run.failed += u64::from(failed);
    }

    /// `command` was refused before it ran.
    pub(crate) fn rejected(&mut self, command: &'static str) {
        self.run(command).rejected += 1;
    }

    /// The duration of a command begun at `start`: measured now if it was timed, else the
    /// last measure; a latency sample too if `sample`.
    fn measure(&mut self, command: &'static str, start: Start, sample: bool) -> u64 {
        if let Some(nanos) = self.elapsed(start) {
            self.last_nanos = nanos;
        }
        if sample {
            self.sample(command, self.last_nanos);
        }
        self.last_nanos
    }

    /// One call of `command` for its latency histogram. A run of untimed calls (the same
    /// command and duration) is one entry with its count.
    fn sample(&mut self, command: &'static str, nanos: u64) {
        if let Some((last, last_nanos, count)) = self.samples.last_mut() {
            if *last == command && *last_nanos == nanos {
                *count += 1;
                return;
            }
        }
        self.samples.push((command, nanos, 1));
    }

    /// Nanoseconds since `start`, if it was timed. An untimed start reads no clock.
    fn elapsed(&self, start: Start) -> Option<u64> {
        let started = start.0?;
        Some(self.clock()?.saturating_sub(started))
    }

    /// The run `command` adds to: the last one if it is the same command, else a new one.
    #[inline]
    fn run(&mut self, command: &'static str) -> &mut Run {
        let same = self.runs.last().is_some_and(|run| run.command == command);
        if !same {
            self.runs.push(Run {
                command,
                calls: 0,
                nanos: 0,
                failed: 0,
                rejected: 0,
            });
        }
        let last = self.runs.len() - 1;
        &mut self.runs[last]
    }

    /// An error reply `line` (without its `-`) was sent. As Redis's `afterErrorReply`, its
    /// code is its first word if a space ends it within Redis's 32-byte window, else `ERR`.
    pub(crate) fn error(&mut self, line: &str) {
        let window = &line.as_bytes()[..line.len().min(31)];
        let code = match window.iter().position(|&b| b == b' ') {
            Some(end) => &line[..end],
            None => "ERR",
        };
        self.errors.push(code.to_string());
    }

    /// Drops what was gathered (CONFIG RESETSTAT: it all happened before the reset).
    pub(crate) fn clear(&mut self) {
        self.runs.clear();
        self.samples.clear();
        self.errors.clear();
        self.reads = 0;
        self.writes = 0;
    }

    fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.errors.is_empty() && self.reads == 0 && self.writes == 0
    }
}

/// One command's LATENCY HISTOGRAM: its calls, and at each step the microseconds and how
/// many calls took at most that long.
#[derive(Debug)]
pub(crate) struct LatencyHistogram {
    pub(crate) name: &'static str,
    pub(crate) calls: u64,
    pub(crate) steps: Vec<(u64, u64)>,
}

/// One command's counters (one `cmdstat_` line).
#[derive(Debug, Default)]
struct CommandEntry {
    calls: u64,
    nanos: u64,
    rejected: u64,
    failed: u64,
    /// Allocated on the first sample, as Redis does: most commands never run.
    latency: Option<Histogram>,
}

/// The server's command and error counters.
#[derive(Debug, Default)]
pub(crate) struct CommandStats {
    /// By full name (`get`, `client|list`), in order of first use.
    commands: IndexMap<&'static str, CommandEntry, FixedState>,
    /// By error code, in byte order (Redis keeps them in a radix tree).
    errors: BTreeMap<String, u64>,
    /// Error replies sent (total_error_replies).
    pub(crate) error_replies: u64,
    /// Commands run (total_commands_processed): Redis counts calls, not requests, so
    /// neither rejected nor unknown commands count, and queued ones count when EXEC runs them.
    pub(crate) processed: u64,
    /// Reads from sockets (total_reads_processed).
    pub(crate) reads: u64,
    /// Writes to sockets (total_writes_processed).
    pub(crate) writes: u64,
}

impl CommandStats {
    /// Adds what `batch` gathered and empties it.
    pub(crate) fn fold(&mut self, batch: &mut Batch) {
        if batch.is_empty() {
            return;
        }
        for run in batch.runs.drain(..) {
            let entry = self.entry(run.command);
            entry.calls += run.calls;
            entry.nanos += run.nanos;
            entry.failed += run.failed;
            entry.rejected += run.rejected;
            self.processed += run.calls;
        }
        for (command, nanos, count) in batch.samples.drain(..) {
            let entry = self.entry(command);
            entry
                .latency
                .get_or_insert_with(Histogram::new)
                .record(nanos, count);
        }
        for code in batch.errors.drain(..) {
            *self.errors.entry(code).or_default() += 1;
            self.error_replies += 1;
        }
        self.reads += std::mem::take(&mut batch.reads);
        self.writes += std::mem::take(&mut batch.writes);
    }

    /// `command`'s counters, new ones the first time.
    fn entry(&mut self, command: &'static str) -> &mut CommandEntry {
        self.commands.entry(command).or_default()
    }

    /// The body of `# Commandstats`: a line per command called, failed or rejected at least
    /// once, subcommands as `cmdstat_client|list`, sorted by name.
    pub(crate) fn render_commands(&self, out: &mut String) {
        let mut names: Vec<&&'static str> = self.commands.keys().collect();
        names.sort();
        for name in names {
            let entry = &self.commands[*name];
            if entry.calls == 0 && entry.failed == 0 && entry.rejected == 0 {
                continue;
            }
            let usec = entry.nanos / 1000;
            let per_call = if entry.calls == 0 {
                0.0
            } else {
                usec as f64 / entry.calls as f64
            };
            let _ = write!(
                out,
                "cmdstat_{}:calls={},usec={usec},usec_per_call={per_call:.2},\
                 rejected_calls={},failed_calls={}\r\n",
                safe_info_string(name),
                entry.calls,
                entry.rejected,
                entry.failed
            );
        }
    }

    /// The body of `# Errorstats`: `errorstat_<CODE>:count=N` per error code seen.
    pub(crate) fn render_errors(&self, out: &mut String) {
        for (code, count) in &self.errors {
            let _ = write!(
                out,
                "errorstat_{}:count={count}\r\n",
                safe_info_string(code)
            );
        }
    }

    /// LATENCY HISTOGRAM: for each command with samples whose name `wanted` accepts, in name
    /// order, its calls and cumulative distribution (microseconds, count).
    pub(crate) fn histograms(&self, wanted: impl Fn(&str) -> bool) -> Vec<LatencyHistogram> {
        let mut names: Vec<&&'static str> = self.commands.keys().collect();
        names.sort();
        names
            .into_iter()
            .filter(|name| wanted(name))
            .filter_map(|name| {
                let histogram = self.commands[*name].latency.as_ref()?;
                Some(LatencyHistogram {
                    name,
                    calls: histogram.total,
                    steps: histogram.cumulative_micros(),
                })
            })
            .collect()
    }

    /// The body of `# Latencystats`: the `percentiles` of each command's latency, in
    /// microseconds, for every command with samples.
    pub(crate) fn render_latency(&self, percentiles: &[f64], out: &mut String) {
        let mut names: Vec<&&'static str> = self.commands.keys().collect();
        names.sort();
        for name in names {
            let Some(histogram) = &self.commands[*name].latency else {
                continue;
            };
            let _ = write!(out, "latency_percentiles_usec_{}:", safe_info_string(name));
            for (i, &percentile) in percentiles.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let nanos = histogram.value_at_percentile(percentile);
                let _ = write!(
                    out,
                    "p{}={:.3}",
                    trim_double(percentile),
                    nanos as f64 / 1000.0
                );
            }
            out.push_str("\r\n");
        }
    }
}

/// Redis's `getSafeInfoString`: characters that would break INFO's `name:value` lines
/// become `_`.
fn safe_info_string(name: &str) -> String {
    name.replace(['#', ':', '\r', '\n'], "_")
}

/// A percentile as Redis names it: `%f`, then trailing zeros (and a bare point) trimmed.
fn trim_double(value: f64) -> String {
    let text = format!("{value:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Sub-buckets per power of two in [`Histogram`]: 2^5 = 32, so a value is known to within
/// 1/32 (about 3%).
const SUB_BITS: u32 = 5;
/// Values are clamped to 1 ns ..= 1 s, as Redis's latency histograms are.
const MAX_NANOS: u64 = 1_000_000_000;
/// Buckets needed to reach [`MAX_NANOS`].
const BUCKETS: usize = bucket(MAX_NANOS) + 1;

/// The bucket of `value`: values below 2^(SUB_BITS+1) have one each; above, each power of
/// two is split into 2^SUB_BITS equal buckets (the layout of an HDR histogram).
const fn bucket(value: u64) -> usize {
    if value < 2 << SUB_BITS {
        return value as usize;
    }
    let top = 63 - value.leading_zeros();
    let shift = top - SUB_BITS;
    ((shift as usize) << SUB_BITS) + (value >> shift) as usize
}

/// The smallest value that lands in bucket `index`.
const fn bucket_floor(index: usize) -> u64 {
    if index < 2 << SUB_BITS {
        return index as u64;
    }
    let shift = (index >> SUB_BITS) - 1;
    let sub = (index & ((1 << SUB_BITS) - 1)) + (1 << SUB_BITS);
    (sub as u64) << shift
}

/// A latency histogram of fixed size (828 buckets, 6.5 KiB), log-linear like Redis's HDR
/// histograms but coarser (3% rather than 1% precision), which keeps it small enough to give
/// every command that runs its own.
#[derive(Debug, Clone)]
struct Histogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
        }
    }

    fn record(&mut self, nanos: u64, count: u64) {
        self.counts[bucket(nanos.clamp(1, MAX_NANOS))] += count;
        self.total += count;
    }

    /// Samples at or below `nanos`.
    fn count_up_to(&self, nanos: u64) -> u64 {
        let last = bucket(nanos.clamp(1, MAX_NANOS));
        self.counts[..=last].iter().sum()
    }

    /// LATENCY HISTOGRAM's cumulative distribution, as Redis's `fillCommandCDF` iterates
    /// its HDR histogram (2 significant digits) logarithmically from 1024 ns: at each power
    /// of two, the microseconds of the highest value equivalent to it, and the samples up to
    /// there, where that count grew.
    fn cumulative_micros(&self) -> Vec<(u64, u64)> {
        let mut steps = Vec::new();
        let mut previous = 0;
        let mut level: u64 = 1024;
        while previous < self.total && level <= 2 * MAX_NANOS {
            // Redis's histograms keep 2 significant digits: 256 sub-buckets per power of
            // two from 256 on, so the values equivalent to 2^k span 2^(k-7).
            let highest = level + (level >> 7) - 1;
            let cumulative = self.count_up_to(highest);
            if cumulative > previous {
                steps.push((highest / 1000, cumulative));
            }
            previous = cumulative;
            level *= 2;
        }
        steps
    }

    /// The value below which `percentile` % of the samples fall, as hdr_histogram's
    /// `hdr_value_at_percentile` gives it: the highest value of the bucket that holds the
    /// sample ranked `percentile`% (rounded, at least the first).
    fn value_at_percentile(&self, percentile: f64) -> u64 {
        let wanted = ((percentile.clamp(0.0, 100.0) / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return bucket_floor(index + 1) - 1;
            }
        }
        0
    }
}

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
    /// has no key with a deadline.
    ttls: Vec<Option<(u64, u64)>>,
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
                    .and_then(|(_, entry)| entry.expires_at());
                let Some(deadline) = deadline else {
                    continue;
                };
                sample.sampled += 1;
                if deadline > now {
                    sum += deadline - now;
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
                    let sample = sum / count;
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
    fn buckets_are_contiguous_and_bound_their_values() {
        for index in 0..BUCKETS - 1 {
            let floor = bucket_floor(index);
            assert_eq!(bucket(floor), index, "floor of {index}");
            assert_eq!(bucket(bucket_floor(index + 1) - 1), index, "top of {index}");
        }
        assert_eq!(BUCKETS, 828);
        // Relative width stays within 1/32 above the exact range.
        for value in [100u64, 1_000, 12_345, 999_999, MAX_NANOS] {
            let index = bucket(value);
            let width = bucket_floor(index + 1) - bucket_floor(index);
            assert!(width * 32 <= value, "{value}: width {width}");
        }
    }

    #[test]
    fn percentiles_follow_hdr_rounding() {
        let mut histogram = Histogram::new();
        for value in 1..=100 {
            histogram.record(value * 1000, 1);
        }
        let p50 = histogram.value_at_percentile(50.0);
        assert!((50_000..=51_600).contains(&p50), "{p50}");
        let p100 = histogram.value_at_percentile(100.0);
        assert!((100_000..=103_200).contains(&p100), "{p100}");
        assert_eq!(
            histogram.value_at_percentile(0.0),
            bucket_floor(bucket(1000) + 1) - 1
        );
    }

    #[test]
    fn the_cumulative_distribution_steps_at_powers_of_two_as_redis_reports_them() {
        let mut histogram = Histogram::new();
        histogram.record(500, 3);
        histogram.record(1_500, 1);
        histogram.record(33_000, 2);
        histogram.record(40_000, 1);
        // Redis's steps for these: 1, 2, 33 and 66 µs (the highest values equivalent to 1024,
        // 2048, 32768 and 65536 ns); only where the count grew.
        assert_eq!(
            histogram.cumulative_micros(),
            vec![(1, 3), (2, 4), (33, 6), (66, 7)]
        );
        assert!(Histogram::new().cumulative_micros().is_empty());
    }

    #[test]
    fn error_codes_are_the_first_word_within_redis_window() {
        let mut batch = Batch::default();
        batch.error("WRONGTYPE Operation against a key holding the wrong kind of value");
        batch.error("ERR syntax error");
        batch.error("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 too long");
        batch.error("NOSPACE");
        assert_eq!(batch.errors, ["WRONGTYPE", "ERR", "ERR", "ERR"]);
    }

    static CLOCK_READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    fn counting_clock() -> u64 {
        CLOCK_READS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) * 1000
    }

    #[test]
    fn a_run_of_one_command_reads_the_clock_twice_per_timed_command_only() {
        let (get, set) = ("get", "set");
        let mut batch = Batch::new(Some(counting_clock));
        let reads = || CLOCK_READS.load(std::sync::atomic::Ordering::SeqCst);
        let before = reads();
        for _ in 0..TIME_ONE_IN * 4 {
            let start = batch.begin(get);
            batch.ran(get, start, false, false);
        }
        // The first GET and every TIME_ONE_IN-th after it: a start and an end each.
        assert_eq!(reads() - before, 2 * 4);
        // Another command is timed at once; every call is counted with a duration.
        let start = batch.begin(set);
        batch.ran(set, start, false, false);
        assert_eq!(reads() - before, 2 * 5);
        assert_eq!(batch.runs[0].calls, u64::from(TIME_ONE_IN) * 4);
        assert_eq!(batch.runs[0].nanos, u64::from(TIME_ONE_IN) * 4 * 1000);
        // Every call is a latency sample; a run of equal ones is one entry with its count.
        let samples: Vec<(&str, u64, u64)> = batch
            .samples
            .iter()
            .map(|(command, nanos, count)| (*command, *nanos, *count))
            .collect();
        assert_eq!(
            samples,
            vec![("get", 1000, u64::from(TIME_ONE_IN) * 4), ("set", 1000, 1)]
        );
    }

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
