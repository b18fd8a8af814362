//! INFO's persistence section, with Redis 7.0's fields in its order.

use std::fmt::Write as _;

use crate::persist::Status;

/// The body of `# Persistence`, for a server whose log is on if `aof_on`.
pub(super) fn render(status: &Status, aof_on: bool, out: &mut String) {
    let flag = |on: bool| u8::from(on);
    let outcome = |ok: bool| if ok { "ok" } else { "err" };
    let mut line = |name: &str, value: &dyn std::fmt::Display| {
        let _ = write!(out, "{name}:{value}\r\n");
    };
    line("loading", &0);
    line("async_loading", &0);
    line("current_cow_peak", &0);
    line("current_cow_size", &0);
    line("current_cow_size_age", &0);
    let percent = match status.keys_total {
        0 => 0.0,
        total => status.keys_processed as f64 * 100.0 / total as f64,
    };
    line("current_fork_perc", &format_args!("{percent:.2}"));
    line("current_save_keys_processed", &status.keys_processed);
    line("current_save_keys_total", &status.keys_total);
    line("rdb_changes_since_last_save", &status.dirty);
    line("rdb_bgsave_in_progress", &flag(status.bgsave_in_progress));
    line("rdb_last_save_time", &status.last_save);
    line("rdb_last_bgsave_status", &outcome(status.last_bgsave_ok));
    line("rdb_last_bgsave_time_sec", &status.last_bgsave_secs);
    line("rdb_current_bgsave_time_sec", &status.bgsave_secs);
    line("rdb_saves", &status.saves);
    line("rdb_last_cow_size", &0);
    line("rdb_last_load_keys_expired", &status.loaded_expired);
    line("rdb_last_load_keys_loaded", &status.loaded_keys);
    line("aof_enabled", &flag(aof_on));
    line("aof_rewrite_in_progress", &flag(status.rewrite_in_progress));
    line("aof_rewrite_scheduled", &flag(status.rewrite_scheduled));
    line("aof_last_rewrite_time_sec", &status.last_rewrite_secs);
    line("aof_current_rewrite_time_sec", &status.rewrite_secs);
    line(
        "aof_last_bgrewrite_status",
        &outcome(status.last_rewrite_ok),
    );
    line("aof_rewrites", &status.rewrites);
    line(
        "aof_rewrites_consecutive_failures",
        &status.rewrite_failures,
    );
    line("aof_last_write_status", &outcome(status.aof.write_ok));
    line("aof_last_cow_size", &0);
    line("module_fork_in_progress", &0);
    line("module_fork_last_cow_size", &0);
    if aof_on {
        line("aof_current_size", &status.aof.size);
        line("aof_base_size", &status.aof.base_size);
        line("aof_pending_rewrite", &flag(status.rewrite_scheduled));
        line("aof_buffer_length", &status.aof.buffered);
        line("aof_pending_bio_fsync", &flag(status.aof.syncing));
        line("aof_delayed_fsync", &0);
    }
}
