//! Keyspace commands: DEL, EXISTS, expiry, TYPE, RENAME, KEYS, SCAN, COPY, MOVE, OBJECT...

use radish_data::glob::Pattern;
use radish_data::Value;
use radish_data::{Entry, Millis};

use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{acl, flags, key, range, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("del", -2, del)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, -1, 1, key!(RM | DELETE))])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc(Group::Generic, "1.0.0", "Delete a key"),
    Command::new("unlink", -2, del)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, -1, 1, key!(RM | DELETE))])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc(Group::Generic, "4.0.0", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking."),
    Command::new("exists", -2, exists)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, -1, 1, key!(RO))])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc(Group::Generic, "1.0.0", "Determine if a key exists"),
    Command::new("touch", -2, touch)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, -1, 1, key!(RO))])
        .tips(&["request_policy:multi_shard", "response_policy:agg_sum"])
        .doc(Group::Generic, "3.2.1", "Alters the last access time of a key(s). Returns the number of existing keys specified."),
    Command::new("expire", -3, expire)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Generic, "1.0.0", "Set a key's time to live in seconds"),
    Command::new("pexpire", -3, pexpire)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Generic, "2.6.0", "Set a key's time to live in milliseconds"),
    Command::new("expireat", -3, expireat)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Generic, "1.2.0", "Set the expiration for a key as a UNIX timestamp"),
    Command::new("pexpireat", -3, pexpireat)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Generic, "2.6.0", "Set the expiration for a key as a UNIX timestamp specified in milliseconds"),
    Command::new("ttl", 2, ttl)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Generic, "1.0.0", "Get the time to live for a key in seconds"),
    Command::new("pttl", 2, pttl)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Generic, "2.6.0", "Get the time to live for a key in milliseconds"),
    Command::new("expiretime", 2, expiretime)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Generic, "7.0.0", "Get the expiration Unix timestamp for a key"),
    Command::new("pexpiretime", 2, pexpiretime)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::Generic, "7.0.0", "Get the expiration Unix timestamp for a key in milliseconds"),
    Command::new("persist", 2, persist)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::Generic, "2.2.0", "Remove the expiration from a key"),
    Command::new("type", 2, type_)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::Generic, "1.0.0", "Determine the type stored at key"),
    Command::new("rename", 3, rename)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(OW | UPDATE))])
        .doc(Group::Generic, "1.0.0", "Rename a key"),
    Command::new("renamenx", 3, renamenx)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE)), range(2, 0, 1, key!(OW | INSERT))])
        .doc(Group::Generic, "1.0.0", "Rename a key, only if the new key does not exist"),
    Command::new("keys", 2, keys)
        .flags(flags!(READONLY))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .doc(Group::Generic, "1.0.0", "Find all keys matching the given pattern"),
    Command::new("scan", -2, scan)
        .flags(flags!(READONLY))
        .acl(acl!(KEYSPACE))
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc(Group::Generic, "2.8.0", "Incrementally iterate the keys space"),
    Command::new("randomkey", 1, randomkey)
        .flags(flags!(READONLY))
        .acl(acl!(KEYSPACE))
        .tips(&["request_policy:all_shards", "nondeterministic_output"])
        .doc(Group::Generic, "1.0.0", "Return a random key from the keyspace"),
    Command::new("copy", -3, copy)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS)), range(2, 0, 1, key!(OW | UPDATE))])
        .doc(Group::Generic, "6.2.0", "Copy a key"),
    Command::new("move", 3, move_)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::Generic, "1.0.0", "Move a key to another database"),
    Command::container("object", &[
        Command::new("object|encoding", 3, object_encoding)
            .flags(flags!(READONLY))
            .acl(acl!(KEYSPACE))
            .keys(&[range(2, 0, 1, key!(RO))])
            .tips(&["nondeterministic_output"])
            .doc(Group::Generic, "2.2.3", "Inspect the internal encoding of a Redis object"),
        Command::new("object|refcount", 3, object_refcount)
            .flags(flags!(READONLY))
            .acl(acl!(KEYSPACE))
            .keys(&[range(2, 0, 1, key!(RO))])
            .tips(&["nondeterministic_output"])
            .doc(Group::Generic, "2.2.3", "Get the number of references to the value of the key"),
        Command::new("object|idletime", 3, object_idletime)
            .flags(flags!(READONLY))
            .acl(acl!(KEYSPACE))
            .keys(&[range(2, 0, 1, key!(RO))])
            .tips(&["nondeterministic_output"])
            .doc(Group::Generic, "2.2.3", "Get the time since a Redis object was last accessed"),
        Command::new("object|freq", 3, object_freq)
            .flags(flags!(READONLY))
            .acl(acl!(KEYSPACE))
            .keys(&[range(2, 0, 1, key!(RO))])
            .tips(&["nondeterministic_output"])
            .doc(Group::Generic, "4.0.0", "Get the logarithmic access frequency counter of a Redis object"),
        Command::new("object|help", 2, object_help)
            .flags(flags!(LOADING | STALE))
            .acl(acl!(KEYSPACE))
            .doc(Group::Generic, "6.2.0", "Show helpful text about the different subcommands"),
    ])
        .doc(Group::Generic, "2.2.3", "A container for object introspection commands"),
];

fn del(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let mut deleted = 0;
    for key in &args[1..] {
        let db = ctx.db();
        if db.contains(key, now) {
            db.remove(key);
            ctx.notify(events::GENERIC, "del", key);
            deleted += 1;
        }
    }
    ctx.reply.integer(deleted);
    ctx.dirty(deleted as u64);
    Ok(())
}

/// EXISTS and TOUCH: count every argument that names a live key (duplicates count again).
/// Only TOUCH marks the keys as accessed (for LRU and LFU), as in Redis.
fn count_existing(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], touch: bool) -> Result {
    let now = ctx.now;
    let db = ctx.db();
    let mut found = 0;
    for key in &args[1..] {
        let exists = if touch {
            db.read(key, now).is_some()
        } else {
            db.read_untouched(key, now).is_some()
        };
        found += i64::from(exists);
    }
    ctx.reply.integer(found);
    Ok(())
}

fn exists(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    count_existing(ctx, args, false)
}

fn touch(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    count_existing(ctx, args, true)
}

fn expire_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], seconds: bool, absolute: bool) -> Result {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &args[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(Error::Message(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(Error::Static(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(Error::Static(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let name = args[0].to_ascii_lowercase();
    let invalid = || {
        Error::Message(format!(
            "ERR invalid expire time in '{}' command",
            String::from_utf8_lossy(&name)
        ))
    };
    let mut when = parse_int(args[2])?;
    if seconds {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        when *= 1000;
    }
    let now = ctx.now;
    let base = if absolute { 0 } else { now as i64 };
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    let key = args[1];
    let db = ctx.db();
    if !db.contains(key, now) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let current = db.deadline(key).map(|at| at as i64);
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.map_or(true, |c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.reply.integer(0);
        return Ok(());
    }
    if when <= now as i64 {
        db.remove(key);
        ctx.propagate(&[&b"DEL"[..], key]);
        ctx.notify(events::GENERIC, "del", key);
    } else {
        db.set_expiry(key, when as Millis);
        // Logged with an absolute deadline, as Redis does.
        ctx.propagate(&[&b"PEXPIREAT"[..], key, when.to_string().as_bytes()]);
        ctx.notify(events::GENERIC, "expire", key);
    }
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

fn expire(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    expire_generic(ctx, args, true, false)
}

fn pexpire(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    expire_generic(ctx, args, false, false)
}

fn expireat(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    expire_generic(ctx, args, true, true)
}

fn pexpireat(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    expire_generic(ctx, args, false, true)
}

/// TTL and friends: -2 for no key, -1 for no deadline, else `answer(deadline, now)`.
fn ttl_generic(ctx: &mut Ctx<'_, '_>, key: &[u8], answer: fn(Millis, Millis) -> i64) -> Result {
    let (db, reply, now) = ctx.parts();
    let result = match db.read_untouched(key, now) {
        None => -2,
        Some(_) => db.deadline(key).map_or(-1, |at| answer(at, now)),
    };
    reply.integer(result);
    Ok(())
}

fn ttl(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    ttl_generic(ctx, args[1], |at, now| {
        ((i128::from(at.saturating_sub(now)) + 500) / 1000) as i64
    })
}

fn pttl(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    ttl_generic(ctx, args[1], |at, now| at.saturating_sub(now) as i64)
}

fn expiretime(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    ttl_generic(ctx, args[1], |at, _| ((i128::from(at) + 500) / 1000) as i64)
}

fn pexpiretime(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    ttl_generic(ctx, args[1], |at, _| at as i64)
}

fn persist(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let db = ctx.db();
    let had_deadline = db.contains(args[1], now) && db.deadline(args[1]).is_some();
    if had_deadline {
        db.set_expiry(args[1], 0);
        ctx.notify(events::GENERIC, "persist", args[1]);
        ctx.dirty(1);
    }
    ctx.reply.integer(had_deadline as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let name = db
        .read_untouched(args[1], now)
        .map_or("none", |e| e.value.type_name());
    reply.simple(name.as_bytes());
    Ok(())
}

fn rename_generic(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], nx: bool) -> Result {
    let now = ctx.now;
    let (from, to) = (args[1], args[2]);
    let db = ctx.db();
    if !db.contains(from, now) {
        return Err(Error::NoSuchKey);
    }
    if from == to {
        if nx {
            ctx.reply.integer(0);
        } else {
            ctx.reply.ok();
        }
        return Ok(());
    }
    // Looked up even when it is to be replaced: an expired one expires first, as in Redis.
    if db.contains(to, now) && nx {
        ctx.reply.integer(0);
        return Ok(());
    }
    let Some((entry, deadline)) = db.take(from) else {
        return Err(Error::NoSuchKey);
    };
    db.remove(to);
    db.insert(to, entry.value, deadline, now);
    ctx.notify(events::GENERIC, "rename_from", from);
    ctx.notify(events::GENERIC, "rename_to", to);
    if nx {
        ctx.reply.integer(1);
    } else {
        ctx.reply.ok();
    }
    ctx.dirty(1);
    Ok(())
}

fn rename(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    rename_generic(ctx, args, true)
}

/// True if `key` matches the KEYS/SCAN pattern. As in Redis 7.0, the pattern `*` matches
/// every key, and the empty key matches no other pattern but the empty one.
fn key_matches(pattern: Option<&Pattern>, key: &[u8]) -> bool {
    match pattern {
        None => true,
        Some(pattern) if key.is_empty() => pattern.is_empty(),
        Some(pattern) => pattern.matches(key, false),
    }
}

fn compile(pattern: &[u8]) -> Option<Pattern> {
    (pattern != b"*").then(|| Pattern::new(pattern))
}

fn keys(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let pattern = compile(args[1]);
    let (db, reply, now) = ctx.parts();
    let found: Vec<&[u8]> = db
        .keys(now)
        .map(|k| &k[..])
        .filter(|k| key_matches(pattern.as_ref(), k))
        .collect();
    reply.bulks(found.into_iter());
    Ok(())
}

/// Parses a SCAN cursor as Redis does with `strtoul`: an optional sign, digits, nothing else;
/// the empty string is 0 and a negative number wraps.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64> {
    let invalid = || Error::Static("ERR invalid cursor");
    let (negative, digits) = match arg {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return if arg.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

fn scan(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let cursor = parse_cursor(args[1])?;
    let mut count: i64 = 10;
    let mut pattern = None;
    let mut type_filter: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i >= 2;
        if is(args[i], "count") && more {
            count = parse_int(args[i + 1])?;
            if count < 1 {
                return Err(Error::Syntax);
            }
        } else if is(args[i], "match") && more {
            pattern = compile(args[i + 1]);
        } else if is(args[i], "type") && more {
            type_filter = Some(args[i + 1]);
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let (db, reply, now) = ctx.parts();
    let mut found: Vec<Vec<u8>> = Vec::new();
    let next = db.scan(cursor, count as usize, now, |key, entry: &Entry| {
        let type_ok = type_filter.as_ref().map_or(true, |t| {
            t.eq_ignore_ascii_case(entry.value.type_name().as_bytes())
        });
        if type_ok && key_matches(pattern.as_ref(), key) {
            found.push(key.to_vec());
        }
    });
    reply.array(2);
    reply.bulk(next.to_string().as_bytes());
    reply.bulks(found.iter());
    Ok(())
}

fn randomkey(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let index = ctx.conn.db;
    let keyspace = ctx.keyspace();
    let mut rng = keyspace.rng.clone();
    let key = keyspace.db(index).random_key(now, &mut rng);
    keyspace.rng = rng;
    ctx.reply.bulk_or_null(key.as_deref());
    Ok(())
}

/// A database index argument (COPY ... DB, MOVE), checked against the number of databases.
fn db_index(ctx: &mut Ctx<'_, '_>, arg: &[u8]) -> Result<usize> {
    let index = parse_int(arg)?;
    if index < i32::MIN as i64 || index > i32::MAX as i64 {
        return Err(Error::NotInteger);
    }
    let count = ctx.keyspace().len() as i64;
    if index < 0 || index >= count {
        return Err(Error::DbIndexOutOfRange);
    }
    Ok(index as usize)
}

const SAME_OBJECT: Error = Error::Static("ERR source and destination objects are the same");

fn copy(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let source_db = ctx.conn.db;
    let mut target_db = source_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(args[i], "replace") {
            replace = true;
        } else if is(args[i], "db") && i + 1 < args.len() {
            target_db = db_index(ctx, args[i + 1])?;
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let (from, to) = (args[1], args[2]);
    if source_db == target_db && from == to {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now;
    let keyspace = ctx.keyspace();
    let source = keyspace.db(source_db);
    let Some(entry) = source.read(from, now).cloned() else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let deadline = source.deadline(from).unwrap_or(0);
    let target = keyspace.db(target_db);
    if target.contains(to, now) {
        if !replace {
            ctx.reply.integer(0);
            return Ok(());
        }
        target.remove(to);
    }
    target.insert(to, entry.value, deadline, now);
    ctx.notify_in(target_db, events::GENERIC, "copy_to", to);
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

fn move_(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let target_db = db_index(ctx, args[2])?;
    let source_db = ctx.conn.db;
    if source_db == target_db {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now;
    let key = args[1];
    let (source, target) = ctx.keyspace().two_dbs(source_db, target_db);
    if !source.contains(key, now) || target.contains(key, now) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let Some((entry, deadline)) = source.take(key) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    target.insert(key, entry.value, deadline, now);
    ctx.notify_in(source_db, events::GENERIC, "move_from", key);
    ctx.notify_in(target_db, events::GENERIC, "move_to", key);
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

/// OBJECT's subcommands look the key up as Redis does: a hit or miss, but no access.
fn object_lookup<'d>(ctx: &'d mut Ctx<'_, '_>, key: &[u8]) -> Option<&'d Entry> {
    let now = ctx.now;
    ctx.db().read_untouched_unreported(key, now)
}

fn object_encoding(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let encoding = object_lookup(ctx, args[2]).map(|e| e.value.encoding());
    ctx.reply.bulk_or_null(encoding.map(str::as_bytes));
    Ok(())
}

/// Redis shares the integers 0..9999 between keys (refcount `INT_MAX`) unless an LRU or LFU
/// policy needs per-key access data.
fn object_refcount(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let policy_tracks_access = ctx
        .server
        .config()
        .get("maxmemory-policy")
        .is_some_and(|p| p.contains("lru") || p.contains("lfu"));
    let refcount = object_lookup(ctx, args[2]).map(|e| match &e.value {
        Value::String(s) if !policy_tracks_access && s.encoding() == "int" => {
            match parse_int(&s.bytes) {
                Ok(n) if (0..10_000).contains(&n) => i32::MAX as i64,
                _ => 1,
            }
        }
        _ => 1,
    });
    match refcount {
        Some(n) => ctx.reply.integer(n),
        None => ctx.reply.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let Some(accessed) = object_lookup(ctx, args[2]).map(|e| e.accessed) else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(idle) = ctx.db().access().idle_seconds(accessed, now) else {
        return Err(Error::Static("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    };
    ctx.reply.integer(idle as i64);
    Ok(())
}

fn object_freq(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let Some(accessed) = object_lookup(ctx, args[2]).map(|e| e.accessed) else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(frequency) = ctx.db().access().frequency(accessed, now) else {
        return Err(Error::Static("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    };
    ctx.reply.integer(i64::from(frequency));
    Ok(())
}

fn object_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let lines: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Print this help.",
    ];
    help(ctx, lines);
    Ok(())
}
