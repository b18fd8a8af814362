//! The counters behind INFO's commandstats, errorstats and latencystats, and the figures the
//! server's tick samples (instantaneous rates, `avg_ttl`, `expired_stale_perc`).
//!
//! Cost on the command path: a session gathers what its commands did in a [`Batch`] (plain
//! fields, no lock, no shared atomic) and folds it into the shared [`CommandStats`] once per
//! `Session::handle` call, so a pipeline of 16 commands takes one extra lock, not 16.
//!
//! Timing: the store reads no clock of its own; whoever runs the server gives it a [`Timer`]
//! (`Server::with_timer`), and without one every duration is 0. A clock read costs some
//! 25 ns on a virtual machine, 5% of the CPU time the server spends on a pipelined GET, so
//! commands are timed by sampling rather than each one, see [`Batch::begin`]. Every command
//! is counted; the time of an untimed one is the last measure of the same command, and
//! latency percentiles come from the measures.

mod batch;
mod commands;
mod histogram;
mod sampled;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use radish_data::{Millis, Rng};

pub(crate) use batch::Batch;
pub use batch::Timer;
pub(crate) use commands::CommandStats;
pub(crate) use sampled::{ExpirySample, Sampled, Totals};

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
    /// Full resynchronisations served (INFO's sync_full).
    pub sync_full: AtomicU64,
    /// PSYNCs continued from the backlog (sync_partial_ok).
    pub sync_partial_ok: AtomicU64,
    /// PSYNCs that asked for a history this server could not continue (sync_partial_err).
    pub sync_partial_err: AtomicU64,
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
            sync_full: AtomicU64::new(0),
            sync_partial_ok: AtomicU64::new(0),
            sync_partial_err: AtomicU64::new(0),
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
