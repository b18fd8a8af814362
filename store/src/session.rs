//! The per-connection state machine: request bytes and the time in, reply bytes out.

use std::net::SocketAddr;
use std::sync::{Arc, MutexGuard};

use bytes::{Bytes, BytesMut};
use indexmap::IndexSet;
use radish_resp::{Limits, RequestDecoder, Version};

use crate::clients::{self, Client};
use crate::commands::{Command, Renames};
use crate::ctx::{Ctx, TimeoutReply};
use crate::db::Millis;
use crate::error::Error;
use crate::keyspace::{Keyspace, Waiter};
use crate::reply::Reply;
use crate::server::stats::Batch;
use crate::server::Server;

/// What the adapter should do after handing input to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a session that asks to close must be closed after its output is written"]
pub enum Status {
    /// Write the output (if any) and keep reading.
    Open,
    /// Write the output, then close the connection.
    Close,
}

/// A key a connection WATCHes.
#[derive(Debug, Clone)]
pub struct WatchedKey {
    /// Its database.
    pub db: usize,
    /// The key.
    pub key: Bytes,
    /// Its change counter when watched.
    pub version: u64,
    /// Its deadline when watched, if it had one and had not passed: EXEC fails if the key
    /// expires in between, as in Redis.
    pub deadline: Option<Millis>,
}

/// The connection state that commands read and change.
#[derive(Debug)]
pub struct ConnState {
    /// The selected database.
    pub db: usize,
    /// The protocol replies are written in.
    pub version: Version,
    /// False until AUTH succeeds, when a password is required.
    pub authenticated: bool,
    /// CLIENT SETNAME.
    pub name: Bytes,
    /// Set by QUIT (and errors that end the connection): close after this reply.
    pub close_after_reply: bool,
    /// CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON.
    pub replies_off: bool,
    /// CLIENT REPLY SKIP: drop the reply of the command after this one.
    pub skip_next_reply: bool,
    /// Drop this command's reply (the command after a CLIENT REPLY SKIP); CLIENT REPLY ON
    /// clears it so that its own OK goes out.
    pub(crate) skip_this_reply: bool,
    /// This command's reply is pub/sub pushes, which Redis sends even with replies off.
    pub(crate) reply_is_push: bool,
    /// Commands queued since MULTI; `None` outside a transaction.
    pub multi: Option<Vec<Vec<Bytes>>>,
    /// A command was rejected while queuing: EXEC must fail with EXECABORT.
    pub multi_failed: bool,
    /// Keys WATCHed since the last EXEC, DISCARD or UNWATCH.
    pub watching: Vec<WatchedKey>,
    /// Channels subscribed to.
    pub channels: IndexSet<Bytes>,
    /// Patterns subscribed to.
    pub patterns: IndexSet<Bytes>,
    /// Shard channels subscribed to (SSUBSCRIBE).
    pub shard_channels: IndexSet<Bytes>,
    /// True for the commands of a file loaded at start-up.
    pub(crate) replaying: bool,
    /// True while EXEC runs the queued commands: a client there expects one reply per
    /// command, so MONITOR is refused (Redis's "DENY BLOCKING" clients).
    pub(crate) in_exec: bool,
    /// Bytes of input the running batch started with: what CLIENT LIST shows as `qbuf` for
    /// the connection running it, as Redis trims its query buffer only after the batch.
    pub(crate) batch_input: usize,
    /// What this batch's commands did, for INFO commandstats and errorstats; `None` where
    /// nothing is counted (commands replayed from the append-only log at start-up).
    pub(crate) stats: Option<Batch>,
    /// The last command name resolved, as sent: a pipeline of one command looks it up once.
    pub(crate) last_command: LastCommand,
}

/// A command name as a client sent it and the command it names on this server (renames
/// included: they are fixed at start-up). Comparing bytes costs less than the case-folding
/// table lookup, which perf showed at 8% of the CPU of pipelined INCRs.
#[derive(Debug, Default)]
pub(crate) struct LastCommand {
    name: [u8; 16],
    len: usize,
    command: Option<&'static Command>,
}

impl LastCommand {
    /// The command `name` resolved to last time, if it is the last name resolved.
    #[inline]
    fn get(&self, name: &[u8]) -> Option<&'static Command> {
        let command = self.command?;
        (name.len() == self.len && name == &self.name[..self.len]).then_some(command)
    }

    /// Looks `name` up in `renames` (and so the command table), remembering the answer.
    fn lookup(&mut self, renames: &Renames, name: &[u8]) -> Option<&'static Command> {
        if let Some(command) = self.get(name) {
            return Some(command);
        }
        let command = renames.lookup(name)?;
        if name.len() <= self.name.len() {
            self.name[..name.len()].copy_from_slice(name);
            self.len = name.len();
            self.command = Some(command);
        }
        Some(command)
    }
}

impl ConnState {
    pub(crate) fn new(authenticated: bool) -> ConnState {
        ConnState {
            db: 0,
            version: Version::Resp2,
            authenticated,
            name: Bytes::new(),
            close_after_reply: false,
            replies_off: false,
            skip_next_reply: false,
            skip_this_reply: false,
            reply_is_push: false,
            multi: None,
            multi_failed: false,
            watching: Vec::new(),
            channels: IndexSet::new(),
            patterns: IndexSet::new(),
            shard_channels: IndexSet::new(),
            in_exec: false,
            replaying: false,
            batch_input: 0,
            stats: None,
            last_command: LastCommand::default(),
        }
    }

    /// Number of channel and pattern subscriptions: the count (P)SUBSCRIBE confirmations
    /// report. Shard channels are counted apart.
    pub fn subscriptions(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// True while subscribed to anything, shard channels included: Redis's pub/sub context,
    /// which limits a RESP2 connection to the subscribe family, PING, QUIT and RESET.
    pub fn in_pubsub_context(&self) -> bool {
        self.subscriptions() + self.shard_channels.len() > 0
    }

    /// Drops every subscription (RESET, or the connection closing).
    pub(crate) fn leave_pubsub(&mut self, pubsub: &mut crate::pubsub::PubSub, client: u64) {
        for channel in self.channels.drain(..) {
            pubsub.unsubscribe(&channel, client);
        }
        for pattern in self.patterns.drain(..) {
            pubsub.punsubscribe(&pattern, client);
        }
        for channel in self.shard_channels.drain(..) {
            pubsub.sunsubscribe(&channel, client);
        }
    }
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
    client: Arc<Client>,
    decoder: RequestDecoder,
    conn: ConnState,
    blocked: Option<Blocked>,
    /// The error line a turned-away connection gets (`maxclients`, protected mode).
    refusal: Option<&'static [u8]>,
    /// The append-only log offset the output must wait for (within `handle`: what was logged).
    log_wait: Option<u64>,
    /// Unparsed input left by the last [`handle`](Session::handle): more means a read.
    input_seen: usize,
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
            client,
            decoder,
            conn,
            blocked: None,
            refusal,
            log_wait: None,
            input_seen: 0,
        }
    }

    /// With `appendfsync always`: the append-only log offset that the output of the last
    /// [`handle`](Session::handle) acknowledges writes up to. The output may only be sent once
    /// the log is fsynced that far; the connection pump in `driver` waits for it. Taken
    /// (`None` afterwards).
    pub fn take_log_wait(&mut self) -> Option<u64> {
        self.log_wait.take()
    }

    /// The error line to send before closing, when the connection is turned away
    /// (`maxclients` reached, or protected mode). The adapter sends it at once.
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

    /// When the adapter must call [`handle`](Session::handle) again even if nothing arrives:
    /// a blocked command's timeout.
    pub fn deadline(&self) -> Option<Millis> {
        self.blocked.and_then(|b| b.deadline)
    }

    /// Call on every event: input arrived (it is in `input`), the client's signal fired, or
    /// the [`deadline`](Session::deadline) passed. Runs every complete request in `input`
    /// (leaving a partial one there for next time) and appends all output to `out`.
    pub fn handle(&mut self, input: &mut BytesMut, now: Millis, out: &mut BytesMut) -> Status {
        if let Some(refusal) = self.refusal.take() {
            out.extend_from_slice(refusal);
            return Status::Close;
        }
        // The adapter calls after reading (more input) or on a signal or timeout.
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
        let server = self.server.clone();
        let mut keyspace: Option<MutexGuard<'_, Keyspace>> = None;
        if let Some(blocked) = self.blocked {
            // Whoever serves a blocked command does so under the data lock, and delivers the
            // reply before releasing it: holding the lock here, the outbox is up to date.
            let data = keyspace.get_or_insert_with(|| server.keyspace());
            if !data.is_waiting(self.client.id) {
                self.blocked = None;
                // Served by another connection's write, logged in its batch.
                self.log_wait = server.persist.wait_offset();
            } else if blocked.deadline.is_some_and(|d| d <= now) {
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
        if self.blocked.is_some() {
            return Status::Open;
        }
        let mut last_command = None;
        let mut status = Status::Open;
        let output_limits = [false, true].map(|pubsub| server.clients.limits.output(pubsub));
        loop {
            let args = match self.decoder.decode(input) {
                Ok(Some(args)) => args,
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
            let mut ctx = Ctx {
                server: &server,
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
            last_command = Some(execute(&mut ctx, &args));
            let block = ctx.block.take();
            self.decoder.set_authenticated(self.conn.authenticated);
            self.client.set_version(self.conn.version);
            // The command that blocked is the one just resolved (the last one remembered).
            let blocked_on = block.and_then(|block| {
                let command = self.conn.last_command.lookup(&server.renames, &args[0])?;
                Some((block, command))
            });
            if let Some((block, command)) = blocked_on {
                let data = keyspace.get_or_insert_with(|| server.keyspace());
                data.add_waiter(Waiter {
                    db: self.conn.db,
                    command,
                    args,
                    keys: block.keys,
                    client: self.client.clone(),
                    on_timeout: block.on_timeout,
                    pops: block.pops,
                });
                self.blocked = Some(Blocked {
                    deadline: block.deadline,
                    on_timeout: block.on_timeout,
                });
                break;
            }
            if keyspace.as_ref().is_some_and(|data| data.has_ready()) {
                serve_blocked(&mut keyspace, &server, now, &mut self.conn.stats);
            }
            let limit = output_limits[usize::from(self.conn.in_pubsub_context())];
            let usage = crate::clients::output_buffer_usage(out.len());
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
            // Still under the data lock: the log stays in execution order.
            logged = logged.max(server.persist.end_batch(data));
        }
        if let Some(batch) = self.conn.stats.as_mut() {
            // The adapter writes whatever this leaves in `out`.
            batch.writes += u64::from(out.len() > output_before);
            // Folded under the data lock if this batch took it: batches that did never wait
            // for each other on the statistics' lock.
            server.stats.commands().fold(batch);
        }
        drop(keyspace);
        // Written before the replies that acknowledge it are sent; fsynced too, with
        // appendfsync always, which the connection pump waits for.
        self.log_wait = server.persist.write_log(logged);
        self.publish_info(input.len(), last_command, now);
        if self.client.is_killed() {
            return Status::Close;
        }
        status
    }

    /// Shows this connection's state to CLIENT LIST and friends.
    fn publish_info(&self, buffered: usize, last_command: Option<&'static str>, now: Millis) {
        let conn = &self.conn;
        self.client.update(|info| {
            info.db = conn.db;
            info.name = conn.name.clone();
            info.resp = if conn.version == Version::Resp3 { 3 } else { 2 };
            info.query_buffer = buffered;
            info.subscriptions = conn.channels.len();
            info.pattern_subscriptions = conn.patterns.len();
            info.shard_subscriptions = conn.shard_channels.len();
            info.in_multi = conn.multi.as_ref().map(Vec::len);
            if let Some(name) = last_command {
                info.last_command = name;
            }
        });
        if last_command.is_some() {
            self.client.interacted(now);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        {
            let mut data = self.server.keyspace();
            data.remove_waiter(self.client.id);
            for watched in self.conn.watching.drain(..) {
                data.db(watched.db).unwatch(&watched.key);
            }
        }
        {
            let mut pubsub = self.server.pubsub();
            self.conn.leave_pubsub(&mut pubsub, self.client.id);
        }
        // No more messages can arrive: what is queued and unsent is memory no more.
        self.client.discard_outbox();
        self.server.clients.unregister(self.client.id);
    }
}

/// Writes what a blocked command replies when it times out (or CLIENT UNBLOCK ends it).
pub(crate) fn write_timeout(out: &mut BytesMut, reply: TimeoutReply, version: Version) {
    match reply {
        TimeoutReply::Null => radish_resp::write_null(out, version),
        TimeoutReply::NullArray => radish_resp::write_null_array(out, version),
    }
}

/// Runs one request with CLIENT REPLY handling. Returns the command's full name.
fn execute(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> &'static str {
    let start = ctx.reply.out.len();
    let name = dispatch(ctx, args);
    let skip = std::mem::take(&mut ctx.conn.skip_this_reply);
    let pushed = std::mem::take(&mut ctx.conn.reply_is_push);
    if (skip || ctx.conn.replies_off) && !pushed {
        ctx.reply.out.truncate(start);
    }
    if std::mem::take(&mut ctx.conn.skip_next_reply) {
        ctx.conn.skip_this_reply = true;
    }
    name
}

/// Commands that run at once inside MULTI instead of being queued.
const RUN_IN_MULTI: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

/// Commands a RESP2 connection may send while subscribed.
const ALLOWED_WHILE_SUBSCRIBED: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "ssubscribe",
    "sunsubscribe",
    "ping",
    "quit",
    "reset",
];

/// Checks a request the way Redis's `processCommand` does, in its order, then runs it or
/// queues it (inside MULTI).
fn dispatch(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> &'static str {
    let found = ctx.conn.last_command.lookup(&ctx.server.renames, &args[0]);
    let (command, name) = match resolve_found(found, args) {
        Ok(found) => found,
        Err((command, error)) => {
            reject(ctx, command, &error);
            return "";
        }
    };
    // Before authentication, as in Redis: a protected command refuses anyone.
    if command.full_name == "debug" && !crate::commands::debug_allowed(ctx) {
        reject(ctx, Some(command), &crate::commands::DEBUG_NOT_ALLOWED);
        return name;
    }
    if !ctx.conn.authenticated && !command.flags.contains(&"no-auth") {
        reject(ctx, Some(command), &Error::NoAuth);
        return name;
    }
    if ctx.conn.multi.is_some() && command.flags.contains(&"no-multi") {
        reject(
            ctx,
            Some(command),
            &Error::Static("ERR Command not allowed inside a transaction"),
        );
        return name;
    }
    let top_name = command.top_name();
    if let Err(error) = crate::evict::admit(ctx, command, top_name) {
        reject(ctx, Some(command), &error);
        return name;
    }
    if let Some(error) = ctx.server.persist.deny_writes(|| ctx.server.config()) {
        if refused_on_disk_error(ctx, command, top_name) {
            let error = match top_name {
                "exec" => crate::commands::abort_exec(ctx, &error),
                _ => error,
            };
            reject(ctx, Some(command), &error);
            return name;
        }
    }
    if ctx.conn.version == Version::Resp2
        && ctx.conn.in_pubsub_context()
        && !ALLOWED_WHILE_SUBSCRIBED.contains(&top_name)
    {
        reject(
            ctx,
            Some(command),
            &Error::Message(format!(
                "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / \
                 QUIT / RESET are allowed in this context"
            )),
        );
        return name;
    }
    if let Some(queue) = ctx.conn.multi.as_mut() {
        if !RUN_IN_MULTI.contains(&top_name) {
            queue.push(args.to_vec());
            ctx.reply.simple(b"QUEUED");
            return name;
        }
    }
    call(ctx, command, args);
    name
}

/// Whether `command` is refused while persisting fails (MISCONF), as in Redis: commands
/// that write, an EXEC of a transaction that does, and PING.
fn refused_on_disk_error(ctx: &Ctx<'_, '_>, command: &Command, top_name: &str) -> bool {
    match top_name {
        "ping" => true,
        "exec" if ctx.conn.multi.is_some() => crate::commands::queued_with_flag(ctx, "write"),
        _ => command.flags.contains(&"write"),
    }
}

/// Replies with an error that rejected a command before it ran; inside MULTI that dooms
/// the transaction (EXECABORT), as in Redis. The command, when there is one (not for an
/// unknown command or subcommand), counts a rejected call.
fn reject(ctx: &mut Ctx<'_, '_>, command: Option<&'static Command>, error: &Error) {
    if ctx.conn.multi.is_some() {
        ctx.conn.multi_failed = true;
    }
    write_error(ctx, error);
    if let (Some(batch), Some(command)) = (ctx.conn.stats.as_mut(), command) {
        batch.rejected(command);
    }
}

/// Writes an error reply, counting it in INFO errorstats as Redis's `afterErrorReply`.
fn write_error(ctx: &mut Ctx<'_, '_>, error: &Error) {
    let line = error.to_string();
    radish_resp::write_error(ctx.reply.out, line.as_bytes());
    if let Some(batch) = ctx.conn.stats.as_mut() {
        batch.error(&line);
    }
}

/// Runs a resolved command and counts the call (INFO commandstats): its time, and whether
/// it failed (replied with an error of its own: errors of the commands an EXEC runs are
/// theirs, not EXEC's, as in Redis).
pub(crate) fn call(ctx: &mut Ctx<'_, '_>, command: &'static Command, args: &[Bytes]) {
    let start = ctx.conn.stats.as_mut().map(|batch| batch.begin(command));
    let failed = run_handler(ctx, command, args);
    if let (Some(batch), Some(start)) = (ctx.conn.stats.as_mut(), start) {
        batch.ran(command, start, failed, ctx.block.is_some());
    }
    // As Redis's call(): every command that ran, after it ran, except admin ones.
    if ctx.server.clients.has_monitors() && !command.flags.contains(&"admin") {
        ctx.server
            .clients
            .feed_monitors(ctx.client, ctx.conn.db, args, ctx.now);
    }
}

/// Runs a resolved command's handler, writing its error if it fails; true if it did.
fn run_handler(ctx: &mut Ctx<'_, '_>, command: &Command, args: &[Bytes]) -> bool {
    let outer = crate::persist::begin_command(ctx.keyspace);
    let result = (command.handler)(ctx, args);
    if let Err(error) = &result {
        write_error(ctx, error);
    }
    crate::persist::end_command(ctx, args, outer);
    result.is_err()
}

/// Runs one command queued by MULTI, inside EXEC: blocking commands do not block there.
pub(crate) fn call_queued(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) {
    // Replayed files hold commands as clients sent them (renamed names resolve) and as
    // radish rewrote them (PEXPIREAT, DEL...: original names, even if renamed away).
    let found = match resolve(&ctx.server.renames, args) {
        Err(_) if ctx.conn.replaying => resolve(&Renames::default(), args),
        found => found,
    };
    match found {
        Ok((command, _)) => {
            call(ctx, command, args);
            if let Some(block) = ctx.block.take() {
                write_timeout(ctx.reply.out, block.on_timeout, ctx.reply.version);
            }
        }
        Err((_, error)) => write_error(ctx, &error),
    }
}

/// Serves clients blocked on keys that were just written, in the order they blocked: each
/// one's command runs again as that client, and its reply goes to that client's outbox.
/// Serving may write further keys (BLMOVE), so this repeats until nothing is ready. What
/// the served commands do is counted in `stats`, the serving session's batch (the blocked
/// sessions are not running).
fn serve_blocked<'s>(
    keyspace: &mut Option<MutexGuard<'s, Keyspace>>,
    server: &'s Server,
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
            loop {
                let Some(data) = keyspace.as_mut() else {
                    return;
                };
                let Some(waiter) = data.first_waiter(db, &key) else {
                    break;
                };
                // A key that now holds another type than the command pops keeps its clients
                // waiting, as in Redis (a transaction may have pushed, deleted and SET it
                // before they ran). With the right type, the command runs and its reply is
                // sent, errors included: BLMOVE into a destination of the wrong type gets
                // WRONGTYPE and stops waiting, the element staying where it was.
                let pops_this_key = keyspace.as_mut().is_some_and(|data| {
                    let entry = data.db(db).peek(&key);
                    entry.is_some_and(|entry| waiter.pops.matches(&entry.value))
                });
                if !pops_this_key {
                    // The first in line cannot be served: nobody behind it can either.
                    break;
                }
                let version = waiter.client.version();
                let mut conn = ConnState::new(true);
                conn.db = waiter.db;
                conn.version = version;
                conn.stats = stats.take();
                let mut out = BytesMut::new();
                let mut ctx = Ctx {
                    server,
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
                let failed = run_handler(&mut ctx, waiter.command, &waiter.args);
                let served = ctx.block.is_none();
                *stats = conn.stats.take();
                if let (Some(batch), Some(start), true) = (stats.as_mut(), start, served) {
                    // Counted as a call when it blocked; now its time and outcome.
                    batch.served(waiter.command, start, failed);
                }
                if !served {
                    // The first in line found nothing: nobody behind it can be served either.
                    break;
                }
                if let Some(data) = keyspace.as_mut() {
                    data.remove_waiter(waiter.client.id);
                }
                waiter.client.deliver(&out);
            }
        }
    }
}

/// Finds the command (or subcommand) for `args` and checks its arity, in Redis's order. On
/// failure, the error, and the command if one was found (its arity was wrong).
fn resolve(
    renames: &Renames,
    args: &[Bytes],
) -> std::result::Result<(&'static Command, &'static str), (Option<&'static Command>, Error)> {
    resolve_found(renames.lookup(&args[0]), args)
}

/// [`resolve`] once the name `args[0]` was looked up, to `found`.
fn resolve_found(
    found: Option<&'static Command>,
    args: &[Bytes],
) -> std::result::Result<(&'static Command, &'static str), (Option<&'static Command>, Error)> {
    let Some(command) = found else {
        return Err((
            None,
            Error::UnknownCommand {
                name: args[0].clone(),
                args: args[1..].to_vec(),
            },
        ));
    };
    let command = if command.subcommands.is_empty() || args.len() < 2 {
        command
    } else {
        match command
            .subcommands
            .iter()
            .find(|sub| sub.name().as_bytes().eq_ignore_ascii_case(&args[1]))
        {
            Some(sub) => sub,
            None => {
                return Err((
                    None,
                    Error::Message(format!(
                        "ERR unknown subcommand '{}'. Try {} HELP.",
                        String::from_utf8_lossy(&args[1][..args[1].len().min(128)]),
                        String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
                    )),
                ))
            }
        }
    };
    let argc = args.len() as i64;
    let arity = i64::from(command.arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        return Err((
            Some(command),
            Error::WrongArity(command.full_name.to_string()),
        ));
    }
    Ok((command, command.full_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_command_name_resolves_as_the_table_does_renames_included() {
        let renames = Renames::new(&[("get".into(), "fetch".into())]);
        let mut last = LastCommand::default();
        let fetch = last.lookup(&renames, b"FETCH").expect("the new name");
        assert_eq!(fetch.full_name, "get");
        assert!(std::ptr::eq(last.get(b"FETCH").unwrap(), fetch));
        // Only the exact bytes hit; another spelling is looked up (and then remembered).
        assert!(last.get(b"fetch").is_none());
        assert!(std::ptr::eq(
            last.lookup(&renames, b"fetch").unwrap(),
            fetch
        ));
        // The old name is gone, and an unknown name is not remembered.
        assert!(last.lookup(&renames, b"get").is_none());
        assert!(last.get(b"fetch").is_some());
        assert_eq!(last.lookup(&renames, b"incr").unwrap().full_name, "incr");
        assert!(last.get(b"fetch").is_none());
        // Names longer than the buffer still resolve, uncached.
        let renames = Renames::new(&[("incr".into(), "increment_this_counter".into())]);
        let long = b"INCREMENT_THIS_COUNTER";
        assert_eq!(last.lookup(&renames, long).unwrap().full_name, "incr");
        assert!(last.get(long).is_none());
    }
}
