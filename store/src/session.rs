//! The per-connection state machine: request bytes and the time in, reply bytes out.

use std::net::SocketAddr;
use std::sync::{Arc, MutexGuard};

use bytes::{Bytes, BytesMut};
use radish_resp::{Limits, RequestDecoder, Version};

use crate::clients::Client;
use crate::commands::{self, Command};
use crate::db::{Db, Millis};
use crate::error::{Error, Result};
use crate::keyspace::Keyspace;
use crate::reply::Reply;
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
    /// Drop this command's reply (the command after a CLIENT REPLY SKIP).
    skip_this_reply: bool,
}

/// One connection's session. Feed it what the socket delivers with
/// [`handle_input`](Session::handle_input) and write what it produces; it keeps no socket,
/// reads no clock and never blocks.
///
/// Every complete request in the input is run in one go (pipelining), and their replies land in
/// one output buffer for one write.
#[derive(Debug)]
pub struct Session {
    server: Arc<Server>,
    client: Arc<Client>,
    decoder: RequestDecoder,
    conn: ConnState,
}

/// What a blocked command replies when its timeout passes, or at once when it cannot block
/// (inside MULTI/EXEC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutReply {
    /// The null reply (`$-1` in RESP2): BLMOVE, BRPOPLPUSH.
    Null,
    /// The null array (`*-1` in RESP2): BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.
    NullArray,
}

/// A blocking command's request to wait for one of its keys.
#[derive(Debug, Clone)]
pub struct Block {
    /// The keys to wait on (in the connection's selected database).
    pub keys: Vec<Bytes>,
    /// When to give up, in Unix milliseconds; `None` waits forever.
    pub deadline: Option<Millis>,
    /// What to reply on timeout.
    pub on_timeout: TimeoutReply,
}

/// What a command handler gets: the server, the connection, where to write its reply, the
/// time, and the data (locked on first use, then kept for the rest of the batch).
pub struct Ctx<'a, 's> {
    /// The shared server.
    pub server: &'s Server,
    /// This connection's registry entry.
    pub client: &'s Client,
    /// This connection's state.
    pub conn: &'a mut ConnState,
    /// Where the reply goes.
    pub reply: Reply<'a>,
    /// The time the batch started, in Unix milliseconds.
    pub now: Millis,
    keyspace: &'a mut Option<MutexGuard<'s, Keyspace>>,
    /// Set by [`Ctx::block`].
    pub(crate) block: Option<Block>,
}

impl<'a, 's> Ctx<'a, 's> {
    /// All databases (locking them if this batch has not yet).
    pub fn keyspace(&mut self) -> &mut Keyspace {
        let server = self.server;
        self.keyspace.get_or_insert_with(|| server.keyspace())
    }

    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        let index = self.conn.db;
        self.keyspace().db(index)
    }

    /// The selected database, the reply and the time at once, for handlers that read the
    /// data while writing the reply.
    pub fn parts(&mut self) -> (&mut Db, &mut Reply<'a>, Millis) {
        let server = self.server;
        let index = self.conn.db;
        let keyspace = self.keyspace.get_or_insert_with(|| server.keyspace());
        (keyspace.db(index), &mut self.reply, self.now)
    }

    /// Counts changes to the data (for `save` rules and INFO).
    pub fn dirty(&mut self, changes: u64) {
        self.keyspace().dirty += changes;
    }

    /// For blocking commands (BLPOP, BZPOPMIN...): when none of the keys has data, call this
    /// and return `Ok(())` without writing a reply. The session then waits; whenever one of
    /// `keys` is written (by any connection), the same handler runs again with the same
    /// arguments, under the data lock, and must either reply or call `block` again. Clients
    /// blocked on a key are served in the order they blocked. When the deadline passes, or
    /// at once inside MULTI/EXEC, the session replies `on_timeout`.
    pub fn block(&mut self, keys: Vec<Bytes>, deadline: Option<Millis>, on_timeout: TimeoutReply) {
        self.block = Some(Block {
            keys,
            deadline,
            on_timeout,
        });
    }

    /// Releases the data lock early (before a slow reply that does not need it).
    pub fn unlock(&mut self) {
        *self.keyspace = None;
    }
}

impl Session {
    /// A session for a new connection from `addr` to `local_addr`, accepted at `now`.
    pub fn new(
        server: Arc<Server>,
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
    ) -> Session {
        let client = server.clients.register(addr, local_addr, now);
        server
            .stats
            .connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let limits = Limits {
            max_bulk_len: server.config().get_int("proto-max-bulk-len").max(1) as usize,
            ..Limits::default()
        };
        let mut decoder = RequestDecoder::with_limits(limits);
        let authenticated = server.config().get("requirepass").unwrap_or("").is_empty();
        decoder.set_authenticated(authenticated);
        Session {
            server,
            client,
            decoder,
            conn: ConnState {
                db: 0,
                version: Version::Resp2,
                authenticated,
                name: Bytes::new(),
                close_after_reply: false,
                replies_off: false,
                skip_next_reply: false,
                skip_this_reply: false,
            },
        }
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

    /// Runs every complete request in `input` (leaving any partial one there for next time)
    /// and appends the replies to `out`.
    pub fn handle_input(
        &mut self,
        input: &mut BytesMut,
        now: Millis,
        out: &mut BytesMut,
    ) -> Status {
        let server = self.server.clone();
        let mut keyspace: Option<MutexGuard<'_, Keyspace>> = None;
        let mut last_command = None;
        let mut status = Status::Open;
        loop {
            let args = match self.decoder.decode(input) {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(error) => {
                    let line = format!("ERR {error}");
                    radish_resp::write_error(out, line.as_bytes());
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
            };
            ctx.reply.version = ctx.conn.version;
            last_command = Some(execute(&mut ctx, &args));
            server
                .stats
                .commands
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.decoder.set_authenticated(self.conn.authenticated);
            if self.conn.close_after_reply {
                status = Status::Close;
                break;
            }
        }
        drop(keyspace);
        let conn = &self.conn;
        let buffered = input.len();
        self.client.update(|info| {
            info.db = conn.db;
            info.name = conn.name.clone();
            info.resp = if conn.version == Version::Resp3 { 3 } else { 2 };
            info.query_buffer = buffered;
            if let Some(name) = last_command {
                info.last_command = name;
                info.last_interaction = now;
            }
        });
        if self.client.is_killed() {
            return Status::Close;
        }
        status
    }

    /// Checks the connection's signal after a wake-up: `Close` if it was killed.
    pub fn handle_signal(&mut self) -> Status {
        if self.client.is_killed() {
            Status::Close
        } else {
            Status::Open
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.server.clients.unregister(self.client.id);
    }
}

/// Looks up and runs one request, writing its reply or error. Returns the command's full name.
fn execute(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> &'static str {
    let start = ctx.reply.out.len();
    let skip = std::mem::take(&mut ctx.conn.skip_this_reply);
    let name = run(ctx, args);
    if skip || ctx.conn.replies_off {
        ctx.reply.out.truncate(start);
    }
    if std::mem::take(&mut ctx.conn.skip_next_reply) {
        ctx.conn.skip_this_reply = true;
    }
    name
}

/// Runs one request: resolution, checks, the handler; writes its reply or error.
fn run(ctx: &mut Ctx<'_, '_>, args: &[Bytes]) -> &'static str {
    let (command, name) = match resolve(args) {
        Ok(found) => found,
        Err(error) => {
            ctx.reply.error(&error);
            return "";
        }
    };
    if !ctx.conn.authenticated && !command.flags.contains(&"no-auth") {
        ctx.reply.error(&Error::NoAuth);
        return name;
    }
    if let Err(error) = (command.handler)(ctx, args) {
        ctx.reply.error(&error);
    }
    name
}

/// Finds the command (or subcommand) for `args` and checks its arity, in Redis's order.
fn resolve(args: &[Bytes]) -> Result<(&'static Command, &'static str)> {
    let Some(command) = commands::lookup(&args[0]) else {
        return Err(Error::UnknownCommand {
            name: args[0].clone(),
            args: args[1..].to_vec(),
        });
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
                return Err(Error::Message(format!(
                    "ERR unknown subcommand '{}'. Try {} HELP.",
                    String::from_utf8_lossy(&args[1][..args[1].len().min(128)]),
                    String::from_utf8_lossy(&args[0]).to_ascii_uppercase()
                )))
            }
        }
    };
    let argc = args.len() as i64;
    let arity = i64::from(command.arity);
    if (arity > 0 && arity != argc) || argc < -arity {
        return Err(Error::WrongArity(command.full_name.to_string()));
    }
    Ok((command, command.full_name))
}
