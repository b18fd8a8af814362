//! List commands: pushes and pops at both ends, indexes and ranges, LPOS, moves between
//! lists, and the blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
//!
//! Argument checks, key lookups and type checks happen in the order Redis 7.0's t_list.c
//! does them, since that order decides which error a client sees.

use radish_data::types::list::{clamp_range, End, List};
use radish_data::types::EncodingLimits;
use radish_data::CompactBytes;
use radish_data::Value;
use radish_data::{Db, Entry, Millis};

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int, parse_timeout};
use crate::exec::command::{acl, flags, key, keynum, numkeys, range, Command, Group};
use crate::exec::ctx::{pop_candidates, Ctx};
use crate::state::events;
use crate::state::keyspace::{Pops, TimeoutReply};

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("lpush", -3, lpush)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "1.0.0", "Prepend one or multiple elements to a list"),
    Command::new("rpush", -3, rpush)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "1.0.0", "Append one or multiple elements to a list"),
    Command::new("lpushx", -3, lpushx)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "2.2.0", "Prepend an element to a list, only if the list exists"),
    Command::new("rpushx", -3, rpushx)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "2.2.0", "Append an element to a list, only if the list exists"),
    Command::new("lpop", -2, lpop)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::List, "1.0.0", "Remove and get the first elements in a list"),
    Command::new("rpop", -2, rpop)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::List, "1.0.0", "Remove and get the last elements in a list"),
    Command::new("llen", 2, llen)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::List, "1.0.0", "Get the length of a list"),
    Command::new("lrange", 4, lrange)
        .flags(flags!(READONLY))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::List, "1.0.0", "Get a range of elements from a list"),
    Command::new("lindex", 3, lindex)
        .flags(flags!(READONLY))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::List, "1.0.0", "Get an element from a list by its index"),
    Command::new("lset", 4, lset)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::List, "1.0.0", "Set the value of an element in a list by its index"),
    Command::new("lrem", 4, lrem)
        .flags(flags!(WRITE))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::List, "1.0.0", "Remove elements from a list"),
    Command::new("ltrim", 4, ltrim)
        .flags(flags!(WRITE))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::List, "1.0.0", "Trim a list to the specified range"),
    Command::new("linsert", 5, linsert)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "2.2.0", "Insert an element before or after another element in a list"),
    Command::new("lpos", -3, lpos)
        .flags(flags!(READONLY))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::List, "6.0.6", "Return the index of matching elements on a list"),
    Command::new("lmove", 5, lmove)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "6.2.0", "Pop an element from a list, push it to another list and return it"),
    Command::new("rpoplpush", 3, rpoplpush)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "1.2.0", "Remove the last element in a list, prepend it to another list and return it"),
    Command::new("lmpop", -4, lmpop)
        .flags(flags!(WRITE))
        .acl(acl!(LIST))
        .keys(&[keynum(1, 0, 1, 1, key!(RW | ACCESS | DELETE))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::List, "7.0.0", "Pop elements from a list"),
    Command::new("blpop", -3, blpop)
        .flags(flags!(WRITE | NOSCRIPT | BLOCKING))
        .acl(acl!(LIST))
        .keys(&[range(1, -2, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::List, "2.0.0", "Remove and get the first element in a list, or block until one is available"),
    Command::new("brpop", -3, brpop)
        .flags(flags!(WRITE | NOSCRIPT | BLOCKING))
        .acl(acl!(LIST))
        .keys(&[range(1, -2, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::List, "2.0.0", "Remove and get the last element in a list, or block until one is available"),
    Command::new("blmove", 6, blmove)
        .flags(flags!(WRITE | DENYOOM | NOSCRIPT | BLOCKING))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    Command::new("brpoplpush", 4, brpoplpush)
        .flags(flags!(WRITE | DENYOOM | NOSCRIPT | BLOCKING))
        .acl(acl!(LIST))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(RW | INSERT))])
        .doc(Group::List, "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available"),
    Command::new("blmpop", -5, blmpop)
        .flags(flags!(WRITE | BLOCKING))
        .acl(acl!(LIST))
        .keys(&[keynum(2, 0, 1, 1, key!(RW | ACCESS | DELETE))])
        .get_keys(numkeys(0, 2, 3))
        .doc(Group::List, "7.0.0", "Pop elements from a list, or block until one is available"),
];

// --- Lookups -------------------------------------------------------------------------------

/// The list in `entry`, or WRONGTYPE.
fn as_list(entry: &Entry) -> Result<&List> {
    match &entry.value {
        Value::List(list) => Ok(list),
        _ => Err(Error::WrongType),
    }
}

/// The list at `key` for a read command (counts a keyspace hit or miss): `None` if missing,
/// WRONGTYPE if not a list.
fn read_list<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d List>> {
    db.read(key, now).map(as_list).transpose()
}

/// The list at `key` for a write command, before deciding whether to change it: `None` if
/// missing, WRONGTYPE if not a list. Not counted as a write (WATCH, blocked clients).
fn peek_list<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d List>> {
    db.get(key, now).map(as_list).transpose()
}

/// The list at `key`, to change it in place: counts as a write, so only call this once the
/// change is certain. `None` if there is no list there.
fn list_mut<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Option<&'d mut List> {
    match db.get_mut(key, now).map(|entry| &mut entry.value) {
        Some(Value::List(list)) => Some(list),
        _ => None,
    }
}

/// Deletes `key` if its list has become empty: Redis never keeps an empty aggregate.
/// Returns whether it did.
fn remove_if_empty(db: &mut Db, key: &[u8], now: Millis) -> bool {
    let empty = matches!(db.get(key, now).map(|e| &e.value), Some(Value::List(l)) if l.is_empty());
    if empty {
        db.remove(key);
    }
    empty
}

/// The name of the event a push at `end` raises.
fn push_event(end: End) -> &'static str {
    match end {
        End::Left => "lpush",
        End::Right => "rpush",
    }
}

/// Raises the events of elements popped from `end` of `key`: the pop, then `del` if that
/// emptied the list, as Redis's `listElementsRemoved`.
fn notify_popped(ctx: &mut Ctx<'_, '_>, key: &[u8], end: End, deleted: bool) {
    let event = match end {
        End::Left => "lpop",
        End::Right => "rpop",
    };
    ctx.notify(events::LIST, event, key);
    if deleted {
        ctx.notify(events::GENERIC, "del", key);
    }
}

/// Adds `values` at `end` of the list at `key`, creating the key when missing.
fn push_to<V: AsRef<[u8]>>(
    db: &mut Db,
    key: &[u8],
    values: &[V],
    end: End,
    (now, limits): (Millis, &EncodingLimits),
) -> usize {
    if let Some(list) = list_mut(db, key, now) {
        for value in values {
            list.push(value.as_ref(), end, limits);
        }
        return list.len();
    }
    let mut list = List::default();
    for value in values {
        list.push(value.as_ref(), end, limits);
    }
    let len = list.len();
    db.insert(key, Value::List(list), 0, now);
    len
}

/// Pops up to `count` elements from `end` of the list at `key` (in pop order), deleting the
/// key when it empties; and whether it did.
fn pop_from(
    db: &mut Db,
    key: &[u8],
    end: End,
    count: usize,
    now: Millis,
) -> (Vec<CompactBytes>, bool) {
    let (popped, emptied) = match list_mut(db, key, now) {
        Some(list) => (list.pop_many(end, count), list.is_empty()),
        None => (Vec::new(), false),
    };
    if emptied {
        db.remove(key);
    }
    (popped, emptied)
}

/// [`pop_from`] for one element: no vector for it.
fn pop_one(db: &mut Db, key: &[u8], end: End, now: Millis) -> (Option<CompactBytes>, bool) {
    let (popped, emptied) = match list_mut(db, key, now) {
        Some(list) => (list.pop(end), list.is_empty()),
        None => (None, false),
    };
    if emptied {
        db.remove(key);
    }
    (popped, emptied)
}

/// The first of `keys` holding a non-empty list, as Redis's multi-key pops scan them:
/// missing keys are skipped, but a key of another type stops the scan with WRONGTYPE.
fn first_non_empty<'k>(db: &mut Db, keys: &[&'k [u8]], now: Millis) -> Result<Option<&'k [u8]>> {
    for &key in keys {
        if peek_list(db, key, now)?.is_some_and(|list| !list.is_empty()) {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

// --- Argument parsing ----------------------------------------------------------------------

/// LEFT or RIGHT, in any case.
fn parse_end(arg: &[u8]) -> Result<End> {
    if is(arg, "left") {
        Ok(End::Left)
    } else if is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(Error::Syntax)
    }
}

/// An integer that must be at least `min`; anything else, including text that is not an
/// integer, fails with `message` (Redis's `getRangeLongFromObjectOrReply` with a message).
fn parse_at_least(arg: &[u8], min: i64, message: &'static str) -> Result<i64> {
    match parse_int(arg) {
        Ok(value) if value >= min => Ok(value),
        _ => Err(Error::Static(message)),
    }
}

/// A count as `usize`, saturating: no list is longer anyway.
fn to_count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

// --- Pushes --------------------------------------------------------------------------------

/// LPUSH, RPUSH, LPUSHX, RPUSHX: the X forms only push onto an existing list.
fn push_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], end: End, only_existing: bool) -> Result {
    let now = ctx.now;
    let limits = ctx.limits();
    let key = args[1];
    let db = ctx.db();
    let exists = peek_list(db, key, now)?.is_some();
    if only_existing && !exists {
        ctx.reply.integer(0);
        return Ok(());
    }
    let values = &args[2..];
    let len = push_to(db, key, values, end, (now, &limits));
    ctx.notify(events::LIST, push_event(end), key);
    ctx.reply.integer(len as i64);
    ctx.dirty(values.len() as u64);
    Ok(())
}

fn lpush(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    push_generic(ctx, args, End::Left, false)
}

fn rpush(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    push_generic(ctx, args, End::Right, false)
}

fn lpushx(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    push_generic(ctx, args, End::Left, true)
}

fn rpushx(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    push_generic(ctx, args, End::Right, true)
}

// --- Pops ----------------------------------------------------------------------------------

/// LPOP and RPOP. Without a count: one element, or null. With a count: an array, even for
/// count 0 (an empty one), but a null array for a missing key.
fn pop_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], end: End, name: &str) -> Result {
    if args.len() > 3 {
        return Err(Error::WrongArity(name.to_string()));
    }
    let count = match args.get(2) {
        Some(arg) => Some(parse_at_least(
            arg,
            0,
            "ERR value is out of range, must be positive",
        )?),
        None => None,
    };
    let now = ctx.now;
    let key = args[1];
    let (db, reply, _) = ctx.parts();
    if peek_list(db, key, now)?.is_none() {
        match count {
            Some(_) => reply.null_array(),
            None => reply.null(),
        }
        return Ok(());
    }
    let (popped, deleted) = match count {
        Some(0) => {
            reply.array(0);
            return Ok(());
        }
        Some(count) => {
            let (popped, deleted) = pop_from(db, key, end, to_count(count), now);
            reply.bulks(popped.iter().map(|e| e.as_slice()));
            (popped.len(), deleted)
        }
        None => {
            let (popped, deleted) = pop_one(db, key, end, now);
            reply.bulk_or_null(popped.as_ref().map(|e| e.as_slice()));
            (usize::from(popped.is_some()), deleted)
        }
    };
    notify_popped(ctx, key, end, deleted);
    ctx.dirty(popped as u64);
    Ok(())
}

fn lpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    pop_generic(ctx, args, End::Left, "lpop")
}

fn rpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    pop_generic(ctx, args, End::Right, "rpop")
}

/// Pops up to `count` from `end` of the list at `key` and replies `[key, [elements]]`, as
/// LMPOP and BLMPOP do.
fn pop_with_key(ctx: &mut Ctx<'_, '_>, key: &[u8], end: End, count: usize) {
    let (db, reply, now) = ctx.parts();
    let (popped, deleted) = pop_from(db, key, end, count, now);
    reply.array(2);
    reply.bulk(key);
    reply.bulks(popped.iter().map(|e| e.as_slice()));
    notify_popped(ctx, key, end, deleted);
    // Logged as the plain pop it was.
    let name: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
    ctx.propagate(&[name, key, popped.len().to_string().as_bytes()]);
    ctx.dirty(popped.len() as u64);
}

/// LMPOP's and BLMPOP's `numkeys key [key ...] LEFT|RIGHT [COUNT count]`, starting at
/// `args[numkeys_index]`: the keys, the end, and the count (1 by default).
fn parse_mpop<'a>(
    args: &'a [&'a [u8]],
    numkeys_index: usize,
) -> Result<(&'a [&'a [u8]], End, usize)> {
    let numkeys = parse_at_least(
        args[numkeys_index],
        1,
        "ERR numkeys should be greater than 0",
    )?;
    let first_key = numkeys_index + 1;
    let end_index = match usize::try_from(numkeys) {
        Ok(numkeys) if numkeys < args.len() - first_key => first_key + numkeys,
        _ => return Err(Error::Syntax),
    };
    let end = parse_end(args[end_index])?;
    let mut count = None;
    let mut i = end_index + 1;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if count.is_none() && is(args[i], "count") && has_value {
            count = Some(parse_at_least(
                args[i + 1],
                1,
                "ERR count should be greater than 0",
            )?);
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok((
        &args[first_key..end_index],
        end,
        to_count(count.unwrap_or(1)),
    ))
}

fn lmpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (keys, end, count) = parse_mpop(args, 1)?;
    let now = ctx.now;
    match first_non_empty(ctx.db(), keys, now)? {
        Some(key) => pop_with_key(ctx, key, end, count),
        None => ctx.reply.null_array(),
    }
    Ok(())
}

// --- Reads ---------------------------------------------------------------------------------

fn llen(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_list(db, args[1], now)?.map_or(0, List::len);
    reply.integer(len as i64);
    Ok(())
}

fn lrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let start = parse_int(args[2])?;
    let end = parse_int(args[3])?;
    let (db, reply, now) = ctx.parts();
    let Some(list) = read_list(db, args[1], now)? else {
        reply.array(0);
        return Ok(());
    };
    match clamp_range(list.len(), start, end) {
        Some((from, to)) => reply.bulks(list.range(from, to)),
        None => reply.array(0),
    }
    Ok(())
}

/// LINDEX: Redis looks the key up before reading the index, so a missing key answers null
/// even when the index is not a number.
fn lindex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let Some(list) = read_list(db, args[1], now)? else {
        reply.null();
        return Ok(());
    };
    let index = parse_int(args[2])?;
    reply.bulk_or_null(list.get(index));
    Ok(())
}

/// LPOS's options.
struct LposOptions {
    rank: i64,
    /// `None` without COUNT (reply with one index or null).
    count: Option<i64>,
    maxlen: i64,
}

fn parse_lpos_options(args: &[&[u8]]) -> Result<LposOptions> {
    let mut options = LposOptions {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut i = 0;
    while i < args.len() {
        let opt = args[i];
        let Some(value) = args.get(i + 1) else {
            return Err(Error::Syntax);
        };
        if is(opt, "rank") {
            options.rank = parse_int(value)?;
            if options.rank == 0 {
                return Err(Error::Static(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(opt, "count") {
            options.count = Some(parse_at_least(value, 0, "ERR COUNT can't be negative")?);
        } else if is(opt, "maxlen") {
            options.maxlen = parse_at_least(value, 0, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    Ok(options)
}

fn lpos(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let options = parse_lpos_options(&args[3..])?;
    let (db, reply, now) = ctx.parts();
    let Some(list) = read_list(db, args[1], now)? else {
        match options.count {
            Some(_) => reply.array(0),
            None => reply.null(),
        }
        return Ok(());
    };
    let found = list.positions(args[2], options.rank, options.count, options.maxlen);
    match options.count {
        Some(_) => {
            reply.array(found.len());
            for index in found {
                reply.integer(index as i64);
            }
        }
        None => match found.first() {
            Some(&index) => reply.integer(index as i64),
            None => reply.null(),
        },
    }
    Ok(())
}

// --- In-place changes ----------------------------------------------------------------------

fn lset(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let key = args[1];
    let db = ctx.db();
    let list = peek_list(db, key, now)?.ok_or(Error::NoSuchKey)?;
    let index = parse_int(args[2])?;
    if list.get(index).is_none() {
        return Err(Error::Static("ERR index out of range"));
    }
    if let Some(list) = list_mut(db, key, now) {
        list.set(index, args[3]);
    }
    ctx.notify(events::LIST, "lset", key);
    ctx.reply.ok();
    ctx.dirty(1);
    Ok(())
}

fn lrem(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let count = parse_int(args[2])?;
    let now = ctx.now;
    let key = args[1];
    let element = args[3];
    let db = ctx.db();
    let Some(list) = peek_list(db, key, now)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    // Only a list that really changes counts as written.
    let removed = if list.iter().any(|e| e[..] == *element) {
        let removed = list_mut(db, key, now).map_or(0, |list| list.remove(element, count));
        let deleted = remove_if_empty(db, key, now);
        ctx.notify(events::LIST, "lrem", key);
        if deleted {
            ctx.notify(events::GENERIC, "del", key);
        }
        removed
    } else {
        0
    };
    ctx.reply.integer(removed as i64);
    ctx.dirty(removed as u64);
    Ok(())
}

/// LTRIM. Redis signals the key as modified even when nothing is trimmed.
fn ltrim(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let start = parse_int(args[2])?;
    let end = parse_int(args[3])?;
    let now = ctx.now;
    let key = args[1];
    let db = ctx.db();
    if peek_list(db, key, now)?.is_none() {
        ctx.reply.ok();
        return Ok(());
    }
    let removed = list_mut(db, key, now).map_or(0, |list| list.trim(start, end));
    let deleted = remove_if_empty(db, key, now);
    ctx.notify(events::LIST, "ltrim", key);
    if deleted {
        ctx.notify(events::GENERIC, "del", key);
    }
    ctx.reply.ok();
    ctx.dirty(removed as u64);
    Ok(())
}

fn linsert(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let after = if is(args[2], "after") {
        true
    } else if is(args[2], "before") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let now = ctx.now;
    let limits = ctx.limits();
    let key = args[1];
    let (pivot, value) = (args[3], args[4]);
    let db = ctx.db();
    let Some(list) = peek_list(db, key, now)? else {
        ctx.reply.integer(0);
        return Ok(());
    };
    if !list.iter().any(|e| e[..] == *pivot) {
        ctx.reply.integer(-1);
        return Ok(());
    }
    let len = match list_mut(db, key, now) {
        Some(list) => {
            list.insert(pivot, value, after, &limits);
            list.len()
        }
        None => 0,
    };
    ctx.notify(events::LIST, "linsert", key);
    ctx.reply.integer(len as i64);
    ctx.dirty(1);
    Ok(())
}

// --- Moves ---------------------------------------------------------------------------------

/// LMOVE and RPOPLPUSH: a missing source answers null without looking at the destination;
/// otherwise a destination of another type fails before anything moves. The same key as
/// source and destination rotates the list.
fn move_generic(
    ctx: &mut Ctx<'_, '_>,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
) -> Result {
    let now = ctx.now;
    let limits = ctx.limits();
    let (db, reply, _) = ctx.parts();
    if peek_list(db, source, now)?.is_none() {
        reply.null();
        return Ok(());
    }
    peek_list(db, destination, now)?;
    let deleted = if source == destination {
        let moved = list_mut(db, source, now).and_then(|list| list.rotate(from, to, &limits));
        reply.bulk_or_null(moved);
        false
    } else {
        let (popped, deleted) = pop_one(db, source, from, now);
        let Some(element) = popped else {
            reply.null();
            return Ok(());
        };
        reply.bulk(&element);
        push_to(db, destination, &[element], to, (now, &limits));
        deleted
    };
    // As Redis: the push, then the pop and the source's deletion.
    ctx.notify(events::LIST, push_event(to), destination);
    notify_popped(ctx, source, from, deleted);
    ctx.dirty(1);
    Ok(())
}

fn lmove(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let from = parse_end(args[3])?;
    let to = parse_end(args[4])?;
    move_generic(ctx, args[1], args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    move_generic(ctx, args[1], args[2], End::Right, End::Left)
}

// --- Blocking forms ------------------------------------------------------------------------

/// BLPOP and BRPOP: `key [key ...] timeout`. Serves the first non-empty list at once with
/// `[key, element]`, else blocks on all the keys.
fn blocking_pop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], end: End) -> Result {
    let deadline = parse_timeout(args[args.len() - 1], ctx.now)?;
    let keys = &args[1..args.len() - 1];
    let now = ctx.now;
    let ready = ctx.ready_key.take();
    let ready = ready.as_deref();
    let Some(key) = first_non_empty(ctx.db(), pop_candidates(&ready, keys), now)? else {
        ctx.block(keys, deadline, TimeoutReply::NullArray, Pops::List);
        return Ok(());
    };
    let (db, reply, _) = ctx.parts();
    let (popped, deleted) = pop_one(db, key, end, now);
    reply.array(2);
    reply.bulk(key);
    reply.bulk_or_null(popped.as_ref().map(|e| e.as_slice()));
    notify_popped(ctx, key, end, deleted);
    // Logged as the plain pop it was, whenever it was served.
    let name: &[u8] = if end == End::Left { b"LPOP" } else { b"RPOP" };
    ctx.propagate(&[name, key]);
    ctx.dirty(u64::from(popped.is_some()));
    Ok(())
}

fn blpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    blocking_pop(ctx, args, End::Left)
}

fn brpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    blocking_pop(ctx, args, End::Right)
}

/// BLMPOP: `timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`. The timeout is checked
/// after the other arguments, as Redis does.
fn blmpop(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (keys, end, count) = parse_mpop(args, 2)?;
    let deadline = parse_timeout(args[1], ctx.now)?;
    let now = ctx.now;
    let ready = ctx.ready_key.take();
    let ready = ready.as_deref();
    match first_non_empty(ctx.db(), pop_candidates(&ready, keys), now)? {
        Some(key) => pop_with_key(ctx, key, end, count),
        None => ctx.block(keys, deadline, TimeoutReply::NullArray, Pops::List),
    }
    Ok(())
}

/// BLMOVE and BRPOPLPUSH: move at once when the source has data (checking the destination's
/// type then), else block on the source alone.
fn blocking_move(
    ctx: &mut Ctx<'_, '_>,
    args: &[&[u8]],
    from: End,
    to: End,
    timeout: &[u8],
) -> Result {
    let deadline = parse_timeout(timeout, ctx.now)?;
    let now = ctx.now;
    let (source, destination) = (&args[1], &args[2]);
    if peek_list(ctx.db(), source, now)?.is_none() {
        ctx.block(&[source], deadline, TimeoutReply::Null, Pops::List);
        return Ok(());
    }
    // Logged as the plain move it was, whenever it was served.
    let side = |end: End| -> &'static [u8] {
        if end == End::Left {
            b"LEFT"
        } else {
            b"RIGHT"
        }
    };
    ctx.propagate(&[&b"LMOVE"[..], source, destination, side(from), side(to)]);
    move_generic(ctx, source, destination, from, to)
}

fn blmove(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let from = parse_end(args[3])?;
    let to = parse_end(args[4])?;
    blocking_move(ctx, args, from, to, args[5])
}

fn brpoplpush(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    blocking_move(ctx, args, End::Right, End::Left, args[3])
}
