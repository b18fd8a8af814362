//! CONFIG: GET, SET, REWRITE, RESETSTAT, HELP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::exec::args::{help, is};
use crate::exec::command::{flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::server::Server;
use crate::state::config::Config;
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
    let (previous, listened) = {
        // Set, checked and applied under one hold of the configuration, so that a CONFIG SET
        // from another connection in between is neither lost nor seen half done.
        let mut config = server.config_mut();
        let previous = config.clone();
        config.set_many_from(&pairs, local)?;
        let mut listened = false;
        for step in Apply::steps(&pairs, &previous, &config) {
            let applied = match step {
                Apply::MaxClients => fit_maxclients(server, &previous, &config),
                Apply::Port | Apply::Bind => {
                    listened = true;
                    server
                        .relisten(&config.listen_on())
                        .map_err(|_| step.failure().to_string())
                }
                // Applied below, once the configuration is released: it reads it.
                Apply::AppendOnly => Ok(()),
            };
            if let Err(why) = applied {
                tracing::warn!(
                    "Failed applying new configuration. Possibly related to new {} setting. \
                     Restoring previous settings.",
                    step.name()
                );
                *config = previous;
                if listened {
                    relisten_after_failure(server, &config);
                }
                return Err(refused(step.name(), &why));
            }
        }
        (previous, listened)
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
            let mut config = server.config_mut();
            *config = previous;
            if listened {
                relisten_after_failure(server, &config);
            }
            drop(config);
            server.apply_config(ctx.keyspace());
            return Err(refused(
                Apply::AppendOnly.name(),
                Apply::AppendOnly.failure(),
            ));
        }
    }
    ctx.reply.ok();
    Ok(())
}

/// What applying a CONFIG SET may refuse, after which nothing of it stays set, as in Redis.
fn refused(name: &str, why: &str) -> Error {
    Error::Message(format!(
        "ERR CONFIG SET failed (possibly related to argument '{name}') - {why}"
    ))
}

/// What CONFIG SET does with new values beyond keeping them, where that can fail: Redis's
/// apply functions (config.c), each run once however many of its parameters were given, in
/// the order the first of them was. When one fails, every value of the command goes back to
/// what it was and what was applied is applied again with the old values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Apply {
    /// `maxclients` raised: the open-files limit must allow it (`updateMaxclients`).
    MaxClients,
    /// `port` changed: listen on it instead (`updatePort`).
    Port,
    /// `bind` given, even unchanged: listen on its addresses instead (`applyBind`).
    Bind,
    /// `appendonly` or `appendfsync` given: start or stop the log (`updateAppendonly`). Run
    /// after the others, as it reads the configuration once set.
    AppendOnly,
}

impl Apply {
    /// What `pairs` call for, in order, given the configuration `before` and `after` them.
    /// As Redis does, a numeric parameter set to the value it has applies nothing; `bind`
    /// (Redis's special parameter) applies whatever its value.
    fn steps(pairs: &[(Bytes, Bytes)], before: &Config, after: &Config) -> Vec<Apply> {
        let changed = |name: &str| before.get(name) != after.get(name);
        let mut steps = Vec::new();
        for (name, _) in pairs {
            let step = if is(name, "maxclients") {
                let raised = after.get_int("maxclients") > before.get_int("maxclients");
                raised.then_some(Apply::MaxClients)
            } else if is(name, "port") {
                changed("port").then_some(Apply::Port)
            } else if is(name, "bind") {
                Some(Apply::Bind)
            } else if is(name, "appendonly") || is(name, "appendfsync") {
                Some(Apply::AppendOnly)
            } else {
                None
            };
            if let Some(step) = step.filter(|step| !steps.contains(step)) {
                steps.push(step);
            }
        }
        steps
    }

    /// The parameter Redis's error names for this step.
    fn name(self) -> &'static str {
        match self {
            Apply::MaxClients => "maxclients",
            Apply::Port => "port",
            Apply::Bind => "bind",
            Apply::AppendOnly => "appendonly",
        }
    }

    /// Redis's reason when this step fails (`maxclients` says how many fit instead).
    fn failure(self) -> &'static str {
        match self {
            Apply::MaxClients => "",
            Apply::Port => "Unable to listen on this port. Check server logs.",
            Apply::Bind => "Failed to bind to specified addresses.",
            Apply::AppendOnly => "Unable to turn on AOF. Check server logs.",
        }
    }
}

/// `maxclients` raised from what `previous` had to what `config` has: fails unless the
/// open-files limit lets that many in.
fn fit_maxclients(
    server: &Server,
    previous: &Config,
    config: &Config,
) -> std::result::Result<(), String> {
    let wanted = config.get_int("maxclients").max(0) as u64;
    if wanted <= previous.get_int("maxclients").max(0) as u64 {
        return Ok(());
    }
    let fits = server.clients_that_fit(wanted);
    if fits < wanted {
        return Err(format!(
            "The operating system is not able to handle the specified number of clients, \
             try with {fits}"
        ));
    }
    Ok(())
}

/// After a failed CONFIG SET that had moved the listening sockets (or failed moving them,
/// which leaves none), listens where `config`, restored, says. Redis does the same and only
/// logs if that fails too.
fn relisten_after_failure(server: &Server, config: &Config) {
    if let Err(error) = server.relisten(&config.listen_on()) {
        tracing::warn!("Failed applying restored failed CONFIG SET command: {error}");
    }
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
