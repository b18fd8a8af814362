//! Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, CLIENT.

use bytes::{Bytes, BytesMut};
use radish_resp::Version;

use crate::error::{Error, Result};
use crate::exec::args::{help, is, parse_int, subcommand_syntax_error};
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;
use crate::state::pause::PauseKind;
use crate::state::REDIS_VERSION;

use super::client_tracking;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("ping", -1, ping)
        .flags(flags!(FAST))
        .acl(acl!(CONNECTION))
        .tips(&["request_policy:all_shards", "response_policy:all_succeeded"])
        .doc(Group::Connection, "1.0.0", "Ping the server"),
    Command::new("echo", 2, echo)
        .flags(flags!(LOADING | STALE | FAST))
        .acl(acl!(CONNECTION))
        .doc(Group::Connection, "1.0.0", "Echo the given string"),
    Command::new("hello", -1, hello)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY))
        .acl(acl!(CONNECTION))
        .doc(Group::Connection, "6.0.0", "Handshake with Redis"),
    Command::new("auth", -2, auth)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY))
        .acl(acl!(CONNECTION))
        .doc(Group::Connection, "1.0.0", "Authenticate to the server"),
    Command::new("select", 2, select)
        .flags(flags!(LOADING | STALE | FAST))
        .acl(acl!(CONNECTION))
        .doc(Group::Connection, "1.0.0", "Change the selected database for the current connection"),
    Command::new("quit", -1, quit)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY))
        .acl(acl!(CONNECTION))
        .doc(Group::Connection, "1.0.0", "Close the connection"),
    Command::new("reset", 1, reset)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY))
        .acl(acl!(CONNECTION))
        .doc(Group::Connection, "6.2.0", "Reset the connection"),
    Command::container("client", &[
        Command::new("client|id", 2, client_id)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "5.0.0", "Returns the client ID for the current connection"),
        Command::new("client|setname", 3, client_setname)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "2.6.9", "Set the current connection name"),
        Command::new("client|getname", 2, client_getname)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "2.6.9", "Get the current connection name"),
        Command::new("client|setinfo", 4, client_setinfo)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .tips(&["request_policy:all_nodes", "response_policy:all_succeeded"])
            .doc(Group::Connection, "7.2.0", "Sets information specific to the client or connection."),
        Command::new("client|list", -2, client_list)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .tips(&["nondeterministic_output"])
            .doc(Group::Connection, "2.4.0", "Get the list of client connections"),
        Command::new("client|info", 2, client_info)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .tips(&["nondeterministic_output"])
            .doc(Group::Connection, "6.2.0", "Returns information about the current client connection."),
        Command::new("client|kill", -3, client_kill)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "2.4.0", "Kill the connection of a client"),
        Command::new("client|reply", 3, client_reply)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "3.2.0", "Instruct the server whether to reply to commands"),
        Command::new("client|pause", -3, client_pause)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "2.9.50", "Stop processing commands from clients for some time"),
        Command::new("client|unpause", 2, client_unpause)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "6.2.0", "Resume processing of clients that were paused"),
        Command::new("client|unblock", -3, client_unblock)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "5.0.0", "Unblock a client blocked in a blocking command from a different connection"),
        Command::new("client|no-evict", 3, client_no_evict)
            .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "7.0.0", "Set client eviction mode for the current connection"),
        Command::new("client|tracking", -3, client_tracking::client_tracking)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "6.0.0", "Enable or disable server assisted client side caching support"),
        Command::new("client|caching", 3, client_tracking::client_caching)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "6.0.0", "Instruct the server about tracking or not keys in the next request"),
        Command::new("client|getredir", 2, client_tracking::client_getredir)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "6.0.0", "Get tracking notifications redirection client ID if any"),
        Command::new("client|trackinginfo", 2, client_tracking::client_trackinginfo)
            .flags(flags!(NOSCRIPT | LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "6.2.0", "Return information about server assisted client side caching for the current connection"),
        Command::new("client|help", 2, client_help)
            .flags(flags!(LOADING | STALE))
            .acl(acl!(CONNECTION))
            .doc(Group::Connection, "5.0.0", "Show helpful text about the different subcommands"),
    ])
        .doc(Group::Connection, "2.4.0", "A container for client connection commands"),
];

fn ping(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 2 {
        return Err(Error::WrongArity("ping".to_string()));
    }
    // A subscribed RESP2 connection can only receive arrays: Redis answers [pong, message].
    if ctx.conn.version == Version::Resp2 && ctx.conn.in_pubsub_context() {
        ctx.reply.array(2);
        ctx.reply.bulk(b"pong");
        ctx.reply.bulk(args.get(1).map_or(&b""[..], |m| &m[..]));
        return Ok(());
    }
    match args.get(1) {
        None => ctx.reply.simple(b"PONG"),
        Some(message) => ctx.reply.bulk(message),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    ctx.reply.bulk(args[1]);
    Ok(())
}

/// Checks a username and password against `requirepass` (radish has only the `default` user).
fn check_password(ctx: &Ctx<'_, '_>, user: &[u8], password: &[u8]) -> Result {
    let required = ctx
        .server
        .config()
        .get("requirepass")
        .unwrap_or("")
        .to_string();
    let ok = user == b"default" && (required.is_empty() || required.as_bytes() == password);
    if ok {
        Ok(())
    } else {
        Err(Error::Static(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

fn hello(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut version = None;
    let mut next = 1;
    if args.len() >= 2 {
        let requested = radish_resp::number::parse_i64_strict(args[1]).ok_or(Error::Static(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        version = match requested {
            2 => Some(Version::Resp2),
            3 => Some(Version::Resp3),
            _ => return Err(Error::Static("NOPROTO unsupported protocol version")),
        };
        next = 2;
    }
    // Each option acts as it is read, as in Redis 7.0: a name given before a failing AUTH,
    // or by a client not authenticated, is set all the same.
    let mut i = next;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if is(args[i], "auth") && more >= 2 {
            check_password(ctx, args[i + 1], args[i + 2])?;
            ctx.conn.authenticated = true;
            i += 3;
        } else if is(args[i], "setname") && more >= 1 {
            set_client_name(ctx, args[i + 1])?;
            i += 2;
        } else {
            return Err(Error::Message(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(args[i])
            )));
        }
    }
    if !ctx.conn.authenticated {
        return Err(Error::Static("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    if let Some(version) = version {
        ctx.conn.version = version;
        ctx.reply.version = version;
    }
    let reply = &mut ctx.reply;
    reply.map(7);
    reply.bulk(b"server");
    reply.bulk(b"redis");
    reply.bulk(b"version");
    reply.bulk(REDIS_VERSION.as_bytes());
    reply.bulk(b"proto");
    reply.integer(if ctx.conn.version == Version::Resp3 {
        3
    } else {
        2
    });
    reply.bulk(b"id");
    reply.integer(ctx.client.id as i64);
    reply.bulk(b"mode");
    reply.bulk(b"standalone");
    reply.bulk(b"role");
    reply.bulk(b"master");
    reply.bulk(b"modules");
    reply.array(0);
    Ok(())
}

fn auth(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 3 {
        return Err(Error::Syntax);
    }
    let (user, password) = if args.len() == 2 {
        if ctx
            .server
            .config()
            .get("requirepass")
            .unwrap_or("")
            .is_empty()
        {
            return Err(Error::Static("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"));
        }
        (&b"default"[..], args[1])
    } else {
        (args[1], args[2])
    };
    check_password(ctx, user, password)?;
    ctx.conn.authenticated = true;
    ctx.reply.ok();
    Ok(())
}

fn select(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let index = parse_int(args[1])?;
    if index < i32::MIN as i64 || index > i32::MAX as i64 {
        return Err(Error::NotInteger);
    }
    let databases = ctx.server.config().get_int("databases");
    if index < 0 || index >= databases {
        return Err(Error::DbIndexOutOfRange);
    }
    ctx.conn.db = index as usize;
    ctx.reply.ok();
    Ok(())
}

fn quit(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.ok();
    ctx.conn.close_after_reply = true;
    Ok(())
}

fn reset(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    client_tracking::disable(ctx);
    ctx.conn.multi = None;
    ctx.conn.multi_failed = false;
    ctx.unwatch_all();
    {
        let mut pubsub = ctx.server.pubsub();
        ctx.conn.leave_pubsub(&mut pubsub, ctx.client.id);
        ctx.server.clients.stop_monitoring(ctx.client.id);
    }
    ctx.conn.replies_off = false;
    ctx.conn.skip_next_reply = false;
    ctx.conn.db = 0;
    ctx.conn.version = Version::Resp2;
    ctx.reply.version = Version::Resp2;
    ctx.conn.name = Bytes::new();
    ctx.conn.authenticated = ctx
        .server
        .config()
        .get("requirepass")
        .unwrap_or("")
        .is_empty();
    ctx.reply.simple(b"RESET");
    Ok(())
}

fn client_id(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.reply.integer(ctx.client.id as i64);
    Ok(())
}

/// Names and library info may only hold printable ASCII without spaces, as in Redis.
fn valid_attribute(value: &[u8]) -> bool {
    value.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

fn set_client_name(ctx: &mut Ctx<'_, '_>, name: &[u8]) -> Result {
    if !valid_attribute(name) {
        return Err(Error::Static(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    ctx.conn.name = Bytes::copy_from_slice(name);
    Ok(())
}

fn client_setname(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    set_client_name(ctx, args[2])?;
    ctx.reply.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let name = ctx.conn.name.clone();
    ctx.reply
        .bulk_or_null((!name.is_empty()).then_some(&name[..]));
    Ok(())
}

fn client_setinfo(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let lib_name = is(args[2], "lib-name");
    if !lib_name && !is(args[2], "lib-ver") {
        return Err(Error::Message(format!(
            "ERR Unrecognized option '{}'",
            String::from_utf8_lossy(args[2])
        )));
    }
    if !valid_attribute(args[3]) {
        return Err(Error::Message(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(args[2])
        )));
    }
    let value = Bytes::copy_from_slice(args[3]);
    ctx.client.update(|info| {
        if lib_name {
            info.lib_name = value;
        } else {
            info.lib_ver = value;
        }
    });
    ctx.reply.ok();
    Ok(())
}

/// Brings this connection's registry entry up to date before describing it.
fn sync_own_info(ctx: &mut Ctx<'_, '_>, command: &'static str) {
    let (db, name, now) = (ctx.conn.db, ctx.conn.name.clone(), ctx.now);
    let (query_buffer, free) = (ctx.conn.batch_input, ctx.conn.batch_input_free);
    let resp = if ctx.conn.version == Version::Resp3 {
        3
    } else {
        2
    };
    ctx.client.update(|info| {
        info.db = db;
        info.name = name;
        info.resp = resp;
        info.last_command = command;
        info.query_buffer = query_buffer;
        info.query_buffer_free = free;
    });
    ctx.client.interacted(now);
}

fn client_list(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let mut ids: Option<Vec<u64>> = None;
    // The client type asked for: `master`, `replica` (or `slave`), `pubsub` or `normal`.
    let mut kind_filter: Option<&'static str> = None;
    let mut i = 2;
    while i < args.len() {
        if is(args[i], "type") && i + 1 < args.len() {
            kind_filter = Some(client_type(args[i + 1])?);
            i += 2;
        } else if is(args[i], "id") && i + 1 < args.len() {
            let mut list = Vec::new();
            for arg in &args[i + 1..] {
                let id = parse_int(arg)
                    .ok()
                    .filter(|&id| id > 0)
                    .ok_or(Error::Static("ERR Invalid client ID"))?;
                list.push(id as u64);
            }
            ids = Some(list);
            i = args.len();
        } else {
            return Err(Error::Syntax);
        }
    }
    sync_own_info(ctx, "client|list");
    let mut text = String::new();
    for client in ctx.server.clients.all() {
        if ids.as_ref().is_some_and(|ids| !ids.contains(&client.id)) {
            continue;
        }
        if kind_filter.is_some_and(|wanted| wanted != client.kind()) {
            continue;
        }
        text.push_str(&client.describe(ctx.now));
        text.push('\n');
    }
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// A client type as CLIENT LIST and CLIENT KILL name it, as `Client::kind` gives it.
fn client_type(name: &[u8]) -> Result<&'static str> {
    ["normal", "master", "replica", "pubsub"]
        .into_iter()
        .find(|kind| is(name, kind))
        .or_else(|| is(name, "slave").then_some("replica"))
        .ok_or_else(|| {
            Error::Message(format!(
                "ERR Unknown client type '{}'",
                String::from_utf8_lossy(name)
            ))
        })
}

fn client_info(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    sync_own_info(ctx, "client|info");
    let mut text = ctx.client.describe(ctx.now);
    text.push('\n');
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// One CLIENT KILL condition.
type ClientFilter = Box<dyn Fn(&crate::state::clients::Client) -> bool>;

fn client_kill(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let clients = ctx.server.clients.all();
    // Old form: CLIENT KILL addr:port.
    if args.len() == 3 {
        let addr = String::from_utf8_lossy(args[2]).to_string();
        let Some(target) = clients
            .iter()
            .find(|c| c.addr.is_some_and(|a| a.to_string() == addr))
        else {
            return Err(Error::Static("ERR No such client"));
        };
        target.kill();
        if target.id == ctx.client.id {
            ctx.conn.close_after_reply = true;
        }
        ctx.reply.ok();
        return Ok(());
    }
    let mut filters: Vec<ClientFilter> = Vec::new();
    let mut skip_me = true;
    let mut i = 2;
    while i < args.len() {
        if i + 1 >= args.len() {
            return Err(Error::Syntax);
        }
        let value = args[i + 1];
        let text = String::from_utf8_lossy(value).to_string();
        if is(args[i], "id") {
            let id = parse_int(value)
                .ok()
                .filter(|&id| id > 0)
                .ok_or(Error::Static("ERR client-id should be greater than 0"))?;
            filters.push(Box::new(move |c| c.id == id as u64));
        } else if is(args[i], "addr") {
            filters.push(Box::new(move |c| {
                c.addr.is_some_and(|a| a.to_string() == text)
            }));
        } else if is(args[i], "laddr") {
            filters.push(Box::new(move |c| {
                c.local_addr.is_some_and(|a| a.to_string() == text)
            }));
        } else if is(args[i], "user") {
            // Every connection runs as the one user there is.
            if text != "default" {
                return Err(Error::Message(format!("ERR No such user '{text}'")));
            }
        } else if is(args[i], "type") {
            let wanted = client_type(value)?;
            filters.push(Box::new(move |c| c.kind() == wanted));
        } else if is(args[i], "skipme") {
            skip_me = if is(value, "yes") {
                true
            } else if is(value, "no") {
                false
            } else {
                return Err(Error::Syntax);
            };
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let mut killed = 0;
    for client in &clients {
        if skip_me && client.id == ctx.client.id {
            continue;
        }
        if filters.iter().all(|f| f(client)) {
            client.kill();
            if client.id == ctx.client.id {
                ctx.conn.close_after_reply = true;
            }
            killed += 1;
        }
    }
    ctx.reply.integer(killed);
    Ok(())
}

fn client_reply(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if is(args[2], "on") {
        // As Redis: ON also cancels a pending SKIP, and its own OK is sent.
        ctx.conn.replies_off = false;
        ctx.conn.skip_this_reply = false;
        ctx.conn.skip_next_reply = false;
        ctx.reply.ok();
    } else if is(args[2], "off") {
        ctx.conn.replies_off = true;
    } else if is(args[2], "skip") {
        if !ctx.conn.replies_off {
            ctx.conn.skip_next_reply = true;
        }
    } else {
        return Err(Error::Syntax);
    }
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking command as if it had
/// timed out, or with an UNBLOCKED error; 1 if that client was blocked.
fn client_unblock(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 4 {
        return Err(Error::Message(
            "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP."
                .to_string(),
        ));
    }
    // Redis checks the reason before the id.
    let as_error = match args.get(3) {
        None => false,
        Some(reason) if is(reason, "timeout") => false,
        Some(reason) if is(reason, "error") => true,
        Some(_) => {
            return Err(Error::Static(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let id = parse_int(args[2])?;
    let waiter = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.keyspace().remove_waiter(id));
    let Some(waiter) = waiter else {
        ctx.reply.integer(0);
        return Ok(());
    };
    // The blocked session finds itself no longer waiting and sends its outbox.
    let mut reply = BytesMut::new();
    if as_error {
        radish_resp::write_error(&mut reply, b"UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
        crate::exec::reply::write_timeout(&mut reply, waiter.on_timeout, waiter.client.version());
    }
    waiter.client.deliver(&reply);
    // Its command is done: the slow log takes it now, as Redis's updateStatsOnUnblock.
    crate::exec::slow::unblocked_by_command(ctx.server, &waiter, ctx.now);
    ctx.reply.integer(1);
    Ok(())
}

/// CLIENT NO-EVICT on|off: whether `maxmemory-clients` may close this connection.
fn client_no_evict(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    let on = if is(args[2], "on") {
        true
    } else if is(args[2], "off") {
        false
    } else {
        return Err(Error::Syntax);
    };
    ctx.client.set_no_evict(on);
    ctx.reply.ok();
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]: holds back every command (ALL, the default) or those
/// that may write, from every client, for `timeout` milliseconds; keys neither expire nor
/// are evicted meanwhile. A pause in force is only ever extended or made stricter.
fn client_pause(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() > 4 {
        return Err(subcommand_syntax_error(args));
    }
    let kind = match args.get(3) {
        None => PauseKind::All,
        Some(mode) if is(mode, "write") => PauseKind::Write,
        Some(mode) if is(mode, "all") => PauseKind::All,
        Some(_) => return Err(Error::Static("ERR CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let timeout = parse_int(args[2])
        .map_err(|_| Error::Static("ERR timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(Error::Static("ERR timeout is negative"));
    }
    // As Redis: 0 ends at once, and a sum past the end of time wraps into the past.
    let end = match timeout {
        0 => 0,
        timeout => timeout.wrapping_add(ctx.now as i64),
    };
    let until = ctx.server.pause.pause(kind, end, ctx.now);
    ctx.keyspace().hold_expiry(until);
    ctx.reply.ok();
    Ok(())
}

/// CLIENT UNPAUSE: lifts the pause; the requests it held run, in the order they arrived.
fn client_unpause(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    ctx.server.pause.unpause();
    ctx.keyspace().hold_expiry(None);
    ctx.reply.ok();
    Ok(())
}

fn client_help(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    help(
        ctx,
        &[
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "HELP",
            "    Prints this help.",
        ],
    );
    Ok(())
}
