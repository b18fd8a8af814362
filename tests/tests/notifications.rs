//! Keyspace notifications against redis-server 7.0.15: each scenario runs the same commands
//! on Redis and on radish (both runtimes) with `notify-keyspace-events` set, while another
//! connection listens on `__key*__:*`; the messages it receives must be the same, in the
//! same order. A PUBLISH to `__keyend__:done` (which the pattern matches too) ends each
//! scenario, so that no test waits on silence.

use std::net::SocketAddr;
use std::time::Duration;

use radish_resp::Frame;
use radish_tests::{wait_for_blocked, RawClient, RedisServer, RUNTIMES};

/// One scenario: the classes to turn on, the steps, and the subscriber's protocol.
struct Scenario {
    name: &'static str,
    classes: &'static str,
    resp3: bool,
    steps: &'static [&'static [&'static str]],
}

/// A step is a command, or one of: `@sleep ms`; `@block command...` (sent on a second
/// connection, which then waits until the server counts it blocked); `@served` (reads the
/// blocked connection's reply); `@restore key ttl [option...]` (RESTOREs what DUMP gives
/// for the key `dumped`).
const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "strings",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["SET", "s", "1"],
            &["SET", "s", "2", "EX", "100"],
            &["SET", "s", "3", "KEEPTTL"],
            &["SET", "s", "4", "NX"],
            &["SET", "t", "4", "XX"],
            &["SET", "s", "5", "PXAT", "99999999999999", "GET"],
            &["SETNX", "n", "1"],
            &["SETNX", "n", "1"],
            &["SETEX", "e", "100", "v"],
            &["PSETEX", "e", "100000", "v"],
            &["GETSET", "s", "x"],
            &["MSET", "a", "1", "b", "2"],
            &["MSETNX", "c", "1", "d", "2"],
            &["MSETNX", "c", "1", "z", "2"],
            &["APPEND", "a", "xyz"],
            &["APPEND", "new", "xyz"],
            &["INCR", "i"],
            &["INCRBY", "i", "5"],
            &["DECR", "i"],
            &["DECRBY", "i", "2"],
            &["INCRBYFLOAT", "f", "1.5"],
            &["SETRANGE", "r", "3", "abc"],
            &["SETRANGE", "r", "0", ""],
            &["SETRANGE", "missing", "0", ""],
            &["GETEX", "a", "EX", "100"],
            &["GETEX", "a", "PERSIST"],
            &["GETEX", "b", "PERSIST"],
            &["GETEX", "b", "PXAT", "1"],
            &["GETDEL", "c"],
            &["GETDEL", "c"],
            &["SETBIT", "bits", "7", "1"],
            &["SETBIT", "bits", "7", "1"],
            &["SETBIT", "bits", "7", "0"],
            &["BITFIELD", "bf", "SET", "u8", "0", "255", "GET", "u8", "0"],
            &["BITFIELD", "bf", "GET", "u8", "0"],
            &["BITOP", "OR", "dest", "bits", "bf"],
            &["BITOP", "AND", "dest", "nothing", "none"],
            &["PFADD", "hll", "a", "b"],
            &["PFADD", "hll", "a"],
            &["PFADD", "hll2", "c"],
            &["PFMERGE", "hll3", "hll", "hll2"],
        ],
    },
    Scenario {
        name: "keys",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["MSET", "a", "1", "b", "2", "c", "3"],
            &["DEL", "a", "missing", "b"],
            &["UNLINK", "c"],
            &["SET", "k", "v"],
            &["EXPIRE", "k", "100"],
            &["PEXPIRE", "k", "100000", "XX"],
            &["EXPIRE", "k", "10", "GT"],
            &["PERSIST", "k"],
            &["PERSIST", "k"],
            &["EXPIREAT", "k", "99999999999"],
            &["PEXPIREAT", "k", "1"],
            &["SET", "k", "v"],
            &["EXPIRE", "k", "-5"],
            &["SET", "from", "v", "EX", "100"],
            &["RENAME", "from", "to"],
            &["SET", "other", "x"],
            &["RENAME", "to", "other"],
            &["RENAMENX", "other", "other"],
            &["SET", "x", "1"],
            &["RENAMENX", "other", "x"],
            &["RENAMENX", "other", "y"],
            &["COPY", "y", "copy"],
            &["COPY", "y", "copy"],
            &["COPY", "y", "copy", "REPLACE"],
            &["COPY", "y", "copy", "DB", "2"],
            &["MOVE", "y", "1"],
            &["MOVE", "x", "1"],
            &["SET", "x", "2"],
            &["MOVE", "x", "1"],
            &["RPUSH", "list", "3", "1", "2"],
            &["SORT", "list", "STORE", "sorted"],
            &["SORT", "nolist", "STORE", "sorted"],
            &["SORT", "nolist", "STORE", "sorted"],
            &["SET", "d", "v"],
            &["SWAPDB", "0", "1"],
            &["FLUSHDB"],
            &["SET", "d", "v"],
            &["FLUSHALL"],
            &["SET", "r", "v"],
            &["SET", "dumped", "v"],
            &["@restore", "r", "0", "REPLACE"],
            &["@restore", "r2", "100000"],
            &["@restore", "r", "1", "REPLACE", "ABSTTL"],
            &["@restore", "r3", "1", "ABSTTL"],
        ],
    },
    Scenario {
        name: "lists",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["LPUSH", "l", "a", "b", "c"],
            &["RPUSH", "l", "d"],
            &["LPUSHX", "nol", "a"],
            &["RPUSHX", "l", "e"],
            &["LINSERT", "l", "BEFORE", "a", "x"],
            &["LINSERT", "l", "BEFORE", "zz", "x"],
            &["LSET", "l", "0", "y"],
            &["LREM", "l", "0", "x"],
            &["LREM", "l", "0", "nothing"],
            &["LTRIM", "l", "0", "100"],
            &["LPOP", "l"],
            &["RPOP", "l", "2"],
            &["LPOP", "l", "0"],
            &["LMOVE", "l", "dst", "LEFT", "RIGHT"],
            &["RPOPLPUSH", "dst", "dst"],
            &["RPUSH", "l", "1", "2"],
            &["LMPOP", "2", "none", "l", "RIGHT", "COUNT", "5"],
            &["RPUSH", "t", "1", "2", "3"],
            &["LTRIM", "t", "5", "10"],
            &["RPUSH", "r", "a"],
            &["LREM", "r", "1", "a"],
            &["RPUSH", "m", "a"],
            &["LMOVE", "m", "m2", "RIGHT", "LEFT"],
            &["BLPOP", "m2", "0"],
            &["@block", "BLPOP", "bl", "0"],
            &["RPUSH", "bl", "a", "b"],
            &["@served"],
            &["@block", "BRPOP", "bl2", "0"],
            &["LPUSH", "bl2", "only"],
            &["@served"],
            &["@block", "BLMOVE", "bl3", "moved", "LEFT", "LEFT", "0"],
            &["RPUSH", "bl3", "x"],
            &["@served"],
            &["@block", "BLMPOP", "0", "1", "bl4", "LEFT", "COUNT", "3"],
            &["RPUSH", "bl4", "x", "y"],
            &["@served"],
        ],
    },
    Scenario {
        name: "hashes",
        classes: "KEA",
        resp3: true,
        steps: &[
            &["HSET", "h", "a", "1", "b", "2"],
            &["HSET", "h", "a", "1"],
            &["HMSET", "h", "c", "3"],
            &["HSETNX", "h", "c", "3"],
            &["HSETNX", "h", "d", "4"],
            &["HINCRBY", "h", "n", "5"],
            &["HINCRBYFLOAT", "h", "f", "1.5"],
            &["HDEL", "h", "missing"],
            &["HDEL", "h", "a", "b"],
            &["HDEL", "h", "c", "d", "n", "f"],
            &["HINCRBY", "h2", "n", "1"],
        ],
    },
    Scenario {
        name: "sets",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["SADD", "s", "a", "b", "c", "1"],
            &["SADD", "s", "a"],
            &["SREM", "s", "zz"],
            &["SREM", "s", "1"],
            &["SMOVE", "s", "d", "a"],
            &["SMOVE", "s", "d", "nothing"],
            &["SADD", "d", "b"],
            &["SMOVE", "s", "d", "b"],
            &["SMOVE", "s", "d", "c"],
            &["SADD", "x", "1", "2", "3"],
            &["SADD", "y", "2", "3", "4"],
            &["SINTERSTORE", "i", "x", "y"],
            &["SUNIONSTORE", "u", "x", "y"],
            &["SDIFFSTORE", "df", "x", "y"],
            &["SINTERSTORE", "i", "x", "none"],
            &["SINTERSTORE", "i", "x", "none"],
            &["SDIFFSTORE", "u", "x", "x"],
            &["SPOP", "x"],
            &["SADD", "one", "z"],
            &["SPOP", "one"],
            &["SPOP", "y", "1"],
            &["SPOP", "y", "10"],
            &["SPOP", "y", "0"],
            &["SADD", "r", "a"],
            &["SREM", "r", "a"],
        ],
    },
    Scenario {
        name: "sorted sets and geo",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
            &["ZADD", "z", "1", "a"],
            &["ZADD", "z", "NX", "9", "a"],
            &["ZADD", "z", "XX", "CH", "5", "a"],
            &["ZADD", "z", "INCR", "1", "a"],
            &["ZINCRBY", "z", "2", "b"],
            &["ZINCRBY", "z2", "2", "b"],
            &["ZREM", "z", "none"],
            &["ZREM", "z", "c"],
            &["ZREMRANGEBYSCORE", "z", "100", "200"],
            &["ZREMRANGEBYSCORE", "z", "0", "4"],
            &["ZADD", "z", "0", "p", "0", "q", "0", "r", "0", "s"],
            &["ZREMRANGEBYLEX", "z", "[p", "[q"],
            &["ZREMRANGEBYRANK", "z", "0", "0"],
            &["ZPOPMIN", "z"],
            &["ZPOPMAX", "z", "10"],
            &["ZPOPMAX", "z2", "0"],
            &["ZADD", "x", "1", "a", "2", "b"],
            &["ZADD", "y", "1", "b", "2", "c"],
            &["ZUNIONSTORE", "u", "2", "x", "y"],
            &["ZINTERSTORE", "i", "2", "x", "y"],
            &["ZDIFFSTORE", "d", "2", "x", "y"],
            &["ZINTERSTORE", "i", "2", "x", "none"],
            &["ZDIFFSTORE", "i", "2", "x", "x"],
            &["ZRANGESTORE", "rs", "x", "0", "-1"],
            &["ZRANGESTORE", "rs", "x", "5", "10"],
            &["ZMPOP", "1", "u", "MIN", "COUNT", "10"],
            &["@block", "BZPOPMIN", "bz", "0"],
            &["ZADD", "bz", "1", "a"],
            &["@served"],
            &["@block", "BZMPOP", "0", "1", "bz2", "MAX"],
            &["ZADD", "bz2", "1", "a", "2", "b"],
            &["@served"],
            &["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
            &["GEOADD", "g", "15.087269", "37.502669", "Catania"],
            &["GEOADD", "g", "XX", "15.087269", "37.502669", "Catania"],
            &["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "gr"],
            &["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "gd"],
            &["GEORADIUSBYMEMBER", "g", "Palermo", "1", "km", "STORE", "gm"],
            &["GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
            &["GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
            &["GEOSEARCHSTORE", "gs", "nokey", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
            &["GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "gr"],
        ],
    },
    Scenario {
        name: "streams",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["XADD", "st", "1-1", "f", "v"],
            &["XADD", "st", "2-1", "f", "v"],
            &["XADD", "st", "MAXLEN", "2", "3-1", "f", "v"],
            &["XADD", "st", "MAXLEN", "5", "4-1", "f", "v"],
            &["XADD", "nost", "NOMKSTREAM", "1-1", "f", "v"],
            &["XTRIM", "st", "MAXLEN", "10"],
            &["XTRIM", "st", "MAXLEN", "2"],
            &["XDEL", "st", "9-9"],
            &["XDEL", "st", "3-1"],
            &["XSETID", "st", "10-1"],
            &["XGROUP", "CREATE", "st", "g", "0"],
            &["XGROUP", "CREATE", "mk", "g", "$", "MKSTREAM"],
            &["XGROUP", "SETID", "st", "g", "0"],
            &["XGROUP", "CREATECONSUMER", "st", "g", "alice"],
            &["XGROUP", "CREATECONSUMER", "st", "g", "alice"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "st", ">"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "st", ">"],
            &["XREADGROUP", "GROUP", "g", "carol", "NOACK", "STREAMS", "st", "0"],
            &["XCLAIM", "st", "g", "dave", "0", "4-1"],
            &["XAUTOCLAIM", "st", "g", "erin", "0", "0"],
            &["XACK", "st", "g", "4-1"],
            &["XGROUP", "DELCONSUMER", "st", "g", "alice"],
            &["XGROUP", "DELCONSUMER", "st", "g", "nobody"],
            &["XGROUP", "DESTROY", "st", "g"],
            &["XGROUP", "DESTROY", "st", "g"],
            &["XGROUP", "CREATE", "st", "g2", "$"],
            &["@block", "XREADGROUP", "GROUP", "g2", "frank", "BLOCK", "0", "STREAMS", "st", ">"],
            &["XADD", "st", "11-1", "f", "v"],
            &["@served"],
        ],
    },
    Scenario {
        name: "transactions and scripts",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["MULTI"],
            &["SET", "a", "1"],
            &["LPUSH", "l", "x"],
            &["INCR", "a"],
            &["DEL", "a", "l"],
            &["EXEC"],
            &["EVAL", "redis.call('set', KEYS[1], 'v'); redis.call('expire', KEYS[1], 100); return redis.call('del', KEYS[1])", "1", "k"],
            &["EVAL", "redis.call('hset', KEYS[1], 'f', 'v'); return redis.pcall('lpush', KEYS[1], 'x')", "1", "h"],
            &["FUNCTION", "LOAD", "#!lua name=notifylib\nredis.register_function('f', function(keys) return redis.call('sadd', keys[1], 'm') end)"],
            &["FCALL", "f", "1", "fs"],
            &["FUNCTION", "FLUSH"],
        ],
    },
    Scenario {
        name: "class filters: Kx",
        classes: "Kx",
        resp3: false,
        steps: &[
            &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
            &["SET", "k", "v", "PX", "1"],
            &["SET", "j", "v"],
            &["@sleep", "20"],
            &["GET", "k"],
            &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        ],
    },
    Scenario {
        name: "lazy expiry before a write, and new keys",
        classes: "KEg$lxn",
        resp3: true,
        steps: &[
            &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
            &["SET", "k", "v", "PX", "1"],
            &["RPUSH", "l", "a"],
            &["PEXPIRE", "l", "1"],
            &["SET", "e", "v"],
            &["PEXPIRE", "e", "1"],
            &["SET", "d", "v"],
            &["PEXPIRE", "d", "1"],
            &["@sleep", "20"],
            &["SET", "k", "v2"],
            &["RPUSH", "l", "b"],
            &["EXISTS", "e"],
            &["DEL", "d"],
            &["SADD", "s", "m"],
            &["HSET", "h", "f", "v"],
            &["ZADD", "z", "1", "m"],
            &["XADD", "x", "1-1", "f", "v"],
            &["INCR", "n"],
            &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
        ],
    },
    Scenario {
        name: "new keys, A with n",
        classes: "KEAn",
        resp3: false,
        steps: &[
            &["RPUSH", "src", "a", "b"],
            &["LMOVE", "src", "dst", "LEFT", "LEFT"],
            &["LMOVE", "src", "dst", "LEFT", "LEFT"],
            &["SADD", "s", "m", "n"],
            &["SMOVE", "s", "s2", "m"],
            &["SET", "k", "v"],
            &["SET", "k2", "v"],
            &["RENAME", "k", "k2"],
            &["RENAME", "k2", "k3"],
            &["COPY", "k3", "k4"],
            &["COPY", "k3", "k4", "REPLACE"],
            &["MOVE", "k4", "1"],
            &["SET", "dumped", "v"],
            &["@restore", "k3", "0", "REPLACE"],
            &["@restore", "k5", "0"],
            &["HINCRBY", "h", "f", "1"],
            &["HINCRBYFLOAT", "h2", "f", "1.5"],
            &["HSETNX", "h3", "f", "v"],
            &["ZADD", "z", "1", "m"],
            &["ZINCRBY", "z2", "1", "m"],
            &["XADD", "x", "1-1", "f", "v"],
            &["XGROUP", "CREATE", "x2", "g", "$", "MKSTREAM"],
            &["SETRANGE", "r", "1", "x"],
            &["SETBIT", "b", "1", "1"],
            &["BITFIELD", "bf", "INCRBY", "u8", "0", "1"],
            &["PFADD", "p"],
            &["PFMERGE", "p2", "p"],
            &["BITOP", "NOT", "b2", "b"],
            &["SINTERSTORE", "si", "s", "s"],
            &["SORT", "dst", "ALPHA", "STORE", "sorted"],
            &["GEOADD", "g", "1", "1", "m"],
            &["ZRANGESTORE", "zr", "z", "0", "-1"],
            &["ZUNIONSTORE", "zu", "1", "z"],
            &["LPUSHX", "nope", "a"],
            &["INCRBYFLOAT", "f", "1"],
            &["APPEND", "ap", "x"],
            &["MSET", "m1", "1", "m2", "2"],
            &["MULTI"],
            &["SET", "t1", "1"],
            &["RPUSH", "t2", "1"],
            &["EXEC"],
            &["EVAL", "redis.call('sadd', KEYS[1], 'x'); return redis.call('zadd', KEYS[2], 1, 'x')", "2", "e1", "e2"],
        ],
    },
    Scenario {
        name: "active expiry",
        classes: "KEA",
        resp3: false,
        steps: &[
            &["SET", "k", "v", "PX", "1"],
            &["@sleep", "600"],
        ],
    },
    Scenario {
        name: "eviction",
        classes: "Ee",
        resp3: false,
        steps: &[
            &["SET", "victim", "v"],
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["@sleep", "400"],
            &["CONFIG", "SET", "maxmemory", "0"],
            &["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ],
    },
    Scenario {
        name: "key misses",
        classes: "KEm",
        resp3: false,
        steps: &[
            &["GET", "missing"],
            &["SET", "present", "v"],
            &["GET", "present"],
            &["HGET", "nohash", "f"],
            &["LRANGE", "nolist", "0", "-1"],
            &["SMEMBERS", "noset"],
            &["ZSCORE", "nozset", "m"],
            &["STRLEN", "missing"],
            &["MGET", "present", "m1", "m2"],
            &["EXISTS", "m3"],
            &["TYPE", "m4"],
            &["TTL", "m5"],
            &["GETSET", "m6", "v"],
            &["COPY", "m7", "m8"],
            &["SINTER", "present2", "m9"],
            &["SUNIONSTORE", "dst", "m10", "m11"],
            &["ZUNIONSTORE", "dst", "2", "m12", "m13"],
            &["HGETALL", "m14"],
            &["LINDEX", "m15", "0"],
            &["DUMP", "m16"],
            &["OBJECT", "ENCODING", "m17"],
            &["BITCOUNT", "m18"],
            &["PFCOUNT", "m19"],
            &["XRANGE", "m20", "-", "+"],
            &["XREAD", "STREAMS", "m21", "0"],
            &["SORT", "m22"],
            &["LPOP", "m23"],
            &["INCR", "m24"],
            &["GETDEL", "m25"],
            &["GETEX", "m26"],
            &["SMOVE", "m27", "m28", "x"],
            &["RENAME", "m29", "m30"],
            &["LMOVE", "m31", "m32", "LEFT", "LEFT"],
            &["EVAL", "return redis.call('get', KEYS[1])", "1", "m33"],
        ],
    },
    Scenario {
        name: "keyspace channel only, generic class",
        classes: "Kg",
        resp3: false,
        steps: &[
            &["SET", "a", "1"],
            &["RPUSH", "l", "x"],
            &["LPOP", "l"],
            &["EXPIRE", "a", "100"],
            &["DEL", "a"],
        ],
    },
    Scenario {
        name: "keyevent channel only, other databases",
        classes: "E$lg",
        resp3: false,
        steps: &[
            &["SELECT", "3"],
            &["SET", "a", "1"],
            &["RPUSH", "l", "x"],
            &["MOVE", "a", "4"],
            &["COPY", "l", "l2", "DB", "5"],
            &["SELECT", "0"],
        ],
    },
    Scenario {
        name: "classes without K or E publish nothing",
        classes: "A",
        resp3: false,
        steps: &[&["SET", "a", "1"], &["DEL", "a"]],
    },
];

/// Runs `scenario` on the server at `addr`; returns every message the subscriber received,
/// and the replies to the steps.
fn run(addr: SocketAddr, scenario: &Scenario) -> (Vec<Frame>, Vec<Frame>) {
    let mut client = RawClient::connect(addr);
    for setup in [
        &["FLUSHALL"][..],
        &["CONFIG", "SET", "notify-keyspace-events", scenario.classes],
    ] {
        let reply = client.cmd(setup);
        assert!(
            !matches!(reply, Frame::SimpleError(_)),
            "{setup:?}: {reply:?}"
        );
    }
    let mut subscriber = RawClient::connect(addr);
    if scenario.resp3 {
        subscriber.cmd(&["HELLO", "3"]);
    }
    subscriber.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    let mut blocked: Option<RawClient> = None;
    let mut replies = Vec::new();
    for step in scenario.steps {
        match step[0] {
            "@sleep" => std::thread::sleep(Duration::from_millis(step[1].parse().unwrap())),
            "@block" => {
                let mut waiter = RawClient::connect(addr);
                waiter.send(&step[1..]);
                wait_for_blocked(addr, 1);
                blocked = Some(waiter);
            }
            "@restore" => {
                let Frame::BulkString(payload) = client.cmd(&["DUMP", "dumped"]) else {
                    panic!("DUMP dumped");
                };
                let mut args: Vec<&[u8]> = vec![b"RESTORE", step[1].as_bytes(), step[2].as_bytes()];
                args.push(&payload);
                args.extend(step[3..].iter().map(|arg| arg.as_bytes()));
                let mut request = format!("*{}\r\n", args.len()).into_bytes();
                for arg in args {
                    request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                    request.extend_from_slice(arg);
                    request.extend_from_slice(b"\r\n");
                }
                client.send_raw(&request);
                replies.push(client.read());
            }
            "@served" => {
                replies.push(blocked.take().expect("a blocked client").read());
            }
            _ => replies.push(client.cmd(step)),
        }
    }
    client.cmd(&["PUBLISH", "__keyend__:done", "end"]);
    let mut messages = Vec::new();
    loop {
        let message = subscriber.read();
        let end = format!("{message:?}").contains("__keyend__:done");
        if end {
            break;
        }
        messages.push(message);
        assert!(messages.len() < 10_000, "{}: no end marker", scenario.name);
    }
    client.cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]);
    (messages, replies)
}

#[test]
fn keyspace_events_match_redis() {
    let redis = RedisServer::start();
    let expected: Vec<(Vec<Frame>, Vec<Frame>)> =
        SCENARIOS.iter().map(|s| run(redis.addr, s)).collect();
    for (scenario, (messages, _)) in SCENARIOS.iter().zip(&expected) {
        if std::env::var_os("SHOW_EVENTS").is_some() {
            eprintln!("== {}", scenario.name);
            for message in messages {
                eprintln!("{message:?}");
            }
        }
        // Only the last scenario is silent: a scenario that hears nothing proves nothing.
        assert_eq!(
            messages.is_empty(),
            scenario.classes == "A",
            "{}",
            scenario.name
        );
    }
    for runtime in RUNTIMES {
        // DEBUG SET-ACTIVE-EXPIRE keeps lazy expiry apart from active expiry.
        let server = runtime.start_with(&["enable-debug-command local"]);
        for (scenario, (expected, expected_replies)) in SCENARIOS.iter().zip(&expected) {
            let (got, replies) = run(server.addr, scenario);
            for ((step, want), reply) in scenario
                .steps
                .iter()
                .filter(|s| s[0] != "@sleep" && s[0] != "@block")
                .zip(expected_replies)
                .zip(&replies)
            {
                // SPOP answers members chosen at random.
                if step[0] != "SPOP" {
                    assert_eq!(
                        want, reply,
                        "{runtime:?}, scenario {:?}, {step:?}",
                        scenario.name
                    );
                }
            }
            if &got != expected {
                let show = |frames: &[Frame]| {
                    frames
                        .iter()
                        .map(|f| format!("{f:?}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                panic!(
                    "{runtime:?}, scenario {:?}:\n--- redis\n{}\n--- radish\n{}",
                    scenario.name,
                    show(expected),
                    show(&got)
                );
            }
        }
    }
}

#[test]
fn config_normalizes_classes_as_redis() {
    let redis = RedisServer::start();
    let server = RUNTIMES[0].start();
    let cases = [
        "",
        "KEA",
        "AKEn",
        "Kx",
        "Ee",
        "KEn",
        "Kgm",
        "mEK$lshzxetdg",
        "g$lshzxetdKE",
        "nE",
        "gg$",
        "d",
        "Am",
        "q",
        "KEA ",
        "K,E",
    ];
    let mut redis_client = RawClient::connect(redis.addr);
    let mut radish_client = RawClient::connect(server.addr);
    for classes in cases {
        let set = ["CONFIG", "SET", "notify-keyspace-events", classes];
        let get = ["CONFIG", "GET", "notify-keyspace-events"];
        assert_eq!(
            redis_client.cmd(&set),
            radish_client.cmd(&set),
            "{classes:?}"
        );
        assert_eq!(
            redis_client.cmd(&get),
            radish_client.cmd(&get),
            "{classes:?}"
        );
    }
    let reset = ["CONFIG", "SET", "notify-keyspace-events", ""];
    redis_client.cmd(&reset);
    radish_client.cmd(&reset);
}
