//! INFO's persistence section, with Redis 7.0's fields in its order.

use std::fmt::Write as _;

use super::{JobKind, Persist};
use crate::config::Config;
use crate::db::Millis;
use crate::keyspace::Keyspace;

/// The body of `# Persistence`.
pub(crate) fn render(persist: &Persist, config: &Config, data: &Keyspace, now: Millis) -> String {
    let jobs = persist.jobs();
    let running = jobs.running.as_ref().map(|job| (job.kind, job.started));
    let elapsed = |kind: JobKind| match running {
        Some((k, started)) if k == kind => (now.saturating_sub(started) / 1000) as i64,
        _ => -1,
    };
    let in_progress = |kind: JobKind| u8::from(running.is_some_and(|(k, _)| k == kind));
    let status = |ok: bool| if ok { "ok" } else { "err" };
    let aof = persist.aof.info();
    let aof_on = config.get_bool("appendonly");
    let mut out = String::with_capacity(1024);
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    line("loading", &0);
    line("async_loading", &0);
    line("current_cow_peak", &0);
    line("current_cow_size", &0);
    line("current_cow_size_age", &0);
    // The running job's progress: keys written so far, of those there were at its start.
    let (processed, total) = match jobs.running {
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
    let percent = match total {
        0 => 0.0,
        total => processed as f64 * 100.0 / total as f64,
    };
    line("current_fork_perc", &format_args!("{percent:.2}"));
    line("current_save_keys_processed", &processed);
    line("current_save_keys_total", &total);
    line("rdb_changes_since_last_save", &data.dirty);
    line("rdb_bgsave_in_progress", &in_progress(JobKind::Bgsave));
    line("rdb_last_save_time", &(jobs.last_save / 1000));
    line("rdb_last_bgsave_status", &status(jobs.last_bgsave_ok));
    line("rdb_last_bgsave_time_sec", &jobs.last_bgsave_secs);
    line("rdb_current_bgsave_time_sec", &elapsed(JobKind::Bgsave));
    line("rdb_saves", &jobs.saves);
    line("rdb_last_cow_size", &0);
    line("rdb_last_load_keys_expired", &jobs.loaded_expired);
    line("rdb_last_load_keys_loaded", &jobs.loaded_keys);
    line("aof_enabled", &u8::from(aof_on));
    line("aof_rewrite_in_progress", &in_progress(JobKind::Rewrite));
    line("aof_rewrite_scheduled", &u8::from(jobs.rewrite_scheduled));
    line("aof_last_rewrite_time_sec", &jobs.last_rewrite_secs);
    line("aof_current_rewrite_time_sec", &elapsed(JobKind::Rewrite));
    line("aof_last_bgrewrite_status", &status(jobs.last_rewrite_ok));
    line("aof_rewrites", &jobs.rewrites);
    line("aof_rewrites_consecutive_failures", &jobs.rewrite_failures);
    line("aof_last_write_status", &status(aof.write_ok));
    line("aof_last_cow_size", &0);
    line("module_fork_in_progress", &0);
    line("module_fork_last_cow_size", &0);
    if aof_on {
        line("aof_current_size", &aof.size);
        line("aof_base_size", &aof.base_size);
        line("aof_pending_rewrite", &u8::from(jobs.rewrite_scheduled));
        line("aof_buffer_length", &aof.buffered);
        line("aof_pending_bio_fsync", &u8::from(aof.syncing));
        line("aof_delayed_fsync", &0);
    }
    out
}
