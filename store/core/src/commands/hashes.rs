//! Hash commands: HSET and friends, counters, whole-hash reads, HRANDFIELD, HSCAN.
//!
//! Argument checks, key lookups and type checks happen in the order Redis 7.0's t_hash.c does
//! them, since that order decides which error a client sees. This file also holds the pieces
//! every *SCAN and random-sampling command shares ([`ScanOptions`], [`parse_random_count`]).

use radish_data::glob::Pattern;
use radish_data::long_double::LongDouble;
use radish_data::types::hash::Hash;
use radish_data::Rng;
use radish_data::Value;
use radish_data::{Db, Entry, Millis};
use radish_resp::number::{parse_i64_strict, NumberText};
use radish_resp::Version;

use super::keys::parse_cursor;
use super::strings::format_human;
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, key, range, Command, Group};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("hset", -4, hset)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Hash, "2.0.0", "Set the string value of a hash field"),
    Command::new("hsetnx", 4, hsetnx)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::Hash, "2.0.0", "Set the value of a hash field, only if the field does not exist",),
    Command::new("hget", 3, hget)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Hash, "2.0.0", "Get the value of a hash field"),
    Command::new("hmget", -3, hmget)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Hash, "2.0.0", "Get the values of all the given hash fields",),
    Command::new("hmset", -4, hmset)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Hash, "2.0.0", "Set multiple hash fields to multiple values",),
    Command::new("hgetall", 2, hgetall)
        .flags(flags!(READONLY))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Hash, "2.0.0", "Get all the fields and values in a hash",),
    Command::new("hdel", -3, hdel)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::Hash, "2.0.0", "Delete one or more hash fields"),
    Command::new("hexists", 3, hexists)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Hash, "2.0.0", "Determine if a hash field exists"),
    Command::new("hlen", 2, hlen)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Hash, "2.0.0", "Get the number of fields in a hash"),
    Command::new("hkeys", 2, hkeys)
        .flags(flags!(READONLY))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Hash, "2.0.0", "Get all the fields in a hash"),
    Command::new("hvals", 2, hvals)
        .flags(flags!(READONLY))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Hash, "2.0.0", "Get all the values in a hash"),
    Command::new("hincrby", 4, hincrby)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::Hash, "2.0.0", "Increment the integer value of a hash field by the given number",),
    Command::new("hincrbyfloat", 4, hincrbyfloat)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::Hash, "2.6.0", "Increment the float value of a hash field by the given amount",),
    Command::new("hstrlen", 3, hstrlen)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Hash, "3.2.0", "Get the length of the value of a hash field",),
    Command::new("hrandfield", -2, hrandfield)
        .flags(flags!(READONLY))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Hash, "6.2.0", "Get one or multiple random fields from a hash",),
    Command::new("hscan", -3, hscan)
        .flags(flags!(READONLY))
        .acl(acl!(HASH))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Hash, "2.8.0", "Incrementally iterate hash fields and associated values",),
];

// --- Shared with the other aggregate families ----------------------------------------------

/// COUNT and MATCH of HSCAN, SSCAN and ZSCAN, parsed as Redis's `scanGenericCommand` does.
pub(crate) struct ScanOptions {
    /// How many positions one call visits (COUNT, default 10).
    pub(crate) count: usize,
    /// MATCH's pattern; `None` for none or `*`, which matches everything.
    pattern: Option<Pattern>,
}

impl ScanOptions {
    /// Parses the options after the cursor. Redis parses them only once it has found the
    /// key, so a missing key answers an empty scan whatever the options.
    pub(crate) fn parse(args: &[&[u8]]) -> Result<ScanOptions> {
        let mut options = ScanOptions {
            count: 10,
            pattern: None,
        };
        let mut i = 0;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            if is(args[i], "count") && has_value {
                let count = parse_int(args[i + 1])?;
                if count < 1 {
                    return Err(Error::Syntax);
                }
                options.count = usize::try_from(count).unwrap_or(usize::MAX);
            } else if is(args[i], "match") && has_value {
                let pattern = args[i + 1];
                options.pattern = (pattern != b"*").then(|| Pattern::new(pattern));
            } else {
                return Err(Error::Syntax);
            }
            i += 2;
        }
        Ok(options)
    }

    /// True if `element` passes MATCH. As Redis's `stringmatchlen`, a pattern other than `*`
    /// matches the empty string only when it is empty itself.
    pub(crate) fn matches(&self, element: &[u8]) -> bool {
        match &self.pattern {
            None => true,
            Some(pattern) if element.is_empty() => pattern.is_empty(),
            Some(pattern) => pattern.matches(element, false),
        }
    }
}

/// Writes a *SCAN reply: the next cursor, then the elements found.
pub(crate) fn scan_reply<B: AsRef<[u8]>>(reply: &mut Reply<'_>, cursor: u64, found: &[B]) {
    reply.array(2);
    reply.bulk(cursor.to_string().as_bytes());
    reply.bulks(found.iter());
}

/// The empty scan a missing key gets: cursor 0, no elements.
pub(crate) fn empty_scan_reply(reply: &mut Reply<'_>) {
    scan_reply::<&[u8]>(reply, 0, &[]);
}

/// Parses a random-count argument (HRANDFIELD, SRANDMEMBER) as Redis's
/// `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)` does.
pub(crate) fn parse_random_count(arg: &[u8]) -> Result<i64> {
    let count = parse_int(arg)?;
    if count == i64::MIN {
        return Err(Error::Static(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    Ok(count)
}

// --- Lookups -------------------------------------------------------------------------------

/// The hash in `entry`, or WRONGTYPE.
fn as_hash(entry: &Entry) -> Result<&Hash> {
    match &entry.value {
        Value::Hash(hash) => Ok(hash),
        _ => Err(Error::WrongType),
    }
}

/// The hash at `key` for a read command (counts a keyspace hit or miss): `None` if missing,
/// WRONGTYPE if not a hash.
fn read_hash<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d Hash>> {
    db.read(key, now).map(as_hash).transpose()
}

/// The hash at `key` for a write command, before deciding to write: no read statistics, and
/// no WATCH invalidation yet.
fn peek_hash<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d Hash>> {
    db.get(key, now).map(as_hash).transpose()
}

/// Runs `change` on the hash at `key`, creating the key if it is missing (and `change` left
/// something in it), and deleting it if `change` emptied it. Callers check the type first
/// with [`peek_hash`]: this counts as a write.
fn change_hash<R>(
    db: &mut Db,
    key: &[u8],
    now: Millis,
    change: impl FnOnce(&mut Hash) -> R,
) -> Result<R> {
    let (result, emptied) = match db.get_mut(key, now) {
        Some(entry) => match &mut entry.value {
            Value::Hash(hash) => {
                let result = change(hash);
                (result, hash.is_empty())
            }
            _ => return Err(Error::WrongType),
        },
        None => {
            let mut hash = Hash::default();
            let result = change(&mut hash);
            if !hash.is_empty() {
                db.insert(key, Value::Hash(hash), 0, now);
            }
            return Ok(result);
        }
    };
    if emptied {
        db.remove(key);
    }
    Ok(result)
}

// --- Writes --------------------------------------------------------------------------------

/// HSET and HMSET: sets every pair; returns how many fields were new.
fn set_pairs(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], name: &str) -> Result<i64> {
    if args.len() % 2 != 0 {
        return Err(Error::WrongArity(name.to_string()));
    }
    let now = ctx.now;
    let key = args[1];
    let limits = ctx.limits();
    let db = ctx.db();
    peek_hash(db, key, now)?;
    let created = change_hash(db, key, now, |hash| {
        args[2..]
            .chunks(2)
            .filter(|pair| hash.set(pair[0], pair[1], &limits))
            .count()
    })?;
    ctx.notify(events::HASH, "hset", key);
    ctx.dirty((args.len() as u64 - 2) / 2);
    Ok(created as i64)
}

fn hset(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let created = set_pairs(ctx, args, "hset")?;
    ctx.reply.integer(created);
    Ok(())
}

fn hmset(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_pairs(ctx, args, "hmset")?;
    ctx.reply.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let (key, field) = (args[1], args[2]);
    let limits = ctx.limits();
    let db = ctx.db();
    if peek_hash(db, key, now)?.is_some_and(|hash| hash.contains(field)) {
        ctx.reply.integer(0);
        return Ok(());
    }
    change_hash(db, key, now, |hash| hash.set(field, args[3], &limits))?;
    ctx.notify(events::HASH, "hset", key);
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

fn hdel(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let key = args[1];
    let fields = &args[2..];
    let db = ctx.db();
    let present =
        peek_hash(db, key, now)?.is_some_and(|hash| fields.iter().any(|f| hash.contains(f)));
    if !present {
        ctx.reply.integer(0);
        return Ok(());
    }
    let deleted = change_hash(db, key, now, |hash| {
        fields.iter().filter(|f| hash.remove(f)).count()
    })?;
    let key_removed = db.peek(key).is_none();
    ctx.notify(events::HASH, "hdel", key);
    if key_removed {
        ctx.notify(events::GENERIC, "del", key);
    }
    ctx.reply.integer(deleted as i64);
    ctx.dirty(deleted as u64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let delta = parse_int(args[3])?;
    let now = ctx.now;
    let (key, field) = (args[1], args[2]);
    let limits = ctx.limits();
    let db = ctx.db();
    let current = match peek_hash(db, key, now)?.and_then(|hash| hash.get(field)) {
        Some(value) => {
            parse_i64_strict(value).ok_or(Error::Static("ERR hash value is not an integer"))?
        }
        None => 0,
    };
    let updated = current.checked_add(delta).ok_or(Error::Overflow)?;
    let text = NumberText::integer(updated);
    change_hash(db, key, now, |hash| {
        hash.set(field, text.as_bytes(), &limits)
    })?;
    ctx.notify(events::HASH, "hincrby", key);
    ctx.reply.integer(updated);
    ctx.dirty(1);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    // Redis computes in `long double` (80-bit on x86-64), as INCRBYFLOAT: see long_double.rs.
    let delta = LongDouble::parse(args[3]).ok_or(Error::NotFloat)?;
    if !delta.is_finite() {
        return Err(Error::Static("ERR value is NaN or Infinity"));
    }
    let now = ctx.now;
    let (key, field) = (args[1], args[2]);
    let limits = ctx.limits();
    let db = ctx.db();
    let current = match peek_hash(db, key, now)?.and_then(|hash| hash.get(field)) {
        Some(value) => {
            LongDouble::parse(value).ok_or(Error::Static("ERR hash value is not a float"))?
        }
        None => LongDouble::ZERO,
    };
    let updated = current + delta;
    if !updated.is_finite() {
        return Err(Error::Static("ERR increment would produce NaN or Infinity"));
    }
    let text = format_human(updated);
    change_hash(db, key, now, |hash| {
        hash.set(field, text.as_bytes(), &limits)
    })?;
    ctx.notify(events::HASH, "hincrbyfloat", key);
    ctx.reply.bulk(text.as_bytes());
    // Logged as the result, so that replaying does not redo the float arithmetic.
    ctx.propagate(&[&b"HSET"[..], key, field, text.as_bytes()]);
    ctx.dirty(1);
    Ok(())
}

// --- Reads ---------------------------------------------------------------------------------

fn hget(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let value = read_hash(db, args[1], now)?.and_then(|hash| hash.get(args[2]));
    reply.bulk_or_null(value);
    Ok(())
}

fn hmget(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let hash = read_hash(db, args[1], now)?;
    reply.array(args.len() - 2);
    for field in &args[2..] {
        reply.bulk_or_null(hash.and_then(|hash| hash.get(field)));
    }
    Ok(())
}

fn hexists(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let found = read_hash(db, args[1], now)?.is_some_and(|hash| hash.contains(args[2]));
    reply.integer(found as i64);
    Ok(())
}

fn hlen(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_hash(db, args[1], now)?.map_or(0, Hash::len);
    reply.integer(len as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let value = read_hash(db, args[1], now)?.and_then(|hash| hash.get(args[2]));
    reply.integer(value.map_or(0, <[u8]>::len) as i64);
    Ok(())
}

fn hgetall(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let Some(hash) = read_hash(db, args[1], now)? else {
        reply.map(0);
        return Ok(());
    };
    reply.map(hash.len());
    for (field, value) in hash.iter() {
        reply.bulk(field);
        reply.bulk(value);
    }
    Ok(())
}

fn hkeys(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    match read_hash(db, args[1], now)? {
        Some(hash) => reply.bulks(hash.iter().map(|(field, _)| field)),
        None => reply.array(0),
    }
    Ok(())
}

fn hvals(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    match read_hash(db, args[1], now)? {
        Some(hash) => reply.bulks(hash.iter().map(|(_, value)| value)),
        None => reply.array(0),
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let cursor = parse_cursor(args[2])?;
    let (db, reply, now) = ctx.parts();
    let Some(hash) = read_hash(db, args[1], now)? else {
        empty_scan_reply(reply);
        return Ok(());
    };
    let options = ScanOptions::parse(&args[3..])?;
    let mut found: Vec<&[u8]> = Vec::new();
    let next = hash.scan(cursor, options.count, |field, value| {
        if options.matches(field) {
            found.push(field);
            found.push(value);
        }
    });
    scan_reply(reply, next, &found);
    Ok(())
}

// --- HRANDFIELD ----------------------------------------------------------------------------

fn hrandfield(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() == 2 {
        return hrandfield_one(ctx, args[1]);
    }
    let count = parse_random_count(args[2])?;
    let with_values = match args.len() {
        3 => false,
        4 if is(args[3], "withvalues") => true,
        _ => return Err(Error::Syntax),
    };
    // The reply holds two strings per field: Redis bounds the count so that stays a long.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Error::Static("ERR value is out of range"));
    }
    let mut rng = ctx.keyspace().rng.clone();
    let (db, reply, now) = ctx.parts();
    let Some(hash) = read_hash(db, args[1], now)? else {
        reply.array(0);
        return Ok(());
    };
    write_random_fields(reply, hash, count, with_values, &mut rng);
    ctx.keyspace().rng = rng;
    Ok(())
}

/// HRANDFIELD without a count: one random field, or null.
fn hrandfield_one(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> Result {
    let mut rng = ctx.keyspace().rng.clone();
    let (db, reply, now) = ctx.parts();
    let field = match read_hash(db, key, now)? {
        Some(hash) => hash.random(&mut rng).map(|(field, _)| field),
        None => None,
    };
    reply.bulk_or_null(field);
    ctx.keyspace().rng = rng;
    Ok(())
}

/// Writes HRANDFIELD's answer: for a negative count (or 1) that many random picks, repeats
/// allowed; for a count at least the size, the whole hash in order; otherwise that many
/// distinct random fields. Fields come alone, or with their values: flat in RESP2, as
/// [field, value] pairs in RESP3.
fn write_random_fields(
    reply: &mut Reply<'_>,
    hash: &Hash,
    count: i64,
    with_values: bool,
    rng: &mut Rng,
) {
    let wanted = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let pairs = with_values && reply.version == Version::Resp3;
    let write_header = |reply: &mut Reply<'_>, fields: usize| {
        reply.array(if with_values && !pairs {
            fields * 2
        } else {
            fields
        });
    };
    let write_field = |reply: &mut Reply<'_>, (field, value): (&[u8], &[u8])| {
        if pairs {
            reply.array(2);
        }
        reply.bulk(field);
        if with_values {
            reply.bulk(value);
        }
    };
    if count < 0 || count == 1 {
        // Picked one at a time, never collected: the count may be huge.
        write_header(reply, wanted);
        for _ in 0..wanted {
            if let Some(field) = hash.random(rng) {
                write_field(reply, field);
            }
        }
        return;
    }
    if wanted >= hash.len() {
        write_header(reply, hash.len());
        for field in hash.iter() {
            write_field(reply, field);
        }
        return;
    }
    let positions = hash.distinct_positions(wanted, rng);
    write_header(reply, positions.len());
    for position in positions {
        if let Some(field) = hash.get_index(position) {
            write_field(reply, field);
        }
    }
}
