//! Set commands: SADD and friends, membership, random picks (SPOP, SRANDMEMBER), SMOVE, the
//! set algebra (SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD) and SSCAN.
//!
//! Argument checks, key lookups and type checks happen in the order Redis 7.0's t_set.c does
//! them, since that order decides which error a client sees. Replies list members in the
//! order Redis does wherever that order is deterministic: SMEMBERS, SINTER and SRANDMEMBER
//! walk the set itself, while SUNION, SDIFF and a whole-set SPOP build a new set first, which
//! (being an intset whenever every member is an integer) comes out sorted.

use radish_data::types::set::Set;
use radish_data::types::EncodingLimits;
use radish_data::CompactBytes;
use radish_data::Value;
use radish_data::{Db, Entry, Millis};

use super::hashes::{empty_scan_reply, parse_random_count, scan_reply, ScanOptions};
use super::keys::parse_cursor;
use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, key, keynum, numkeys, range, Command, Group};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("sadd", -3, sadd)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::Set, "1.0.0", "Add one or more members to a set"),
    Command::new("srem", -3, srem)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::Set, "1.0.0", "Remove one or more members from a set"),
    Command::new("smembers", 2, smembers)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Set, "1.0.0", "Get all the members in a set"),
    Command::new("sismember", 3, sismember)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Set, "1.0.0", "Determine if a given value is a member of a set",),
    Command::new("smismember", -3, smismember)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Set, "6.2.0", "Returns the membership associated with the given elements for a set",),
    Command::new("scard", 2, scard)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Set, "1.0.0", "Get the number of members in a set"),
    Command::new("spop", -2, spop)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Set, "1.0.0", "Remove and return one or multiple random members from a set",),
    Command::new("srandmember", -2, srandmember)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Set, "1.0.0", "Get one or multiple random members from a set",),
    Command::new("smove", 4, smove)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(RW | INSERT))])
        .doc(Group::Set, "1.0.0", "Move a member from one set to another"),
    Command::new("sinter", -2, sinter)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[range(1, -1, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Set, "1.0.0", "Intersect multiple sets"),
    Command::new("sintercard", -3, sintercard)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::Set, "7.0.0", "Intersect multiple sets and return the cardinality of the result",),
    Command::new("sunion", -2, sunion)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[range(1, -1, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Set, "1.0.0", "Add multiple sets"),
    Command::new("sdiff", -2, sdiff)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[range(1, -1, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output_order"])
        .doc(Group::Set, "1.0.0", "Subtract multiple sets"),
    Command::new("sinterstore", -3, sinterstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE)), range(2, -1, 1, key!(RO | ACCESS))])
        .doc(Group::Set, "1.0.0", "Intersect multiple sets and store the resulting set in a key",),
    Command::new("sunionstore", -3, sunionstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), range(2, -1, 1, key!(RO | ACCESS))])
        .doc(Group::Set, "1.0.0", "Add multiple sets and store the resulting set in a key",),
    Command::new("sdiffstore", -3, sdiffstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), range(2, -1, 1, key!(RO | ACCESS))])
        .doc(Group::Set, "1.0.0", "Subtract multiple sets and store the resulting set in a key",),
    Command::new("sscan", -3, sscan)
        .flags(flags!(READONLY))
        .acl(acl!(SET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Set, "2.8.0", "Incrementally iterate Set elements"),
];

// --- Lookups -------------------------------------------------------------------------------

/// The set in `entry`, or WRONGTYPE.
fn as_set(entry: &Entry) -> Result<&Set> {
    match &entry.value {
        Value::Set(set) => Ok(set),
        _ => Err(Error::WrongType),
    }
}

/// The set at `key` for a read command (counts a keyspace hit or miss): `None` if missing,
/// WRONGTYPE if not a set.
fn read_set<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d Set>> {
    db.read(key, now).map(as_set).transpose()
}

/// The set at `key` for a write command, before deciding to write: no read statistics, and
/// no WATCH invalidation yet.
fn peek_set<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d Set>> {
    db.get(key, now).map(as_set).transpose()
}

/// Runs `change` on the set at `key`, creating the key if it is missing (and `change` left
/// something in it), and deleting it if `change` emptied it. Callers check the type first
/// with [`peek_set`]: this counts as a write.
fn change_set<R>(
    db: &mut Db,
    key: &[u8],
    now: Millis,
    change: impl FnOnce(&mut Set) -> R,
) -> Result<R> {
    let (result, emptied) = match db.get_mut(key, now) {
        Some(entry) => match &mut entry.value {
            Value::Set(set) => {
                let result = change(set);
                (result, set.is_empty())
            }
            _ => return Err(Error::WrongType),
        },
        None => {
            let mut set = Set::default();
            let result = change(&mut set);
            if !set.is_empty() {
                db.insert(key, Value::Set(set), 0, now);
            }
            return Ok(result);
        }
    };
    if emptied {
        db.remove(key);
    }
    Ok(result)
}

/// Writes `members` as a set reply (an array in RESP2).
fn set_reply<B: AsRef<[u8]>>(reply: &mut Reply<'_>, members: impl ExactSizeIterator<Item = B>) {
    reply.set(members.len());
    for member in members {
        reply.bulk(member.as_ref());
    }
}

// --- Single-set commands -------------------------------------------------------------------

fn sadd(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let (key, members) = (args[1], &args[2..]);
    let limits = ctx.limits();
    let db = ctx.db();
    let any_new = match peek_set(db, key, now)? {
        Some(set) => members.iter().any(|m| !set.contains(m)),
        None => true,
    };
    if !any_new {
        ctx.reply.integer(0);
        return Ok(());
    }
    let added = change_set(db, key, now, |set| {
        members.iter().filter(|m| set.insert(m, &limits)).count()
    })?;
    ctx.notify(events::SET, "sadd", key);
    ctx.reply.integer(added as i64);
    ctx.dirty(added as u64);
    Ok(())
}

fn srem(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let (key, members) = (args[1], &args[2..]);
    let db = ctx.db();
    let any_present =
        peek_set(db, key, now)?.is_some_and(|set| members.iter().any(|m| set.contains(m)));
    if !any_present {
        ctx.reply.integer(0);
        return Ok(());
    }
    let removed = change_set(db, key, now, |set| {
        members.iter().filter(|m| set.remove(m)).count()
    })?;
    let key_removed = db.peek(key).is_none();
    ctx.notify(events::SET, "srem", key);
    if key_removed {
        ctx.notify(events::GENERIC, "del", key);
    }
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed as u64);
    Ok(())
}

fn smembers(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    match read_set(db, args[1], now)? {
        Some(set) => set_reply(reply, set.iter()),
        None => reply.set(0),
    }
    Ok(())
}

fn sismember(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let found = read_set(db, args[1], now)?.is_some_and(|set| set.contains(args[2]));
    reply.integer(found as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let set = read_set(db, args[1], now)?;
    reply.array(args.len() - 2);
    for member in &args[2..] {
        reply.integer(set.is_some_and(|set| set.contains(member)) as i64);
    }
    Ok(())
}

fn scard(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_set(db, args[1], now)?.map_or(0, Set::len);
    reply.integer(len as i64);
    Ok(())
}

fn sscan(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let cursor = parse_cursor(args[2])?;
    let (db, reply, now) = ctx.parts();
    let Some(set) = read_set(db, args[1], now)? else {
        empty_scan_reply(reply);
        return Ok(());
    };
    let options = ScanOptions::parse(&args[3..])?;
    let mut found = Vec::new();
    let next = set.scan(cursor, options.count, |member| {
        if options.matches(member.as_bytes()) {
            found.push(member);
        }
    });
    scan_reply(reply, next, &found);
    Ok(())
}

// --- Random picks --------------------------------------------------------------------------

fn spop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    match args.len() {
        2 => spop_one(ctx, args[1]),
        3 => spop_count(ctx, args[1], args[2]),
        _ => Err(Error::Syntax),
    }
}

/// SPOP without a count: one random member, or null.
fn spop_one(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> Result {
    let now = ctx.now;
    let mut rng = ctx.keyspace().rng.clone();
    let db = ctx.db();
    let Some(set) = peek_set(db, key, now)? else {
        ctx.reply.null();
        return Ok(());
    };
    let position = set.random_position(&mut rng);
    let member = change_set(db, key, now, |set| set.take_index(position?))?;
    let key_removed = db.peek(key).is_none();
    ctx.notify(events::SET, "spop", key);
    if key_removed {
        ctx.notify(events::GENERIC, "del", key);
    }
    ctx.reply.bulk_or_null(member.as_deref());
    if let Some(member) = &member {
        // The log says which member was chosen.
        ctx.propagate(&[&b"SREM"[..], key, member]);
    }
    ctx.keyspace().rng = rng;
    ctx.dirty(1);
    Ok(())
}

/// SPOP with a count: up to that many distinct random members, as a set reply.
fn spop_count(ctx: &mut Ctx<'_, '_>, key: &[u8], count: &[u8]) -> Result {
    let count = parse_int(count)
        .ok()
        .filter(|&n| n >= 0)
        .ok_or(Error::Static("ERR value is out of range, must be positive"))?;
    let now = ctx.now;
    let mut rng = ctx.keyspace().rng.clone();
    let limits = ctx.limits();
    let db = ctx.db();
    let Some(set) = peek_set(db, key, now)? else {
        ctx.reply.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.reply.set(0);
        return Ok(());
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count >= set.len() {
        // Redis answers with the union of the one set, a new set: sorted when all integers.
        let whole = copy_of(set, &limits);
        db.remove(key);
        ctx.notify(events::SET, "spop", key);
        ctx.notify(events::GENERIC, "del", key);
        set_reply(&mut ctx.reply, whole.iter());
        ctx.propagate(&[&b"DEL"[..], key]);
        ctx.dirty(whole.len() as u64);
        return Ok(());
    }
    let popped = change_set(db, key, now, |set| {
        (0..count)
            .filter_map(|_| set.take_index(set.random_position(&mut rng)?))
            .collect::<Vec<CompactBytes>>()
    })?;
    ctx.notify(events::SET, "spop", key);
    set_reply(&mut ctx.reply, popped.iter().map(CompactBytes::as_slice));
    let mut srem: Vec<&[u8]> = vec![b"SREM", key];
    srem.extend(popped.iter().map(CompactBytes::as_slice));
    ctx.propagate(&srem);
    ctx.keyspace().rng = rng;
    ctx.dirty(popped.len() as u64);
    Ok(())
}

fn srandmember(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    match args.len() {
        2 => srandmember_one(ctx, args[1]),
        3 => srandmember_count(ctx, args[1], args[2]),
        _ => Err(Error::Syntax),
    }
}

/// SRANDMEMBER without a count: one random member, or null.
fn srandmember_one(ctx: &mut Ctx<'_, '_>, key: &[u8]) -> Result {
    let mut rng = ctx.keyspace().rng.clone();
    let (db, reply, now) = ctx.parts();
    let member = match read_set(db, key, now)? {
        Some(set) => set.random(&mut rng),
        None => None,
    };
    reply.bulk_or_null(member.as_ref().map(|m| m.as_bytes()));
    ctx.keyspace().rng = rng;
    Ok(())
}

/// SRANDMEMBER with a count: for a negative count (or 1) that many random picks, repeats
/// allowed; for a count at least the size, the whole set in its order; otherwise that many
/// distinct random members. Always an array, even in RESP3.
fn srandmember_count(ctx: &mut Ctx<'_, '_>, key: &[u8], count: &[u8]) -> Result {
    let count = parse_random_count(count)?;
    let mut rng = ctx.keyspace().rng.clone();
    let (db, reply, now) = ctx.parts();
    let Some(set) = read_set(db, key, now)? else {
        reply.array(0);
        return Ok(());
    };
    let len = set.len();
    let wanted = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if count < 0 || count == 1 {
        // Picked one at a time, never collected: the count may be huge.
        reply.array(wanted);
        for _ in 0..wanted {
            let member = set.random(&mut rng);
            reply.bulk(member.as_ref().map_or(&b""[..], |m| m.as_bytes()));
        }
    } else if wanted >= len {
        reply.bulks(set.iter());
    } else {
        let positions = set.distinct_positions(wanted, &mut rng);
        reply.bulks(
            positions
                .iter()
                .filter_map(|&p| set.get_index(p))
                .collect::<Vec<_>>()
                .into_iter(),
        );
    }
    ctx.keyspace().rng = rng;
    Ok(())
}

// --- SMOVE ---------------------------------------------------------------------------------

fn smove(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let (source, destination, member) = (args[1], args[2], args[3]);
    let limits = ctx.limits();
    let db = ctx.db();
    // A missing source answers 0 before either type is checked, as in Redis.
    let Some(source_entry) = db.get(source, now) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let present = as_set(source_entry)?.contains(member);
    let already_there = peek_set(db, destination, now)?.is_some_and(|set| set.contains(member));
    if source == destination || !present {
        ctx.reply.integer(present as i64);
        return Ok(());
    }
    change_set(db, source, now, |set| set.remove(member))?;
    let source_removed = db.peek(source).is_none();
    ctx.notify(events::SET, "srem", source);
    if source_removed {
        ctx.notify(events::GENERIC, "del", source);
    }
    // A destination that holds the member already is not written (nor signalled), as in Redis.
    let added = !already_there
        && change_set(ctx.db(), destination, now, |set| {
            set.insert(member, &limits)
        })?;
    if added {
        ctx.notify(events::SET, "sadd", destination);
    }
    ctx.reply.integer(1);
    ctx.dirty(1 + added as u64);
    Ok(())
}

// --- Set algebra ---------------------------------------------------------------------------

/// A fresh set holding the members of `set`, built the way Redis builds a result set: it
/// starts as an intset, so it comes out sorted when every member is an integer.
fn copy_of(set: &Set, limits: &EncodingLimits) -> Set {
    let mut copy = Set::default();
    for member in set.iter() {
        copy.insert(member.as_bytes(), limits);
    }
    copy
}

/// Looks up every key of a multi-set command first, as Redis does: WRONGTYPE if any key holds
/// something else, otherwise each set's size (`None` for a missing key, an empty set).
/// Read commands count keyspace hits and misses; the STORE forms do not.
fn set_sizes(db: &mut Db, keys: &[&[u8]], now: Millis, read: bool) -> Result<Vec<Option<usize>>> {
    keys.iter()
        .map(|key| {
            let set = if read {
                read_set(db, key, now)?
            } else {
                peek_set(db, key, now)?
            };
            Ok(set.map(Set::len))
        })
        .collect()
}

/// The set at `key`, once [`set_sizes`] has checked every type.
fn checked_set<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<&'d Set> {
    peek_set(db, key, now).ok().flatten()
}

/// The members common to every set at `keys`, in the order of the smallest one (as Redis
/// iterates it), or `None` when a key is missing (so the intersection is empty).
fn intersection(
    db: &mut Db,
    keys: &[&[u8]],
    now: Millis,
    read: bool,
) -> Result<Option<Vec<CompactBytes>>> {
    let sizes = set_sizes(db, keys, now, read)?;
    if sizes.iter().any(Option::is_none) {
        return Ok(None);
    }
    let smallest = (0..keys.len())
        .min_by_key(|&i| sizes[i].unwrap_or(0))
        .unwrap_or(0);
    let mut common: Vec<CompactBytes> = match checked_set(db, keys[smallest], now) {
        Some(set) => set
            .iter()
            .map(|m| CompactBytes::new(m.as_bytes()))
            .collect(),
        None => Vec::new(),
    };
    for (i, key) in keys.iter().enumerate() {
        if i == smallest || common.is_empty() {
            continue;
        }
        match checked_set(db, key, now) {
            Some(set) => common.retain(|m| set.contains(m)),
            None => common.clear(),
        }
    }
    Ok(Some(common))
}

/// The union of the sets at `keys`, as a new set.
fn union(
    db: &mut Db,
    keys: &[&[u8]],
    now: Millis,
    read: bool,
    limits: &EncodingLimits,
) -> Result<Set> {
    set_sizes(db, keys, now, read)?;
    let mut result = Set::default();
    for key in keys {
        if let Some(set) = checked_set(db, key, now) {
            for member in set.iter() {
                result.insert(member.as_bytes(), limits);
            }
        }
    }
    Ok(result)
}

/// The members of the first set at `keys` that are in none of the others, as a new set.
///
/// Redis picks one of two algorithms by estimated work, and the choice shows in the result's
/// encoding: the second adds every member of the first set before removing the others, so a
/// non-integer member that is removed again still leaves a hashtable. Both are mirrored.
fn difference(
    db: &mut Db,
    keys: &[&[u8]],
    now: Millis,
    read: bool,
    limits: &EncodingLimits,
) -> Result<Set> {
    let sizes = set_sizes(db, keys, now, read)?;
    let mut result = Set::default();
    let Some(first_len) = sizes[0] else {
        return Ok(result);
    };
    let present = sizes.iter().flatten();
    let filter_work = first_len * present.clone().count() / 2;
    let remove_work: usize = present.sum();
    if filter_work <= remove_work {
        // Algorithm 1: keep each member of the first set that no other set has.
        let mut kept: Vec<CompactBytes> = match checked_set(db, keys[0], now) {
            Some(set) => set
                .iter()
                .map(|m| CompactBytes::new(m.as_bytes()))
                .collect(),
            None => Vec::new(),
        };
        for key in &keys[1..] {
            if let Some(set) = checked_set(db, key, now) {
                kept.retain(|m| !set.contains(m));
            }
        }
        for member in &kept {
            result.insert(member, limits);
        }
    } else {
        // Algorithm 2: add the first set, then remove every other set's members.
        for (i, key) in keys.iter().enumerate() {
            let Some(set) = checked_set(db, key, now) else {
                continue;
            };
            for member in set.iter() {
                if i == 0 {
                    result.insert(member.as_bytes(), limits);
                } else {
                    result.remove(member.as_bytes());
                }
            }
            if result.is_empty() {
                break;
            }
        }
    }
    Ok(result)
}

/// Stores `result` at `destination` (replacing any value and its TTL) and replies with its
/// size, raising `event`; an empty result deletes the destination instead (even one whose
/// deadline passed, as Redis's `dbDelete`).
fn store(ctx: &mut Ctx<'_, '_>, destination: &[u8], result: Set, event: &str) {
    let now = ctx.now;
    let len = result.len();
    let db = ctx.db();
    if len == 0 {
        let existed = db.remove(destination).is_some();
        ctx.reply.integer(0);
        if existed {
            ctx.notify(events::GENERIC, "del", destination);
            ctx.dirty(1);
        }
        return;
    }
    db.insert(destination, Value::Set(result), 0, now);
    ctx.reply.integer(len as i64);
    ctx.notify(events::SET, event, destination);
    ctx.dirty(1);
}

fn sinter(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    match intersection(db, &args[1..], now, true)? {
        Some(common) => set_reply(reply, common.iter().map(CompactBytes::as_slice)),
        None => reply.set(0),
    }
    Ok(())
}

fn sinterstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let limits = ctx.limits();
    let common = intersection(ctx.db(), &args[2..], now, true)?.unwrap_or_default();
    let mut result = Set::default();
    for member in &common {
        result.insert(member, &limits);
    }
    store(ctx, args[1], result, "sinterstore");
    Ok(())
}

fn sintercard(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let numkeys = parse_int(args[1])
        .ok()
        .filter(|&n| n > 0)
        .ok_or(Error::Static("ERR numkeys should be greater than 0"))?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Err(Error::Static(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let keys = &args[2..2 + numkeys];
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if is(args[i], "limit") && i + 1 < args.len() {
            limit = parse_int(args[i + 1])
                .ok()
                .filter(|&n| n >= 0)
                .ok_or(Error::Static("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let (db, reply, now) = ctx.parts();
    let found = intersection(db, keys, now, true)?.map_or(0, |common| common.len());
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let cardinality = if limit > 0 { found.min(limit) } else { found };
    reply.integer(cardinality as i64);
    Ok(())
}

fn sunion(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    let result = union(db, &args[1..], now, true, &limits)?;
    set_reply(reply, result.iter());
    Ok(())
}

fn sunionstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let limits = ctx.limits();
    let result = union(ctx.db(), &args[2..], now, true, &limits)?;
    store(ctx, args[1], result, "sunionstore");
    Ok(())
}

fn sdiff(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    let result = difference(db, &args[1..], now, true, &limits)?;
    set_reply(reply, result.iter());
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let limits = ctx.limits();
    let result = difference(ctx.db(), &args[2..], now, true, &limits)?;
    store(ctx, args[1], result, "sdiffstore");
    Ok(())
}
