//! Commands on disk.
//!
//! **The append-only log** is a sequence of RESP arrays of bulk strings, one per command, in
//! execution order, with `SELECT` when the database changes and `MULTI`/`EXEC` around
//! transactions, as Redis writes it. Replaying it rebuilds the data.
//!
//! **A log's base** is an RDB file (`rdb::file`) with `aof-use-rdb-preamble yes`, as Redis
//! 7.0 writes it by default. With `no` it is the commands that recreate every key, written
//! here as Redis's AOF rewrite writes them: SET, RPUSH, HSET, SADD, ZADD (at most 64 items
//! per command), RESTORE of a stream's DUMP payload, then PEXPIREAT <key> <unix ms> for a
//! deadline.

use bytes::BytesMut;

use crate::entry::Entry;
use crate::rdb::dump_footer;
use crate::rdb::object::TYPE_STREAM_LISTPACKS_2;
use crate::time::Millis;
use crate::types::stream::Stream;
use crate::types::zset::score::format_score;
use crate::value::Value;

/// Items per command when recreating a list, hash, set or sorted set, as Redis's AOF rewrite.
const ITEMS_PER_COMMAND: usize = 64;

/// Appends one command as a RESP array of bulk strings.
pub fn write_command<A: AsRef<[u8]>>(out: &mut BytesMut, args: &[A]) {
    radish_resp::encode_request(args, out);
}

/// Appends the commands that recreate `key` as `entry` holds it, with its deadline.
pub fn write_entry(out: &mut BytesMut, key: &[u8], entry: &Entry, deadline: Option<Millis>) {
    match &entry.value {
        Value::String(string) => write_command(out, &[b"SET", key, &string.bytes[..]]),
        Value::List(list) => write_items(out, b"RPUSH", key, list.iter().map(|e| [e])),
        Value::Hash(hash) => write_items(out, b"HSET", key, hash.iter().map(|(f, v)| [f, v])),
        Value::Set(set) => {
            let members: Vec<_> = set.iter().collect();
            write_items(out, b"SADD", key, members.iter().map(|m| [m.as_bytes()]));
        }
        Value::SortedSet(zset) => {
            let elements: Vec<(String, &[u8])> = zset
                .iter()
                .map(|(member, score)| (format_score(score), member))
                .collect();
            write_items(
                out,
                b"ZADD",
                key,
                elements
                    .iter()
                    .map(|(score, member)| [score.as_bytes(), member]),
            );
        }
        Value::Stream(stream) => write_stream(out, key, stream),
    }
    if let Some(deadline) = deadline {
        write_command(out, &[b"PEXPIREAT", key, deadline.to_string().as_bytes()]);
    }
}

/// `RESTORE key 0 <payload>` with the stream's DUMP payload (Redis's own encoding, see
/// `rdb/`): unlike the XADD, XSETID, XGROUP and XCLAIM commands Redis's AOF rewrite writes,
/// it keeps everything, the nodes as they are and the consumers' seen times included, so a
/// restart gives back the same XINFO STREAM FULL. Uncompressed: it is read back at once.
fn write_stream(out: &mut BytesMut, key: &[u8], stream: &Stream) {
    let mut payload = vec![TYPE_STREAM_LISTPACKS_2];
    stream.write_rdb(&mut payload, false);
    dump_footer(&mut payload);
    write_command(out, &[&b"RESTORE"[..], key, b"0", &payload]);
}

/// `NAME key item...` commands of at most [`ITEMS_PER_COMMAND`] items each (an item is one
/// element, or a field and its value, or a score and its member).
fn write_items<'a, const N: usize>(
    out: &mut BytesMut,
    name: &[u8],
    key: &[u8],
    items: impl ExactSizeIterator<Item = [&'a [u8]; N]>,
) {
    let mut left = items.len();
    let mut items = items.peekable();
    while items.peek().is_some() {
        let batch = left.min(ITEMS_PER_COMMAND);
        left -= batch;
        let mut args: Vec<&[u8]> = Vec::with_capacity(2 + batch * N);
        args.push(name);
        args.push(key);
        for item in items.by_ref().take(batch) {
            args.extend_from_slice(&item);
        }
        write_command(out, &args);
    }
}

/// What [`parse_record`] found at an offset.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole record: its arguments as ranges of the input, and where the next one starts.
    Record {
        /// Each argument's byte range.
        args: Vec<std::ops::Range<usize>>,
        /// The offset just after the record.
        end: usize,
    },
    /// The input ends inside a record that is well formed so far: a torn write.
    Incomplete,
    /// The bytes at `at` cannot be part of a record.
    Invalid {
        /// The offset of the offending byte.
        at: usize,
        /// What was wrong.
        reason: &'static str,
    },
}

/// Most arguments one record may have, and longest argument (Redis's proto-max-bulk-len
/// ceiling): anything larger is corruption, not data.
const MAX_ARGS: usize = 1 << 24;
const MAX_BULK: usize = 1 << 32;

/// Parses the record (a RESP array of bulk strings) that starts at `start`.
pub fn parse_record(input: &[u8], start: usize) -> Parsed {
    let mut at = start;
    let count = match parse_header(input, &mut at, b'*', MAX_ARGS) {
        Ok(count) => count,
        Err(parsed) => return parsed,
    };
    if count == 0 {
        return Parsed::Invalid {
            at: start,
            reason: "empty command",
        };
    }
    let mut args = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let len = match parse_header(input, &mut at, b'$', MAX_BULK) {
            Ok(len) => len,
            Err(parsed) => return parsed,
        };
        let data_end = at + len;
        if data_end + 2 > input.len() {
            // Whatever is there is data; only the end of the file can cut it short.
            if input.len() > data_end && input[data_end] != b'\r' {
                return Parsed::Invalid {
                    at: data_end,
                    reason: "expected CRLF after a bulk string",
                };
            }
            return Parsed::Incomplete;
        }
        if &input[data_end..data_end + 2] != b"\r\n" {
            return Parsed::Invalid {
                at: data_end,
                reason: "expected CRLF after a bulk string",
            };
        }
        args.push(at..data_end);
        at = data_end + 2;
    }
    Parsed::Record { args, end: at }
}

/// Reads `<prefix><digits>\r\n` at `*at`, advancing past it.
fn parse_header(input: &[u8], at: &mut usize, prefix: u8, max: usize) -> Result<usize, Parsed> {
    let start = *at;
    let Some(&first) = input.get(start) else {
        return Err(Parsed::Incomplete);
    };
    if first != prefix {
        return Err(Parsed::Invalid {
            at: start,
            reason: if prefix == b'*' {
                "expected '*' (the start of a command)"
            } else {
                "expected '$' (the start of an argument)"
            },
        });
    }
    let mut value: usize = 0;
    let mut i = start + 1;
    loop {
        let Some(&byte) = input.get(i) else {
            return Err(Parsed::Incomplete);
        };
        match byte {
            b'0'..=b'9' if i - start <= 12 => {
                value = value * 10 + usize::from(byte - b'0');
                i += 1;
            }
            b'\r' if i > start + 1 => break,
            _ => {
                return Err(Parsed::Invalid {
                    at: i,
                    reason: "bad length",
                })
            }
        }
    }
    match input.get(i + 1) {
        None => return Err(Parsed::Incomplete),
        Some(b'\n') => {}
        Some(_) => {
            return Err(Parsed::Invalid {
                at: i + 1,
                reason: "expected LF",
            })
        }
    }
    if value > max {
        return Err(Parsed::Invalid {
            at: start,
            reason: "length out of range",
        });
    }
    *at = i + 2;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EncodingLimits;

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;
    use crate::types::{hash::Hash, list::List, set::Set, zset::SortedSet};

    fn args_of(input: &[u8], parsed: &Parsed) -> Vec<Vec<u8>> {
        match parsed {
            Parsed::Record { args, .. } => args.iter().map(|r| input[r.clone()].to_vec()).collect(),
            other => panic!("not a record: {other:?}"),
        }
    }

    #[test]
    fn records_parse_whole_and_every_prefix_is_incomplete() {
        let mut out = BytesMut::new();
        write_command(&mut out, &[&b"SET"[..], b"k", b"a\r\nb", b""]);
        let parsed = parse_record(&out, 0);
        assert_eq!(
            args_of(&out, &parsed),
            vec![
                b"SET".to_vec(),
                b"k".to_vec(),
                b"a\r\nb".to_vec(),
                Vec::new()
            ]
        );
        assert!(matches!(parsed, Parsed::Record { end, .. } if end == out.len()));
        for cut in 0..out.len() {
            assert_eq!(
                parse_record(&out[..cut], 0),
                Parsed::Incomplete,
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn corruption_is_reported_where_it_is() {
        let cases: &[(&[u8], usize)] = &[
            (b"SET k v\r\n", 0),
            (b"*2\r\n$3\r\nGET\r\n+k\r\n", 13),
            (b"*1\r\n$3\r\nGETX\r\n", 11),
            (b"*x\r\n", 1),
            (b"*0\r\n", 0),
            (b"*1\r\n$3\rxGET\r\n", 7),
        ];
        for (input, offset) in cases {
            match parse_record(input, 0) {
                Parsed::Invalid { at, .. } => assert_eq!(at, *offset, "{input:?}"),
                other => panic!("{input:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn entries_become_commands_in_batches_with_their_deadline() {
        let mut list = List::default();
        for i in 0..130 {
            list.push(
                format!("e{i}").as_bytes(),
                crate::types::list::End::Right,
                &LIMITS,
            );
        }
        let mut db = crate::db::Db::default();
        db.insert(b"l", Value::List(list), 5_000, 0);
        let mut hash = Hash::default();
        hash.set(b"f", b"v", &LIMITS);
        db.insert(b"h", Value::Hash(hash), 0, 0);
        let mut set = Set::default();
        set.insert(b"3", &LIMITS);
        db.insert(b"s", Value::Set(set), 0, 0);
        let mut zset = SortedSet::new();
        zset.insert(b"m", 0.1, &LIMITS);
        zset.insert(b"n", f64::INFINITY, &LIMITS);
        db.insert(b"z", Value::SortedSet(zset), 0, 0);

        let mut out = BytesMut::new();
        for key in [&b"l"[..], b"h", b"s", b"z"] {
            let deadline = db.deadline(key);
            write_entry(&mut out, key, db.get(key, 0).unwrap(), deadline);
        }
        let mut at = 0;
        let mut commands = Vec::new();
        while at < out.len() {
            let parsed = parse_record(&out, at);
            let Parsed::Record { end, .. } = parsed else {
                panic!("bad record at {at}");
            };
            commands.push(args_of(&out, &parsed));
            at = end;
        }
        let names: Vec<String> = commands
            .iter()
            .map(|c| format!("{}:{}", String::from_utf8_lossy(&c[0]), c.len()))
            .collect();
        assert_eq!(
            names,
            [
                "RPUSH:66",
                "RPUSH:66",
                "RPUSH:4",
                "PEXPIREAT:3",
                "HSET:4",
                "SADD:3",
                "ZADD:6"
            ]
        );
        assert_eq!(commands[3][2], b"5000");
        assert_eq!(
            commands[6][2..],
            [
                b"0.10000000000000001".to_vec(),
                b"m".to_vec(),
                b"inf".to_vec(),
                b"n".to_vec()
            ]
        );
    }
}
