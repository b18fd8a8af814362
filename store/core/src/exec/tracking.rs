//! Client-side caching around each command (`state/tracking.rs` keeps who tracks what): what
//! a command wrote is invalidated as it ends, what it read is remembered for its client, and
//! once its reply is written, the invalidations for its own client and the BCAST messages go
//! out, as Redis's `call()` and `afterCommand()` do.

use crate::exec::command::{Command, Flags};
use crate::exec::ctx::Ctx;
use crate::exec::keys::find_keys;
use std::sync::atomic::Ordering;

use crate::state::keyspace::Keyspace;
use crate::state::tracking::Delivery;

/// Read-only commands whose reads are remembered by the commands their scripts run instead.
const SCRIPTS_READ_THEMSELVES: &[&str] = &["eval_ro", "evalsha_ro", "fcall_ro"];

/// After each command that ran, at the top or queued in EXEC or run by a script.
pub fn after_call(ctx: &mut Ctx<'_, '_>, command: &Command, args: &[&[u8]]) {
    let Some(keyspace) = ctx.keyspace.as_mut() else {
        return;
    };
    if !keyspace.tracking.is_active() {
        return;
    }
    let id = ctx.client.id;
    let mut to = Delivery {
        clients: &ctx.server.clients,
        current: Some(id),
        out: None,
    };
    keyspace.invalidate_modified(Some(id), &mut to);
    let reads = command.has(Flags::READONLY)
        && !command.has(Flags::PUBSUB)
        && !SCRIPTS_READ_THEMSELVES.contains(&command.full_name);
    if !reads {
        return;
    }
    if ctx.conn.script {
        // A script that reads remembers the keys it declared, as Redis remembers its
        // caller's: done once it returns (`after_request`).
        keyspace.tracking.script_read = true;
        return;
    }
    remember(keyspace, id, ctx.conn.tracking_caching, command, args);
}

/// Remembers the keys `command` names in `args` as read by client `id`.
fn remember(keyspace: &mut Keyspace, id: u64, caching: bool, command: &Command, args: &[&[u8]]) {
    let keys = find_keys(command, args);
    let names = keys.iter().map(|(position, _)| args[*position]);
    keyspace.tracking.remember(id, caching, names);
}

/// After eviction made room for a command, before it runs: the evicted keys' invalidations
/// go out at once, ahead of its reply, as Redis sends them right after `performEvictions`.
pub fn after_eviction(ctx: &mut Ctx<'_, '_>) {
    let Some(keyspace) = ctx.keyspace.as_mut() else {
        return;
    };
    if !keyspace.tracking.is_active() {
        return;
    }
    let mut to = Delivery {
        clients: &ctx.server.clients,
        current: Some(ctx.client.id),
        out: Some(&mut *ctx.reply.out),
    };
    keyspace.invalidate_modified(Some(ctx.client.id), &mut to);
    keyspace.tracking.send_pending(&mut to);
}

/// After a client's request ran and its reply was written: the invalidations that waited for
/// it, and the BCAST messages. `command` is what ran, if anything did.
pub fn after_request(ctx: &mut Ctx<'_, '_>, command: Option<&Command>, args: &[&[u8]]) {
    // CLIENT CACHING holds for the next command, or the next transaction, only.
    if ctx.conn.tracking_caching
        && ctx.conn.multi.is_none()
        && command.is_some_and(|c| c.top_name() != "client")
    {
        ctx.conn.tracking_caching = false;
    }
    let Some(keyspace) = ctx.keyspace.as_mut() else {
        return;
    };
    if !keyspace.tracking.is_active() {
        // Caching just became inactive (the last tracking client went): commands stop
        // checking for it.
        if ctx.server.tracking_active.load(Ordering::Relaxed) {
            sync(ctx);
        }
        return;
    }
    let id = ctx.client.id;
    if std::mem::take(&mut keyspace.tracking.script_read) {
        if let Some(command) = command {
            remember(keyspace, id, ctx.conn.tracking_caching, command, args);
        }
    }
    let mut to = Delivery {
        clients: &ctx.server.clients,
        current: Some(id),
        out: Some(&mut *ctx.reply.out),
    };
    // Writes outside any command (served blocked clients), then what waited for the reply.
    keyspace.invalidate_modified(Some(id), &mut to);
    keyspace.tracking.send_pending(&mut to);
    keyspace.tracking.broadcast(&mut to);
    sync(ctx);
}

/// Before a command runs (or is queued): keeps the tracking table within
/// `tracking-table-max-keys`, the invalidations going out ahead of the command's reply, as
/// Redis's `processCommand` does.
pub fn before_command(ctx: &mut Ctx<'_, '_>) {
    if !ctx.server.tracking_active.load(Ordering::Relaxed) {
        return;
    }
    let max_keys = ctx
        .server
        .config()
        .get_int("tracking-table-max-keys")
        .max(0) as usize;
    let server = ctx.server;
    let keyspace = ctx.keyspace.get_or_insert_with(|| server.keyspace());
    let mut to = Delivery {
        clients: &server.clients,
        current: Some(ctx.client.id),
        out: Some(&mut *ctx.reply.out),
    };
    keyspace.tracking.limit(max_keys, &mut to);
}

/// Has the databases record writes while client-side caching is active, and tells commands
/// whether it is (after tracking changed, or a client went).
pub fn sync(ctx: &mut Ctx<'_, '_>) {
    let active = ctx.keyspace().record_modified();
    ctx.server.tracking_active.store(active, Ordering::Relaxed);
}
