//! MEMORY: what a key costs, and the server's memory figures, from radish's own accounting
//! (`radish_data::alloc`): keys and values as the allocator rounds them, tables by their size,
//! and a fixed baseline for the server itself.
//!
//! Radish runs on the system allocator, which reports nothing about itself: as Redis does
//! when built without jemalloc, the allocator's figures are taken from the process's resident
//! size, MALLOC-STATS says the allocator has no statistics, and PURGE has nothing to do.

use radish_data::types::zset::score::format_score;
use radish_data::value::value_heap;
use radish_data::CompactBytes;

use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{flags, key, range, Command, Group};
use crate::exec::ctx::Ctx;

/// MEMORY's subcommands.
#[rustfmt::skip]
pub(super) const SUBCOMMANDS: &[Command] = &[
    Command::new("memory|doctor", 2, doctor)
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .doc(Group::Server, "4.0.0", "Outputs memory problems report"),
    Command::new("memory|help", 2, memory_help)
        .flags(flags!(LOADING | STALE))
        .doc(Group::Server, "4.0.0", "Show helpful text about the different subcommands",),
    Command::new("memory|malloc-stats", 2, malloc_stats)
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .doc(Group::Server, "4.0.0", "Show allocator internal stats"),
    Command::new("memory|purge", 2, purge)
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(Group::Server, "4.0.0", "Ask the allocator to release memory",),
    Command::new("memory|stats", 2, stats)
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .doc(Group::Server, "4.0.0", "Show memory usage details"),
    Command::new("memory|usage", -3, usage)
        .flags(flags!(READONLY))
        .keys(&[range(2, 0, 1, key!(RO))])
        .doc(Group::Server, "4.0.0", "Estimate the memory usage of a key"),
];

/// What the allocator is called in reports (INFO's `mem_allocator`).
const ALLOCATOR: &str = "libc";

/// Bytes of a key's slot in the main table, with its share of the index.
fn main_slot() -> usize {
    radish_data::keys::Keys::entry_bytes()
}

/// MEMORY USAGE key [SAMPLES count]: the bytes the key costs: its bytes, its value, and its
/// slot in the database's table. As in Redis, a deadline's bookkeeping is not counted (INFO's
/// used_memory counts it). Radish knows every value's size exactly, so SAMPLES is checked
/// but has nothing to change.
fn usage(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut i = 3;
    while i < args.len() {
        if is(args[i], "samples") && i + 1 < args.len() {
            if parse_int(args[i + 1])? < 0 {
                return Err(Error::Syntax);
            }
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let key = &args[2];
    // As Redis, a key past its deadline but not yet removed is still measured.
    let Some(entry) = ctx.db().peek(key) else {
        ctx.reply.null();
        return Ok(());
    };
    let key = CompactBytes::new(key);
    let bytes = key.heap_size() + value_heap(&entry.value) + main_slot();
    ctx.reply.integer(bytes as i64);
    Ok(())
}

/// One database's table overhead: its main table, and its table of keys with a deadline.
struct DbOverhead {
    index: usize,
    main: usize,
    expires: usize,
}

/// The figures of MEMORY STATS and MEMORY DOCTOR (Redis's `getMemoryOverheadData`).
struct Overhead {
    peak: usize,
    total: usize,
    startup: usize,
    dbs: Vec<DbOverhead>,
    keys: usize,
    rss: usize,
}

impl Overhead {
    fn measure(ctx: &mut Ctx<'_, '_>) -> Overhead {
        let keyspace = ctx.keyspace();
        let total = keyspace.used_memory();
        let mut dbs = Vec::new();
        let mut keys = 0;
        for index in 0..keyspace.len() {
            let db = keyspace.db(index);
            if db.is_empty() {
                continue;
            }
            keys += db.len();
            // The tables are what the database costs beyond its keys and values: the list of
            // keys with a deadline, and the main table.
            let tables = db.used_memory().saturating_sub(db.heap());
            let expires = db.volatile_overhead().min(tables);
            dbs.push(DbOverhead {
                index,
                main: tables - expires,
                expires,
            });
        }
        // The peak the server's tick keeps, which may not have seen the latest change yet.
        let peak = (ctx.server.stats.sampled().peak_memory as usize).max(total);
        Overhead {
            peak,
            total,
            startup: crate::state::keyspace::BASELINE,
            dbs,
            keys,
            rss: super::super::info::resident_memory() as usize,
        }
    }

    /// What is not the dataset: the server itself and the tables.
    fn overhead_total(&self) -> usize {
        self.startup
            + self
                .dbs
                .iter()
                .map(|db| db.main + db.expires)
                .sum::<usize>()
    }

    /// Memory used beyond start-up (at least 1, to divide by).
    fn net(&self) -> usize {
        if self.total > self.startup {
            self.total - self.startup
        } else {
            1
        }
    }
}

/// `a / b` computed in single precision, as Redis computes its ratios, then widened.
fn ratio(a: usize, b: usize) -> f64 {
    f64::from(a as f32 / b as f32)
}

/// `a` as a percentage of `b`, in single precision as Redis computes it.
fn percent(a: usize, b: usize) -> f64 {
    f64::from(a as f32 * 100.0 / b as f32)
}

/// `a - b` as Redis reports it: unsigned arithmetic read back as a signed number.
fn difference(a: usize, b: usize) -> i64 {
    (a as i64).wrapping_sub(b as i64)
}

/// Writes a double as Redis 7.0 does: `%.17g`, a bulk string in RESP2.
fn write_double(ctx: &mut Ctx<'_, '_>, value: f64) {
    ctx.reply.double_text(format_score(value).as_bytes());
}

fn stats(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let o = Overhead::measure(ctx);
    let overhead_total = o.overhead_total();
    let dataset = o.total.saturating_sub(overhead_total);
    let bytes_per_key = o.net().checked_div(o.keys).unwrap_or(0);
    // Without allocator statistics, Redis takes the resident size for the allocator's active
    // and resident bytes, and what it allocated for the allocator's allocated bytes.
    let (allocated, active, resident) = (o.total, o.rss, o.rss);
    let integers: [(&str, i64); 10] = [
        ("peak.allocated", o.peak as i64),
        ("total.allocated", o.total as i64),
        ("startup.allocated", o.startup as i64),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("clients.normal", 0),
        ("cluster.links", 0),
        ("aof.buffer", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ];
    ctx.reply.map(27 + o.dbs.len());
    for (name, value) in integers {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.integer(value);
    }
    for db in &o.dbs {
        ctx.reply.bulk(format!("db.{}", db.index).as_bytes());
        ctx.reply.map(3);
        ctx.reply.bulk(b"overhead.hashtable.main");
        ctx.reply.integer(db.main as i64);
        ctx.reply.bulk(b"overhead.hashtable.expires");
        ctx.reply.integer(db.expires as i64);
        ctx.reply.bulk(b"overhead.hashtable.slot-to-keys");
        ctx.reply.integer(0);
    }
    let fields: [(&str, Figure); 17] = [
        ("overhead.total", Figure::Int(overhead_total as i64)),
        ("keys.count", Figure::Int(o.keys as i64)),
        ("keys.bytes-per-key", Figure::Int(bytes_per_key as i64)),
        ("dataset.bytes", Figure::Int(dataset as i64)),
        ("dataset.percentage", Figure::Percent(dataset, o.net())),
        ("peak.percentage", Figure::Percent(o.total, o.peak)),
        ("allocator.allocated", Figure::Int(allocated as i64)),
        ("allocator.active", Figure::Int(active as i64)),
        ("allocator.resident", Figure::Int(resident as i64)),
        (
            "allocator-fragmentation.ratio",
            Figure::Ratio(active, allocated),
        ),
        (
            "allocator-fragmentation.bytes",
            Figure::Int(difference(active, allocated)),
        ),
        ("allocator-rss.ratio", Figure::Ratio(resident, active)),
        (
            "allocator-rss.bytes",
            Figure::Int(difference(resident, active)),
        ),
        ("rss-overhead.ratio", Figure::Ratio(o.rss, resident)),
        (
            "rss-overhead.bytes",
            Figure::Int(difference(o.rss, resident)),
        ),
        ("fragmentation", Figure::Ratio(o.rss, o.total)),
        (
            "fragmentation.bytes",
            Figure::Int(difference(o.rss, o.total)),
        ),
    ];
    for (name, figure) in fields {
        ctx.reply.bulk(name.as_bytes());
        match figure {
            Figure::Int(value) => ctx.reply.integer(value),
            Figure::Ratio(a, b) => write_double(ctx, ratio(a, b)),
            Figure::Percent(a, b) => write_double(ctx, percent(a, b)),
        }
    }
    Ok(())
}

/// A MEMORY STATS value: a count of bytes, a ratio of two, or one as a percentage of the
/// other.
enum Figure {
    Int(i64),
    Ratio(usize, usize),
    Percent(usize, usize),
}

/// MEMORY DOCTOR: Redis's report, from the same checks on radish's figures. Radish has no
/// replicas, scripts or client buffers in its accounting, so only the peak and
/// fragmentation checks can find anything.
fn doctor(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let o = Overhead::measure(ctx);
    const MIB: usize = 1024 * 1024;
    let text = if o.total < 5 * MIB {
        "Hi Sam, this instance is empty or is using very little memory, my issues detector \
         can't be used in these conditions. Please, leave for your mission on Earth and fill it \
         with some data. The new Sam and I will be back to our programming as soon as I \
         finished rebooting.\n"
            .to_string()
    } else {
        let mut issues = Vec::new();
        if ratio(o.peak, o.total) > 1.5 {
            issues.push(
                " * Peak memory: In the past this instance used more than 150% the memory that \
                 is currently using. The allocator is normally not able to release memory after \
                 a peak, so you can expect to see a big fragmentation ratio, however this is \
                 actually harmless and is only due to the memory peak, and if the Redis \
                 instance Resident Set Size (RSS) is currently bigger than expected, the memory \
                 will be used as soon as you fill the Redis instance with more data. If the \
                 memory peak was only occasional and you want to try to reclaim memory, please \
                 try the MEMORY PURGE command, otherwise the only other option is to shutdown \
                 and restart the instance.\n\n"
                    .to_string(),
            );
        }
        // The resident size stands for the allocator's active bytes, so total and allocator
        // fragmentation are one figure, checked against both thresholds.
        let fragmented = difference(o.rss, o.total) > 10 * MIB as i64;
        if ratio(o.rss, o.total) > 1.4 && fragmented {
            issues.push(format!(
                " * High total RSS: This instance has a memory fragmentation and RSS overhead \
                 greater than 1.4 (this means that the Resident Set Size of the Redis process is \
                 much larger than the sum of the logical allocations Redis performed). This \
                 problem is usually due either to a large peak memory (check if there is a peak \
                 memory entry above in the report) or may result from a workload that causes \
                 the allocator to fragment memory a lot. If the problem is a large peak memory, \
                 then there is no issue. Otherwise, make sure you are using the Jemalloc \
                 allocator and not the default libc malloc. Note: The currently used allocator \
                 is \"{ALLOCATOR}\".\n\n"
            ));
        }
        if ratio(o.rss, o.total) > 1.1 && fragmented {
            issues.push(
                " * High allocator fragmentation: This instance has an allocator external \
                 fragmentation greater than 1.1. This problem is usually due either to a large \
                 peak memory (check if there is a peak memory entry above in the report) or may \
                 result from a workload that causes the allocator to fragment memory a lot. You \
                 can try enabling 'activedefrag' config option.\n\n"
                    .to_string(),
            );
        }
        if issues.is_empty() {
            "Hi Sam, I can't find any memory issue in your instance. I can only account for \
             what occurs on this base.\n"
                .to_string()
        } else {
            format!(
                "Sam, I detected a few issues in this Redis instance memory implants:\n\n{}I'm \
                 here to keep you safe, Sam. I want to help you.\n",
                issues.concat()
            )
        }
    };
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn malloc_stats(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // Redis's reply when its allocator is not jemalloc.
    ctx.reply
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}

fn purge(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // Only jemalloc has dirty pages to purge; with any other allocator Redis replies OK.
    ctx.reply.ok();
    Ok(())
}

fn memory_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_single_precision_like_redis() {
        // Redis printed 99.910133361816406 for this dataset share.
        assert_eq!(
            format_score(percent(764_920, 765_608)),
            "99.910133361816406"
        );
        assert_eq!(
            format_score(percent(1_641_880, 1_642_040)),
            "99.990257263183594"
        );
        assert_eq!(difference(1, 3), -2);
    }
}
