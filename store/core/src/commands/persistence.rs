//! Persistence commands: SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF.

use crate::error::{Error, Result};
use crate::exec::args::is;
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::persist::{Busy, RewriteRefused, SaveError, Started};
use crate::state::script_watch::busy_error;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("save", 1, save)
        .flags(flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI))
        .doc(Group::Server, "1.0.0", "Synchronously save the dataset to disk",),
    Command::new("bgsave", -1, bgsave)
        .flags(flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING))
        .doc(Group::Server, "1.0.0", "Asynchronously save the dataset to disk",),
    Command::new("bgrewriteaof", 1, bgrewriteaof)
        .flags(flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING))
        .doc(Group::Server, "1.0.0", "Asynchronously rewrite the append-only file",),
    Command::new("lastsave", 1, lastsave)
        .flags(flags!(LOADING | STALE | FAST))
        .acl(acl!(ADMIN | DANGEROUS))
        .tips(&["nondeterministic_output"])
        .doc(Group::Server, "1.0.0", "Get the UNIX time stamp of the last successful save to disk",),
    Command::new("shutdown", -1, shutdown)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY))
        .doc(Group::Server, "1.0.0", "Synchronously save the dataset to disk and then shut down the server"),
];

const SAVE_IN_PROGRESS: Error = Error::Static("ERR Background save already in progress");

fn save(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let (server, now) = (ctx.server, ctx.now);
    let data = ctx.keyspace();
    let config = server.config();
    match server.persist.save(&config, data, now) {
        Ok(()) => {
            drop(config);
            ctx.reply.ok();
            Ok(())
        }
        Err(SaveError::InProgress) => Err(SAVE_IN_PROGRESS),
        // Redis answers a failed SAVE with a bare "-ERR"; the log says why.
        Err(SaveError::Failed) => Err(Error::Static("ERR")),
    }
}

fn bgsave(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let schedule = match &args[1..] {
        [] => false,
        [word] if is(word, "schedule") => true,
        _ => return Err(Error::Syntax),
    };
    let (server, now) = (ctx.server, ctx.now);
    let data = ctx.keyspace();
    let config = server.config();
    let outcome = server.persist.bgsave(&config, data, now, schedule);
    drop(config);
    match outcome {
        Ok(Started::Now) => ctx.reply.simple(b"Background saving started"),
        Ok(Started::Scheduled) => ctx.reply.simple(b"Background saving scheduled"),
        Err(Busy::Same) => return Err(SAVE_IN_PROGRESS),
        Err(Busy::Other) => {
            return Err(Error::Static(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use \
                 BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            ))
        }
    }
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let (server, now) = (ctx.server, ctx.now);
    let data = ctx.keyspace();
    let config = server.config();
    let outcome = server.persist.bgrewriteaof(&config, data, now);
    drop(config);
    match outcome {
        Ok(Started::Now) => ctx
            .reply
            .simple(b"Background append only file rewriting started"),
        Ok(Started::Scheduled) => ctx
            .reply
            .simple(b"Background append only file rewriting scheduled"),
        Err(RewriteRefused::CannotWrite) => {
            return Err(Error::Static(
                "ERR Can't execute an AOF background rewriting. Please check the server logs \
                 for more information.",
            ))
        }
        Err(RewriteRefused::InProgress) => {
            return Err(Error::Static(
                "ERR Background append only file rewriting already in progress",
            ))
        }
    }
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let at = ctx.server.persist.last_save();
    ctx.reply.integer(at as i64);
    Ok(())
}

fn shutdown(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let (mut abort, mut save, mut nosave, mut force, mut at_once) =
        (false, false, false, false, false);
    for arg in &args[1..] {
        if is(arg, "abort") {
            abort = true;
        } else if is(arg, "save") {
            save = true;
        } else if is(arg, "nosave") {
            nosave = true;
        } else if is(arg, "force") {
            force = true;
        } else if is(arg, "now") {
            at_once = true;
        } else {
            return Err(Error::Syntax);
        }
    }
    if (save && nosave) || (abort && (save || nosave || force || at_once)) {
        return Err(Error::Syntax);
    }
    if abort {
        return Err(Error::Static("ERR No shutdown in progress."));
    }
    // While a script is busy (this runs only then, or when none runs), only SHUTDOWN NOSAVE
    // stops the server, and the script with it.
    if let Some(running) = ctx.server.watch.running() {
        if !nosave {
            return Err(busy_error(running.eval));
        }
        ctx.server.watch.force_kill();
    }
    // Saves (SAVE, or by default when `save` rules are set) before stopping; a failed save
    // keeps the server running unless FORCE.
    let choice = (save || nosave).then_some(save);
    let (server, now) = (ctx.server, ctx.now);
    let data = ctx.keyspace();
    let saved = server
        .persist
        .prepare_shutdown(&server.config(), data, now, choice);
    if saved.is_err() && !force {
        return Err(Error::Static("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    // Like Redis, a successful SHUTDOWN sends no reply: the connection just closes.
    ctx.server.request_shutdown();
    ctx.conn.close_after_reply = true;
    Ok(())
}
