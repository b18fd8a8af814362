//! Keyspace commands: DEL, EXISTS, expiry, TYPE, RENAME, KEYS, SCAN, COPY, MOVE, OBJECT...

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{cmd, container, Command};
use crate::exec::ctx::Ctx;
use radish_data::glob::Pattern;
use radish_data::Value;
use radish_data::{Entry, Millis};

const G: &str = "generic";
const WF: &[&str] = &["write", "fast"];
const RF: &[&str] = &["readonly", "fast"];

pub(super) const COMMANDS: &[Command] = &[
    cmd("del", -2, &["write"], (1, -1, 1), G, "Deletes one or more keys.", del),
    cmd("unlink", -2, WF, (1, -1, 1), G, "Asynchronously deletes one or more keys.", del),
    cmd("exists", -2, RF, (1, -1, 1), G, "Determines whether one or more keys exist.", exists),
    cmd("touch", -2, RF, (1, -1, 1), G, "Returns the number of existing keys out of those specified after updating the time they were last accessed.", touch),
    cmd("expire", -3, WF, (1, 1, 1), G, "Sets the expiration time of a key in seconds.", expire),
    cmd("pexpire", -3, WF, (1, 1, 1), G, "Sets the expiration time of a key in milliseconds.", pexpire),
    cmd("expireat", -3, WF, (1, 1, 1), G, "Sets the expiration time of a key to a Unix timestamp.", expireat),
    cmd("pexpireat", -3, WF, (1, 1, 1), G, "Sets the expiration time of a key to a Unix milliseconds timestamp.", pexpireat),
    cmd("ttl", 2, RF, (1, 1, 1), G, "Returns the expiration time in seconds of a key.", ttl),
    cmd("pttl", 2, RF, (1, 1, 1), G, "Returns the expiration time in milliseconds of a key.", pttl),
    cmd("expiretime", 2, RF, (1, 1, 1), G, "Returns the expiration time of a key as a Unix timestamp.", expiretime),
    cmd("pexpiretime", 2, RF, (1, 1, 1), G, "Returns the expiration time of a key as a Unix milliseconds timestamp.", pexpiretime),
    cmd("persist", 2, WF, (1, 1, 1), G, "Removes the expiration time of a key.", persist),
    cmd("type", 2, RF, (1, 1, 1), G, "Determines the type of value stored at a key.", type_),
    cmd("rename", 3, &["write"], (1, 2, 1), G, "Renames a key and overwrites the destination.", rename),
    cmd("renamenx", 3, WF, (1, 2, 1), G, "Renames a key only when the target key name doesn't exist.", renamenx),
    cmd("keys", 2, &["readonly"], (0, 0, 0), G, "Returns all key names that match a pattern.", keys),
    cmd("scan", -2, &["readonly"], (0, 0, 0), G, "Iterates over the key names in the database.", scan),
    cmd("randomkey", 1, &["readonly"], (0, 0, 0), G, "Returns a random key name from the database.", randomkey),
    cmd("copy", -3, &["write", "denyoom"], (1, 2, 1), G, "Copies the value of a key to a new key.", copy),
    cmd("move", 3, WF, (1, 1, 1), G, "Moves a key to another database.", move_),
    container("object", G, "A container for object introspection commands.", &[
        cmd("object|encoding", 3, &["readonly"], (2, 2, 1), G, "Returns the internal encoding of a Redis object.", object_encoding),
        cmd("object|refcount", 3, &["readonly"], (2, 2, 1), G, "Returns the reference count of a value of a key.", object_refcount),
        cmd("object|idletime", 3, &["readonly"], (2, 2, 1), G, "Returns the time since the last access to a Redis object.", object_idletime),
        cmd("object|freq", 3, &["readonly"], (2, 2, 1), G, "Returns the logarithmic access frequency counter of a Redis object.", object_freq),
        cmd("object|help", 2, &["loading", "stale"], (0, 0, 0), G, "Returns helpful text about the different subcommands.", object_help),
    ]),
];

fn del(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let now = ctx.now;
    let db = ctx.db();
    let mut deleted = 0;
    for key in &args[1..] {
        if db.contains(key, now) {
            db.remove(key);
            deleted += 1;
        }
    }
    ctx.reply.integer(deleted);
    ctx.dirty(deleted as u64);
    Ok(())
}

/// EXISTS and TOUCH: count every argument that names a live key (duplicates count again).
/// Only TOUCH marks the keys as accessed (for LRU and LFU), as in Redis.
fn count_existing(ctx: &mut Ctx<'_, '_>, args: &[Bytes], touch: bool) -> Result {
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

fn exists(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    count_existing(ctx, args, false)
}

fn touch(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    count_existing(ctx, args, true)
}

fn expire_generic(ctx: &mut Ctx<'_, '_>, args: &[Bytes], seconds: bool, absolute: bool) -> Result {
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
    let mut when = parse_int(&args[2])?;
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
    let key = &args[1][..];
    let db = ctx.db();
    let Some(entry) = db.get(key, now) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let current = entry.expires_at().map(|at| at as i64);
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
    } else {
        db.set_expiry(key, when as Millis);
        // Logged with an absolute deadline, as Redis does.
        ctx.propagate(&[&b"PEXPIREAT"[..], key, when.to_string().as_bytes()]);
    }
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

fn expire(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    expire_generic(ctx, args, true, false)
}

fn pexpire(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    expire_generic(ctx, args, false, false)
}

fn expireat(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    expire_generic(ctx, args, true, true)
}

fn pexpireat(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    expire_generic(ctx, args, false, true)
}

/// TTL and friends: -2 for no key, -1 for no deadline, else `answer(deadline, now)`.
fn ttl_generic(ctx: &mut Ctx<'_, '_>, key: &[u8], answer: fn(Millis, Millis) -> i64) -> Result {
    let (db, reply, now) = ctx.parts();
    let result = match db.read_untouched(key, now) {
        None => -2,
        Some(entry) => entry.expires_at().map_or(-1, |at| answer(at, now)),
    };
    reply.integer(result);
    Ok(())
}

fn ttl(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    ttl_generic(ctx, &args[1], |at, now| {
        ((i128::from(at.saturating_sub(now)) + 500) / 1000) as i64
    })
}

fn pttl(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    ttl_generic(ctx, &args[1], |at, now| at.saturating_sub(now) as i64)
}

fn expiretime(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    ttl_generic(ctx, &args[1], |at, _| {
        ((i128::from(at) + 500) / 1000) as i64
    })
}

fn pexpiretime(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    ttl_generic(ctx, &args[1], |at, _| at as i64)
}

fn persist(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let now = ctx.now;
    let db = ctx.db();
    let had_deadline = db
        .get(&args[1], now)
        .is_some_and(|e| e.expires_at().is_some());
    if had_deadline {
        db.set_expiry(&args[1], 0);
        ctx.dirty(1);
    }
    ctx.reply.integer(had_deadline as i64);
    Ok(())
}

fn type_(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let (db, reply, now) = ctx.parts();
    let name = db
        .read_untouched(&args[1], now)
        .map_or("none", |e| e.value.type_name());
    reply.simple(name.as_bytes());
    Ok(())
}

fn rename_generic(ctx: &mut Ctx<'_, '_>, args: &[Bytes], nx: bool) -> Result {
    let now = ctx.now;
    let (from, to) = (&args[1][..], &args[2][..]);
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
    if nx && db.contains(to, now) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let Some(entry) = db.remove(from) else {
        return Err(Error::NoSuchKey);
    };
    let deadline = entry.expires_at().unwrap_or(0);
    db.remove(to);
    db.insert(to, entry.value, deadline, now);
    if nx {
        ctx.reply.integer(1);
    } else {
        ctx.reply.ok();
    }
    ctx.dirty(1);
    Ok(())
}

fn rename(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
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

fn keys(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let pattern = compile(&args[1]);
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

fn scan(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let cursor = parse_cursor(&args[1])?;
    let mut count: i64 = 10;
    let mut pattern = None;
    let mut type_filter: Option<Bytes> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i >= 2;
        if is(&args[i], "count") && more {
            count = parse_int(&args[i + 1])?;
            if count < 1 {
                return Err(Error::Syntax);
            }
        } else if is(&args[i], "match") && more {
            pattern = compile(&args[i + 1]);
        } else if is(&args[i], "type") && more {
            type_filter = Some(args[i + 1].clone());
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

fn randomkey(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
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

fn copy(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let source_db = ctx.conn.db;
    let mut target_db = source_db;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if is(&args[i], "replace") {
            replace = true;
        } else if is(&args[i], "db") && i + 1 < args.len() {
            target_db = db_index(ctx, &args[i + 1])?;
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let (from, to) = (&args[1][..], &args[2][..]);
    if source_db == target_db && from == to {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now;
    let keyspace = ctx.keyspace();
    let Some(entry) = keyspace.db(source_db).read(from, now).cloned() else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let target = keyspace.db(target_db);
    if target.contains(to, now) {
        if !replace {
            ctx.reply.integer(0);
            return Ok(());
        }
        target.remove(to);
    }
    target.insert(
        to,
        entry.value.clone(),
        entry.expires_at().unwrap_or(0),
        now,
    );
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

fn move_(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let target_db = db_index(ctx, &args[2])?;
    let source_db = ctx.conn.db;
    if source_db == target_db {
        return Err(SAME_OBJECT);
    }
    let now = ctx.now;
    let key = &args[1][..];
    let (source, target) = ctx.keyspace().two_dbs(source_db, target_db);
    if !source.contains(key, now) || target.contains(key, now) {
        ctx.reply.integer(0);
        return Ok(());
    }
    let Some(entry) = source.remove(key) else {
        ctx.reply.integer(0);
        return Ok(());
    };
    let deadline = entry.expires_at().unwrap_or(0);
    target.insert(key, entry.value, deadline, now);
    ctx.reply.integer(1);
    ctx.dirty(1);
    Ok(())
}

/// OBJECT's subcommands look the key up as Redis does: a hit or miss, but no access.
fn object_lookup<'d>(ctx: &'d mut Ctx<'_, '_>, key: &[u8]) -> Option<&'d Entry> {
    let now = ctx.now;
    ctx.db().read_untouched(key, now)
}

fn object_encoding(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let encoding = object_lookup(ctx, &args[2]).map(|e| e.value.encoding());
    ctx.reply.bulk_or_null(encoding.map(str::as_bytes));
    Ok(())
}

/// Redis shares the integers 0..9999 between keys (refcount `INT_MAX`) unless an LRU or LFU
/// policy needs per-key access data.
fn object_refcount(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let policy_tracks_access = ctx
        .server
        .config()
        .get("maxmemory-policy")
        .is_some_and(|p| p.contains("lru") || p.contains("lfu"));
    let refcount = object_lookup(ctx, &args[2]).map(|e| match &e.value {
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

fn object_idletime(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let now = ctx.now;
    let Some(accessed) = object_lookup(ctx, &args[2]).map(|e| e.accessed) else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(idle) = ctx.db().access().idle_seconds(accessed, now) else {
        return Err(Error::Static("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    };
    ctx.reply.integer(idle as i64);
    Ok(())
}

fn object_freq(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let now = ctx.now;
    let Some(accessed) = object_lookup(ctx, &args[2]).map(|e| e.accessed) else {
        ctx.reply.null();
        return Ok(());
    };
    let Some(frequency) = ctx.db().access().frequency(accessed, now) else {
        return Err(Error::Static("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    };
    ctx.reply.integer(i64::from(frequency));
    Ok(())
}

fn object_help(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
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
