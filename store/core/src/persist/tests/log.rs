//! What the log records, and replaying it.

use super::*;
use crate::session::Session;

#[test]
fn the_log_is_deterministic_as_redis_makes_it() {
    let dir = temp_dir("determinism");
    let (server, mut s) = open(&dir, &["appendonly yes", "appendfsync always"], T0);
    for args in [
        &["SET", "a", "1", "EX", "100"][..],
        &["SETEX", "b", "100", "x"],
        &["EXPIRE", "a", "50"],
        &["INCRBYFLOAT", "f", "1.5"],
        &["SADD", "s", "a", "b", "c"],
        &["SPOP", "s", "5"],
        &["GETDEL", "a"],
        &["GET", "nothing"],
        &["MULTI"],
        &["SET", "t", "1"],
        &["INCR", "t"],
        &["EXEC"],
        &["HINCRBYFLOAT", "h", "f", "2.5"],
        &["RPUSH", "l", "a", "b", "c"],
        &["LMPOP", "1", "l", "LEFT", "COUNT", "2"],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZMPOP", "1", "z", "MIN"],
        &["GETEX", "b", "PX", "10"],
        &["SELECT", "3"],
        &["SET", "x", "y", "PX", "5"],
        &["DEL", "nothing"],
    ] {
        run(&mut s, T0, args);
    }
    // A read after the deadline removes the key: the log gets a DEL.
    run(&mut s, T0 + 6, &["GET", "x"]);
    drop(s);
    server.close(T0 + 6).expect("closes");
    let expected = format!(
        "SELECT 0\nSET a 1 PXAT {a}\nSET b x PXAT {a}\nPEXPIREAT a {e}\nSET f 1.5 KEEPTTL\n\
         SADD s a b c\nDEL s\nDEL a\nMULTI\nSET t 1\nINCR t\nEXEC\nHSET h f 2.5\n\
         RPUSH l a b c\nLPOP l 2\nZADD z 1 a 2 b\nZPOPMIN z 1\nPEXPIREAT b {g}\n\
         SELECT 3\nSET x y PXAT {x}\nDEL x\n",
        a = T0 + 100_000,
        e = T0 + 50_000,
        g = T0 + 10,
        x = T0 + 5,
    );
    assert_eq!(log_text(&dir), expected);
}

#[test]
fn a_log_of_renamed_commands_loads_back_with_the_same_renames() {
    // The log holds a command as the client sent it (PUSH, RPUSH's new name), and what radish
    // writes itself under the original name (SET ... PXAT, DEL), even where that name now
    // means another command (SET is GET's new name) or none (DEL is removed).
    let renames = [
        "appendonly yes",
        "rename-command rpush push",
        "rename-command set put",
        "rename-command get set",
        "rename-command del \"\"",
    ];
    let dir = temp_dir("renamed");
    let (server, mut s) = open(&dir, &renames, T0);
    run(&mut s, T0, &["PUSH", "l", "a", "b"]);
    run(&mut s, T0, &["PUT", "k", "v", "EX", "100"]);
    run(&mut s, T0, &["PUT", "gone", "soon", "PX", "5"]);
    // Expired and removed by a read: the log gets a DEL, which no client can send any more.
    assert_eq!(run(&mut s, T0 + 6, &["SET", "gone"]), "$-1\r\n");
    drop(s);
    server.close(T0 + 6).expect("closes");
    let expected = format!(
        "SELECT 0\nPUSH l a b\nSET k v PXAT {k}\nSET gone soon PXAT {gone}\nDEL gone\n",
        k = T0 + 100_000,
        gone = T0 + 5,
    );
    assert_eq!(log_text(&dir), expected);
    let (_server, mut s) = open(&dir, &renames, T0 + 7);
    assert_eq!(run(&mut s, T0 + 7, &["SET", "k"]), "$1\r\nv\r\n");
    assert_eq!(run(&mut s, T0 + 7, &["LLEN", "l"]), ":2\r\n");
    assert_eq!(run(&mut s, T0 + 7, &["EXISTS", "gone"]), ":0\r\n");
}

#[test]
fn served_blocking_pops_are_logged_as_plain_pops() {
    let dir = temp_dir("blocking");
    let (server, mut waiter) = open(&dir, &["appendonly yes"], T0);
    let mut pusher = Session::new(server.clone(), None, None, T0);
    let mut mover = Session::new(server.clone(), None, None, T0);
    assert_eq!(run(&mut waiter, T0, &["BLPOP", "q", "0"]), "");
    assert_eq!(
        run(
            &mut mover,
            T0,
            &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]
        ),
        ""
    );
    run(&mut pusher, T0, &["RPUSH", "q", "job"]);
    run(&mut pusher, T0, &["RPUSH", "src", "a", "b"]);
    run(&mut pusher, T0, &["SADD", "s", "m"]);
    run(&mut pusher, T0, &["SPOP", "s"]);
    drop((waiter, pusher, mover));
    server.close(T0).expect("closes");
    assert_eq!(
        log_text(&dir),
        "SELECT 0\nRPUSH q job\nLPOP q\nRPUSH src a b\nLMOVE src dst RIGHT LEFT\nSADD s m\nSREM s m\n"
    );
}

/// Commands of every family, including the ones logged in another form.
const SCRIPT: &[&[&str]] = &[
    &["SET", "str", "v"],
    &["SET", "ttl", "v", "EX", "1000"],
    &["APPEND", "str", "w"],
    &["SETRANGE", "str", "5", "xyz"],
    &["INCRBY", "n", "5"],
    &["INCRBYFLOAT", "fl", "0.1"],
    &["INCRBYFLOAT", "fl", "0.2"],
    &["MSET", "m1", "a", "m2", "b"],
    &["GETEX", "m1", "PX", "5000"],
    &["GETDEL", "m2"],
    &["RPUSH", "list", "a", "b", "c", "d", "e"],
    &["LPUSH", "list", "z"],
    &["LSET", "list", "1", "A"],
    &["LINSERT", "list", "BEFORE", "c", "bb"],
    &["LREM", "list", "1", "d"],
    &["LTRIM", "list", "0", "4"],
    &["LMOVE", "list", "list2", "LEFT", "RIGHT"],
    &["LMPOP", "2", "nolist", "list", "RIGHT", "COUNT", "2"],
    &["HSET", "hash", "a", "1", "b", "2", "c", "3"],
    &["HDEL", "hash", "c"],
    &["HINCRBY", "hash", "a", "10"],
    &["HINCRBYFLOAT", "hash", "b", "1.25"],
    &["HSETNX", "hash", "d", "4"],
    &["SADD", "set", "1", "2", "3", "4", "5", "6", "7", "8"],
    &["SREM", "set", "8"],
    &["SPOP", "set"],
    &["SPOP", "set", "2"],
    &["SMOVE", "set", "set2", "1"],
    &["SADD", "other", "1", "2", "x"],
    &["SINTERSTORE", "inter", "set", "other"],
    &["SUNIONSTORE", "union", "set", "other"],
    &[
        "ZADD", "zset", "1", "a", "2", "b", "3.5", "c", "-inf", "d", "1e300", "e",
    ],
    &["ZINCRBY", "zset", "0.1", "a"],
    &["ZREM", "zset", "c"],
    &["ZPOPMAX", "zset"],
    &["ZMPOP", "1", "zset", "MIN", "COUNT", "1"],
    &["ZADD", "z2", "5", "a", "7", "q"],
    &[
        "ZUNIONSTORE",
        "zu",
        "2",
        "zset",
        "z2",
        "WEIGHTS",
        "2",
        "0.5",
    ],
    &["ZRANGESTORE", "zr", "zu", "0", "1"],
    &["XADD", "st", "1-1", "a", "1", "b", "2"],
    &["XADD", "st", "*", "a", "3", "b", "4"],
    &["XADD", "st", "*", "c", "5"],
    &["XADD", "st", "MAXLEN", "~", "1", "*", "d", "6"],
    &["XDEL", "st", "1-1"],
    &["XTRIM", "st", "MAXLEN", "2"],
    &["XADD", "st2", "MINID", "=", "5", "7-*", "e", "7"],
    &[
        "XSETID",
        "st2",
        "99999999999999-5",
        "ENTRIESADDED",
        "50",
        "MAXDELETEDID",
        "3-3",
    ],
    &["XADD", "st2", "*", "f", "8"],
    &["XGROUP", "CREATE", "st2", "g", "0"],
    &["XGROUP", "CREATE", "st2", "h", "$", "ENTRIESREAD", "2"],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "COUNT",
        "1",
        "STREAMS",
        "st2",
        ">",
    ],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "bob",
        "NOACK",
        "STREAMS",
        "st2",
        ">",
    ],
    &[
        "XREADGROUP",
        "GROUP",
        "h",
        "erin",
        "NOACK",
        "STREAMS",
        "st2",
        ">",
    ],
    &["XCLAIM", "st2", "g", "carol", "0", "7-0", "RETRYCOUNT", "5"],
    &["XGROUP", "CREATECONSUMER", "st2", "g", "dave"],
    &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st2", "0"],
    &["XGROUP", "CREATE", "st2", "gone", "0"],
    &["XGROUP", "DESTROY", "st2", "gone"],
    &["XADD", "emptied", "MAXLEN", "0", "1-1", "f", "v"],
    &["ZREMRANGEBYSCORE", "zu", "-inf", "2"],
    &["RENAME", "zr", "zr2"],
    &["COPY", "hash", "hash2"],
    &["EXPIRE", "hash2", "500"],
    &["PEXPIRE", "union", "700000"],
    &["PERSIST", "union"],
    &["EXPIREAT", "inter", "1"],
    &["MOVE", "str", "2"],
    &["SELECT", "2"],
    &["SET", "in2", "x"],
    &["SELECT", "0"],
    &["MULTI"],
    &["INCR", "n"],
    &["SPOP", "other"],
    &["EXEC"],
    &["SET", "gone", "x", "PX", "10"],
    &["DEL", "m1"],
    &["SELECT", "5"],
    &["SET", "five", "5"],
    &["SELECT", "0"],
    &["SWAPDB", "0", "5"],
    &["SET", "after-swap", "x"],
];

#[test]
fn replaying_the_log_gives_back_the_same_data() {
    let dir = temp_dir("replay");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    // Run the script twice, around a FLUSHDB, with keys expiring on the way.
    let flush: &[&str] = &["FLUSHDB"];
    let twice = SCRIPT.iter().chain([&flush]).chain(SCRIPT.iter());
    for (round, args) in twice.enumerate() {
        run(&mut s, T0 + round as Millis * 7, args);
    }
    let now = T0 + 10_000;
    let expected = dump(&server, now);
    assert!(expected.len() > 5, "{expected:?}");
    drop(s);
    server.close(now).expect("closes");

    let (reloaded, _s) = open(&dir, &["appendonly yes"], now);
    assert_eq!(dump(&reloaded, now), expected);
}

#[test]
fn a_snapshot_round_trips_every_type_and_drops_what_expired_meanwhile() {
    let dir = temp_dir("snapshot");
    let (server, mut s) = open(&dir, &[], T0);
    for args in SCRIPT {
        run(&mut s, T0, args);
    }
    run(&mut s, T0, &["SET", "soon", "x", "PX", "3000"]);
    run(&mut s, T0, &["SELECT", "9"]);
    run(&mut s, T0, &["HSET", "big", "f", &"v".repeat(100_000)]);
    let expected = dump(&server, T0 + 5_000);
    assert!(expected.values().any(|value| value.starts_with("stream [")));
    assert!(expected.values().any(|v| v.contains("groups [(")));
    let expiring = dump(&server, T0).len() - expected.len();
    assert!(expiring >= 1);
    assert_eq!(run(&mut s, T0, &["SAVE"]), "+OK\r\n");
    drop(s);
    drop(server);

    // Loaded after "soon" expired: it is gone; everything else is as it was.
    let (reloaded, mut s) = open(&dir, &[], T0 + 5_000);
    assert_eq!(dump(&reloaded, T0 + 5_000), expected);
    assert!(!expected.contains_key(&(0, b"soon".to_vec())));
    let info = run(&mut s, T0 + 5_000, &["INFO", "persistence"]);
    assert!(
        info.contains(&format!("rdb_last_load_keys_expired:{expiring}\r\n")),
        "{info}"
    );
}

#[test]
fn hyperloglog_writes_are_logged_as_redis_logs_them_and_replay_to_the_same_bytes() {
    let dir = temp_dir("hll");
    let directives = ["appendonly yes", "hll-sparse-max-bytes 200"];
    let (server, mut s) = open(&dir, &directives, T0);
    let many: Vec<String> = (0..300).map(|i| format!("e{i}")).collect();
    let mut pfadd_many = vec!["PFADD", "big"];
    pfadd_many.extend(many.iter().map(String::as_str));
    for args in [
        &["PFADD", "a", "x", "y", "z"][..],
        // Not logged: no register changed.
        &["PFADD", "a", "x"],
        // Caches the count in the string: logged.
        &["PFCOUNT", "a"],
        // The cache is valid now: not logged.
        &["PFCOUNT", "a"],
        // Past hll-sparse-max-bytes: dense.
        &pfadd_many,
        // Several keys: only reads.
        &["PFCOUNT", "a", "big"],
        &["PFMERGE", "m", "a", "big"],
        &["PFADD", "c", "p", "q"],
        &["PFDEBUG", "TODENSE", "c"],
        // Already dense: not logged.
        &["PFDEBUG", "TODENSE", "c"],
        &["PFADD", "d", "p"],
        &["PFDEBUG", "ENCODING", "d"],
    ] {
        run(&mut s, T0, args);
    }
    assert!(run(&mut s, T0, &["PFDEBUG", "ENCODING", "big"]).contains("dense"));
    let expected = dump(&server, T0);
    assert_eq!(expected.len(), 5);
    drop(s);
    server.close(T0).expect("closes");
    let log = log_text(&dir);
    let logged: Vec<&str> = log
        .lines()
        .map(|line| {
            if line.starts_with("PFADD big") {
                "PFADD big ..."
            } else {
                line
            }
        })
        .collect();
    assert_eq!(
        logged,
        [
            "SELECT 0",
            "PFADD a x y z",
            "PFCOUNT a",
            "PFADD big ...",
            "PFMERGE m a big",
            "PFADD c p q",
            "PFDEBUG TODENSE c",
            "PFADD d p",
        ]
    );

    let (reloaded, _s) = open(&dir, &directives, T0);
    assert_eq!(dump(&reloaded, T0), expected);
}

#[test]
fn a_log_base_is_an_rdb_preamble_or_commands_as_aof_use_rdb_preamble_says() {
    for (preamble, starts_with, suffix) in [("yes", &b"REDIS0010"[..], "rdb"), ("no", b"*", "aof")]
    {
        let dir = temp_dir(&format!("preamble-{preamble}"));
        let setting = format!("aof-use-rdb-preamble {preamble}");
        let (server, mut s) = open(&dir, &[&setting], T0);
        for args in SCRIPT {
            run(&mut s, T0, args);
        }
        // Turned on at run time, the log starts from the data: its first rewrite's base.
        let reply = run(&mut s, T0, &["CONFIG", "SET", "appendonly", "yes"]);
        assert_eq!(reply, "+OK\r\n");
        super::jobs::tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
        run(&mut s, T0, &["SET", "after", "base"]);
        let expected = dump(&server, T0);
        assert!(expected.contains_key(&(0, b"after".to_vec())));
        drop(s);
        server.close(T0).expect("closes");
        let base = log_files(&dir).0.expect("a base");
        let name = base.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, format!("appendonly.aof.1.base.{suffix}"));
        let log = std::fs::read(&base).unwrap();
        assert!(log.starts_with(starts_with), "{preamble}");
        assert!(log_text(&dir).ends_with("SET after base\n"), "{preamble}");

        let directives = ["appendonly yes", &setting];
        let (reloaded, _s) = open(&dir, &directives, T0);
        assert_eq!(dump(&reloaded, T0), expected, "{preamble}");
    }
}
