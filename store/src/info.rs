//! INFO's text.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use crate::ctx::Ctx;
use crate::server::REDIS_VERSION;

const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "keyspace",
];

/// Renders the requested INFO sections (`default` when none are named; `all` and
/// `everything` give every section).
pub fn render(ctx: &mut Ctx<'_, '_>, requested: &[String]) -> String {
    let wanted: Vec<&str> = if requested.is_empty()
        || requested
            .iter()
            .any(|s| s == "default" || s == "all" || s == "everything")
    {
        DEFAULT_SECTIONS.to_vec()
    } else {
        DEFAULT_SECTIONS
            .iter()
            .copied()
            .filter(|s| requested.iter().any(|r| r == s))
            .collect()
    };
    let mut sections = Vec::new();
    for name in wanted {
        let mut body = String::new();
        match name {
            "server" => server(ctx, &mut body),
            "clients" => clients(ctx, &mut body),
            "memory" => memory(ctx, &mut body),
            "persistence" => persistence(ctx, &mut body),
            "stats" => stats(ctx, &mut body),
            "replication" => replication(&mut body),
            "cpu" => cpu(&mut body),
            _ => keyspace(ctx, &mut body),
        }
        let title = match name {
            "cpu" => "CPU".to_string(),
            other => {
                let mut title = other.to_string();
                title[..1].make_ascii_uppercase();
                title
            }
        };
        sections.push(format!("# {title}\r\n{body}"));
    }
    sections.join("\r\n")
}

macro_rules! line {
    ($out:expr, $($arg:tt)*) => {{
        let _ = write!($out, $($arg)*);
        $out.push_str("\r\n");
    }};
}

fn server(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let uptime = ctx.now.saturating_sub(ctx.server.started_at) / 1000;
    let config = ctx.server.config();
    line!(out, "redis_version:{REDIS_VERSION}");
    line!(out, "redis_git_sha1:00000000");
    line!(out, "redis_git_dirty:0");
    line!(out, "redis_build_id:0");
    line!(out, "redis_mode:standalone");
    line!(
        out,
        "os:{} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    line!(out, "arch_bits:{}", usize::BITS);
    line!(out, "monotonic_clock:POSIX clock_gettime");
    line!(out, "multiplexing_api:epoll");
    line!(out, "process_id:{}", std::process::id());
    line!(out, "run_id:{:040x}", ctx.server.started_at);
    line!(out, "tcp_port:{}", ctx.server.port.load(Ordering::Relaxed));
    line!(out, "server_time_usec:{}", ctx.now * 1000);
    line!(out, "uptime_in_seconds:{uptime}");
    line!(out, "uptime_in_days:{}", uptime / 86_400);
    line!(out, "hz:{}", config.get_int("hz"));
    line!(out, "configured_hz:{}", config.get_int("hz"));
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
}

fn clients(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let blocked = ctx.keyspace().waiting();
    line!(out, "connected_clients:{}", ctx.server.clients.len());
    line!(out, "cluster_connections:0");
    line!(
        out,
        "maxclients:{}",
        ctx.server.config().get_int("maxclients")
    );
    line!(out, "client_recent_max_input_buffer:0");
    line!(out, "client_recent_max_output_buffer:0");
    line!(out, "blocked_clients:{blocked}");
    line!(out, "tracking_clients:0");
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

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if b < 1024.0 {
        format!("{bytes}B")
    } else if b < 1024.0 * 1024.0 {
        format!("{:.2}K", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", b / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", b / (1024.0 * 1024.0 * 1024.0))
    }
}

fn memory(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let used = ctx.keyspace().used_memory() as u64;
    let rss = resident_memory();
    let config = ctx.server.config();
    let maxmemory = config.get_int("maxmemory") as u64;
    line!(out, "used_memory:{used}");
    line!(out, "used_memory_human:{}", human(used));
    line!(out, "used_memory_rss:{rss}");
    line!(out, "used_memory_rss_human:{}", human(rss));
    line!(out, "used_memory_peak:{used}");
    line!(out, "used_memory_peak_human:{}", human(used));
    line!(out, "maxmemory:{maxmemory}");
    line!(out, "maxmemory_human:{}", human(maxmemory));
    line!(
        out,
        "maxmemory_policy:{}",
        config.get("maxmemory-policy").unwrap_or("noeviction")
    );
    line!(
        out,
        "mem_fragmentation_ratio:{:.2}",
        rss as f64 / used.max(1) as f64
    );
    line!(out, "mem_allocator:libc");
}

fn persistence(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let (server, now) = (ctx.server, ctx.now);
    let data = ctx.keyspace();
    out.push_str(&crate::persist::render_info(
        &server.persist,
        &server.config(),
        data,
        now,
    ));
}

fn stats(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let stats = &ctx.server.stats;
    let connections = stats.connections.load(Ordering::Relaxed);
    let commands = stats.commands.load(Ordering::Relaxed);
    let rejected = stats.rejected_connections.load(Ordering::Relaxed);
    let input = stats.net_input_bytes.load(Ordering::Relaxed);
    let output = stats.net_output_bytes.load(Ordering::Relaxed);
    let keyspace = ctx.keyspace();
    let expired = keyspace.expired_keys();
    let hits: u64 = keyspace.dbs().iter().map(|db| db.hits).sum();
    let misses: u64 = keyspace.dbs().iter().map(|db| db.misses).sum();
    line!(out, "total_connections_received:{connections}");
    line!(out, "total_commands_processed:{commands}");
    line!(out, "instantaneous_ops_per_sec:0");
    line!(out, "total_net_input_bytes:{input}");
    line!(out, "total_net_output_bytes:{output}");
    line!(out, "rejected_connections:{rejected}");
    line!(out, "expired_keys:{expired}");
    line!(out, "evicted_keys:{}", keyspace.eviction.evicted);
    line!(out, "keyspace_hits:{hits}");
    line!(out, "keyspace_misses:{misses}");
    let (channels, patterns) = {
        let pubsub = ctx.server.pubsub();
        (pubsub.active_channels(None).len(), pubsub.pattern_count())
    };
    line!(out, "pubsub_channels:{channels}");
    line!(out, "pubsub_patterns:{patterns}");
}

fn replication(out: &mut String) {
    line!(out, "role:master");
    line!(out, "connected_slaves:0");
    line!(out, "master_repl_offset:0");
}

fn cpu(out: &mut String) {
    line!(out, "used_cpu_sys:0.000000");
    line!(out, "used_cpu_user:0.000000");
}

fn keyspace(ctx: &mut Ctx<'_, '_>, out: &mut String) {
    let now = ctx.now;
    let keyspace = ctx.keyspace();
    for (index, db) in keyspace.dbs().iter().enumerate() {
        if !db.is_empty() {
            let _ = now;
            line!(
                out,
                "db{index}:keys={},expires={},avg_ttl=0",
                db.len(),
                db.volatile_len()
            );
        }
    }
}
