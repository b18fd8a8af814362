//! Functions: FCALL, FCALL_RO and FUNCTION (LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE,
//! STATS, KILL, HELP).

use std::sync::Arc;

use bytes::Bytes;
use radish_data::glob::glob_match;
use radish_data::rdb;

use crate::error::{Error, Result};
use crate::exec::args::{help, is, subcommand_syntax_error};
use crate::exec::command::{acl, flags, key, keynum, numkeys, Command, Flags, Group};
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::feed_monitors;
use crate::exec::script::{self, Script};
use crate::scripting::{Interrupt, RestorePolicy};
use crate::server::Server;
use crate::state::script_watch::busy_error;

use super::scripting::{kill, with_script_flags};

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("fcall", -3, fcall)
        .flags(flags!(NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | MAY_REPLICATE | RUNS_SCRIPT))
        .acl(acl!(SCRIPTING))
        .keys(&[keynum(2, 0, 1, 1, key!(RW | ACCESS | UPDATE)).note("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")])
        .get_keys(numkeys(0, 2, 3))
        .request_flags(function_request_flags)
        .doc(Group::Scripting, "7.0.0", "Invoke a function"),
    Command::new("fcall_ro", -3, fcall_ro)
        .flags(flags!(READONLY | NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS | RUNS_SCRIPT))
        .acl(acl!(SCRIPTING))
        .keys(&[keynum(2, 0, 1, 1, key!(RO | ACCESS)).note("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")])
        .get_keys(numkeys(0, 2, 3))
        .request_flags(function_request_flags)
        .doc(Group::Scripting, "7.0.0", "Invoke a read-only function"),
    Command::container("function", &[
        Command::new("function|flush", -2, function_flush)
            .flags(flags!(WRITE | NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Deleting all functions"),
        Command::new("function|kill", 2, function_kill)
            .flags(flags!(NOSCRIPT | ALLOW_BUSY))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:one_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Kill the function currently in execution."),
        Command::new("function|load", -3, function_load)
            .flags(flags!(WRITE | DENYOOM | NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Create a function with the given arguments (name, code, description)"),
        Command::new("function|delete", 3, function_delete)
            .flags(flags!(WRITE | NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Delete a function by name"),
        Command::new("function|list", -2, function_list)
            .flags(flags!(NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["nondeterministic_output_order"])
            .doc(Group::Scripting, "7.0.0", "List information about all the functions"),
        Command::new("function|restore", -3, function_restore)
            .flags(flags!(WRITE | DENYOOM | NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Restore all the functions on the given payload"),
        Command::new("function|stats", 2, function_stats)
            .flags(flags!(NOSCRIPT | ALLOW_BUSY))
            .acl(acl!(SCRIPTING))
            .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
            .doc(Group::Scripting, "7.0.0", "Return information about the function currently running (name, description, duration)"),
        Command::new("function|dump", 2, function_dump)
            .flags(flags!(NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .doc(Group::Scripting, "7.0.0", "Dump all functions into a serialized binary payload"),
        Command::new("function|help", 2, function_help)
            .flags(flags!(LOADING | STALE))
            .acl(acl!(SCRIPTING))
            .doc(Group::Scripting, "7.0.0", "Show helpful text about the different subcommands"),
    ])
        .doc(Group::Scripting, "7.0.0", "A container for function commands"),
];

fn fcall(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    call(ctx, args, false)
}

fn fcall_ro(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    call(ctx, args, true)
}

/// Redis's `fcallCommandGeneric`: the function, its keys, the checks its flags call for,
/// then the function under the data lock.
fn call(ctx: &mut Ctx<'_, '_>, args: &[&[u8]], read_only: bool) -> Result {
    // MONITOR shows the call before the commands the function runs.
    feed_monitors(ctx, "fcall", args);
    // The data lock first, then the functions': the order every path takes them in.
    ctx.keyspace();
    let server = ctx.server;
    let functions = server.functions();
    let flags = match functions.get(args[1]) {
        Some(function) => function.flags,
        None => return Err(Error::Static("ERR Function not found")),
    };
    let numkeys = radish_resp::number::parse_i64_strict(args[2])
        .ok_or(Error::Static("ERR Bad number of keys provided"))?;
    let keys = script::split_keys(args, numkeys)?;
    let name = String::from_utf8_lossy(args[1]).into_owned();
    let script = Script {
        eval: false,
        name: &name,
        flags,
        read_only_command: read_only,
    };
    script::run(ctx, &script, args, keys, |host, call, out| {
        functions.run(args[1], call, host, out)
    })
}

/// The flags of an FCALL request (Redis's `fcallGetCommandFlags`): the function's.
fn function_request_flags(server: &Server, command: &'static Command, args: &[&[u8]]) -> Flags {
    let declared = args
        .get(1)
        .and_then(|name| server.functions().get(name).map(|function| function.flags));
    match declared {
        Some(declared) => with_script_flags(command.flags, declared),
        None => command.flags,
    }
}

fn function_load(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut replace = false;
    let code_at = args.len() - 1;
    for option in &args[2..code_at] {
        if is(option, "replace") {
            replace = true;
        } else {
            return Err(Error::Message(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(option)
            )));
        }
    }
    ctx.keyspace();
    let name = ctx
        .server
        .functions_mut()
        .load(args[code_at], replace, load_timeout(ctx))
        .map_err(Error::Message)?;
    ctx.dirty(1);
    ctx.reply.bulk(name.as_bytes());
    Ok(())
}

/// FUNCTION LOAD's time budget for a library's code, which should only register functions
/// (Redis's `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT_NANOS: u64 = 500_000_000;

/// What stops a library's code past [`LOAD_TIMEOUT_NANOS`]: nothing when replaying a file
/// (as in Redis), or when the server was given no clock. FUNCTION RESTORE gets the budget
/// too, where Redis 7.0 has none and a library that never ends hangs the server.
fn load_timeout(ctx: &Ctx<'_, '_>) -> Option<Interrupt> {
    if ctx.conn.replaying {
        return None;
    }
    let timer = ctx.server.timer()?;
    let started = timer();
    Some(Arc::new(move || {
        timer().saturating_sub(started) > LOAD_TIMEOUT_NANOS
    }))
}

fn function_delete(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    ctx.keyspace();
    if !ctx.server.functions_mut().delete(args[2]) {
        return Err(Error::Static("ERR Library not found"));
    }
    ctx.dirty(1);
    ctx.reply.ok();
    Ok(())
}

fn function_flush(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args));
    }
    if let Some(mode) = args.get(2) {
        if !is(mode, "sync") && !is(mode, "async") {
            return Err(Error::Static(
                "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
            ));
        }
    }
    ctx.keyspace();
    ctx.server.functions_mut().flush();
    ctx.dirty(1);
    ctx.reply.ok();
    Ok(())
}

fn function_list(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let arg = &args[i];
        if !with_code && is(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && is(arg, "libraryname") {
            if i >= args.len() - 1 {
                return Err(Error::Static("ERR library name argument was not given"));
            }
            i += 1;
            pattern = Some(args[i]);
        } else {
            return Err(Error::Message(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
        i += 1;
    }
    let functions = ctx.server.functions();
    let libraries: Vec<_> = functions
        .libraries()
        .filter(|library| pattern.map_or(true, |p| glob_match(p, library.name.as_bytes(), true)))
        .collect();
    let reply = &mut ctx.reply;
    reply.array(libraries.len());
    for library in libraries {
        reply.map(if with_code { 4 } else { 3 });
        reply.bulk(b"library_name");
        reply.bulk(library.name.as_bytes());
        reply.bulk(b"engine");
        reply.bulk(b"LUA");
        reply.bulk(b"functions");
        reply.array(library.functions.len());
        for function in &library.functions {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(function.name.as_bytes());
            reply.bulk(b"description");
            reply.bulk_or_null(function.description.as_deref());
            reply.bulk(b"flags");
            let names = function.flags.names();
            reply.set(names.len());
            for name in names {
                reply.simple(name.as_bytes());
            }
        }
        if with_code {
            reply.bulk(b"library_code");
            reply.bulk(&library.code);
        }
    }
    Ok(())
}

fn function_stats(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let running = ctx.server.watch.running();
    if running.as_ref().is_some_and(|running| running.eval) {
        return Err(busy_error(true));
    }
    // Shared with a function running now (it reads the libraries too).
    let functions = ctx.server.functions();
    let now = ctx.server.timer().map_or(0, |timer| timer());
    let reply = &mut ctx.reply;
    reply.map(2);
    reply.bulk(b"running_script");
    match running {
        None => reply.null(),
        Some(running) => {
            reply.map(3);
            reply.bulk(b"name");
            reply.bulk(running.name.as_bytes());
            reply.bulk(b"command");
            reply.bulks(running.command.iter());
            reply.bulk(b"duration_ms");
            reply.integer((now.saturating_sub(running.started) / 1_000_000) as i64);
        }
    }
    reply.bulk(b"engines");
    reply.map(1);
    reply.bulk(b"LUA");
    reply.map(2);
    reply.bulk(b"libraries_count");
    reply.integer(functions.library_count() as i64);
    reply.bulk(b"functions_count");
    reply.integer(functions.function_count() as i64);
    Ok(())
}

fn function_kill(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    kill(ctx, false)
}

fn function_dump(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let compress = ctx.server.config().get_bool("rdbcompression");
    let payload = {
        let functions = ctx.server.functions();
        let mut payload = Vec::new();
        for library in functions.libraries() {
            payload.push(rdb::RDB_OPCODE_FUNCTION2);
            rdb::write_string(&mut payload, &library.code, compress);
        }
        rdb::dump_footer(&mut payload);
        payload
    };
    ctx.reply.bulk(&payload);
    Ok(())
}

fn function_restore(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 4 {
        return Err(subcommand_syntax_error(args));
    }
    let policy =
        match args.get(3) {
            None => RestorePolicy::Append,
            Some(policy) if is(policy, "append") => RestorePolicy::Append,
            Some(policy) if is(policy, "replace") => RestorePolicy::Replace,
            Some(policy) if is(policy, "flush") => RestorePolicy::Flush,
            Some(_) => return Err(Error::Static(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
        };
    let payload = &args[2];
    if rdb::verify_dump_payload(payload).is_none() {
        return Err(Error::Static(
            "ERR DUMP payload version or checksum are wrong",
        ));
    }
    let codes = library_codes(&payload[..payload.len() - rdb::DUMP_FOOTER_LEN])
        .map_err(|why| Error::Message(format!("ERR {why}")))?;
    ctx.keyspace();
    ctx.server
        .functions_mut()
        .restore(codes, policy, || load_timeout(ctx))
        .map_err(Error::Message)?;
    ctx.dirty(1);
    ctx.reply.ok();
    Ok(())
}

/// The libraries' code in a FUNCTION DUMP payload (its footer cut off), as Redis's
/// `rdbFunctionLoad` reads them, the format of 7.0's release candidates included.
fn library_codes(mut data: &[u8]) -> std::result::Result<Vec<Bytes>, &'static str> {
    /// Redis 7.0-rc1/rc2's opcode: name, engine, description and code apart.
    const RDB_OPCODE_FUNCTION: u8 = 246;
    let mut codes = Vec::new();
    while let Some((&kind, rest)) = data.split_first() {
        let mut at = 0;
        let code = match kind {
            rdb::RDB_OPCODE_FUNCTION2 => {
                rdb::read_string(rest, &mut at).ok_or("Failed loading library payload")?
            }
            RDB_OPCODE_FUNCTION => {
                let name = rdb::read_string(rest, &mut at).ok_or("Failed loading library name")?;
                let engine = rdb::read_string(rest, &mut at).ok_or("Failed loading engine name")?;
                let has_description = rdb::read_plain_length(rest, &mut at)
                    .ok_or("Failed loading library description indicator")?;
                if has_description != 0 {
                    rdb::read_string(rest, &mut at).ok_or("Failed loading library description")?;
                }
                let blob = rdb::read_string(rest, &mut at).ok_or("Failed loading library blob")?;
                let mut code = b"#!".to_vec();
                code.extend_from_slice(&engine);
                code.extend_from_slice(b" name=");
                code.extend_from_slice(&name);
                code.push(b'\n');
                code.extend_from_slice(&blob);
                code
            }
            _ => return Err("given type is not a function"),
        };
        codes.push(Bytes::from(code));
        data = &rest[at..];
    }
    Ok(codes)
}

fn function_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}
