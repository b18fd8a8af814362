//! COMMAND GETKEYS and GETKEYSANDFLAGS: where a command's keys are, as the execution layer
//! finds them (`exec/keys.rs`).

use crate::error::{Error, Result};
use crate::exec::command::Flags;
use crate::exec::ctx::Ctx;
use crate::exec::keys::{find_keys, has_keys};

/// COMMAND GETKEYS command [arg ...]: the keys of a whole command.
pub(in crate::commands) fn command_getkeys(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    getkeys(ctx, args, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]: the keys of a whole command, each with how the
/// command accesses it.
pub(in crate::commands) fn command_getkeysandflags(
    ctx: &mut Ctx<'_, '_>,
    args: &[&[u8]],
) -> Result {
    getkeys(ctx, args, true)
}

fn getkeys(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], with_flags: bool) -> Result {
    let argv = &args[2..];
    let command = ctx
        .commands
        .resolve(argv)
        .ok_or(Error::Static("ERR Invalid command specified"))?;
    if !has_keys(command) {
        return Err(Error::Static("ERR The command has no key arguments"));
    }
    if !command.arity_fits(argv.len()) {
        return Err(Error::Static(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let keys = find_keys(command, argv);
    // EVAL and FCALL may have no keys (Redis's `no_mandatory_keys` flag).
    if keys.is_empty() && !command.has(Flags::NO_MANDATORY_KEYS) {
        return Err(Error::Static("ERR Invalid arguments specified for command"));
    }
    let reply = &mut ctx.reply;
    reply.array(keys.len());
    for (position, flags) in keys {
        if with_flags {
            reply.array(2);
        }
        reply.bulk(argv[position]);
        if with_flags {
            reply.set(flags.names().count());
            for name in flags.names() {
                reply.simple(name.as_bytes());
            }
        }
    }
    Ok(())
}
