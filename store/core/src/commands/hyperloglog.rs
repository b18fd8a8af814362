//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//!
//! An HLL is a string value in Redis's format (radish-data's `hll` module has the format and
//! the algorithm); these handlers look keys up, check them and change them in place as Redis
//! 7.0's hyperloglog.c does, since that decides what clients, WATCH and the log see:
//!
//! - PFADD signals its key and counts a change only when a register grew (or it created the
//!   key); an error half-way (a malformed sparse string) keeps what it changed before it,
//!   unsignalled, as in Redis.
//! - PFCOUNT of one key caches the count in the string when the cache was stale: a write that
//!   signals the key and is logged as sent, although the command is read-only. Of several keys
//!   it only reads.
//! - PFMERGE always writes and signals its destination (one of its sources too), turning it
//!   dense if a source is dense.
//! - PFDEBUG GETREG and TODENSE turn a sparse string dense and log the command, without
//!   signalling the key.
//!
//! Every command that changes an existing HLL, or only looks at it in place (PFCOUNT,
//! PFDEBUG), makes its string `raw`, as Redis's `dbUnshareStringValue` does. Changes keep
//! the TTL.

use radish_data::hll::{self, Encoding, Registers};
use radish_data::{CompactBytes, Db, Entry, Millis, Rng};
use radish_data::{StringOrigin, StringValue, Value};

use crate::error::{Error, Result};
use crate::exec::command::{acl, flags, key, range, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("pfadd", -2, pfadd)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(HYPERLOGLOG))
        .keys(&[range(1, 0, 1, key!(RW | INSERT))])
        .doc(Group::Hyperloglog, "2.8.9", "Adds the specified elements to the specified HyperLogLog."),
    Command::new("pfcount", -2, pfcount)
        .flags(flags!(READONLY | MAY_REPLICATE))
        .acl(acl!(HYPERLOGLOG))
        .keys(&[range(1, -1, 1, key!(RW | ACCESS)).note("RW because it may change the internal representation of the key, and propagate to replicas")])
        .doc(Group::Hyperloglog, "2.8.9", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s)."),
    Command::new("pfmerge", -2, pfmerge)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(HYPERLOGLOG))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | INSERT)), range(2, -1, 1, key!(RO | ACCESS))])
        .doc(Group::Hyperloglog, "2.8.9", "Merge N different HyperLogLogs into a single one."),
    Command::new("pfdebug", 3, pfdebug)
        .flags(flags!(WRITE | DENYOOM | ADMIN))
        .acl(acl!(HYPERLOGLOG))
        .keys(&[range(2, 0, 1, key!(RW | ACCESS))])
        .doc(Group::Hyperloglog, "2.8.9", "Internal commands for debugging HyperLogLog values"),
    Command::new("pfselftest", 1, pfselftest)
        .flags(flags!(ADMIN))
        .acl(acl!(HYPERLOGLOG))
        .doc(Group::Hyperloglog, "2.8.9", "An internal command for testing HyperLogLog values"),
];

/// A string that is not an HLL (Redis sends it with the WRONGTYPE code).
const NOT_HLL: Error = Error::Static("WRONGTYPE Key is not a valid HyperLogLog string value.");
/// PFDEBUG of a missing key.
const NO_KEY: Error = Error::Static("ERR The specified key does not exist");
/// A sparse HLL whose runs do not describe its registers.
const CORRUPT: Error = Error::Static("INVALIDOBJ Corrupted HLL object detected");

/// The HLL in `entry` and its encoding: WRONGTYPE for another type, [`NOT_HLL`] for a string
/// Redis would not take for an HLL.
fn hll_in(entry: &Entry) -> Result<(&[u8], Encoding)> {
    let Value::String(string) = &entry.value else {
        return Err(Error::WrongType);
    };
    let bytes: &[u8] = &string.bytes;
    let encoding = hll::encoding(bytes).ok_or(NOT_HLL)?;
    Ok((bytes, encoding))
}

/// A new, empty HLL value (Redis creates it `raw`).
fn new_hll() -> Value {
    Value::String(StringValue {
        bytes: CompactBytes::from_vec(hll::new_sparse()),
        origin: StringOrigin::Modified,
    })
}

/// Runs `change` on the bytes of the HLL at `key` (checked by the caller), in place and
/// without signalling the key: the caller signals it when Redis does. The string becomes
/// `raw`, as Redis unshares it before it touches it.
fn change_hll<T>(
    db: &mut Db,
    key: &[u8],
    now: Millis,
    change: impl FnOnce(&mut Vec<u8>) -> T,
) -> Option<T> {
    let Some(Value::String(string)) = db.get_mut_unwatched(key, now).map(|e| &mut e.value) else {
        return None;
    };
    string.origin = StringOrigin::Modified;
    Some(change(string.bytes.make_growable()))
}

/// Whether the string at `key` is already `raw` (as Redis sees it: changed in place).
fn is_unshared(db: &Db, key: &[u8]) -> bool {
    matches!(db.peek(key).map(|e| &e.value), Some(Value::String(s)) if s.origin == StringOrigin::Modified)
}

// --- PFADD ---------------------------------------------------------------------------------

fn pfadd(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let key = args[1];
    let sparse_max = ctx.limits().hll_sparse_bytes;
    let (db, reply, now) = ctx.parts();
    let mut updated = 0u64;
    match db.get(key, now) {
        Some(entry) => {
            hll_in(entry)?;
        }
        None => {
            db.insert(key, new_hll(), 0, now);
            updated += 1;
        }
    }
    let added = change_hll(db, key, now, |bytes| {
        for element in &args[2..] {
            if hll::add(bytes, element, sparse_max).map_err(|_| CORRUPT)? {
                updated += 1;
            }
        }
        if updated > 0 {
            hll::invalidate_cache(bytes);
        }
        Ok(())
    });
    // On an error the elements before it stay added, unsignalled and uncounted, as in Redis
    // (which changes its string in place).
    added.unwrap_or(Ok(()))?;
    if updated > 0 {
        db.signal_modified(key);
    }
    reply.integer(i64::from(updated > 0));
    if updated > 0 {
        ctx.notify(events::STRING, "pfadd", key);
    }
    ctx.dirty(updated);
    Ok(())
}

// --- PFCOUNT -------------------------------------------------------------------------------

fn pfcount(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 2 {
        return pfcount_union(ctx, &args[1..]);
    }
    let key = args[1];
    let (db, reply, now) = ctx.parts();
    let Some(entry) = db.read(key, now) else {
        reply.integer(0);
        return Ok(());
    };
    let (bytes, _) = hll_in(entry)?;
    let cached = hll::cached_count(bytes);
    let counted = cached.is_none().then(|| hll::count(bytes));
    // Redis unshares the string first, whatever it finds in it.
    if !is_unshared(db, key) {
        change_hll(db, key, now, |_| ());
    }
    let count = match (cached, counted) {
        (Some(count), _) => count,
        (None, Some(Ok(count))) => {
            change_hll(db, key, now, |bytes| hll::set_cached_count(bytes, count));
            // A write, logged as sent so that replicas cache the same bytes.
            db.signal_modified(key);
            ctx.dirty(1);
            count
        }
        (None, _) => return Err(CORRUPT),
    };
    ctx.reply.integer(count as i64);
    Ok(())
}

/// PFCOUNT of several keys: the count of their union, written nowhere.
fn pfcount_union(ctx: &mut Ctx<'_, '_>, keys: &[&[u8]]) -> Result {
    let (db, reply, now) = ctx.parts();
    let mut union = Registers::new();
    for key in keys {
        // A missing key is an empty HLL.
        if let Some(entry) = db.read(key, now) {
            let (bytes, _) = hll_in(entry)?;
            union.merge(bytes).map_err(|_| CORRUPT)?;
        }
    }
    reply.integer(union.count() as i64);
    Ok(())
}

// --- PFMERGE -------------------------------------------------------------------------------

fn pfmerge(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let sparse_max = ctx.limits().hll_sparse_bytes;
    let (db, reply, now) = ctx.parts();
    let target = args[1];
    // The destination is a source too.
    let mut union = Registers::new();
    let mut dense = false;
    for key in &args[1..] {
        if let Some(entry) = db.read(key, now) {
            let (bytes, encoding) = hll_in(entry)?;
            dense |= encoding == Encoding::Dense;
            union.merge(bytes).map_err(|_| CORRUPT)?;
        }
    }
    if db.get(target, now).is_none() {
        db.insert(target, new_hll(), 0, now);
    }
    let merged = change_hll(db, target, now, |bytes| {
        // A dense source makes the destination dense at once; else it stays sparse until
        // it must not.
        if dense {
            hll::to_dense(bytes).map_err(|_| CORRUPT)?;
        }
        union.store_into(bytes, sparse_max);
        Ok(())
    });
    merged.unwrap_or(Ok(()))?;
    db.signal_modified(target);
    reply.ok();
    // A merge is announced as an add of many elements, as Redis does.
    ctx.notify(events::STRING, "pfadd", target);
    ctx.dirty(1);
    Ok(())
}

// --- PFDEBUG -------------------------------------------------------------------------------

/// What a PFDEBUG subcommand answers.
enum Debug {
    /// The registers, and whether the string was sparse (and is now dense).
    Registers(Vec<u8>, bool),
    Decoded(Vec<u8>),
    Encoding(Encoding),
    ToDense(bool),
}

/// The argument as Redis's `strcasecmp` and `%s` see it: up to its first NUL byte.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter()
        .position(|&b| b == 0)
        .map_or(arg, |end| &arg[..end])
}

fn pfdebug(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (sub, key) = (c_str(args[1]), args[2]);
    let (db, reply, now) = ctx.parts();
    // The key comes first: a missing one is the error whatever the subcommand.
    let Some(entry) = db.get(key, now) else {
        return Err(NO_KEY);
    };
    let (_, encoding) = hll_in(entry)?;
    let answer = change_hll(db, key, now, |bytes| {
        if sub.eq_ignore_ascii_case(b"getreg") {
            let converted = hll::to_dense(bytes).map_err(|_| CORRUPT)?;
            Ok(Debug::Registers(
                hll::dense_registers(bytes).collect(),
                converted,
            ))
        } else if sub.eq_ignore_ascii_case(b"decode") {
            hll::decode(bytes)
                .map(Debug::Decoded)
                .ok_or(Error::Static("ERR HLL encoding is not sparse"))
        } else if sub.eq_ignore_ascii_case(b"encoding") {
            Ok(Debug::Encoding(encoding))
        } else if sub.eq_ignore_ascii_case(b"todense") {
            hll::to_dense(bytes)
                .map(Debug::ToDense)
                .map_err(|_| CORRUPT)
        } else {
            // Redis's error formatting turns line breaks into spaces.
            let name: String = String::from_utf8_lossy(sub)
                .chars()
                .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
                .collect();
            Err(Error::Message(format!(
                "ERR Unknown PFDEBUG subcommand '{name}'"
            )))
        }
    });
    let answer = answer.unwrap_or(Err(NO_KEY))?;
    let mut converted = false;
    match answer {
        Debug::Registers(registers, changed) => {
            // GETREG leaves a sparse string dense, as TODENSE does.
            converted = changed;
            reply.array(registers.len());
            for value in registers {
                reply.integer(i64::from(value));
            }
        }
        Debug::Decoded(text) => reply.bulk(&text),
        Debug::Encoding(encoding) => reply.simple(encoding.name().as_bytes()),
        Debug::ToDense(changed) => {
            converted = changed;
            reply.integer(i64::from(changed));
        }
    }
    if converted {
        // Logged so that replicas convert too; WATCH does not see it, as in Redis.
        ctx.dirty(1);
    }
    Ok(())
}

// --- PFSELFTEST ----------------------------------------------------------------------------

fn pfselftest(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let sparse_max = ctx.server.config().get_int("hll-sparse-max-bytes").max(0) as usize;
    hll::self_test(&mut Rng::from_entropy(), sparse_max)
        .map_err(|text| Error::Message(format!("ERR {text}")))?;
    ctx.reply.ok();
    Ok(())
}
