//! MODULE: radish loads no modules (it has no module API), so MODULE LIST is always empty and
//! MODULE LOAD / LOADEX refuse, with Redis's own error and a log line saying why, where a
//! Redis would have loaded one. Like Redis, LOAD, LOADEX and UNLOAD are protected commands,
//! allowed only as `enable-module-command` says (the dispatcher checks).

use crate::error::{Error, Result};
use crate::exec::args::help;
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::container("module", &[
        Command::new("module|help", 2, module_help)
            .flags(flags!(LOADING | STALE))
            .doc(Group::Server, "5.0.0", "Show helpful text about the different subcommands"),
        Command::new("module|list", 2, module_list)
            .flags(flags!(ADMIN | NOSCRIPT))
            .tips(&["nondeterministic_output_order"])
            .doc(Group::Server, "4.0.0", "List all modules loaded by the server"),
        Command::new("module|load", -3, module_load)
            .flags(flags!(NO_ASYNC_LOADING | ADMIN | NOSCRIPT | PROTECTED))
            .doc(Group::Server, "4.0.0", "Load a module"),
        Command::new("module|loadex", -3, module_load)
            .flags(flags!(NO_ASYNC_LOADING | ADMIN | NOSCRIPT | PROTECTED))
            .doc(Group::Server, "7.0.0", "Load a module with extended parameters"),
        Command::new("module|unload", 3, module_unload)
            .flags(flags!(NO_ASYNC_LOADING | ADMIN | NOSCRIPT | PROTECTED))
            .doc(Group::Server, "4.0.0", "Unload a module"),
    ])
        .doc(Group::Server, "4.0.0", "A container for module commands"),
];

const HELP: &[&str] = &[
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
];

fn module_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(ctx, HELP);
    Ok(())
}

fn module_list(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.array(0);
    Ok(())
}

fn module_load(_ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    tracing::warn!(
        "Module {} failed to load: radish has no module API",
        String::from_utf8_lossy(args[2])
    );
    Err(Error::Static(
        "ERR Error loading the extension. Please check the server logs.",
    ))
}

fn module_unload(_ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    Err(Error::Static(
        "ERR Error unloading module: no such module with that name",
    ))
}
