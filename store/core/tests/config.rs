//! The configuration as Redis 7.0.15 has it: a config file with old names and multi-argument
//! directives, defaults, CONFIG GET / SET with aliases, hidden parameters and Redis's exact
//! error texts, `include`, and CONFIG REWRITE. Expected replies were taken from a real
//! redis-server 7.0.15.

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use radish_store::{Config, Server};
use support::{Conn, T0};

/// The sample config file (`fixtures/sample.conf`).
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sample.conf")
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A fresh directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("radish-config-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        // As the server shows `dir`: without symbolic links.
        TempDir(std::fs::canonicalize(&dir).expect("canonical"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A RESP error line.
fn error(text: &str) -> String {
    format!("-{text}\r\n")
}

/// A two-element RESP2 array of bulk strings: one CONFIG GET match.
fn pair(name: &str, value: &str) -> String {
    format!(
        "*2\r\n${}\r\n{name}\r\n${}\r\n{value}\r\n",
        name.len(),
        value.len()
    )
}

#[test]
fn the_sample_config_file_loads() {
    let config = Config::from_args(vec![fixture().display().to_string()]).expect("loads");
    let expected = [
        ("port", "6390"),
        ("bind", "127.0.0.1 -::1"),
        ("tcp-backlog", "511"),
        ("timeout", "30"),
        ("loglevel", "warning"),
        ("databases", "8"),
        // Each `save` line of a file adds a rule.
        ("save", "900 1 300 10 60 10000"),
        ("dbfilename", "sample.rdb"),
        // Old names set the parameters they stand for.
        ("replica-read-only", "yes"),
        ("replica-priority", "50"),
        ("hash-max-listpack-entries", "256"),
        ("hash-max-listpack-value", "128"),
        ("zset-max-listpack-entries", "64"),
        ("list-max-listpack-size", "-1"),
        ("busy-reply-threshold", "2000"),
        ("maxmemory", "268435456"),
        ("maxmemory-policy", "allkeys-lru"),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 536870912 134217728 120 pubsub 67108864 16777216 90",
        ),
        // Shown in Redis's order.
        ("notify-keyspace-events", "xE"),
        ("oom-score-adj-values", "0 100 900"),
        ("latency-tracking-info-percentiles", "50 90 99.99"),
        ("auto-aof-rewrite-min-size", "33554432"),
        ("requirepass", "correct horse"),
        ("set-max-intset-entries", "1024"),
        ("list-compress-depth", "2"),
        ("hz", "25"),
    ];
    for (name, value) in expected {
        assert_eq!(config.get(name), Some(value), "{name}");
    }
    assert_eq!(config.get("slave-priority"), Some("50"));
    assert_eq!(config.get_int("maxmemory"), 256 * 1024 * 1024);
    assert_eq!(config.listen_address(), "127.0.0.1:6390");
    assert_eq!(config.save_points(), vec![(900, 1), (300, 10), (60, 10000)]);
    assert_eq!(
        config.renamed_commands(),
        &[
            ("FLUSHALL".to_string(), String::new()),
            ("KEYS".to_string(), "radish-keys".to_string())
        ]
    );
    assert_eq!(
        config.config_file.as_deref(),
        Some(fixture().display().to_string().as_str())
    );

    // The command line comes after the file: it wins, and a `save` there adds a rule too.
    let config = Config::from_args(vec![
        fixture().display().to_string(),
        "--port".into(),
        "7000".into(),
        "--save".into(),
        "10 1".into(),
    ])
    .expect("loads");
    assert_eq!(config.get("port"), Some("7000"));
    assert_eq!(config.get("save"), Some("900 1 300 10 60 10000 10 1"));
}

#[test]
fn defaults_are_redis_defaults() {
    // From `CONFIG GET *` on a redis-server 7.0.15 started without arguments.
    let redis = [
        ("acl-pubsub-default", "resetchannels"),
        ("active-defrag-ignore-bytes", "104857600"),
        ("active-expire-effort", "1"),
        ("appenddirname", "appendonlydir"),
        ("appendfsync", "everysec"),
        ("busy-reply-threshold", "5000"),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        ),
        ("client-query-buffer-limit", "1073741824"),
        ("cluster-config-file", "nodes.conf"),
        ("databases", "16"),
        ("hash-max-listpack-entries", "512"),
        ("hash-max-ziplist-value", "64"),
        ("hz", "10"),
        ("io-threads", "1"),
        ("latency-tracking-info-percentiles", "50 99 99.9"),
        ("list-compress-depth", "0"),
        ("list-max-listpack-size", "-2"),
        ("lua-time-limit", "5000"),
        ("maxclients", "10000"),
        ("maxmemory-clients", "0"),
        ("maxmemory-policy", "noeviction"),
        ("min-slaves-max-lag", "10"),
        ("notify-keyspace-events", ""),
        ("oom-score-adj-values", "0 200 800"),
        ("port", "6379"),
        ("proc-title-template", "{title} {listen-addr} {server-mode}"),
        ("proto-max-bulk-len", "536870912"),
        ("repl-backlog-size", "1048576"),
        ("repl-diskless-load", "disabled"),
        ("repl-ping-slave-period", "10"),
        ("save", "3600 1 300 100 60 10000"),
        ("set-max-intset-entries", "512"),
        ("shutdown-on-sigterm", "default"),
        ("slaveof", ""),
        ("slowlog-log-slower-than", "10000"),
        ("stream-node-max-bytes", "4096"),
        ("supervised", "no"),
        ("syslog-facility", "local0"),
        ("tcp-backlog", "511"),
        ("tls-auth-clients", "yes"),
        ("tls-port", "0"),
        ("tls-session-cache-size", "20480"),
        ("tracking-table-max-keys", "1000000"),
        ("unixsocketperm", "0"),
        ("zset-max-listpack-value", "64"),
        ("zset-max-ziplist-entries", "128"),
    ];
    let config = Config::default();
    for (name, value) in redis {
        assert_eq!(config.get(name), Some(value), "{name}");
    }
    // `dir` is the working directory, absolute.
    let cwd = std::env::current_dir().expect("cwd");
    assert_eq!(config.get("dir"), Some(cwd.to_string_lossy().as_ref()));
    // 173 parameters and 19 aliases, as `CONFIG GET *` counts them on Redis 7.0.15.
    assert_eq!(config.matching(&[&b"*"[..]]).len(), 192);
}

#[test]
fn config_get_knows_aliases_hidden_parameters_and_several_patterns() {
    let mut c = Conn::new();
    // Asked by name: returned under the name asked, in the case asked.
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hash-max-ziplist-entries"]),
        format!("*2\r\n{}", &pair("hash-max-ziplist-entries", "512")[4..])
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "PORT"]),
        format!("*2\r\n{}", &pair("PORT", "6379")[4..])
    );
    // Each name once, whichever pattern finds it first.
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "port", "PORT", "p?rt"]),
        format!("*2\r\n{}", &pair("port", "6379")[4..])
    );
    // A glob lists a parameter and its alias, each under its own name.
    let config = c.server.config().clone();
    let found = config.matching(&[&b"hash-max-*"[..]]);
    let mut names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "hash-max-listpack-entries",
            "hash-max-listpack-value",
            "hash-max-ziplist-entries",
            "hash-max-ziplist-value"
        ]
    );
    // Hidden parameters answer to their exact name only.
    assert_eq!(
        config.matching(&[&b"rdb-key-save-delay"[..]]),
        vec![("rdb-key-save-delay".to_string(), "0")]
    );
    assert!(config.matching(&[&b"rdb-key*"[..]]).is_empty());
    assert!(config.matching(&[&b"no-such-thing"[..]]).is_empty());
    // TLS parameters are there, as on Redis built with TLS.
    assert_eq!(config.get("tls-port"), Some("0"));
    assert_eq!(
        c.cmd(&["CONFIG", "GET"]),
        error("ERR wrong number of arguments for 'config|get' command")
    );
}

#[test]
fn config_set_takes_aliases() {
    let mut c = Conn::new();
    for (alias, name, value) in [
        (
            "hash-max-ziplist-entries",
            "hash-max-listpack-entries",
            "100",
        ),
        ("zset-max-ziplist-value", "zset-max-listpack-value", "1024"),
        ("list-max-ziplist-size", "list-max-listpack-size", "-3"),
        ("slave-read-only", "replica-read-only", "no"),
        ("lua-time-limit", "busy-reply-threshold", "100"),
        ("repl-ping-slave-period", "repl-ping-replica-period", "5"),
        ("min-slaves-to-write", "min-replicas-to-write", "2"),
    ] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", alias, value]),
            "+OK\r\n",
            "{alias}"
        );
        assert_eq!(c.server.config().get(name), Some(value), "{name}");
        assert_eq!(c.server.config().get(alias), Some(value), "{alias}");
    }
    // A memory value is shown in bytes.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-ziplist-value", "1kb"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.server.config().get("zset-max-listpack-value"),
        Some("1024")
    );
    // To Redis a parameter and its alias are two names: both may be set at once, the last
    // one winning.
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "hash-max-ziplist-entries",
            "1",
            "hash-max-listpack-entries",
            "2"
        ]),
        "+OK\r\n"
    );
    assert_eq!(
        c.server.config().get("hash-max-listpack-entries"),
        Some("2")
    );
    // Several pairs, and multi-argument values split on spaces.
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "save",
            "100 10 200 20",
            "notify-keyspace-events",
            "KEA",
            "oom-score-adj",
            "relative",
            "shutdown-on-sigint",
            "now save",
            "hz",
            "1000",
        ]),
        "+OK\r\n"
    );
    let config = c.server.config().clone();
    assert_eq!(config.get("save"), Some("100 10 200 20"));
    assert_eq!(config.get("notify-keyspace-events"), Some("AKE"));
    assert_eq!(config.get("oom-score-adj"), Some("yes"));
    assert_eq!(config.get("shutdown-on-sigint"), Some("save now"));
    // hz is accepted up to INT_MAX and kept within 1..=500.
    assert_eq!(config.get("hz"), Some("500"));
}

#[test]
fn config_set_errors_are_redis_errors() {
    let mut c = Conn::new();
    let failed = |name: &str, why: &str| {
        error(&format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ))
    };
    let cases: &[(&[&str], String)] = &[
        (
            &["protected-mode", "maybe"],
            failed("protected-mode", "argument must be 'yes' or 'no'"),
        ),
        (
            &["port", "99999"],
            failed("port", "argument must be between 0 and 65535 inclusive"),
        ),
        (
            &["port", "0080"],
            failed("port", "argument couldn't be parsed into an integer"),
        ),
        (
            &["PORT", "x"],
            failed("port", "argument couldn't be parsed into an integer"),
        ),
        (
            &["maxclients", "-1"],
            failed(
                "maxclients",
                "argument must be between 1 and 4294967295 inclusive",
            ),
        ),
        (
            &["hash-max-ziplist-entries", "-1"],
            failed(
                "hash-max-ziplist-entries",
                "argument must be between 0 and 9223372036854775807 inclusive",
            ),
        ),
        (
            &["maxmemory", "1zb"],
            failed("maxmemory", "argument must be a memory value"),
        ),
        (
            &["maxmemory-clients", "101%"],
            failed(
                "maxmemory-clients",
                "percentage argument must be less or equal to 100",
            ),
        ),
        (
            &["maxmemory-clients", "-5"],
            failed(
                "maxmemory-clients",
                "argument must be a memory or percent value",
            ),
        ),
        (
            &["loglevel", "nothing"],
            failed(
                "loglevel",
                "argument(s) must be one of the following: debug, verbose, notice, warning",
            ),
        ),
        (
            &["shutdown-on-sigint", "save nosave"],
            failed(
                "shutdown-on-sigint",
                "shutdown options SAVE and NOSAVE can't be used simultaneously",
            ),
        ),
        (
            &["daemonize", "yes"],
            failed("daemonize", "can't set immutable config"),
        ),
        (
            &["slaveof", "127.0.0.1 6379"],
            failed("slaveof", "can't set immutable config"),
        ),
        (
            &["dir", "/tmp"],
            failed("dir", "can't set protected config"),
        ),
        (
            &["nosuch", "1"],
            error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
        ),
        (
            &["port", "1", "PORT", "2"],
            failed("PORT", "duplicate parameter"),
        ),
        // Names are all checked before any value, the first problem winning.
        (
            &["port", "x", "nosuch", "1"],
            error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"),
        ),
        (
            &["daemonize", "yes", "nosuch", "1"],
            failed("daemonize", "can't set immutable config"),
        ),
        (&["port", "1", "x"], error("ERR syntax error")),
        (
            &["save", "1 2  3 4"],
            failed("save", "Invalid save parameters"),
        ),
        (
            &["client-output-buffer-limit", "master 1 2 3"],
            failed(
                "client-output-buffer-limit",
                "Invalid client class specified in buffer limit configuration.",
            ),
        ),
        (
            &["oom-score-adj-values", "1 2"],
            failed("oom-score-adj-values", "wrong number of arguments"),
        ),
        (
            &["notify-keyspace-events", "Kx y"],
            failed(
                "notify-keyspace-events",
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            ),
        ),
        (
            &["latency-tracking-info-percentiles", "101"],
            failed(
                "latency-tracking-info-percentiles",
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
            ),
        ),
        (
            &["proc-title-template", "{bogus}"],
            failed(
                "proc-title-template",
                "template format is invalid or contains unknown variables",
            ),
        ),
    ];
    for (pairs, expected) in cases {
        let mut command = vec!["CONFIG", "SET"];
        command.extend_from_slice(pairs);
        assert_eq!(&c.cmd(&command), expected, "{pairs:?}");
    }
    // Nothing was changed by the failed commands.
    let config = c.server.config().clone();
    assert_eq!(config.get("port"), Some("6379"));
    assert_eq!(config.get("maxmemory"), Some("0"));
}

#[test]
fn protected_configs_follow_enable_protected_configs() {
    let dir = TempDir::new("protected");
    let dir_text = dir.0.display().to_string();
    let remote: Option<SocketAddr> = "192.0.2.7:4000".parse().ok();
    for (setting, local_ok, remote_ok) in [
        ("no", false, false),
        ("local", true, false),
        ("yes", true, true),
    ] {
        let config = Config::from_args(args(&[
            "--enable-protected-configs",
            setting,
            "--protected-mode",
            "no",
        ]))
        .expect("config");
        let server = Arc::new(Server::new(config, T0));
        for (peer, allowed) in [(None, local_ok), (remote, remote_ok)] {
            let mut c = Conn::open(&server, peer, T0);
            let reply = c.cmd(&["CONFIG", "SET", "dir", &dir_text]);
            assert_eq!(reply == "+OK\r\n", allowed, "{setting} {peer:?}: {reply}");
        }
    }
}

#[test]
fn config_rewrite_round_trips() {
    let dir = TempDir::new("rewrite");
    let path = dir.path("redis.conf");
    std::fs::copy(fixture(), &path).expect("copy");
    let config = Config::from_args(vec![path.display().to_string()]).expect("loads");
    let mut c = Conn::with_config(config);
    c.cmd(&["AUTH", "correct horse"]);
    let set = |c: &mut Conn, name: &str, value: &str| {
        assert_eq!(c.cmd(&["CONFIG", "SET", name, value]), "+OK\r\n", "{name}");
    };
    set(&mut c, "maxmemory", "1gb");
    set(&mut c, "hash-max-ziplist-entries", "300");
    set(&mut c, "save", "");
    set(&mut c, "slowlog-max-len", "1000");
    set(&mut c, "maxmemory-clients", "5%");
    set(&mut c, "client-output-buffer-limit", "pubsub 32mb 8mb 60");
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), "+OK\r\n");
    let text = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<&str> = text.lines().collect();

    // Comments and the lines radish does not rewrite stay where they were.
    assert_eq!(
        lines[0],
        "# A sample configuration for radish's config tests: common directives written the way"
    );
    assert!(lines.contains(&"# --- old names, still accepted ---"));
    assert!(lines.contains(&"rename-command FLUSHALL \"\""));
    // A parameter's line is replaced in place, under its own name if it had an alias.
    let at = |line: &str| lines.iter().position(|l| *l == line);
    let policy = at("maxmemory-policy allkeys-lru").expect("policy line");
    assert_eq!(at("maxmemory 1gb"), Some(policy - 1), "{text}");
    assert!(at("hash-max-listpack-entries 300").is_some(), "{text}");
    assert!(at("slave-priority 50").is_none() && at("replica-priority 50").is_some());
    // `save ""` takes the first save line; the others are blanked.
    let save_lines = lines.iter().filter(|l| l.starts_with("save ")).count();
    assert_eq!(save_lines, 1, "{text}");
    assert!(at("save \"\"").is_some());
    // Back to its default: the line stays with the default value.
    assert!(at("client-output-buffer-limit pubsub 32mb 8mb 60").is_some());
    // Changed values without a line go after the signature; defaults are not added.
    let signature = at("# Generated by CONFIG REWRITE").expect("signature");
    for line in [
        "slowlog-max-len 1000",
        "maxmemory-clients 5%",
        &format!("dir \"{}\"", std::env::current_dir().unwrap().display()),
    ] {
        assert!(at(line).is_some_and(|p| p > signature), "{line}: {text}");
    }
    assert!(!text.contains("io-threads"));
    assert!(!text.contains("\n\n\n"));

    // The rewritten file loads back to the same configuration. Rewriting it again changes
    // nothing but, as with Redis, a blank line at the end (the empty "line" after the final
    // newline); then it stays as it is.
    let live = c.server.config().clone();
    let reloaded = Config::from_args(vec![path.display().to_string()]).expect("reloads");
    let all = [&b"*"[..]];
    assert_eq!(reloaded.matching(&all), live.matching(&all));
    reloaded.rewrite().expect("rewrite");
    let again = std::fs::read_to_string(&path).expect("read");
    assert_eq!(again, format!("{text}\n"));
    reloaded.rewrite().expect("rewrite");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), again);
}

#[test]
fn config_rewrite_errors() {
    let mut c = Conn::new();
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        error("ERR The server is running without a config file")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE", "x"]),
        error("ERR wrong number of arguments for 'config|rewrite' command")
    );
    let mut config = Config::default();
    config.config_file = Some("/nonexistent-radish-dir/redis.conf".to_string());
    assert_eq!(
        config.rewrite().expect_err("no such directory").to_string(),
        "ERR Rewriting config file: No such file or directory"
    );
    // A config file deleted since start-up is written anew.
    let dir = TempDir::new("rewrite-new");
    let path = dir.path("new.conf");
    config.config_file = Some(path.display().to_string());
    config
        .set_many(&[(Bytes::from("port"), Bytes::from("7777"))])
        .expect("set");
    config.rewrite().expect("rewrite");
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(
        text.starts_with("# Generated by CONFIG REWRITE\n"),
        "{text}"
    );
    assert!(text.contains("\nport 7777\n"), "{text}");
}

#[test]
fn include_reads_other_files() {
    let dir = TempDir::new("include");
    std::fs::create_dir_all(dir.path("conf.d")).expect("mkdir");
    std::fs::write(dir.path("conf.d/b.conf"), "maxmemory 2mb\n").expect("write");
    std::fs::write(dir.path("conf.d/a.conf"), "maxmemory 1mb\nport 7001\n").expect("write");
    std::fs::write(dir.path("conf.d/.hidden.conf"), "port 1\n").expect("write");
    std::fs::write(dir.path("extra.conf"), "timeout 5\n").expect("write");
    let main = dir.path("main.conf");
    std::fs::write(
        &main,
        format!(
            "dir \"{}\"\n# relative to dir, in name order, dot files skipped\ninclude conf.d/*.conf\n\
             include {}\ninclude none/*.conf\n",
            dir.0.display(),
            dir.path("extra.conf").display()
        ),
    )
    .expect("write");
    let config = Config::from_args(vec![main.display().to_string()]).expect("loads");
    assert_eq!(config.get("maxmemory"), Some("2097152"));
    assert_eq!(config.get("port"), Some("7001"));
    assert_eq!(config.get("timeout"), Some("5"));

    // A missing file (not a pattern) is fatal, and an error inside an included file names
    // its line there.
    std::fs::write(&main, "include /nonexistent-radish.conf\n").expect("write");
    let error = Config::from_args(vec![main.display().to_string()]).unwrap_err();
    assert_eq!(
        error,
        "Fatal error, can't open config file '/nonexistent-radish.conf': No such file or \
         directory"
    );
    std::fs::write(dir.path("extra.conf"), "\ntimeout -1\n").expect("write");
    std::fs::write(
        &main,
        format!("port 7000\ninclude {}\n", dir.path("extra.conf").display()),
    )
    .expect("write");
    let error = Config::from_args(vec![main.display().to_string()]).unwrap_err();
    assert!(
        error.ends_with(
            "at line 2\n>>> 'timeout -1'\nargument must be between 0 and 2147483647 inclusive"
        ),
        "{error}"
    );
}

#[test]
fn rename_command_is_checked_and_kept() {
    let mut config = Config::default();
    config
        .apply_text("rename-command get fetch\nrename-command fetch obtain\nrename-command set set")
        .expect("valid");
    assert_eq!(
        config.renamed_commands(),
        &[
            ("get".to_string(), "fetch".to_string()),
            ("fetch".to_string(), "obtain".to_string()),
            ("set".to_string(), "set".to_string())
        ]
    );
    let error = Config::default()
        .apply_text("rename-command nosuch x")
        .unwrap_err();
    assert!(
        error.ends_with("\nNo such command in rename-command"),
        "{error}"
    );
    let error = Config::default()
        .apply_text("rename-command get set")
        .unwrap_err();
    assert!(
        error.ends_with("\nTarget command name already exists"),
        "{error}"
    );
}

#[test]
fn dir_must_exist_and_is_shown_absolute() {
    let dir = TempDir::new("dir");
    std::fs::create_dir_all(dir.path("sub")).expect("mkdir");
    let config = Config::from_args(args(&[
        "--dir",
        &dir.0.display().to_string(),
        "--dir",
        "sub",
    ]))
    .expect("loads");
    // A relative `dir` is relative to the previous one, as after Redis's chdir.
    assert_eq!(
        config.get("dir"),
        Some(dir.path("sub").display().to_string().as_str())
    );
    let error = Config::from_args(args(&["--dir", "/nonexistent-radish-dir"])).unwrap_err();
    assert!(error.ends_with("\nNo such file or directory"), "{error}");
}
