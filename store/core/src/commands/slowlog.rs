//! SLOWLOG GET, LEN, RESET and HELP: reading the slow log (`state/slowlog.rs`), as Redis
//! 7.0's `slowlogCommand` answers.

use crate::error::{Error, Result};
use crate::exec::args::{help, parse_int, subcommand_syntax_error};
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;

/// Entries SLOWLOG GET returns without a count.
const DEFAULT_COUNT: usize = 10;

/// SLOWLOG and its subcommands.
#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::container("slowlog", &[
        Command::new("slowlog|get", -2, slowlog_get)
            .flags(flags!(ADMIN | LOADING | STALE))
            .tips(&["request_policy:all_nodes", "nondeterministic_output"])
            .doc(Group::Server, "2.2.12", "Get the slow log's entries"),
        Command::new("slowlog|len", 2, slowlog_len)
            .flags(flags!(ADMIN | LOADING | STALE))
            .tips(&["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"])
            .doc(Group::Server, "2.2.12", "Get the slow log's length"),
        Command::new("slowlog|reset", 2, slowlog_reset)
            .flags(flags!(ADMIN | LOADING | STALE))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Server, "2.2.12", "Clear all entries from the slow log"),
        Command::new("slowlog|help", 2, slowlog_help)
            .flags(flags!(LOADING | STALE))
            .doc(Group::Server, "6.2.0", "Show helpful text about the different subcommands"),
    ])
        .doc(Group::Server, "2.2.12", "A container for slow log commands"),
];

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all), each as
/// id, time, duration, arguments, client address and client name.
fn slowlog_get(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let count = match args.len() {
        2 => DEFAULT_COUNT,
        3 => match parse_int(args[2]) {
            Ok(-1) => usize::MAX,
            Ok(count) if count >= 0 => count as usize,
            _ => {
                return Err(Error::Static(
                    "ERR count should be greater than or equal to -1",
                ))
            }
        },
        _ => return Err(subcommand_syntax_error(args)),
    };
    let entries = ctx.server.slowlog.entries();
    let sent = entries.list.len().min(count);
    ctx.reply.array(sent);
    for entry in entries.list.iter().take(sent) {
        ctx.reply.array(6);
        ctx.reply.integer(entry.id as i64);
        ctx.reply.integer(entry.time as i64);
        ctx.reply.integer(entry.micros as i64);
        ctx.reply.array(entry.args.len());
        for arg in &entry.args {
            ctx.reply.bulk(arg);
        }
        ctx.reply.bulk(entry.peer.as_bytes());
        ctx.reply.bulk(&entry.name);
    }
    Ok(())
}

/// SLOWLOG LEN: how many entries the log holds.
fn slowlog_len(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let len = ctx.server.slowlog.entries().list.len();
    ctx.reply.integer(len as i64);
    Ok(())
}

/// SLOWLOG RESET: empties the log (entry ids keep counting).
fn slowlog_reset(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.server.slowlog.entries().list.clear();
    ctx.reply.ok();
    Ok(())
}

fn slowlog_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}
