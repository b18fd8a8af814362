//! Functions: FUNCTION FLUSH. Radish has no functions yet, so there is nothing to remove.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::exec::args::is;
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::container("function", &[
        Command::new("function|flush", -2, function_flush)
            .flags(flags!(WRITE | NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Deleting all functions"),
    ])
        .doc(Group::Scripting, "7.0.0", "A container for function commands"),
];

fn function_flush(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    match args.get(2) {
        None => {}
        Some(mode) if args.len() == 3 && (is(mode, "sync") || is(mode, "async")) => {}
        Some(_) => {
            return Err(Error::Static(
                "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
            ))
        }
    }
    // Radish has no functions, so there is nothing to remove.
    ctx.reply.ok();
    Ok(())
}
