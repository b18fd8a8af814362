//! Bitmap commands through a Session: RESP bytes in, exact reply bytes out, explicit time.
//! Replies were checked against redis-server 7.0.15 (see also `tests/corpus/bitmaps.txt`,
//! compared byte for byte with it).

mod support;

use support::{Conn, T0};

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// An array of integers, with `None` for a null (RESP2).
fn ints(items: &[Option<i64>]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        match item {
            Some(n) => out.push_str(&int(*n)),
            None => out.push_str("$-1\r\n"),
        }
    }
    out
}

fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

const OK: &str = "+OK\r\n";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const OFFSET: &str = "ERR bit offset is not an integer or out of range";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

#[test]
fn setbit_and_getbit_address_bits_from_the_most_significant() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["GETBIT", "b", "0"]), int(0));
    assert_eq!(c.cmd(&["SETBIT", "b", "1", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "b"]), bulk("@"));
    assert_eq!(c.cmd(&["SETBIT", "b", "1", "1"]), int(1));
    assert_eq!(c.cmd(&["SETBIT", "b", "7", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "b"]), bulk("A"));
    assert_eq!(c.cmd(&["SETBIT", "b", "23", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", "b"]), "$3\r\nA\0\x01\r\n");
    assert_eq!(c.cmd(&["GETBIT", "b", "23"]), int(1));
    assert_eq!(c.cmd(&["GETBIT", "b", "24"]), int(0));
    assert_eq!(c.cmd(&["GETBIT", "b", "4294967295"]), int(0));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "b"]), bulk("raw"));
    // An integer-encoded string is read as its text.
    c.cmd(&["SET", "n", "1"]);
    assert_eq!(c.cmd(&["GETBIT", "n", "7"]), int(1));
}

#[test]
fn bit_argument_errors_come_in_redis_order() {
    let mut c = Conn::new();
    c.cmd(&["RPUSH", "list", "x"]);
    for offset in ["-1", "4294967296", "abc", "#1", "1.5"] {
        assert_eq!(c.cmd(&["SETBIT", "list", offset, "7"]), err(OFFSET));
        assert_eq!(c.cmd(&["GETBIT", "list", offset]), err(OFFSET));
    }
    for value in ["2", "-1", "x", " 1", ""] {
        assert_eq!(
            c.cmd(&["SETBIT", "list", "0", value]),
            err("ERR bit is not an integer or out of range")
        );
    }
    assert_eq!(c.cmd(&["SETBIT", "list", "0", "1"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["GETBIT", "list", "0"]), err(WRONGTYPE));
}

#[test]
fn the_offset_limit_follows_proto_max_bulk_len() {
    let mut c = Conn::new();
    assert_eq!(c.cmd(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"]), OK);
    assert_eq!(c.cmd(&["SETBIT", "k", "8388608", "1"]), err(OFFSET));
    assert_eq!(
        c.cmd(&["BITFIELD", "k", "GET", "u8", "#1048576"]),
        err(OFFSET)
    );
    assert_eq!(c.cmd(&["SETBIT", "k", "8388607", "1"]), int(0));
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(1_048_576));
}

#[test]
fn setbit_keeps_the_ttl_and_an_expired_key_reads_as_zeros() {
    let mut c = Conn::new();
    c.cmd(&["SET", "k", "\u{7f}", "PX", "1000"]);
    assert_eq!(c.at(T0 + 10, &["SETBIT", "k", "0", "1"]), int(0));
    assert_eq!(c.at(T0 + 10, &["PTTL", "k"]), int(990));
    assert_eq!(c.at(T0 + 10, &["BITCOUNT", "k"]), int(8));
    assert_eq!(c.at(T0 + 1000, &["BITCOUNT", "k"]), int(0));
    assert_eq!(c.at(T0 + 1000, &["BITPOS", "k", "0"]), int(0));
    assert_eq!(c.at(T0 + 1000, &["SETBIT", "k", "0", "1"]), int(0));
    assert_eq!(c.at(T0 + 1000, &["PTTL", "k"]), int(-1));
}

#[test]
fn writes_that_change_nothing_are_not_changes() {
    let mut c = Conn::new();
    let mut other = c.connect();
    c.cmd(&["SET", "k", "a"]);
    let changes = |c: &mut Conn| c.info(T0, "persistence", "rdb_changes_since_last_save");
    let before: i64 = changes(&mut c).parse().expect("number");

    // 'a' is 0b0110_0001: setting bit 1 or clearing bit 0 changes nothing, and does not
    // break a WATCH.
    assert_eq!(c.cmd(&["WATCH", "k"]), OK);
    assert_eq!(other.cmd(&["SETBIT", "k", "1", "1"]), int(1));
    assert_eq!(other.cmd(&["SETBIT", "k", "0", "0"]), int(0));
    assert_eq!(
        other.cmd(&["BITFIELD", "k", "SET", "u8", "0", "97"]),
        ints(&[Some(97)])
    );
    c.cmd(&["MULTI"]);
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["EXEC"]), "*1\r\n+PONG\r\n");
    assert_eq!(changes(&mut c), before.to_string());

    // A real change does both.
    assert_eq!(c.cmd(&["WATCH", "k"]), OK);
    assert_eq!(other.cmd(&["SETBIT", "k", "0", "1"]), int(0));
    c.cmd(&["MULTI"]);
    c.cmd(&["PING"]);
    assert_eq!(c.cmd(&["EXEC"]), "*-1\r\n");
    assert_eq!(changes(&mut c), (before + 1).to_string());
    // BITFIELD counts every write that changes a value; a grown string counts every write.
    other.cmd(&[
        "BITFIELD", "k", "SET", "u8", "0", "1", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "0",
    ]);
    assert_eq!(changes(&mut c), (before + 2).to_string());
    other.cmd(&[
        "BITFIELD", "k", "SET", "u8", "8", "0", "SET", "u8", "0", "1",
    ]);
    assert_eq!(changes(&mut c), (before + 4).to_string());
}

#[test]
fn bitcount_ranges_in_bytes_and_bits() {
    let mut c = Conn::new();
    c.cmd(&["SET", "s", "foobar"]);
    let count = |c: &mut Conn, args: &[&str]| {
        let mut full = vec!["BITCOUNT", "s"];
        full.extend_from_slice(args);
        c.cmd(&full)
    };
    assert_eq!(count(&mut c, &[]), int(26));
    assert_eq!(count(&mut c, &["1", "1"]), int(6));
    assert_eq!(count(&mut c, &["-2", "-1"]), int(7));
    assert_eq!(count(&mut c, &["-200", "-100"]), int(4));
    assert_eq!(count(&mut c, &["5", "30", "BIT"]), int(17));
    assert_eq!(count(&mut c, &["-9", "-2", "bit"]), int(5));
    assert_eq!(count(&mut c, &["0", "0", "BYTE"]), int(4));
    // Both negative and reversed: 0 before the unit is even read.
    assert_eq!(count(&mut c, &["-5", "-10", "FOO"]), int(0));
    assert_eq!(count(&mut c, &["0", "1", "FOO"]), err("ERR syntax error"));
    assert_eq!(count(&mut c, &["0"]), err("ERR syntax error"));
    assert_eq!(count(&mut c, &["a", "1"]), err(NOT_INTEGER));
    // A missing key is 0 whatever the arguments.
    assert_eq!(c.cmd(&["BITCOUNT", "missing", "a", "b", "c", "d"]), int(0));
}

#[test]
fn bitpos_finds_set_and_clear_bits() {
    let mut c = Conn::new();
    c.cmd(&["SET", "ones", "\u{7f}"]);
    // "\x7f" as UTF-8 is one byte: 0111 1111.
    assert_eq!(c.cmd(&["BITPOS", "ones", "0"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", "ones", "1"]), int(1));
    assert_eq!(c.cmd(&["BITPOS", "ones", "0", "1", "7", "BIT"]), int(-1));
    c.cmd(&["SET", "k", "\u{0}\u{0}"]);
    c.cmd(&["SETBIT", "k", "0", "1"]);
    c.cmd(&["SETBIT", "k", "1", "1"]);
    c.cmd(&["BITFIELD", "k", "SET", "u16", "0", "65535"]);
    // All ones: without an end the string counts as padded with zeros on the right.
    assert_eq!(c.cmd(&["BITPOS", "k", "0"]), int(16));
    assert_eq!(c.cmd(&["BITPOS", "k", "0", "1"]), int(16));
    assert_eq!(c.cmd(&["BITPOS", "k", "0", "0", "-1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "k", "1", "5", "-1", "BIT"]), int(5));
    c.cmd(&["SETBIT", "k", "9", "0"]);
    assert_eq!(c.cmd(&["BITPOS", "k", "0"]), int(9));
    assert_eq!(c.cmd(&["BITPOS", "k", "0", "3", "8", "BIT"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "k", "0", "3", "9", "BIT"]), int(9));
    // Both negative and reversed still clamp to the first byte (no early 0 as in BITCOUNT).
    assert_eq!(c.cmd(&["BITPOS", "k", "1", "-5", "-10"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", "k", "1", "2", "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "missing", "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", "missing", "0", "5", "9"]), int(0));
    assert_eq!(
        c.cmd(&["BITPOS", "k", "2"]),
        err("ERR The bit argument must be 1 or 0.")
    );
    // The unit is read before the end.
    assert_eq!(
        c.cmd(&["BITPOS", "k", "1", "0", "x", "FOO"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["BITPOS", "k", "1", "0", "x", "BIT"]),
        err(NOT_INTEGER)
    );
}

#[test]
fn bitop_combines_pads_and_stores_raw_strings() {
    let mut c = Conn::new();
    c.cmd(&["SET", "a", "abc"]);
    c.cmd(&["SET", "b", "A"]);
    c.cmd(&["SET", "dest", "old", "EX", "100"]);
    assert_eq!(c.cmd(&["BITOP", "AND", "dest", "a", "b"]), int(3));
    assert_eq!(c.cmd(&["GET", "dest"]), "$3\r\nA\0\0\r\n");
    assert_eq!(c.cmd(&["TTL", "dest"]), int(-1));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "dest"]), bulk("raw"));
    assert_eq!(c.cmd(&["BITOP", "or", "dest", "a", "b", "missing"]), int(3));
    assert_eq!(c.cmd(&["GET", "dest"]), bulk("abc"));
    assert_eq!(c.cmd(&["BITOP", "XOR", "dest", "a", "a"]), int(3));
    assert_eq!(c.cmd(&["GET", "dest"]), "$3\r\n\0\0\0\r\n");
    assert_eq!(c.cmd(&["BITOP", "NOT", "dest", "b"]), int(1));
    // NOT 'A' (0b0100_0001) is 0b1011_1110.
    assert_eq!(
        c.cmd(&["BITFIELD", "dest", "GET", "u8", "0"]),
        ints(&[Some(0xbe)])
    );
    // An empty result deletes the destination.
    assert_eq!(c.cmd(&["BITOP", "AND", "dest", "missing"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dest"]), int(0));
    assert_eq!(
        c.cmd(&["BITOP", "NOT", "dest", "a", "b"]),
        err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(
        c.cmd(&["BITOP", "NAND", "dest", "a"]),
        err("ERR syntax error")
    );
    c.cmd(&["RPUSH", "list", "x"]);
    assert_eq!(
        c.cmd(&["BITOP", "AND", "dest", "a", "list"]),
        err(WRONGTYPE)
    );
    // The destination's type does not matter.
    assert_eq!(c.cmd(&["BITOP", "OR", "list", "a"]), int(3));
    assert_eq!(c.cmd(&["TYPE", "list"]), "+string\r\n");
}

#[test]
fn bitfield_gets_sets_and_increments_with_each_overflow_mode() {
    let mut c = Conn::new();
    let bf = |c: &mut Conn, args: &[&str]| {
        let mut full = vec!["BITFIELD", "k"];
        full.extend_from_slice(args);
        c.cmd(&full)
    };
    assert_eq!(
        bf(
            &mut c,
            &["SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0"]
        ),
        ints(&[Some(0), Some(255), Some(-1)])
    );
    assert_eq!(
        bf(&mut c, &["SET", "u8", "#1", "200", "GET", "u16", "0"]),
        ints(&[Some(0), Some(65480)])
    );
    // WRAP (the default), then SAT, then FAIL; OVERFLOW applies to what follows it.
    assert_eq!(
        bf(
            &mut c,
            &["INCRBY", "u8", "0", "10", "INCRBY", "i8", "0", "127"]
        ),
        ints(&[Some(9), Some(-120)])
    );
    assert_eq!(
        bf(
            &mut c,
            &["OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000", "INCRBY", "i8", "0", "-1000"]
        ),
        ints(&[Some(255), Some(-128)])
    );
    assert_eq!(
        bf(
            &mut c,
            &["OVERFLOW", "SAT", "SET", "u8", "0", "-5", "GET", "u8", "0"]
        ),
        ints(&[Some(128), Some(255)])
    );
    assert_eq!(
        bf(
            &mut c,
            &[
                "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1", "SET", "i8", "0", "-129", "INCRBY",
                "u8", "0", "-1"
            ]
        ),
        ints(&[None, None, Some(254)])
    );
    assert_eq!(
        bf(
            &mut c,
            &[
                "OVERFLOW",
                "WRAP",
                "SET",
                "i64",
                "0",
                "9223372036854775807",
                "INCRBY",
                "i64",
                "0",
                "1"
            ]
        ),
        ints(&[Some(-87_820_192_733_724_672), Some(i64::MIN)])
    );
    assert_eq!(
        bf(
            &mut c,
            &["OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "GET", "u63", "1"]
        ),
        ints(&[Some(i64::MIN), Some(0)])
    );
    // `#n` offsets are multiplied by the width, wrapping around like C.
    assert_eq!(
        bf(&mut c, &["GET", "u8", "#2305843009213693953"]),
        ints(&[Some(0)])
    );
    assert_eq!(
        bf(&mut c, &["GET", "i64", "#144115188075855873"]),
        err(OFFSET)
    );
    // RESP3 nulls for FAIL.
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        bf(&mut c, &["OVERFLOW", "FAIL", "SET", "u2", "0", "4"]),
        "*1\r\n_\r\n"
    );
}

#[test]
fn bitfield_errors_and_the_read_only_variant() {
    let mut c = Conn::new();
    let type_error = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    c.cmd(&["RPUSH", "list", "x"]);
    for field_type in ["u64", "i65", "u0", "U8", "i", "u08"] {
        assert_eq!(
            c.cmd(&["BITFIELD", "list", "GET", field_type, "0"]),
            err(type_error)
        );
    }
    assert_eq!(
        c.cmd(&["BITFIELD", "list", "GET", "u8"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "list", "OVERFLOW", "X"]),
        err("ERR Invalid OVERFLOW type specified")
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "list", "SET", "u8", "0", "x"]),
        err(NOT_INTEGER)
    );
    assert_eq!(
        c.cmd(&["BITFIELD", "list", "GET", "u8", "0"]),
        err(WRONGTYPE)
    );
    assert_eq!(c.cmd(&["BITFIELD", "list"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["BITFIELD", "missing"]), "*0\r\n");
    let ro_error = "ERR BITFIELD_RO only supports the GET subcommand";
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "list", "SET", "u8", "0", "1"]),
        err(ro_error)
    );
    assert_eq!(
        c.cmd(&["BITFIELD_RO", "list", "GET", "u8", "0"]),
        err(WRONGTYPE)
    );
    assert_eq!(
        c.cmd(&[
            "BITFIELD_RO",
            "missing",
            "OVERFLOW",
            "SAT",
            "GET",
            "i8",
            "0"
        ]),
        ints(&[Some(0)])
    );
    assert_eq!(c.cmd(&["EXISTS", "missing"]), int(0));
}

#[test]
fn a_failed_bitfield_write_still_pads_the_string_but_is_no_change() {
    let mut c = Conn::new();
    let changes = |c: &mut Conn| c.info(T0, "persistence", "rdb_changes_since_last_save");
    let before = changes(&mut c);
    assert_eq!(
        c.cmd(&["BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u2", "14", "4"]),
        ints(&[None])
    );
    assert_eq!(c.cmd(&["GET", "f"]), "$2\r\n\0\0\r\n");
    assert_eq!(changes(&mut c), before);
}

#[test]
fn reads_count_keyspace_hits_and_writes_do_not() {
    let mut c = Conn::new();
    c.cmd(&["SET", "s", "x"]);
    let stats = |c: &mut Conn| {
        let hits: i64 = c.info(T0, "stats", "keyspace_hits").parse().expect("hits");
        let misses: i64 = c
            .info(T0, "stats", "keyspace_misses")
            .parse()
            .expect("misses");
        (hits, misses)
    };
    let (hits, misses) = stats(&mut c);
    c.cmd(&["GETBIT", "s", "0"]);
    c.cmd(&["BITCOUNT", "missing"]);
    c.cmd(&["BITOP", "AND", "d", "s", "missing", "s"]);
    c.cmd(&["SETBIT", "s", "0", "1"]);
    c.cmd(&["BITFIELD", "s", "INCRBY", "u8", "0", "1"]);
    c.cmd(&["BITFIELD_RO", "s", "GET", "u8", "0"]);
    assert_eq!(stats(&mut c), (hits + 4, misses + 2));
}
