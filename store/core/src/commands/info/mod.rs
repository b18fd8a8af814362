//! INFO's text: Redis 7.0's sections and fields, in its order. Where radish has no such
//! feature (replication, modules, cluster, scripting), the fields carry what Redis reports
//! for a server that does not use it.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::error::Result;
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::repl_stream::ReplicaState;
use crate::state::replication::LinkState;
use crate::state::REDIS_VERSION;

mod counters;
mod persistence;
mod system;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("info", -1, info_command)
        .flags(flags!(LOADING | STALE))
        .acl(acl!(DANGEROUS))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .doc(Group::Server, "1.0.0", "Get information and statistics about the server"),
];

fn info_command(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let sections: Vec<String> = args[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    // What this connection ran earlier in the same batch shows, as it would in Redis.
    if let Some(batch) = ctx.conn.stats.as_mut() {
        ctx.server.stats.commands().fold(batch);
    }
    let text = render(ctx, &sections);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// Writes one `field:value` line.
macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

/// What `INFO` with no argument, or `INFO default`, shows (Redis's `default_sections`;
/// `module_list` is the `# Modules` section).
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Every section, in output order, with its title.
const SECTIONS: &[(&str, &str)] = &[
    ("server", "Server"),
    ("clients", "Clients"),
    ("memory", "Memory"),
    ("persistence", "Persistence"),
    ("stats", "Stats"),
    ("replication", "Replication"),
    ("cpu", "CPU"),
    ("modules", "Modules"),
    ("commandstats", "Commandstats"),
    ("errorstats", "Errorstats"),
    ("latencystats", "Latencystats"),
    ("cluster", "Cluster"),
    ("keyspace", "Keyspace"),
];

/// Which sections a request asks for, as Redis's `genInfoSectionDict`.
struct Selection {
    /// `all` or `everything`: every section (no module has sections of its own to add,
    /// which is all that `everything` adds over `all`).
    all: bool,
    /// Section names asked for, lower case.
    names: Vec<String>,
}

impl Selection {
    fn new(requested: &[String]) -> Selection {
        if requested.is_empty() {
            return Selection {
                all: false,
                names: DEFAULT_SECTIONS.iter().map(|s| s.to_string()).collect(),
            };
        }
        let mut selection = Selection {
            all: false,
            names: Vec::new(),
        };
        for name in requested {
            let name = name.to_ascii_lowercase();
            match name.as_str() {
                "default" => selection
                    .names
                    .extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
                "all" | "everything" => selection.all = true,
                _ => selection.names.push(name),
            }
        }
        selection
    }

    fn wants(&self, section: &str) -> bool {
        let named = |name: &str| self.names.iter().any(|n| n == name);
        self.all || named(section) || (section == "modules" && named("module_list"))
    }
}

/// Renders the requested INFO sections: the default ones when none is named; `all` and
/// `everything` give every section; several may be named (any case); unknown names give
/// nothing. Sections are separated by a blank line, as in Redis.
pub fn render(ctx: &mut Ctx<'_, '_>, requested: &[String]) -> String {
    let selection = Selection::new(requested);
    let mut out = String::with_capacity(4096);
    for &(name, title) in SECTIONS {
        if !selection.wants(name) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let _ = write!(out, "# {title}\r\n");
        match name {
            "server" => server(ctx, &mut out),
            "clients" => clients(ctx, &mut out),
            "memory" => memory(ctx, &mut out),
            "persistence" => persistence(ctx, &mut out),
            "stats" => stats(ctx, &mut out),
            "replication" => replication(ctx, &mut out),
            "cpu" => cpu(&mut out),
            "commandstats" => counters::commandstats(&ctx.server.stats.commands(), &mut out),
            "errorstats" => counters::errorstats(&ctx.server.stats.commands(), &mut out),
            "latencystats" => latencystats(ctx, &mut out),
            "cluster" => line!(out, "cluster_enabled:0"),
            "keyspace" => keyspace(ctx, &mut out),
            // No modules: the section is only its title.
            _ => {}
        }
    }
    out
}

fn server(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let uptime = ctx.now.saturating_sub(ctx.server.started_at) / 1000;
    let config = ctx.server.config();
    line!(out, "redis_version:{REDIS_VERSION}");
    line!(out, "redis_git_sha1:00000000");
    line!(out, "redis_git_dirty:0");
    line!(out, "redis_build_id:0");
    line!(out, "redis_mode:standalone");
    line!(out, "os:{}", system::os_name());
    line!(out, "arch_bits:{}", usize::BITS);
    // The pump's timer uses Rust's Instant: clock_gettime(CLOCK_MONOTONIC). Both
    // runtimes poll with epoll.
    line!(out, "monotonic_clock:POSIX clock_gettime");
    line!(out, "multiplexing_api:epoll");
    // std's atomics are the C11 memory model's builtins.
    line!(out, "atomicvar_api:c11-builtin");
    // What Redis prints when it was not built by gcc.
    line!(out, "gcc_version:0.0.0");
    line!(out, "process_id:{}", std::process::id());
    line!(out, "process_supervised:no");
    line!(out, "run_id:{}", ctx.server.stats.run_id);
    line!(out, "tcp_port:{}", ctx.server.port.load(Ordering::Relaxed));
    line!(out, "server_time_usec:{}", ctx.now * 1000);
    line!(out, "uptime_in_seconds:{uptime}");
    line!(out, "uptime_in_days:{}", uptime / 86_400);
    line!(out, "hz:{}", config.get_int("hz"));
    line!(out, "configured_hz:{}", config.get_int("hz"));
    // Redis's LRU clock: seconds, on 24 bits.
    line!(out, "lru_clock:{}", (ctx.now / 1000) & 0xff_ffff);
    line!(
        out,
        "executable:{}",
        std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    line!(
        out,
        "config_file:{}",
        config.config_file.as_deref().unwrap_or("")
    );
    line!(out, "io_threads_active:0");
}

fn clients(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    // Clients CLIENT PAUSE holds count as blocked, as in Redis.
    let blocked = ctx.keyspace().waiting() + ctx.server.pause.waiting();
    let clients = ctx.server.clients.all();
    // As the tick sampled them over the last seconds, as Redis's clientsCron does.
    let (max_input, max_output) = ctx.server.clients.recent_peaks();
    line!(out, "connected_clients:{}", clients.len());
    line!(out, "cluster_connections:0");
    line!(
        out,
        "maxclients:{}",
        ctx.server.config().get_int("maxclients")
    );
    line!(out, "client_recent_max_input_buffer:{max_input}");
    line!(out, "client_recent_max_output_buffer:{max_output}");
    line!(out, "blocked_clients:{blocked}");
    let tracking_clients = ctx.keyspace().tracking.client_count();
    line!(out, "tracking_clients:{tracking_clients}");
    line!(out, "clients_in_timeout_table:0");
}

/// Resident memory from /proc (Linux), or 0 where it cannot be read.
pub fn resident_memory() -> u64 {
    let page = 4096;
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page)
}

/// Redis's `bytesToHuman`.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if bytes < 1024 {
        return format!("{bytes}B");
    }
    let mut scaled = bytes as f64 / 1024.0;
    for unit in UNITS {
        if scaled < 1024.0 {
            return format!("{scaled:.2}{unit}");
        }
        scaled /= 1024.0;
    }
    format!("{bytes}B")
}

/// `part / whole` as Redis prints ratios (`%.2f`; a zero `whole` gives Redis's `inf`/`nan`
/// rather than a panic).
fn ratio(part: u64, whole: u64) -> f64 {
    part as f64 / whole as f64
}

fn memory(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let server = ctx.server;
    let keyspace = ctx.keyspace();
    let used = keyspace.used_memory() as u64;
    // As Redis's split: the data is every key's record (key, value, deadline, access clock,
    // with what they own on the heap); the overhead is the baseline and the tables' own
    // bytes (hashes, index, the expiry set), like Redis's dict entries and buckets.
    let startup = crate::state::keyspace::BASELINE as u64;
    let record = std::mem::size_of::<(radish_data::CompactBytes, radish_data::Entry)>();
    let dataset: u64 = (0..keyspace.len())
        .map(|index| {
            let db = keyspace.db(index);
            (db.heap() + db.len() * record) as u64
        })
        .sum();
    let overhead = used.saturating_sub(dataset);
    let rss = resident_memory();
    let peak = {
        let mut sampled = server.stats.sampled();
        sampled.saw_memory(used);
        sampled.peak_memory
    };
    let system_memory = system::total_memory();
    let config = server.config();
    let maxmemory = config.get_int("maxmemory") as u64;
    // radish uses the system allocator (glibc malloc), which gives no statistics of its
    // own; Redis built on libc then takes the allocator's figures as used_memory (allocated)
    // and the RSS (active, resident), and so does this.
    let (allocated, active, resident) = (used, rss, rss);
    line!(out, "used_memory:{used}");
    line!(out, "used_memory_human:{}", human(used));
    line!(out, "used_memory_rss:{rss}");
    line!(out, "used_memory_rss_human:{}", human(rss));
    line!(out, "used_memory_peak:{peak}");
    line!(out, "used_memory_peak_human:{}", human(peak));
    line!(out, "used_memory_peak_perc:{:.2}%", ratio(used * 100, peak));
    line!(out, "used_memory_overhead:{overhead}");
    line!(out, "used_memory_startup:{startup}");
    line!(out, "used_memory_dataset:{dataset}");
    let net_usage = used.saturating_sub(startup).max(1);
    line!(
        out,
        "used_memory_dataset_perc:{:.2}%",
        ratio(dataset * 100, net_usage)
    );
    line!(out, "allocator_allocated:{allocated}");
    line!(out, "allocator_active:{active}");
    line!(out, "allocator_resident:{resident}");
    line!(out, "total_system_memory:{system_memory}");
    line!(out, "total_system_memory_human:{}", human(system_memory));
    // The two Lua states, as Redis counts them: whole kilobytes of Lua's heap.
    // A script may be the one asking, holding the cache: then the figures published when
    // it was last changed (and the running script cached).
    let (eval_vm, cached, scripts_memory) = match server.try_scripts() {
        Some(scripts) => (scripts.lua_memory(), scripts.len(), scripts.memory()),
        None => {
            let published = &server.scripts_stats;
            (
                published.lua_memory(),
                published.count(),
                published.memory(),
            )
        }
    };
    let eval_vm = eval_vm / 1024 * 1024;
    let (functions_vm, function_count, library_count, functions_memory) = {
        let functions = server.functions();
        (
            functions.lua_memory() / 1024 * 1024,
            functions.function_count(),
            functions.library_count(),
            functions.memory(),
        )
    };
    let (eval_vm, functions_vm) = (eval_vm as u64, functions_vm as u64);
    let (scripts_memory, functions_memory) = (scripts_memory as u64, functions_memory as u64);
    line!(out, "used_memory_lua:{eval_vm}");
    line!(out, "used_memory_vm_eval:{eval_vm}");
    line!(out, "used_memory_lua_human:{}", human(eval_vm));
    line!(out, "used_memory_scripts_eval:{scripts_memory}");
    line!(out, "number_of_cached_scripts:{cached}");
    line!(out, "number_of_functions:{function_count}");
    line!(out, "number_of_libraries:{library_count}");
    line!(out, "used_memory_vm_functions:{functions_vm}");
    line!(out, "used_memory_vm_total:{}", eval_vm + functions_vm);
    line!(
        out,
        "used_memory_vm_total_human:{}",
        human(eval_vm + functions_vm)
    );
    line!(out, "used_memory_functions:{functions_memory}");
    line!(
        out,
        "used_memory_scripts:{}",
        scripts_memory + functions_memory
    );
    line!(
        out,
        "used_memory_scripts_human:{}",
        human(scripts_memory + functions_memory)
    );
    line!(out, "maxmemory:{maxmemory}");
    line!(out, "maxmemory_human:{}", human(maxmemory));
    line!(
        out,
        "maxmemory_policy:{}",
        config.get("maxmemory-policy").unwrap_or("noeviction")
    );
    line!(out, "allocator_frag_ratio:{:.2}", ratio(active, allocated));
    line!(
        out,
        "allocator_frag_bytes:{}",
        active as i64 - allocated as i64
    );
    line!(out, "allocator_rss_ratio:{:.2}", ratio(resident, active));
    line!(
        out,
        "allocator_rss_bytes:{}",
        resident as i64 - active as i64
    );
    line!(out, "rss_overhead_ratio:{:.2}", ratio(rss, resident));
    line!(out, "rss_overhead_bytes:{}", rss as i64 - resident as i64);
    line!(out, "mem_fragmentation_ratio:{:.2}", ratio(rss, used));
    line!(out, "mem_fragmentation_bytes:{}", rss as i64 - used as i64);
    // No replication or cluster; clients' buffers are counted in used_memory (and evicted
    // for, as in Redis); the log's buffer is not counted.
    line!(out, "mem_not_counted_for_evict:0");
    line!(out, "mem_replication_backlog:0");
    line!(out, "mem_total_replication_buffers:0");
    line!(out, "mem_clients_slaves:0");
    line!(
        out,
        "mem_clients_normal:{}",
        keyspace
            .client_buffers
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    line!(out, "mem_cluster_links:0");
    line!(out, "mem_aof_buffer:0");
    line!(out, "mem_allocator:libc");
    line!(out, "active_defrag_running:0");
    // Keys are freed at once (FLUSHALL ASYNC included): nothing is ever pending.
    line!(out, "lazyfree_pending_objects:0");
    line!(out, "lazyfreed_objects:0");
}

fn persistence(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let (server, now) = (ctx.server, ctx.now);
    let status = server.persist.status(ctx.keyspace(), now);
    persistence::render(&status, server.config().get_bool("appendonly"), out);
}

fn stats(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let now = ctx.now;
    let stats = &ctx.server.stats;
    let connections = stats.connections.load(Ordering::Relaxed);
    let rejected = stats.rejected_connections.load(Ordering::Relaxed);
    let input = stats.net_input_bytes.load(Ordering::Relaxed);
    let output = stats.net_output_bytes.load(Ordering::Relaxed);
    let (commands, error_replies, reads, writes) = {
        let counters = stats.commands();
        (
            counters.processed,
            counters.error_replies,
            counters.reads,
            counters.writes,
        )
    };
    let syncs = [
        &stats.sync_full,
        &stats.sync_partial_ok,
        &stats.sync_partial_err,
    ]
    .map(|counter| counter.load(Ordering::Relaxed));
    let sampled = stats.sampled().clone();
    let (ops_per_sec, input_per_sec, output_per_sec) = sampled.rates();
    let (eviction_total, eviction_current) = sampled.eviction_exceeded(now);
    let (channels, patterns, shard_channels) = {
        let pubsub = ctx.server.pubsub();
        (
            pubsub.active_channels(None).len(),
            pubsub.pattern_count(),
            pubsub.shard_channel_count(),
        )
    };
    let keyspace = ctx.keyspace();
    let expired = keyspace.expired_keys();
    let hits: u64 = keyspace.dbs().iter().map(|db| db.hits).sum();
    let misses: u64 = keyspace.dbs().iter().map(|db| db.misses).sum();
    line!(out, "total_connections_received:{connections}");
    line!(out, "total_commands_processed:{commands}");
    line!(out, "instantaneous_ops_per_sec:{ops_per_sec}");
    line!(out, "total_net_input_bytes:{input}");
    line!(out, "total_net_output_bytes:{output}");
    line!(out, "total_net_repl_input_bytes:0");
    line!(out, "total_net_repl_output_bytes:0");
    line!(
        out,
        "instantaneous_input_kbps:{:.2}",
        input_per_sec as f64 / 1024.0
    );
    line!(
        out,
        "instantaneous_output_kbps:{:.2}",
        output_per_sec as f64 / 1024.0
    );
    line!(out, "instantaneous_input_repl_kbps:0.00");
    line!(out, "instantaneous_output_repl_kbps:0.00");
    line!(out, "rejected_connections:{rejected}");
    line!(out, "sync_full:{}", syncs[0]);
    line!(out, "sync_partial_ok:{}", syncs[1]);
    line!(out, "sync_partial_err:{}", syncs[2]);
    line!(out, "expired_keys:{expired}");
    line!(out, "expired_stale_perc:{:.2}", sampled.stale_share * 100.0);
    // Active expiry is bounded in rounds rather than time: a tick that stops at that bound
    // with expired keys left is what Redis's time cap counts.
    line!(
        out,
        "expired_time_cap_reached_count:{}",
        sampled.expire_capped
    );
    line!(
        out,
        "expire_cycle_cpu_milliseconds:{}",
        sampled.expire_micros / 1000
    );
    line!(out, "evicted_keys:{}", keyspace.eviction.evicted);
    line!(
        out,
        "evicted_clients:{}",
        ctx.server.clients.evicted.load(Ordering::Relaxed)
    );
    line!(out, "total_eviction_exceeded_time:{eviction_total}");
    line!(out, "current_eviction_exceeded_time:{eviction_current}");
    line!(out, "keyspace_hits:{hits}");
    line!(out, "keyspace_misses:{misses}");
    line!(out, "pubsub_channels:{channels}");
    line!(out, "pubsub_patterns:{patterns}");
    line!(out, "pubsubshard_channels:{shard_channels}");
    // Background saves run on a thread: there is never a fork.
    line!(out, "latest_fork_usec:0");
    line!(out, "total_forks:0");
    let migrate_links = ctx.server.links().len();
    line!(out, "migrate_cached_sockets:{migrate_links}");
    line!(out, "slave_expires_tracked_keys:0");
    line!(out, "active_defrag_hits:0");
    line!(out, "active_defrag_misses:0");
    line!(out, "active_defrag_key_hits:0");
    line!(out, "active_defrag_key_misses:0");
    line!(out, "total_active_defrag_time:0");
    line!(out, "current_active_defrag_time:0");
    let tracking = &ctx.keyspace().tracking;
    let (keys, items, prefixes) = (
        tracking.key_count(),
        tracking.item_count(),
        tracking.prefix_count(),
    );
    line!(out, "tracking_total_keys:{keys}");
    line!(out, "tracking_total_items:{items}");
    line!(out, "tracking_total_prefixes:{prefixes}");
    line!(out, "unexpected_error_replies:0");
    line!(out, "total_error_replies:{error_replies}");
    line!(out, "dump_payload_sanitizations:0");
    line!(out, "total_reads_processed:{reads}");
    line!(out, "total_writes_processed:{writes}");
    line!(out, "io_threaded_reads_processed:0");
    line!(out, "io_threaded_writes_processed:0");
    line!(out, "reply_buffer_shrinks:0");
    line!(out, "reply_buffer_expands:0");
}

/// A master with no replicas and no backlog, as Redis is until a replica connects.
fn replication(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let (read_only, priority, announced, backlog_size) = {
        let config = ctx.server.config();
        (
            config.get_bool("replica-read-only"),
            config.get_int("replica-priority"),
            config.get_bool("replica-announced"),
            config.get_int("repl-backlog-size"),
        )
    };
    let now = ctx.now;
    // The replicas fed, from under the data lock, taken before replication's lock.
    let (replicas, stream_offset, backlog) = {
        let data = ctx.keyspace();
        let replicas: Vec<String> = data
            .repl
            .replicas
            .iter()
            .map(|replica| {
                let lag = match replica.state {
                    ReplicaState::Online => now.saturating_sub(replica.ack_time) / 1000,
                    _ => 0,
                };
                format!(
                    "ip={},port={},state={},offset={},lag={lag}",
                    replica.ip,
                    replica.listening_port,
                    replica.state.info_name(),
                    replica.ack
                )
            })
            .collect();
        let backlog = data.repl.active().then(|| data.repl.backlog_span());
        (replicas, data.repl.offset, backlog)
    };
    let good = ctx
        .server
        .min_replicas()
        .map(|(_, max_lag)| ctx.keyspace().repl.good(max_lag, now));
    let replication = ctx.server.replication();
    let seconds = |since: radish_data::Millis| (now.saturating_sub(since) / 1000) as i64;
    match &replication.primary {
        None => line!(out, "role:master"),
        Some(primary) => {
            let connected = primary.state == LinkState::Connected;
            // What the link applied, or 1 before it ever synchronised, as Redis prints it.
            let offset = match (connected, &replication.cached) {
                (true, _) => replication.offset as i64,
                (false, Some((_, offset))) => *offset as i64,
                (false, None) => 1,
            };
            line!(out, "role:slave");
            line!(out, "master_host:{}", primary.host);
            line!(out, "master_port:{}", primary.port);
            line!(
                out,
                "master_link_status:{}",
                if connected { "up" } else { "down" }
            );
            let last_io = if connected {
                seconds(primary.last_io)
            } else {
                -1
            };
            line!(out, "master_last_io_seconds_ago:{last_io}");
            let transfer = primary.state == LinkState::Transfer;
            line!(out, "master_sync_in_progress:{}", u8::from(transfer));
            line!(out, "slave_read_repl_offset:{offset}");
            line!(out, "slave_repl_offset:{offset}");
            if transfer {
                let (size, read) = (primary.transfer_size, primary.transfer_read);
                let percent = if size > 0 {
                    read as f64 / size as f64 * 100.0
                } else {
                    0.0
                };
                line!(out, "master_sync_total_bytes:{}", size as i64);
                line!(out, "master_sync_read_bytes:{read}");
                line!(out, "master_sync_left_bytes:{}", size as i64 - read as i64);
                line!(out, "master_sync_perc:{percent:.2}");
                let last = seconds(primary.transfer_last_io);
                line!(out, "master_sync_last_io_seconds_ago:{last}");
            }
            if !connected {
                let down = match primary.down_since {
                    0 => -1,
                    since => seconds(since),
                };
                line!(out, "master_link_down_since_seconds:{down}");
            }
            line!(out, "slave_priority:{priority}");
            line!(out, "slave_read_only:{}", u8::from(read_only));
            line!(out, "replica_announced:{}", u8::from(announced));
        }
    }
    line!(out, "connected_slaves:{}", replicas.len());
    if let Some(good) = good {
        line!(out, "min_slaves_good_slaves:{good}");
    }
    for (index, replica) in replicas.iter().enumerate() {
        line!(out, "slave{index}:{replica}");
    }
    let offset = match replication.primary {
        Some(_) => replication.offset,
        None => stream_offset,
    };
    line!(out, "master_failover_state:no-failover");
    line!(out, "master_replid:{}", replication.replid);
    line!(out, "master_replid2:{}", replication.replid2);
    line!(out, "master_repl_offset:{offset}");
    line!(out, "second_repl_offset:{}", replication.second_offset);
    let (first, histlen) = backlog.unwrap_or((0, 0));
    line!(out, "repl_backlog_active:{}", u8::from(backlog.is_some()));
    line!(out, "repl_backlog_size:{backlog_size}");
    line!(out, "repl_backlog_first_byte_offset:{first}");
    line!(out, "repl_backlog_histlen:{histlen}");
}

fn cpu(out: &mut String) {
    let usage = system::cpu_usage();
    let seconds = |micros: u64| format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    line!(out, "used_cpu_sys:{}", seconds(usage.process.system));
    line!(out, "used_cpu_user:{}", seconds(usage.process.user));
    line!(
        out,
        "used_cpu_sys_children:{}",
        seconds(usage.children.system)
    );
    line!(
        out,
        "used_cpu_user_children:{}",
        seconds(usage.children.user)
    );
    line!(
        out,
        "used_cpu_sys_main_thread:{}",
        seconds(usage.main_thread.system)
    );
    line!(
        out,
        "used_cpu_user_main_thread:{}",
        seconds(usage.main_thread.user)
    );
}

/// Redis's default `latency-tracking-info-percentiles`.
const DEFAULT_PERCENTILES: &[f64] = &[50.0, 99.0, 99.9];

/// Per-command latency percentiles. Follows `latency-tracking` and
/// `latency-tracking-info-percentiles` when the configuration has them, else Redis's
/// defaults (on; 50, 99, 99.9).
fn latencystats(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let percentiles: Vec<f64> = {
        let config = ctx.server.config();
        if config.get("latency-tracking") == Some("no") {
            return;
        }
        match config.get("latency-tracking-info-percentiles") {
            Some(text) => text
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect(),
            None => DEFAULT_PERCENTILES.to_vec(),
        }
    };
    counters::latencystats(&ctx.server.stats.commands(), &percentiles, out);
}

fn keyspace(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let server = ctx.server;
    let keyspace = ctx.keyspace();
    let sampled = server.stats.sampled();
    for (index, db) in keyspace.dbs().iter().enumerate() {
        if !db.is_empty() || db.volatile_len() > 0 {
            line!(
                out,
                "db{index}:keys={},expires={},avg_ttl={}",
                db.len(),
                db.volatile_len(),
                sampled.avg_ttl(index)
            );
        }
    }
}
