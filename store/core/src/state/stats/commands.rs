//! The server's command and error counters: calls, time, failures and rejections per command,
//! latency histograms, error codes (INFO commandstats, errorstats, latencystats, LATENCY
//! HISTOGRAM).

use std::collections::BTreeMap;

use foldhash::fast::FixedState;
use indexmap::IndexMap;

use super::batch::Batch;
use super::histogram::Histogram;

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
pub(crate) struct CommandEntry {
    /// Calls (commands that ran; a served blocked command is the call it blocked in).
    pub(crate) calls: u64,
    /// Their time in nanoseconds.
    pub(crate) nanos: u64,
    /// Requests refused before running.
    pub(crate) rejected: u64,
    /// Calls that replied with an error of their own.
    pub(crate) failed: u64,
    /// Allocated on the first sample, as Redis does: most commands never run.
    latency: Option<Histogram>,
}

impl CommandEntry {
    /// The latency (nanoseconds) below which `percentile` of its sampled calls fall; `None`
    /// before the first sample.
    pub(crate) fn latency_percentile(&self, percentile: f64) -> Option<u64> {
        Some(self.latency.as_ref()?.value_at_percentile(percentile))
    }
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
        batch.end_pass();
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

    /// Every command's counters, by full name in byte order (INFO commandstats and
    /// latencystats).
    pub(crate) fn by_name(&self) -> Vec<(&'static str, &CommandEntry)> {
        let mut entries: Vec<_> = self.commands.iter().map(|(name, e)| (*name, e)).collect();
        entries.sort_by_key(|(name, _)| *name);
        entries
    }

    /// Every error code sent, with how many times, in byte order (INFO errorstats).
    pub(crate) fn errors(&self) -> impl Iterator<Item = (&str, u64)> {
        self.errors
            .iter()
            .map(|(code, count)| (code.as_str(), *count))
    }

    /// `command`'s counters, new ones the first time.
    fn entry(&mut self, command: &'static str) -> &mut CommandEntry {
        self.commands.entry(command).or_default()
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
}
