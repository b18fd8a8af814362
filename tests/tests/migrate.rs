//! MIGRATE from radish and from redis-server 7.0 to the same target redis-server, side by
//! side: the same replies, the same keys moved (or copied), on both runtimes. And from
//! redis-server to radish.

use radish_resp::Frame;
use radish_tests::{RawClient, RedisServer, RUNTIMES};

/// Runs `setup` on a source, then `migrate` (with `{port}` the target's port), and returns
/// the reply, which of `keys` are left on the source, and what the target holds for them
/// (in database `db`).
fn scenario(
    source: &mut RawClient,
    target: &mut RawClient,
    target_port: u16,
    setup: &[&[&str]],
    migrate: &[&str],
    keys: &[&str],
    db: &str,
) -> (Frame, Vec<Frame>, Vec<Frame>) {
    source.cmd(&["FLUSHALL"]);
    target.cmd(&["FLUSHALL"]);
    for command in setup {
        source.cmd(command);
    }
    let port = target_port.to_string();
    let args: Vec<&str> = migrate
        .iter()
        .map(|arg| if *arg == "{port}" { port.as_str() } else { arg })
        .collect();
    let reply = source.cmd(&args);
    let left = keys.iter().map(|key| source.cmd(&["DUMP", key])).collect();
    target.cmd(&["SELECT", db]);
    let moved = keys.iter().map(|key| target.cmd(&["DUMP", key])).collect();
    target.cmd(&["SELECT", "0"]);
    (reply, left, moved)
}

/// `MIGRATE 127.0.0.1 {port}` and `rest` split at spaces, `""` standing for an empty argument.
fn migrate_args(rest: &str) -> Vec<&str> {
    let rest = rest
        .split(' ')
        .map(|arg| if arg == "\"\"" { "" } else { arg });
    ["MIGRATE", "127.0.0.1", "{port}"]
        .into_iter()
        .chain(rest)
        .collect()
}

#[test]
fn migrate_answers_and_moves_as_redis_does() {
    let reference = RedisServer::start();
    let target_server = RedisServer::start();
    let target_port = target_server.addr.port();
    let set_ab: &[&[&str]] = &[&["SET", "a", "1"], &["RPUSH", "b", "x", "y"]];
    // MIGRATE's arguments after the port (`""` for the empty key), the keys to look at, and
    // the target's database.
    let cases = [
        ("a 0 1000", "a b", "0"),
        ("a 2 1000 COPY", "a", "2"),
        ("\"\" 0 1000 KEYS a b c", "a b c", "0"),
        ("c 0 1000", "c", "0"),
        ("a 0 1000 KEYS b", "a", "0"),
        ("a 0 1000 AUTH", "a", "0"),
        ("a 0 1000 AUTH pw", "a", "0"),
        ("a 0 1000 AUTH2 u pw", "a", "0"),
        ("a 0 1000 NOSUCH", "a", "0"),
        ("a x 1000", "a", "0"),
        ("a 0 x", "a", "0"),
        ("a 99 1000", "a", "0"),
    ];
    // The target holds `a` already: RESTORE refuses it unless REPLACE.
    let busy = ["a 0 1000", "a 0 1000 REPLACE", "\"\" 0 1000 KEYS b a"];
    let mut theirs = RawClient::connect(reference.addr);
    let mut target = RawClient::connect(target_server.addr);
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut ours = RawClient::connect(radish.addr);
        for (rest, keys, db) in cases {
            let migrate = migrate_args(rest);
            let keys: Vec<&str> = keys.split(' ').collect();
            let mut run = |source: &mut RawClient| {
                scenario(
                    source,
                    &mut target,
                    target_port,
                    set_ab,
                    &migrate,
                    &keys,
                    db,
                )
            };
            let expected = run(&mut theirs);
            assert_eq!(run(&mut ours), expected, "{runtime:?} {migrate:?}");
        }
        for rest in busy {
            let migrate = migrate_args(rest);
            let mut run = |source: &mut RawClient| {
                target.cmd(&["FLUSHALL"]);
                target.cmd(&["SET", "a", "old"]);
                source.cmd(&["FLUSHALL"]);
                source.cmd(&["SET", "a", "new"]);
                source.cmd(&["SET", "b", "bee"]);
                let port = target_port.to_string();
                let args: Vec<&str> = migrate
                    .iter()
                    .map(|a| if *a == "{port}" { port.as_str() } else { *a })
                    .collect();
                let reply = source.cmd(&args);
                (
                    reply,
                    source.cmd(&["MGET", "a", "b"]),
                    target.cmd(&["MGET", "a", "b"]),
                )
            };
            let expected = run(&mut theirs);
            assert_eq!(run(&mut ours), expected, "{runtime:?} {rest}");
        }
        // Nothing listens there: the same I/O error.
        let closed = radish_tests::free_port().to_string();
        let args = ["MIGRATE", "127.0.0.1", &closed, "a", "0", "200"];
        ours.cmd(&["SET", "a", "1"]);
        theirs.cmd(&["SET", "a", "1"]);
        assert_eq!(ours.cmd(&args), theirs.cmd(&args), "{runtime:?}");
    }
}

#[test]
fn migrate_from_redis_reaches_radish_with_its_ttl() {
    let redis = RedisServer::start();
    let mut theirs = RawClient::connect(redis.addr);
    for runtime in RUNTIMES {
        let radish = runtime.start();
        let mut ours = RawClient::connect(radish.addr);
        theirs.cmd(&["FLUSHALL"]);
        theirs.cmd(&["HSET", "h", "f", "v"]);
        theirs.cmd(&["PEXPIRE", "h", "100000"]);
        let port = radish.addr.port().to_string();
        let reply = theirs.cmd(&["MIGRATE", "127.0.0.1", &port, "h", "1", "1000"]);
        assert_eq!(reply, Frame::SimpleString("OK".into()), "{runtime:?}");
        ours.cmd(&["SELECT", "1"]);
        assert_eq!(ours.cmd(&["HGET", "h", "f"]), radish_tests::bulk("v"));
        let Frame::Integer(ttl) = ours.cmd(&["PTTL", "h"]) else {
            panic!("PTTL");
        };
        assert!((90_000..=100_000).contains(&ttl), "{runtime:?}: {ttl}");
        assert_eq!(theirs.cmd(&["EXISTS", "h"]), Frame::Integer(0));
    }
}
