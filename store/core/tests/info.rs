//! INFO as Redis 7.0.15 writes it: section selection, field names and order, and the
//! counters behind commandstats, errorstats, latencystats, the instantaneous rates and
//! avg_ttl, driven through a session with explicit time (the tick is called by hand).

mod support;

use radish_store::Config;
use support::{resp, Conn, T0};

/// The text of an INFO reply (RESP2 bulk string).
fn info(c: &mut Conn, args: &[&str]) -> String {
    let mut command = vec!["INFO"];
    command.extend_from_slice(args);
    body(&c.cmd(&command))
}

/// The payload of a RESP2 bulk string reply.
fn body(reply: &str) -> String {
    let (header, rest) = reply.split_once("\r\n").expect("bulk header");
    let len: usize = header[1..].parse().expect("bulk length");
    rest[..len].to_string()
}

/// The `# Title` lines of an INFO text, in order.
fn titles(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .filter_map(|line| line.strip_prefix("# "))
        .collect()
}

/// The field names of an INFO text, in order.
fn fields(text: &str) -> Vec<&str> {
    text.split("\r\n")
        .filter_map(|line| line.split_once(':').map(|(name, _)| name))
        .collect()
}

/// The value of `field` in an INFO text, if present.
fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}:");
    text.split("\r\n")
        .find_map(|line| line.strip_prefix(&prefix))
}

/// One `cmdstat_` line's counters: calls, rejected_calls, failed_calls.
fn cmdstat(c: &mut Conn, command: &str) -> Option<(u64, u64, u64)> {
    let text = info(c, &["commandstats"]);
    let line = field(&text, &format!("cmdstat_{command}"))?.to_string();
    let value = |key: &str| -> u64 {
        line.split(',')
            .find_map(|part| part.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} in {line}"))
            .parse()
            .unwrap_or_else(|_| panic!("{key} in {line}"))
    };
    Some((
        value("calls"),
        value("rejected_calls"),
        value("failed_calls"),
    ))
}

/// An `errorstat_` count.
fn errorstat(c: &mut Conn, code: &str) -> Option<u64> {
    let text = info(c, &["errorstats"]);
    let count = field(&text, &format!("errorstat_{code}"))?;
    Some(count.strip_prefix("count=")?.parse().expect("count"))
}

/// A numeric INFO stats field.
fn stat(c: &mut Conn, name: &str) -> u64 {
    let text = info(c, &["stats"]);
    field(&text, name)
        .unwrap_or_else(|| panic!("no {name}"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

const DEFAULT_TITLES: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Errorstats",
    "Cluster",
    "Keyspace",
];

const ALL_TITLES: &[&str] = &[
    "Server",
    "Clients",
    "Memory",
    "Persistence",
    "Stats",
    "Replication",
    "CPU",
    "Modules",
    "Commandstats",
    "Errorstats",
    "Latencystats",
    "Cluster",
    "Keyspace",
];

// ---------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------

#[test]
fn default_all_and_everything_select_redis_sections_in_order() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    assert_eq!(titles(&info(&mut c, &[])), DEFAULT_TITLES);
    assert_eq!(titles(&info(&mut c, &["default"])), DEFAULT_TITLES);
    assert_eq!(titles(&info(&mut c, &["all"])), ALL_TITLES);
    assert_eq!(titles(&info(&mut c, &["everything"])), ALL_TITLES);
    assert_eq!(titles(&info(&mut c, &["EVERYTHING"])), ALL_TITLES);
    // A section named with `all` is not repeated.
    assert_eq!(titles(&info(&mut c, &["cpu", "all"])), ALL_TITLES);
    assert_eq!(
        titles(&info(&mut c, &["cpu", "default"])),
        DEFAULT_TITLES,
        "cpu is already a default section"
    );
}

#[test]
fn named_sections_come_in_redis_order_any_case_and_unknown_ones_give_nothing() {
    let mut c = Conn::new();
    assert_eq!(
        titles(&info(&mut c, &["clients", "SERVER"])),
        ["Server", "Clients"]
    );
    assert_eq!(titles(&info(&mut c, &["CommandStats"])), ["Commandstats"]);
    assert_eq!(titles(&info(&mut c, &["cpu", "nosuch"])), ["CPU"]);
    assert_eq!(c.cmd(&["INFO", "nosuch"]), "$0\r\n\r\n");
    assert_eq!(info(&mut c, &["modules"]), "# Modules\r\n");
    assert_eq!(info(&mut c, &["module_list"]), "# Modules\r\n");
    assert_eq!(
        info(&mut c, &["cluster"]),
        "# Cluster\r\ncluster_enabled:0\r\n"
    );
    // One blank line between sections, none at the end.
    let text = info(&mut c, &["cluster", "modules"]);
    assert_eq!(text, "# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n");
}

#[test]
fn fixed_sections_have_redis_fields_in_redis_order() {
    // Field names of Redis 7.0.15 (`redis-cli info everything` on a fresh server).
    let expected: &[(&str, &[&str])] = &[
        (
            "server",
            &[
                "redis_version",
                "redis_git_sha1",
                "redis_git_dirty",
                "redis_build_id",
                "redis_mode",
                "os",
                "arch_bits",
                "monotonic_clock",
                "multiplexing_api",
                "atomicvar_api",
                "gcc_version",
                "process_id",
                "process_supervised",
                "run_id",
                "tcp_port",
                "server_time_usec",
                "uptime_in_seconds",
                "uptime_in_days",
                "hz",
                "configured_hz",
                "lru_clock",
                "executable",
                "config_file",
                "io_threads_active",
            ],
        ),
        (
            "clients",
            &[
                "connected_clients",
                "cluster_connections",
                "maxclients",
                "client_recent_max_input_buffer",
                "client_recent_max_output_buffer",
                "blocked_clients",
                "tracking_clients",
                "clients_in_timeout_table",
            ],
        ),
        (
            "memory",
            &[
                "used_memory",
                "used_memory_human",
                "used_memory_rss",
                "used_memory_rss_human",
                "used_memory_peak",
                "used_memory_peak_human",
                "used_memory_peak_perc",
                "used_memory_overhead",
                "used_memory_startup",
                "used_memory_dataset",
                "used_memory_dataset_perc",
                "allocator_allocated",
                "allocator_active",
                "allocator_resident",
                "total_system_memory",
                "total_system_memory_human",
                "used_memory_lua",
                "used_memory_vm_eval",
                "used_memory_lua_human",
                "used_memory_scripts_eval",
                "number_of_cached_scripts",
                "number_of_functions",
                "number_of_libraries",
                "used_memory_vm_functions",
                "used_memory_vm_total",
                "used_memory_vm_total_human",
                "used_memory_functions",
                "used_memory_scripts",
                "used_memory_scripts_human",
                "maxmemory",
                "maxmemory_human",
                "maxmemory_policy",
                "allocator_frag_ratio",
                "allocator_frag_bytes",
                "allocator_rss_ratio",
                "allocator_rss_bytes",
                "rss_overhead_ratio",
                "rss_overhead_bytes",
                "mem_fragmentation_ratio",
                "mem_fragmentation_bytes",
                "mem_not_counted_for_evict",
                "mem_replication_backlog",
                "mem_total_replication_buffers",
                "mem_clients_slaves",
                "mem_clients_normal",
                "mem_cluster_links",
                "mem_aof_buffer",
                "mem_allocator",
                "active_defrag_running",
                "lazyfree_pending_objects",
                "lazyfreed_objects",
            ],
        ),
        (
            "stats",
            &[
                "total_connections_received",
                "total_commands_processed",
                "instantaneous_ops_per_sec",
                "total_net_input_bytes",
                "total_net_output_bytes",
                "total_net_repl_input_bytes",
                "total_net_repl_output_bytes",
                "instantaneous_input_kbps",
                "instantaneous_output_kbps",
                "instantaneous_input_repl_kbps",
                "instantaneous_output_repl_kbps",
                "rejected_connections",
                "sync_full",
                "sync_partial_ok",
                "sync_partial_err",
                "expired_keys",
                "expired_stale_perc",
                "expired_time_cap_reached_count",
                "expire_cycle_cpu_milliseconds",
                "evicted_keys",
                "evicted_clients",
                "total_eviction_exceeded_time",
                "current_eviction_exceeded_time",
                "keyspace_hits",
                "keyspace_misses",
                "pubsub_channels",
                "pubsub_patterns",
                "pubsubshard_channels",
                "latest_fork_usec",
                "total_forks",
                "migrate_cached_sockets",
                "slave_expires_tracked_keys",
                "active_defrag_hits",
                "active_defrag_misses",
                "active_defrag_key_hits",
                "active_defrag_key_misses",
                "total_active_defrag_time",
                "current_active_defrag_time",
                "tracking_total_keys",
                "tracking_total_items",
                "tracking_total_prefixes",
                "unexpected_error_replies",
                "total_error_replies",
                "dump_payload_sanitizations",
                "total_reads_processed",
                "total_writes_processed",
                "io_threaded_reads_processed",
                "io_threaded_writes_processed",
                "reply_buffer_shrinks",
                "reply_buffer_expands",
            ],
        ),
        (
            "replication",
            &[
                "role",
                "connected_slaves",
                "master_failover_state",
                "master_replid",
                "master_replid2",
                "master_repl_offset",
                "second_repl_offset",
                "repl_backlog_active",
                "repl_backlog_size",
                "repl_backlog_first_byte_offset",
                "repl_backlog_histlen",
            ],
        ),
        (
            "cpu",
            &[
                "used_cpu_sys",
                "used_cpu_user",
                "used_cpu_sys_children",
                "used_cpu_user_children",
                "used_cpu_sys_main_thread",
                "used_cpu_user_main_thread",
            ],
        ),
    ];
    let mut c = Conn::new();
    for (section, names) in expected {
        let text = info(&mut c, &[section]);
        assert_eq!(&fields(&text), names, "{section}");
    }
}

#[test]
fn fields_carry_a_server_without_replication_or_scripting() {
    let mut c = Conn::new();
    let text = info(&mut c, &["everything"]);
    for (name, value) in [
        ("role", "master"),
        ("connected_slaves", "0"),
        ("master_failover_state", "no-failover"),
        ("master_replid2", "0000000000000000000000000000000000000000"),
        ("master_repl_offset", "0"),
        ("second_repl_offset", "-1"),
        ("repl_backlog_active", "0"),
        ("lazyfree_pending_objects", "0"),
        ("evicted_clients", "0"),
        ("mem_allocator", "libc"),
        ("redis_mode", "standalone"),
        ("process_supervised", "no"),
    ] {
        assert_eq!(field(&text, name), Some(value), "{name}");
    }
    let hex40 = |id: &str| id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let replid = field(&text, "master_replid").expect("replid").to_string();
    let run_id = field(&text, "run_id").expect("run_id").to_string();
    assert!(hex40(&replid) && hex40(&run_id), "{replid} {run_id}");
    assert_ne!(replid, run_id);
    // Fixed for the server's life.
    let again = info(&mut c, &["server", "replication"]);
    assert_eq!(field(&again, "master_replid"), Some(replid.as_str()));
    assert_eq!(field(&again, "run_id"), Some(run_id.as_str()));
    // CPU times as Redis prints them: seconds with six decimals.
    for name in [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
        "used_cpu_sys_main_thread",
        "used_cpu_user_main_thread",
    ] {
        let value = field(&text, name).expect(name);
        let (seconds, micros) = value.split_once('.').expect(name);
        assert!(
            seconds.parse::<u64>().is_ok() && micros.len() == 6,
            "{name}:{value}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// commandstats, errorstats
// ---------------------------------------------------------------------------------------

#[test]
fn commandstats_count_calls_failures_and_rejections() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["SET", "k", "w"]);
    c.cmd(&["GET", "k"]);
    // Wrong arity: refused before running.
    assert!(c.cmd(&["SET", "k"]).starts_with("-ERR wrong number"));
    // Ran, and replied with an error.
    assert!(c.cmd(&["LPUSH", "k", "x"]).starts_with("-WRONGTYPE"));
    c.cmd(&["CLIENT", "ID"]);
    assert_eq!(cmdstat(&mut c, "set"), Some((2, 1, 0)));
    assert_eq!(cmdstat(&mut c, "get"), Some((1, 0, 0)));
    assert_eq!(cmdstat(&mut c, "lpush"), Some((1, 0, 1)));
    assert_eq!(cmdstat(&mut c, "client|id"), Some((1, 0, 0)));
    assert_eq!(cmdstat(&mut c, "client"), None);
    assert_eq!(cmdstat(&mut c, "del"), None);
    assert_eq!(errorstat(&mut c, "ERR"), Some(1));
    assert_eq!(errorstat(&mut c, "WRONGTYPE"), Some(1));
    assert_eq!(stat(&mut c, "total_error_replies"), 2);
    let text = info(&mut c, &["commandstats"]);
    let line = field(&text, "cmdstat_set").expect("set").to_string();
    assert!(line.contains(",usec_per_call="), "{line}");
}

#[test]
fn total_commands_processed_counts_calls_not_requests() {
    let mut c = Conn::new();
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["PING"]);
    c.cmd(&["NOSUCH"]);
    c.cmd(&["GET"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "a", "1"]);
    c.cmd(&["INCR", "a"]);
    c.cmd(&["EXEC"]);
    // RESETSTAT, PING, MULTI, EXEC and the two commands it ran; not the unknown command,
    // the refused GET or the queueing.
    assert_eq!(stat(&mut c, "total_commands_processed"), 6);
}

#[test]
fn unknown_commands_and_subcommands_count_only_as_errors() {
    let mut c = Conn::new();
    assert!(c.cmd(&["NOSUCH", "x"]).starts_with("-ERR unknown command"));
    assert!(c
        .cmd(&["CLIENT", "NOSUCH"])
        .starts_with("-ERR unknown subcommand"));
    assert_eq!(errorstat(&mut c, "ERR"), Some(2));
    assert_eq!(stat(&mut c, "total_error_replies"), 2);
    let text = info(&mut c, &["commandstats"]);
    assert!(
        !text.contains("nosuch") && !text.contains("cmdstat_client"),
        "{text}"
    );
    // A container without its subcommand is found, and refused for its arity.
    assert!(c.cmd(&["CLIENT"]).starts_with("-ERR wrong number"));
    assert_eq!(cmdstat(&mut c, "client"), Some((0, 1, 0)));
}

#[test]
fn failed_call_within_multi_exec_is_the_command_s() {
    // Redis's "errorstats: failed call within MULTI/EXEC".
    let mut c = Conn::new();
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["MULTI"]);
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["AUTH", "a"]);
    let reply = c.cmd(&["EXEC"]);
    assert!(reply.contains("-ERR AUTH"), "{reply}");
    assert_eq!(errorstat(&mut c, "ERR"), Some(1));
    assert_eq!(cmdstat(&mut c, "set"), Some((1, 0, 0)));
    assert_eq!(cmdstat(&mut c, "auth"), Some((1, 0, 1)));
    assert_eq!(cmdstat(&mut c, "exec"), Some((1, 0, 0)));
    assert_eq!(stat(&mut c, "total_error_replies"), 1);
    // EXEC's own error is EXEC's.
    assert_eq!(c.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    assert_eq!(cmdstat(&mut c, "exec"), Some((2, 0, 1)));
    assert_eq!(errorstat(&mut c, "ERR"), Some(2));
    assert_eq!(stat(&mut c, "total_error_replies"), 2);
}

#[test]
fn rejected_call_within_multi_dooms_exec() {
    // Redis's "errorstats: rejected call within MULTI/EXEC".
    let mut c = Conn::new();
    c.cmd(&["MULTI"]);
    assert!(c
        .cmd(&["SET"])
        .starts_with("-ERR wrong number of arguments for 'set'"));
    assert!(c.cmd(&["EXEC"]).starts_with("-EXECABORT"));
    assert_eq!(errorstat(&mut c, "ERR"), Some(1));
    assert_eq!(errorstat(&mut c, "EXECABORT"), Some(1));
    assert_eq!(stat(&mut c, "total_error_replies"), 2);
    assert_eq!(cmdstat(&mut c, "set"), Some((0, 1, 0)));
    assert_eq!(cmdstat(&mut c, "multi"), Some((1, 0, 0)));
    assert_eq!(cmdstat(&mut c, "exec"), Some((1, 0, 1)));
}

#[test]
fn noauth_and_oom_are_rejections_with_their_codes() {
    let mut config = Config::default();
    config
        .apply_text("requirepass secret")
        .expect("requirepass");
    let mut c = Conn::with_config(config);
    assert!(c.cmd(&["GET", "k"]).starts_with("-NOAUTH"));
    c.cmd(&["AUTH", "secret"]);
    assert_eq!(errorstat(&mut c, "NOAUTH"), Some(1));
    assert_eq!(cmdstat(&mut c, "get"), Some((0, 1, 0)));

    c.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    assert!(c.cmd(&["SET", "a", "b"]).starts_with("-OOM"));
    assert_eq!(errorstat(&mut c, "OOM"), Some(1));
    assert_eq!(cmdstat(&mut c, "set"), Some((0, 1, 0)));
}

#[test]
fn a_pipelined_info_sees_the_commands_before_it() {
    let mut c = Conn::new();
    let mut input = resp(&["SET", "a", "1"]);
    input.extend(resp(&["INCR", "a"]));
    input.extend(resp(&["INFO", "commandstats"]));
    let (out, _) = c.feed(T0, &input);
    assert!(out.contains("cmdstat_set:calls=1,"), "{out}");
    assert!(out.contains("cmdstat_incr:calls=1,"), "{out}");
    // INFO's own call is counted once it has run, as in Redis.
    assert!(!out.contains("cmdstat_info"), "{out}");
    assert_eq!(cmdstat(&mut c, "info"), Some((1, 0, 0)));
}

#[test]
fn resetstat_zeroes_the_counters_and_forgets_commands_and_errors() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&["LPUSH", "k", "v"]);
    c.cmd(&["NOSUCH"]);
    let mut other = c.connect();
    other.cmd(&["PING"]);
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
    let text = info(&mut c, &["all"]);
    assert_eq!(field(&text, "total_commands_processed"), Some("1"));
    assert_eq!(field(&text, "total_error_replies"), Some("0"));
    assert_eq!(field(&text, "total_connections_received"), Some("0"));
    // The read that brought INFO is counted; the reply to RESETSTAT was written after it.
    assert_eq!(field(&text, "total_reads_processed"), Some("1"));
    assert_eq!(field(&text, "total_writes_processed"), Some("1"));
    let section = |title: &str| {
        let start = text.find(&format!("# {title}\r\n")).expect(title);
        let rest = &text[start..];
        rest[..rest.find("\r\n\r\n").unwrap_or(rest.len())].to_string()
    };
    assert_eq!(
        fields(&section("Commandstats")),
        ["cmdstat_config|resetstat"]
    );
    assert_eq!(section("Errorstats"), "# Errorstats");
    assert_eq!(
        fields(&section("Latencystats")),
        ["latency_percentiles_usec_config|resetstat"]
    );
}

#[test]
fn reads_and_writes_are_counted_per_batch() {
    let mut c = Conn::new();
    c.cmd(&["CONFIG", "RESETSTAT"]);
    // Half a request: a read, no reply.
    let request = resp(&["SET", "k", "v"]);
    let (out, _) = c.feed(T0, &request[..5]);
    assert_eq!(out, "");
    // Two requests in one read: one write.
    let mut input = request.clone();
    input.extend(resp(&["GET", "k"]));
    let (_, status) = c.feed(T0, &input);
    assert_eq!(status, radish_store::Status::Open);
    // Reads: the half request, the pipeline, this INFO.
    assert_eq!(stat(&mut c, "total_reads_processed"), 3);
    // Writes: RESETSTAT's reply, the pipeline's and the INFO's above (not this one's yet).
    assert_eq!(stat(&mut c, "total_writes_processed"), 3);
}

// ---------------------------------------------------------------------------------------
// latencystats
// ---------------------------------------------------------------------------------------

#[test]
fn latencystats_have_redis_default_percentiles_per_command_that_ran() {
    let mut c = Conn::new();
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["CLIENT", "ID"]);
    c.cmd(&["GET"]);
    let text = info(&mut c, &["latencystats"]);
    for command in ["set", "client|id"] {
        let line = field(&text, &format!("latency_percentiles_usec_{command}"))
            .unwrap_or_else(|| panic!("{command}: {text}"));
        let parts: Vec<&str> = line.split(',').collect();
        assert_eq!(parts.len(), 3, "{line}");
        for (part, name) in parts.iter().zip(["p50=", "p99=", "p99.9="]) {
            let value = part.strip_prefix(name).unwrap_or_else(|| panic!("{line}"));
            let (_, decimals) = value.split_once('.').expect("a decimal point");
            assert_eq!(decimals.len(), 3, "{line}");
            assert!(value.parse::<f64>().expect("a number") > 0.0, "{line}");
        }
    }
    // A command that was only refused never ran: no latency.
    assert_eq!(field(&text, "latency_percentiles_usec_get"), None);
}

#[test]
fn blocking_commands_count_one_call_and_their_latency_when_served() {
    let mut waiting = Conn::new();
    let mut writer = waiting.connect();
    assert_eq!(waiting.cmd(&["BLPOP", "list", "0"]), "");
    writer.cmd(&["LPUSH", "list", "a"]);
    let (out, _) = waiting.feed(T0, b"");
    assert_eq!(out, "*2\r\n$4\r\nlist\r\n$1\r\na\r\n");
    assert_eq!(cmdstat(&mut writer, "blpop"), Some((1, 0, 0)));
    let text = info(&mut writer, &["latencystats"]);
    assert!(
        field(&text, "latency_percentiles_usec_blpop").is_some(),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Sampled by the tick: instantaneous rates, avg_ttl, expired_stale_perc
// ---------------------------------------------------------------------------------------

#[test]
fn instantaneous_rates_average_sixteen_samples_taken_by_the_tick() {
    let mut c = Conn::new();
    let server = c.server.clone();
    let pings: Vec<u8> = (0..50).flat_map(|_| resp(&["PING"])).collect();
    // 50 commands and 10 KiB in and 20 KiB out per 100 ms tick: 500/s, 100 and 200 KiB/s.
    let mut now = T0;
    for round in 1..=16 {
        let (_, status) = c.feed(now, &pings);
        assert_eq!(status, radish_store::Status::Open);
        server
            .stats
            .net_input_bytes
            .fetch_add(10 * 1024, std::sync::atomic::Ordering::Relaxed);
        server
            .stats
            .net_output_bytes
            .fetch_add(20 * 1024, std::sync::atomic::Ordering::Relaxed);
        now = T0 + round * 100;
        server.tick(now);
        if round == 1 {
            // One sample of sixteen so far.
            assert_eq!(
                c.info(now, "stats", "instantaneous_ops_per_sec"),
                (500 / 16).to_string()
            );
            // That INFO is a command too: this round's 50 PINGs are 51 commands.
        }
    }
    let text = info(&mut c, &["stats"]);
    let ops: u64 = field(&text, "instantaneous_ops_per_sec")
        .unwrap()
        .parse()
        .unwrap();
    // Fifteen samples of 500/s and one of 510/s.
    assert_eq!(ops, (15 * 500 + 510) / 16);
    assert_eq!(field(&text, "instantaneous_input_kbps"), Some("100.00"));
    assert_eq!(field(&text, "instantaneous_output_kbps"), Some("200.00"));
    // RESETSTAT starts the samples over.
    c.at(now, &["CONFIG", "RESETSTAT"]);
    assert_eq!(c.info(now, "stats", "instantaneous_ops_per_sec"), "0");
}

#[test]
fn avg_ttl_is_a_running_estimate_from_the_tick() {
    let mut c = Conn::new();
    c.cmd(&["SET", "plain", "v"]);
    c.server.tick(T0);
    assert_eq!(c.info(T0, "keyspace", "db0"), "keys=1,expires=0,avg_ttl=0");
    c.cmd(&["SET", "k", "v", "PX", "100000"]);
    c.server.tick(T0);
    // The first sample is taken as it is.
    assert_eq!(
        c.info(T0, "keyspace", "db0"),
        "keys=2,expires=1,avg_ttl=100000"
    );
    // Then each sample weighs 2%, as in Redis: 100000/50*49 + 90000/50.
    c.server.tick(T0 + 10_000);
    assert_eq!(
        c.info(T0 + 10_000, "keyspace", "db0"),
        "keys=2,expires=1,avg_ttl=99800"
    );
    // No key with a deadline left: back to 0.
    c.at(T0 + 10_000, &["PERSIST", "k"]);
    c.server.tick(T0 + 10_000);
    assert_eq!(
        c.info(T0 + 10_000, "keyspace", "db0"),
        "keys=2,expires=0,avg_ttl=0"
    );
}

#[test]
fn avg_ttl_of_deadlines_near_the_largest_adds_up_without_overflow() {
    let mut c = Conn::new();
    // Five TTLs of 2^62 ms: the sum of the samples does not fit 64 bits.
    let far = (1u64 << 62) + T0;
    for key in ["a", "b", "c", "d", "e"] {
        c.cmd(&["SET", key, "v", "PXAT", &far.to_string()]);
    }
    c.server.tick(T0);
    // The first sample, weighed as every later one: rounded by the division by 50.
    let ttl = far - T0;
    let ttl = (ttl / 50) * 49 + ttl / 50;
    assert_eq!(
        c.info(T0, "keyspace", "db0"),
        format!("keys=5,expires=5,avg_ttl={ttl}")
    );
}

#[test]
fn expired_stale_perc_follows_the_share_of_expired_keys_sampled() {
    let mut c = Conn::new();
    for i in 0..10 {
        c.cmd(&["SET", &format!("k{i}"), "v", "PX", "100"]);
    }
    assert_eq!(c.info(T0, "stats", "expired_stale_perc"), "0.00");
    // Every sampled key is past its deadline: 5% of 100%, as Redis's running average.
    c.server.tick(T0 + 200);
    assert_eq!(c.info(T0 + 200, "stats", "expired_stale_perc"), "5.00");
    assert_eq!(c.info(T0 + 200, "stats", "expired_keys"), "10");
}

#[test]
fn the_memory_peak_follows_used_memory() {
    let mut c = Conn::new();
    let before: u64 = c.info(T0, "memory", "used_memory_peak").parse().unwrap();
    let value = "x".repeat(100_000);
    c.cmd(&["SET", "big", &value]);
    c.server.tick(T0);
    let peak: u64 = c.info(T0, "memory", "used_memory_peak").parse().unwrap();
    assert!(peak >= before + 100_000, "{before} {peak}");
    c.cmd(&["DEL", "big"]);
    let used: u64 = c.info(T0, "memory", "used_memory").parse().unwrap();
    assert!(used < peak);
    assert_eq!(
        c.info(T0, "memory", "used_memory_peak")
            .parse::<u64>()
            .unwrap(),
        peak
    );
    let overhead: u64 = c
        .info(T0, "memory", "used_memory_overhead")
        .parse()
        .unwrap();
    let dataset: u64 = c.info(T0, "memory", "used_memory_dataset").parse().unwrap();
    assert_eq!(overhead + dataset, used);
    // Small keys and values are data too, though they own no heap.
    c.cmd(&["SET", "a", "b"]);
    let dataset: u64 = c.info(T0, "memory", "used_memory_dataset").parse().unwrap();
    assert!(dataset > 0);
    let startup: u64 = c.info(T0, "memory", "used_memory_startup").parse().unwrap();
    let overhead: u64 = c
        .info(T0, "memory", "used_memory_overhead")
        .parse()
        .unwrap();
    assert!(overhead > startup, "the table's own bytes");
}
