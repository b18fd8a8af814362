//! The rest of the seam: what a pump tells the session around [`Session::handle`], and what it
//! waits for. A pump needs nothing else of the store to serve a connection.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use radish_data::Millis;

use super::Session;
use crate::persist::{Durable, LatencyProbe};
use crate::state::clients::Client;
use crate::state::notify::Notified;

/// What a connection's task waits on besides its socket: the session has something to do
/// (output from other connections, a blocked command served, the client killed), or the
/// client was killed. Holds the client, not the session, so the session stays free for
/// [`Session::handle`] while its task waits.
#[derive(Debug, Clone)]
pub struct Wakeups(Arc<Client>);

impl Wakeups {
    /// Completes when the session should be handled again although no input arrived.
    pub fn notified(&self) -> Notified<'_> {
        self.0.signal.notified()
    }

    /// Completes when the client is killed (CLIENT KILL, output limits, shutdown): a write
    /// or a wait for the log in progress should give up.
    pub fn killed(&self) -> Notified<'_> {
        self.0.killed_signal.notified()
    }
}

impl Session {
    /// What this connection's task waits on besides its socket.
    pub fn wakeups(&self) -> Wakeups {
        Wakeups(self.client.clone())
    }

    /// `bytes` were read from the socket at `now` (before [`handle`](Session::handle)).
    pub fn received(&self, bytes: usize, now: Millis) {
        let stats = &self.server.stats;
        stats
            .net_input_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        self.client.interacted(now);
    }

    /// The connection's buffers hold `bytes` now: a partial request waiting for the rest, and
    /// replies not yet written. They count in used memory, and `maxmemory-clients` bounds
    /// them: past it, the clients holding the most are closed (this one, maybe).
    pub fn buffered(&self, bytes: usize, now: Millis) {
        self.client.account_buffers(bytes);
        if self.server.clients.over_memory_limit() {
            self.server.clients.evict(now);
        }
    }

    /// The pump starts writing `bytes` of output: CLIENT LIST shows them until
    /// [`sent`](Session::sent).
    pub fn sending(&self, bytes: usize) {
        self.client.set_unsent(bytes);
    }

    /// `written` bytes of output were written at `now`; the connection's buffers hold
    /// `buffered` bytes now (a partial request).
    pub fn sent(&self, written: usize, buffered: usize, now: Millis) {
        self.client.set_unsent(0);
        self.client.interacted(now);
        let stats = &self.server.stats;
        stats
            .net_output_bytes
            .fetch_add(written as u64, Ordering::Relaxed);
        self.client.account_buffers(buffered);
    }

    /// When a write still in progress must give up: output over the soft output-buffer limit
    /// may stay unwritten only that long (`client-output-buffer-limit`).
    pub fn send_deadline(&self) -> Option<Millis> {
        self.client.output_deadline()
    }

    /// The [`send_deadline`](Session::send_deadline) passed with output still unwritten: the
    /// client is closed, as Redis closes it.
    pub fn send_timed_out(&self, now: Millis) {
        self.client.close_for_output_limit(now);
    }

    /// Where the append-only log's writes end now (`None` with the log off): with
    /// `appendfsync always`, a pump that lets other connections log before it fsyncs stops
    /// waiting once this no longer moves.
    pub fn log_end(&self) -> Option<u64> {
        self.server.persist.wait_offset()
    }

    /// With `appendfsync always`: writes what the log holds and fsyncs it on the calling
    /// thread, which answers every connection whose replies wait for it (one write and one
    /// fsync per pass of an event loop, as Redis does).
    pub fn sync_log(&self) {
        let probe = LatencyProbe {
            latency: &self.server.latency,
            timer: self.server.timer(),
            now: self.now,
        };
        self.server.persist.sync_timed(&probe);
    }

    /// Completes once the log is durable up to `offset` (see
    /// [`take_log_wait`](Session::take_log_wait)), with `true`; with `false` if the log
    /// failed for good first (`appendfsync always`): the replies must not be sent, and the
    /// connection closes.
    pub fn durable(&self, offset: u64) -> Durable<'_> {
        self.server.persist.durable(offset)
    }
}
