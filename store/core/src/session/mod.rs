//! The per-connection state machine: request bytes and the time in, reply bytes out.

pub mod pump;
mod scripts;

use std::net::SocketAddr;
use std::sync::{Arc, MutexGuard};

use bytes::{Buf, Bytes, BytesMut};
use radish_data::Millis;
use radish_resp::{Limits, Request, RequestDecoder, Version};

use crate::exec::args::{borrowed, owned as owned_args};
use crate::exec::blocking::serve_blocked;
use crate::exec::command::{LastCommand, Table};
use crate::exec::conn::ConnState;
use crate::exec::ctx::Ctx;
use crate::exec::dispatch::{execute, resolve};
use crate::exec::reply::{write_timeout, Reply};
use crate::exec::tracking;
use crate::persist::LatencyProbe;
use crate::server::Server;
use crate::state::clients::{self, Client};
use crate::state::keyspace::{Keyspace, TimeoutReply, Waiter};
use crate::state::stats::Batch;

use scripts::Gate;

/// Arguments a request can have for them to be borrowed without an allocation: most have a
/// handful.
const IN_PLACE_ARGS: usize = 8;

/// What the pump should do after handing input to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a session that asks to close must be closed after its output is written"]
pub enum Status {
    /// Write the output (if any) and keep reading.
    Open,
    /// Write the output, then close the connection.
    Close,
}

/// A blocked command waiting for data.
#[derive(Debug, Clone, Copy)]
struct Blocked {
    deadline: Option<Millis>,
    on_timeout: TimeoutReply,
}

/// One connection's session. Feed it what the socket delivers with [`handle`](Session::handle)
/// and write what it produces; it keeps no socket and never blocks. It is given the time
/// rather than reading a clock; the only clock it reads is a monotonic one, to time (a
/// sample of) its commands for INFO commandstats and latencystats.
///
/// Every complete request in the input is run in one go (pipelining), and their replies land in
/// one output buffer for one write. A blocking command that finds no data parks the session:
/// further input stays buffered until the command is served or its [`deadline`]
/// (Session::deadline) passes.
#[derive(Debug)]
pub struct Session {
    server: Arc<Server>,
    /// Every command, as the table of command families has them.
    commands: &'static Table,
    client: Arc<Client>,
    decoder: RequestDecoder,
    conn: ConnState,
    /// The last command name resolved, as sent: a pipeline of one command looks it up once.
    last_command: LastCommand,
    blocked: Option<Blocked>,
    /// The error line a turned-away connection gets (`maxclients`, protected mode).
    refusal: Option<&'static [u8]>,
    /// The append-only log offset the output must wait for (within `handle`: what was logged).
    log_wait: Option<u64>,
    /// Unparsed input left by the last [`handle`](Session::handle): more means a read.
    input_seen: usize,
    /// A request decoded but left for later: it waits for a script that runs, or for
    /// CLIENT PAUSE to end.
    pending: Option<Vec<Bytes>>,
    /// The time of the last [`handle`](Session::handle): what an fsync that follows it
    /// (`sync_log`) is dated with in the latency monitor.
    now: Millis,
    /// CLIENT PAUSE holds the pending request back until this time (Unix ms), or until the
    /// pause is lifted, which wakes the session.
    paused_until: Option<Millis>,
    /// The pause that held the pending request ended: it runs again once the clients
    /// paused before it did (see `state/pause.rs`).
    awaiting_turn: bool,
}

impl Session {
    /// A session for a new connection from `addr` to `local_addr`, accepted at `now`.
    pub fn new(
        server: Arc<Server>,
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
    ) -> Session {
        // As Redis: first `maxclients`, then protected mode; neither counts as a connection.
        let (client, refusal) = match server.clients.admit(addr, local_addr, now) {
            Some(client) if clients::protected_mode_refuses(&server.config(), addr) => {
                (client, Some(clients::PROTECTED_MODE_DENIED))
            }
            Some(client) => (client, None),
            None => (
                Arc::new(Client::refused(addr, local_addr, now)),
                Some(clients::MAX_CLIENTS_REACHED),
            ),
        };
        let counter = match refusal {
            Some(_) => &server.stats.rejected_connections,
            None => &server.stats.connections,
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let limits = Limits {
            max_bulk_len: server.config().get_int("proto-max-bulk-len").max(1) as usize,
            ..Limits::default()
        };
        let mut decoder = RequestDecoder::with_limits(limits);
        let authenticated = server.config().get("requirepass").unwrap_or("").is_empty();
        decoder.set_authenticated(authenticated);
        let mut conn = ConnState::new(authenticated);
        conn.stats = Some(Batch::new(server.timer()));
        Session {
            server,
            commands: crate::commands::table(),
            client,
            decoder,
            conn,
            last_command: LastCommand::default(),
            blocked: None,
            refusal,
            log_wait: None,
            input_seen: 0,
            pending: None,
            now,
            paused_until: None,
            awaiting_turn: false,
        }
    }

    /// With `appendfsync always`: the append-only log offset that the output of the last
    /// [`handle`](Session::handle) acknowledges writes up to. The output may only be sent once
    /// the log is fsynced that far; the pump waits for it ([`durable`](Session::durable)). Taken
    /// (`None` afterwards).
    pub fn take_log_wait(&mut self) -> Option<u64> {
        self.log_wait.take()
    }

    /// The error line to send before closing, when the connection is turned away
    /// (`maxclients` reached, or protected mode). The pump sends it at once.
    pub fn refusal(&self) -> Option<&'static [u8]> {
        self.refusal
    }

    /// The shared server.
    pub fn server(&self) -> &Arc<Server> {
        &self.server
    }

    /// This connection's registry entry: its id, and the signal that wakes its task.
    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The protocol version in use.
    pub fn version(&self) -> Version {
        self.conn.version
    }

    /// When the pump must call [`handle`](Session::handle) again even if nothing arrives:
    /// a blocked command's timeout, or the end of a CLIENT PAUSE holding a request back.
    pub fn deadline(&self) -> Option<Millis> {
        let blocked = self.blocked.and_then(|b| b.deadline);
        let waiting = self.conn.waiting_acks.and_then(|(_, _, deadline)| deadline);
        // A pause lasts through its end millisecond.
        let paused = self.paused_until.map(|end| end.saturating_add(1));
        [blocked, waiting, paused].into_iter().flatten().min()
    }

    /// A session applying a primary's stream on a replica (Redis's master client): admitted
    /// whatever `maxclients` says, authenticated, its replies dropped, its writes allowed on
    /// a read-only replica.
    pub fn for_primary(server: Arc<Server>, now: Millis) -> Session {
        let mut session = Session::new(server, None, None, now);
        session.refusal = None;
        session.conn.authenticated = true;
        session.decoder.set_authenticated(true);
        session.conn.replies_off = true;
        session.conn.from_primary = true;
        session
            .client
            .update(|info| info.link = clients::LinkRole::Primary);
        session
    }

    /// Call on every event: input arrived (it is in `input`), the client's signal fired, or
    /// the [`deadline`](Session::deadline) passed. Runs every complete request in `input`
    /// (leaving a partial one there for next time) and appends all output to `out`.
    pub fn handle(&mut self, input: &mut BytesMut, now: Millis, out: &mut BytesMut) -> Status {
        if let Some(refusal) = self.refusal.take() {
            out.extend_from_slice(refusal);
            return Status::Close;
        }
        self.now = now;
        // The pump calls after reading (more input) or on a signal or timeout.
        if let Some(batch) = self.conn.stats.as_mut() {
            batch.reads += u64::from(input.len() > self.input_seen);
        }
        let status = self.run_batch(input, now, out);
        self.input_seen = input.len();
        status
    }

    /// [`handle`](Session::handle) but for counting reads.
    fn run_batch(&mut self, input: &mut BytesMut, now: Millis, out: &mut BytesMut) -> Status {
        let output_before = out.len();
        self.conn.batch_input = input.len();
        self.conn.batch_input_free = input.capacity() - input.len();
        let server = self.server.clone();
        let mut keyspace: Option<MutexGuard<'_, Keyspace>> = None;
        if self.blocked.is_some() && server.watch.is_reserved() {
            // A script holds the data; look again when it is done.
            server.watch.wait(&self.client, true);
            return Status::Open;
        }
        if let Some(blocked) = self.blocked {
            // Whoever serves a blocked command does so under the data lock, and delivers the
            // reply before releasing it: holding the lock here, the outbox is up to date.
            let data = keyspace.get_or_insert_with(|| server.keyspace());
            if !data.is_waiting(self.client.id) {
                self.blocked = None;
                // Served by another connection's write, logged in its batch.
                self.log_wait = server.persist.wait_offset();
            } else if blocked.deadline.is_some_and(|d| d <= now) {
                // As in Redis 7.0, a command that timed out is not logged as slow.
                data.remove_waiter(self.client.id);
                self.blocked = None;
                self.client.take_outbox(out);
                write_timeout(out, blocked.on_timeout, self.conn.version);
            }
        }
        self.client.take_outbox(out);
        if self.client.is_killed() {
            return Status::Close;
        }
        if self.blocked.is_some() || !self.waited_for_acks(now, out) {
            return Status::Open;
        }
        // A request CLIENT PAUSE held back runs again (and is held again if still paused),
        // in its turn among the clients the pause held.
        let took_turn = self.paused_until.take().is_some() || self.awaiting_turn;
        if took_turn && !server.pause.turn(self.client.id, now) {
            self.awaiting_turn = true;
            return Status::Open;
        }
        self.awaiting_turn = false;
        let mut last_command = None;
        let mut status = Status::Open;
        let output_limits = [false, true].map(|pubsub| server.clients.limits.output(pubsub));
        loop {
            let decoded = match self.pending.take() {
                Some(args) => Ok(Some(Request::Owned(args))),
                None => self.decoder.next_request(input),
            };
            let (owned, consumed) = match decoded {
                Ok(Some(Request::Owned(args))) => (Some(args), 0),
                Ok(Some(Request::InPlace { len })) => (None, len),
                Ok(None) => break,
                Err(error) => {
                    let line = format!("ERR {error}");
                    radish_resp::write_error(out, line.as_bytes());
                    if let Some(batch) = self.conn.stats.as_mut() {
                        batch.error(&line);
                    }
                    status = Status::Close;
                    break;
                }
            };
            // The arguments are borrowed from the input, which moves past the request only
            // once it has run: no copy and no reference count per argument.
            let mut in_place = [&[][..]; IN_PLACE_ARGS];
            let spilled: Vec<&[u8]>;
            let args: &[&[u8]] = match &owned {
                Some(owned) => {
                    spilled = borrowed(owned);
                    &spilled
                }
                None => {
                    let ranges = self.decoder.ranges();
                    if ranges.len() <= IN_PLACE_ARGS {
                        for (arg, range) in in_place.iter_mut().zip(ranges) {
                            *arg = &input[range.clone()];
                        }
                        &in_place[..ranges.len()]
                    } else {
                        spilled = ranges.iter().map(|range| &input[range.clone()]).collect();
                        &spilled
                    }
                }
            };
            let found = self
                .last_command
                .lookup(self.commands, &server.renames, args[0]);
            let resolved = resolve(found, args);
            let command = resolved.as_ref().ok().copied();
            let reserved = match self.gate(command, keyspace.is_some()) {
                Gate::Run => false,
                Gate::RunScript => true,
                Gate::Wait { until_end } => {
                    server.watch.wait(&self.client, until_end);
                    self.pending = Some(owned_args(args));
                    input.advance(consumed);
                    break;
                }
            };
            let mut ctx = Ctx {
                server: &server,
                commands: self.commands,
                client: &self.client,
                conn: &mut self.conn,
                reply: Reply {
                    out: &mut *out,
                    version: Version::Resp2,
                },
                now,
                keyspace: &mut keyspace,
                block: None,
                ready_key: None,
            };
            ctx.reply.version = ctx.conn.version;
            let ran = execute(&mut ctx, resolved, args);
            tracking::after_request(&mut ctx, ran, args);
            if reserved {
                server.watch.release();
            }
            last_command = Some(ran.map_or("", |command| command.full_name));
            let block = ctx.block.take();
            self.decoder.set_authenticated(self.conn.authenticated);
            self.client.set_version(self.conn.version);
            if let (Some(block), Some(command)) = (block, ran) {
                let data = keyspace.get_or_insert_with(|| server.keyspace());
                data.add_waiter(Waiter {
                    db: self.conn.db,
                    command: command.full_name,
                    args: block.rerun.unwrap_or_else(|| owned_args(args)),
                    keys: block.keys,
                    client: self.client.clone(),
                    on_timeout: block.on_timeout,
                    pops: block.pops,
                    micros: self.conn.blocked_micros,
                });
                self.blocked = Some(Blocked {
                    deadline: block.deadline,
                    on_timeout: block.on_timeout,
                });
                input.advance(consumed);
                break;
            }
            if self.conn.waiting_acks.is_some() {
                input.advance(consumed);
                break;
            }
            if let Some(end) = self.conn.postponed.take() {
                self.pending = Some(owned_args(args));
                self.paused_until = Some(end);
                input.advance(consumed);
                break;
            }
            input.advance(consumed);
            if keyspace.as_ref().is_some_and(|data| data.has_ready()) {
                serve_blocked(
                    &mut keyspace,
                    &server,
                    self.commands,
                    now,
                    &mut self.conn.stats,
                );
            }
            let limit = output_limits[usize::from(self.conn.in_pubsub_context())];
            let usage = clients::output_buffer_usage(out.len());
            if self.client.check_output(usage, limit, now) {
                // Redis frees such a client without sending what it could not take.
                out.clear();
                status = Status::Close;
                break;
            }
            if self.conn.close_after_reply {
                status = Status::Close;
                break;
            }
        }
        // What this batch logged, or what a reply served by another connection acknowledges.
        let mut logged = self.log_wait.take();
        if let Some(data) = keyspace.as_mut() {
            scripts::undo_closed(&server, data);
            if self.conn.from_primary {
                // A replica's replicas get the primary's commands just applied.
                data.repl.feed_proxied();
            }
            let wrote = data.log.replicas && !data.log.buf.is_empty();
            // Still under the data lock: the log stays in execution order.
            logged = logged.max(server.persist.end_batch(data));
            if wrote {
                // What WAIT waits for replicas to acknowledge.
                self.conn.write_offset = data.repl.offset;
            }
        }
        if let Some(batch) = self.conn.stats.as_mut() {
            // The pump writes whatever this leaves in `out`.
            batch.writes += u64::from(out.len() > output_before);
            // Folded under the data lock if this batch took it: batches that did never wait
            // for each other on the statistics' lock.
            server.stats.commands().fold(batch);
        }
        drop(keyspace);
        // Written before the replies that acknowledge it are sent; fsynced too, with
        // appendfsync always, which the connection pump waits for.
        let probe = LatencyProbe {
            latency: &server.latency,
            timer: server.timer(),
            now,
        };
        self.log_wait = server.persist.write_log(logged, &probe);
        self.publish_info(input, last_command, now);
        if took_turn {
            server.pause.done(self.client.id);
        }
        if self.client.is_killed() {
            return Status::Close;
        }
        status
    }

    /// Shows this connection's state to CLIENT LIST and friends. `input` is what is left of
    /// the query buffer: `qbuf` counts it but for the parts of a partial request already
    /// parsed (Redis holds those as arguments), `qbuf-free` is its free space.
    fn publish_info(&self, input: &BytesMut, last_command: Option<&'static str>, now: Millis) {
        let conn = &self.conn;
        let buffered = input.len() - self.decoder.parsed().min(input.len());
        let free = input.capacity() - input.len();
        let blocked = self.blocked.is_some() || self.paused_until.is_some() || self.awaiting_turn;
        self.client.set_input_size(input.capacity());
        self.client.update(|info| {
            info.db = conn.db;
            info.name = conn.name.clone();
            info.resp = if conn.version == Version::Resp3 { 3 } else { 2 };
            info.query_buffer = buffered;
            info.query_buffer_free = free;
            info.subscriptions = conn.channels.len();
            info.pattern_subscriptions = conn.patterns.len();
            info.shard_subscriptions = conn.shard_channels.len();
            info.in_multi = conn.multi.as_ref().map(Vec::len);
            info.blocked = blocked;
            if let Some(name) = last_command {
                info.last_command = name;
            }
        });
        if last_command.is_some() {
            self.client.interacted(now);
        }
    }
}

impl Session {
    /// WAIT blocked this session: true once it has its answer (written to `out`), when
    /// enough replicas acknowledged or its timeout passed; false while it still waits.
    fn waited_for_acks(&mut self, now: Millis, out: &mut BytesMut) -> bool {
        let Some((wanted, offset, deadline)) = self.conn.waiting_acks else {
            return true;
        };
        let mut data = self.server.keyspace();
        let acked = data.repl.acked(offset);
        if acked < wanted && !deadline.is_some_and(|deadline| now >= deadline) {
            return false;
        }
        data.repl
            .ack_waiters
            .retain(|client| client.id != self.client.id);
        drop(data);
        self.conn.waiting_acks = None;
        radish_resp::write_integer(out, acked as i64);
        true
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.leave_data();
        self.server.pause.leave(self.client.id);
        {
            let mut pubsub = self.server.pubsub();
            self.conn.leave_pubsub(&mut pubsub, self.client.id);
        }
        // No more messages can arrive: what is queued and unsent is memory no more, nor are
        // the connection's buffers.
        self.client.discard_outbox();
        self.client.account_buffers(0);
        self.server.clients.unregister(self.client.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::renames::Renames;

    #[test]
    fn the_last_command_name_resolves_as_the_table_does_renames_included() {
        let table = crate::commands::table();
        let renames = Renames::new(&[("get".into(), "fetch".into())]);
        let mut last = LastCommand::default();
        let fetch = last
            .lookup(table, &renames, b"FETCH")
            .expect("the new name");
        assert_eq!(fetch.full_name, "get");
        assert!(std::ptr::eq(last.get(b"FETCH").unwrap(), fetch));
        // Only the exact bytes hit; another spelling is looked up (and then remembered).
        assert!(last.get(b"fetch").is_none());
        assert!(std::ptr::eq(
            last.lookup(table, &renames, b"fetch").unwrap(),
            fetch
        ));
        // The old name is gone, and an unknown name is not remembered.
        assert!(last.lookup(table, &renames, b"get").is_none());
        assert!(last.get(b"fetch").is_some());
        assert_eq!(
            last.lookup(table, &renames, b"incr").unwrap().full_name,
            "incr"
        );
        assert!(last.get(b"fetch").is_none());
        // Names longer than the buffer still resolve, uncached.
        let renames = Renames::new(&[("incr".into(), "increment_this_counter".into())]);
        let long = b"INCREMENT_THIS_COUNTER";
        assert_eq!(
            last.lookup(table, &renames, long).unwrap().full_name,
            "incr"
        );
        assert!(last.get(long).is_none());
    }
}
