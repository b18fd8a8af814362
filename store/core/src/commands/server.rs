//! Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, CONFIG, COMMAND, TIME, FUNCTION, SHUTDOWN.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::info;
use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{acl, flags, BeginSearch, Command, FindKeys, Group, KeySpec};
use crate::exec::ctx::Ctx;
use crate::exec::reply::Reply;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("info", -1, info_command)
        .flags(flags!(LOADING | STALE))
        .acl(acl!(DANGEROUS))
        .tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"])
        .doc(Group::Server, "1.0.0", "Get information and statistics about the server"),
    Command::new("dbsize", 1, dbsize)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(KEYSPACE))
        .tips(&["request_policy:all_shards", "response_policy:agg_sum"])
        .doc(Group::Server, "1.0.0", "Return the number of keys in the selected database"),
    Command::new("flushdb", -1, flushdb)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(Group::Server, "1.0.0", "Remove all keys from the current database"),
    Command::new("flushall", -1, flushall)
        .flags(flags!(WRITE))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(Group::Server, "1.0.0", "Remove all keys from all databases"),
    Command::new("swapdb", 3, swapdb)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(KEYSPACE | DANGEROUS))
        .doc(Group::Server, "4.0.0", "Swaps two Redis databases"),
    Command::container("config", &[
        Command::new("config|get", -3, config_get)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .doc(Group::Server, "2.0.0", "Get the values of configuration parameters"),
        Command::new("config|set", -4, config_set)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Server, "2.0.0", "Set configuration parameters to the given values"),
        Command::new("config|rewrite", 2, config_rewrite)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .doc(Group::Server, "2.8.0", "Rewrite the configuration file with the in memory configuration"),
        Command::new("config|resetstat", 2, config_resetstat)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .doc(Group::Server, "2.0.0", "Reset the stats returned by INFO"),
        Command::new("config|help", 2, config_help)
            .flags(flags!(LOADING | STALE))
            .doc(Group::Server, "5.0.0", "Show helpful text about the different subcommands"),
    ])
        .doc(Group::Server, "2.0.0", "A container for server configuration commands"),
    Command::new("command", -1, command_all)
        .flags(flags!(LOADING | STALE))
        .acl(acl!(CONNECTION))
        .tips(&["nondeterministic_output_order"])
        .subcommands(&[
            Command::new("command|count", 2, command_count)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "2.8.13", "Get total number of Redis commands"),
            Command::new("command|info", -2, command_info)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .tips(&["nondeterministic_output_order"])
                .doc(Group::Server, "2.8.13", "Get array of specific Redis command details, or all when no argument is given."),
            Command::new("command|docs", -2, command_docs)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .tips(&["nondeterministic_output_order"])
                .doc(Group::Server, "7.0.0", "Get array of specific Redis command documentation"),
            Command::new("command|list", -2, super::introspection::command_list)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .tips(&["nondeterministic_output_order"])
                .doc(Group::Server, "7.0.0", "Get an array of Redis command names"),
            Command::new("command|getkeys", -4, super::introspection::command_getkeys)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "2.8.13", "Extract keys given a full Redis command"),
            Command::new("command|getkeysandflags", -4, super::introspection::command_getkeysandflags)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "7.0.0", "Extract keys and access flags given a full Redis command"),
            Command::new("command|help", 2, command_help)
                .flags(flags!(LOADING | STALE))
                .acl(acl!(CONNECTION))
                .doc(Group::Server, "5.0.0", "Show helpful text about the different subcommands"),
        ])
        .doc(Group::Server, "2.8.13", "Get array of Redis command details"),
    Command::new("time", 1, time)
        .flags(flags!(LOADING | STALE | FAST))
        .tips(&["nondeterministic_output"])
        .doc(Group::Server, "2.6.0", "Return the current server time"),
    Command::container("function", &[
        Command::new("function|flush", -2, function_flush)
            .flags(flags!(WRITE | NOSCRIPT))
            .acl(acl!(SCRIPTING))
            .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
            .doc(Group::Scripting, "7.0.0", "Deleting all functions"),
    ])
        .doc(Group::Scripting, "7.0.0", "A container for function commands"),
    Command::new("shutdown", -1, shutdown)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY))
        .doc(Group::Server, "1.0.0", "Synchronously save the dataset to disk and then shut down the server"),
];

fn info_command(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let sections: Vec<String> = args[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    // What this connection ran earlier in the same batch shows, as it would in Redis.
    if let Some(batch) = ctx.conn.stats.as_mut() {
        ctx.server.stats.commands().fold(batch);
    }
    let text = info::render(ctx, &sections);
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

fn dbsize(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    let len = ctx.db().len();
    ctx.reply.integer(len as i64);
    Ok(())
}

fn flush_mode(args: &[Bytes]) -> Result {
    match args.get(1) {
        None => Ok(()),
        Some(mode) if args.len() == 2 && (is(mode, "sync") || is(mode, "async")) => Ok(()),
        Some(_) => Err(Error::Syntax),
    }
}

fn flushdb(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    flush_mode(args)?;
    let db = ctx.db();
    let removed = db.len() as u64;
    db.clear();
    ctx.dirty(removed);
    ctx.reply.ok();
    Ok(())
}

fn flushall(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    flush_mode(args)?;
    let (server, now) = (ctx.server, ctx.now);
    let keyspace = ctx.keyspace();
    let removed: usize = keyspace.dbs().iter().map(|db| db.len()).sum();
    keyspace.flush_all();
    // Counted as at least one change, so that the log records it and, without save rules,
    // `save` rules set later notice it.
    ctx.dirty(removed as u64 + 1);
    // With save rules, Redis 7.0 saves the empty dataset at once, which zeroes the count.
    server
        .persist
        .flushed_all(&server.config(), ctx.keyspace(), now);
    ctx.reply.ok();
    Ok(())
}

/// SWAPDB: clients connected to either database see the other's keys at once. Counted as
/// a change even for one database with itself, as Redis does.
fn swapdb(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    // An index must be a 32-bit integer (Redis's getIntFromObjectOrReply), then in range.
    let index = |arg: &[u8], invalid: &'static str| {
        parse_int(arg)
            .ok()
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or(Error::Static(invalid))
    };
    let first = index(&args[1], "ERR invalid first DB index")?;
    let second = index(&args[2], "ERR invalid second DB index")?;
    let keyspace = ctx.keyspace();
    let in_range = |index: i64| (0..keyspace.len() as i64).contains(&index);
    if !in_range(first) || !in_range(second) {
        return Err(Error::DbIndexOutOfRange);
    }
    if first != second {
        let now = ctx.now;
        let (a, b) = ctx.keyspace().two_dbs(first as usize, second as usize);
        a.swap_contents(b, now);
    }
    ctx.dirty(1);
    ctx.reply.ok();
    Ok(())
}

fn config_get(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let config = ctx.server.config();
    let found = config.matching(&args[2..]);
    ctx.reply.map(found.len());
    for (name, value) in found {
        ctx.reply.bulk(name.as_bytes());
        ctx.reply.bulk(value.as_bytes());
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    // Pairs of name and value: an odd count is Redis's syntax error, not an arity error.
    if args.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    let pairs: Vec<(Bytes, Bytes)> = args[2..]
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    // `enable-protected-configs local` lets only loopback and Unix socket clients set `dir`
    // and `dbfilename` (Redis's `islocalClient`).
    let local = ctx.client.addr.map_or(true, |addr| match addr.ip() {
        IpAddr::V4(ip) => ip == Ipv4Addr::LOCALHOST,
        IpAddr::V6(ip) => ip == Ipv6Addr::LOCALHOST,
    });
    let server = ctx.server;
    // What applying the values may refuse, after which nothing of this CONFIG SET stays set,
    // as in Redis.
    let refused = |name: &str, why: String| {
        Error::Message(format!(
            "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
        ))
    };
    let previous = {
        // Set and checked under one hold of the configuration, so that a CONFIG SET from
        // another connection in between is neither lost nor seen half done.
        let mut config = server.config_mut();
        let previous = config.clone();
        config.set_many_from(&pairs, local)?;
        let wanted = config.get_int("maxclients").max(0) as u64;
        if wanted > previous.get_int("maxclients").max(0) as u64 {
            let fits = server.clients_that_fit(wanted);
            if fits < wanted {
                *config = previous;
                return Err(refused(
                    "maxclients",
                    format!(
                        "The operating system is not able to handle the specified number of \
                         clients, try with {fits}"
                    ),
                ));
            }
        }
        previous
    };
    server.apply_config(ctx.keyspace());
    if pairs
        .iter()
        .any(|(name, _)| is(name, "appendonly") || is(name, "appendfsync"))
    {
        let now = ctx.now;
        let data = ctx.keyspace();
        if server
            .persist
            .configure(&server.config(), data, now)
            .is_err()
        {
            *server.config_mut() = previous;
            server.apply_config(ctx.keyspace());
            return Err(refused(
                "appendonly",
                "Unable to turn on AOF. Check server logs.".into(),
            ));
        }
    }
    ctx.reply.ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    // Only the configuration's read lock is held while the file is written, not the data's:
    // CONFIG SET waits for it, other commands do not.
    let config = ctx.server.config();
    match config.rewrite() {
        Ok(()) => tracing::warn!("CONFIG REWRITE executed with success."),
        Err(error) => {
            tracing::warn!("CONFIG REWRITE failed: {error}");
            return Err(error);
        }
    }
    drop(config);
    ctx.reply.ok();
    Ok(())
}

fn config_resetstat(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    ctx.server.stats.reset(ctx.now);
    // What this connection did earlier in the same batch happened before the reset too.
    if let Some(batch) = ctx.conn.stats.as_mut() {
        batch.clear();
    }
    let keyspace = ctx.keyspace();
    for index in 0..keyspace.len() {
        let db = keyspace.db(index);
        db.hits = 0;
        db.misses = 0;
        db.expired = 0;
    }
    keyspace.eviction.evicted = 0;
    ctx.reply.ok();
    Ok(())
}

fn config_help(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    help(
        ctx,
        &[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

/// Writes COMMAND INFO's ten-element description of `command`, in Redis's shapes: flags,
/// categories, tips and key specs as sets; subcommands as an array (an empty set for none).
fn describe(ctx: &mut Ctx<'_, '_>, command: &Command) {
    let reply = &mut ctx.reply;
    reply.array(10);
    reply.bulk(command.full_name.as_bytes());
    reply.integer(i64::from(command.arity));
    let flags = command.reported_flags();
    reply.set(flags.names().count());
    for flag in flags.names() {
        reply.simple(flag.as_bytes());
    }
    let (first, last, step) = command.key_range();
    reply.integer(i64::from(first));
    reply.integer(i64::from(last));
    reply.integer(i64::from(step));
    let categories = command.categories();
    reply.set(categories.names().count());
    for name in categories.names() {
        reply.simple(format!("@{name}").as_bytes());
    }
    reply.set(command.tips.len());
    for tip in command.tips {
        reply.bulk(tip.as_bytes());
    }
    reply.set(command.key_specs.len());
    for spec in command.key_specs {
        describe_key_spec(reply, spec);
    }
    if command.subcommands.is_empty() {
        reply.set(0);
    } else {
        reply.array(command.subcommands.len());
    }
    for sub in command.subcommands {
        describe(ctx, sub);
    }
}

/// One key spec, as COMMAND INFO shows it: its notes (if any), flags, where the search
/// begins and how the keys are found.
fn describe_key_spec(reply: &mut Reply<'_>, spec: &KeySpec) {
    reply.map(3 + usize::from(spec.notes.is_some()));
    if let Some(notes) = spec.notes {
        reply.bulk(b"notes");
        reply.bulk(notes.as_bytes());
    }
    reply.bulk(b"flags");
    reply.set(spec.flags.names().count());
    for flag in spec.flags.names() {
        reply.simple(flag.as_bytes());
    }
    reply.bulk(b"begin_search");
    reply.map(2);
    reply.bulk(b"type");
    match spec.begin {
        BeginSearch::Index(index) => {
            reply.bulk(b"index");
            reply.bulk(b"spec");
            reply.map(1);
            reply.bulk(b"index");
            reply.integer(i64::from(index));
        }
        BeginSearch::Unknown => {
            reply.bulk(b"unknown");
            reply.bulk(b"spec");
            reply.map(0);
        }
    }
    reply.bulk(b"find_keys");
    reply.map(2);
    reply.bulk(b"type");
    let fields: &[(&[u8], i32)] = match spec.find {
        FindKeys::Range { last, step, limit } => {
            reply.bulk(b"range");
            &[(b"lastkey", last), (b"keystep", step), (b"limit", limit)]
        }
        FindKeys::Keynum { index, first, step } => {
            reply.bulk(b"keynum");
            &[
                (b"keynumidx", index),
                (b"firstkey", first),
                (b"keystep", step),
            ]
        }
        FindKeys::Unknown => {
            reply.bulk(b"unknown");
            &[]
        }
    };
    reply.bulk(b"spec");
    reply.map(fields.len());
    for (name, value) in fields {
        reply.bulk(name);
        reply.integer(i64::from(*value));
    }
}

fn command_all(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    let all: Vec<_> = ctx.commands.all().collect();
    ctx.reply.array(all.len());
    for command in all {
        describe(ctx, command);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    ctx.reply.integer(ctx.commands.all().count() as i64);
    Ok(())
}

fn command_info(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    if args.len() == 2 {
        return command_all(ctx, args);
    }
    ctx.reply.array(args.len() - 2);
    for name in &args[2..] {
        match ctx.commands.find(name) {
            Some(command) => describe(ctx, command),
            None => ctx.reply.null_array(),
        }
    }
    Ok(())
}

fn document(ctx: &mut Ctx<'_, '_>, command: &Command) {
    let reply = &mut ctx.reply;
    reply.bulk(command.full_name.as_bytes());
    let has_subs = !command.subcommands.is_empty();
    reply.map(3 + usize::from(has_subs));
    reply.bulk(b"summary");
    reply.bulk(command.summary.as_bytes());
    reply.bulk(b"since");
    reply.bulk(command.since.as_bytes());
    reply.bulk(b"group");
    reply.bulk(command.group.name().as_bytes());
    if has_subs {
        reply.bulk(b"subcommands");
        reply.map(command.subcommands.len());
        for sub in command.subcommands {
            document(ctx, sub);
        }
    }
}

fn command_docs(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
    let commands: Vec<&Command> = if args.len() == 2 {
        ctx.commands.all().collect()
    } else {
        args[2..]
            .iter()
            .filter_map(|name| ctx.commands.find(name))
            .collect()
    };
    ctx.reply.map(commands.len());
    for command in commands {
        document(ctx, command);
    }
    Ok(())
}

fn command_help(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    help(
        ctx,
        &[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}

fn time(ctx: &mut Ctx<'_, '_>, _args: &[Bytes]) -> Result {
    let now = ctx.now;
    ctx.reply.array(2);
    ctx.reply.bulk((now / 1000).to_string().as_bytes());
    ctx.reply.bulk(((now % 1000) * 1000).to_string().as_bytes());
    Ok(())
}

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

fn shutdown(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> Result {
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
