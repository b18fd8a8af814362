//! Append-only directories cross between radish and redis-server 7.0: a directory (manifest,
//! base, incremental files) written by either, copied into a fresh `dir`, loads on the other
//! with `appendonly yes` and the same DEBUG DIGEST, key counts and libraries, whether the log
//! is as the server started it or was rewritten (a new base plus an incremental file), on
//! both runtimes. `redis-check-aof` passes radish's directories. And a failing disk never
//! leaves a client waiting for the log without an answer.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_store::LogFault;
use radish_tests::datasets::{cmd, fill_persisted, ok, persisted_state};
use radish_tests::{RawClient, RedisServer, Runtime, TempDir, RUNTIMES};

/// Writes after a rewrite, for its incremental file: in two databases, one non-idempotent.
fn more(client: &mut RawClient) {
    for _ in 0..3 {
        assert!(!cmd(client, &[b"INCR", b"after"]).is_error());
    }
    assert_eq!(cmd(client, &[b"SELECT", b"5"]), ok());
    assert_eq!(
        cmd(client, &[b"SADD", b"later", b"x", b"y"]),
        Frame::Integer(2)
    );
    assert_eq!(cmd(client, &[b"SELECT", b"0"]), ok());
    assert_eq!(cmd(client, &[b"DEL", b"volatile"]), Frame::Integer(1));
}

fn info_persistence(client: &mut RawClient) -> String {
    let Frame::BulkString(info) = cmd(client, &[b"INFO", b"persistence"]) else {
        panic!("INFO persistence");
    };
    String::from_utf8_lossy(&info).into_owned()
}

/// Connects to redis-server once it has loaded its files (it answers INFO while loading).
fn connect_loaded(redis: &RedisServer) -> RawClient {
    let mut client = RawClient::connect(redis.addr);
    wait_until("redis-server has loaded its files", || {
        // Not async_loading:0, which is there all along.
        info_persistence(&mut client)
            .lines()
            .any(|line| line == "loading:0")
    });
    client
}

/// BGREWRITEAOF, then waits for it to end successfully.
fn rewrite(client: &mut RawClient) {
    let reply = cmd(client, &[b"BGREWRITEAOF"]);
    assert_eq!(
        reply,
        Frame::SimpleString("Background append only file rewriting started".into())
    );
    wait_rewritten(client);
}

/// Waits for the first rewrite to end successfully.
fn wait_rewritten(client: &mut RawClient) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = info_persistence(client);
        if info.contains("aof_rewrite_in_progress:0\r\n") && info.contains("aof_rewrites:1") {
            assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
            return;
        }
        assert!(Instant::now() < deadline, "the rewrite never ended: {info}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Fills a server whose log is on; if `rewritten`, rewrites the log and writes more after
/// it (a base plus an incremental file). Returns the state to compare.
fn write_log(client: &mut RawClient, rewritten: bool) -> (Frame, Vec<String>, Frame) {
    fill_persisted(client);
    if rewritten {
        rewrite(client);
        more(client);
    }
    persisted_state(client)
}

/// The manifest's lines.
fn manifest(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest"))
        .expect("a manifest");
    text.lines().map(str::to_string).collect()
}

/// Copies `from`'s append-only directory into a fresh directory.
fn copy_log(from: &Path, name: &str) -> TempDir {
    let to = TempDir::new(name);
    let target = to.file("appendonlydir");
    std::fs::create_dir(&target).unwrap();
    for entry in std::fs::read_dir(from.join("appendonlydir")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
    }
    to
}

/// `redis-check-aof` passes the directory's manifest.
fn check_aof(dir: &Path) {
    let manifest = dir.join("appendonlydir/appendonly.aof.manifest");
    let output = Command::new("redis-check-aof")
        .arg(&manifest)
        .output()
        .expect("redis-check-aof is installed with redis-server");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "redis-check-aof: {text}");
    assert!(text.contains("is valid"), "redis-check-aof: {text}");
}

#[test]
fn a_log_directory_written_by_radish_loads_on_redis_with_equal_digests() {
    // The log as started with the server, rewritten (with an RDB or a commands base), and
    // turned on at run time (its first base from the data, the temporary file renamed).
    let cases = [
        ("fresh", "yes", 1),
        ("rewritten", "yes", 2),
        ("rewritten", "no", 2),
        ("turned on", "yes", 1),
    ];
    for runtime in RUNTIMES {
        for (how, preamble, seq) in cases {
            let dir = TempDir::new("aof-to-redis");
            let directive = dir.directive();
            let setting = format!("aof-use-rdb-preamble {preamble}");
            let appendonly = if how == "turned on" { "no" } else { "yes" };
            let radish = runtime.start_with(&[
                "enable-debug-command yes",
                &format!("appendonly {appendonly}"),
                &directive,
                &setting,
            ]);
            let mut ours = RawClient::connect(radish.addr);
            let expected = if how == "turned on" {
                fill_persisted(&mut ours);
                let reply = cmd(&mut ours, &[b"CONFIG", b"SET", b"appendonly", b"yes"]);
                assert_eq!(reply, ok());
                wait_rewritten(&mut ours);
                more(&mut ours);
                persisted_state(&mut ours)
            } else {
                write_log(&mut ours, how == "rewritten")
            };
            drop(ours);
            radish.stop();
            let suffix = if preamble == "yes" { "rdb" } else { "aof" };
            let case = format!("{runtime:?} {how} preamble {preamble}");
            assert_eq!(
                manifest(dir.path()),
                [
                    format!("file appendonly.aof.{seq}.base.{suffix} seq {seq} type b"),
                    format!("file appendonly.aof.{seq}.incr.aof seq {seq} type i"),
                ],
                "{case}"
            );
            check_aof(dir.path());

            let copy = copy_log(dir.path(), "aof-to-redis-copy");
            let redis = RedisServer::start_in(copy, &["--appendonly", "yes"]);
            let mut theirs = connect_loaded(&redis);
            assert_eq!(persisted_state(&mut theirs), expected, "{case}");
            assert_eq!(
                cmd(&mut theirs, &[b"FCALL", b"answer", b"0"]),
                Frame::Integer(42)
            );
        }
    }
}

#[test]
fn a_log_directory_written_by_redis_loads_on_radish_with_equal_digests() {
    for rewritten in [false, true] {
        let redis = RedisServer::start_in(TempDir::new("aof-from-redis"), &["--appendonly", "yes"]);
        let mut theirs = RawClient::connect(redis.addr);
        let expected = write_log(&mut theirs, rewritten);
        // Redis writes the log before replying: what it acknowledged is in the files.
        let copy = copy_log(redis.dir(), "aof-from-redis-copy");
        drop(theirs);
        drop(redis);
        for runtime in RUNTIMES {
            let dir = copy_log(copy.path(), "aof-from-redis-run");
            let directive = dir.directive();
            let radish =
                runtime.start_with(&["enable-debug-command yes", "appendonly yes", &directive]);
            let mut ours = RawClient::connect(radish.addr);
            let case = format!("{runtime:?} rewritten {rewritten}");
            assert_eq!(persisted_state(&mut ours), expected, "{case}");
            // It goes on writing the same files, as redis-server would.
            assert_eq!(cmd(&mut ours, &[b"SET", b"radish", b"1"]), ok());
            let expected = persisted_state(&mut ours);
            drop(ours);
            radish.stop();
            check_aof(dir.path());
            let redis = RedisServer::start_in(dir, &["--appendonly", "yes"]);
            let mut theirs = connect_loaded(&redis);
            assert_eq!(persisted_state(&mut theirs), expected, "{case} and back");
        }
    }
}

/// Sends SET and returns what comes back: the reply, or `None` if the connection closed
/// without one. Fails if nothing comes back at all (the client would hang).
fn set_outcome(client: &mut RawClient, key: &str) -> Option<Frame> {
    client.set_timeout(Duration::from_secs(10));
    client.send(&["SET", key, "v"]);
    let sent = Instant::now();
    let reply = client.try_read();
    assert!(
        reply.is_some() || sent.elapsed() < Duration::from_secs(9),
        "no answer to SET {key}"
    );
    reply
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn with_fsync_always_a_full_disk_closes_the_waiting_client_and_stops_the_server() {
    for runtime in RUNTIMES {
        for fault in [LogFault::Write(28), LogFault::Fsync(5)] {
            let dir = TempDir::new("aof-always-full");
            let directive = dir.directive();
            let radish = runtime.start_with(&["appendonly yes", "appendfsync always", &directive]);
            let mut client = RawClient::connect(radish.addr);
            assert_eq!(cmd(&mut client, &[b"SET", b"acked", b"v"]), ok());
            radish.server.inject_log_fault(Some(fault));
            // The write in flight gets a definite answer: the connection closes, no reply.
            let case = format!("{runtime:?} {fault:?}");
            assert_eq!(set_outcome(&mut client, "lost"), None, "{case}");
            // And the server stops, as redis-server exits.
            wait_until("the server stops", || radish.server.shutdown_requested());
            wait_until("the server stops listening", || {
                std::net::TcpStream::connect(radish.addr).is_err()
            });
            radish.stop();
            // Every acknowledged write survives.
            let radish = Runtime::Tokio.start_with(&["appendonly yes", &directive]);
            let mut client = RawClient::connect(radish.addr);
            let value = cmd(&mut client, &[b"GET", b"acked"]);
            assert_eq!(value, Frame::BulkString("v".into()), "{case}");
        }
    }
}

#[test]
fn with_fsync_everysec_a_full_disk_refuses_writes_until_it_has_room() {
    for runtime in RUNTIMES {
        let dir = TempDir::new("aof-everysec-full");
        let directive = dir.directive();
        let radish = runtime.start_with(&["appendonly yes", &directive]);
        let mut client = RawClient::connect(radish.addr);
        radish.server.inject_log_fault(Some(LogFault::Write(28)));
        // Acknowledged as in Redis: kept to write again.
        assert_eq!(set_outcome(&mut client, "kept"), Some(ok()), "{runtime:?}");
        let refused = set_outcome(&mut client, "refused").expect("a reply");
        assert_eq!(
            refused,
            Frame::SimpleError(
                "MISCONF Errors writing to the AOF file: No space left on device".into()
            )
        );
        assert!(info_persistence(&mut client).contains("aof_last_write_status:err"));
        radish.server.inject_log_fault(None);
        // The tick retries once a second.
        wait_until("writes are accepted again", || {
            info_persistence(&mut client).contains("aof_last_write_status:ok")
        });
        assert_eq!(set_outcome(&mut client, "later"), Some(ok()));
        drop(client);
        radish.stop();
        let radish = Runtime::Tokio.start_with(&["appendonly yes", &directive]);
        let mut client = RawClient::connect(radish.addr);
        for key in ["kept", "later"] {
            let value = cmd(&mut client, &[b"GET", key.as_bytes()]);
            assert_eq!(value, Frame::BulkString("v".into()), "{runtime:?} {key}");
        }
    }
}

/// The `aof_*` lines of INFO persistence, as (name, value).
fn aof_fields(client: &mut RawClient) -> Vec<(String, String)> {
    info_persistence(client)
        .lines()
        .filter(|line| line.starts_with("aof_"))
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// The sizes of the base and incremental files the manifest in `dir` lists.
fn listed_sizes(dir: &Path) -> (u64, u64) {
    let (mut base, mut all) = (0, 0);
    for line in manifest(dir) {
        let words: Vec<&str> = line.split(' ').collect();
        let size = std::fs::metadata(dir.join("appendonlydir").join(words[1]))
            .unwrap()
            .len();
        match words[5] {
            "b" => (base, all) = (size, all + size),
            "i" => all += size,
            _ => {}
        }
    }
    (all, base)
}

/// aof_current_size and aof_base_size.
fn sizes(fields: &[(String, String)]) -> (u64, u64) {
    let get = |name: &str| {
        let (_, value) = fields.iter().find(|(n, _)| n == name).expect(name);
        value.parse().unwrap()
    };
    (get("aof_current_size"), get("aof_base_size"))
}

#[test]
fn info_persistence_counts_the_log_as_redis_does() {
    for runtime in RUNTIMES {
        let redis = RedisServer::start_in(TempDir::new("aof-info-redis"), &["--appendonly", "yes"]);
        let mut theirs = connect_loaded(&redis);
        let dir = TempDir::new("aof-info");
        let directive = dir.directive();
        let radish = runtime.start_with(&["appendonly yes", &directive]);
        let mut ours = RawClient::connect(radish.addr);
        // Fresh: the base written at start is not counted; then the same write, the same
        // bytes in the incremental file.
        assert_eq!(
            aof_fields(&mut ours),
            aof_fields(&mut theirs),
            "{runtime:?}"
        );
        for client in [&mut ours, &mut theirs] {
            assert_eq!(cmd(client, &[b"SET", b"a", b"1"]), ok());
        }
        assert_eq!(
            aof_fields(&mut ours),
            aof_fields(&mut theirs),
            "{runtime:?}"
        );
        // After a rewrite, both sizes are the new base plus the new incremental file, on
        // both servers.
        for (client, files) in [(&mut ours, dir.path()), (&mut theirs, redis.dir())] {
            rewrite(client);
            let (current, base) = sizes(&aof_fields(client));
            assert_eq!(
                (current, base),
                (listed_sizes(files).0, current),
                "{runtime:?}"
            );
        }
        // After a restart: the files loaded, and the base.
        drop(ours);
        radish.stop();
        let radish = runtime.start_with(&["appendonly yes", &directive]);
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(sizes(&aof_fields(&mut ours)), listed_sizes(dir.path()));
    }
}
