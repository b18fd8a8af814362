//! The registry of connected clients, for CLIENT LIST / INFO / KILL and INFO clients.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use radish_resp::Version;

use crate::db::Millis;
use crate::signal::Signal;

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
    /// When the last command ran.
    pub last_interaction: Millis,
    /// Bytes buffered but not yet parsed.
    pub query_buffer: usize,
    /// Channels subscribed to.
    pub subscriptions: usize,
    /// Patterns subscribed to.
    pub pattern_subscriptions: usize,
    /// Commands queued, while inside MULTI.
    pub in_multi: Option<usize>,
}

impl Client {
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
        if self.is_killed() {
            return 0;
        }
        let waiting = {
            let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
            outbox.extend_from_slice(bytes);
            outbox.len()
        };
        self.signal.notify();
        waiting
    }

    /// Moves everything queued by [`deliver`](Client::deliver) into `out`.
    pub fn take_outbox(&self, out: &mut BytesMut) {
        let mut outbox = self.outbox.lock().unwrap_or_else(|e| e.into_inner());
        if !outbox.is_empty() {
            out.extend_from_slice(&outbox);
            outbox.clear();
        }
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
        self.outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
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
        let mut line = String::with_capacity(256);
        let addr = self.addr.map(|a| a.to_string()).unwrap_or_default();
        let laddr = self.local_addr.map(|a| a.to_string()).unwrap_or_default();
        let _ = write!(
            line,
            "id={} addr={} laddr={} fd=8 name={} age={} idle={} flags={} db={} sub={} psub={} \
             ssub=0 multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 \
             oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} \
             lib-ver={}",
            self.id,
            addr,
            laddr,
            String::from_utf8_lossy(&info.name),
            now.saturating_sub(self.created) / 1000,
            now.saturating_sub(info.last_interaction) / 1000,
            flags(&info),
            info.db,
            info.subscriptions,
            info.pattern_subscriptions,
            info.in_multi.map_or(-1, |n| n as i64),
            info.query_buffer,
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

/// CLIENT LIST's flags: `P` subscribed, `x` in MULTI, `N` nothing special.
fn flags(info: &ClientInfo) -> String {
    let mut flags = String::new();
    if info.subscriptions + info.pattern_subscriptions > 0 {
        flags.push('P');
    }
    if info.in_multi.is_some() {
        flags.push('x');
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
}

impl Clients {
    /// Registers a new connection and returns its handle.
    pub fn register(
        &self,
        addr: Option<SocketAddr>,
        local_addr: Option<SocketAddr>,
        now: Millis,
    ) -> Arc<Client> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let client = Arc::new(Client {
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
                last_interaction: now,
                ..ClientInfo::default()
            }),
        });
        self.lock().insert(id, client.clone());
        client
    }

    /// Removes a client (when its Session is dropped).
    pub fn unregister(&self, id: u64) {
        self.lock().remove(&id);
        self.left.notify();
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
