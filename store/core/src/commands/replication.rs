//! Replication's commands, as Redis 7.0's: REPLICAOF (SLAVEOF) to follow a primary (the link
//! runs in `replica.rs`), PSYNC and SYNC from replicas this server feeds (`state/
//! repl_stream.rs`), REPLCONF from either side, WAIT, and ROLE.

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;
use std::sync::atomic::Ordering;

use crate::exec::args::parse_timeout_ms;
use crate::state::clients::LinkRole;
use crate::state::repl_stream::{Psync, ReplicaState};
use crate::state::replication::LinkState;

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("replicaof", 3, replicaof)
        .flags(flags!(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING))
        .acl(acl!(SLOW | DANGEROUS))
        .doc(Group::Server, "5.0.0", "Make the server a replica of another instance, or promote it as master."),
    Command::new("slaveof", 3, replicaof)
        .flags(flags!(ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING))
        .acl(acl!(SLOW | DANGEROUS))
        .doc(Group::Server, "1.0.0", "Make the server a replica of another instance, or promote it as master."),
    Command::new("role", 1, role)
        .flags(flags!(NOSCRIPT | LOADING | STALE | FAST))
        .acl(acl!(ADMIN | DANGEROUS))
        .doc(Group::Server, "2.8.12", "Return the role of the instance in the context of replication"),
    Command::new("replconf", -1, replconf)
        .flags(flags!(ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY))
        .acl(acl!(SLOW | DANGEROUS))
        .doc(Group::Server, "3.0.0", "An internal command for configuring the replication stream"),
    Command::new("psync", -3, sync)
        .flags(flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI))
        .acl(acl!(SLOW | DANGEROUS))
        .doc(Group::Server, "2.8.0", "Internal command used for replication"),
    Command::new("sync", 1, sync)
        .flags(flags!(ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI))
        .acl(acl!(SLOW | DANGEROUS))
        .doc(Group::Server, "1.0.0", "Internal command used for replication"),
    Command::new("wait", 3, wait)
        .flags(flags!(NOSCRIPT))
        .acl(acl!(SLOW | CONNECTION))
        .tips(&["request_policy:all_shards", "response_policy:agg_min"])
        .doc(Group::Generic, "3.0.0", "Wait for the synchronous replication of all the write commands sent in the context of the current connection"),
];

/// PSYNC replid offset, or SYNC: makes this connection a replica, as Redis's `syncCommand`.
/// It continues from the backlog (`+CONTINUE`) when this server's history holds what it
/// asks for; otherwise it waits for a snapshot (`+FULLRESYNC`, then the RDB file and the
/// stream from the snapshot's moment), which the tick starts.
fn sync(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if ctx.conn.is_replica {
        return Ok(());
    }
    // A replica feeds replicas of its own (chained) only while its link is up.
    if let Some(primary) = &ctx.server.replication().primary {
        if primary.state != LinkState::Connected {
            return Err(Error::Static(
                "NOMASTERLINK Can't SYNC while not connected with my master",
            ));
        }
    }
    let psync = is(args[0], "psync");
    let from = match psync {
        true => Some(parse_int(args[2])?),
        false => None,
    };
    let ip = ctx
        .client
        .addr
        .map_or_else(|| "?".to_string(), |addr| addr.ip().to_string());
    tracing::info!(
        "Replica {ip}:{} asks for synchronization",
        ctx.conn.replica_port
    );
    let now = ctx.now;
    let server = ctx.server;
    let client = ctx.client.clone();
    let port = ctx.conn.replica_port;
    let data = ctx.keyspace();
    if !data.repl.active() {
        // The first replica: the backlog starts, with a history of its own (Redis's
        // changeReplicationId and clearReplicationId2).
        server.replication().new_history(data.repl.offset);
    }
    data.start_replicating();
    let ids = {
        let replication = server.replication();
        (
            replication.replid.clone(),
            replication.replid2.clone(),
            replication.second_offset,
        )
    };
    if let (Some(from), true) = (from, psync) {
        match data.repl.psync((&ids.0, &ids.1, ids.2), args[1], from) {
            Psync::Continue(backlog) => {
                let mut out = format!("+CONTINUE {}\r\n", ids.0).into_bytes();
                out.extend_from_slice(&backlog);
                data.repl
                    .add(client.clone(), ip, port, ReplicaState::Online, false, now);
                client.deliver(&out);
                server.stats.sync_partial_ok.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    "Partial resynchronization request accepted. Sending {} bytes of backlog \
                     starting from offset {from}.",
                    backlog.len()
                );
                ctx.conn.is_replica = true;
                ctx.conn.replies_off = true;
                ctx.client.update(|info| info.link = LinkRole::Replica);
                return Ok(());
            }
            Psync::Full if args[1] != b"?" => {
                server
                    .stats
                    .sync_partial_err
                    .fetch_add(1, Ordering::Relaxed);
            }
            Psync::Full => {}
        }
    }
    server.stats.sync_full.fetch_add(1, Ordering::Relaxed);
    data.repl
        .add(client, ip, port, ReplicaState::WaitBgsaveStart, !psync, now);
    ctx.conn.is_replica = true;
    ctx.conn.replies_off = true;
    ctx.client.update(|info| info.link = LinkRole::Replica);
    Ok(())
}

/// WAIT numreplicas timeout: how many replicas acknowledged this connection's writes, once
/// `numreplicas` have or the timeout (milliseconds, 0: none) passes.
fn wait(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if ctx.server.replication().primary.is_some() {
        return Err(Error::Static(
            "ERR WAIT cannot be used with replica instances. Please also note that since \
             Redis 4.0 if a replica is configured to be writable (which is not the default) \
             writes to replicas are just local and are not propagated.",
        ));
    }
    let wanted = parse_int(args[1])?;
    let deadline = parse_timeout_ms(args[2], ctx.now)?;
    let offset = ctx.conn.write_offset;
    let acked = ctx.keyspace().repl.acked(offset);
    if acked as i64 >= wanted || ctx.conn.multi.is_some() || ctx.conn.in_exec {
        ctx.reply.integer(acked as i64);
        return Ok(());
    }
    // The session waits; the replicas are asked for an acknowledgement at once.
    ctx.conn.waiting_acks = Some((wanted.max(0) as usize, offset, deadline));
    let client = ctx.client.clone();
    let data = ctx.keyspace();
    data.repl.ack_waiters.push(client);
    data.repl.request_acks();
    Ok(())
}

/// REPLICAOF host port, or REPLICAOF NO ONE.
fn replicaof(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if is(args[1], "no") && is(args[2], "one") {
        let promoted = {
            let mut replication = ctx.server.replication();
            let was_replica = replication.primary.is_some();
            replication.promote();
            was_replica.then_some(replication.offset)
        };
        // The stream this server now feeds continues the offsets of the one it followed,
        // made from its own commands from now on.
        if let Some(offset) = promoted {
            let data = ctx.keyspace();
            data.repl.restart_at_keeping(offset);
            data.repl.proxy = false;
            if data.repl.active() {
                data.start_replicating();
            }
        }
        let promoted = promoted.is_some();
        if promoted {
            ctx.server.replica_changed();
            tracing::info!(
                "MASTER MODE enabled (user request from '{}')",
                ctx.client.describe(ctx.now)
            );
        }
        ctx.reply.ok();
        return Ok(());
    }
    let port = parse_int(args[2])
        .ok()
        .filter(|port| (0..=65535).contains(port))
        .ok_or(Error::Static("ERR Invalid master port"))?;
    let host = String::from_utf8_lossy(args[1]).into_owned();
    {
        let mut replication = ctx.server.replication();
        let same = replication.primary.as_ref().is_some_and(|primary| {
            primary.host.eq_ignore_ascii_case(&host) && i64::from(primary.port) == port
        });
        if same {
            tracing::info!(
                "REPLICAOF would result into synchronization with the master we are already \
                 connected with. No operation performed."
            );
            ctx.reply
                .simple(b"OK Already connected to specified master");
            return Ok(());
        }
        replication.follow(&host, port as u16, ctx.now);
    }
    ctx.server.replica_changed();
    ctx.server.replica_link.notify();
    // From now on this server's replicas get its primary's stream, not its own.
    ctx.keyspace().repl.proxy = true;
    unblock_all(ctx);
    tracing::info!(
        "REPLICAOF {host}:{port} enabled (user request from '{}')",
        ctx.client.describe(ctx.now)
    );
    ctx.reply.ok();
    Ok(())
}

/// Redis's `disconnectAllBlockedClients`: a server turning replica ends every blocking
/// command with an error, since the writes they wait for now come only from the primary.
fn unblock_all(ctx: &mut Ctx<'_, '_>) {
    let waiters = ctx.keyspace().remove_all_waiters();
    for waiter in waiters {
        let mut reply = bytes::BytesMut::new();
        radish_resp::write_error(
            &mut reply,
            b"UNBLOCKED force unblock from blocking operation, instance state changed \
              (master -> replica?)",
        );
        waiter.client.deliver(&reply);
    }
}

/// ROLE: `master`, its offset and its replicas, or `slave`, the primary, the link's state
/// and the offset applied.
fn role(ctx: &mut Ctx<'_, '_>, _args: &[&[u8]]) -> Result {
    let replication = ctx.server.replication();
    match &replication.primary {
        None => {
            drop(replication);
            let data = ctx.keyspace();
            let offset = data.repl.offset;
            let online: Vec<(String, u16, u64)> = data
                .repl
                .replicas
                .iter()
                .filter(|replica| replica.state == ReplicaState::Online)
                .map(|replica| (replica.ip.clone(), replica.listening_port, replica.ack))
                .collect();
            ctx.reply.array(3);
            ctx.reply.bulk(b"master");
            ctx.reply.integer(offset as i64);
            ctx.reply.array(online.len());
            for (ip, port, ack) in online {
                ctx.reply.array(3);
                ctx.reply.bulk(ip.as_bytes());
                ctx.reply.bulk(port.to_string().as_bytes());
                ctx.reply.bulk(ack.to_string().as_bytes());
            }
            return Ok(());
        }
        Some(primary) => {
            ctx.reply.array(5);
            ctx.reply.bulk(b"slave");
            ctx.reply.bulk(primary.host.as_bytes());
            ctx.reply.integer(i64::from(primary.port));
            ctx.reply.bulk(primary.state.role_name().as_bytes());
            let offset = match primary.state {
                LinkState::Connected => replication.offset as i64,
                _ => -1,
            };
            ctx.reply.integer(offset);
        }
    }
    Ok(())
}

/// REPLCONF: what a replica tells its primary, and GETACK, which a primary sends its
/// replicas. Radish serves no replicas yet, so only its primary's GETACK does anything; the
/// options a replica sends are refused as Redis refuses them from a client that is no
/// replica, or accepted where Redis accepts them from anyone.
fn replconf(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if args.len() % 2 == 0 {
        return Err(Error::Syntax);
    }
    let mut pair = 1;
    while pair < args.len() {
        let (option, value) = (args[pair], args[pair + 1]);
        if is(option, "getack") {
            // The link sends REPLCONF ACK with the offset once this batch is applied.
            if let Some(primary) = ctx.server.replication().primary.as_mut() {
                primary.ack_requested = true;
            }
            return Ok(());
        } else if is(option, "ack") || is(option, "fack") {
            // Sent by replicas, which never get a reply.
            if ctx.conn.is_replica && is(option, "ack") {
                let offset = parse_int(value).unwrap_or(0).max(0) as u64;
                let (id, now) = (ctx.client.id, ctx.now);
                ctx.keyspace().repl.acknowledged(id, offset, now);
            }
            return Ok(());
        } else if is(option, "listening-port") {
            let port = parse_int(value)?;
            ctx.conn.replica_port = port.clamp(0, 65535) as u16;
        } else if is(option, "ip-address") || is(option, "capa") {
        } else if is(option, "rdb-only") || is(option, "rdb-filter-only") {
            let flag = parse_int(value)?;
            if is(option, "rdb-only") && flag != 0 && flag != 1 {
                return Err(Error::Syntax);
            }
        } else {
            return Err(Error::Message(format!(
                "ERR Unrecognized REPLCONF option: {}",
                String::from_utf8_lossy(option)
            )));
        }
        pair += 2;
    }
    ctx.reply.ok();
    Ok(())
}
