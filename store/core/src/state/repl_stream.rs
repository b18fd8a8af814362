//! A primary's side of replication, under the data lock (so the stream is in execution
//! order): the stream of writes as replicas receive it (what the log records, plus PINGs),
//! the backlog of its latest bytes (`repl-backlog-size`) a reconnecting replica resumes from,
//! and the replicas fed from it, as Redis 7.0's `replicationFeedSlaves`, backlog and
//! `PSYNC` handling do.
//!
//! Offsets count the stream's bytes since this history began: the byte at offset `n` is the
//! `n`th. A replica that says it applied up to `n` asks PSYNC for `n + 1`.

use std::collections::VecDeque;
use std::sync::Arc;

use radish_data::Millis;

use crate::state::clients::Client;

/// Where a replica stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// Waiting for a snapshot to start for it (one of another kind is running).
    WaitBgsaveStart,
    /// Waiting for the snapshot begun when the stream was at `from` to be written.
    WaitBgsaveEnd {
        /// The stream's offset at the snapshot's moment: the replica continues after it.
        from: u64,
        /// When the snapshot began.
        started: Millis,
    },
    /// Fed the stream as it grows.
    Online,
}

impl ReplicaState {
    /// The name INFO gives it.
    pub fn info_name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd { .. } => "wait_bgsave",
            ReplicaState::Online => "online",
        }
    }
}

/// A replica this server feeds.
#[derive(Debug)]
pub struct Replica {
    /// Its connection.
    pub client: Arc<Client>,
    /// The port it listens on (REPLCONF listening-port).
    pub listening_port: u16,
    /// Its address, as it connected from.
    pub ip: String,
    /// Where it stands.
    pub state: ReplicaState,
    /// What it acknowledged applying (REPLCONF ACK).
    pub ack: u64,
    /// When it last acknowledged.
    pub ack_time: Millis,
    /// The stream since the snapshot's moment, held until the snapshot is sent.
    pending: Vec<u8>,
    /// It speaks the old SYNC: no +FULLRESYNC line.
    pub old_sync: bool,
}

/// What PSYNC answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Psync {
    /// The replica continues from the backlog: `+CONTINUE` and these bytes.
    Continue(Vec<u8>),
    /// It needs the whole data set.
    Full,
}

/// The replication stream and the replicas fed from it.
#[derive(Debug)]
pub struct ReplStream {
    /// Bytes fed so far: `master_repl_offset`.
    pub offset: u64,
    /// The last bytes of the stream, at most `backlog_size`; `None` until a replica first
    /// connects (Redis creates its backlog then).
    backlog: Option<VecDeque<u8>>,
    backlog_size: usize,
    /// The replicas.
    pub replicas: Vec<Replica>,
    /// Bytes a replica may have waiting before it is dropped
    /// (`client-output-buffer-limit replica`'s hard limit; 0: none).
    pub hard_limit: usize,
    /// Clients blocked in WAIT, woken when an acknowledgement arrives.
    pub ack_waiters: Vec<Arc<Client>>,
    /// WAIT asked the replicas to acknowledge: `REPLCONF GETACK *` goes into the stream
    /// after what the batch logged.
    ack_requested: bool,
    /// This server is a replica: its replicas get its primary's stream as it came
    /// (`proxy_pending`), not what its own commands log, so that offsets agree along the
    /// chain (Redis's `replicationFeedStreamFromMasterStream`).
    pub proxy: bool,
    /// The primary's commands handed to the session that applies them, fed to the
    /// replicas at the end of that session's batch, under the same hold of the data lock.
    pub proxy_pending: Vec<u8>,
}

/// Redis's default hard output limit for replicas (`client-output-buffer-limit replica
/// 256mb`).
const REPLICA_HARD_LIMIT: usize = 256 << 20;

impl Default for ReplStream {
    fn default() -> Self {
        ReplStream {
            offset: 0,
            backlog: None,
            backlog_size: 1 << 20,
            replicas: Vec::new(),
            hard_limit: REPLICA_HARD_LIMIT,
            ack_waiters: Vec::new(),
            ack_requested: false,
            proxy: false,
            proxy_pending: Vec::new(),
        }
    }
}

/// What a primary sends to ask its replicas for their offsets.
const GETACK: &[u8] = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";

/// What a primary sends its replicas now and then (`repl-ping-replica-period`).
pub const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";

impl ReplStream {
    /// True once the backlog exists: the stream is produced from then on.
    pub fn active(&self) -> bool {
        self.backlog.is_some()
    }

    /// The first offset the backlog holds, and how many bytes (INFO's
    /// `repl_backlog_first_byte_offset` and `repl_backlog_histlen`).
    pub fn backlog_span(&self) -> (u64, u64) {
        match &self.backlog {
            Some(backlog) => (self.offset + 1 - backlog.len() as u64, backlog.len() as u64),
            None => (0, 0),
        }
    }

    /// `repl-backlog-size`: the backlog keeps at most this many bytes.
    pub fn set_backlog_size(&mut self, size: usize) {
        self.backlog_size = size.max(1);
        if let Some(backlog) = self.backlog.as_mut() {
            while backlog.len() > self.backlog_size {
                backlog.pop_front();
            }
        }
    }

    /// Creates the backlog (the first replica connects), starting at the current offset.
    pub fn create_backlog(&mut self) {
        if self.backlog.is_none() {
            self.backlog = Some(VecDeque::new());
        }
    }

    /// Sets the offset a new history starts from (a replica promoted continues its
    /// primary's offsets); the backlog starts empty there.
    pub fn restart_at(&mut self, offset: u64) {
        self.offset = offset;
        if let Some(backlog) = self.backlog.as_mut() {
            backlog.clear();
        }
    }

    /// Sets the offset as [`restart_at`](ReplStream::restart_at) does, unless the stream is
    /// there already (a link resumed where it left off keeps its backlog).
    pub fn restart_at_keeping(&mut self, offset: u64) {
        if self.offset != offset {
            self.restart_at(offset);
        }
    }

    /// Appends `bytes` to the stream: to the backlog, to each online replica's output, and
    /// to what each replica waiting for its snapshot will get after it. A replica past its
    /// output limit is dropped.
    pub fn feed(&mut self, bytes: &[u8]) {
        let Some(backlog) = self.backlog.as_mut() else {
            return;
        };
        if bytes.is_empty() {
            return;
        }
        self.offset += bytes.len() as u64;
        backlog.extend(bytes);
        let excess = backlog.len().saturating_sub(self.backlog_size);
        backlog.drain(..excess);
        let limit = self.hard_limit;
        self.replicas.retain_mut(|replica| {
            let waiting = match replica.state {
                ReplicaState::Online => replica.client.deliver(bytes),
                // The snapshot it will get holds these writes.
                ReplicaState::WaitBgsaveStart => 0,
                ReplicaState::WaitBgsaveEnd { .. } => {
                    replica.pending.extend_from_slice(bytes);
                    replica.pending.len()
                }
            };
            if limit > 0 && waiting > limit {
                tracing::warn!(
                    "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
                    replica.client.describe(0)
                );
                replica.client.kill();
                return false;
            }
            !replica.client.is_killed()
        });
    }

    /// PSYNC `replid` `from`: continues from the backlog if this server's history is the
    /// one asked for (or was, up to `second_offset`) and still holds `from` onwards.
    pub fn psync(&self, ours: (&str, &str, i64), replid: &[u8], from: i64) -> Psync {
        let (replid1, replid2, second_offset) = ours;
        let known =
            replid == replid1.as_bytes() || (replid == replid2.as_bytes() && from <= second_offset);
        let Some(backlog) = self.backlog.as_ref() else {
            return Psync::Full;
        };
        let first = self.offset as i64 + 1 - backlog.len() as i64;
        if !known || from < first || from > self.offset as i64 + 1 {
            return Psync::Full;
        }
        let skip = (from - first) as usize;
        Psync::Continue(backlog.iter().skip(skip).copied().collect())
    }

    /// Adds a replica (after PSYNC or SYNC) in `state`.
    pub fn add(
        &mut self,
        client: Arc<Client>,
        ip: String,
        listening_port: u16,
        state: ReplicaState,
        old_sync: bool,
        now: Millis,
    ) {
        self.replicas
            .retain(|replica| replica.client.id != client.id);
        self.replicas.push(Replica {
            client,
            listening_port,
            ip,
            state,
            ack: 0,
            ack_time: now,
            pending: Vec::new(),
            old_sync,
        });
    }

    /// Feeds the primary's commands applied so far (on a replica).
    pub fn feed_proxied(&mut self) {
        let pending = std::mem::take(&mut self.proxy_pending);
        self.feed(&pending);
        self.proxy_pending = pending;
        self.proxy_pending.clear();
    }

    /// Drops every replica (this server's history changed under them): they reconnect and
    /// synchronise again.
    pub fn drop_replicas(&mut self) {
        for replica in self.replicas.drain(..) {
            replica.client.kill();
        }
    }

    /// Forgets connection `id`, a replica or a client blocked in WAIT (it closed).
    pub fn remove(&mut self, id: u64) {
        self.replicas.retain(|replica| replica.client.id != id);
        self.ack_waiters.retain(|client| client.id != id);
    }

    /// REPLCONF ACK from the replica of connection `id`: it applied up to `offset`. Wakes
    /// the clients blocked in WAIT.
    pub fn acknowledged(&mut self, id: u64, offset: u64, now: Millis) {
        if let Some(replica) = self.replica(id) {
            replica.ack = replica.ack.max(offset);
            replica.ack_time = now;
        }
        for client in &self.ack_waiters {
            client.signal.notify();
        }
    }

    /// Online replicas whose last acknowledgement is at most `max_lag` seconds old at `now`
    /// (Redis's good replicas, for `min-replicas-to-write`).
    pub fn good(&self, max_lag: u64, now: Millis) -> usize {
        self.replicas
            .iter()
            .filter(|replica| {
                replica.state == ReplicaState::Online
                    && now.saturating_sub(replica.ack_time) / 1000 <= max_lag
            })
            .count()
    }

    /// How many online replicas acknowledged `offset` or beyond.
    pub fn acked(&self, offset: u64) -> usize {
        self.replicas
            .iter()
            .filter(|replica| replica.state == ReplicaState::Online && replica.ack >= offset)
            .count()
    }

    /// Asks the replicas for their offsets once the running batch's stream is fed.
    pub fn request_acks(&mut self) {
        self.ack_requested = true;
    }

    /// Feeds `REPLCONF GETACK *` if WAIT asked for it.
    pub fn send_ack_requests(&mut self) {
        if std::mem::take(&mut self.ack_requested) {
            self.feed(GETACK);
        }
    }

    /// The replica of connection `id`.
    pub fn replica(&mut self, id: u64) -> Option<&mut Replica> {
        self.replicas
            .iter_mut()
            .find(|replica| replica.client.id == id)
    }

    /// True if some replica waits for a snapshot to begin.
    pub fn wants_snapshot(&self) -> bool {
        self.replicas
            .iter()
            .any(|replica| replica.state == ReplicaState::WaitBgsaveStart)
    }

    /// A snapshot begins now (`now`) for the replicas waiting for one: they are told the
    /// history (`replid`) and offset it continues from (`+FULLRESYNC`, unless they spoke
    /// SYNC).
    pub fn snapshot_began(&mut self, replid: &str, now: Millis) {
        let from = self.offset;
        for replica in &mut self.replicas {
            if replica.state == ReplicaState::WaitBgsaveStart {
                replica.state = ReplicaState::WaitBgsaveEnd { from, started: now };
                if !replica.old_sync {
                    replica
                        .client
                        .deliver(format!("+FULLRESYNC {replid} {from}\r\n").as_bytes());
                }
            }
        }
    }

    /// Replicas waiting for a snapshot get a newline now and then, which keeps their link
    /// from timing out (Redis's replication cron sends one every second).
    pub fn keep_waiting_alive(&self) {
        for replica in &self.replicas {
            if replica.state != ReplicaState::Online {
                replica.client.deliver(b"\n");
            }
        }
    }

    /// When the snapshot replicas wait for began, if one does.
    pub fn waiting_for_snapshot(&self) -> Option<Millis> {
        self.replicas
            .iter()
            .find_map(|replica| match replica.state {
                ReplicaState::WaitBgsaveEnd { started, .. } => Some(started),
                _ => None,
            })
    }

    /// The snapshot begun at `started` or before is written as `rdb`: each replica waiting
    /// for it gets it (`$<len>` and the bytes), then what the stream added since, and is
    /// online. With `rdb` `None` the snapshot failed: they are dropped.
    pub fn snapshot_done(&mut self, rdb: Option<&[u8]>) {
        self.replicas.retain_mut(|replica| {
            if !matches!(replica.state, ReplicaState::WaitBgsaveEnd { .. }) {
                return true;
            }
            let Some(rdb) = rdb else {
                replica.client.kill();
                return false;
            };
            let mut out = format!("${}\r\n", rdb.len()).into_bytes();
            out.extend_from_slice(rdb);
            out.extend_from_slice(&std::mem::take(&mut replica.pending));
            replica.client.deliver(&out);
            replica.state = ReplicaState::Online;
            true
        });
    }
}
