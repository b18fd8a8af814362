//! Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, CONFIG, COMMAND, TIME, FUNCTION, SHUTDOWN.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::info;
use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int};
use crate::exec::command::{cmd, container, Command};
use crate::exec::ctx::Ctx;

const G: &str = "server";
const ADMIN: &[&str] = &["admin", "noscript", "loading", "stale"];

pub(super) const COMMANDS: &[Command] = &[
    cmd(
        "info",
        -1,
        &["loading", "stale"],
        (0, 0, 0),
        G,
        "Returns information and statistics about the server.",
        info_command,
    ),
    cmd(
        "dbsize",
        1,
        &["readonly", "fast"],
        (0, 0, 0),
        "server",
        "Returns the number of keys in the database.",
        dbsize,
    ),
    cmd(
        "flushdb",
        -1,
        &["write"],
        (0, 0, 0),
        G,
        "Remove all keys from the current database.",
        flushdb,
    ),
    cmd(
        "flushall",
        -1,
        &["write"],
        (0, 0, 0),
        G,
        "Removes all keys from all databases.",
        flushall,
    ),
    cmd(
        "swapdb",
        3,
        &["write", "fast"],
        (0, 0, 0),
        G,
        "Swaps two Redis databases.",
        swapdb,
    ),
    container(
        "config",
        G,
        "A container for server configuration commands.",
        &[
            cmd(
                "config|get",
                -3,
                ADMIN,
                (0, 0, 0),
                G,
                "Returns the effective values of configuration parameters.",
                config_get,
            ),
            cmd(
                "config|set",
                -4,
                ADMIN,
                (0, 0, 0),
                G,
                "Sets configuration parameters in-flight.",
                config_set,
            ),
            cmd(
                "config|rewrite",
                2,
                ADMIN,
                (0, 0, 0),
                G,
                "Rewrites the configuration file with the in memory configuration.",
                config_rewrite,
            ),
            cmd(
                "config|resetstat",
                2,
                ADMIN,
                (0, 0, 0),
                G,
                "Resets the server's statistics.",
                config_resetstat,
            ),
            cmd(
                "config|help",
                2,
                &["loading", "stale"],
                (0, 0, 0),
                G,
                "Returns helpful text about the different subcommands.",
                config_help,
            ),
        ],
    ),
    Command {
        handler: command_all,
        arity: -1,
        flags: &["loading", "stale"],
        ..container(
            "command",
            G,
            "Returns detailed information about all commands.",
            &[
                cmd(
                    "command|count",
                    2,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Returns a count of commands.",
                    command_count,
                ),
                cmd(
                    "command|info",
                    -2,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Returns information about one, multiple or all commands.",
                    command_info,
                ),
                cmd(
                    "command|docs",
                    -2,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Returns documentary information about one, multiple or all commands.",
                    command_docs,
                ),
                cmd(
                    "command|list",
                    -2,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Returns a list of command names.",
                    super::introspection::command_list,
                ),
                cmd(
                    "command|getkeys",
                    -4,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Extract keys given a full Redis command",
                    super::introspection::command_getkeys,
                ),
                cmd(
                    "command|getkeysandflags",
                    -4,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Extract keys and access flags given a full Redis command",
                    super::introspection::command_getkeysandflags,
                ),
                cmd(
                    "command|help",
                    2,
                    &["loading", "stale"],
                    (0, 0, 0),
                    G,
                    "Returns helpful text about the different subcommands.",
                    command_help,
                ),
            ],
        )
    },
    cmd(
        "time",
        1,
        &["loading", "stale", "fast"],
        (0, 0, 0),
        G,
        "Returns the server time.",
        time,
    ),
    container(
        "function",
        "scripting",
        "A container for function commands.",
        &[cmd(
            "function|flush",
            -2,
            &["write", "noscript"],
            (0, 0, 0),
            "scripting",
            "Deletes all libraries and functions.",
            function_flush,
        )],
    ),
    cmd(
        "shutdown",
        -1,
        &[
            "admin",
            "noscript",
            "loading",
            "stale",
            "no-multi",
            "allow-busy",
        ],
        (0, 0, 0),
        G,
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        shutdown,
    ),
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

/// Writes COMMAND INFO's ten-element description of `command`.
fn describe(ctx: &mut Ctx<'_, '_>, command: &Command) {
    let reply = &mut ctx.reply;
    reply.array(10);
    reply.bulk(command.full_name.as_bytes());
    reply.integer(i64::from(command.arity));
    let flags = super::introspection::reported_flags(command);
    reply.set(flags.len());
    for flag in flags {
        reply.simple(flag.as_bytes());
    }
    reply.integer(i64::from(command.keys.0));
    reply.integer(i64::from(command.keys.1));
    reply.integer(i64::from(command.keys.2));
    let categories = super::introspection::categories_of(command);
    reply.set(categories.count_ones() as usize);
    for name in super::introspection::category_names(categories) {
        reply.simple(format!("@{name}").as_bytes());
    }
    // Tips and key specs (not kept in radish's table), as sets like Redis's.
    reply.set(0);
    reply.set(0);
    // Redis sends an empty set for no subcommands, else an array.
    if command.subcommands.is_empty() {
        reply.set(0);
    } else {
        reply.array(command.subcommands.len());
    }
    for sub in command.subcommands {
        describe(ctx, sub);
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
    reply.bulk(b"1.0.0");
    reply.bulk(b"group");
    reply.bulk(command.group.as_bytes());
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
