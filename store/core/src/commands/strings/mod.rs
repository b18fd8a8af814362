//! String commands: GET, SET and friends, counters, ranges, LCS.

mod lcs;

use lcs::lcs;
use radish_data::{Db, Entry, Millis};
use radish_data::{StringOrigin, StringValue, Value};

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, key, range, Command, GetKeys, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("get", 2, get)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::String, "1.0.0", "Get the value of a key"),
    Command::new("set", -3, set)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE | VARIABLE_FLAGS)) .note("RW and ACCESS due to the optional `GET` argument")],)
        .get_keys(GetKeys::Set)
        .doc(Group::String, "1.0.0", "Set the string value of a key"),
    Command::new("setnx", 3, setnx)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(OW | INSERT))])
        .doc(Group::String, "1.0.0", "Set the value of a key, only if the key does not exist",),
    Command::new("setex", 4, setex)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE))])
        .doc(Group::String, "2.0.0", "Set the value and expiration of a key",),
    Command::new("psetex", 4, psetex)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE))])
        .doc(Group::String, "2.6.0", "Set the value and expiration in milliseconds of a key",),
    Command::new("getset", 3, getset)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::String, "1.0.0", "Set the string value of a key and return its old value",),
    Command::new("getdel", 2, getdel)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::String, "6.2.0", "Get the value of a key and delete the key",),
    Command::new("getex", -2, getex)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE)) .note("RW and UPDATE because it changes the TTL")])
        .doc(Group::String, "6.2.0", "Get the value of a key and optionally set its expiration",),
    Command::new("mget", -2, mget)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, -1, 1, key!(RO | ACCESS))])
        .tips(&["request_policy:multi_shard"])
        .doc(Group::String, "1.0.0", "Get the values of all the given keys",),
    Command::new("mset", -3, mset)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(STRING))
        .keys(&[range(1, -1, 2, key!(OW | UPDATE))])
        .tips(&["request_policy:multi_shard", "response_policy:all_succeeded"])
        .doc(Group::String, "1.0.1", "Set multiple keys to multiple values",),
    Command::new("msetnx", -3, msetnx)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(STRING))
        .keys(&[range(1, -1, 2, key!(OW | INSERT))])
        .tips(&["request_policy:multi_shard", "response_policy:agg_min"])
        .doc(Group::String, "1.0.1", "Set multiple keys to multiple values, only if none of the keys exist",),
    Command::new("append", 3, append)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::String, "2.0.0", "Append a value to a key"),
    Command::new("strlen", 2, strlen)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::String, "2.2.0", "Get the length of the value stored in a key",),
    Command::new("incr", 2, incr)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::String, "1.0.0", "Increment the integer value of a key by one",),
    Command::new("decr", 2, decr)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::String, "1.0.0", "Decrement the integer value of a key by one",),
    Command::new("incrby", 3, incrby)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::String, "1.0.0", "Increment the integer value of a key by the given amount",),
    Command::new("decrby", 3, decrby)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::String, "1.0.0", "Decrement the integer value of a key by the given number",),
    Command::new("incrbyfloat", 3, incrbyfloat)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::String, "2.6.0", "Increment the float value of a key by the given amount",),
    Command::new("getrange", 4, getrange)
        .flags(flags!(READONLY))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::String, "2.4.0", "Get a substring of the string stored at a key",),
    Command::new("substr", 4, getrange)
        .flags(flags!(READONLY))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::String, "1.0.0", "Get a substring of the string stored at a key",),
    Command::new("setrange", 4, setrange)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(STRING))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::String, "2.2.0", "Overwrite part of a string at key starting at the specified offset",),
    Command::new("lcs", -3, lcs)
        .flags(flags!(READONLY))
        .acl(acl!(STRING))
        .keys(&[range(1, 1, 1, key!(RO | ACCESS))])
        .doc(Group::String, "7.0.0", "Find longest common substring"),
];

/// The string in `entry`, or WRONGTYPE.
fn as_string(entry: &Entry) -> Result<&StringValue> {
    match &entry.value {
        Value::String(s) => Ok(s),
        _ => Err(Error::WrongType),
    }
}

/// The string at `key` for a read: `None` if missing, WRONGTYPE if not a string.
fn read_string<'d>(db: &'d mut Db, key: &[u8], now: Millis) -> Result<Option<&'d StringValue>> {
    db.read(key, now).map(as_string).transpose()
}

/// Largest string Redis allows (`proto-max-bulk-len`).
fn check_length(ctx: &Ctx<'_, '_>, len: u128) -> Result {
    let limit = ctx.server.config().get_int("proto-max-bulk-len").max(0) as u128;
    if len > limit {
        return Err(Error::Static(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

fn get(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let value = read_string(db, args[1], now)?;
    reply.bulk_or_null(value.map(|v| &v.bytes[..]));
    Ok(())
}

/// How an expiry argument is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpiryUnit {
    /// EX: seconds from now.
    Seconds,
    /// PX: milliseconds from now.
    Millis,
    /// EXAT: a Unix time in seconds.
    UnixSeconds,
    /// PXAT: a Unix time in milliseconds.
    UnixMillis,
}

/// Turns an EX/PX/EXAT/PXAT argument into a deadline, with Redis's checks and error text.
pub(crate) fn deadline(arg: &[u8], unit: ExpiryUnit, now: Millis, command: &str) -> Result<Millis> {
    let invalid = || Error::Message(format!("ERR invalid expire time in '{command}' command"));
    let mut value = parse_int(arg)?;
    let seconds = matches!(unit, ExpiryUnit::Seconds | ExpiryUnit::UnixSeconds);
    if value <= 0 || (seconds && value > i64::MAX / 1000) {
        return Err(invalid());
    }
    if seconds {
        value *= 1000;
    }
    if matches!(unit, ExpiryUnit::Seconds | ExpiryUnit::Millis) {
        if value > i64::MAX - now as i64 {
            return Err(invalid());
        }
        value += now as i64;
    }
    Ok(value as Millis)
}

/// Options shared by SET and GETEX.
#[derive(Debug, Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expiry: Option<(ExpiryUnit, &'a [u8])>,
}

/// Parses SET's (or GETEX's) options exactly as Redis's `parseExtendedStringArgumentsOrReply`:
/// conflicting options are a syntax error, the expiry value is checked afterwards.
fn parse_string_options<'a>(args: &'a [&'a [u8]], for_set: bool) -> Result<StringOptions<'a>> {
    let mut options = StringOptions::default();
    let mut i = 0;
    while i < args.len() {
        let opt = args[i];
        let next = args.get(i + 1);
        let has_expiry = options.expiry.is_some();
        if for_set && is(opt, "nx") && !options.xx {
            options.nx = true;
        } else if for_set && is(opt, "xx") && !options.nx {
            options.xx = true;
        } else if for_set && is(opt, "get") {
            options.get = true;
        } else if for_set && is(opt, "keepttl") && !has_expiry {
            options.keep_ttl = true;
        } else if !for_set && is(opt, "persist") && !has_expiry {
            options.persist = true;
        } else if let (Some(unit), Some(value)) = (expiry_unit(opt), next) {
            let same_unit = options.expiry.map_or(true, |(u, _)| u == unit);
            if options.keep_ttl || options.persist || !same_unit {
                return Err(Error::Syntax);
            }
            options.expiry = Some((unit, &value[..]));
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

fn expiry_unit(opt: &[u8]) -> Option<ExpiryUnit> {
    if is(opt, "ex") {
        Some(ExpiryUnit::Seconds)
    } else if is(opt, "px") {
        Some(ExpiryUnit::Millis)
    } else if is(opt, "exat") {
        Some(ExpiryUnit::UnixSeconds)
    } else if is(opt, "pxat") {
        Some(ExpiryUnit::UnixMillis)
    } else {
        None
    }
}

fn set(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let options = parse_string_options(&args[3..], true)?;
    let now = ctx.now;
    let expires_at = match options.expiry {
        Some((unit, arg)) => deadline(arg, unit, now, "set")?,
        None => 0,
    };
    let (db, reply, _) = ctx.parts();
    let key = args[1];
    let old_deadline = match options.keep_ttl && db.contains(key, now) {
        true => db.deadline(key).unwrap_or(0),
        false => 0,
    };
    let old = db.get(key, now);
    let found = old.is_some();
    if options.get {
        let old_value = old.map(as_string).transpose()?;
        reply.bulk_or_null(old_value.map(|v| &v.bytes[..]));
    }
    if (options.nx && found) || (options.xx && !found) {
        if !options.get {
            reply.null();
        }
        return Ok(());
    }
    let expires_at = if options.keep_ttl {
        old_deadline
    } else {
        expires_at
    };
    db.insert(key, Value::string(args[2]), expires_at, now);
    if !options.get {
        reply.ok();
    }
    ctx.notify(events::STRING, "set", key);
    if !options.keep_ttl && options.expiry.is_some() {
        ctx.notify(events::GENERIC, "expire", key);
    }
    if !options.keep_ttl && options.expiry.is_some() {
        // Logged as SET key value PXAT deadline whatever form the expiry came in (PXAT
        // included, upper-cased, without GET), as Redis 7.0 rewrites it.
        propagate_set_at(ctx, key, args[2], expires_at);
    }
    ctx.dirty(1);
    Ok(())
}

fn setnx(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let (db, reply, _) = ctx.parts();
    if db.contains(args[1], now) {
        reply.integer(0);
        return Ok(());
    }
    db.insert(args[1], Value::string(args[2]), 0, now);
    reply.integer(1);
    ctx.notify(events::STRING, "set", args[1]);
    ctx.dirty(1);
    Ok(())
}

fn set_with_expiry(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], unit: ExpiryUnit, name: &str) -> Result {
    let now = ctx.now;
    let expires_at = deadline(args[2], unit, now, name)?;
    ctx.db()
        .insert(args[1], Value::string(args[3]), expires_at, now);
    ctx.reply.ok();
    ctx.notify(events::STRING, "set", args[1]);
    ctx.notify(events::GENERIC, "expire", args[1]);
    propagate_set_at(ctx, args[1], args[3], expires_at);
    ctx.dirty(1);
    Ok(())
}

/// Logs `SET key value PXAT deadline`: relative expiries become absolute in the log.
fn propagate_set_at(ctx: &mut Ctx<'_, '_>, key: &[u8], value: &[u8], deadline: Millis) {
    ctx.propagate(&[
        &b"SET"[..],
        key,
        value,
        b"PXAT",
        deadline.to_string().as_bytes(),
    ]);
}

fn setex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_with_expiry(ctx, args, ExpiryUnit::Seconds, "setex")
}

fn psetex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_with_expiry(ctx, args, ExpiryUnit::Millis, "psetex")
}

fn getset(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let (db, reply, _) = ctx.parts();
    // A read, as Redis's GETSET looks the key up (a hit or miss, and its event).
    let old = db.read(args[1], now).map(as_string).transpose()?;
    reply.bulk_or_null(old.map(|v| &v.bytes[..]));
    db.insert(args[1], Value::string(args[2]), 0, now);
    ctx.notify(events::STRING, "set", args[1]);
    ctx.dirty(1);
    Ok(())
}

fn getdel(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let Some(value) = read_string(db, args[1], now)? else {
        reply.null();
        return Ok(());
    };
    reply.bulk(&value.bytes);
    db.remove(args[1]);
    ctx.propagate(&[&b"DEL"[..], args[1]]);
    ctx.notify(events::GENERIC, "del", args[1]);
    ctx.dirty(1);
    Ok(())
}

fn getex(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let options = parse_string_options(&args[2..], false)?;
    let (db, reply, now) = ctx.parts();
    let key = args[1];
    let Some(value) = read_string(db, key, now)? else {
        reply.null();
        return Ok(());
    };
    let expires_at = match options.expiry {
        Some((unit, arg)) => Some((unit, deadline(arg, unit, now, "getex")?)),
        None => None,
    };
    reply.bulk(&value.bytes);
    match expires_at {
        // An absolute time already past deletes the key, as Redis does.
        Some((ExpiryUnit::UnixSeconds | ExpiryUnit::UnixMillis, at)) if at <= now => {
            db.remove(key);
            ctx.propagate(&[&b"DEL"[..], key]);
            ctx.notify(events::GENERIC, "del", key);
        }
        Some((_, at)) => {
            db.set_expiry(key, at);
            ctx.propagate(&[&b"PEXPIREAT"[..], key, at.to_string().as_bytes()]);
            ctx.notify(events::GENERIC, "expire", key);
        }
        None if options.persist => {
            let had_deadline = db.deadline(key).is_some_and(|at| at != 0);
            db.set_expiry(key, 0);
            ctx.propagate(&[&b"PERSIST"[..], key]);
            if had_deadline {
                ctx.notify(events::GENERIC, "persist", key);
            }
        }
        None => return Ok(()),
    }
    ctx.dirty(1);
    Ok(())
}

fn mget(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    reply.array(args.len() - 1);
    for key in &args[1..] {
        match db.read(key, now).map(|e| &e.value) {
            Some(Value::String(s)) => reply.bulk(&s.bytes),
            _ => reply.null(),
        }
    }
    Ok(())
}

fn check_pairs(args: &[&[u8]], name: &str) -> Result {
    if args.len() % 2 == 0 {
        return Err(Error::WrongArity(name.to_string()));
    }
    Ok(())
}

fn mset(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    check_pairs(args, "mset")?;
    let now = ctx.now;
    for pair in args[1..].chunks(2) {
        ctx.db().insert(pair[0], Value::string(pair[1]), 0, now);
        ctx.notify(events::STRING, "set", pair[0]);
    }
    ctx.reply.ok();
    ctx.dirty((args.len() / 2) as u64);
    Ok(())
}

fn msetnx(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    check_pairs(args, "msetnx")?;
    let now = ctx.now;
    let db = ctx.db();
    if args[1..].chunks(2).any(|pair| db.contains(pair[0], now)) {
        ctx.reply.integer(0);
        return Ok(());
    }
    for pair in args[1..].chunks(2) {
        ctx.db().insert(pair[0], Value::string(pair[1]), 0, now);
        ctx.notify(events::STRING, "set", pair[0]);
    }
    ctx.reply.integer(1);
    ctx.dirty((args.len() / 2) as u64);
    Ok(())
}

/// Replaces the string at `key` with `bytes`, keeping its deadline (APPEND, SETRANGE, INCR...).
fn replace_string(db: &mut Db, key: &[u8], bytes: Vec<u8>, origin: StringOrigin, now: Millis) {
    let value = Value::String(StringValue {
        bytes: radish_data::CompactBytes::from_vec(bytes),
        origin,
    });
    match db.get_mut(key, now) {
        Some(entry) => entry.value = value,
        None => db.insert(key, value, 0, now),
    }
}

/// Changes the string at `key` (which the caller has checked is a string) in place: its
/// bytes, zero-padded to at least `min_len`, go to `change`. The value becomes `raw`, as a
/// string Redis modifies in place; its TTL stays. Returns the new length. Repeated calls
/// cost what `change` does, not a copy of the string (see `CompactBytes::make_growable`).
pub(super) fn change_in_place(
    db: &mut Db,
    key: &[u8],
    now: Millis,
    min_len: usize,
    change: impl FnOnce(&mut Vec<u8>),
) -> usize {
    let Some(Value::String(string)) = db.get_mut(key, now).map(|entry| &mut entry.value) else {
        return 0;
    };
    string.origin = StringOrigin::Modified;
    let bytes = string.bytes.make_growable();
    if bytes.len() < min_len {
        bytes.resize(min_len, 0);
    }
    change(bytes);
    bytes.len()
}

fn append(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let now = ctx.now;
    let key = args[1];
    let old_len = match ctx.db().get(key, now) {
        Some(entry) => Some(as_string(entry)?.bytes.len()),
        None => None,
    };
    check_length(ctx, old_len.unwrap_or(0) as u128 + args[2].len() as u128)?;
    let db = ctx.db();
    let len = match old_len {
        // An existing string is modified in place ("raw").
        Some(_) => change_in_place(db, key, now, 0, |bytes| {
            bytes.extend_from_slice(args[2]);
        }),
        // A new key is stored like SET stores it.
        None => {
            db.insert(key, Value::string(args[2]), 0, now);
            args[2].len()
        }
    };
    ctx.notify(events::STRING, "append", key);
    ctx.reply.integer(len as i64);
    ctx.dirty(1);
    Ok(())
}

fn strlen(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let len = read_string(db, args[1], now)?.map_or(0, |v| v.bytes.len());
    reply.integer(len as i64);
    Ok(())
}

fn incr_by(ctx: &mut Ctx<'_, '_>, key: &[u8], delta: i64) -> Result {
    let now = ctx.now;
    let mut updated = 0;
    // In place when the key exists: the TTL stays, as INCR keeps it in Redis.
    ctx.db().update(key, now, |entry| {
        let current = match entry {
            Some(entry) => parse_int(&as_string(entry)?.bytes)?,
            None => 0,
        };
        updated = current.checked_add(delta).ok_or(Error::Overflow)?;
        let text = radish_resp::number::NumberText::integer(updated);
        Ok(Some(Value::String(StringValue::stored(text.as_bytes()))))
    })?;
    ctx.notify(events::STRING, "incrby", key);
    ctx.reply.integer(updated);
    ctx.dirty(1);
    Ok(())
}

fn incr(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    incr_by(ctx, args[1], 1)
}

fn decr(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    incr_by(ctx, args[1], -1)
}

fn incrby(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let delta = parse_int(args[2])?;
    incr_by(ctx, args[1], delta)
}

fn decrby(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let delta = parse_int(args[2])?;
    if delta == i64::MIN {
        return Err(Error::Static("ERR decrement would overflow"));
    }
    incr_by(ctx, args[1], -delta)
}

/// Formats INCRBYFLOAT's result as Redis's `ld2string` with `LD_STR_HUMAN` does: the
/// `long double` printed with `"%.17Lf"`, trailing zeros and a trailing point removed.
pub(crate) fn format_human(value: radish_data::long_double::LongDouble) -> String {
    value.to_human()
}

fn incrbyfloat(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    use radish_data::long_double::LongDouble;

    let now = ctx.now;
    let key = args[1];
    let db = ctx.db();
    let current = match db.get(key, now) {
        Some(entry) => LongDouble::parse(&as_string(entry)?.bytes).ok_or(Error::NotFloat)?,
        None => LongDouble::ZERO,
    };
    // Redis computes in `long double` (80-bit on x86-64), not f64: see long_double.rs.
    let delta = LongDouble::parse(args[2]).ok_or(Error::NotFloat)?;
    let updated = current + delta;
    if !updated.is_finite() {
        return Err(Error::Static("ERR increment would produce NaN or Infinity"));
    }
    let text = format_human(updated);
    replace_string(
        db,
        key,
        text.clone().into_bytes(),
        StringOrigin::Created,
        now,
    );
    ctx.notify(events::STRING, "incrbyfloat", key);
    ctx.reply.bulk(text.as_bytes());
    // Logged as the result, so that replaying does not redo the float arithmetic.
    ctx.propagate(&[&b"SET"[..], key, text.as_bytes(), b"KEEPTTL"]);
    ctx.dirty(1);
    Ok(())
}

fn getrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut start = parse_int(args[2])?;
    let mut end = parse_int(args[3])?;
    let (db, reply, now) = ctx.parts();
    let Some(value) = read_string(db, args[1], now)? else {
        reply.bulk(b"");
        return Ok(());
    };
    let bytes = &value.bytes[..];
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        reply.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0).min(len - 1);
    if start > end || len == 0 {
        reply.bulk(b"");
    } else {
        reply.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let offset = parse_int(args[2])?;
    if offset < 0 {
        return Err(Error::Static("ERR offset is out of range"));
    }
    let offset = offset as usize;
    let patch = args[3];
    let now = ctx.now;
    let key = args[1];
    let existing_len = match ctx.db().get(key, now) {
        Some(entry) => Some(as_string(entry)?.bytes.len()),
        None => None,
    };
    if patch.is_empty() {
        ctx.reply.integer(existing_len.unwrap_or(0) as i64);
        return Ok(());
    }
    check_length(ctx, offset as u128 + patch.len() as u128)?;
    let end = offset + patch.len();
    let db = ctx.db();
    let len = match existing_len {
        Some(_) => change_in_place(db, key, now, end, |bytes| {
            bytes[offset..end].copy_from_slice(patch);
        }),
        None => {
            // Redis builds a new string here with createObject, never embstr or int: raw.
            let mut bytes = vec![0; end];
            bytes[offset..].copy_from_slice(patch);
            replace_string(db, key, bytes, StringOrigin::Modified, now);
            end
        }
    };
    ctx.notify(events::STRING, "setrange", key);
    ctx.reply.integer(len as i64);
    ctx.dirty(1);
    Ok(())
}
