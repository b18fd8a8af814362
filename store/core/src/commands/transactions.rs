//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::exec::args::borrowed;
use crate::exec::command::{acl, flags, key, range, Command, Group};
use crate::exec::conn::WatchedKey;
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::call_unblocking;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("multi", 1, multi)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY))
        .acl(acl!(TRANSACTION))
        .doc(Group::Transactions, "1.2.0", "Mark the start of a transaction block",),
    Command::new("exec", 1, exec)
        .flags(flags!(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG))
        .acl(acl!(TRANSACTION))
        .doc(Group::Transactions, "1.2.0", "Execute all commands issued after MULTI",),
    Command::new("discard", 1, discard)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY))
        .acl(acl!(TRANSACTION))
        .doc(Group::Transactions, "2.0.0", "Discard all commands issued after MULTI",),
    Command::new("watch", -2, watch)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY))
        .acl(acl!(TRANSACTION))
        .keys(&[range(1, -1, 1, key!(RO))])
        .doc(Group::Transactions, "2.2.0", "Watch the given keys to determine execution of the MULTI/EXEC block",),
    Command::new("unwatch", 1, unwatch)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY))
        .acl(acl!(TRANSACTION))
        .doc(Group::Transactions, "2.2.0", "Forget about all watched keys",),
];

fn multi(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    if ctx.conn.multi.is_some() {
        return Err(Error::Static("ERR MULTI calls can not be nested"));
    }
    ctx.conn.multi = Some(Vec::new());
    ctx.conn.multi_failed = false;
    ctx.reply.ok();
    Ok(())
}

/// True if any watched key was written, or expired, since it was watched.
fn watched_keys_changed(ctx: &mut Ctx<'_, '_>) -> bool {
    let now = ctx.now;
    let watching = ctx.conn.watching.clone();
    let keyspace = ctx.keyspace();
    watching.iter().any(|watched| {
        let db = keyspace.db(watched.db);
        db.watch_version(&watched.key) != watched.version
            || watched.deadline.is_some_and(|deadline| deadline <= now)
    })
}

fn exec(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let Some(queue) = ctx.conn.multi.take() else {
        return Err(Error::Static("ERR EXEC without MULTI"));
    };
    if std::mem::take(&mut ctx.conn.multi_failed) {
        ctx.unwatch_all();
        return Err(Error::Static(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    let changed = watched_keys_changed(ctx);
    ctx.unwatch_all();
    if changed {
        ctx.reply.null_array();
        return Ok(());
    }
    // The data lock is held from here to the end of the batch: no other client runs
    // between the queued commands.
    ctx.keyspace().log.begin_exec();
    ctx.reply.array(queue.len());
    ctx.conn.in_exec = true;
    for queued in &queue {
        call_unblocking(ctx, queued.command, &borrowed(&queued.args));
    }
    ctx.conn.in_exec = false;
    // In the append-only log, what the queue changed is wrapped in MULTI ... EXEC.
    ctx.keyspace().log.end_exec();
    Ok(())
}

fn discard(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    if ctx.conn.multi.take().is_none() {
        return Err(Error::Static("ERR DISCARD without MULTI"));
    }
    ctx.conn.multi_failed = false;
    ctx.unwatch_all();
    ctx.reply.ok();
    Ok(())
}

fn watch(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if ctx.conn.multi.is_some() {
        return Err(Error::Static("ERR WATCH inside MULTI is not allowed"));
    }
    let now = ctx.now;
    let index = ctx.conn.db;
    for key in &args[1..] {
        let already = ctx
            .conn
            .watching
            .iter()
            .any(|w| w.db == index && w.key == key);
        if already {
            continue;
        }
        let db = ctx.keyspace().db(index);
        let deadline = db.contains(key, now).then(|| db.deadline(key)).flatten();
        let version = db.watch(key);
        ctx.conn.watching.push(WatchedKey {
            db: index,
            key: Bytes::copy_from_slice(key),
            version,
            deadline,
        });
    }
    ctx.reply.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.unwatch_all();
    ctx.reply.ok();
    Ok(())
}
