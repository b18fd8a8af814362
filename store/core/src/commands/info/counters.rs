//! INFO's counter sections: commandstats, errorstats, latencystats, from the server's command
//! and error counters.

use std::fmt::Write as _;

use crate::state::stats::CommandStats;

/// The body of `# Commandstats`: a line per command called, failed or rejected at least
/// once, subcommands as `cmdstat_client|list`, sorted by name.
pub(super) fn commandstats(stats: &CommandStats, out: &mut String) {
    for (name, entry) in stats.by_name() {
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
pub(super) fn errorstats(stats: &CommandStats, out: &mut String) {
    for (code, count) in stats.errors() {
        let _ = write!(
            out,
            "errorstat_{}:count={count}\r\n",
            safe_info_string(code)
        );
    }
}

/// The body of `# Latencystats`: the `percentiles` of each command's latency, in
/// microseconds, for every command with samples.
pub(super) fn latencystats(stats: &CommandStats, percentiles: &[f64], out: &mut String) {
    for (name, entry) in stats.by_name() {
        if entry.latency_percentile(0.0).is_none() {
            continue;
        }
        let _ = write!(out, "latency_percentiles_usec_{}:", safe_info_string(name));
        for (i, &percentile) in percentiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let nanos = entry.latency_percentile(percentile).unwrap_or(0);
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
