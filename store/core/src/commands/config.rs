//! CONFIG: GET, SET, REWRITE, RESETSTAT, HELP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::exec::args::{help, is};
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::events;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
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
];

fn config_get(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let config = ctx.server.config();
    let found = config.matching(&args[2..]);
    ctx.reply.map(found.len());
    for (name, value) in found {
        ctx.reply.bulk(name.as_bytes());
        if name.eq_ignore_ascii_case("notify-keyspace-events") {
            // Kept with `n` after `A`, shown without it as Redis shows it.
            ctx.reply.bulk(events::shown(value).as_bytes());
        } else {
            ctx.reply.bulk(value.as_bytes());
        }
    }
    Ok(())
}

fn config_set(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    // Pairs of name and value: an odd count is Redis's syntax error, not an arity error.
    if args.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    let pairs: Vec<(Bytes, Bytes)> = args[2..]
        .chunks(2)
        .map(|p| (Bytes::copy_from_slice(p[0]), Bytes::copy_from_slice(p[1])))
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

fn config_rewrite(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
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

fn config_resetstat(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
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

fn config_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
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
