//! Every configuration parameter Redis 7.0.15 accepts (`static_configs[]` in Redis's
//! `config.c`, as built with TLS): its name, alias, flags, type with bounds or choices, and
//! its default as CONFIG GET shows it.

/// CONFIG SET refuses it: "can't set immutable config". Only the config file and the command
/// line set it.
pub(super) const IMMUTABLE: u8 = 1;
/// CONFIG SET refuses it unless `enable-protected-configs` allows the client: "can't set
/// protected config".
pub(super) const PROTECTED: u8 = 2;
/// CONFIG GET shows it only when asked by its exact name, never for a pattern.
pub(super) const HIDDEN: u8 = 4;
/// Takes several arguments: a config file line `save 900 1 300 10`, or one CONFIG SET value
/// split on spaces.
pub(super) const MULTI_ARG: u8 = 8;

/// How a number is written and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    /// A plain integer, as Redis's `string2ll` reads it (no sign `+`, no leading zeros).
    Plain,
    /// Bytes, with an optional `k kb m mb g gb` suffix; shown in bytes.
    Memory,
    /// Bytes, or a percentage `N%` (stored as `-N`), shown as given (`10%`).
    MemoryOrPercent,
    /// An octal number (`unixsocketperm 700`), shown in octal.
    Octal,
}

/// The parameters that need their own parsing, display and rewriting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Special {
    /// `dir`: a directory that must exist; shown as an absolute path.
    Dir,
    /// `save`: `<seconds> <changes>` pairs, or `""` for none.
    Save,
    /// `client-output-buffer-limit`: `<class> <hard> <soft> <soft-seconds>` groups.
    OutputLimits,
    /// `oom-score-adj-values`: three integers from -2000 to 2000.
    OomScoreAdjValues,
    /// `notify-keyspace-events`: class characters from `Ag$lshzxeKEtmdn`.
    NotifyKeyspaceEvents,
    /// `bind`: up to 16 addresses, or `""` for none.
    Bind,
    /// `replicaof`: `<host> <port>`, or `no one`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles`: numbers from 0 to 100.
    LatencyPercentiles,
}

/// A check on a text parameter's new value: the error text if it is refused.
pub(super) type TextCheck = fn(&str) -> Result<(), &'static str>;

/// What values a parameter takes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// `yes` or `no`, in any case.
    Bool,
    /// An integer from `min` to `max`. `unsigned` parameters (C's `unsigned int`, `size_t`,
    /// `unsigned long long`) compare a negative input as the huge number it wraps to, as
    /// Redis does, which decides the error text.
    Number {
        unit: Unit,
        unsigned: bool,
        min: i128,
        max: i128,
    },
    /// One of `choices` (name, value), in any case; several of them, their values or-ed
    /// together, when the parameter is [`MULTI_ARG`]. Names sharing a value show as the first.
    Enum(&'static [(&'static str, u32)]),
    /// Any text. `nullable` ones hold "no value" when empty (Redis's `EMPTY_STRING_IS_NULL`),
    /// which CONFIG REWRITE leaves out of the file.
    Text {
        nullable: bool,
        check: Option<TextCheck>,
    },
    /// Its own rules.
    Special(Special),
}

/// One parameter.
#[derive(Debug)]
pub(super) struct Param {
    pub(super) name: &'static str,
    /// The older name it also answers to (`slaveof` for `replicaof`).
    pub(super) alias: Option<&'static str>,
    /// [`IMMUTABLE`], [`PROTECTED`], [`HIDDEN`], [`MULTI_ARG`].
    pub(super) flags: u8,
    pub(super) kind: Kind,
    /// The value at start-up, as CONFIG GET shows it (`dir` is the working directory instead).
    pub(super) default: &'static str,
}

impl Param {
    pub(super) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

const fn boolean(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Bool,
        default,
    }
}

#[allow(clippy::too_many_arguments)]
const fn number(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    unit: Unit,
    unsigned: bool,
    min: i128,
    max: i128,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Number {
            unit,
            unsigned,
            min,
            max,
        },
        default,
    }
}

/// A signed integer (C's `int`, `long`, `long long`, `time_t`, `off_t`).
const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Param {
    number(name, alias, flags, Unit::Plain, false, min, max, default)
}

/// An unsigned integer (C's `unsigned int`, `size_t`).
const fn uint(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Param {
    number(name, alias, flags, Unit::Plain, true, min, max, default)
}

/// A signed memory size (C's `long long`, `off_t`).
const fn bytes(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Param {
    number(name, alias, flags, Unit::Memory, false, min, max, default)
}

/// An unsigned memory size (C's `size_t`, `unsigned long long`).
const fn ubytes(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Param {
    number(name, alias, flags, Unit::Memory, true, min, max, default)
}

const fn choice(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    choices: &'static [(&'static str, u32)],
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Enum(choices),
        default,
    }
}

/// Text whose empty value means "none" (Redis's `EMPTY_STRING_IS_NULL`).
const fn optional_text(name: &'static str, alias: Option<&'static str>, flags: u8) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Text {
            nullable: true,
            check: None,
        },
        default: "",
    }
}

const fn text(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    check: Option<TextCheck>,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Text {
            nullable: false,
            check,
        },
        default,
    }
}

const fn special(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    special: Special,
    default: &'static str,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Special(special),
        default,
    }
}

// C's limits, as Redis's table names them.
const INT_MIN: i128 = i32::MIN as i128;
const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;
const MB: i128 = 1024 * 1024;

// The enumerations, in Redis's order (which its error texts list).
const MAXMEMORY_POLICY: &[(&str, u32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const SYSLOG_FACILITY: &[(&str, u32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];
const LOGLEVEL: &[(&str, u32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const SUPERVISED: &[(&str, u32)] = &[("upstart", 0), ("systemd", 1), ("auto", 2), ("no", 3)];
const APPENDFSYNC: &[(&str, u32)] = &[("everysec", 0), ("always", 1), ("no", 2)];
/// Flags, or-ed together; `default` is none of them.
const SHUTDOWN_ON_SIGNAL: &[(&str, u32)] = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE),
    ("nosave", SHUTDOWN_NOSAVE),
    ("now", 4),
    ("force", 8),
];
pub(super) const SHUTDOWN_SAVE: u32 = 1;
pub(super) const SHUTDOWN_NOSAVE: u32 = 2;
const REPL_DISKLESS_LOAD: &[(&str, u32)] = &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)];
const TLS_AUTH_CLIENTS: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("optional", 2)];
/// `relative` is another name for `yes`, so it shows as `yes`.
const OOM_SCORE_ADJ: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)];
const ACL_PUBSUB_DEFAULT: &[(&str, u32)] = &[("allchannels", 1), ("resetchannels", 0)];
const SANITIZE_DUMP_PAYLOAD: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("clients", 2)];
/// `enable-protected-configs`, `enable-debug-command`, `enable-module-command`.
const PROTECTED_ACTION: &[(&str, u32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const CLUSTER_ENDPOINT_TYPE: &[(&str, u32)] =
    &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)];
const PROPAGATION_ERROR_BEHAVIOR: &[(&str, u32)] =
    &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)];

/// Every parameter, in Redis's table order (CONFIG GET lists matches in this order, primary
/// name before alias).
#[rustfmt::skip]
pub(super) const PARAMS: &[Param] = &[
    // yes/no
    boolean("rdbchecksum", None, IMMUTABLE, "yes"),
    boolean("daemonize", None, IMMUTABLE, "no"),
    boolean("io-threads-do-reads", None, IMMUTABLE, "no"),
    boolean("always-show-logo", None, IMMUTABLE, "no"),
    boolean("protected-mode", None, 0, "yes"),
    boolean("rdbcompression", None, 0, "yes"),
    boolean("rdb-del-sync-files", None, 0, "no"),
    boolean("activerehashing", None, 0, "yes"),
    boolean("stop-writes-on-bgsave-error", None, 0, "yes"),
    boolean("set-proc-title", None, IMMUTABLE, "yes"),
    boolean("dynamic-hz", None, 0, "yes"),
    boolean("lazyfree-lazy-eviction", None, 0, "no"),
    boolean("lazyfree-lazy-expire", None, 0, "no"),
    boolean("lazyfree-lazy-server-del", None, 0, "no"),
    boolean("lazyfree-lazy-user-del", None, 0, "no"),
    boolean("lazyfree-lazy-user-flush", None, 0, "no"),
    boolean("repl-disable-tcp-nodelay", None, 0, "no"),
    boolean("repl-diskless-sync", None, 0, "yes"),
    boolean("aof-rewrite-incremental-fsync", None, 0, "yes"),
    boolean("no-appendfsync-on-rewrite", None, 0, "no"),
    boolean("cluster-require-full-coverage", None, 0, "yes"),
    boolean("rdb-save-incremental-fsync", None, 0, "yes"),
    boolean("aof-load-truncated", None, 0, "yes"),
    boolean("aof-use-rdb-preamble", None, 0, "yes"),
    boolean("aof-timestamp-enabled", None, 0, "no"),
    boolean("cluster-replica-no-failover", Some("cluster-slave-no-failover"), 0, "no"),
    boolean("replica-lazy-flush", Some("slave-lazy-flush"), 0, "no"),
    boolean("replica-serve-stale-data", Some("slave-serve-stale-data"), 0, "yes"),
    boolean("replica-read-only", Some("slave-read-only"), 0, "yes"),
    boolean("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), 0, "yes"),
    boolean("jemalloc-bg-thread", None, 0, "yes"),
    boolean("activedefrag", None, 0, "no"),
    boolean("syslog-enabled", None, IMMUTABLE, "no"),
    boolean("cluster-enabled", None, IMMUTABLE, "no"),
    boolean("appendonly", None, 0, "no"),
    boolean("cluster-allow-reads-when-down", None, 0, "no"),
    boolean("cluster-allow-pubsubshard-when-down", None, 0, "yes"),
    boolean("crash-log-enabled", None, 0, "yes"),
    boolean("crash-memcheck-enabled", None, 0, "yes"),
    boolean("use-exit-on-panic", None, HIDDEN, "no"),
    boolean("disable-thp", None, IMMUTABLE, "yes"),
    boolean("cluster-allow-replica-migration", None, 0, "yes"),
    boolean("replica-announced", None, 0, "yes"),
    boolean("latency-tracking", None, 0, "yes"),
    boolean("aof-disable-auto-gc", None, 0, "no"),
    boolean("replica-ignore-disk-write-errors", None, 0, "no"),

    // text
    text("aclfile", None, IMMUTABLE, None, ""),
    optional_text("unixsocket", None, IMMUTABLE),
    optional_text("pidfile", None, IMMUTABLE),
    optional_text("replica-announce-ip", Some("slave-announce-ip"), 0),
    optional_text("masteruser", None, 0),
    optional_text("cluster-announce-ip", None, 0),
    text("cluster-config-file", None, IMMUTABLE, None, "nodes.conf"),
    Param {
        kind: Kind::Text { nullable: true, check: Some(check_hostname) },
        ..optional_text("cluster-announce-hostname", None, 0)
    },
    text("syslog-ident", None, IMMUTABLE, None, "redis"),
    text("dbfilename", None, PROTECTED, Some(check_dbfilename), "dump.rdb"),
    text("appendfilename", None, IMMUTABLE, Some(check_appendfilename), "appendonly.aof"),
    text("appenddirname", None, IMMUTABLE, Some(check_appenddirname), "appendonlydir"),
    optional_text("server_cpulist", None, IMMUTABLE),
    optional_text("bio_cpulist", None, IMMUTABLE),
    optional_text("aof_rewrite_cpulist", None, IMMUTABLE),
    optional_text("bgsave_cpulist", None, IMMUTABLE),
    text("ignore-warnings", None, 0, None, ""),
    // Checked against the other parameters in `values.rs`.
    text("proc-title-template", None, 0, None, "{title} {listen-addr} {server-mode}"),
    optional_text("bind-source-addr", None, 0),
    text("logfile", None, IMMUTABLE, None, ""),
    optional_text("masterauth", None, 0),
    optional_text("requirepass", None, 0),

    // enumerations
    choice("supervised", None, IMMUTABLE, SUPERVISED, "no"),
    choice("syslog-facility", None, IMMUTABLE, SYSLOG_FACILITY, "local0"),
    choice("repl-diskless-load", None, 0, REPL_DISKLESS_LOAD, "disabled"),
    choice("loglevel", None, 0, LOGLEVEL, "notice"),
    choice("maxmemory-policy", None, 0, MAXMEMORY_POLICY, "noeviction"),
    choice("appendfsync", None, 0, APPENDFSYNC, "everysec"),
    choice("oom-score-adj", None, 0, OOM_SCORE_ADJ, "no"),
    choice("acl-pubsub-default", None, 0, ACL_PUBSUB_DEFAULT, "resetchannels"),
    choice("sanitize-dump-payload", None, 0, SANITIZE_DUMP_PAYLOAD, "no"),
    choice("enable-protected-configs", None, IMMUTABLE, PROTECTED_ACTION, "no"),
    choice("enable-debug-command", None, IMMUTABLE, PROTECTED_ACTION, "no"),
    choice("enable-module-command", None, IMMUTABLE, PROTECTED_ACTION, "no"),
    choice("cluster-preferred-endpoint-type", None, 0, CLUSTER_ENDPOINT_TYPE, "ip"),
    choice("propagation-error-behavior", None, 0, PROPAGATION_ERROR_BEHAVIOR, "ignore"),
    choice("shutdown-on-sigint", None, MULTI_ARG, SHUTDOWN_ON_SIGNAL, "default"),
    choice("shutdown-on-sigterm", None, MULTI_ARG, SHUTDOWN_ON_SIGNAL, "default"),

    // numbers
    int("databases", None, IMMUTABLE, 1, INT_MAX, "16"),
    int("port", None, 0, 0, 65535, "6379"),
    int("io-threads", None, IMMUTABLE, 1, 128, "1"),
    int("auto-aof-rewrite-percentage", None, 0, 0, INT_MAX, "100"),
    int("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, 0, INT_MAX, "10"),
    int("list-max-listpack-size", Some("list-max-ziplist-size"), 0, INT_MIN, INT_MAX, "-2"),
    int("tcp-keepalive", None, 0, 0, INT_MAX, "300"),
    int("cluster-migration-barrier", None, 0, 0, INT_MAX, "1"),
    int("active-defrag-cycle-min", None, 0, 1, 99, "1"),
    int("active-defrag-cycle-max", None, 0, 1, 99, "25"),
    int("active-defrag-threshold-lower", None, 0, 0, 1000, "10"),
    int("active-defrag-threshold-upper", None, 0, 0, 1000, "100"),
    int("lfu-log-factor", None, 0, 0, INT_MAX, "10"),
    int("lfu-decay-time", None, 0, 0, INT_MAX, "1"),
    int("replica-priority", Some("slave-priority"), 0, 0, INT_MAX, "100"),
    int("repl-diskless-sync-delay", None, 0, 0, INT_MAX, "5"),
    int("maxmemory-samples", None, 0, 1, INT_MAX, "5"),
    int("maxmemory-eviction-tenacity", None, 0, 0, 100, "10"),
    int("timeout", None, 0, 0, INT_MAX, "0"),
    int("replica-announce-port", Some("slave-announce-port"), 0, 0, 65535, "0"),
    int("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, "511"),
    int("cluster-port", None, IMMUTABLE, 0, 65535, "0"),
    int("cluster-announce-bus-port", None, 0, 0, 65535, "0"),
    int("cluster-announce-port", None, 0, 0, 65535, "0"),
    int("cluster-announce-tls-port", None, 0, 0, 65535, "0"),
    int("repl-timeout", None, 0, 1, INT_MAX, "60"),
    int("repl-ping-replica-period", Some("repl-ping-slave-period"), 0, 1, INT_MAX, "10"),
    int("list-compress-depth", None, 0, 0, INT_MAX, "0"),
    int("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, "0"),
    int("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, "0"),
    int("active-expire-effort", None, 0, 1, 10, "1"),
    // Accepted up to INT_MAX, then kept within 1..=500 (see `values.rs`).
    int("hz", None, 0, 0, INT_MAX, "10"),
    int("min-replicas-to-write", Some("min-slaves-to-write"), 0, 0, INT_MAX, "0"),
    int("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, 0, INT_MAX, "10"),
    int("watchdog-period", None, HIDDEN, 0, INT_MAX, "0"),
    int("shutdown-timeout", None, 0, 0, INT_MAX, "10"),
    int("repl-diskless-sync-max-replicas", None, 0, 0, INT_MAX, "0"),
    uint("maxclients", None, 0, 1, UINT_MAX, "10000"),
    number("unixsocketperm", None, IMMUTABLE, Unit::Octal, true, 0, 0o777, "0"),
    uint("socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, "0"),
    // C's `unsigned long`, which Redis bounds-checks as signed.
    int("active-defrag-max-scan-fields", None, 0, 1, LONG_MAX, "1000"),
    int("slowlog-max-len", None, 0, 0, LONG_MAX, "128"),
    int("acllog-max-len", None, 0, 0, LONG_MAX, "128"),
    int("busy-reply-threshold", Some("lua-time-limit"), 0, 0, LONG_MAX, "5000"),
    int("cluster-node-timeout", None, 0, 0, LONG_MAX, "15000"),
    int("slowlog-log-slower-than", None, 0, -1, LONG_MAX, "10000"),
    int("latency-monitor-threshold", None, 0, 0, LONG_MAX, "0"),
    bytes("proto-max-bulk-len", None, 0, MB, LONG_MAX, "536870912"),
    int("stream-node-max-entries", None, 0, 0, LONG_MAX, "100"),
    bytes("repl-backlog-size", None, 0, 1, LONG_MAX, "1048576"),
    ubytes("maxmemory", None, 0, 0, ULLONG_MAX, "0"),
    ubytes("cluster-link-sendbuf-limit", None, 0, 0, ULLONG_MAX, "0"),
    uint("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, 0, LONG_MAX, "512"),
    uint("set-max-intset-entries", None, 0, 0, LONG_MAX, "512"),
    uint("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, 0, LONG_MAX, "128"),
    ubytes("active-defrag-ignore-bytes", None, 0, 1, LONG_MAX, "104857600"),
    ubytes("hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, 0, LONG_MAX, "64"),
    ubytes("stream-node-max-bytes", None, 0, 0, LONG_MAX, "4096"),
    ubytes("zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, 0, LONG_MAX, "64"),
    ubytes("hll-sparse-max-bytes", None, 0, 0, LONG_MAX, "3000"),
    uint("tracking-table-max-keys", None, 0, 0, LONG_MAX, "1000000"),
    ubytes("client-query-buffer-limit", None, 0, MB, LONG_MAX, "1073741824"),
    number("maxmemory-clients", None, 0, Unit::MemoryOrPercent, false, -100, LONG_MAX, "0"),
    int("repl-backlog-ttl", None, 0, 0, LONG_MAX, "3600"),
    bytes("auto-aof-rewrite-min-size", None, 0, 0, LONG_MAX, "67108864"),
    int("loading-process-events-interval-bytes", None, HIDDEN, 1024, INT_MAX, "2097152"),

    // TLS (Redis built with TLS, as Debian's is). Radish has no TLS: `tls-port` must stay 0.
    int("tls-port", None, 0, 0, 65535, "0"),
    int("tls-session-cache-size", None, 0, 0, INT_MAX, "20480"),
    int("tls-session-cache-timeout", None, 0, 0, INT_MAX, "300"),
    boolean("tls-cluster", None, 0, "no"),
    boolean("tls-replication", None, 0, "no"),
    choice("tls-auth-clients", None, 0, TLS_AUTH_CLIENTS, "yes"),
    boolean("tls-prefer-server-ciphers", None, 0, "no"),
    boolean("tls-session-caching", None, 0, "yes"),
    optional_text("tls-cert-file", None, 0),
    optional_text("tls-key-file", None, 0),
    optional_text("tls-key-file-pass", None, 0),
    optional_text("tls-client-cert-file", None, 0),
    optional_text("tls-client-key-file", None, 0),
    optional_text("tls-client-key-file-pass", None, 0),
    optional_text("tls-dh-params-file", None, 0),
    optional_text("tls-ca-cert-file", None, 0),
    optional_text("tls-ca-cert-dir", None, 0),
    optional_text("tls-protocols", None, 0),
    optional_text("tls-ciphers", None, 0),
    optional_text("tls-ciphersuites", None, 0),

    // special
    special("dir", None, PROTECTED, Special::Dir, "."),
    special("save", None, MULTI_ARG, Special::Save, "3600 1 300 100 60 10000"),
    special(
        "client-output-buffer-limit", None, MULTI_ARG, Special::OutputLimits,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    special("oom-score-adj-values", None, MULTI_ARG, Special::OomScoreAdjValues, "0 200 800"),
    special("notify-keyspace-events", None, 0, Special::NotifyKeyspaceEvents, ""),
    // Redis's default is `* -::*` (every interface, protected mode turning away other hosts
    // while no password is set); radish has always listened on the loopback interface only.
    special("bind", None, MULTI_ARG, Special::Bind, "127.0.0.1"),
    special("replicaof", Some("slaveof"), IMMUTABLE | MULTI_ARG, Special::ReplicaOf, ""),
    special(
        "latency-tracking-info-percentiles", None, MULTI_ARG, Special::LatencyPercentiles,
        "50 99 99.9",
    ),
];

/// Redis's `pathIsBaseName`: no `/` and no `\`.
fn is_base_name(value: &str) -> bool {
    !value.contains(['/', '\\'])
}

fn check_dbfilename(value: &str) -> Result<(), &'static str> {
    if !is_base_name(value) {
        return Err("dbfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_appendfilename(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("appendfilename can't be empty");
    }
    if !is_base_name(value) {
        return Err("appendfilename can't be a path, just a filename");
    }
    Ok(())
}

fn check_appenddirname(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("appenddirname can't be empty");
    }
    if !is_base_name(value) {
        return Err("appenddirname can't be a path, just a dirname");
    }
    Ok(())
}

/// `cluster-announce-hostname`: shorter than 256 bytes, letters, digits, `-` and `.`.
fn check_hostname(value: &str) -> Result<(), &'static str> {
    if value.len() >= 256 {
        return Err("Hostnames must be less than 256 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("Hostnames may only contain alphanumeric characters, hyphens or dots");
    }
    Ok(())
}
