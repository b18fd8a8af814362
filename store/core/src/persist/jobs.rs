//! Background jobs: BGSAVE and BGREWRITEAOF, started on request, by `save` rules or by
//! log growth, run one at a time on a thread, and reaped (their outcome recorded) on the tick.

use std::sync::Arc;

use radish_data::Millis;

use super::files::create_dir;
use super::snapshot::{Plan, Purpose};
use super::{
    fsync_policy, paths, snapshot, Abort, Busy, Job, JobKind, Jobs, Persist, RewriteRefused,
    Started, RETRY_DELAY_MS,
};
use crate::state::config::Config;
use crate::state::keyspace::Keyspace;

impl Persist {
    /// One tick of background work: log the deletions active expiry made, reap a finished
    /// job, start a scheduled or due one, and ask for the `everysec` fsync.
    pub(crate) fn tick(self: &Arc<Self>, config: &Config, data: &mut Keyspace, now: Millis) {
        data.log_deletions();
        if self.end_batch(data).is_some() {
            self.aof.write_pending();
            self.aof.kick();
        }
        self.reap(config, data, now);
        self.start_due(config, data, now);
        let mut jobs = self.jobs();
        if now.saturating_sub(jobs.last_fsync_request) >= 1000 {
            jobs.last_fsync_request = now;
            drop(jobs);
            // As Redis's cron: a write that failed is retried once a second, and writes are
            // accepted again once it succeeds.
            self.aof.retry_failed_write();
            self.aof.request_fsync();
        }
    }

    /// Finishes the bookkeeping of a job whose thread is done.
    fn reap(&self, config: &Config, data: &mut Keyspace, now: Millis) {
        let mut jobs = self.jobs();
        let Some(job) = jobs.running.take_if(|job| job.handle.is_finished()) else {
            return;
        };
        let result = job
            .handle
            .join()
            .unwrap_or_else(|_| Err("the job's thread panicked".into()));
        let secs = (now.saturating_sub(job.started) / 1000) as i64;
        match (job.kind, result) {
            (JobKind::Bgsave, Ok(())) => {
                data.dirty = data.dirty.saturating_sub(job.dirty_at_start);
                jobs.last_save = now;
                self.set_bgsave_status(&mut jobs, true);
                jobs.last_bgsave_secs = secs;
                tracing::info!("Background saving terminated with success");
            }
            (JobKind::Bgsave, Err(error)) => {
                self.set_bgsave_status(&mut jobs, false);
                jobs.last_bgsave_secs = secs;
                tracing::warn!("Background saving error: {error}");
            }
            (JobKind::Rewrite, Ok(())) => {
                jobs.last_rewrite_ok = true;
                jobs.last_rewrite_secs = secs;
                jobs.rewrite_failures = 0;
                tracing::info!("Background AOF rewrite finished successfully");
            }
            (JobKind::Rewrite, Err(error)) => {
                jobs.last_rewrite_ok = false;
                jobs.last_rewrite_secs = secs;
                jobs.rewrite_failures += 1;
                tracing::warn!("Background AOF rewrite error: {error}");
                self.aof.abandon_rewrite();
                // A log that was being turned on has no file yet: try again.
                if config.get_bool("appendonly") && !self.aof.has_file() {
                    jobs.rewrite_scheduled = true;
                }
            }
        }
    }

    /// Starts what was scheduled, what the `save` rules call for, or an automatic rewrite.
    fn start_due(self: &Arc<Self>, config: &Config, data: &mut Keyspace, now: Millis) {
        let mut jobs = self.jobs();
        if jobs.running.is_some() {
            return;
        }
        if jobs.rewrite_scheduled {
            if now.saturating_sub(jobs.last_rewrite_try) < RETRY_DELAY_MS && !jobs.last_rewrite_ok {
                return;
            }
            // Stays scheduled while the directory cannot be written.
            jobs.rewrite_scheduled = self.start_rewrite(&mut jobs, config, data, now).is_err();
            return;
        }
        let retry_ok =
            jobs.last_bgsave_ok || now.saturating_sub(jobs.last_bgsave_try) > RETRY_DELAY_MS;
        let since_save = now.saturating_sub(jobs.last_save) / 1000;
        let rule_due = config
            .save_points()
            .iter()
            .any(|&(seconds, changes)| data.dirty >= changes && since_save > seconds);
        let rule_due = rule_due && jobs.automatic;
        if jobs.bgsave_scheduled || (rule_due && retry_ok) {
            jobs.bgsave_scheduled = false;
            if rule_due {
                tracing::info!("{} changes: saving...", data.dirty);
            }
            self.start(&mut jobs, JobKind::Bgsave, config, data, now);
            return;
        }
        let rewrite_retry_ok =
            jobs.last_rewrite_ok || now.saturating_sub(jobs.last_rewrite_try) >= RETRY_DELAY_MS;
        if jobs.automatic && self.aof.running() && rewrite_retry_ok && self.rewrite_due(config) {
            tracing::info!("Starting automatic rewriting of AOF on growth");
            // A failure is logged and retried later, like a failed rewrite.
            let _ = self.start_rewrite(&mut jobs, config, data, now);
        }
    }

    /// `auto-aof-rewrite-percentage` and `auto-aof-rewrite-min-size`.
    fn rewrite_due(&self, config: &Config) -> bool {
        let percentage = config.get_int("auto-aof-rewrite-percentage");
        if percentage <= 0 {
            return false;
        }
        let info = self.aof.info();
        let min = config.get_int("auto-aof-rewrite-min-size").max(0) as u64;
        let base = info.base_size.max(1);
        info.size > min && (info.size - base.min(info.size)) * 100 / base >= percentage as u64
    }

    /// Starts a background job now (the caller checked that none runs).
    pub(super) fn start(
        self: &Arc<Self>,
        jobs: &mut Jobs,
        kind: JobKind,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
    ) {
        let paths = paths(config);
        // Counted when they start, as Redis counts its forks.
        jobs.save_keys_total = data.dbs().iter().map(|db| db.len() as u64).sum();
        let target = match kind {
            JobKind::Bgsave => {
                jobs.last_bgsave_try = now;
                jobs.saves += 1;
                paths.snapshot
            }
            JobKind::Rewrite => {
                jobs.last_rewrite_try = now;
                jobs.rewrites += 1;
                // Its temporary file goes where Redis's does, in `dir`.
                paths.log
            }
        };
        let purpose = match kind {
            JobKind::Bgsave => Purpose::Dump,
            JobKind::Rewrite => Purpose::LogBase,
        };
        let plan = Plan::new(config, data, purpose, now);
        snapshot::begin(data, &plan);
        let abort = Arc::new(Abort::default());
        let persist = self.clone();
        let job_abort = abort.clone();
        let handle = std::thread::Builder::new()
            .name("radish-snapshot".into())
            .spawn(move || snapshot::run(&persist, kind, plan, &target, &job_abort));
        match handle {
            Ok(handle) => {
                jobs.running = Some(Job {
                    kind,
                    started: now,
                    dirty_at_start: data.dirty,
                    abort,
                    handle,
                });
                match kind {
                    JobKind::Bgsave => tracing::info!("Background saving started"),
                    JobKind::Rewrite => {
                        tracing::info!("Background append only file rewriting started")
                    }
                }
            }
            Err(error) => {
                snapshot::cancel(data);
                tracing::warn!("cannot start a background save: {error}");
            }
        }
    }

    /// BGSAVE [SCHEDULE].
    pub(crate) fn bgsave(
        self: &Arc<Self>,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
        schedule: bool,
    ) -> Result<Started, Busy> {
        let mut jobs = self.jobs();
        match jobs.running.as_ref().map(|job| job.kind) {
            Some(JobKind::Bgsave) => Err(Busy::Same),
            Some(JobKind::Rewrite) if !schedule => Err(Busy::Other),
            Some(JobKind::Rewrite) => {
                jobs.bgsave_scheduled = true;
                Ok(Started::Scheduled)
            }
            None if data.log.in_exec() => {
                jobs.bgsave_scheduled = true;
                Ok(Started::Scheduled)
            }
            None => {
                self.start(&mut jobs, JobKind::Bgsave, config, data, now);
                Ok(Started::Now)
            }
        }
    }

    /// BGREWRITEAOF.
    pub(crate) fn bgrewriteaof(
        self: &Arc<Self>,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
    ) -> Result<Started, RewriteRefused> {
        let mut jobs = self.jobs();
        match jobs.running.as_ref().map(|job| job.kind) {
            Some(JobKind::Rewrite) => Err(RewriteRefused::InProgress),
            Some(JobKind::Bgsave) => {
                jobs.rewrite_scheduled = true;
                Ok(Started::Scheduled)
            }
            None if data.log.in_exec() => {
                jobs.rewrite_scheduled = true;
                Ok(Started::Scheduled)
            }
            None => {
                self.start_rewrite(&mut jobs, config, data, now)?;
                Ok(Started::Now)
            }
        }
    }

    /// Starts a rewrite now, as Redis's `rewriteAppendOnlyFileBackground`: refused at once
    /// when the append-only directory cannot be created or a new incremental file opened in
    /// it. With the log on (or being turned on), writes from this moment go to a new
    /// incremental file, and the snapshot taken now becomes the base.
    pub(super) fn start_rewrite(
        self: &Arc<Self>,
        jobs: &mut Jobs,
        config: &Config,
        data: &mut Keyspace,
        now: Millis,
    ) -> Result<(), RewriteRefused> {
        let at = paths(config).aof;
        let refuse = |jobs: &mut Jobs| {
            jobs.last_rewrite_ok = false;
            jobs.last_rewrite_try = now;
            Err(RewriteRefused::CannotWrite)
        };
        if let Err(error) = create_dir(&at.dir) {
            let dir = at.dir.display();
            tracing::warn!("Can't open or create append-only dir {dir}: {error}");
            return refuse(jobs);
        }
        let turning_on = config.get_bool("appendonly") && !self.aof.running();
        if turning_on {
            self.aof.start(None, (0, 0), fsync_policy(config));
        }
        if self.aof.running() {
            // The snapshot's moment: what is logged from here on goes to the new file.
            self.flush_log(data);
            if self.aof.open_new_incr(&at).is_err() {
                if turning_on {
                    self.aof.stop();
                }
                return refuse(jobs);
            }
            if data.log.on {
                data.log.selected = None;
            } else {
                data.set_logging(true);
            }
        }
        self.aof
            .prepare_rewrite(at, config.get_bool("aof-disable-auto-gc"));
        // aof_last_bgrewrite_status stays what it was until this one ends, as in Redis.
        self.start(jobs, JobKind::Rewrite, config, data, now);
        Ok(())
    }
}
