//! One connected client, as other connections see it: its identity, what CLIENT LIST shows,
//! its outbox, its output limits, and the signals that wake its task.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use radish_data::Millis;
use radish_resp::Version;

use super::limits::{output_buffer_usage, OutputLimit};
use crate::state::notify::Notify;

/// What other connections may see or do to one connection.
#[derive(Debug)]
pub struct Client {
    /// CLIENT ID.
    pub id: u64,
    /// The peer's address.
    pub addr: Option<SocketAddr>,
    /// Our side's address.
    pub local_addr: Option<SocketAddr>,
    /// When the connection was accepted.
    pub created: Millis,
    /// Wakes the connection's task: it was killed, or has output waiting.
    pub signal: Notify,
    /// Notified only when the client is killed, so a task stuck writing to a client that
    /// does not read can give up.
    pub killed_signal: Notify,
    killed: AtomicBool,
    info: Mutex<ClientInfo>,
    /// Output made for this client by other connections (pub/sub messages, the reply of a
    /// blocked command served by another client's push), waiting for its task to send it.
    outbox: Mutex<BytesMut>,
    /// True while the connection speaks RESP3, so others know how to encode what they send.
    resp3: AtomicBool,
    /// When the client last sent or received anything (for `timeout` and CLIENT LIST idle).
    last_interaction: AtomicU64,
    /// When its output first went over the soft limit (Unix seconds), or 0 while it is under.
    over_soft_limit_since: AtomicU64,
    /// When it will be closed if the output over the soft limit is still unwritten (0: none).
    output_deadline: AtomicU64,
    /// The server's count of bytes in clients' buffers ([`Clients::buffers`]).
    buffers: Arc<AtomicU64>,
    /// This connection's share of it, not counting its outbox.
    buffered: AtomicU64,
    /// CLIENT NO-EVICT on: `maxmemory-clients` never closes it.
    no_evict: AtomicBool,
    /// Replies its task is writing to the socket and has not finished writing (CLIENT
    /// LIST's omem, with the outbox).
    unsent: AtomicU64,
    /// The size of the connection's query buffer, used and free, as its last batch left it
    /// (INFO's client_recent_max_input_buffer).
    input_size: AtomicU64,
}

/// ClientInfo's tracking bits, for CLIENT LIST's flags.
pub mod tracking_flags {
    /// Tracking is on (`t`).
    pub const ON: u8 = 1;
    /// The redirect client is gone (`R`).
    pub const BROKEN_REDIRECT: u8 = 2;
    /// Broadcasting mode (`B`).
    pub const BCAST: u8 = 4;
}

/// The parts of a client's state that change as it runs commands.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// CLIENT SETNAME.
    pub name: Bytes,
    /// CLIENT SETINFO LIB-NAME.
    pub lib_name: Bytes,
    /// CLIENT SETINFO LIB-VER.
    pub lib_ver: Bytes,
    /// The selected database.
    pub db: usize,
    /// 2 or 3.
    pub resp: u8,
    /// The last command's full name (`client|list`).
    pub last_command: &'static str,
    /// Bytes buffered but not yet parsed (`qbuf`).
    pub query_buffer: usize,
    /// Free space in the query buffer (`qbuf-free`).
    pub query_buffer_free: usize,
    /// Channels subscribed to.
    pub subscriptions: usize,
    /// Patterns subscribed to.
    pub pattern_subscriptions: usize,
    /// Shard channels subscribed to.
    pub shard_subscriptions: usize,
    /// Commands queued, while inside MULTI.
    pub in_multi: Option<usize>,
    /// Waiting in a blocking command, or held back by CLIENT PAUSE (CLIENT LIST's `b`).
    pub blocked: bool,
    /// Client-side caching: [`tracking_flags`] bits (0 when not tracking).
    pub tracking: u8,
    /// Where its invalidations go (CLIENT LIST's `redir`): -1 when not tracking, 0 to itself.
    pub redirect: i64,
    /// Its part in replication: a replica this server feeds, or the primary it follows.
    pub link: LinkRole,
}

/// A connection's part in replication (Redis's CLIENT_SLAVE and CLIENT_MASTER).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LinkRole {
    /// An ordinary client.
    #[default]
    None,
    /// A replica fed by this server (CLIENT LIST's `S`, type `replica`).
    Replica,
    /// The primary this server follows (`M`, type `master`).
    Primary,
}

impl ClientInfo {
    /// Subscribed to some channel, pattern or shard channel (Redis's `CLIENT_PUBSUB`).
    pub fn in_pubsub(&self) -> bool {
        self.subscriptions + self.pattern_subscriptions + self.shard_subscriptions > 0
    }
}

impl Client {
    pub(super) fn new(
        id: u64,
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
        buffers: Arc<AtomicU64>,
    ) -> Client {
        Client {
            id,
            addr,
            local_addr,
            created: now,
            signal: Notify::default(),
            killed_signal: Notify::default(),
            killed: AtomicBool::new(false),
            outbox: Mutex::new(BytesMut::new()),
            resp3: AtomicBool::new(false),
            info: Mutex::new(ClientInfo {
                resp: 2,
                redirect: -1,
                link: LinkRole::None,
                ..ClientInfo::default()
            }),
            last_interaction: AtomicU64::new(now),
            over_soft_limit_since: AtomicU64::new(0),
            output_deadline: AtomicU64::new(0),
            unsent: AtomicU64::new(0),
            input_size: AtomicU64::new(0),
            buffers,
            buffered: AtomicU64::new(0),
            no_evict: AtomicBool::new(false),
        }
    }

    /// A client for a connection that is turned away (`maxclients`): it has id 0 and is not
    /// in the registry.
    pub fn refused(
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
    ) -> Client {
        Client::new(0, addr, local_addr, now, Arc::default())
    }

    /// Records that this client's connection now holds `bytes` in its query and reply
    /// buffers: the server counts them in used_memory. Buffers that fit in [`REPLY_BUFFER`]
    /// count as nothing, as part of a client's fixed cost: ordinary requests and replies
    /// then never touch the shared counter. Only the connection's own task calls it.
    pub fn account_buffers(&self, bytes: usize) {
        let bytes = output_buffer_usage(bytes) as u64;
        let before = self.buffered.load(Ordering::Relaxed);
        if bytes == before {
            return;
        }
        self.buffered.store(bytes, Ordering::Relaxed);
        if bytes > before {
            self.buffers.fetch_add(bytes - before, Ordering::Relaxed);
        } else {
            self.buffers.fetch_sub(before - bytes, Ordering::Relaxed);
        }
    }

    /// The bytes of this client's buffers that count in used memory: what `maxmemory-clients`
    /// weighs when it picks clients to close.
    pub fn buffer_memory(&self) -> u64 {
        let outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        self.buffered.load(Ordering::Relaxed) + outbox
    }

    /// CLIENT NO-EVICT.
    pub fn set_no_evict(&self, on: bool) {
        self.no_evict.store(on, Ordering::Relaxed);
    }

    /// True if `maxmemory-clients` may close this client (CLIENT NO-EVICT is off).
    pub fn evictable(&self) -> bool {
        !self.no_evict.load(Ordering::Relaxed)
    }

    /// Records that the client sent or was sent something at `now`.
    pub fn interacted(&self, now: Millis) {
        self.last_interaction.store(now, Ordering::Relaxed);
    }

    /// When the client last sent or was sent something.
    pub fn last_interaction(&self) -> Millis {
        self.last_interaction.load(Ordering::Relaxed)
    }

    /// Redis's `checkClientOutputBufferLimits` for `pending` bytes of unsent output at `now`:
    /// true (and the client is closed, and it is logged) once they reach the hard limit, or
    /// have stayed at or over the soft limit for more than its seconds.
    pub fn check_output(&self, pending: usize, limit: OutputLimit, now: Millis) -> bool {
        if limit.hard == 0 && limit.soft == 0 {
            return false;
        }
        let pending = pending as u64;
        let seconds = now / 1000;
        if limit.hard > 0 && pending >= limit.hard {
            self.close_for_output_limit(now);
            return true;
        }
        if limit.soft == 0 || pending < limit.soft {
            self.over_soft_limit_since.store(0, Ordering::Relaxed);
            self.output_deadline.store(0, Ordering::Relaxed);
            return false;
        }
        let since = match self.over_soft_limit_since.load(Ordering::Relaxed) {
            0 => {
                self.over_soft_limit_since.store(seconds, Ordering::Relaxed);
                seconds
            }
            since => since,
        };
        if seconds - since.min(seconds) > limit.soft_seconds {
            self.close_for_output_limit(now);
            return true;
        }
        let deadline = (since + limit.soft_seconds + 1) * 1000;
        self.output_deadline.store(deadline, Ordering::Relaxed);
        false
    }

    /// When the client must be closed if its output, over the soft limit, is still unsent:
    /// the connection's task checks it while it waits for a write.
    pub fn output_deadline(&self) -> Option<Millis> {
        match self.output_deadline.load(Ordering::Relaxed) {
            0 => None,
            deadline => Some(deadline),
        }
    }

    /// Closes the client for overcoming its output buffer limit, logging it as Redis does.
    pub fn close_for_output_limit(&self, now: Millis) {
        tracing::warn!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            self.describe(now)
        );
        self.kill();
    }

    /// Its type for CLIENT LIST and CLIENT KILL TYPE, as Redis's `getClientType`:
    /// `master`, `replica`, `pubsub` (while subscribed) or `normal`.
    pub fn kind(&self) -> &'static str {
        let info = self.info.lock().unwrap_or_else(|e| e.into_inner());
        match info.link {
            LinkRole::Primary => "master",
            LinkRole::Replica => "replica",
            LinkRole::None if info.in_pubsub() => "pubsub",
            LinkRole::None => "normal",
        }
    }

    /// True while subscribed to a channel or pattern.
    pub fn is_subscribed(&self) -> bool {
        let info = self.info.lock().unwrap_or_else(|e| e.into_inner());
        info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0
    }

    /// A snapshot of the changing state.
    pub fn info(&self) -> ClientInfo {
        self.info.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Updates the changing state.
    pub fn update(&self, change: impl FnOnce(&mut ClientInfo)) {
        change(&mut self.info.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Queues output for this client and wakes its task. Returns the bytes now waiting, so
    /// a sender can enforce an output buffer limit.
    pub fn deliver(&self, bytes: &[u8]) -> usize {
        let waiting = {
            let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
            // Under the outbox's lock, which `kill` empties it with: nothing is queued after.
            if self.is_killed() {
                return 0;
            }
            outbox.extend_from_slice(bytes);
            self.buffers
                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
            outbox.len()
        };
        self.signal.notify();
        waiting
    }

    /// Records the size of the connection's query buffer, used and free.
    pub fn set_input_size(&self, bytes: usize) {
        self.input_size.store(bytes as u64, Ordering::Relaxed);
    }

    /// The size of the connection's query buffer, used and free, as its last batch left it.
    pub fn input_size(&self) -> u64 {
        self.input_size.load(Ordering::Relaxed)
    }

    /// Records how many reply bytes the connection's task is writing (0 once written).
    pub fn set_unsent(&self, bytes: usize) {
        self.unsent.store(bytes as u64, Ordering::Relaxed);
    }

    /// What counts against the output buffer limits, and CLIENT LIST's omem: the output
    /// waiting for this client, unless it fits in the [`REPLY_BUFFER`].
    pub fn output_buffer_usage(&self) -> usize {
        output_buffer_usage(self.pending_output() as usize)
    }

    /// Output waiting for this client: replies being written plus the outbox.
    pub fn pending_output(&self) -> u64 {
        let outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        outbox + self.unsent.load(Ordering::Relaxed)
    }

    /// Moves everything queued by [`deliver`](Client::deliver) into `out`.
    pub fn take_outbox(&self, out: &mut BytesMut) {
        let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        if !outbox.is_empty() {
            out.extend_from_slice(&outbox);
            self.forget_outbox(&mut outbox);
        }
    }

    /// Drops what is queued for a connection that ends: the server no longer counts it.
    pub(crate) fn discard_outbox(&self) {
        self.forget_outbox(&mut self.outbox.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Empties the outbox, which the server no longer counts.
    fn forget_outbox(&self, outbox: &mut BytesMut) {
        self.buffers
            .fetch_sub(outbox.len() as u64, Ordering::Relaxed);
        outbox.clear();
    }

    /// The protocol the client speaks now.
    pub fn version(&self) -> Version {
        if self.resp3.load(Ordering::Relaxed) {
            Version::Resp3
        } else {
            Version::Resp2
        }
    }

    /// True while the connection speaks RESP3.
    pub fn is_resp3(&self) -> bool {
        self.resp3.load(Ordering::Relaxed)
    }

    /// Records the protocol the client speaks.
    pub fn set_version(&self, version: Version) {
        self.resp3
            .store(version == Version::Resp3, Ordering::Relaxed);
    }

    /// Asks the connection to close (CLIENT KILL, shutdown).
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        self.forget_outbox(&mut self.outbox.lock().unwrap_or_else(|e| e.into_inner()));
        self.signal.notify();
        self.killed_signal.notify();
    }

    /// True once [`kill`](Client::kill) was called.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }

    /// One CLIENT LIST line (without the newline), with Redis 7's fields.
    pub fn describe(&self, now: Millis) -> String {
        let info = self.info();
        let output = self.pending_output();
        let mut line = String::with_capacity(256);
        let addr = self.addr.map(|a| a.to_string()).unwrap_or_default();
        let laddr = self.local_addr.map(|a| a.to_string()).unwrap_or_default();
        let _ = write!(
            line,
            "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub={} multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 \
             oll=0 omem={} tot-mem={} events=r cmd={} user=default redir={} resp={} lib-name={} \
             lib-ver={}",
            self.id,
            addr,
            laddr,
            String::from_utf8_lossy(&info.name),
            now.saturating_sub(self.created) / 1000,
            now.saturating_sub(self.last_interaction()) / 1000,
            flags(&info, self.no_evict.load(Ordering::Relaxed)),
            info.db,
            info.subscriptions,
            info.pattern_subscriptions,
            info.shard_subscriptions,
            info.in_multi.map_or(-1, |n| n as i64),
            info.query_buffer,
            info.query_buffer_free,
            self.output_buffer_usage(),
            info.query_buffer as u64 + output,
            if info.last_command.is_empty() {
                "NULL"
            } else {
                info.last_command
            },
            info.redirect,
            info.resp,
            String::from_utf8_lossy(&info.lib_name),
            String::from_utf8_lossy(&info.lib_ver),
        );
        line
    }
}

/// Appends `arg` quoted as Redis's `sdscatrepr` does: printable bytes as they are, the usual
/// escapes for quotes, backslashes and control characters, `\xHH` for the rest.
pub(super) fn quote_repr(out: &mut Vec<u8>, arg: &[u8]) {
    out.push(b'"');
    for &byte in arg {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(byte),
            _ => out.extend_from_slice(format!("\\x{byte:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// CLIENT LIST's flags: `P` subscribed, `x` in MULTI, `N` nothing special.
fn flags(info: &ClientInfo, no_evict: bool) -> String {
    let mut flags = String::new();
    match info.link {
        LinkRole::Replica => flags.push('S'),
        LinkRole::Primary => flags.push('M'),
        LinkRole::None => {}
    }
    if info.in_pubsub() {
        flags.push('P');
    }
    if info.in_multi.is_some() {
        flags.push('x');
    }
    if info.blocked {
        flags.push('b');
    }
    for (bit, flag) in [
        (tracking_flags::ON, 't'),
        (tracking_flags::BROKEN_REDIRECT, 'R'),
        (tracking_flags::BCAST, 'B'),
    ] {
        if info.tracking & bit != 0 {
            flags.push(flag);
        }
    }
    if no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    fn limit(hard: u64, soft: u64, soft_seconds: u64) -> OutputLimit {
        OutputLimit {
            hard,
            soft,
            soft_seconds,
        }
    }

    #[test]
    fn output_limits_follow_redis_check_client_output_buffer_limits() {
        let client = Client::refused(None, None, T0);
        assert!(!client.check_output(usize::MAX, limit(0, 0, 0), T0));
        // The hard limit closes at once, at the limit itself.
        assert!(!client.check_output(999, limit(1000, 0, 0), T0));
        assert!(client.check_output(1000, limit(1000, 0, 0), T0));
        assert!(client.is_killed());
        // The soft limit closes once it has been exceeded for more than its whole seconds.
        let client = Client::refused(None, None, T0);
        let soft = limit(0, 100, 2);
        assert!(!client.check_output(100, soft, T0 + 900));
        assert_eq!(client.output_deadline(), Some(T0 + 3_000));
        assert!(!client.check_output(500, soft, T0 + 2_999));
        assert!(client.check_output(500, soft, T0 + 3_000));
        // Going under the soft limit starts over.
        let client = Client::refused(None, None, T0);
        assert!(!client.check_output(100, soft, T0));
        assert!(!client.check_output(99, soft, T0 + 1_000));
        assert_eq!(client.output_deadline(), None);
        assert!(!client.check_output(100, soft, T0 + 3_000));
        assert!(!client.is_killed());
    }
}
