//! What a connection is: the state its commands read and change.

use bytes::Bytes;
use indexmap::IndexSet;
use radish_data::Millis;
use radish_resp::Version;

use crate::exec::command::{Command, Flags};
use crate::state::pubsub::PubSub;
use crate::state::stats::Batch;

/// A command queued by MULTI, resolved when it was queued, to run at EXEC.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The command (or subcommand), its arity checked.
    pub command: &'static Command,
    /// Its arguments, the name included.
    pub args: Vec<Bytes>,
    /// Its flags as this request has them (an EVAL's depend on its script).
    pub flags: Flags,
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
    pub multi: Option<Vec<Queued>>,
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
    /// True while EXEC runs the queued commands: a client there expects one reply per
    /// command, so MONITOR is refused (Redis's "DENY BLOCKING" clients).
    pub(crate) in_exec: bool,
    /// Bytes of input the running batch started with: what CLIENT LIST shows as `qbuf` for
    /// the connection running it, as Redis trims its query buffer only after the batch.
    pub(crate) batch_input: usize,
    /// The query buffer's free space when the running batch started (`qbuf-free`).
    pub(crate) batch_input_free: usize,
    /// What this batch's commands did, for INFO commandstats and errorstats; `None` where
    /// nothing is counted (commands replayed from the append-only log at start-up).
    pub(crate) stats: Option<Batch>,
    /// Memory was over `maxmemory` when the running command was admitted: the scripts it
    /// runs refuse commands that may grow memory (Redis's `pre_command_oom_state`).
    pub(crate) out_of_memory: bool,
    /// The running command replied with an error of its own making while returning `Ok`
    /// (a script's reply holding errors): INFO commandstats counts it as failed.
    pub(crate) failed: bool,
    /// The connection is a script's (Redis's Lua client): MONITOR shows its commands as
    /// coming from `lua`.
    pub(crate) script: bool,
    /// The connection replays a file (Redis's clients that must be obeyed): FUNCTION LOAD
    /// has no time budget there.
    pub(crate) replaying: bool,
    /// The connection applies the primary's stream on a replica (Redis's master client):
    /// obeyed like a replayed file, its writes allowed on a read-only replica.
    pub(crate) from_primary: bool,
    /// The connection is a replica this server feeds (after PSYNC or SYNC): its own
    /// commands get no replies.
    pub(crate) is_replica: bool,
    /// The port a replica said it listens on (REPLCONF listening-port).
    pub(crate) replica_port: u16,
    /// The replication offset just after this connection's last write (Redis's `woff`):
    /// what WAIT waits for replicas to acknowledge.
    pub(crate) write_offset: u64,
    /// WAIT blocked: replicas wanted, the offset they must acknowledge, and when it gives
    /// up.
    pub(crate) waiting_acks: Option<(usize, u64, Option<Millis>)>,
    /// CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given for the next command or
    /// transaction.
    pub(crate) tracking_caching: bool,
    /// How long (µs) the last command called ran: when it blocked, the slow log adds the
    /// time serving it takes once it is served.
    pub(crate) blocked_micros: u64,
    /// CLIENT PAUSE held the request back, unanswered, until this time (Unix ms): the
    /// session keeps it and runs it again then, or when the pause is lifted.
    pub(crate) postponed: Option<Millis>,
}

impl ConnState {
    pub fn new(authenticated: bool) -> ConnState {
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
            batch_input: 0,
            batch_input_free: 0,
            stats: None,
            out_of_memory: false,
            failed: false,
            script: false,
            replaying: false,
            from_primary: false,
            is_replica: false,
            replica_port: 0,
            write_offset: 0,
            waiting_acks: None,
            tracking_caching: false,
            blocked_micros: 0,
            postponed: None,
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

    /// Whether a command queued in this connection's transaction has `flag` (WRITE,
    /// DENYOOM): what the checks before EXEC runs look at (Redis's `mstate.cmd_flags`).
    pub fn queued_with_flag(&self, flag: Flags) -> bool {
        self.multi
            .as_ref()
            .is_some_and(|queue| queue.iter().any(|q| q.flags.contains(flag)))
    }

    /// Drops every subscription (RESET, or the connection closing).
    pub(crate) fn leave_pubsub(&mut self, pubsub: &mut PubSub, client: u64) {
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
