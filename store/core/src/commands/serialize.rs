//! Moving a key's value between servers as bytes: DUMP, RESTORE and RESTORE-ASKING.
//!
//! The payload is Redis 7.0's: the value in RDB's encoding (`radish_data::rdb::object`), then
//! the RDB version and a CRC-64, so a payload DUMPed by redis-server restores here and ours
//! restores there. RESTORE checks its arguments, then the key, then the TTL, then the payload,
//! in the order Redis's `restoreCommand` does, since that order decides which error a client
//! sees.

use radish_data::rdb::object::{read_object, write_object};
use radish_data::rdb::{dump_footer, dump_payload_version, verify_dump_payload, DUMP_FOOTER_LEN};
use radish_data::types::EncodingLimits;
use radish_data::{Millis, Value};

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, key, range, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("dump", 2, dump)
        .flags(flags!(READONLY))
        .acl(acl!(KEYSPACE))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::Generic, "2.6.0", "Return a serialized version of the value stored at the specified key."),
    Command::new("restore", -4, restore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE))])
        .doc(Group::Generic, "2.6.0", "Create a key using the provided serialized value, previously obtained using DUMP."),
    Command::new("restore-asking", -4, restore)
        .flags(flags!(WRITE | DENYOOM | ASKING))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE))])
        .doc(Group::Server, "3.0.0", "An internal command for migrating keys in a cluster"),
];

const BUSY_KEY: Error = Error::Static("BUSYKEY Target key name already exists.");
const BAD_PAYLOAD: Error = Error::Static("ERR DUMP payload version or checksum are wrong");
const BAD_DATA: Error = Error::Static("ERR Bad data format");

fn dump(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let compress = ctx.server.config().get_bool("rdbcompression");
    let limits = ctx.limits();
    let (db, reply, now) = ctx.parts();
    match db.read(args[1], now) {
        None => reply.null(),
        Some(entry) => reply.bulk(&dump_payload(&entry.value, &limits, compress)),
    }
    Ok(())
}

/// `value` as DUMP gives it (and MIGRATE sends it): its RDB encoding, the RDB version and
/// the checksum.
pub(super) fn dump_payload(value: &Value, limits: &EncodingLimits, compress: bool) -> Vec<u8> {
    let mut payload = Vec::new();
    write_object(&mut payload, value, limits, compress);
    dump_footer(&mut payload);
    payload
}

/// RESTORE's options after the payload.
#[derive(Default)]
struct RestoreOptions {
    replace: bool,
    absolute_ttl: bool,
    idle_seconds: Option<u64>,
    frequency: Option<u8>,
}

fn restore_options(args: &[&[u8]]) -> Result<RestoreOptions> {
    let mut options = RestoreOptions::default();
    let mut i = 0;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if is(args[i], "replace") {
            options.replace = true;
        } else if is(args[i], "absttl") {
            options.absolute_ttl = true;
        } else if is(args[i], "idletime") && has_value && options.frequency.is_none() {
            let idle = parse_int(args[i + 1])?;
            if idle < 0 {
                return Err(Error::Static("ERR Invalid IDLETIME value, must be >= 0"));
            }
            options.idle_seconds = Some(idle as u64);
            i += 1;
        } else if is(args[i], "freq") && has_value && options.idle_seconds.is_none() {
            let frequency = parse_int(args[i + 1])?;
            let Ok(frequency) = u8::try_from(frequency) else {
                return Err(Error::Static(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            };
            options.frequency = Some(frequency);
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

fn restore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let options = restore_options(&args[4..])?;
    let (key, payload) = (args[1], args[3]);
    let now = ctx.now;
    if !options.replace && ctx.db().contains(key, now) {
        return Err(BUSY_KEY);
    }
    let ttl = parse_int(args[2])?;
    if ttl < 0 {
        return Err(Error::Static("ERR Invalid TTL value, must be >= 0"));
    }
    let version = if ctx.server.debug.skip_checksum() {
        dump_payload_version(payload)
    } else {
        verify_dump_payload(payload)
    };
    if version.is_none() {
        return Err(BAD_PAYLOAD);
    }
    let limits = ctx.limits();
    let body = &payload[..payload.len() - DUMP_FOOTER_LEN];
    let value = read_object(body, &mut 0, &limits).map_err(|_| BAD_DATA)?;

    let db = ctx.db();
    let deleted = options.replace && db.remove(key).is_some();
    let deadline = match ttl {
        0 => 0,
        ttl if options.absolute_ttl => ttl,
        ttl => ttl.saturating_add(now as i64),
    };
    if deadline != 0 && deadline <= now as i64 {
        // Restored already expired: nothing to add, only the old value's removal to log.
        if deleted {
            ctx.propagate(&[&b"DEL"[..], key]);
            ctx.notify(events::GENERIC, "del", key);
            ctx.dirty(1);
        }
        ctx.reply.ok();
        return Ok(());
    }
    db.insert(key, value, deadline as Millis, now);
    if options.idle_seconds.is_some() || options.frequency.is_some() {
        let accessed = db
            .access()
            .restored(now, options.idle_seconds, options.frequency);
        if let Some(entry) = db.get_mut_unwatched(key, now) {
            entry.accessed = accessed;
        }
    }
    if ttl != 0 && !options.absolute_ttl {
        // Logged with an absolute deadline, as Redis does.
        let deadline = deadline.to_string();
        let mut logged: Vec<&[u8]> = args.to_vec();
        logged[2] = deadline.as_bytes();
        logged.push(b"ABSTTL");
        ctx.propagate(&logged);
    }
    ctx.notify(events::GENERIC, "restore", key);
    ctx.reply.ok();
    ctx.dirty(1);
    Ok(())
}
