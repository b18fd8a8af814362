//! A value in RDB's encoding, as DUMP payloads and RDB files carry it: a type byte, then the
//! value in the encoding the type names (Redis's `rdbSaveObjectType`, `rdbSaveObject` and
//! `rdbLoadObject`).
//!
//! Values are written the way Redis 7.0 writes the same value in the same encoding, so that
//! DUMP gives Redis's bytes: a small hash or sorted set is its listpack, a list its quicklist
//! nodes (cut where Redis's `list-max-listpack-size` would cut a list pushed from the right),
//! a set of integers its intset. Values are read from every encoding Redis 7.0 writes; what
//! radish keeps in memory is then built with the encoding limits in force, as Redis converts
//! a value it loads.

use super::listpack::{self, Element, ListpackWriter};
use super::string::{read_plain_length, read_string, write_length, write_string};
use super::ziplist;
use crate::types::hash::Hash;
use crate::types::list::{node_takes, End, List};
use crate::types::set::Set;
use crate::types::stream::{Stream, StreamFormat};
use crate::types::zset::score::{format_listpack, strtod};
use crate::types::zset::SortedSet;
use crate::types::EncodingLimits;
use crate::value::{StringValue, Value};

/// A string.
pub const TYPE_STRING: u8 = 0;
/// A list of strings (Redis before 3.2).
pub const TYPE_LIST: u8 = 1;
/// A set in a hashtable: a count, then each member.
pub const TYPE_SET: u8 = 2;
/// A sorted set with scores as text (Redis before 4.0).
pub const TYPE_ZSET: u8 = 3;
/// A hash in a hashtable: a count, then each field and value.
pub const TYPE_HASH: u8 = 4;
/// A sorted set in a skiplist: a count, then each member and its score as a binary double.
pub const TYPE_ZSET_2: u8 = 5;
/// A list as one ziplist (Redis before 3.2).
pub const TYPE_LIST_ZIPLIST: u8 = 10;
/// A set of integers: an intset's bytes.
pub const TYPE_SET_INTSET: u8 = 11;
/// A small sorted set before Redis 7.0: a ziplist of members and scores.
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
/// A small hash before Redis 7.0: a ziplist of fields and values.
pub const TYPE_HASH_ZIPLIST: u8 = 13;
/// A list before Redis 7.0: a count of quicklist nodes, then each node's ziplist.
pub const TYPE_LIST_QUICKLIST: u8 = 14;
/// A stream as Redis 6.2 writes it: without the first and greatest deleted IDs, the count of
/// entries ever added and the groups' read counters.
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
/// A small hash: a listpack of fields and values.
pub const TYPE_HASH_LISTPACK: u8 = 16;
/// A small sorted set: a listpack of members and scores.
pub const TYPE_ZSET_LISTPACK: u8 = 17;
/// A list: a count of quicklist nodes, then each node's container and listpack.
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
/// A stream with its consumer groups, as Redis 7.0 writes it.
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// A set as a listpack of its members (Redis 7.2, RDB 11).
pub const TYPE_SET_LISTPACK: u8 = 20;
/// A stream whose consumers also record when they were last active (Redis 7.2, RDB 11).
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// A quicklist node holding one large element as it is.
const NODE_PLAIN: u64 = 1;
/// A quicklist node holding a listpack.
const NODE_PACKED: u64 = 2;
/// Elements from this size on get a plain node of their own (Redis's `packed_threshold`).
const PLAIN_ELEMENT: usize = 1 << 30;
/// What Redis adds to an element's length when it estimates a node's growth.
const NODE_ESTIMATE_OVERHEAD: usize = 8;

/// Why a value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadError {
    /// The bytes are truncated or corrupt, or the type is one radish does not load.
    Corrupt,
    /// An aggregate with nothing in it, which Redis never writes.
    Empty,
}

type Read<T> = Result<T, ReadError>;

fn corrupt<T>(option: Option<T>) -> Read<T> {
    option.ok_or(ReadError::Corrupt)
}

/// Appends `value` as its type byte and its encoding; `compress` is `rdbcompression`, and
/// `limits` cut lists into nodes as Redis would.
pub fn write_object(out: &mut Vec<u8>, value: &Value, limits: &EncodingLimits, compress: bool) {
    out.push(object_type(value));
    write_object_body(out, value, limits, compress);
}

/// The type byte Redis 7.0 writes for `value` in its present encoding.
pub fn object_type(value: &Value) -> u8 {
    match value {
        Value::String(_) => TYPE_STRING,
        Value::List(_) => TYPE_LIST_QUICKLIST_2,
        Value::Set(set) if set.is_intset() => TYPE_SET_INTSET,
        Value::Set(_) => TYPE_SET,
        Value::SortedSet(zset) if zset.encoding() == "listpack" => TYPE_ZSET_LISTPACK,
        Value::SortedSet(_) => TYPE_ZSET_2,
        Value::Hash(hash) if hash.is_listpack() => TYPE_HASH_LISTPACK,
        Value::Hash(_) => TYPE_HASH,
        Value::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

/// Appends `value`'s encoding, the one [`object_type`] names, without the type byte.
pub fn write_object_body(
    out: &mut Vec<u8>,
    value: &Value,
    limits: &EncodingLimits,
    compress: bool,
) {
    match value {
        Value::String(string) => write_string(out, &string.bytes, compress),
        Value::List(list) => write_list(out, list, limits, compress),
        Value::Set(set) => match set.intset_blob() {
            Some(blob) => write_string(out, &blob, compress),
            None => {
                write_length(out, set.len() as u64);
                for member in set.iter() {
                    write_string(out, member.as_bytes(), compress);
                }
            }
        },
        Value::SortedSet(zset) if zset.encoding() == "listpack" => {
            let mut writer = ListpackWriter::new();
            for (member, score) in zset.iter() {
                writer.push(member);
                writer.push(format_listpack(score).as_bytes());
            }
            write_string(out, &writer.finish(), compress);
        }
        Value::SortedSet(zset) => {
            write_length(out, zset.len() as u64);
            // Greatest first, as Redis walks its skiplist from the tail.
            for (member, score) in zset.iter_rev() {
                write_string(out, member, compress);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        Value::Hash(hash) if hash.is_listpack() => {
            let mut writer = ListpackWriter::new();
            for (field, value) in hash.iter() {
                writer.push(field);
                writer.push(value);
            }
            write_string(out, &writer.finish(), compress);
        }
        Value::Hash(hash) => {
            write_length(out, hash.len() as u64);
            for (field, value) in hash.iter() {
                write_string(out, field, compress);
                write_string(out, value, compress);
            }
        }
        Value::Stream(stream) => stream.write_rdb(out, compress),
    }
}

/// A list as quicklist nodes: each filled while Redis's `_quicklistNodeAllowInsert` would
/// let an RPUSH add to it.
fn write_list(out: &mut Vec<u8>, list: &List, limits: &EncodingLimits, compress: bool) {
    enum Node {
        Plain(Vec<u8>),
        Packed(Vec<u8>),
    }
    let mut nodes = Vec::new();
    let mut current: Option<ListpackWriter> = None;
    for element in list.iter() {
        if element.len() >= PLAIN_ELEMENT {
            if let Some(node) = current.take() {
                nodes.push(Node::Packed(node.finish()));
            }
            nodes.push(Node::Plain(element.to_vec()));
            continue;
        }
        let fits = current.as_ref().is_some_and(|node| {
            let added = element.len() + NODE_ESTIMATE_OVERHEAD;
            node_takes(limits.list_fill, node.bytes(), node.len(), added)
        });
        if !fits {
            if let Some(node) = current.take() {
                nodes.push(Node::Packed(node.finish()));
            }
        }
        current
            .get_or_insert_with(ListpackWriter::new)
            .push(element);
    }
    if let Some(node) = current {
        nodes.push(Node::Packed(node.finish()));
    }
    write_length(out, nodes.len() as u64);
    for node in nodes {
        match node {
            Node::Plain(element) => {
                write_length(out, NODE_PLAIN);
                write_string(out, &element, compress);
            }
            Node::Packed(listpack) => {
                write_length(out, NODE_PACKED);
                write_string(out, &listpack, compress);
            }
        }
    }
}

/// Reads a value written by [`write_object`] (or by Redis 7.0): its type byte, then its
/// encoding, from `input` at `pos`, building it with `limits`; `pos` moves past it.
pub fn read_object(input: &[u8], pos: &mut usize, limits: &EncodingLimits) -> Read<Value> {
    let kind = *corrupt(input.get(*pos))?;
    *pos += 1;
    read_object_of(kind, input, pos, limits, false)
}

/// Reads the encoding of a value of type `kind` (its type byte already read). `rdb_11`
/// also accepts the types Redis 7.2 added, found only in its files (RDB version 11).
pub fn read_object_of(
    kind: u8,
    input: &[u8],
    pos: &mut usize,
    limits: &EncodingLimits,
    rdb_11: bool,
) -> Read<Value> {
    match kind {
        TYPE_STRING => {
            let bytes = corrupt(read_string(input, pos))?;
            Ok(Value::String(StringValue::stored(&bytes)))
        }
        TYPE_LIST => {
            let len = read_count(input, pos)?;
            let mut list = List::default();
            for _ in 0..len {
                list.push(&corrupt(read_string(input, pos))?, End::Right, limits);
            }
            Ok(Value::List(list))
        }
        TYPE_LIST_QUICKLIST_2 => read_quicklist(input, pos, limits),
        TYPE_LIST_QUICKLIST => {
            let nodes = read_count(input, pos)?;
            let mut list = List::default();
            for _ in 0..nodes {
                let blob = corrupt(read_string(input, pos))?;
                for element in corrupt(ziplist::read(&blob))? {
                    list.push(&element.to_vec(), End::Right, limits);
                }
            }
            non_empty_list(list)
        }
        TYPE_LIST_ZIPLIST => {
            let blob = corrupt(read_string(input, pos))?;
            let mut list = List::default();
            for element in corrupt(ziplist::read(&blob))? {
                list.push(&element.to_vec(), End::Right, limits);
            }
            non_empty_list(list)
        }
        TYPE_SET => {
            let len = read_count(input, pos)?;
            let mut set = Set::default();
            for _ in 0..len {
                if !set.insert(&corrupt(read_string(input, pos))?, limits) {
                    return Err(ReadError::Corrupt);
                }
            }
            Ok(Value::Set(set))
        }
        TYPE_SET_INTSET => {
            let blob = corrupt(read_string(input, pos))?;
            let set = corrupt(Set::from_intset_blob(&blob, limits))?;
            if set.is_empty() {
                return Err(ReadError::Empty);
            }
            Ok(Value::Set(set))
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let len = read_count(input, pos)?;
            let mut zset = SortedSet::new();
            for _ in 0..len {
                let member = corrupt(read_string(input, pos))?;
                let score = if kind == TYPE_ZSET_2 {
                    let bytes = corrupt(input.get(*pos..*pos + 8))?;
                    *pos += 8;
                    f64::from_le_bytes(corrupt(bytes.try_into().ok())?)
                } else {
                    read_text_score(input, pos)?
                };
                if score.is_nan() || zset.insert(&member, score, limits).is_some() {
                    return Err(ReadError::Corrupt);
                }
            }
            Ok(Value::SortedSet(zset))
        }
        TYPE_ZSET_LISTPACK | TYPE_ZSET_ZIPLIST => {
            let mut zset = SortedSet::new();
            read_packed_pairs(input, pos, kind == TYPE_ZSET_ZIPLIST, |member, score| {
                element_score(score)
                    .is_some_and(|score| zset.insert(&member.to_vec(), score, limits).is_none())
            })?;
            Ok(Value::SortedSet(zset))
        }
        TYPE_HASH => {
            let len = read_count(input, pos)?;
            let mut hash = Hash::default();
            for _ in 0..len {
                let field = corrupt(read_string(input, pos))?;
                let value = corrupt(read_string(input, pos))?;
                if !hash.set(&field, &value, limits) {
                    return Err(ReadError::Corrupt);
                }
            }
            Ok(Value::Hash(hash))
        }
        TYPE_HASH_LISTPACK | TYPE_HASH_ZIPLIST => {
            let mut hash = Hash::default();
            read_packed_pairs(input, pos, kind == TYPE_HASH_ZIPLIST, |field, value| {
                hash.set(&field.to_vec(), &value.to_vec(), limits)
            })?;
            Ok(Value::Hash(hash))
        }
        TYPE_SET_LISTPACK if rdb_11 => {
            let blob = corrupt(read_string(input, pos))?;
            let mut set = Set::default();
            for member in corrupt(listpack::read(&blob))? {
                if !set.insert(&member.to_vec(), limits) {
                    return Err(ReadError::Corrupt);
                }
            }
            if set.is_empty() {
                return Err(ReadError::Empty);
            }
            Ok(Value::Set(set))
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            let format = if kind == TYPE_STREAM_LISTPACKS_2 {
                StreamFormat::V2
            } else {
                StreamFormat::V1
            };
            let stream = Stream::read_rdb(input, pos, format)?;
            Ok(Value::Stream(Box::new(stream)))
        }
        TYPE_STREAM_LISTPACKS_3 if rdb_11 => {
            let stream = Stream::read_rdb(input, pos, StreamFormat::V3)?;
            Ok(Value::Stream(Box::new(stream)))
        }
        _ => Err(ReadError::Corrupt),
    }
}

/// The element count of an aggregate: an empty one is refused, as Redis refuses it.
fn read_count(input: &[u8], pos: &mut usize) -> Read<u64> {
    match corrupt(read_plain_length(input, pos))? {
        0 => Err(ReadError::Empty),
        len => Ok(len),
    }
}

/// Reads a listpack (or, from Redis before 7.0, a ziplist) of pairs, a small hash's or sorted
/// set's, and hands each pair to `add`, which says whether it was sound (a new field, a
/// number for a score).
fn read_packed_pairs(
    input: &[u8],
    pos: &mut usize,
    is_ziplist: bool,
    mut add: impl FnMut(Element<'_>, Element<'_>) -> bool,
) -> Read<()> {
    let blob = corrupt(read_string(input, pos))?;
    let elements = if is_ziplist {
        corrupt(ziplist::read(&blob))?
    } else {
        corrupt(listpack::read(&blob))?
    };
    if elements.is_empty() {
        return Err(ReadError::Empty);
    }
    if elements.len() % 2 != 0 || !elements.chunks(2).all(|pair| add(pair[0], pair[1])) {
        return Err(ReadError::Corrupt);
    }
    Ok(())
}

/// A list in quicklist nodes of listpacks (or plain elements).
fn read_quicklist(input: &[u8], pos: &mut usize, limits: &EncodingLimits) -> Read<Value> {
    let nodes = read_count(input, pos)?;
    let mut list = List::default();
    for _ in 0..nodes {
        let container = corrupt(read_plain_length(input, pos))?;
        let blob = corrupt(read_string(input, pos))?;
        if blob.is_empty() {
            // Not even a plain node is empty: Redis refuses it.
            return Err(ReadError::Corrupt);
        }
        match container {
            NODE_PLAIN => list.push(&blob, End::Right, limits),
            NODE_PACKED => {
                // Redis skips an empty node rather than refusing it.
                for element in corrupt(listpack::read(&blob))? {
                    list.push(&element.to_vec(), End::Right, limits);
                }
            }
            _ => return Err(ReadError::Corrupt),
        }
    }
    non_empty_list(list)
}

fn non_empty_list(list: List) -> Read<Value> {
    if list.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(Value::List(list))
}

/// A score stored as a listpack element: an integer, or text that reads whole as a number.
fn element_score(element: Element<'_>) -> Option<f64> {
    match element {
        Element::Int(value) => Some(value as f64),
        Element::Bytes(text) => {
            let parsed = strtod(text);
            (parsed.consumed == text.len() && !text.is_empty() && !parsed.value.is_nan())
                .then_some(parsed.value)
        }
    }
}

/// A score as Redis before 4.0 wrote it: a length byte (253 NaN, 254 +inf, 255 -inf), then
/// that many bytes of text.
fn read_text_score(input: &[u8], pos: &mut usize) -> Read<f64> {
    let len = *corrupt(input.get(*pos))?;
    *pos += 1;
    match len {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        len => {
            let text = corrupt(input.get(*pos..*pos + usize::from(len)))?;
            *pos += usize::from(len);
            let parsed = strtod(text);
            Ok(parsed.value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::hex;
    use crate::types::stream::{NewId, StreamId};

    fn written(value: &Value, compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write_object(&mut out, value, &EncodingLimits::REDIS_DEFAULTS, compress);
        out
    }

    fn read_back(bytes: &[u8], limits: &EncodingLimits) -> Read<Value> {
        let mut pos = 0;
        let value = read_object(bytes, &mut pos, limits)?;
        assert_eq!(pos, bytes.len(), "the whole value is read");
        Ok(value)
    }

    #[test]
    fn values_write_redis_s_bytes() {
        // DUMP bodies from redis-server 7.0.15 (the payload without its footer).
        let limits = EncodingLimits::REDIS_DEFAULTS;
        let mut hash = Hash::default();
        for (field, value) in [("f", "v"), ("n", "123"), ("neg", "-4097"), ("e", "")] {
            hash.set(field.as_bytes(), value.as_bytes(), &limits);
        }
        assert_eq!(
            written(&Value::Hash(hash), true),
            hex("1020200000000800816602817602816e027b01836e656704f1ffef038165028001ff")
        );

        let mut set = Set::default();
        set.insert(b"1", &limits);
        set.insert(b"100000", &limits);
        set.remove(b"100000");
        assert_eq!(
            written(&Value::Set(set), true),
            hex("0b0c040000000100000001000000"),
            "an intset keeps its width"
        );

        let elements: [&[u8]; 8] = [
            b"a",
            b"b",
            b"1",
            b"-300",
            b"70000",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"",
        ];
        let list = List::from_values(elements, &limits);
        assert_eq!(
            written(&Value::List(list), true),
            hex("1201022d2d00000008008161028162020101ded402f270110104f4ffffffffffffff7f09f40000000000000080098001ff")
        );

        let mut stream = Stream::new();
        let pairs: [&[&[u8]]; 4] = [
            &[b"f", b"v", b"g", b"w"],
            &[b"f", b"v2", b"g", b"w2"],
            &[b"other", b"1"],
            &[b"f", b"300", b"g", b"-1"],
        ];
        for (pairs, id) in pairs.iter().zip([(1, 1), (1, 2), (2, 0), (3, 5)]) {
            let id = NewId::Exact(StreamId::new(id.0, id.1));
            stream.add(id, pairs, 0, &limits).expect("added");
        }
        stream.delete(StreamId::new(1, 2));
        assert_eq!(
            written(&Value::Stream(Box::new(stream)), true),
            hex("130110000000000000000100000000000000014055550000001f00030101010201816602816702000102010001000181760281770205010301000101018276320382773203050100010101dfff020101856f746865720601010601020102010401c12c02dfff020501ff030305010101020400")
        );
    }

    #[test]
    fn every_type_and_encoding_reads_back_as_written() {
        let limits = EncodingLimits::REDIS_DEFAULTS;
        let mut values = vec![Value::string(b"hello"), Value::string(&[b'x'; 300])];
        let long: Vec<Vec<u8>> = (0..2000)
            .map(|i| format!("element{i}").into_bytes())
            .collect();
        values.push(Value::List(List::from_values(
            long.iter().map(Vec::as_slice),
            &limits,
        )));
        for count in [3, 600] {
            let mut hash = Hash::default();
            let mut set = Set::default();
            let mut words = Set::default();
            let mut zset = SortedSet::new();
            for i in 0..count {
                let text = i.to_string();
                hash.set(format!("f{i}").as_bytes(), text.as_bytes(), &limits);
                set.insert(text.as_bytes(), &limits);
                words.insert(format!("w{i}").as_bytes(), &limits);
                zset.insert(format!("m{i}").as_bytes(), f64::from(i) / 3.0, &limits);
            }
            values.extend([
                Value::Hash(hash),
                Value::Set(set),
                Value::Set(words),
                Value::SortedSet(zset),
            ]);
        }
        let mut stream = Stream::new();
        for ms in 1..500 {
            let pairs: [&[u8]; 2] = [b"field", b"value"];
            stream
                .add(NewId::Exact(StreamId::new(ms, 0)), &pairs, 0, &limits)
                .expect("added");
        }
        stream.delete(StreamId::new(7, 0));
        stream.create_group(b"group", StreamId::new(3, 0), Some(3));
        let group = stream.group_mut(b"group").expect("group");
        group.create_consumer(b"alice", 1_000);
        group.create_consumer(b"bob", 2_000);
        group.assign(StreamId::new(1, 0), b"alice", 5, Some(2));
        group.assign(StreamId::new(3, 0), b"bob", 6, Some(1));
        values.push(Value::Stream(Box::new(stream)));

        for value in &values {
            for compress in [false, true] {
                let bytes = written(value, compress);
                let back = read_back(&bytes, &limits).expect("reads back");
                assert_eq!(back.type_name(), value.type_name());
                assert_eq!(written(&back, compress), bytes, "{}", value.type_name());
            }
        }
    }

    #[test]
    fn loaded_values_take_the_encodings_the_limits_allow() {
        let defaults = EncodingLimits::REDIS_DEFAULTS;
        let mut hash = Hash::default();
        for i in 0..5 {
            hash.set(format!("f{i}").as_bytes(), b"v", &defaults);
        }
        let bytes = written(&Value::Hash(hash), true);
        let small = EncodingLimits {
            hash_entries: 2,
            ..defaults
        };
        let Value::Hash(back) = read_back(&bytes, &small).expect("reads") else {
            panic!("a hash");
        };
        assert_eq!(back.encoding(), "hashtable");
        assert_eq!(back.len(), 5);
    }

    #[test]
    fn corrupt_and_empty_values_are_refused() {
        let limits = EncodingLimits::REDIS_DEFAULTS;
        // An unknown type, empty aggregates, duplicates, truncation.
        assert_eq!(read_back(&[99], &limits).err(), Some(ReadError::Corrupt));
        assert_eq!(
            read_back(&[TYPE_SET, 0], &limits).err(),
            Some(ReadError::Empty)
        );
        assert_eq!(
            read_back(&[TYPE_HASH, 0], &limits).err(),
            Some(ReadError::Empty)
        );
        let duplicates = [TYPE_SET, 2, 1, b'a', 1, b'a'];
        assert_eq!(
            read_back(&duplicates, &limits).err(),
            Some(ReadError::Corrupt)
        );
        let nan = [TYPE_ZSET_2, 1, 1, b'a', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f];
        assert_eq!(read_back(&nan, &limits).err(), Some(ReadError::Corrupt));
        let mut zset = SortedSet::new();
        zset.insert(b"a", 1.5, &limits);
        let bytes = written(&Value::SortedSet(zset), false);
        for cut in 0..bytes.len() {
            assert!(
                read_object(&bytes[..cut], &mut 0, &limits).is_err(),
                "cut at {cut}"
            );
        }
    }
}
