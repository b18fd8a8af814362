//! Serving blocked clients: when a key some clients wait on is written, each one's command
//! runs again as that client, in the order they blocked.

use std::sync::MutexGuard;

use bytes::BytesMut;
use radish_data::Millis;

use crate::exec::args::borrowed;
use crate::exec::command::Table;
use crate::exec::conn::ConnState;
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::run_handler;
use crate::exec::reply::Reply;
use crate::exec::slow;
use crate::server::Server;
use crate::state::keyspace::Keyspace;
use crate::state::stats::Batch;

/// Serves clients blocked on keys that were just written, in the order they blocked: each
/// one's command runs again as that client, and its reply goes to that client's outbox.
/// Serving may write further keys (BLMOVE), so this repeats until nothing is ready. What
/// the served commands do is counted in `stats`, the serving session's batch (the blocked
/// sessions are not running).
pub fn serve_blocked<'s>(
    keyspace: &mut Option<MutexGuard<'s, Keyspace>>,
    server: &'s Server,
    commands: &'static Table,
    now: Millis,
    stats: &mut Option<Batch>,
) {
    loop {
        let Some(data) = keyspace.as_mut() else {
            return;
        };
        let ready = data.take_ready();
        if ready.is_empty() {
            return;
        }
        for (db, key) in ready {
            let Some(data) = keyspace.as_mut() else {
                return;
            };
            for client in data.waiters_on(db, &key) {
                let Some(data) = keyspace.as_mut() else {
                    return;
                };
                let Some(waiter) = data.waiter(client) else {
                    continue;
                };
                // A key that now holds another type than the command pops keeps its clients
                // waiting, as in Redis (a transaction may have pushed, deleted and SET it
                // before they ran). With the right type, the command runs and its reply is
                // sent, errors included: BLMOVE into a destination of the wrong type gets
                // WRONGTYPE and stops waiting, the element staying where it was.
                let runs = waiter
                    .pops
                    .matches(data.db(db).peek(&key).map(|entry| &entry.value));
                if !runs {
                    if waiter.pops.takes() {
                        // The first in line cannot be served: nobody behind it can either.
                        break;
                    }
                    continue;
                }
                let Some(command) = commands.lookup(waiter.command.as_bytes()) else {
                    continue;
                };
                let version = waiter.client.version();
                let mut conn = ConnState::new(true);
                conn.db = waiter.db;
                conn.version = version;
                conn.stats = stats.take();
                let mut out = BytesMut::new();
                let mut ctx = Ctx {
                    server,
                    commands,
                    client: &waiter.client,
                    conn: &mut conn,
                    reply: Reply {
                        out: &mut out,
                        version,
                    },
                    now,
                    keyspace,
                    block: None,
                    ready_key: waiter.keys.iter().find(|k| k[..] == key[..]).cloned(),
                };
                let start = ctx.conn.stats.as_ref().map(Batch::start);
                let failed = run_handler(&mut ctx, command, &borrowed(&waiter.args));
                let served = ctx.block.is_none();
                *stats = conn.stats.take();
                if let (Some(batch), Some(start), true) = (stats.as_mut(), start, served) {
                    // Counted as a call when it blocked; now its time and outcome.
                    let micros = batch.served(command.full_name, start, failed) / 1000;
                    server
                        .latency
                        .add_if_needed("command-unblocking", micros / 1000, now);
                    slow::unblocked(server, &waiter, waiter.micros + micros, now);
                }
                if !served {
                    if waiter.pops.takes() {
                        // The first in line found nothing: nobody behind it can be served
                        // either.
                        break;
                    }
                    continue;
                }
                if let Some(data) = keyspace.as_mut() {
                    data.remove_waiter(waiter.client.id);
                }
                waiter.client.deliver(&out);
            }
        }
    }
}
