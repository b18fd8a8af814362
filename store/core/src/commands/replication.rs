//! REPLICAOF (SLAVEOF), ROLE and REPLCONF: following a primary, as Redis 7.0's
//! `replicaofCommand`, `roleCommand` and the replica's side of `replconfCommand`. The link to
//! the primary runs in `replica.rs`; these change and report `state/replication.rs`.

use crate::error::{Error, Result};
use crate::exec::args::{is, parse_int};
use crate::exec::command::{acl, flags, Command, Group};
use crate::exec::ctx::Ctx;
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
];

/// REPLICAOF host port, or REPLICAOF NO ONE.
fn replicaof(ctx: &mut Ctx<'_, '_>, args: &[&[u8]]) -> Result {
    if is(args[1], "no") && is(args[2], "one") {
        let promoted = {
            let mut replication = ctx.server.replication();
            let was_replica = replication.primary.is_some();
            replication.promote();
            was_replica
        };
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
            ctx.reply.array(3);
            ctx.reply.bulk(b"master");
            ctx.reply.integer(replication.offset as i64);
            ctx.reply.array(0);
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
            return Ok(());
        } else if is(option, "listening-port") {
            parse_int(value)?;
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
