//! Redis 7.0's multi-part log: the append-only directory and its manifest, rewrites that
//! open a new incremental file at once, the upgrade of an old single-file log, damaged
//! directories, and what a failing disk does to the clients waiting for the log.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::jobs::tick_until;
use super::*;
use crate::persist::LogFault;

const ENOSPC: i32 = 28;
const EIO: i32 = 5;

fn manifest_text(dir: &Path) -> String {
    let path = aof_dir(dir).join("appendonly.aof.manifest");
    String::from_utf8(std::fs::read(path).expect("the manifest")).expect("text")
}

/// The names of the files in the append-only directory, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(aof_dir(dir))
        .expect("the append-only directory")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The log is base `seq` and incremental file `seq` (RDB base), with no history left.
fn assert_log_is(dir: &Path, seq: u32) {
    assert_eq!(
        manifest_text(dir),
        format!(
            "file appendonly.aof.{seq}.base.rdb seq {seq} type b\n\
             file appendonly.aof.{seq}.incr.aof seq {seq} type i\n"
        )
    );
    assert_eq!(
        names(dir),
        [
            format!("appendonly.aof.{seq}.base.rdb"),
            format!("appendonly.aof.{seq}.incr.aof"),
            "appendonly.aof.manifest".to_string()
        ]
    );
}

fn open_err(dir: &Path, directives: &[&str]) -> String {
    match Server::open(config(dir, directives), T0) {
        Ok(_) => panic!("the server started"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_fresh_log_is_a_base_an_incremental_file_and_their_manifest() {
    let dir = temp_dir("fresh");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_log_is(&dir, 1);
    // As Redis, the base written at start is not counted.
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_current_size:0\r\n"), "{info}");
    assert!(info.contains("aof_base_size:0\r\n"), "{info}");
    run(&mut s, T0, &["SET", "a", "1"]);
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    let incr = std::fs::metadata(incr_path(&dir)).unwrap().len();
    assert!(
        info.contains(&format!("aof_current_size:{incr}\r\n")),
        "{info}"
    );
    assert_eq!(log_text(&dir), "SELECT 0\nSET a 1\n");
    drop((server, s));
    // Started again, it goes on writing the same incremental file.
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    run(&mut s, T0, &["SET", "b", "2"]);
    assert_eq!(log_text(&dir), "SELECT 0\nSET a 1\nSELECT 0\nSET b 2\n");
    let size = log_size(&dir);
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(
        info.contains(&format!("aof_current_size:{size}\r\n")),
        "{info}"
    );
    drop((server, s));
}

/// Writes 20 keys, and makes snapshots slow enough (0.4 s) to look at the files meanwhile.
fn twenty_keys_saved_slowly(s: &mut Session) {
    for i in 0..20 {
        run(s, T0, &["SET", &format!("k{i}"), "v"]);
    }
    run(s, T0, &["CONFIG", "SET", "rdb-key-save-delay", "20000"]);
}

#[test]
fn a_rewrite_opens_a_new_incremental_file_at_once_and_replaces_the_rest_when_done() {
    let dir = temp_dir("rewrite-parts");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    twenty_keys_saved_slowly(&mut s);
    run(&mut s, T0, &["BGREWRITEAOF"]);
    assert_eq!(
        manifest_text(&dir),
        "file appendonly.aof.1.base.rdb seq 1 type b\n\
         file appendonly.aof.1.incr.aof seq 1 type i\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    run(&mut s, T0, &["SET", "during", "1"]);
    let during = std::fs::read(aof_dir(&dir).join("appendonly.aof.2.incr.aof")).unwrap();
    assert!(during.ends_with(b"$6\r\nduring\r\n$1\r\n1\r\n"));
    run(&mut s, T0, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
    // The history files are gone.
    assert_log_is(&dir, 2);
    let size = log_size(&dir);
    assert!(
        info.contains(&format!("aof_current_size:{size}\r\n")),
        "{info}"
    );
    assert!(
        info.contains(&format!("aof_base_size:{size}\r\n")),
        "{info}"
    );
    assert_reopens_the_same(server, s, &dir, &["appendonly yes"]);
}

#[test]
fn with_aof_disable_auto_gc_the_history_stays() {
    let dir = temp_dir("keep-history");
    let directives = ["appendonly yes", "aof-disable-auto-gc yes"];
    let (server, mut s) = open(&dir, &directives, T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    run(&mut s, T0, &["BGREWRITEAOF"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    assert_eq!(
        manifest_text(&dir),
        "file appendonly.aof.2.base.rdb seq 2 type b\n\
         file appendonly.aof.1.incr.aof seq 1 type h\n\
         file appendonly.aof.1.base.rdb seq 1 type h\n\
         file appendonly.aof.2.incr.aof seq 2 type i\n"
    );
    assert_eq!(names(&dir).len(), 5);
    drop((server, s));
    // Started without it, the server deletes them, as Redis does at start.
    let (server, _s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(names(&dir).len(), 3);
    drop(server);
}

#[test]
fn turning_the_log_off_and_on_again_starts_a_new_base() {
    let dir = temp_dir("off-on");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    run(&mut s, T0, &["CONFIG", "SET", "appendonly", "no"]);
    run(&mut s, T0, &["SET", "b", "1"]);
    run(&mut s, T0, &["CONFIG", "SET", "appendonly", "yes"]);
    run(&mut s, T0, &["SET", "c", "1"]);
    tick_until(&server, &mut s, T0, "aof_rewrite_in_progress:0");
    run(&mut s, T0, &["SET", "d", "1"]);
    assert_log_is(&dir, 2);
    assert_eq!(dump(&server, T0).len(), 4);
    assert_reopens_the_same(server, s, &dir, &["appendonly yes"]);
}

#[test]
fn a_single_file_log_from_before_7_0_becomes_the_base_of_a_manifest() {
    let dir = temp_dir("upgrade");
    let old = resp(&["SET", "k", "v"]);
    std::fs::write(dir.join("appendonly.aof"), &old).unwrap();
    // With the log off it is neither loaded nor moved.
    let (server, mut s) = open(&dir, &[], T0);
    assert_eq!(run(&mut s, T0, &["EXISTS", "k"]), ":0\r\n");
    drop((server, s));
    assert!(dir.join("appendonly.aof").exists());

    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(run(&mut s, T0, &["GET", "k"]), "$1\r\nv\r\n");
    assert!(!dir.join("appendonly.aof").exists());
    assert_eq!(
        std::fs::read(aof_dir(&dir).join("appendonly.aof")).unwrap(),
        old
    );
    assert_eq!(
        manifest_text(&dir),
        "file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    run(&mut s, T0, &["SET", "k2", "v2"]);
    assert_reopens_the_same(server, s, &dir, &["appendonly yes"]);
}

/// Writes a log directory by hand: an empty base, then `incrs` as incremental files.
fn handmade_log(dir: &Path, incrs: &[&[u8]]) {
    let at = aof_dir(dir);
    std::fs::create_dir_all(&at).unwrap();
    let mut manifest = String::from("file appendonly.aof.1.base.aof seq 1 type b\n");
    std::fs::write(at.join("appendonly.aof.1.base.aof"), b"").unwrap();
    for (i, bytes) in incrs.iter().enumerate() {
        let name = format!("appendonly.aof.{}.incr.aof", i + 1);
        std::fs::write(at.join(&name), bytes).unwrap();
        manifest.push_str(&format!("file {name} seq {} type i\n", i + 1));
    }
    std::fs::write(at.join("appendonly.aof.manifest"), manifest).unwrap();
}

#[test]
fn only_the_last_file_may_be_cut_short() {
    let set = |key: &str| resp(&["SET", key, "v"]);
    let torn = &set("b")[..10];
    let first = [set("a"), torn.to_vec()].concat();

    // Torn in the middle of the log: an error naming the file and the offset.
    let dir = temp_dir("torn-middle");
    handmade_log(&dir, &[&first, &set("c")]);
    let error = open_err(&dir, &["appendonly yes"]);
    assert!(error.contains("appendonly.aof.1.incr.aof"), "{error}");
    assert!(
        error.contains(&format!("offset {}", set("a").len())),
        "{error}"
    );
    assert!(error.contains("not the last file"), "{error}");
    // Nothing was cut.
    let incr = aof_dir(&dir).join("appendonly.aof.1.incr.aof");
    assert_eq!(std::fs::read(&incr).unwrap(), first);

    // Torn at the end of the last file: cut off, the rest loads.
    let dir = temp_dir("torn-last");
    handmade_log(&dir, &[&set("c"), &first]);
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    assert_eq!(run(&mut s, T0, &["DBSIZE"]), ":2\r\n");
    let incr = aof_dir(&dir).join("appendonly.aof.2.incr.aof");
    assert_eq!(std::fs::read(&incr).unwrap(), set("a"));
    drop((server, s));

    // Corruption is an error in any file.
    let dir = temp_dir("corrupt-middle");
    handmade_log(&dir, &[b"*1\r\n#4\r\nPING\r\n", &set("c")]);
    let error = open_err(&dir, &["appendonly yes"]);
    assert!(
        error.contains("appendonly.aof.1.incr.aof") && error.contains("offset 4"),
        "{error}"
    );
}

#[test]
fn a_malformed_manifest_or_a_missing_file_stops_the_server() {
    let dir = temp_dir("bad-manifest");
    handmade_log(&dir, &[b""]);
    let manifest = aof_dir(&dir).join("appendonly.aof.manifest");
    std::fs::write(&manifest, "file appendonly.aof.1.base.aof seq 1\n").unwrap();
    // Whatever appendonly says, as Redis reads the manifest at start either way.
    for directives in [&["appendonly yes"][..], &[]] {
        let error = open_err(&dir, directives);
        assert!(
            error.contains("Invalid AOF manifest file format")
                && error.contains("at line 1")
                && error.contains("'file appendonly.aof.1.base.aof seq 1'"),
            "{error}"
        );
    }
    std::fs::write(
        &manifest,
        "file appendonly.aof.1.base.aof seq 1 type b\nfile gone.aof seq 1 type i\n",
    )
    .unwrap();
    let error = open_err(&dir, &["appendonly yes"]);
    assert!(error.contains("gone.aof"), "{error}");
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls the wait for the log up to `offset` once.
fn poll_durable(server: &Server, offset: u64) -> Poll<bool> {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    pin!(server.persist.durable(offset))
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
}

#[test]
fn with_fsync_always_a_failed_write_or_fsync_answers_the_waiting_clients_and_stops_the_server() {
    for fault in [LogFault::Write(ENOSPC), LogFault::Fsync(EIO)] {
        let dir = temp_dir("always-fails");
        let (server, mut s) = open(&dir, &["appendonly yes", "appendfsync always"], T0);
        run(&mut s, T0, &["SET", "acked", "1"]);
        let offset = s.take_log_wait().expect("waits for the fsync");
        server.persist.sync();
        assert_eq!(poll_durable(&server, offset), Poll::Ready(true));

        server.inject_log_fault(Some(fault));
        run(&mut s, T0, &["SET", "lost", "1"]);
        let offset = s.take_log_wait().expect("waits for the fsync");
        // A second client whose write is in the same pass.
        let mut other = Session::new(server.clone(), None, None, T0);
        run(&mut other, T0, &["SET", "lost2", "1"]);
        let other_offset = other.take_log_wait().expect("waits for the fsync");
        server.persist.sync();
        // Neither reply may be sent: the pump closes their connections.
        assert_eq!(
            poll_durable(&server, offset),
            Poll::Ready(false),
            "{fault:?}"
        );
        assert_eq!(poll_durable(&server, other_offset), Poll::Ready(false));
        assert!(server.persist.failed_for_good());
        // Further writes are refused; the tick stops the server, as Redis exits.
        assert!(run(&mut s, T0, &["SET", "x", "1"]).starts_with("-MISCONF"));
        server.tick(T0);
        assert!(server.shutdown_requested());
        drop((s, other));
        let closed = server.close(T0).unwrap_err();
        assert!(
            closed.contains("Can't recover from AOF write error"),
            "{closed}"
        );
        drop(server);

        // Every acknowledged write is there.
        let (reloaded, mut s) = open(&dir, &["appendonly yes"], T0);
        assert_eq!(
            run(&mut s, T0, &["GET", "acked"]),
            "$1\r\n1\r\n",
            "{fault:?}"
        );
        drop(reloaded);
    }
}

#[test]
fn with_fsync_everysec_a_failing_disk_refuses_writes_until_it_has_room_and_loses_nothing() {
    let dir = temp_dir("everysec-fails");
    let (server, mut s) = open(&dir, &["appendonly yes"], T0);
    run(&mut s, T0, &["SET", "a", "1"]);
    server.inject_log_fault(Some(LogFault::Write(ENOSPC)));
    // Acknowledged, as in Redis: kept in memory to write again.
    assert_eq!(run(&mut s, T0, &["SET", "b", "2"]), "+OK\r\n");
    let misconf = "-MISCONF Errors writing to the AOF file: No space left on device\r\n";
    assert_eq!(run(&mut s, T0, &["SET", "c", "3"]), misconf);
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_write_status:err"), "{info}");
    // Retried once a second: still full.
    server.tick(T0 + 1_000);
    assert_eq!(run(&mut s, T0, &["SET", "c", "3"]), misconf);
    // Room again: the next retry writes, and writes are accepted.
    server.inject_log_fault(None);
    server.tick(T0 + 2_000);
    assert_eq!(run(&mut s, T0, &["SET", "c", "3"]), "+OK\r\n");
    let info = run(&mut s, T0, &["INFO", "persistence"]);
    assert!(info.contains("aof_last_write_status:ok"), "{info}");
    assert_eq!(log_text(&dir), "SELECT 0\nSET a 1\nSET b 2\nSET c 3\n");

    // A failed fsync refuses writes too, until one succeeds.
    server.inject_log_fault(Some(LogFault::Fsync(EIO)));
    run(&mut s, T0, &["SET", "d", "4"]);
    server.tick(T0 + 3_000);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !run(&mut s, T0, &["INFO", "persistence"]).contains("aof_last_write_status:err") {
        assert!(
            std::time::Instant::now() < deadline,
            "the fsync never failed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(
        run(&mut s, T0, &["SET", "e", "5"]),
        "-MISCONF Errors writing to the AOF file: Input/output error\r\n"
    );
    server.inject_log_fault(None);
    server.tick(T0 + 4_000);
    tick_until(&server, &mut s, T0 + 4_000, "aof_last_write_status:ok");
    assert_eq!(run(&mut s, T0, &["SET", "e", "5"]), "+OK\r\n");
    assert_reopens_the_same(server, s, &dir, &["appendonly yes"]);
}

#[test]
fn a_log_being_turned_on_retries_a_failed_rewrite_and_holds_no_reply_meanwhile() {
    let dir = temp_dir("turn-on-fails");
    let (server, mut s) = open(&dir, &["appendfsync always"], T0);
    twenty_keys_saved_slowly(&mut s);
    let reply = run(&mut s, T0, &["CONFIG", "SET", "appendonly", "yes"]);
    assert_eq!(reply, "+OK\r\n");
    // Written to the temporary incremental file, and fsynced before the reply.
    run(&mut s, T0, &["SET", "during", "1"]);
    assert!(s.take_log_wait().is_some());
    assert!(aof_dir(&dir).join("temp-appendonly.aof.incr").exists());
    // The base cannot be put in place: the rewrite fails.
    std::fs::remove_dir_all(aof_dir(&dir)).unwrap();
    run(&mut s, T0, &["CONFIG", "SET", "rdb-key-save-delay", "0"]);
    tick_until(&server, &mut s, T0, "aof_last_bgrewrite_status:err");
    // Until the next attempt nothing is logged, and no reply waits for the log.
    run(&mut s, T0, &["SET", "between", "1"]);
    assert_eq!(s.take_log_wait(), None);
    // Retried after a while: the log has its first base and incremental file.
    tick_until(&server, &mut s, T0 + 6_000, "aof_last_bgrewrite_status:ok");
    tick_until(&server, &mut s, T0 + 6_000, "aof_rewrite_in_progress:0");
    run(&mut s, T0, &["SET", "after", "1"]);
    assert_log_is(&dir, 1);
    assert_reopens_the_same(server, s, &dir, &["appendonly yes"]);
}
