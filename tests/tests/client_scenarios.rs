//! What applications see through the `redis` crate (sync API), in RESP2 and RESP3, on both
//! runtimes: connection setup (HELLO, CLIENT SETINFO, SELECT, AUTH from the URL), typed
//! results of the string, key, connection and server commands, pipelines, and server errors
//! surfacing as `RedisError`s.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use radish_tests::{TestServer, RUNTIMES};
use redis::{Commands, Connection, ErrorKind, Expiry, InfoDict, RedisError, Value};

/// The protocol a connection asks for in its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Resp2,
    Resp3,
}

const PROTOS: [Proto; 2] = [Proto::Resp2, Proto::Resp3];

/// One match of LCS IDX WITHMATCHLEN: its range in each string, and its length.
type LcsMatch = ((i64, i64), (i64, i64), i64);

/// A `redis://` URL for `server` in `proto`, selecting `db`, with an optional password.
fn url(server: &TestServer, proto: Proto, db: u32, password: Option<&str>) -> String {
    let auth = password.map(|p| format!(":{p}@")).unwrap_or_default();
    let query = match proto {
        Proto::Resp2 => "",
        Proto::Resp3 => "?protocol=resp3",
    };
    format!("redis://{auth}{}/{db}{query}", server.addr)
}

fn try_connect(url: &str) -> redis::RedisResult<Connection> {
    redis::Client::open(url)?.get_connection()
}

fn connect(server: &TestServer, proto: Proto) -> Connection {
    try_connect(&url(server, proto, 0, None)).expect("connect")
}

/// Runs `scenario` on a fresh database for every runtime and protocol.
fn each(scenario: impl Fn(&mut Connection, &TestServer, Proto)) {
    for runtime in RUNTIMES {
        let server = runtime.start();
        for proto in PROTOS {
            // Shown with the failure: which combination broke.
            eprintln!("-- {runtime:?} {proto:?}");
            let mut con = connect(&server, proto);
            let () = redis::cmd("FLUSHALL").query(&mut con).expect("FLUSHALL");
            scenario(&mut con, &server, proto);
        }
    }
}

/// The error a command must fail with.
fn error_of<T: redis::FromRedisValue + std::fmt::Debug>(
    result: redis::RedisResult<T>,
) -> RedisError {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    }
}

#[test]
fn connection_setup_works_as_the_crate_does_it() {
    each(|con, _, proto| {
        // The crate pipelines HELLO 3 (RESP3 only) and CLIENT SETINFO before anything else.
        let info: String = redis::cmd("CLIENT").arg("INFO").query(con).unwrap();
        assert!(info.contains(" lib-name=redis-rs "), "{info}");
        assert!(info.contains(" lib-ver=0.32."), "{info}");
        let resp = match proto {
            Proto::Resp2 => " resp=2 ",
            Proto::Resp3 => " resp=3 ",
        };
        assert!(info.contains(resp), "{info}");
        // HELLO without a version reports the current one without changing it.
        let hello: HashMap<String, Value> = redis::cmd("HELLO").query(con).unwrap();
        let expected = if proto == Proto::Resp3 { 3 } else { 2 };
        assert_eq!(hello.get("proto"), Some(&Value::Int(expected)), "{hello:?}");
        assert_eq!(
            redis::from_redis_value::<String>(&hello["version"]).unwrap(),
            "7.0.15"
        );
        assert_eq!(
            redis::from_redis_value::<String>(&hello["role"]).unwrap(),
            "master"
        );
        let pong: String = redis::cmd("PING").query(con).unwrap();
        assert_eq!(pong, "PONG");
        let echoed: Vec<u8> = redis::cmd("ECHO")
            .arg(&b"\x00\xffbin"[..])
            .query(con)
            .unwrap();
        assert_eq!(echoed, b"\x00\xffbin");
    });
}

#[test]
fn string_commands_return_typed_results() {
    each(|con, _, _| {
        let () = con.set("s", "hello").unwrap();
        assert_eq!(con.get::<_, String>("s").unwrap(), "hello");
        assert_eq!(con.get::<_, Option<String>>("missing").unwrap(), None);

        // SET options.
        let nx: Option<String> = redis::cmd("SET")
            .arg("s")
            .arg("x")
            .arg("NX")
            .query(con)
            .unwrap();
        assert_eq!(nx, None);
        let xx: Option<String> = redis::cmd("SET")
            .arg("s")
            .arg("hi")
            .arg("XX")
            .query(con)
            .unwrap();
        assert_eq!(xx.as_deref(), Some("OK"));
        let old: Option<String> = redis::cmd("SET")
            .arg("s")
            .arg("hello")
            .arg("GET")
            .arg("EX")
            .arg(100)
            .query(con)
            .unwrap();
        assert_eq!(old.as_deref(), Some("hi"));
        assert_eq!(con.ttl::<_, i64>("s").unwrap(), 100);
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::PX(5000));
        let set: Option<String> = con.set_options("fresh", "v", options).unwrap();
        assert_eq!(set.as_deref(), Some("OK"));
        let pttl: i64 = con.pttl("fresh").unwrap();
        assert!((4000..=5000).contains(&pttl), "{pttl}");

        // MSET / MGET / MSETNX.
        let () = con.mset(&[("a", "1"), ("b", "2")]).unwrap();
        let values: Vec<Option<String>> = con.mget(&["a", "b", "missing"]).unwrap();
        assert_eq!(values, vec![Some("1".into()), Some("2".into()), None]);
        assert!(!con
            .mset_nx::<_, _, bool>(&[("a", "x"), ("c", "3")])
            .unwrap());
        assert!(con
            .mset_nx::<_, _, bool>(&[("c", "3"), ("d", "4")])
            .unwrap());

        // The INCR family.
        assert_eq!(redis::cmd("INCR").arg("n").query::<i64>(con).unwrap(), 1);
        assert_eq!(con.incr::<_, _, i64>("n", 41).unwrap(), 42);
        assert_eq!(con.decr::<_, _, i64>("n", 50).unwrap(), -8);
        assert_eq!(redis::cmd("DECR").arg("n").query::<i64>(con).unwrap(), -9);
        let max: i64 = redis::cmd("INCRBY")
            .arg("big")
            .arg(i64::MAX)
            .query(con)
            .unwrap();
        assert_eq!(max, i64::MAX);
        // INCRBYFLOAT through the crate's float path, and as text for the exact format.
        assert_eq!(con.incr::<_, _, f64>("f", 10.5).unwrap(), 10.5);
        let text: String = redis::cmd("INCRBYFLOAT")
            .arg("f")
            .arg("0.1")
            .query(con)
            .unwrap();
        assert_eq!(text, "10.6");
        assert_eq!(con.get::<_, f64>("f").unwrap(), 10.6);

        // Ranges, APPEND, STRLEN.
        let () = con.set("r", "Hello World").unwrap();
        assert_eq!(con.getrange::<_, String>("r", 0, 4).unwrap(), "Hello");
        assert_eq!(con.getrange::<_, String>("r", -5, -1).unwrap(), "World");
        assert_eq!(con.setrange::<_, _, usize>("r", 6, "Redis").unwrap(), 11);
        assert_eq!(con.setrange::<_, _, usize>("pad", 3, "x").unwrap(), 4);
        assert_eq!(con.get::<_, Vec<u8>>("pad").unwrap(), b"\0\0\0x");
        assert_eq!(con.append::<_, _, usize>("r", "!!").unwrap(), 13);
        assert_eq!(con.strlen::<_, usize>("r").unwrap(), 13);
        assert_eq!(con.get::<_, String>("r").unwrap(), "Hello Redis!!");

        // GETEX and GETDEL.
        let got: Option<String> = con.get_ex("r", Expiry::EX(100)).unwrap();
        assert_eq!(got.as_deref(), Some("Hello Redis!!"));
        assert_eq!(con.ttl::<_, i64>("r").unwrap(), 100);
        let _: Option<String> = con.get_ex("r", Expiry::PERSIST).unwrap();
        assert_eq!(con.ttl::<_, i64>("r").unwrap(), -1);
        assert_eq!(
            con.get_ex::<_, Option<String>>("missing", Expiry::EX(1))
                .unwrap(),
            None
        );
        assert_eq!(
            con.get_del::<_, Option<String>>("r").unwrap().as_deref(),
            Some("Hello Redis!!")
        );
        assert!(!con.exists::<_, bool>("r").unwrap());
        assert_eq!(con.get_del::<_, Option<String>>("r").unwrap(), None);

        // LCS, in its three reply shapes.
        let () = con
            .mset(&[("key1", "ohmytext"), ("key2", "mynewtext")])
            .unwrap();
        let lcs: String = redis::cmd("LCS")
            .arg("key1")
            .arg("key2")
            .query(con)
            .unwrap();
        assert_eq!(lcs, "mytext");
        let len: i64 = redis::cmd("LCS")
            .arg("key1")
            .arg("key2")
            .arg("LEN")
            .query(con)
            .unwrap();
        assert_eq!(len, 6);
        let idx: HashMap<String, Value> = redis::cmd("LCS")
            .arg("key1")
            .arg("key2")
            .arg("IDX")
            .arg("MINMATCHLEN")
            .arg(4)
            .arg("WITHMATCHLEN")
            .query(con)
            .unwrap();
        assert_eq!(idx.get("len"), Some(&Value::Int(6)));
        let matches: Vec<LcsMatch> = redis::from_redis_value(&idx["matches"]).unwrap();
        assert_eq!(matches, vec![((4, 7), (5, 8), 4)]);

        // Values are bytes.
        let binary: Vec<u8> = (0..=255).collect();
        let () = con.set(&b"\xffkey"[..], &binary).unwrap();
        assert_eq!(con.get::<_, Vec<u8>>(&b"\xffkey"[..]).unwrap(), binary);
    });
}

#[test]
fn key_commands_return_typed_results() {
    each(|con, _, _| {
        let () = con.mset(&[("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
        assert_eq!(con.exists::<_, i64>(&["a", "b", "a", "nope"]).unwrap(), 3);
        assert_eq!(con.del::<_, i64>(&["a", "nope"]).unwrap(), 1);
        assert_eq!(con.unlink::<_, i64>("b").unwrap(), 1);

        // The EXPIRE family and TTL.
        assert_eq!(con.ttl::<_, i64>("missing").unwrap(), -2);
        assert_eq!(con.ttl::<_, i64>("c").unwrap(), -1);
        assert!(con.expire::<_, bool>("c", 100).unwrap());
        assert!(!con.expire::<_, bool>("missing", 100).unwrap());
        assert_eq!(con.ttl::<_, i64>("c").unwrap(), 100);
        assert!(con.pexpire::<_, bool>("c", 50_000).unwrap());
        let pttl: i64 = con.pttl("c").unwrap();
        assert!((49_000..=50_000).contains(&pttl), "{pttl}");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(con.expire_at::<_, bool>("c", now + 1000).unwrap());
        assert_eq!(con.expire_time::<_, i64>("c").unwrap(), now + 1000);
        assert!(con.pexpire_at::<_, bool>("c", (now + 2000) * 1000).unwrap());
        assert_eq!(
            con.pexpire_time::<_, i64>("c").unwrap(),
            (now + 2000) * 1000
        );
        let nx: bool = redis::cmd("EXPIRE")
            .arg("c")
            .arg(5)
            .arg("NX")
            .query(con)
            .unwrap();
        assert!(!nx);
        assert!(con.persist::<_, bool>("c").unwrap());
        assert!(!con.persist::<_, bool>("c").unwrap());
        assert_eq!(con.ttl::<_, i64>("c").unwrap(), -1);

        // TYPE, RENAME, RENAMENX.
        assert_eq!(con.key_type::<_, String>("c").unwrap(), "string");
        assert_eq!(con.key_type::<_, String>("missing").unwrap(), "none");
        let () = con.rename("c", "d").unwrap();
        assert_eq!(con.get::<_, String>("d").unwrap(), "3");
        let () = con.set("e", "5").unwrap();
        assert!(!con.rename_nx::<_, _, bool>("d", "e").unwrap());
        assert!(con.rename_nx::<_, _, bool>("d", "f").unwrap());
        let error = error_of(con.rename::<_, _, ()>("missing", "x"));
        assert_eq!(error.kind(), ErrorKind::ResponseError);
        assert_eq!(error.detail(), Some("no such key"));

        // KEYS and SCAN.
        let () = con.flushdb().unwrap();
        for i in 0..250 {
            let () = con.set(format!("user:{i}"), i).unwrap();
        }
        for i in 0..30 {
            let () = con.set(format!("other:{i}"), i).unwrap();
        }
        let mut keys: Vec<String> = con.keys("other:*").unwrap();
        keys.sort();
        let mut expected: Vec<String> = (0..30).map(|i| format!("other:{i}")).collect();
        expected.sort();
        assert_eq!(keys, expected);
        let mut scanned: Vec<String> = con.scan_match("user:*").unwrap().collect();
        scanned.sort();
        scanned.dedup();
        let mut users: Vec<String> = (0..250).map(|i| format!("user:{i}")).collect();
        users.sort();
        assert_eq!(scanned, users);
        let all: Vec<String> = con.scan().unwrap().collect();
        assert_eq!(all.len(), 280);

        // COPY, MOVE.
        let copied: bool = redis::cmd("COPY")
            .arg("user:1")
            .arg("copy")
            .query(con)
            .unwrap();
        assert!(copied);
        let again: bool = redis::cmd("COPY")
            .arg("user:2")
            .arg("copy")
            .query(con)
            .unwrap();
        assert!(!again);
        let replaced: bool = redis::cmd("COPY")
            .arg("user:2")
            .arg("copy")
            .arg("REPLACE")
            .query(con)
            .unwrap();
        assert!(replaced);
        assert_eq!(con.get::<_, i64>("copy").unwrap(), 2);
        let to_db: bool = redis::cmd("COPY")
            .arg("user:3")
            .arg("copy")
            .arg("DB")
            .arg(4)
            .query(con)
            .unwrap();
        assert!(to_db);
        assert!(redis::cmd("MOVE")
            .arg("user:4")
            .arg(4)
            .query::<bool>(con)
            .unwrap());
        assert!(!con.exists::<_, bool>("user:4").unwrap());
        assert!(!redis::cmd("MOVE")
            .arg("missing")
            .arg(4)
            .query::<bool>(con)
            .unwrap());

        // OBJECT ENCODING, as Redis 7.0 reports it.
        let () = con.set("int", 12345).unwrap();
        let () = con.set("short", "abc").unwrap();
        let () = con.set("long", "x".repeat(45)).unwrap();
        let encoding = |con: &mut Connection, key: &str| -> Option<String> {
            con.object_encoding(key).unwrap()
        };
        assert_eq!(encoding(con, "int").as_deref(), Some("int"));
        assert_eq!(encoding(con, "short").as_deref(), Some("embstr"));
        assert_eq!(encoding(con, "long").as_deref(), Some("raw"));
        let _: usize = con.append("short", "x").unwrap();
        assert_eq!(encoding(con, "short").as_deref(), Some("raw"));
        assert_eq!(encoding(con, "missing"), None);

        // RANDOMKEY.
        let () = con.flushdb().unwrap();
        let none: Option<String> = redis::cmd("RANDOMKEY").query(con).unwrap();
        assert_eq!(none, None);
        let () = con.set("only", "1").unwrap();
        let one: Option<String> = redis::cmd("RANDOMKEY").query(con).unwrap();
        assert_eq!(one.as_deref(), Some("only"));
    });
}

#[test]
fn the_url_selects_the_database() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        for proto in PROTOS {
            eprintln!("-- {runtime:?} {proto:?}");
            let mut db3 = try_connect(&url(&server, proto, 3, None)).expect("connect to db 3");
            let mut db0 = connect(&server, proto);
            let () = redis::cmd("FLUSHALL").query(&mut db0).unwrap();
            let () = db3.set("k", "three").unwrap();
            let () = db0.set("k", "zero").unwrap();
            assert_eq!(db3.get::<_, String>("k").unwrap(), "three");
            assert_eq!(db0.get::<_, String>("k").unwrap(), "zero");
            let () = db3.set("only3", "x").unwrap();
            assert!(!db0.exists::<_, bool>("only3").unwrap());
            let info: String = redis::cmd("CLIENT").arg("INFO").query(&mut db3).unwrap();
            assert!(info.contains(" db=3 "), "{info}");
            let keyspace: InfoDict = redis::cmd("INFO").arg("keyspace").query(&mut db0).unwrap();
            assert_eq!(
                keyspace.get::<String>("db3").as_deref(),
                Some("keys=2,expires=0,avg_ttl=0")
            );
            // A database that does not exist fails the connection.
            let error = error_of(try_connect(&url(&server, proto, 16, None)).map(|_| ()));
            assert_eq!(error.kind(), ErrorKind::ResponseError, "{error}");
            assert!(
                error.to_string().contains("DB index is out of range"),
                "{error}"
            );
        }
    }
}

#[test]
fn the_url_authenticates() {
    for runtime in RUNTIMES {
        let server = runtime.start_with(&["requirepass pw"]);
        for proto in PROTOS {
            eprintln!("-- {runtime:?} {proto:?}");
            let mut con = try_connect(&url(&server, proto, 0, Some("pw"))).expect("auth");
            let () = con.set("k", "v").unwrap();
            assert_eq!(con.get::<_, String>("k").unwrap(), "v");
            let mut db2 = try_connect(&url(&server, proto, 2, Some("pw"))).expect("auth + db");
            assert_eq!(db2.get::<_, Option<String>>("k").unwrap(), None);

            let wrong = error_of(try_connect(&url(&server, proto, 0, Some("nope"))).map(|_| ()));
            match proto {
                Proto::Resp2 => assert_eq!(wrong.kind(), ErrorKind::AuthenticationFailed),
                // RESP3 authenticates inside HELLO, whose error comes back as is.
                Proto::Resp3 => assert_eq!(wrong.code(), Some("WRONGPASS"), "{wrong}"),
            }
            match proto {
                Proto::Resp2 => {
                    // Without a password the crate sends nothing: commands are refused.
                    let mut anonymous = connect(&server, proto);
                    let refused = error_of(anonymous.get::<_, Option<String>>("k"));
                    assert_eq!(refused.code(), Some("NOAUTH"), "{refused}");
                    assert_eq!(refused.detail(), Some("Authentication required."));
                    let () = redis::cmd("AUTH").arg("pw").query(&mut anonymous).unwrap();
                    assert_eq!(anonymous.get::<_, String>("k").unwrap(), "v");
                }
                Proto::Resp3 => {
                    // HELLO 3 without credentials is refused, so is the connection.
                    let refused = error_of(try_connect(&url(&server, proto, 0, None)).map(|_| ()));
                    assert_eq!(refused.code(), Some("NOAUTH"), "{refused}");
                }
            }
        }
    }
}

#[test]
fn client_commands() {
    each(|con, server, proto| {
        let mut other = connect(server, proto);
        assert_eq!(con.client_getname::<Option<String>>().unwrap(), None);
        let () = con.client_setname("main-app").unwrap();
        let () = other.client_setname("worker").unwrap();
        assert_eq!(
            con.client_getname::<Option<String>>().unwrap().as_deref(),
            Some("main-app")
        );
        let error = error_of(con.client_setname::<_, ()>("has space"));
        assert_eq!(error.kind(), ErrorKind::ResponseError);
        assert_eq!(
            error.detail(),
            Some("Client names cannot contain spaces, newlines or special characters.")
        );

        let id: i64 = con.client_id().unwrap();
        let other_id: i64 = other.client_id().unwrap();
        assert!(id > 0 && other_id > 0 && id != other_id);

        let info: String = redis::cmd("CLIENT").arg("INFO").query(con).unwrap();
        assert!(info.starts_with(&format!("id={id} addr=")), "{info}");
        assert!(info.contains(" name=main-app "), "{info}");
        assert!(info.contains(" cmd=client|info "), "{info}");
        assert!(info.ends_with('\n'), "{info:?}");

        let list: String = redis::cmd("CLIENT").arg("LIST").query(con).unwrap();
        let lines: Vec<&str> = list.lines().collect();
        assert!(lines.len() >= 2, "{list}");
        let line_of = |id: i64| {
            lines
                .iter()
                .find(|l| l.starts_with(&format!("id={id} ")))
                .unwrap_or_else(|| panic!("id {id} missing from {list}"))
                .to_string()
        };
        assert!(line_of(id).contains(" name=main-app "));
        assert!(line_of(other_id).contains(" name=worker "));
        let only: String = redis::cmd("CLIENT")
            .arg("LIST")
            .arg("ID")
            .arg(other_id)
            .query(con)
            .unwrap();
        assert_eq!(only.lines().count(), 1, "{only}");
        assert!(only.contains(" name=worker "), "{only}");

        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(other_id)
            .query(con)
            .unwrap();
        assert_eq!(killed, 1);
        assert!(redis::cmd("PING").query::<String>(&mut other).is_err());
    });
}

#[test]
fn info_parses_into_fields() {
    each(|con, server, proto| {
        let _second = connect(server, proto);
        let _third = connect(server, proto);
        let () = con.mset(&[("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
        let _: bool = con.expire("a", 100).unwrap();
        let info: InfoDict = redis::cmd("INFO").query(con).unwrap();
        assert_eq!(
            info.get::<String>("redis_version").as_deref(),
            Some("7.0.15")
        );
        assert_eq!(info.get::<i64>("connected_clients"), Some(3));
        assert_eq!(
            info.get::<i64>("tcp_port"),
            Some(i64::from(server.addr.port()))
        );
        let db0: String = info.get("db0").expect("db0 line");
        assert!(db0.starts_with("keys=3,expires=1,"), "{db0}");
        // A single section holds only its own fields.
        let clients: InfoDict = redis::cmd("INFO").arg("clients").query(con).unwrap();
        assert_eq!(clients.get::<i64>("connected_clients"), Some(3));
        assert_eq!(clients.get::<String>("redis_version"), None);
    });
}

#[test]
fn config_get_and_set() {
    each(|con, _, _| {
        let maxmemory: HashMap<String, String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory")
            .query(con)
            .unwrap();
        assert_eq!(maxmemory.get("maxmemory").map(String::as_str), Some("0"));
        let () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("maxmemory")
            .arg("1mb")
            .query(con)
            .unwrap();
        let maxmemory: HashMap<String, String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory")
            .query(con)
            .unwrap();
        assert_eq!(
            maxmemory.get("maxmemory").map(String::as_str),
            Some("1048576")
        );
        let () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("maxmemory")
            .arg("0")
            .query(con)
            .unwrap();
        // What redis-benchmark asks for, and a glob.
        let several: HashMap<String, String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("save")
            .arg("appendonly")
            .arg("maxmemory-*")
            .query(con)
            .unwrap();
        assert_eq!(several.get("appendonly").map(String::as_str), Some("no"));
        assert!(several.contains_key("save"), "{several:?}");
        assert!(several.contains_key("maxmemory-policy"), "{several:?}");
        let error = error_of(
            redis::cmd("CONFIG")
                .arg("SET")
                .arg("nosuch")
                .arg("1")
                .query::<()>(con),
        );
        assert_eq!(error.code(), Some("ERR"));
        assert_eq!(
            error.detail(),
            Some("Unknown option or number of arguments for CONFIG SET - 'nosuch'")
        );
    });
}

#[test]
fn dbsize_flushes_and_time() {
    each(|con, server, proto| {
        let () = con.mset(&[("a", "1"), ("b", "2")]).unwrap();
        let mut db1 = try_connect(&url(server, proto, 1, None)).unwrap();
        let () = db1.set("x", "1").unwrap();
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(con).unwrap(), 2);
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut db1).unwrap(), 1);
        let () = redis::cmd("FLUSHDB").query(con).unwrap();
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(con).unwrap(), 0);
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut db1).unwrap(), 1);
        let () = con.set("a", "1").unwrap();
        let () = redis::cmd("FLUSHALL").arg("SYNC").query(con).unwrap();
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(con).unwrap(), 0);
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut db1).unwrap(), 0);

        let (seconds, micros): (u64, u64) = redis::cmd("TIME").query(con).unwrap();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(seconds.abs_diff(now) <= 2, "TIME {seconds} vs {now}");
        assert!(micros < 1_000_000, "{micros}");
    });
}

#[test]
fn command_count_and_info() {
    each(|con, _, _| {
        let count: i64 = redis::cmd("COMMAND").arg("COUNT").query(con).unwrap();
        let list: Vec<String> = redis::cmd("COMMAND").arg("LIST").query(con).unwrap();
        // As in Redis, COUNT counts top-level commands and LIST adds their subcommands.
        let top_level = list.iter().filter(|name| !name.contains('|')).count();
        assert_eq!(count, top_level as i64);
        for name in [
            "get",
            "set",
            "expire",
            "client",
            "client|list",
            "info",
            "ping",
        ] {
            assert!(
                list.iter().any(|n| n == name),
                "{name} missing from COMMAND LIST"
            );
        }
        let info: Vec<Value> = redis::cmd("COMMAND")
            .arg("INFO")
            .arg("get")
            .arg("nosuch")
            .query(con)
            .unwrap();
        assert_eq!(info.len(), 2);
        let Value::Array(get) = &info[0] else {
            panic!("COMMAND INFO get: {:?}", info[0]);
        };
        assert_eq!(redis::from_redis_value::<String>(&get[0]).unwrap(), "get");
        assert_eq!(get[1], Value::Int(2));
        let flags: Vec<String> = redis::from_redis_value(&get[2]).unwrap();
        assert!(flags.contains(&"readonly".to_string()), "{flags:?}");
        // First key, last key, step.
        assert_eq!(&get[3..6], &[Value::Int(1), Value::Int(1), Value::Int(1)]);
        assert_eq!(info[1], Value::Nil);
    });
}

#[test]
fn pipelines_return_every_reply_in_order() {
    each(|con, _, _| {
        let (value, n, many): (String, i64, Vec<Option<String>>) = redis::pipe()
            .set("a", "1")
            .ignore()
            .get("a")
            .incr("n", 2)
            .mget(&["a", "missing"])
            .query(con)
            .unwrap();
        assert_eq!(value, "1");
        assert_eq!(n, 2);
        assert_eq!(many, vec![Some("1".to_string()), None]);

        let mut pipe = redis::pipe();
        for _ in 0..500 {
            pipe.cmd("INCR").arg("counter");
        }
        let counts: Vec<i64> = pipe.query(con).unwrap();
        assert_eq!(counts, (1..=500).collect::<Vec<i64>>());

        // An atomic pipeline is sent as MULTI/EXEC.
        let (x, y): (i64, i64) = redis::pipe()
            .atomic()
            .incr("x", 1)
            .incr("x", 10)
            .query(con)
            .unwrap();
        assert_eq!((x, y), (1, 11));

        // A failing command fails the pipeline; the connection stays usable.
        let () = con.set("text", "abc").unwrap();
        let error = error_of(
            redis::pipe()
                .incr("ok", 1)
                .incr("text", 1)
                .query::<(i64, i64)>(con),
        );
        assert_eq!(error.code(), Some("ERR"), "{error}");
        assert_eq!(
            error.detail(),
            Some("value is not an integer or out of range")
        );
        assert_eq!(con.get::<_, i64>("ok").unwrap(), 1);
    });
}

#[test]
fn server_errors_surface_with_their_code() {
    each(|con, _, _| {
        let () = con.set("text", "abc").unwrap();
        let not_integer = error_of(con.incr::<_, _, i64>("text", 1));
        assert_eq!(not_integer.kind(), ErrorKind::ResponseError);
        assert_eq!(not_integer.code(), Some("ERR"));
        assert_eq!(
            not_integer.detail(),
            Some("value is not an integer or out of range")
        );

        let unknown = error_of(redis::cmd("NOSUCHCOMMAND").arg("x").query::<()>(con));
        assert_eq!(unknown.code(), Some("ERR"));
        assert_eq!(
            unknown.detail(),
            Some("unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ")
        );
        let arity = error_of(redis::cmd("GET").query::<()>(con));
        assert_eq!(
            arity.detail(),
            Some("wrong number of arguments for 'get' command")
        );

        // WRONGTYPE is not one of the codes the crate knows: it comes back as an extension
        // error with its code intact.
        let _: i64 = redis::cmd("LPUSH").arg("list").arg("x").query(con).unwrap();
        let wrong_type = error_of(con.get::<_, String>("list"));
        assert_eq!(wrong_type.kind(), ErrorKind::ExtensionError);
        assert_eq!(wrong_type.code(), Some("WRONGTYPE"));
        assert_eq!(
            wrong_type.detail(),
            Some("Operation against a key holding the wrong kind of value")
        );
        let wrong_type = error_of(con.append::<_, _, i64>("list", "x"));
        assert_eq!(wrong_type.code(), Some("WRONGTYPE"));
        // The connection carries on after errors.
        assert_eq!(con.get::<_, String>("text").unwrap(), "abc");
    });
}
