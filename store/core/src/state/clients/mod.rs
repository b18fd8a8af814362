//! The registry of connected clients, for CLIENT LIST / INFO / KILL and INFO clients: who is
//! connected ([`Clients`]), each one ([`Client`]), and the limits that keep one client from
//! hurting the rest ([`limits`]).

mod client;
pub mod limits;
mod peaks;

pub use client::{tracking_flags, Client, LinkRole};
pub use limits::{
    output_buffer_usage, protected_mode_refuses, ClientLimits, OutputLimit, MAX_CLIENTS_REACHED,
    PROTECTED_MODE_DENIED,
};

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::state::notify::Notify;
use peaks::RecentPeaks;
use radish_data::Millis;

/// Every connected client, by id.
#[derive(Debug, Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<Client>>>,
    next_id: AtomicU64,
    /// Notified whenever a client leaves, so shutdown can wait for the last one.
    pub left: Notify,
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
    /// The largest buffers seen among clients, second by second (INFO's
    /// client_recent_max_input_buffer and client_recent_max_output_buffer).
    peaks: Mutex<RecentPeaks>,
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

    /// Notes every client's query and output buffer sizes at `now` (each tick, as Redis's
    /// clientsCron does, which takes each client about once a second).
    pub fn track_recent_peaks(&self, now: Millis) {
        let clients = self.all();
        let mut peaks = self.peaks.lock().unwrap_or_else(|e| e.into_inner());
        let slot = peaks.begin(now);
        for client in clients {
            peaks.record(
                slot,
                client.input_size(),
                client.output_buffer_usage() as u64,
            );
        }
    }

    /// The largest query buffer and the largest output buffer among clients over the last
    /// seconds (see `peaks.rs`).
    pub fn recent_peaks(&self) -> (u64, u64) {
        self.peaks.lock().unwrap_or_else(|e| e.into_inner()).max()
    }

    /// True while clients' buffers take more than `maxmemory-clients` allows: two loads.
    #[inline]
    pub fn over_memory_limit(&self) -> bool {
        let limit = self.limits.max_client_memory();
        limit > 0 && self.buffers.load(Ordering::Relaxed) > limit
    }

    /// Redis's client eviction: while clients' buffers take more than `maxmemory-clients`,
    /// closes the clients with the most, except those with CLIENT NO-EVICT on. Returns how
    /// many it closed.
    pub fn evict(&self, now: Millis) -> usize {
        if !self.over_memory_limit() || now < self.retry_eviction_at.load(Ordering::Relaxed) {
            return 0;
        }
        let limit = self.limits.max_client_memory();
        let mut candidates: Vec<(u64, Arc<Client>)> = self
            .all()
            .into_iter()
            .filter(|c| !c.is_killed() && c.evictable())
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

    /// Sends one MONITOR line (the command `args`, run by `client` on `db` at `now`, the
    /// arguments at the positions in `hidden` shown as `(redacted)`) to every monitor, in
    /// Redis's format: `+<seconds>.<micros> [<db> <ip:port>] "arg" ...`. The store has no
    /// clock of its own, so the microseconds are the millisecond's.
    pub fn feed_monitors(
        &self,
        client: Option<&Client>,
        db: usize,
        args: &[&[u8]],
        hidden: &[usize],
        now: Millis,
    ) {
        let mut line = format!("+{}.{:06} [{db} ", now / 1000, (now % 1000) * 1000);
        match client.map(|client| client.addr) {
            Some(Some(addr)) => {
                let _ = write!(line, "{addr}]");
            }
            Some(None) => line.push_str("unix:]"),
            None => line.push_str("lua]"),
        }
        let mut bytes = line.into_bytes();
        for (j, arg) in args.iter().enumerate() {
            bytes.push(b' ');
            let shown: &[u8] = if hidden.contains(&j) {
                b"(redacted)"
            } else {
                arg
            };
            client::quote_repr(&mut bytes, shown);
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

    use crate::state::config::Config;

    const T0: Millis = 1_700_000_000_000;

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
}
