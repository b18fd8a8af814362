//! MONITOR: a connection that watches every command the server runs.
//!
//! The feeding happens in the session's `call`, after each command runs, as in Redis: queued
//! commands show when EXEC runs them, followed by the EXEC itself; admin commands are never
//! shown.

use crate::error::{Error, Result};
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("monitor", 1, monitor)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
        .doc(Group::Server, "1.0.0", "Listen for all requests received by the server in real time",),
];

fn monitor(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    // Inside EXEC a client expects one reply per command, so it cannot start streaming.
    if ctx.conn.in_exec {
        return Err(Error::Static(
            "ERR MONITOR isn't allowed for DENY BLOCKING client",
        ));
    }
    // A client that is monitoring already gets no reply at all, as in Redis.
    if ctx.server.clients.start_monitoring(ctx.client) {
        ctx.reply.ok();
    }
    Ok(())
}
