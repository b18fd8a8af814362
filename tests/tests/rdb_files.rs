//! RDB files cross between radish and redis-server 7.0: a `dump.rdb` written by either loads
//! on the other with the same DEBUG DIGEST, every database, deadline and function library
//! included, for every type and encoding, on both runtimes; `redis-check-rdb` finds radish's
//! files sound, with and without compression and checksums; access records (LRU idle time,
//! LFU counter) travel with the keys.

use std::process::Command;

use radish_resp::Frame;
use radish_tests::datasets::{cmd, fill_persisted, ok, persisted_state};
use radish_tests::{RawClient, RedisServer, TempDir, RUNTIMES};

fn save(client: &mut RawClient) {
    assert_eq!(cmd(client, &[b"SAVE"]), ok());
}

/// `redis-check-rdb` on `path` passes.
fn check_rdb(path: &std::path::Path) {
    let output = Command::new("redis-check-rdb")
        .arg(path)
        .output()
        .expect("redis-check-rdb is installed with redis-server");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "redis-check-rdb: {text}");
    assert!(text.contains("RDB looks OK!"), "redis-check-rdb: {text}");
}

#[test]
fn a_dump_written_by_redis_loads_on_radish_with_equal_digests() {
    let redis = RedisServer::start();
    let mut theirs = RawClient::connect(redis.addr);
    fill_persisted(&mut theirs);
    let expected = persisted_state(&mut theirs);
    save(&mut theirs);
    let file = std::fs::read(redis.dir().join("dump.rdb")).expect("redis's dump.rdb");
    for runtime in RUNTIMES {
        let dir = TempDir::new("rdb-from-redis");
        std::fs::write(dir.file("dump.rdb"), &file).unwrap();
        let radish = runtime.start_with(&["enable-debug-command yes", &dir.directive()]);
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(persisted_state(&mut ours), expected, "{runtime:?}");
        assert_eq!(
            cmd(&mut ours, &[b"FCALL", b"answer", b"0"]),
            Frame::Integer(42)
        );
        // And it writes them back the same.
        save(&mut ours);
        check_rdb(&dir.file("dump.rdb"));
    }
}

#[test]
fn a_dump_written_by_radish_loads_on_redis_with_equal_digests() {
    for runtime in RUNTIMES {
        for options in [&[][..], &["rdbcompression no"][..], &["rdbchecksum no"][..]] {
            let dir = TempDir::new("rdb-to-redis");
            let directive = dir.directive();
            let mut directives = vec!["enable-debug-command yes", &directive];
            directives.extend_from_slice(options);
            let radish = runtime.start_with(&directives);
            let mut ours = RawClient::connect(radish.addr);
            fill_persisted(&mut ours);
            let expected = persisted_state(&mut ours);
            save(&mut ours);
            drop(ours);
            radish.stop();
            check_rdb(&dir.file("dump.rdb"));

            let redis = RedisServer::start_in(dir, &[]);
            let mut theirs = RawClient::connect(redis.addr);
            assert_eq!(
                persisted_state(&mut theirs),
                expected,
                "{runtime:?} {options:?}"
            );
        }
    }
}

#[test]
fn compression_shrinks_the_file_and_either_form_loads_back() {
    let runtime = RUNTIMES[0];
    let mut sizes = Vec::new();
    for compression in ["yes", "no"] {
        let dir = TempDir::new("rdb-compression");
        let directive = dir.directive();
        let setting = format!("rdbcompression {compression}");
        let radish = runtime.start_with(&["enable-debug-command yes", &directive, &setting]);
        let mut ours = RawClient::connect(radish.addr);
        let long = "abcdefgh".repeat(1000);
        assert_eq!(cmd(&mut ours, &[b"SET", b"long", long.as_bytes()]), ok());
        let expected = persisted_state(&mut ours);
        // DEBUG RELOAD saves and loads the file again.
        assert_eq!(cmd(&mut ours, &[b"DEBUG", b"RELOAD"]), ok());
        assert_eq!(persisted_state(&mut ours), expected);
        sizes.push(std::fs::metadata(dir.file("dump.rdb")).unwrap().len());
    }
    assert!(sizes[0] < 1000 && sizes[1] > 8000, "sizes {sizes:?}");
}

#[test]
fn access_records_travel_with_the_keys() {
    for runtime in RUNTIMES {
        // LFU: the counter radish had is the counter redis-server loads.
        let dir = TempDir::new("rdb-lfu");
        let directive = dir.directive();
        let radish = runtime.start_with(&[&directive, "maxmemory-policy allkeys-lfu"]);
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(cmd(&mut ours, &[b"SET", b"hot", b"v"]), ok());
        assert_eq!(cmd(&mut ours, &[b"SET", b"cold", b"v"]), ok());
        for _ in 0..2000 {
            cmd(&mut ours, &[b"GET", b"hot"]);
        }
        let hot = cmd(&mut ours, &[b"OBJECT", b"FREQ", b"hot"]);
        let cold = cmd(&mut ours, &[b"OBJECT", b"FREQ", b"cold"]);
        assert_ne!(hot, cold);
        save(&mut ours);
        drop(ours);
        radish.stop();
        let redis = RedisServer::start_in(dir, &["--maxmemory-policy", "allkeys-lfu"]);
        let mut theirs = RawClient::connect(redis.addr);
        assert_eq!(cmd(&mut theirs, &[b"OBJECT", b"FREQ", b"hot"]), hot);
        assert_eq!(cmd(&mut theirs, &[b"OBJECT", b"FREQ", b"cold"]), cold);

        // LRU: a key idle for 5000 seconds is still that idle after the crossing.
        let dir = TempDir::new("rdb-lru");
        let directive = dir.directive();
        let radish = runtime.start_with(&[&directive, "maxmemory-policy allkeys-lru"]);
        let mut ours = RawClient::connect(radish.addr);
        assert_eq!(cmd(&mut ours, &[b"SET", b"k", b"v"]), ok());
        let Frame::BulkString(payload) = cmd(&mut ours, &[b"DUMP", b"k"]) else {
            panic!("DUMP");
        };
        let reply = cmd(
            &mut ours,
            &[b"RESTORE", b"idle", b"0", &payload, b"IDLETIME", b"5000"],
        );
        assert_eq!(reply, ok());
        save(&mut ours);
        drop(ours);
        radish.stop();
        let redis = RedisServer::start_in(dir, &["--maxmemory-policy", "allkeys-lru"]);
        let mut theirs = RawClient::connect(redis.addr);
        let Frame::Integer(idle) = cmd(&mut theirs, &[b"OBJECT", b"IDLETIME", b"idle"]) else {
            panic!("OBJECT IDLETIME");
        };
        assert!((5000..5010).contains(&idle), "idle {idle}");
    }
}

#[test]
fn keys_whose_deadline_passed_while_down_are_not_loaded() {
    let redis = RedisServer::start();
    let mut theirs = RawClient::connect(redis.addr);
    assert_eq!(
        cmd(&mut theirs, &[b"SET", b"soon", b"v", b"PX", b"300"]),
        ok()
    );
    assert_eq!(cmd(&mut theirs, &[b"SET", b"stays", b"v"]), ok());
    save(&mut theirs);
    let file = std::fs::read(redis.dir().join("dump.rdb")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let dir = TempDir::new("rdb-expired");
    std::fs::write(dir.file("dump.rdb"), &file).unwrap();
    let radish = RUNTIMES[1].start_with(&[&dir.directive()]);
    let mut ours = RawClient::connect(radish.addr);
    assert_eq!(cmd(&mut ours, &[b"DBSIZE"]), Frame::Integer(1));
    let Frame::BulkString(info) = cmd(&mut ours, &[b"INFO", b"persistence"]) else {
        panic!("INFO");
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    assert!(info.contains("rdb_last_load_keys_expired:1\r\n"), "{info}");
    assert!(info.contains("rdb_last_load_keys_loaded:1\r\n"), "{info}");
}
