//! Introspection commands, replies checked byte for byte against what Redis 7.0.15 sends:
//! ROLE, COMMAND GETKEYS / GETKEYSANDFLAGS / LIST, MEMORY, LATENCY, ACL, CLIENT GETREDIR /
//! TRACKINGINFO and LOLWUT.

mod support;

use radish_store::Config;
use support::Conn;

const OK: &str = "+OK\r\n";
const NIL: &str = "$-1\r\n";

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

fn err(line: &str) -> String {
    format!("-{line}\r\n")
}

/// An array of bulk strings.
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&bulk(item));
    }
    out
}

/// The bulk strings of a flat RESP2 array reply.
fn parse_bulks(reply: &str) -> Vec<String> {
    let mut lines = reply.split("\r\n");
    let header = lines.next().expect("a header");
    assert!(header.starts_with('*'), "not an array: {reply}");
    let mut items = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('$') {
            items.push(lines.next().expect("bulk body").to_string());
        }
    }
    items
}

/// A connection speaking RESP3.
fn resp3() -> Conn {
    let mut c = Conn::new();
    assert!(c.cmd(&["HELLO", "3"]).starts_with("%7\r\n"));
    c
}

#[test]
fn role_is_a_master_without_replicas() {
    let mut c = Conn::new();
    let reply = "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n";
    assert_eq!(c.cmd(&["ROLE"]), reply);
    assert_eq!(resp3().cmd(&["ROLE"]), reply);
    assert_eq!(
        c.cmd(&["ROLE", "x"]),
        err("ERR wrong number of arguments for 'role' command")
    );
}

#[test]
fn getkeys_follows_the_key_specs() {
    let mut c = Conn::new();
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "MSET", "a", "b", "c", "d", "e", "f"]),
        bulks(&["a", "c", "e"])
    );
    assert_eq!(c.cmd(&["COMMAND", "GETKEYS", "get", "k"]), bulks(&["k"]));
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"]),
        bulks(&["k"])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "memory", "usage", "k", "samples", "5"]),
        bulks(&["k"])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "blpop", "a", "b", "0"]),
        bulks(&["a", "b"])
    );
    // Key counts: the destination first, from the specs.
    assert_eq!(
        c.cmd(&[
            "COMMAND",
            "GETKEYS",
            "zunionstore",
            "d",
            "2",
            "a",
            "b",
            "weights",
            "1",
            "2"
        ]),
        bulks(&["d", "a", "b"])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "lmpop", "2", "a", "b", "left"]),
        bulks(&["a", "b"])
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "bzmpop", "1.5", "2", "a", "b", "max"]),
        bulks(&["a", "b"])
    );
    assert_eq!(
        c.cmd(&[
            "COMMAND",
            "GETKEYS",
            "sintercard",
            "2",
            "a",
            "b",
            "limit",
            "1"
        ]),
        bulks(&["a", "b"])
    );
    // A count the specs cannot read goes to Redis's fallback, which reads it with atoi and
    // lists the destination last.
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "zunionstore", "d", "2abc", "a", "b"]),
        bulks(&["a", "b", "d"])
    );
    // SORT: the last STORE names the destination.
    assert_eq!(
        c.cmd(&[
            "COMMAND", "GETKEYS", "sort", "k", "by", "x", "limit", "0", "1", "store", "d1",
            "store", "d2"
        ]),
        bulks(&["k", "d2"])
    );
}

#[test]
fn getkeys_errors_are_redis_errors() {
    let mut c = Conn::new();
    let invalid = err("ERR Invalid arguments specified for command");
    for args in [
        &["zunionstore", "d", "0", "a"][..],
        &["zunionstore", "d", "3", "a", "b"],
        &["zunionstore", "d", "-1", "a"],
        &["zunionstore", "d", "x", "a"],
        &["lmpop", "4", "a", "b", "left"],
    ] {
        let mut command = vec!["COMMAND", "GETKEYS"];
        command.extend_from_slice(args);
        assert_eq!(c.cmd(&command), invalid, "{args:?}");
    }
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "nosuch", "k"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "object", "nosuch", "k"]),
        err("ERR Invalid command specified")
    );
    for args in [
        &["ping", "x"][..],
        &["echo", "x"],
        &["client", "list"],
        &["publish", "c", "m"],
    ] {
        let mut command = vec!["COMMAND", "GETKEYS"];
        command.extend_from_slice(args);
        assert_eq!(
            c.cmd(&command),
            err("ERR The command has no key arguments"),
            "{args:?}"
        );
    }
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get"]),
        err("ERR wrong number of arguments for 'command|getkeys' command")
    );
}

#[test]
fn getkeysandflags_reports_access_flags() {
    let mut c = Conn::new();
    assert_eq!(
        c.cmd(&[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "LMOVE",
            "a",
            "b",
            "left",
            "left"
        ]),
        "*2\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n\
         *2\r\n$1\r\nb\r\n*2\r\n+RW\r\n+insert\r\n"
    );
    // SET's flags depend on GET.
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v"]),
        "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n"
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "GET"]),
        "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"
    );
    // BITFIELD: read-only with GET alone.
    assert_eq!(
        c.cmd(&[
            "COMMAND",
            "GETKEYSANDFLAGS",
            "bitfield",
            "k",
            "get",
            "u8",
            "0"
        ]),
        "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n"
    );
    // The fallback of a malformed count has no flags.
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "zinterstore", "d", "1x", "a"]),
        "*2\r\n*2\r\n$1\r\na\r\n*0\r\n*2\r\n$1\r\nd\r\n*0\r\n"
    );
    assert_eq!(
        resp3().cmd(&["COMMAND", "GETKEYSANDFLAGS", "get", "k"]),
        "*1\r\n*2\r\n$1\r\nk\r\n~2\r\n+RO\r\n+access\r\n"
    );
}

#[test]
fn command_list_includes_subcommands_and_filters() {
    let mut c = Conn::new();
    let all = parse_bulks(&c.cmd(&["COMMAND", "LIST"]));
    for name in [
        "get",
        "config",
        "config|get",
        "command|getkeys",
        "acl|whoami",
        "lolwut",
    ] {
        assert!(all.iter().any(|n| n == name), "{name} in {all:?}");
    }
    let mut acl = parse_bulks(&c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "ACL|W*"]));
    acl.sort();
    assert_eq!(acl, ["acl|whoami"]);
    let mut transaction =
        parse_bulks(&c.cmd(&["command", "list", "filterby", "aclcat", "TRANSACTION"]));
    transaction.sort();
    assert_eq!(
        transaction,
        ["discard", "exec", "multi", "unwatch", "watch"]
    );
    let empty = "*0\r\n";
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "m"]),
        empty
    );
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"]),
        empty
    );
    for args in [
        &["COMMAND", "LIST", "x"][..],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
        &["COMMAND", "LIST", "FILTERBY", "foo", "bar"],
    ] {
        assert_eq!(c.cmd(args), err("ERR syntax error"), "{args:?}");
    }
}

#[test]
fn command_info_shows_redis_categories_and_flag_names() {
    let mut c = Conn::new();
    // Redis 7.0.15's bytes: the key spec as a map (flattened in RESP2).
    assert_eq!(
        c.cmd(&["COMMAND", "INFO", "get"]),
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
         *3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n\
         +access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n\
         *2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n\
         $4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n\
         *0\r\n"
    );
    assert_eq!(
        resp3().cmd(&["COMMAND", "INFO", "role"]),
        "*1\r\n*10\r\n$4\r\nrole\r\n:1\r\n~4\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n\
         :0\r\n:0\r\n:0\r\n~3\r\n+@admin\r\n+@fast\r\n+@dangerous\r\n~0\r\n~0\r\n~0\r\n"
    );
    let auth = c.cmd(&["COMMAND", "INFO", "auth"]);
    assert!(
        auth.contains("+no_auth\r\n") && auth.contains("+allow_busy\r\n"),
        "{auth}"
    );
    let usage = c.cmd(&["COMMAND", "INFO", "memory|usage"]);
    assert!(
        usage.starts_with("*1\r\n*10\r\n$12\r\nmemory|usage\r\n:-3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n*2\r\n+@read\r\n+@slow\r\n"),
        "{usage}"
    );
}

#[test]
fn memory_usage_measures_keys() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "missing"]), NIL);
    assert_eq!(resp3().cmd(&["MEMORY", "USAGE", "missing"]), "_\r\n");
    c.cmd(&["SET", "small", "v"]);
    c.cmd(&["SET", "large", &"x".repeat(10_000)]);
    let usage = |c: &mut Conn, key: &str| -> i64 {
        let reply = c.cmd(&["MEMORY", "USAGE", key]);
        reply
            .strip_prefix(':')
            .and_then(|r| r.strip_suffix("\r\n"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("MEMORY USAGE {key}: {reply}"))
    };
    let small = usage(&mut c, "small");
    let large = usage(&mut c, "large");
    // Redis says 64 and 10288 bytes.
    assert!((32..256).contains(&small), "{small}");
    assert!((10_000..11_000).contains(&large), "{large}");
    // As in Redis, a deadline's bookkeeping is not counted.
    c.cmd(&["EXPIRE", "small", "100"]);
    assert_eq!(usage(&mut c, "small"), small);
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "small", "SAMPLES", "0"]),
        int(usage(&mut c, "small"))
    );
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "small", "SAMPLES", "x"]),
        err("ERR value is not an integer or out of range")
    );
    for args in [
        &["MEMORY", "USAGE", "small", "SAMPLES"][..],
        &["MEMORY", "USAGE", "small", "SAMPLES", "-1"],
        &["MEMORY", "USAGE", "small", "foo"],
    ] {
        assert_eq!(c.cmd(args), err("ERR syntax error"), "{args:?}");
    }
}

#[test]
fn memory_stats_and_reports() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "v"]);
    let stats = c.cmd(&["MEMORY", "STATS"]);
    // 27 fields, and db.0 with its three figures.
    assert!(
        stats.starts_with("*56\r\n$14\r\npeak.allocated\r\n:"),
        "{stats}"
    );
    assert!(stats.contains("$4\r\ndb.0\r\n*6\r\n$23\r\noverhead.hashtable.main\r\n:"));
    assert!(stats.contains("$10\r\nkeys.count\r\n:1\r\n"));
    assert!(stats.contains("$17\r\nstartup.allocated\r\n:901120\r\n"));
    assert!(stats.ends_with("\r\n") && stats.contains("$13\r\nfragmentation\r\n$"));
    // RESP3: a map, with doubles.
    let stats = resp3().cmd(&["MEMORY", "STATS"]);
    assert!(stats.starts_with("%27\r\n"), "{stats}");
    assert!(stats.contains("$15\r\npeak.percentage\r\n,"), "{stats}");

    assert_eq!(
        c.cmd(&["MEMORY", "DOCTOR"]),
        bulk(
            "Hi Sam, this instance is empty or is using very little memory, my issues detector \
             can't be used in these conditions. Please, leave for your mission on Earth and fill \
             it with some data. The new Sam and I will be back to our programming as soon as I \
             finished rebooting.\n"
        )
    );
    assert_eq!(
        c.cmd(&["MEMORY", "MALLOC-STATS"]),
        bulk("Stats not supported for the current allocator")
    );
    assert_eq!(c.cmd(&["MEMORY", "PURGE"]), OK);
    assert!(c.cmd(&["MEMORY", "HELP"]).starts_with(
        "*14\r\n+MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DOCTOR\r\n"
    ));
    assert_eq!(
        c.cmd(&["MEMORY", "STATS", "x"]),
        err("ERR wrong number of arguments for 'memory|stats' command")
    );
    assert_eq!(
        c.cmd(&["MEMORY", "nosuch"]),
        err("ERR unknown subcommand 'nosuch'. Try MEMORY HELP.")
    );
}

#[test]
fn latency_histogram_counts_every_call() {
    // As Redis's latency-monitor.tcl: CONFIG RESETSTAT is itself recorded after the reset.
    let mut c = Conn::new();
    c.cmd(&["CONFIG", "RESETSTAT"]);
    let calls = |name: &str, calls: u64| {
        format!(
            "${}\r\n{name}\r\n*4\r\n$5\r\ncalls\r\n:{calls}\r\n$14\r\nhistogram_usec\r\n*",
            name.len()
        )
    };
    let reply = c.cmd(&["LATENCY", "HISTOGRAM"]);
    assert!(
        reply.starts_with(&format!("*2\r\n{}", calls("config|resetstat", 1))),
        "{reply}"
    );
    for _ in 0..40 {
        c.cmd(&["SET", "a", "b"]);
    }
    c.cmd(&["CLIENT", "ID"]);
    c.cmd(&["CLIENT", "GETNAME"]);
    // Every call counts, timed or not; a container stands for its subcommands; unknown names
    // are skipped.
    let reply = c.cmd(&["LATENCY", "HISTOGRAM", "SET", "client", "nosuch"]);
    assert!(reply.starts_with("*6\r\n"), "{reply}");
    for (name, n) in [("client|getname", 1), ("client|id", 1), ("set", 40)] {
        assert!(reply.contains(&calls(name, n)), "{name}: {reply}");
    }
    // The distribution is cumulative: it ends with every call.
    assert!(reply.ends_with(":40\r\n"), "{reply}");
    let mut c3 = resp3();
    c3.cmd(&["PING"]);
    assert!(c3
        .cmd(&["LATENCY", "HISTOGRAM", "ping"])
        .starts_with("%1\r\n$4\r\nping\r\n%2\r\n$5\r\ncalls\r\n:1\r\n"));
}

#[test]
fn latency_reports_no_events() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
    assert_eq!(c.cmd(&["LATENCY", "HISTORY", "command"]), "*0\r\n");
    assert_eq!(c.cmd(&["LATENCY", "RESET"]), int(0));
    assert_eq!(c.cmd(&["LATENCY", "RESET", "a", "b"]), int(0));
    assert_eq!(
        c.cmd(&["LATENCY", "GRAPH", "command"]),
        err("ERR No samples available for event 'command'")
    );
    assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "set"]), "*0\r\n");
    let doctor = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis \
                  instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" \
                  in order to enable it. If we weren't in a deep space mission I'd suggest to \
                  take a look at https://redis.io/topics/latency-monitor.\n";
    assert_eq!(c.cmd(&["LATENCY", "DOCTOR"]), bulk(doctor));
    assert_eq!(
        resp3().cmd(&["LATENCY", "DOCTOR"]),
        format!("={}\r\ntxt:{doctor}\r\n", doctor.len() + 4)
    );
    assert!(c
        .cmd(&["LATENCY", "HELP"])
        .starts_with("*17\r\n+LATENCY <subcommand>"));
    assert_eq!(
        c.cmd(&["LATENCY", "HISTORY"]),
        err("ERR wrong number of arguments for 'latency|history' command")
    );
}

#[test]
fn acl_describes_the_default_user() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["ACL", "WHOAMI"]), bulk("default"));
    assert_eq!(c.cmd(&["ACL", "USERS"]), bulks(&["default"]));
    assert_eq!(
        c.cmd(&["ACL", "LIST"]),
        bulks(&["user default on nopass ~* &* +@all"])
    );
    let getuser = "$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n\
                   $8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n$2\r\n~*\r\n\
                   $8\r\nchannels\r\n$2\r\n&*\r\n$9\r\nselectors\r\n*0\r\n";
    assert_eq!(
        c.cmd(&["ACL", "GETUSER", "default"]),
        format!("*12\r\n{getuser}")
    );
    assert_eq!(
        resp3().cmd(&["ACL", "GETUSER", "default"]),
        format!(
            "%6\r\n{}",
            getuser.replace("*2\r\n$2\r\non", "~2\r\n$2\r\non")
        )
    );
    assert_eq!(c.cmd(&["ACL", "GETUSER", "nobody"]), NIL);
}

#[test]
fn acl_shows_the_password_hash_when_one_is_required() {
    let config = Config::from_args(vec!["--requirepass".into(), "secret".into()]).expect("config");
    let mut c = Conn::with_config(config);
    assert_eq!(c.cmd(&["AUTH", "secret"]), OK);
    let hash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b";
    assert_eq!(
        c.cmd(&["ACL", "LIST"]),
        bulks(&[&format!("user default on #{hash} ~* &* +@all")])
    );
    let getuser = c.cmd(&["ACL", "GETUSER", "default"]);
    assert!(
        getuser.starts_with(&format!(
            "*12\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$9\r\npasswords\r\n*1\r\n$64\r\n{hash}\r\n"
        )),
        "{getuser}"
    );
}

#[test]
fn acl_categories_log_and_the_rest() {
    let mut c = Conn::new();
    let categories = parse_bulks(&c.cmd(&["ACL", "CAT"]));
    assert_eq!(categories.len(), 21);
    assert_eq!(categories[..3], ["keyspace", "read", "write"]);
    let mut blocking = parse_bulks(&c.cmd(&["ACL", "CAT", "Blocking"]));
    blocking.sort();
    assert_eq!(
        blocking,
        [
            "blmove",
            "blmpop",
            "blpop",
            "brpop",
            "brpoplpush",
            "bzmpop",
            "bzpopmax",
            "bzpopmin",
            "xread",
            "xreadgroup"
        ]
    );
    assert_eq!(
        c.cmd(&["ACL", "CAT", "nosuch"]),
        err("ERR Unknown category 'nosuch'")
    );
    assert_eq!(
        c.cmd(&["ACL", "CAT", "a", "b"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.")
    );
    assert_eq!(c.cmd(&["ACL", "LOG"]), "*0\r\n");
    assert_eq!(c.cmd(&["ACL", "LOG", "-5"]), "*0\r\n");
    assert_eq!(c.cmd(&["ACL", "LOG", "RESET"]), OK);
    assert_eq!(
        c.cmd(&["ACL", "LOG", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // GENPASS: a digit per 4 bits, rounded up.
    assert_eq!(c.cmd(&["ACL", "GENPASS"]).len(), "$64\r\n".len() + 64 + 2);
    assert!(c.cmd(&["ACL", "GENPASS", "5"]).starts_with("$2\r\n"));
    assert_eq!(
        c.cmd(&["ACL", "GENPASS", "0"]),
        err(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096"
        )
    );
    assert_eq!(
        c.cmd(&["ACL", "DELUSER", "foo", "default"]),
        err("ERR The 'default' user cannot be removed")
    );
    assert_eq!(c.cmd(&["ACL", "DELUSER", "foo", "bar"]), int(0));
    assert!(c
        .cmd(&["ACL", "LOAD"])
        .starts_with("-ERR This Redis instance is not configured to use an ACL file."));
    assert_eq!(c.cmd(&["ACL", "DRYRUN", "default", "get", "k"]), OK);
    assert_eq!(
        c.cmd(&["ACL", "DRYRUN", "default", "get"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        c.cmd(&["ACL", "DRYRUN", "default", "client", "nosuch"]),
        err("ERR Command 'client' not found")
    );
    assert_eq!(
        c.cmd(&["ACL", "DRYRUN", "nobody", "get", "k"]),
        err("ERR User 'nobody' not found")
    );
    // Radish cannot create or change users, so SETUSER does not exist.
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "alice", "on"]),
        err("ERR unknown subcommand 'SETUSER'. Try ACL HELP.")
    );
}

#[test]
fn client_tracking_is_off() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["CLIENT", "GETREDIR"]), int(-1));
    assert_eq!(
        c.cmd(&["CLIENT", "TRACKINGINFO"]),
        "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    assert_eq!(
        resp3().cmd(&["CLIENT", "TRACKINGINFO"]),
        "%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"
    );
    assert_eq!(
        c.cmd(&["CLIENT", "GETREDIR", "x"]),
        err("ERR wrong number of arguments for 'client|getredir' command")
    );
}

#[test]
fn lolwut_prints_the_version_and_art() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["LOLWUT"]), bulk("Redis ver. 7.0.15\n"));
    assert_eq!(
        c.cmd(&["LOLWUT", "VERSION", "7"]),
        bulk("Redis ver. 7.0.15\n")
    );
    assert_eq!(
        resp3().cmd(&["LOLWUT"]),
        "=22\r\ntxt:Redis ver. 7.0.15\n\r\n"
    );
    assert_eq!(
        c.cmd(&["LOLWUT", "VERSION", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // One row of squares is not shuffled: Redis 7.0.15 draws exactly this.
    assert_eq!(
        c.cmd(&["LOLWUT", "VERSION", "5", "10", "3", "1"]),
        bulk(
            "⢰⠒⠒⢲⠒⠒⣶⠒⠒⡆\n⢸⣀⣀⣸⣀⣀⣿⣀⣀⡇\n⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀\nGeorg Nees - schotter, plotter on \
             paper, 1968. Redis ver. 7.0.15\n"
        )
    );
    // A one-cell sky has no room for buildings.
    assert_eq!(
        c.cmd(&["LOLWUT", "VERSION", "6", "1", "1"]),
        bulk(
            "\x1b[0;97;107m \x1b[0m\nDedicated to the 8 bit game developers of past and \
             present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. 7.0.15\n"
        )
    );
    // The default skyline: 20 rows of 80 cells, then the credits.
    let skyline = c.cmd(&["LOLWUT", "VERSION", "6"]);
    assert_eq!(skyline.matches("\x1b[0m").count(), 80 * 20);
    assert!(skyline.ends_with("Redis ver. 7.0.15\n\r\n"));
}
