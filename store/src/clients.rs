//! The registry of connected clients, for CLIENT LIST / INFO / KILL and INFO clients, and the
//! limits that keep one client from hurting the rest: `maxclients`, protected mode, `timeout`
//! and `client-output-buffer-limit`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use radish_resp::Version;

use crate::config::Config;
use crate::db::Millis;
use crate::pubsub::OutputLimit;
use crate::signal::Signal;

/// Redis's per-client static reply buffer (16 KiB): output that fits in it is not output
/// buffer memory, so small `client-output-buffer-limit`s do not close clients for ordinary
/// replies. Output that does not fit counts whole (Redis counts what goes to its reply
/// list, where a reply of unknown length such as KEYS's goes entirely).
pub const REPLY_BUFFER: usize = 16 * 1024;

/// Output buffer memory for `pending` bytes of unsent output: see [`REPLY_BUFFER`].
pub fn output_buffer_usage(pending: usize) -> usize {
    if pending <= REPLY_BUFFER {
        0
    } else {
        pending
    }
}

/// What a connection gets when `maxclients` clients are already connected.
pub const MAX_CLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";

/// What a connection from another host gets in protected mode (Redis 7.0's exact text).
pub const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because \
protected mode is enabled and no password is set for the default user. In this mode \
connections are only accepted from the loopback interface. If you want to connect from \
external computers to Redis you may adopt one of the following solutions: 1) Just disable \
protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface \
by connecting to Redis from the same host the server is running, however MAKE SURE Redis is \
not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change \
permanent. 2) Alternatively you can just disable the protected mode by editing the Redis \
configuration file, and setting the protected mode option to 'no', and then restarting the \
server. 3) If you started the server manually just for testing, restart it with the \
'--protected-mode no' option. 4) Setup a an authentication password for the default user. \
NOTE: You only need to do one of the above things in order for the server to start accepting \
connections from the outside.\r\n";

/// True if protected mode turns away a connection from `peer`: it is on, the default user has
/// no password, and the peer is not on the loopback interface (an unknown peer, such as a
/// Unix socket's, is local).
pub fn protected_mode_refuses(config: &Config, peer: Option<SocketAddr>) -> bool {
    let loopback = peer.map_or(true, |addr| match addr.ip() {
        IpAddr::V4(ip) => ip.is_loopback(),
        IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    });
    config.get_bool("protected-mode")
        && config.get("requirepass").unwrap_or("").is_empty()
        && !loopback
}

/// The client settings read on hot paths (every accept, every command, every tick), copied
/// out of the configuration at start-up and after CONFIG SET.
#[derive(Debug)]
pub struct ClientLimits {
    maxclients: AtomicU64,
    /// `maxmemory-clients` in bytes (a percentage resolved against `maxmemory`); 0: off.
    max_client_memory: AtomicU64,
    timeout_seconds: AtomicU64,
    normal: [AtomicU64; 3],
    pubsub: [AtomicU64; 3],
}

impl Default for ClientLimits {
    fn default() -> Self {
        let limits = ClientLimits {
            maxclients: AtomicU64::new(0),
            max_client_memory: AtomicU64::new(0),
            timeout_seconds: AtomicU64::new(0),
            normal: Default::default(),
            pubsub: Default::default(),
        };
        limits.load(&Config::default());
        limits
    }
}

impl ClientLimits {
    /// Copies the settings from `config`.
    pub fn load(&self, config: &Config) {
        let store = |to: &AtomicU64, value: i64| to.store(value.max(0) as u64, Ordering::Relaxed);
        store(&self.maxclients, config.get_int("maxclients"));
        let client_memory = match config.get("maxmemory-clients") {
            Some(value) if value.ends_with('%') => {
                let percent: i64 = value.trim_end_matches('%').parse().unwrap_or(0);
                config.get_int("maxmemory").saturating_mul(percent) / 100
            }
            _ => config.get_int("maxmemory-clients"),
        };
        store(&self.max_client_memory, client_memory);
        store(&self.timeout_seconds, config.get_int("timeout"));
        let classes = config.get("client-output-buffer-limit").unwrap_or("");
        for (class, to) in [("normal", &self.normal), ("pubsub", &self.pubsub)] {
            let limit = OutputLimit::from_config(classes, class);
            to[0].store(limit.hard, Ordering::Relaxed);
            to[1].store(limit.soft, Ordering::Relaxed);
            to[2].store(limit.soft_seconds, Ordering::Relaxed);
        }
    }

    /// `maxclients`.
    pub fn maxclients(&self) -> usize {
        self.maxclients.load(Ordering::Relaxed) as usize
    }

    /// `timeout`, in seconds; 0 when idle clients stay.
    pub fn timeout_seconds(&self) -> u64 {
        self.timeout_seconds.load(Ordering::Relaxed)
    }

    /// The output buffer limit of the `pubsub` class (subscribed clients) or the `normal` one.
    pub fn output(&self, pubsub: bool) -> OutputLimit {
        let from = if pubsub { &self.pubsub } else { &self.normal };
        OutputLimit {
            hard: from[0].load(Ordering::Relaxed),
            soft: from[1].load(Ordering::Relaxed),
            soft_seconds: from[2].load(Ordering::Relaxed),
        }
    }
}

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
    pub signal: Signal,
    /// Notified only when the client is killed, so a task stuck writing to a client that
    /// does not read can give up.
    pub killed_signal: Signal,
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
    /// Bytes buffered but not yet parsed.
    pub query_buffer: usize,
    /// Channels subscribed to.
    pub subscriptions: usize,
    /// Patterns subscribed to.
    pub pattern_subscriptions: usize,
    /// Shard channels subscribed to.
    pub shard_subscriptions: usize,
    /// Commands queued, while inside MULTI.
    pub in_multi: Option<usize>,
}

impl Client {
    fn new(
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
            signal: Signal::default(),
            killed_signal: Signal::default(),
            killed: AtomicBool::new(false),
            outbox: Mutex::new(BytesMut::new()),
            resp3: AtomicBool::new(false),
            info: Mutex::new(ClientInfo {
                resp: 2,
                ..ClientInfo::default()
            }),
            last_interaction: AtomicU64::new(now),
            over_soft_limit_since: AtomicU64::new(0),
            output_deadline: AtomicU64::new(0),
            unsent: AtomicU64::new(0),
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
             ssub={} multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 \
             oll=0 omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={} lib-name={} \
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
            self.output_buffer_usage(),
            info.query_buffer as u64 + output,
            if info.last_command.is_empty() {
                "NULL"
            } else {
                info.last_command
            },
            info.resp,
            String::from_utf8_lossy(&info.lib_name),
            String::from_utf8_lossy(&info.lib_ver),
        );
        line
    }
}

/// Appends `arg` quoted as Redis's `sdscatrepr` does: printable bytes as they are, the usual
/// escapes for quotes, backslashes and control characters, `\xHH` for the rest.
fn quote_repr(out: &mut Vec<u8>, arg: &[u8]) {
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
    if info.subscriptions + info.pattern_subscriptions + info.shard_subscriptions > 0 {
        flags.push('P');
    }
    if info.in_multi.is_some() {
        flags.push('x');
    }
    if no_evict {
        flags.push('e');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    flags
}

/// Every connected client, by id.
#[derive(Debug, Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<Client>>>,
    next_id: AtomicU64,
    /// Notified whenever a client leaves, so shutdown can wait for the last one.
    pub left: Signal,
    /// The settings that bound clients.
    pub limits: ClientLimits,
    /// Clients in MONITOR mode, and their number, which every command reads: without
    /// monitors, feeding them costs one relaxed load.
    monitors: Mutex<Vec<Arc<Client>>>,
    monitor_count: AtomicUsize,
    /// Bytes in clients' query buffers, replies being written and outboxes: used_memory
    /// counts them, as Redis counts its clients' buffers, so `maxmemory` evicts for them too.
    pub buffers: Arc<AtomicU64>,
    /// Clients closed by `maxmemory-clients` (INFO's evicted_clients).
    pub evicted: AtomicU64,
    /// When a client eviction that found nobody to close may be tried again (Unix ms): the
    /// clients over the limit may all have CLIENT NO-EVICT on, and every batch would scan
    /// them all.
    retry_eviction_at: AtomicU64,
}

impl Clients {
    /// Registers a new connection and returns its handle, or `None` when `maxclients`
    /// clients are connected already. The count and the insertion happen under one lock, so
    /// connections accepted at the same time cannot overshoot the limit together.
    pub fn admit(
        &self,
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
    ) -> Option<Arc<Client>> {
        let mut map = self.lock();
        if map.len() >= self.limits.maxclients() {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let client = Arc::new(Client::new(id, addr, local_addr, now, self.buffers.clone()));
        map.insert(id, client.clone());
        Some(client)
    }

    /// Registers a client whatever `maxclients` says (the server's own clients).
    pub fn register(
        &self,
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
    ) -> Arc<Client> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let client = Arc::new(Client::new(id, addr, local_addr, now, self.buffers.clone()));
        self.lock().insert(id, client.clone());
        client
    }

    /// Closes the clients idle for more than `timeout` seconds, as Redis's
    /// `clientsCronHandleTimeout`: not those blocked on keys (`is_blocked`) or subscribed,
    /// which wait for others by design. Returns how many were closed.
    pub fn close_idle(&self, now: Millis, is_blocked: impl Fn(u64) -> bool) -> usize {
        let timeout = self.limits.timeout_seconds();
        if timeout == 0 {
            return 0;
        }
        let mut closed = 0;
        for client in self.all() {
            let idle = (now / 1000).saturating_sub(client.last_interaction() / 1000);
            if idle <= timeout
                || client.is_killed()
                || client.is_subscribed()
                || is_blocked(client.id)
            {
                continue;
            }
            tracing::debug!("Closing idle client {}", client.id);
            client.kill();
            closed += 1;
        }
        closed
    }

    /// Closes the clients whose output has stayed over its soft limit for too long, or grew
    /// past the hard one: Redis's clientsCron check, which also catches a client that stopped
    /// reading once nothing more is sent to it.
    pub fn enforce_output_limits(&self, now: Millis) -> usize {
        let mut closed = 0;
        for client in self.all() {
            let limit = self.limits.output(client.is_subscribed());
            let usage = client.output_buffer_usage() as u64;
            // Only a client over a limit: the tick may land while a connection's replies are
            // between its session and its socket, counted nowhere, and must not take that
            // for the output having drained (which restarts the soft limit's clock).
            let over =
                (limit.hard > 0 && usage >= limit.hard) || (limit.soft > 0 && usage >= limit.soft);
            if over && !client.is_killed() && client.check_output(usage as usize, limit, now) {
                closed += 1;
            }
        }
        closed
    }

    /// True while clients' buffers take more than `maxmemory-clients` allows: two loads.
    #[inline]
    pub fn over_memory_limit(&self) -> bool {
        let limit = self.limits.max_client_memory.load(Ordering::Relaxed);
        limit > 0 && self.buffers.load(Ordering::Relaxed) > limit
    }

    /// Redis's client eviction: while clients' buffers take more than `maxmemory-clients`,
    /// closes the clients with the most, except those with CLIENT NO-EVICT on. Returns how
    /// many it closed.
    pub fn evict(&self, now: Millis) -> usize {
        if !self.over_memory_limit() || now < self.retry_eviction_at.load(Ordering::Relaxed) {
            return 0;
        }
        let limit = self.limits.max_client_memory.load(Ordering::Relaxed);
        let mut candidates: Vec<(u64, Arc<Client>)> = self
            .all()
            .into_iter()
            .filter(|c| !c.is_killed() && !c.no_evict.load(Ordering::Relaxed))
            .map(|c| (c.buffer_memory(), c))
            .filter(|(memory, _)| *memory > 0)
            .collect();
        candidates.sort_by_key(|(memory, _)| std::cmp::Reverse(*memory));
        let mut used = self.buffers.load(Ordering::Relaxed);
        let mut evicted = 0;
        for (memory, client) in candidates {
            if used <= limit {
                break;
            }
            tracing::info!("Evicting client: {}", client.describe(now));
            client.kill();
            used = used.saturating_sub(memory);
            evicted += 1;
        }
        self.evicted.fetch_add(evicted as u64, Ordering::Relaxed);
        if evicted == 0 {
            self.retry_eviction_at.store(now + 100, Ordering::Relaxed);
        }
        evicted
    }

    /// Removes a client (when its Session is dropped).
    pub fn unregister(&self, id: u64) {
        self.lock().remove(&id);
        if self.has_monitors() {
            self.stop_monitoring(id);
        }
        self.left.notify();
    }

    /// MONITOR: from now on `client` is sent every command the server runs. False if it was
    /// monitoring already.
    pub fn start_monitoring(&self, client: &Arc<Client>) -> bool {
        let mut monitors = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
        if monitors.iter().any(|m| m.id == client.id) {
            return false;
        }
        monitors.push(client.clone());
        self.monitor_count.store(monitors.len(), Ordering::Relaxed);
        true
    }

    /// Ends MONITOR mode for client `id` (RESET, or it left).
    pub fn stop_monitoring(&self, id: u64) {
        let mut monitors = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
        monitors.retain(|m| m.id != id);
        self.monitor_count.store(monitors.len(), Ordering::Relaxed);
    }

    /// True while some client is in MONITOR mode.
    #[inline]
    pub fn has_monitors(&self) -> bool {
        self.monitor_count.load(Ordering::Relaxed) > 0
    }

    /// Sends one MONITOR line (the command `args`, run by `client` on `db` at `now`) to
    /// every monitor, in Redis's format: `+<seconds>.<micros> [<db> <ip:port>] "arg" ...`.
    /// The store has no clock of its own, so the microseconds are the millisecond's.
    pub fn feed_monitors(&self, client: &Client, db: usize, args: &[Bytes], now: Millis) {
        let mut line = format!("+{}.{:06} [{db} ", now / 1000, (now % 1000) * 1000);
        match client.addr {
            Some(addr) => {
                let _ = write!(line, "{addr}]");
            }
            None => line.push_str("unix:]"),
        }
        let mut bytes = line.into_bytes();
        for arg in args {
            bytes.push(b' ');
            quote_repr(&mut bytes, arg);
        }
        bytes.extend_from_slice(b"\r\n");
        let monitors = self.monitors.lock().unwrap_or_else(|e| e.into_inner());
        for monitor in monitors.iter() {
            monitor.deliver(&bytes);
        }
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no client is connected.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Every client, by id.
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.lock().values().cloned().collect()
    }

    /// The client with this id.
    pub fn get(&self, id: u64) -> Option<Arc<Client>> {
        self.lock().get(&id).cloned()
    }

    /// Asks every client to close.
    pub fn kill_all(&self) {
        for client in self.all() {
            client.kill();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Client>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
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

    #[test]
    fn admission_stops_at_maxclients() {
        let clients = Clients::default();
        let mut config = Config::default();
        config.apply_text("maxclients 2").expect("valid");
        clients.limits.load(&config);
        let first = clients.admit(None, None, T0).expect("first");
        assert!(clients.admit(None, None, T0).is_some());
        assert!(clients.admit(None, None, T0).is_none());
        clients.unregister(first.id);
        assert!(clients.admit(None, None, T0).is_some());
        assert_eq!(clients.len(), 2);
    }

    #[test]
    fn loopback_peers_pass_protected_mode() {
        let config = Config::default();
        let refuses =
            |addr: &str| protected_mode_refuses(&config, Some(addr.parse().expect("addr")));
        assert!(!refuses("127.0.0.1:1"));
        assert!(!refuses("[::1]:1"));
        assert!(refuses("192.0.2.2:1"));
        assert!(refuses("[fd00::2]:1"));
        assert!(!protected_mode_refuses(&config, None));
    }
}
