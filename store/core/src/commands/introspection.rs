//! Introspection commands: TIME, MEMORY, ACL, LOLWUT, and CLIENT GETREDIR and
//! TRACKINGINFO (whose records live with their container, in `connection.rs`).
//!
//! Radish has no replication, no client-side caching and one user
//! (`default`, whose password is `requirepass`): these commands report exactly that, the way
//! Redis 7.0 reports a server in the same state.

use crate::error::Result;
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;

mod acl;
mod genpass;
mod lolwut;
mod memory;

/// TIME, MEMORY, ACL and LOLWUT.
#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("time", 1, time)
        .flags(flags!(LOADING | STALE | FAST))
        .tips(&["nondeterministic_output"])
        .doc(Group::Server, "2.6.0", "Return the current server time"),
    Command::container("memory", memory::SUBCOMMANDS)
        .doc(Group::Server, "4.0.0", "A container for memory diagnostics commands"),
    Command::container("acl", acl::SUBCOMMANDS)
        .doc(Group::Server, "6.0.0", "A container for Access List Control commands "),
    Command::new("lolwut", -1, lolwut::lolwut)
        .flags(flags!(READONLY | FAST))
        .doc(Group::Server, "5.0.0", "Display some computer art and the Redis version"),
];

fn time(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let now = ctx.now;
    ctx.reply.array(2);
    ctx.reply.bulk((now / 1000).to_string().as_bytes());
    ctx.reply.bulk(((now % 1000) * 1000).to_string().as_bytes());
    Ok(())
}
