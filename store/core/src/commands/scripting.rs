//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.

use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{acl, flags, key, keynum, numkeys, Command, Flags, Group};
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::feed_monitors;
use crate::exec::script::{self, Script};
use crate::scripting::{sha1_hex, ScriptFlags};
use crate::server::Server;
use crate::state::script_watch::{busy_error, KillRefused};

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("eval", -3, eval)
        .flags(flags!(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MAY_REPLICATE | RUNS_SCRIPT))
        .acl(acl!(SCRIPTING))
        .keys(&[keynum(2, 0, 1, 1, key!(RW | ACCESS | UPDATE)).note("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")])
        .get_keys(numkeys(0, 2, 3))
        .request_flags(script_request_flags)
        .doc(Group::Scripting, "2.6.0", "Execute a Lua script server side"),
    Command::new("evalsha", -3, evalsha)
        .flags(flags!(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MAY_REPLICATE | RUNS_SCRIPT))
        .acl(acl!(SCRIPTING))
        .keys(&[keynum(2, 0, 1, 1, key!(RW | ACCESS | UPDATE))])
        .get_keys(numkeys(0, 2, 3))
        .request_flags(script_request_flags)
        .doc(Group::Scripting, "2.6.0", "Execute a Lua script server side"),
    Command::new("eval_ro", -3, eval_ro)
        .flags(flags!(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | RUNS_SCRIPT))
        .acl(acl!(SCRIPTING))
        .keys(&[keynum(2, 0, 1, 1, key!(RO | ACCESS)).note("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")])
        .get_keys(numkeys(0, 2, 3))
        .request_flags(script_request_flags)
        .doc(Group::Scripting, "7.0.0", "Execute a read-only Lua script server side"),
    Command::new("evalsha_ro", -3, evalsha_ro)
        .flags(flags!(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | RUNS_SCRIPT))
        .acl(acl!(SCRIPTING))
        .keys(&[keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 2, 3))
        .request_flags(script_request_flags)
        .doc(Group::Scripting, "7.0.0", "Execute a read-only Lua script server side"),
    Command::container("script", &[
        Command::new("script|flush", -2, script_flush)
            .flags(flags!(NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "2.6.0", "Remove all the scripts from the script cache."),
        Command::new("script|load", 3, script_load)
            .flags(flags!(NOSCRIPT | STALE))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "2.6.0", "Load the specified Lua script into the script cache."),
        Command::new("script|kill", 2, script_kill)
            .flags(flags!(NOSCRIPT | ALLOW_BUSY))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
            .doc(Group::Scripting, "2.6.0", "Kill the script currently in execution."),
        Command::new("script|exists", -3, script_exists)
            .flags(flags!(NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:agg_logical_and"])
            .doc(Group::Scripting, "2.6.0", "Check existence of scripts in the script cache."),
        Command::new("script|debug", 3, script_debug)
            .flags(flags!(NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .doc(Group::Scripting, "3.2.0", "Set the debug mode for executed scripts."),
        Command::new("script|help", 2, script_help)
            .flags(flags!(LOADING | STALE))
            .acl(acl!(SCRIPTING))
            .doc(Group::Scripting, "5.0.0", "Show helpful text about the different subcommands"),
    ])
        .doc(Group::Scripting, "2.6.0", "A container for Lua scripts management commands"),
];

const NOSCRIPT_ERROR: Error = Error::Static("NOSCRIPT No matching script. Please use EVAL.");

/// How an EVAL-family request names its script.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Named {
    /// EVAL: by its body.
    Body,
    /// EVALSHA: by its SHA-1.
    Sha,
}

fn eval(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    run(ctx, args, Named::Body, false)
}

fn evalsha(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    run(ctx, args, Named::Sha, false)
}

fn eval_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    run(ctx, args, Named::Body, true)
}

fn evalsha_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    run(ctx, args, Named::Sha, true)
}

/// Redis's `evalGenericCommand`: the checks in its order, then the script under the data
/// lock, its reply written for the caller.
fn run(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], named: Named, read_only: bool) -> Result {
    // MONITOR shows the script before the commands it runs.
    feed_monitors(ctx, "eval", args);
    if named == Named::Sha && args[1].len() != 40 {
        return Err(NOSCRIPT_ERROR);
    }
    let keys = script::split_keys(args, parse_int(args[2])?)?;
    // The data lock first, then the engine's: the order every path takes them in.
    ctx.keyspace();
    let server = ctx.server;
    let mut scripts = server.scripts();
    let found = match named {
        Named::Sha => scripts.get(args[1]),
        Named::Body => {
            let sha = scripts.create(args[1]).map_err(Error::Message)?;
            // INFO in the script counts it already, as in Redis.
            server.scripts_stats.publish(&scripts);
            scripts.get(&sha)
        }
    };
    let found = found.ok_or(NOSCRIPT_ERROR)?;
    let script = Script {
        eval: true,
        name: found.sha(),
        flags: found.flags,
        read_only_command: read_only,
    };
    script::run(ctx, &script, args, keys, |host, call, out| {
        scripts.run(found, call, host, out)
    })
}

/// The flags of an EVAL-family request (Redis's `evalGetCommandFlags`): those the script
/// declared in its shebang, if it is known and declared any, else the command's own.
fn script_request_flags(server: &Server, command: &'static Command, args: &[&[u8]]) -> Flags {
    let Some(named) = args.get(1) else {
        return command.flags;
    };
    let by_sha = matches!(command.full_name, "evalsha" | "evalsha_ro");
    if by_sha && named.len() != 40 {
        return command.flags;
    }
    let declared = {
        let scripts = server.scripts();
        let found = match by_sha {
            true => scripts.get(named),
            false => scripts.get(sha1_hex(named).as_bytes()),
        };
        match found {
            Some(script) => script.flags,
            None if by_sha => return command.flags,
            None => match crate::scripting::eval_flags(named) {
                Ok((flags, _)) => flags,
                Err(_) => return command.flags,
            },
        }
    };
    with_script_flags(command.flags, declared)
}

/// A command's flags once its script declared `declared` (Redis's `scriptFlagsToCmdFlags`):
/// it writes and may be refused for memory unless the script said otherwise.
pub(super) fn with_script_flags(flags: Flags, declared: ScriptFlags) -> Flags {
    if declared.contains(ScriptFlags::EVAL_COMPAT) {
        return flags;
    }
    let mut flags = Flags(
        flags.0 & !(Flags::STALE.0 | Flags::DENYOOM.0 | Flags::WRITE.0 | Flags::MAY_REPLICATE.0),
    );
    if declared.denied_when_full() {
        flags = flags.with(Flags::DENYOOM);
    }
    if declared.may_write() {
        flags = flags.with(Flags::WRITE);
    }
    if declared.contains(ScriptFlags::ALLOW_STALE) {
        flags = flags.with(Flags::STALE);
    }
    flags
}

fn script_flush(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let valid = match args {
        [_, _] => true,
        [_, _, mode] => is(mode, "sync") || is(mode, "async"),
        _ => false,
    };
    if !valid {
        return Err(Error::Static(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    ctx.server.scripts().flush();
    ctx.reply.ok();
    Ok(())
}

fn script_load(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let sha = ctx
        .server
        .scripts()
        .create(args[2])
        .map_err(Error::Message)?;
    ctx.reply.bulk(&sha);
    Ok(())
}

fn script_exists(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let scripts = ctx.server.scripts();
    ctx.reply.array(args.len() - 2);
    for sha in &args[2..] {
        ctx.reply.integer(i64::from(scripts.contains(sha)));
    }
    Ok(())
}

fn script_kill(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    kill(ctx, true)
}

/// SCRIPT KILL (`eval`) and FUNCTION KILL: stops the busy script or function, if it has not
/// written.
pub(super) fn kill(ctx: &mut Ctx<'_, '_>, eval: bool) -> Result {
    match ctx.server.watch.kill(eval) {
        Ok(()) => {
            ctx.reply.ok();
            Ok(())
        }
        Err(KillRefused::NotBusy) => {
            Err(Error::Static("NOTBUSY No scripts in execution right now."))
        }
        Err(KillRefused::Unkillable) => Err(Error::Static(
            "UNKILLABLE Sorry the script already executed write commands against the dataset. \
             You can either wait the script termination or kill the server in a hard way using \
             the SHUTDOWN NOSAVE command.",
        )),
        Err(KillRefused::WrongKind { eval }) => Err(busy_error(eval)),
    }
}

fn script_debug(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if ctx.conn.multi.is_some() {
        return Err(Error::Static(
            "ERR SCRIPT DEBUG must be called outside a pipeline",
        ));
    }
    let mode = &args[2];
    if is(mode, "no") {
        // Debugging is off, and stays off.
        ctx.reply.ok();
        return Ok(());
    }
    if is(mode, "yes") || is(mode, "sync") {
        return Err(Error::Static(
            "ERR SCRIPT DEBUG is not supported by this server: the Lua debugger (LDB) is not \
             available, scripts run without it",
        ));
    }
    Err(Error::Static("ERR Use SCRIPT DEBUG YES/SYNC/NO"))
}

fn script_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}
