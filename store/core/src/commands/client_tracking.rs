//! CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: client-side caching as Redis 7.0's
//! networking.c configures it, with its checks in its order (`state/tracking.rs` keeps who
//! tracks what, `exec/tracking.rs` acts around each command).

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::ctx::Ctx;
use crate::exec::tracking;
use crate::state::tracking::Options;

/// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX prefix]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
pub(super) fn client_tracking(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut options = Options::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let option = args[j];
        if is(option, "redirect") && more {
            j += 1;
            if options.redirect != 0 {
                return Err(Error::Static(
                    "ERR A client can only redirect to a single other client",
                ));
            }
            let id = parse_int(args[j])?;
            if id <= 0 || ctx.server.clients.get(id as u64).is_none() {
                return Err(Error::Static(
                    "ERR The client ID you want redirect to does not exist",
                ));
            }
            options.redirect = id as u64;
        } else if is(option, "bcast") {
            options.bcast = true;
        } else if is(option, "optin") {
            options.optin = true;
        } else if is(option, "optout") {
            options.optout = true;
        } else if is(option, "noloop") {
            options.noloop = true;
        } else if is(option, "prefix") && more {
            j += 1;
            prefixes.push(args[j]);
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let id = ctx.client.id;
    if is(args[2], "on") {
        let current = ctx
            .keyspace()
            .tracking
            .tracker(id)
            .map(|t| t.options.clone());
        check_options(&options, !prefixes.is_empty(), current.as_ref())?;
        let keyspace = ctx.keyspace();
        if options.bcast {
            keyspace
                .tracking
                .check_prefixes(id, &prefixes)
                .map_err(Error::Message)?;
        }
        let redirect = options.redirect as i64;
        let bits = keyspace.tracking.enable(id, options, &prefixes);
        tracking::sync(ctx);
        ctx.client.update(|info| {
            info.tracking = bits;
            info.redirect = redirect;
        });
    } else if is(args[2], "off") {
        disable(ctx);
    } else {
        return Err(Error::Syntax);
    }
    ctx.reply.ok();
    Ok(())
}

/// CLIENT TRACKING ON's checks of `options` against each other and against how the client
/// tracks now, in Redis's order.
fn check_options(options: &Options, prefixes: bool, current: Option<&Options>) -> Result {
    if !options.bcast && prefixes {
        return Err(Error::Static(
            "ERR PREFIX option requires BCAST mode to be enabled",
        ));
    }
    if current.is_some_and(|current| current.bcast != options.bcast) {
        return Err(Error::Static(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        ));
    }
    if options.bcast && (options.optin || options.optout) {
        return Err(Error::Static(
            "ERR OPTIN and OPTOUT are not compatible with BCAST",
        ));
    }
    if options.optin && options.optout {
        return Err(Error::Static(
            "ERR You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    let switches = current.is_some_and(|current| {
        (options.optin && current.optout) || (options.optout && current.optin)
    });
    if switches {
        return Err(Error::Static(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, \
             and then re-enabling it with a different mode.",
        ));
    }
    Ok(())
}

/// Turns tracking off for the running client (CLIENT TRACKING OFF, RESET).
pub(super) fn disable(ctx: &mut Ctx<'_, '_>) {
    let id = ctx.client.id;
    let keyspace = ctx.keyspace();
    if keyspace.tracking.tracker(id).is_some() {
        keyspace.tracking.disable(id);
        tracking::sync(ctx);
    }
    ctx.conn.tracking_caching = false;
    ctx.client.update(|info| {
        info.tracking = 0;
        info.redirect = -1;
    });
}

/// CLIENT CACHING YES|NO: whether the next command's reads are tracked (OPTIN, OPTOUT).
pub(super) fn client_caching(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let id = ctx.client.id;
    let Some(tracker) = ctx.keyspace().tracking.tracker(id) else {
        return Err(Error::Static(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with \
             OPTIN or OPTOUT mode enabled",
        ));
    };
    let (optin, optout) = (tracker.options.optin, tracker.options.optout);
    if is(args[2], "yes") {
        if !optin {
            return Err(Error::Static(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is(args[2], "no") {
        if !optout {
            return Err(Error::Static(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(Error::Syntax);
    }
    ctx.conn.tracking_caching = true;
    ctx.reply.ok();
    Ok(())
}

/// CLIENT GETREDIR: where the client's invalidations go (0: to itself), -1 if it does not
/// track.
pub(super) fn client_getredir(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let id = ctx.client.id;
    let redirect = ctx
        .keyspace()
        .tracking
        .tracker(id)
        .map_or(-1, |t| t.options.redirect as i64);
    ctx.reply.integer(redirect);
    Ok(())
}

/// CLIENT TRACKINGINFO: the client's tracking flags, redirect and prefixes.
pub(super) fn client_trackinginfo(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let id = ctx.client.id;
    let caching = ctx.conn.tracking_caching;
    let tracker = ctx.keyspace().tracking.tracker(id).cloned();
    let mut names: Vec<&str> = Vec::new();
    match &tracker {
        None => names.push("off"),
        Some(tracker) => {
            let options = &tracker.options;
            names.push("on");
            if options.bcast {
                names.push("bcast");
            }
            if options.optin {
                names.push("optin");
                if caching {
                    names.push("caching-yes");
                }
            }
            if options.optout {
                names.push("optout");
                if caching {
                    names.push("caching-no");
                }
            }
            if options.noloop {
                names.push("noloop");
            }
            if tracker.broken_redirect {
                names.push("broken_redirect");
            }
        }
    }
    let reply = &mut ctx.reply;
    reply.map(3);
    reply.bulk(b"flags");
    reply.set(names.len());
    for name in names {
        reply.bulk(name.as_bytes());
    }
    reply.bulk(b"redirect");
    reply.integer(tracker.as_ref().map_or(-1, |t| t.options.redirect as i64));
    reply.bulk(b"prefixes");
    let prefixes = tracker.map(|t| t.prefixes).unwrap_or_default();
    reply.array(prefixes.len());
    for prefix in &prefixes {
        reply.bulk(prefix);
    }
    Ok(())
}
