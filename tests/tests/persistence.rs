//! Persistence against the real binaries (radish-tokio and radish-smol) as child processes:
//! killed with SIGKILL while clients write, then restarted on the same `--dir`; damaged logs;
//! deadlines across a restart; SAVE, BGSAVE and SHUTDOWN round trips of every type.
//!
//! The binaries are built once per run with `cargo build` (into the same target directory
//! as the tests).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use radish_resp::Frame;
use radish_tests::{bulk, free_port, RawClient, TempDir};

/// The two server binaries, built on first use.
fn binaries() -> &'static [(&'static str, PathBuf); 2] {
    static BINARIES: OnceLock<[(&'static str, PathBuf); 2]> = OnceLock::new();
    BINARIES.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let output = Command::new(cargo)
            .current_dir(&workspace)
            .args(["build", "-q", "-p", "radish-tokio", "-p", "radish-smol"])
            .args(["--message-format", "json"])
            .stderr(Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the server binaries failed"
        );
        let text = String::from_utf8_lossy(&output.stdout);
        let find = |name: &str| -> PathBuf {
            text.lines()
                .filter_map(|line| {
                    let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
                    let end = start + line[start..].find('"')?;
                    Some(PathBuf::from(&line[start..end]))
                })
                .find(|path| path.file_name().is_some_and(|f| f == name))
                .unwrap_or_else(|| panic!("cargo did not report the {name} binary"))
        };
        [
            ("radish-tokio", find("radish-tokio")),
            ("radish-smol", find("radish-smol")),
        ]
    })
}

/// A server child process; killed (SIGKILL) when dropped.
struct Process {
    child: Child,
    addr: SocketAddr,
    output: PathBuf,
}

impl Process {
    /// Starts `binary` on a free port with its files in `dir`, no save rules, plus `extra`
    /// directives; waits until it answers PING.
    fn start(binary: &Path, dir: &TempDir, extra: &[&str]) -> Process {
        let (child, addr, output) = Self::spawn(binary, dir, extra);
        let mut process = Process {
            child,
            addr,
            output,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("the server exited ({status}): {}", process.log());
            }
            if let Ok(mut stream) = TcpStream::connect(addr) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reply = [0u8; 7];
                if stream.write_all(b"PING\r\n").is_ok()
                    && stream.read_exact(&mut reply).is_ok()
                    && &reply == b"+PONG\r\n"
                {
                    return process;
                }
            }
            assert!(Instant::now() < deadline, "no PONG: {}", process.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn spawn(binary: &Path, dir: &TempDir, extra: &[&str]) -> (Child, SocketAddr, PathBuf) {
        let port = free_port();
        let output = dir.file(&format!("server-{port}.log"));
        let log = std::fs::File::create(&output).expect("log file");
        let mut args: Vec<String> = ["--port", &port.to_string(), "--bind", "127.0.0.1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--dir".into(), dir.path().display().to_string()]);
        args.extend(["--save".into(), String::new()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new(binary)
            .args(&args)
            .env("NO_COLOR", "1")
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("the server starts");
        let addr = format!("127.0.0.1:{port}").parse().expect("address");
        (child, addr, output)
    }

    fn client(&self) -> RawClient {
        RawClient::connect(self.addr)
    }

    /// What the server printed so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// SIGKILL: no chance to flush or save anything.
    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself (after SHUTDOWN).
    fn wait_exit(mut self) -> ExitStatus {
        exit_status(&mut self.child).expect("the server exits")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How `child` exited, waiting up to 20 s; `None` (after killing it) if it did not.
fn exit_status(child: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Runs `binary` expecting it to refuse to start; returns its output.
fn refuses_to_start(binary: &Path, dir: &TempDir, extra: &[&str]) -> String {
    let (mut child, _, output) = Process::spawn(binary, dir, extra);
    let status = exit_status(&mut child).expect("the server must not start on a corrupt file");
    assert!(!status.success(), "it exited successfully");
    std::fs::read_to_string(output).unwrap_or_default()
}

fn ok(client: &mut RawClient, args: &[&str]) {
    let reply = client.cmd(args);
    assert!(
        matches!(&reply, Frame::SimpleString(s) if &s[..] == b"OK"),
        "{args:?}: {reply:?}"
    );
}

fn int(client: &mut RawClient, args: &[&str]) -> i64 {
    match client.cmd(args) {
        Frame::Integer(n) => n,
        other => panic!("{args:?}: {other:?}"),
    }
}

/// A writer that counts on nothing: any error (the server died) ends it.
fn set_acknowledged(stream: &mut TcpStream, key: &str, value: &str) -> bool {
    let request = format!(
        "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
        key.len(),
        value.len()
    );
    let mut reply = [0u8; 5];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+OK\r\n"
}

/// Several clients write SETs until the server is killed; returns, per client, the last
/// acknowledged write number and when each was acknowledged (offset from the start).
fn write_until_killed(process: Process, clients: usize, run_for: Duration) -> Vec<Vec<Duration>> {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers: Vec<_> = (0..clients)
        .map(|c| {
            let addr = process.addr;
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                let Ok(mut stream) = TcpStream::connect(addr) else {
                    return acked;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let _ = stream.set_nodelay(true);
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    if !set_acknowledged(&mut stream, &format!("c{c}:{n}"), &n.to_string()) {
                        break;
                    }
                    acked.push(started.elapsed());
                    n += 1;
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(run_for);
    // Killed in the middle of the writes: the clients are still sending.
    process.kill_9();
    stop.store(true, Ordering::Relaxed);
    writers
        .into_iter()
        .map(|w| w.join().expect("writer"))
        .collect()
}

/// Returns how many acknowledged writes are missing after the restart, for writes acked
/// before `older_than` (all of them if `None`).
fn missing_writes(
    client: &mut RawClient,
    acked: &[Vec<Duration>],
    older_than: Option<Duration>,
) -> usize {
    let mut missing = 0;
    for (c, times) in acked.iter().enumerate() {
        for (n, at) in times.iter().enumerate() {
            if older_than.is_some_and(|limit| *at > limit) {
                continue;
            }
            if client.cmd(&["GET", &format!("c{c}:{n}")]) != bulk(&n.to_string()) {
                missing += 1;
            }
        }
    }
    missing
}

/// On each binary with the log on at `policy`: `clients` write for `run_for`, the server is
/// killed with SIGKILL and restarted on the same directory; returns, per binary, how many
/// acknowledged writes are missing (of those acknowledged before `older_than`, if given).
fn crash_while_writing(
    policy: &str,
    clients: usize,
    run_for: Duration,
    older_than: Option<Duration>,
) -> Vec<(&'static str, usize)> {
    binaries()
        .iter()
        .map(|(name, binary)| {
            let dir = TempDir::new(policy);
            let options = ["--appendonly", "yes", "--appendfsync", policy];
            let process = Process::start(binary, &dir, &options);
            let acked = write_until_killed(process, clients, run_for);
            assert!(
                acked.iter().any(|a| !a.is_empty()),
                "{name}: nothing acknowledged"
            );
            let restarted = Process::start(binary, &dir, &options);
            let missing = missing_writes(&mut restarted.client(), &acked, older_than);
            (*name, missing)
        })
        .collect()
}

#[test]
fn with_fsync_always_every_acknowledged_write_survives_kill_9() {
    let missing = crash_while_writing("always", 4, Duration::from_millis(700), None);
    assert_eq!(missing, [("radish-tokio", 0), ("radish-smol", 0)]);
}

#[test]
fn with_fsync_everysec_at_most_about_a_second_is_lost() {
    // Writes acknowledged more than ~1 s before the kill must all be there.
    let run_for = Duration::from_millis(2500);
    let older = run_for - Duration::from_millis(1200);
    let missing = crash_while_writing("everysec", 3, run_for, Some(older));
    assert_eq!(missing, [("radish-tokio", 0), ("radish-smol", 0)]);
}

/// Writes k0..k9 with the log on, then stops the server without saving anything else.
fn log_with_ten_keys(binary: &Path, dir: &TempDir) -> Vec<u8> {
    let process = Process::start(binary, dir, &["--appendonly", "yes"]);
    let mut client = process.client();
    for i in 0..10 {
        ok(&mut client, &["SET", &format!("k{i}"), "value"]);
    }
    process.kill_9();
    std::fs::read(incr_file(dir)).expect("the log")
}

/// The incremental file of the log a fresh server started in `dir` writes.
fn incr_file(dir: &TempDir) -> PathBuf {
    dir.file("appendonlydir/appendonly.aof.1.incr.aof")
}

#[test]
fn a_torn_last_record_is_cut_off_and_everything_before_it_loads() {
    for (name, binary) in binaries() {
        let dir = TempDir::new("torn");
        let log = log_with_ten_keys(binary, &dir);
        let last = b"*3\r\n$3\r\nSET\r\n$2\r\nk9\r\n$5\r\nvalue\r\n";
        assert!(log.ends_with(last), "{name}");
        // A crash in the middle of writing the last record.
        std::fs::write(incr_file(&dir), &log[..log.len() - 9]).unwrap();
        let process = Process::start(binary, &dir, &["--appendonly", "yes"]);
        let mut client = process.client();
        assert_eq!(client.cmd(&["GET", "k8"]), bulk("value"), "{name}");
        assert_eq!(int(&mut client, &["EXISTS", "k9"]), 0, "{name}");
        let size = std::fs::metadata(incr_file(&dir)).unwrap().len();
        assert_eq!(
            size as usize,
            log.len() - last.len(),
            "{name}: cut at the record"
        );
        let output = process.log();
        assert!(
            output.contains("short read while loading the AOF file"),
            "{name}: {output}"
        );
    }
}

#[test]
fn a_corrupt_record_in_the_middle_stops_the_server_naming_file_and_offset() {
    for (name, binary) in binaries() {
        let dir = TempDir::new("corrupt");
        let mut log = log_with_ten_keys(binary, &dir);
        let record = b"*3\r\n$3\r\nSET\r\n$2\r\nk4\r\n";
        let at = log
            .windows(record.len())
            .position(|w| w == record)
            .expect("k4's record");
        // The length line of "SET" loses its '$': no longer a record.
        log[at + 4] = b'#';
        std::fs::write(incr_file(&dir), &log).unwrap();
        let output = refuses_to_start(binary, &dir, &["--appendonly", "yes"]);
        let path = incr_file(&dir).display().to_string();
        assert!(output.contains(&path), "{name}: {output}");
        assert!(
            output.contains(&format!("offset {}", at + 4)),
            "{name}: {output}"
        );
        // The file was left alone.
        assert_eq!(std::fs::read(incr_file(&dir)).unwrap(), log, "{name}");
    }
}

/// Every key's deadline, in Unix ms (PEXPIRETIME), for comparing across a restart.
fn deadlines(client: &mut RawClient, keys: &[&str]) -> Vec<i64> {
    keys.iter()
        .map(|key| int(client, &["PEXPIRETIME", key]))
        .collect()
}

#[test]
fn deadlines_are_absolute_and_what_expired_while_down_is_gone() {
    for (name, binary) in binaries() {
        for options in [&["--appendonly", "yes"][..], &["--appendonly", "no"]] {
            let dir = TempDir::new("ttl");
            let process = Process::start(binary, &dir, options);
            let mut client = process.client();
            ok(&mut client, &["SET", "short", "x", "PX", "300"]);
            ok(&mut client, &["SET", "long", "x", "EX", "1000"]);
            int(&mut client, &["RPUSH", "list", "a", "b"]);
            int(&mut client, &["PEXPIRE", "list", "5000000"]);
            ok(&mut client, &["SET", "forever", "x"]);
            let keys = ["long", "list", "forever"];
            let before = deadlines(&mut client, &keys);
            // SHUTDOWN SAVE writes the snapshot (and syncs the log).
            client.send(&["SHUTDOWN", "SAVE"]);
            assert!(client.closed());
            assert!(process.wait_exit().success(), "{name}");
            std::thread::sleep(Duration::from_millis(400));
            let restarted = Process::start(binary, &dir, options);
            let mut client = restarted.client();
            assert_eq!(
                int(&mut client, &["EXISTS", "short"]),
                0,
                "{name} {options:?}"
            );
            assert_eq!(deadlines(&mut client, &keys), before, "{name} {options:?}");
            assert_eq!(int(&mut client, &["DBSIZE"]), 3, "{name} {options:?}");
        }
    }
}

/// Data of every type in three databases, including long aggregates (more than one command
/// each in the file) and special scores.
fn load_every_type(client: &mut RawClient) {
    ok(client, &["SET", "string", "hello world"]);
    ok(client, &["SET", "binary", "a\r\n\0b"]);
    int(client, &["INCR", "counter"]);
    let items: Vec<String> = (0..150).map(|i| format!("item{i}")).collect();
    let mut rpush = vec!["RPUSH", "list"];
    rpush.extend(items.iter().map(String::as_str));
    int(client, &rpush);
    let mut hset = vec!["HSET", "hash"];
    for item in &items {
        hset.push(item);
        hset.push("v");
    }
    int(client, &hset);
    int(client, &["SADD", "intset", "1", "2", "3", "-7"]);
    int(client, &["SADD", "intset64", "5000000000", "-70000", "2"]);
    // Past the listpack limits: a hashtable hash, a skiplist sorted set.
    let many: Vec<String> = (0..600).map(|i| format!("m{i}")).collect();
    let mut big_hash = vec!["HSET", "bighash"];
    let mut big_zset = vec!["ZADD", "bigzset"];
    for member in &many {
        big_hash.extend([member.as_str(), "v"]);
        big_zset.extend(["2.5", member.as_str()]);
    }
    int(client, &big_hash);
    int(client, &big_zset);
    int(client, &["HSET", "longhash", "f", &"x".repeat(100)]);
    // A list over several nodes, with elements of one- and two-byte lengths.
    let long = "y".repeat(300);
    let mut nodes = vec!["RPUSH", "nodes"];
    for _ in 0..100 {
        nodes.extend([long.as_str(), "short"]);
    }
    int(client, &nodes);
    let mut sadd = vec!["SADD", "set"];
    sadd.extend(items.iter().map(String::as_str));
    int(client, &sadd);
    int(
        client,
        &[
            "ZADD", "zset", "1.5", "a", "-inf", "b", "inf", "c", "0.1", "d",
        ],
    );
    ok(client, &["SELECT", "3"]);
    ok(client, &["SET", "in3", "x"]);
    int(client, &["LPUSH", "l3", "x", "y"]);
    ok(client, &["SELECT", "15"]);
    int(client, &["HSET", "h15", "f", "v"]);
    ok(client, &["SELECT", "0"]);
}

/// An array reply with its items (taken `group` at a time) sorted.
fn sorted(reply: Frame, group: usize) -> Frame {
    let Frame::Array(items) = reply else {
        panic!("not an array: {reply:?}");
    };
    let mut groups: Vec<Vec<Frame>> = items.chunks(group).map(<[Frame]>::to_vec).collect();
    groups.sort_by_key(|g| format!("{g:?}"));
    Frame::Array(groups.into_iter().flatten().collect())
}

/// Everything in every database, read back through commands.
fn contents(client: &mut RawClient) -> Vec<(usize, String, Frame)> {
    let mut all = Vec::new();
    for db in [0usize, 3, 15] {
        ok(client, &["SELECT", &db.to_string()]);
        let Frame::Array(keys) = client.cmd(&["KEYS", "*"]) else {
            panic!("KEYS");
        };
        let mut keys: Vec<String> = keys
            .iter()
            .map(|k| String::from_utf8_lossy(k.as_bytes().expect("key")).into_owned())
            .collect();
        keys.sort();
        for key in keys {
            let kind = client.cmd(&["TYPE", &key]);
            let value = match kind.as_bytes().map(|b| &b[..]) {
                Some(b"string") => client.cmd(&["GET", &key]),
                Some(b"list") => client.cmd(&["LRANGE", &key, "0", "-1"]),
                Some(b"hash") => sorted(client.cmd(&["HGETALL", &key]), 2),
                Some(b"set") => sorted(client.cmd(&["SMEMBERS", &key]), 1),
                _ => client.cmd(&["ZRANGE", &key, "0", "-1", "WITHSCORES"]),
            };
            let encoding = client.cmd(&["OBJECT", "ENCODING", &key]);
            all.push((db, format!("{key} ({encoding:?})"), value));
        }
    }
    ok(client, &["SELECT", "0"]);
    all
}

#[test]
fn save_bgsave_and_shutdown_round_trip_every_type() {
    for (name, binary) in binaries() {
        let dir = TempDir::new("round-trip");
        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        load_every_type(&mut client);
        let saved = contents(&mut client);
        ok(&mut client, &["SAVE"]);
        let lastsave = int(&mut client, &["LASTSAVE"]);
        process.kill_9();

        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(contents(&mut client), saved, "{name}: after SAVE");
        assert!(int(&mut client, &["LASTSAVE"]) >= lastsave);

        // BGSAVE, then changes that are not saved: a kill loses them, not the snapshot.
        ok(&mut client, &["SET", "added", "before bgsave"]);
        int(&mut client, &["DEL", "hash"]);
        let snapshot = contents(&mut client);
        let reply = client.cmd(&["BGSAVE"]);
        assert_eq!(
            reply,
            Frame::SimpleString("Background saving started".into())
        );
        ok(&mut client, &["SET", "added", "after bgsave"]);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let info = client.cmd(&["INFO", "persistence"]);
            let text = String::from_utf8_lossy(info.as_bytes().expect("INFO")).into_owned();
            if text.contains("rdb_bgsave_in_progress:0") && text.contains("rdb_saves:1") {
                assert!(text.contains("rdb_last_bgsave_status:ok"), "{text}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: BGSAVE never finished: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        process.kill_9();

        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(contents(&mut client), snapshot, "{name}: after BGSAVE");

        // With save rules, SHUTDOWN saves; SHUTDOWN NOSAVE does not.
        ok(&mut client, &["CONFIG", "SET", "save", "3600 1"]);
        ok(&mut client, &["SET", "added", "at shutdown"]);
        client.send(&["SHUTDOWN"]);
        assert!(client.closed());
        assert!(process.wait_exit().success());
        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(client.cmd(&["GET", "added"]), bulk("at shutdown"), "{name}");
        ok(&mut client, &["SET", "added", "lost"]);
        client.send(&["SHUTDOWN", "NOSAVE"]);
        assert!(client.closed());
        assert!(process.wait_exit().success());
        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(client.cmd(&["GET", "added"]), bulk("at shutdown"), "{name}");
    }
}

#[test]
fn every_encoding_comes_back_from_the_log_and_from_the_snapshot() {
    for (name, binary) in binaries() {
        let dir = TempDir::new("encodings");
        let logged = ["--appendonly", "yes"];
        let process = Process::start(binary, &dir, &logged);
        let mut client = process.client();
        load_every_type(&mut client);
        let saved = contents(&mut client);
        let encodings: Vec<&str> = ["quicklist", "listpack", "hashtable", "intset", "skiplist"]
            .into_iter()
            .filter(|e| saved.iter().any(|(_, key, _)| key.contains(e)))
            .collect();
        assert_eq!(encodings.len(), 5, "{name}: every encoding in the data");
        ok(&mut client, &["SAVE"]);
        process.kill_9();

        let process = Process::start(binary, &dir, &logged);
        let mut client = process.client();
        assert_eq!(contents(&mut client), saved, "{name}: from the log");
        process.kill_9();

        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(contents(&mut client), saved, "{name}: from the snapshot");
    }
}

#[test]
fn streams_survive_a_restart_from_the_snapshot_and_from_the_log() {
    for (name, binary) in binaries() {
        for log in [false, true] {
            let dir = TempDir::new("streams");
            let mut options = vec!["--enable-debug-command", "yes"];
            if log {
                options.extend(["--appendonly", "yes", "--appendfsync", "always"]);
            }
            let process = Process::start(binary, &dir, &options);
            let mut client = process.client();
            client.cmd(&["XADD", "s", "1-1", "a", "1", "b", "2"]);
            client.cmd(&["XADD", "s", "MAXLEN", "~", "10", "*", "c", "3"]);
            client.cmd(&["XADD", "s", "2-*", "d", "4"]);
            client.cmd(&["XDEL", "s", "1-1"]);
            ok(
                &mut client,
                &["XSETID", "s", "99999999999999-0", "ENTRIESADDED", "40"],
            );
            client.cmd(&["XADD", "emptied", "MAXLEN", "0", "5-5", "f", "v"]);
            ok(&mut client, &["XGROUP", "CREATE", "s", "g", "0"]);
            ok(
                &mut client,
                &["XGROUP", "CREATE", "s", "h", "$", "ENTRIESREAD", "3"],
            );
            client.cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]);
            client.cmd(&["XAUTOCLAIM", "s", "g", "bob", "0", "0-0", "COUNT", "1"]);
            client.cmd(&["XGROUP", "CREATECONSUMER", "s", "h", "carol"]);
            // When a consumer was last seen is not kept (as with Redis's append-only file).
            let info = |client: &mut RawClient| {
                ["s", "emptied"]
                    .map(|key| without_seen_times(client.cmd(&["XINFO", "STREAM", key, "FULL"])))
            };
            let before = info(&mut client);
            let digest = client.cmd(&["DEBUG", "DIGEST"]);
            if log {
                process.kill_9();
            } else {
                client.send(&["SHUTDOWN", "SAVE"]);
                assert!(client.closed());
                assert!(process.wait_exit().success(), "{name}");
            }
            let process = Process::start(binary, &dir, &options);
            let mut client = process.client();
            assert_eq!(info(&mut client), before, "{name}, log {log}");
            assert_eq!(
                client.cmd(&["DEBUG", "DIGEST"]),
                digest,
                "{name}, log {log}"
            );
        }
    }
}

/// `frame` with every `seen-time` value zeroed.
fn without_seen_times(frame: Frame) -> Frame {
    match frame {
        Frame::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut zero_next = false;
            for item in items {
                if zero_next {
                    out.push(Frame::Integer(0));
                    zero_next = false;
                    continue;
                }
                zero_next = item == bulk("seen-time");
                out.push(without_seen_times(item));
            }
            Frame::Array(out)
        }
        other => other,
    }
}

/// A library of two functions over a counter, as an application would load it.
const COUNTERS: &str = "#!lua name=counters\n\
    redis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)\n\
    redis.register_function{function_name='peek', callback=function(keys) \
    return redis.call('GET', keys[1]) end, flags={'no-writes'}}";

#[test]
fn function_libraries_survive_a_restart_from_the_snapshot_and_from_the_log() {
    for (name, binary) in binaries() {
        // From the snapshot SHUTDOWN saves.
        let dir = TempDir::new("functions-snapshot");
        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(
            client.cmd(&["FUNCTION", "LOAD", COUNTERS]),
            bulk("counters")
        );
        assert_eq!(client.cmd(&["FCALL", "bump", "1", "n"]), Frame::Integer(1));
        client.send(&["SHUTDOWN", "SAVE"]);
        assert!(client.closed());
        assert!(process.wait_exit().success(), "{name}");
        let process = Process::start(binary, &dir, &[]);
        let mut client = process.client();
        assert_eq!(client.cmd(&["FCALL", "bump", "1", "n"]), Frame::Integer(2));
        assert_eq!(
            client.cmd(&["FCALL_RO", "peek", "1", "n"]),
            bulk("2"),
            "{name}"
        );
        drop(process);

        // From the append-only log, after a kill: the library loaded, then replaced, then a
        // second one loaded and deleted.
        let dir = TempDir::new("functions-log");
        let log = ["--appendonly", "yes", "--appendfsync", "always"];
        let process = Process::start(binary, &dir, &log);
        let mut client = process.client();
        let first = COUNTERS.replace("'INCR', keys[1]", "'INCRBY', keys[1], 10");
        assert_eq!(client.cmd(&["FUNCTION", "LOAD", &first]), bulk("counters"));
        assert_eq!(
            client.cmd(&["FUNCTION", "LOAD", "REPLACE", COUNTERS]),
            bulk("counters")
        );
        let other = "#!lua name=other\nredis.register_function('gone', function() return 1 end)";
        assert_eq!(client.cmd(&["FUNCTION", "LOAD", other]), bulk("other"));
        ok(&mut client, &["FUNCTION", "DELETE", "other"]);
        assert_eq!(client.cmd(&["FCALL", "bump", "1", "n"]), Frame::Integer(1));
        process.kill_9();
        let process = Process::start(binary, &dir, &log);
        let mut client = process.client();
        assert_eq!(
            client.cmd(&["FCALL", "bump", "1", "n"]),
            Frame::Integer(2),
            "{name}"
        );
        assert_eq!(
            client.cmd(&["FCALL", "gone", "0"]),
            Frame::error("ERR Function not found"),
            "{name}"
        );
    }
}
