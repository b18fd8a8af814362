//! What persistence reports about itself: the figures of INFO's persistence section.

use radish_data::Millis;

use super::aof::AofInfo;
use super::{JobKind, Persist};
use crate::state::keyspace::Keyspace;

/// Persistence's state at one moment, as INFO shows it.
#[derive(Debug)]
pub(crate) struct Status {
    /// Seconds the running save has taken so far; -1 if none runs.
    pub(crate) bgsave_secs: i64,
    /// Seconds the running rewrite has taken so far; -1 if none runs.
    pub(crate) rewrite_secs: i64,
    /// The running job's progress: keys written so far, of those there were at its start.
    pub(crate) keys_processed: u64,
    /// Keys in the dataset when the running job started; 0 when none runs.
    pub(crate) keys_total: u64,
    /// Changes since the last save.
    pub(crate) dirty: u64,
    /// A background save runs.
    pub(crate) bgsave_in_progress: bool,
    /// A rewrite of the log runs.
    pub(crate) rewrite_in_progress: bool,
    /// Unix seconds of the last successful save.
    pub(crate) last_save: Millis,
    pub(crate) last_bgsave_ok: bool,
    pub(crate) last_bgsave_secs: i64,
    pub(crate) saves: u64,
    pub(crate) loaded_expired: u64,
    pub(crate) loaded_keys: u64,
    pub(crate) rewrite_scheduled: bool,
    pub(crate) last_rewrite_secs: i64,
    pub(crate) last_rewrite_ok: bool,
    pub(crate) rewrites: u64,
    pub(crate) rewrite_failures: u64,
    /// The log's own figures.
    pub(crate) aof: AofInfo,
}

impl Persist {
    /// The state of persistence now, with the data at hand (held under its lock).
    pub(crate) fn status(&self, data: &Keyspace, now: Millis) -> Status {
        let jobs = self.jobs();
        let running = jobs.running.as_ref().map(|job| (job.kind, job.started));
        let elapsed = |kind: JobKind| match running {
            Some((k, started)) if k == kind => (now.saturating_sub(started) / 1000) as i64,
            _ => -1,
        };
        let in_progress = |kind: JobKind| running.is_some_and(|(k, _)| k == kind);
        let (keys_processed, keys_total) = match jobs.running {
            Some(_) => {
                let mut walking = data
                    .dbs()
                    .iter()
                    .filter_map(|db| db.persist.snapshot.as_ref())
                    .peekable();
                // Once the walk is over (the file is being finished), every key was written.
                let written = match walking.peek() {
                    Some(_) => walking.map(|snapshot| snapshot.written).sum(),
                    None => jobs.save_keys_total,
                };
                (written.min(jobs.save_keys_total), jobs.save_keys_total)
            }
            None => (0, 0),
        };
        Status {
            bgsave_secs: elapsed(JobKind::Bgsave),
            rewrite_secs: elapsed(JobKind::Rewrite),
            keys_processed,
            keys_total,
            dirty: data.dirty,
            bgsave_in_progress: in_progress(JobKind::Bgsave),
            rewrite_in_progress: in_progress(JobKind::Rewrite),
            last_save: jobs.last_save / 1000,
            last_bgsave_ok: jobs.last_bgsave_ok,
            last_bgsave_secs: jobs.last_bgsave_secs,
            saves: jobs.saves,
            loaded_expired: jobs.loaded_expired,
            loaded_keys: jobs.loaded_keys,
            rewrite_scheduled: jobs.rewrite_scheduled,
            last_rewrite_secs: jobs.last_rewrite_secs,
            last_rewrite_ok: jobs.last_rewrite_ok,
            rewrites: jobs.rewrites,
            rewrite_failures: jobs.rewrite_failures,
            aof: self.aof.info(),
        }
    }
}
