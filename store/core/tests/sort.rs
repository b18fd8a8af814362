//! SORT and SORT_RO through a Session: RESP bytes in, exact reply bytes out, explicit time.
//! Replies were checked against redis-server 7.0.15 (see also `tests/corpus/sort.txt`,
//! compared byte for byte with it).

mod support;

use support::{Conn, T0};

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// An array of bulk strings (RESP2).
fn bulks(items: &[&str]) -> String {
    let mut out = format!("*{}\r\n", items.len());
    for item in items {
        out.push_str(&format!("${}\r\n{item}\r\n", item.len()));
    }
    out
}

fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

/// Sends `SORT key <options...>` (split on spaces).
fn sort(c: &mut Conn, key: &str, options: &str) -> String {
    let mut args = vec!["SORT", key];
    args.extend(options.split_whitespace());
    c.cmd(&args)
}

const NOT_DOUBLE: &str = "ERR One or more scores can't be converted into double";

#[test]
fn numeric_and_alpha_sorts_of_a_list() {
    let mut c = Conn::new();
    c.cmd(&["RPUSH", "l", "3", "10", "1", "2", "-5", "1.5", "0x10", " 7"]);
    assert_eq!(
        sort(&mut c, "l", ""),
        bulks(&["-5", "1", "1.5", "2", "3", " 7", "10", "0x10"])
    );
    assert_eq!(
        sort(&mut c, "l", "DESC"),
        bulks(&["0x10", "10", " 7", "3", "2", "1.5", "1", "-5"])
    );
    assert_eq!(
        sort(&mut c, "l", "ALPHA"),
        bulks(&[" 7", "-5", "0x10", "1", "1.5", "10", "2", "3"])
    );
    assert_eq!(sort(&mut c, "l", "LIMIT 2 3"), bulks(&["1.5", "2", "3"]));
    assert_eq!(
        sort(&mut c, "l", "LIMIT 2 3 DESC"),
        bulks(&[" 7", "3", "2"])
    );
    assert_eq!(sort(&mut c, "l", "LIMIT -5 2"), bulks(&["-5", "1"]));
    assert_eq!(sort(&mut c, "l", "LIMIT 7 100"), bulks(&["0x10"]));
    assert_eq!(sort(&mut c, "l", "LIMIT 8 1"), bulks(&[]));
    assert_eq!(sort(&mut c, "l", "LIMIT 0 0"), bulks(&[]));
    assert_eq!(sort(&mut c, "missing", "DESC"), bulks(&[]));
    // Equal numbers are ordered by their bytes.
    c.cmd(&["RPUSH", "eq", "1.0", "1", "01", "1e0", "+1"]);
    assert_eq!(
        sort(&mut c, "eq", ""),
        bulks(&["+1", "01", "1", "1.0", "1e0"])
    );
    assert_eq!(
        sort(&mut c, "eq", "DESC"),
        bulks(&["1e0", "1.0", "1", "01", "+1"])
    );
}

#[test]
fn elements_that_are_not_numbers_fail_a_numeric_sort() {
    let mut c = Conn::new();
    for (key, bad) in [
        ("a", "abc"),
        ("b", "2 "),
        ("c", "nan"),
        ("d", "1e400"),
        ("e", "1e-310"),
    ] {
        c.cmd(&["RPUSH", key, "1", bad]);
        assert_eq!(sort(&mut c, key, ""), err(NOT_DOUBLE), "{bad:?}");
        assert_eq!(sort(&mut c, key, "BY nosort"), bulks(&["1", bad]));
    }
    assert_eq!(sort(&mut c, "a", "ALPHA"), bulks(&["1", "abc"]));
    // What strtod accepts: an empty string is 0, a NUL ends the number, inf is a number.
    c.cmd(&["RPUSH", "ok", "inf", "", "2\0junk", "-inf"]);
    assert_eq!(
        sort(&mut c, "ok", ""),
        bulks(&["-inf", "", "2\0junk", "inf"])
    );
}

#[test]
fn native_order_with_by_nosort() {
    let mut c = Conn::new();
    c.cmd(&["RPUSH", "l", "c", "a", "b", "d"]);
    assert_eq!(sort(&mut c, "l", "BY nosort"), bulks(&["c", "a", "b", "d"]));
    assert_eq!(
        sort(&mut c, "l", "BY nosort DESC LIMIT 1 2"),
        bulks(&["b", "a"])
    );
    // A later BY with a star does not undo it.
    assert_eq!(
        sort(&mut c, "l", "BY nosort BY w_*"),
        bulks(&["c", "a", "b", "d"])
    );
    c.cmd(&["ZADD", "z", "3", "c", "1", "a", "2", "b"]);
    assert_eq!(sort(&mut c, "z", "BY nosort DESC"), bulks(&["c", "b", "a"]));
    assert_eq!(sort(&mut c, "z", "BY nosort LIMIT 1 5"), bulks(&["b", "c"]));
    // An intset is iterated in order, and DESC does not reverse a set.
    c.cmd(&["SADD", "s", "30", "-5", "10"]);
    assert_eq!(
        sort(&mut c, "s", "BY nosort DESC"),
        bulks(&["-5", "10", "30"])
    );
    // Storing an unsorted set sorts it (ALPHA) first.
    c.cmd(&["SADD", "h", "b", "a", "c"]);
    assert_eq!(sort(&mut c, "h", "BY nosort DESC STORE out"), int(3));
    assert_eq!(
        c.cmd(&["LRANGE", "out", "0", "-1"]),
        bulks(&["c", "b", "a"])
    );
}

#[test]
fn by_and_get_patterns_with_keys_and_hash_fields() {
    let mut c = Conn::new();
    c.cmd(&["RPUSH", "ids", "1", "2", "3", "4"]);
    c.cmd(&[
        "MSET", "w_1", "40", "w_2", "10", "w_3", "30", "o_1", "one", "o_3", "three",
    ]);
    c.cmd(&["HSET", "h_1", "f", "b"]);
    c.cmd(&["HSET", "h_2", "f", "a"]);
    c.cmd(&["HSET", "h_4", "g", "x"]);
    // A missing BY value is 0 numerically, and sorts first with ALPHA.
    assert_eq!(sort(&mut c, "ids", "BY w_*"), bulks(&["4", "2", "3", "1"]));
    assert_eq!(
        sort(&mut c, "ids", "BY h_*->f ALPHA"),
        bulks(&["3", "4", "2", "1"])
    );
    assert_eq!(
        sort(&mut c, "ids", "BY h_*->f ALPHA DESC"),
        bulks(&["1", "2", "3", "4"])
    );
    assert_eq!(
        sort(&mut c, "ids", "BY w_* GET o_* GET # GET h_*->f"),
        "*12\r\n$-1\r\n$1\r\n4\r\n$-1\r\n$-1\r\n$1\r\n2\r\n$1\r\na\r\n\
         $5\r\nthree\r\n$1\r\n3\r\n$-1\r\n$3\r\none\r\n$1\r\n1\r\n$1\r\nb\r\n"
    );
    // A pattern without a star names nothing; `#` is the element.
    assert_eq!(
        sort(&mut c, "ids", "GET constant LIMIT 0 1"),
        "*1\r\n$-1\r\n"
    );
    assert_eq!(
        sort(&mut c, "ids", "BY # DESC LIMIT 0 2"),
        bulks(&["4", "3"])
    );
    // A key of the wrong type counts as missing.
    c.cmd(&["RPUSH", "o_2", "x"]);
    assert_eq!(sort(&mut c, "ids", "GET o_* LIMIT 1 1"), "*1\r\n$-1\r\n");
    c.cmd(&["SET", "w_4", "abc"]);
    assert_eq!(sort(&mut c, "ids", "BY w_*"), err(NOT_DOUBLE));
    // Expired BY keys are missing.
    c.cmd(&["SET", "w_4", "100", "PX", "10"]);
    assert_eq!(
        c.at(T0 + 9, &["SORT", "ids", "BY", "w_*"]),
        bulks(&["2", "3", "1", "4"])
    );
    assert_eq!(
        c.at(T0 + 10, &["SORT", "ids", "BY", "w_*"]),
        bulks(&["4", "2", "3", "1"])
    );
    // RESP3 nulls.
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        sort(&mut c, "ids", "GET o_* LIMIT 1 2"),
        "*2\r\n_\r\n$5\r\nthree\r\n"
    );
}

#[test]
fn store_replaces_or_deletes_the_destination() {
    let mut c = Conn::new();
    c.cmd(&["RPUSH", "l", "2", "3", "1"]);
    c.cmd(&["SET", "dst", "x", "EX", "100"]);
    let changes = |c: &mut Conn| -> i64 {
        let text = c.info(T0, "persistence", "rdb_changes_since_last_save");
        text.parse().expect("number")
    };
    let before = changes(&mut c);
    assert_eq!(sort(&mut c, "l", "STORE dst"), int(3));
    assert_eq!(
        c.cmd(&["LRANGE", "dst", "0", "-1"]),
        bulks(&["1", "2", "3"])
    );
    assert_eq!(c.cmd(&["TTL", "dst"]), int(-1));
    assert_eq!(changes(&mut c), before + 3);
    assert_eq!(
        sort(&mut c, "l", "GET # GET nokey_* LIMIT 0 1 STORE dst"),
        int(2)
    );
    assert_eq!(c.cmd(&["LRANGE", "dst", "0", "-1"]), bulks(&["1", ""]));
    assert_eq!(sort(&mut c, "missing", "STORE dst"), int(0));
    assert_eq!(c.cmd(&["EXISTS", "dst"]), int(0));
    assert_eq!(changes(&mut c), before + 6);
    assert_eq!(sort(&mut c, "missing", "STORE dst"), int(0));
    assert_eq!(changes(&mut c), before + 6);
    assert_eq!(sort(&mut c, "l", "STORE l DESC"), int(3));
    assert_eq!(c.cmd(&["LRANGE", "l", "0", "-1"]), bulks(&["3", "2", "1"]));
    assert_eq!(
        c.cmd(&["SORT_RO", "l", "STORE", "x"]),
        err("ERR syntax error")
    );
}

#[test]
fn ties_come_out_in_redis_order() {
    let mut c = Conn::new();
    let elements: Vec<String> = (1..=50).map(|i| format!("{i:02}")).collect();
    let mut push = vec!["RPUSH", "many"];
    push.extend(elements.iter().map(String::as_str));
    c.cmd(&push);
    c.cmd(&[
        "MSET", "t_03", "b", "t_07", "a", "t_11", "b", "t_19", "a", "t_23", "c",
    ]);
    c.cmd(&["MSET", "t_31", "a", "t_41", "b", "t_47", "a"]);
    // A full sort is stable (glibc's merge sort)...
    let full = sort(&mut c, "many", "BY nokey_* ALPHA");
    let in_order: Vec<&str> = elements.iter().map(String::as_str).collect();
    assert_eq!(full, bulks(&in_order));
    // ...a sort BY a pattern with a LIMIT is Redis's partial quicksort, which is not.
    assert_eq!(
        sort(&mut c, "many", "BY t_* ALPHA LIMIT 5 10"),
        bulks(&["45", "46", "48", "49", "01", "04", "05", "06", "08", "09"])
    );
    assert_eq!(
        sort(&mut c, "many", "BY nokey_* ALPHA LIMIT 0 8"),
        bulks(&["50", "02", "03", "04", "05", "06", "07", "08"])
    );
}

#[test]
fn errors_come_in_redis_order() {
    let mut c = Conn::new();
    c.cmd(&["SET", "str", "x"]);
    c.cmd(&["RPUSH", "l", "1"]);
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    assert_eq!(sort(&mut c, "str", ""), err(wrongtype));
    assert_eq!(sort(&mut c, "str", "FOO"), err("ERR syntax error"));
    assert_eq!(
        sort(&mut c, "str", "LIMIT a 1"),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(sort(&mut c, "l", "LIMIT 1"), err("ERR syntax error"));
    assert_eq!(sort(&mut c, "l", "BY"), err("ERR syntax error"));
    assert_eq!(sort(&mut c, "l", "GET"), err("ERR syntax error"));
    assert_eq!(sort(&mut c, "l", "STORE"), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["SORT"]),
        err("ERR wrong number of arguments for 'sort' command")
    );
}

#[test]
fn lookups_count_keyspace_hits_and_misses() {
    let mut c = Conn::new();
    c.cmd(&["RPUSH", "l", "1", "2"]);
    c.cmd(&["SET", "w_1", "5"]);
    c.cmd(&["HSET", "h_2", "x", "1"]);
    let stats = |c: &mut Conn| {
        let hits: i64 = c.info(T0, "stats", "keyspace_hits").parse().expect("hits");
        let misses: i64 = c
            .info(T0, "stats", "keyspace_misses")
            .parse()
            .expect("misses");
        (hits, misses)
    };
    let (hits, misses) = stats(&mut c);
    // The list, then w_1 and w_2 (BY), then GET h_*->f twice (h_2 exists, without f).
    sort(&mut c, "l", "BY w_* GET h_*->f GET #");
    assert_eq!(stats(&mut c), (hits + 3, misses + 2));
}
