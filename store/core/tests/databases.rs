//! Numbered databases: SELECT keeps them apart, SWAPDB exchanges their keys (WATCH and
//! blocked clients included).

mod support;

use support::{assert_pttl, bulk, int, Conn, NIL, OK, T0};

#[test]
fn swapdb_swaps_the_keys_of_two_databases() {
    let mut c = Conn::new();
    for (args, reply) in [
        (&["SWAPDB", "x", "1"][..], "-ERR invalid first DB index\r\n"),
        (&["SWAPDB", "0", "y"], "-ERR invalid second DB index\r\n"),
        (
            &["SWAPDB", "0", "12345678901"],
            "-ERR invalid second DB index\r\n",
        ),
        (&["SWAPDB", "0", "16"], "-ERR DB index is out of range\r\n"),
        (&["SWAPDB", "-1", "0"], "-ERR DB index is out of range\r\n"),
        (&["SWAPDB", "3", "3"], OK),
    ] {
        assert_eq!(c.cmd(args), reply, "{args:?}");
    }
    c.cmd(&["SET", "a", "db0"]);
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "a", "db1"]);
    c.cmd(&["SET", "b", "only1", "PX", "5000"]);
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), OK);
    // A connection stays on its database number and sees the other's keys.
    assert_eq!(c.cmd(&["GET", "a"]), bulk("db0"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "0"]), OK);
    assert_eq!(c.cmd(&["GET", "a"]), bulk("db1"));
    assert_pttl(&mut c, T0, "b", 5_000);
}

#[test]
fn swapdb_touches_watched_keys_present_on_either_side_and_serves_blocked_clients() {
    let mut watcher = Conn::new();
    let mut c = watcher.connect();
    c.cmd(&["SELECT", "1"]);
    c.cmd(&["SET", "x", "1"]);
    let watch_and_swap = |watcher: &mut Conn, c: &mut Conn, key: &str| {
        watcher.cmd(&["WATCH", key]);
        c.cmd(&["SWAPDB", "0", "1"]);
        watcher.cmd(&["MULTI"]);
        watcher.cmd(&["PING"]);
        watcher.cmd(&["EXEC"])
    };
    // As Redis: absent from both, untouched; present in the other database (now swapped in),
    // or in its own (now swapped out), touched.
    assert_eq!(watch_and_swap(&mut watcher, &mut c, "y"), "*1\r\n+PONG\r\n");
    assert_eq!(watch_and_swap(&mut watcher, &mut c, "x"), "*-1\r\n");
    assert_eq!(watch_and_swap(&mut watcher, &mut c, "x"), "*-1\r\n");
    // A missing key replaced with one whose deadline passed (not yet removed) is no change.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SELECT", "0"]);
    c.at(T0, &["SET", "stale", "v", "PX", "1"]);
    assert_eq!(watcher.at(T0 + 10, &["SELECT", "1"]), OK);
    watcher.at(T0 + 10, &["WATCH", "stale"]);
    c.at(T0 + 10, &["SWAPDB", "0", "1"]);
    watcher.at(T0 + 10, &["MULTI"]);
    watcher.at(T0 + 10, &["PING"]);
    assert_eq!(watcher.at(T0 + 10, &["EXEC"]), "*1\r\n+PONG\r\n");

    // A client blocked on a key the swap brings in is served; one whose key comes in with
    // another type keeps waiting.
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["SELECT", "0"]);
    c.cmd(&["RPUSH", "list", "v"]);
    c.cmd(&["SET", "str", "s"]);
    assert_eq!(watcher.cmd(&["SELECT", "1"]), OK);
    assert_eq!(watcher.cmd(&["BLPOP", "list", "0"]), "");
    c.cmd(&["SWAPDB", "1", "0"]);
    assert_eq!(watcher.feed(T0, b"").0, "*2\r\n$4\r\nlist\r\n$1\r\nv\r\n");
    assert_eq!(watcher.cmd(&["SELECT", "0"]), OK);
    assert_eq!(watcher.cmd(&["BLPOP", "str", "0"]), "");
    c.cmd(&["SWAPDB", "1", "0"]);
    assert_eq!(watcher.feed(T0, b"").0, "");
}

#[test]
fn select_isolates_databases() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "zero"]);
    assert_eq!(c.cmd(&["SELECT", "1"]), OK);
    assert_eq!(c.cmd(&["GET", "k"]), NIL);
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    c.cmd(&["SET", "k", "one"]);
    c.cmd(&["SET", "only1", "x"]);
    assert_eq!(c.cmd(&["DBSIZE"]), int(2));
    // Another connection starts in db 0.
    let mut other = c.connect();
    assert_eq!(other.cmd(&["GET", "k"]), bulk("zero"));
    assert_eq!(other.cmd(&["EXISTS", "only1"]), int(0));
    assert_eq!(c.cmd(&["SELECT", "0"]), OK);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("zero"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["SELECT", "-1"]),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(
        c.cmd(&["SELECT", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    // A failed SELECT keeps the current database.
    assert_eq!(c.cmd(&["GET", "k"]), bulk("zero"));
    // FLUSHDB empties only the selected one.
    c.cmd(&["SELECT", "1"]);
    assert_eq!(c.cmd(&["FLUSHDB"]), OK);
    assert_eq!(other.cmd(&["DBSIZE"]), int(1));
}
