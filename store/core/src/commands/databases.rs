//! The databases as a whole: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB.

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("dbsize", 1, dbsize)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .doc(Group::Server, "1.0.0", "Return the number of keys in the selected database"),
    Command::new("flushdb", -1, flushdb)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(Group::Server, "1.0.0", "Remove all keys from the current database"),
    Command::new("flushall", -1, flushall)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(Group::Server, "1.0.0", "Remove all keys from all databases"),
    Command::new("swapdb", 3, swapdb)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .doc(Group::Server, "4.0.0", "Swaps two Redis databases"),
];

fn dbsize(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let len = ctx.db().len();
    ctx.reply.integer(len as i64);
    Ok(())
}

fn flush_mode(args: &[&[u8]]) -> Result {
    match args.get(1) {
        None => Ok(()),
        Some(mode) if args.len() == 2 && (is(mode, "sync") || is(mode, "async")) => Ok(()),
        Some(_) => Err(Error::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    flush_mode(args)?;
    let db = ctx.db();
    let removed = db.len() as u64;
    db.clear();
    ctx.dirty(removed);
    ctx.reply.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    flush_mode(args)?;
    let (server, now) = (ctx.server, ctx.now);
    let keyspace = ctx.keyspace();
    let removed: usize = keyspace.dbs().iter().map(|db| db.len()).sum();
    keyspace.flush_all();
    // Counted as at least one change, so that the log records it and, without save rules,
    // `save` rules set later notice it.
    ctx.dirty(removed as u64 + 1);
    // With save rules, Redis 7.0 saves the empty dataset at once, which zeroes the count.
    server
        .persist
        .flushed_all(&server.config(), ctx.keyspace(), now);
    ctx.reply.ok();
    Ok(())
}

/// SWAPDB: clients connected to either database see the other's keys at once. Counted as
/// a change even for one database with itself, as Redis does.
fn swapdb(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    // An index must be a 32-bit integer (Redis's getIntFromObjectOrReply), then in range.
    let index = |arg: &[u8], invalid: &'static str| {
        parse_int(arg)
            .ok()
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or(Error::Static(invalid))
    };
    let first = index(args[1], "ERR invalid first DB index")?;
    let second = index(args[2], "ERR invalid second DB index")?;
    let keyspace = ctx.keyspace();
    let in_range = |index: i64| (0..keyspace.len() as i64).contains(&index);
    if !in_range(first) || !in_range(second) {
        return Err(Error::DbIndexOutOfRange);
    }
    if first != second {
        let now = ctx.now;
        let (a, b) = ctx.keyspace().two_dbs(first as usize, second as usize);
        a.swap_contents(b, now);
    }
    ctx.dirty(1);
    ctx.reply.ok();
    Ok(())
}
