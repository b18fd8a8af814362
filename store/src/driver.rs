//! The connection pump both runtime adapters use: it moves bytes between a socket and a
//! [`Session`], and wakes on the session's signal. Written once, over a two-method
//! [`Transport`] trait each adapter implements for its own socket type.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;

use bytes::BytesMut;

use crate::busy_poll::BusyPoll;
use crate::db::Millis;
use crate::session::{Session, Status};

/// What the connection pump needs from a runtime besides its sockets, as an adapter provides
/// it.
pub trait Runtime {
    /// How a connection about to fsync gathers the other connections' writes first.
    const GROUP_COMMIT: GroupCommit;

    /// Completes after `duration`.
    fn sleep(duration: std::time::Duration) -> impl Future<Output = ()>;
}

/// With `appendfsync always`, a connection that logged a write lets the other connections
/// ready now log theirs before it fsyncs, so that one fsync covers them all (Redis fsyncs once
/// per event-loop pass). How many turns that takes depends on the runtime's scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupCommit {
    /// One turn: the task runs again after every task woken before it (tokio). More turns
    /// measured worse there: 4,500 fsyncs instead of 2,900 for 80,000 SETs from 50 clients
    /// (0.82x of Redis's throughput against 1.0x). Likely cause: tokio polls for I/O every 61
    /// task polls, and with more turns that poll fell between the fsync and the last replies,
    /// splitting the clients into smaller passes.
    OneTurn,
    /// Turns until one passes in which no other connection logged anything, at most
    /// [`MAX_GATHER_TURNS`] (smol). With one turn there, 3,300–4,300 fsyncs covered those
    /// 80,000 SETs (0.90x of Redis); with this, 2,600–2,800 (1.0x).
    UntilQuiet,
}

/// The most turns [`GroupCommit::UntilQuiet`] waits: a bound on the latency one connection's
/// reply gains while others keep logging.
pub const MAX_GATHER_TURNS: usize = 8;

/// A connected byte stream, as a runtime adapter provides it.
pub trait Transport {
    /// Reads some bytes, appending them to `buf`; `Ok(0)` at end of stream. Must be
    /// cancel-safe: if the future is dropped before it completes, no bytes are lost.
    fn read(&mut self, buf: &mut BytesMut) -> impl Future<Output = io::Result<usize>>;

    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> impl Future<Output = io::Result<()>>;
}

/// Bytes to keep free in the input buffer before each read.
const READ_RESERVE: usize = 16 * 1024;

/// Serves one connection until the client leaves, the session asks to close, or the
/// connection is killed (CLIENT KILL, shutdown). `now` gives Unix milliseconds; `R` is the
/// runtime (its timer serves blocking commands' timeouts). Each request is
/// [marked](BusyPoll::mark) on `busy`, the busy-poll state of the event loop this runs on.
pub async fn serve_connection<T: Transport, R: Runtime>(
    mut io: T,
    mut session: Session,
    now: impl Fn() -> Millis,
    busy: Arc<BusyPoll>,
) {
    let server = session.server().clone();
    let mut input = BytesMut::with_capacity(READ_RESERVE);
    let mut output = BytesMut::with_capacity(READ_RESERVE);

    if let Some(refusal) = session.refusal() {
        // Best effort, as in Redis: the connection closes whether or not this arrives.
        if io.write_all(refusal).await.is_ok() {
            drain_before_close::<T, R>(&mut io, &mut input).await;
        }
        return;
    }

    loop {
        if input.capacity() - input.len() < READ_RESERVE / 4 {
            input.reserve(READ_RESERVE);
        }
        let client = session.client().clone();
        let timeout = session
            .deadline()
            .map(|deadline| std::time::Duration::from_millis(deadline.saturating_sub(now())));
        let event = {
            let mut read = pin!(io.read(&mut input));
            let mut signal = pin!(client.signal.notified());
            let mut timer = pin!(async {
                match timeout {
                    Some(duration) => R::sleep(duration).await,
                    None => std::future::pending().await,
                }
            });
            poll_fn(|cx| {
                if let Poll::Ready(result) = read.as_mut().poll(cx) {
                    return Poll::Ready(Some(result));
                }
                if signal.as_mut().poll(cx).is_ready() || timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            })
            .await
        };
        let status = match event {
            Some(Ok(0)) | Some(Err(_)) => break,
            Some(Ok(read)) => {
                busy.mark();
                server
                    .stats
                    .net_input_bytes
                    .fetch_add(read as u64, Ordering::Relaxed);
                let now = now();
                client.interacted(now);
                session.handle(&mut input, now, &mut output)
            }
            None => session.handle(&mut input, now(), &mut output),
        };
        // A partial request waiting for the rest, and the replies to send: used memory, and
        // what `maxmemory-clients` bounds.
        client.account_buffers(input.len() + output.len());
        if server.clients.over_memory_limit() {
            server.clients.evict(now());
        }
        if let Some(offset) = session.take_log_wait() {
            // appendfsync always: acknowledge writes only once the log holds them durably.
            // Let the other connections ready now write their log bytes first, then fsync on
            // this thread: one fsync covers the whole pass (group commit), as Redis's one
            // fsync per event-loop pass does. Connections that resume after it find their
            // writes durable already. No busy polling after a pass that fsyncs: see
            // BusyPoll::rest.
            gather_writes::<R>(&server, offset).await;
            busy.rest();
            server.persist.sync();
            let durable = {
                let mut synced = pin!(server.persist.durable(offset));
                let mut killed = pin!(client.killed_signal.notified());
                poll_fn(|cx| {
                    if synced.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(true);
                    }
                    killed.as_mut().poll(cx).map(|()| false)
                })
                .await
            };
            if !durable {
                break;
            }
        }
        if !output.is_empty() {
            // A client that stops reading must not keep its task (and buffers) forever: the
            // write gives up when the client is killed (output limits, CLIENT KILL, shutdown),
            // or when output over the soft output limit is still unsent past its seconds.
            let soft_limit_wait = client
                .output_deadline()
                .map(|deadline| std::time::Duration::from_millis(deadline.saturating_sub(now())));
            client.set_unsent(output.len());
            let written = {
                let mut write = pin!(io.write_all(&output));
                let mut killed = pin!(client.killed_signal.notified());
                let mut over_soft_limit = pin!(async {
                    match soft_limit_wait {
                        Some(duration) => R::sleep(duration).await,
                        None => std::future::pending().await,
                    }
                });
                poll_fn(|cx| {
                    if let Poll::Ready(result) = write.as_mut().poll(cx) {
                        return Poll::Ready(result.is_ok());
                    }
                    if over_soft_limit.as_mut().poll(cx).is_ready() {
                        client.close_for_output_limit(now());
                        return Poll::Ready(false);
                    }
                    killed.as_mut().poll(cx).map(|()| false)
                })
                .await
            };
            if !written {
                break;
            }
            client.set_unsent(0);
            client.interacted(now());
            server
                .stats
                .net_output_bytes
                .fetch_add(output.len() as u64, Ordering::Relaxed);
            output.clear();
            client.account_buffers(input.len());
        }
        if status == Status::Close {
            break;
        }
    }
    session.client().account_buffers(0);
}

/// How long a refused connection's input is read and dropped before it is closed.
const REFUSAL_DRAIN: std::time::Duration = std::time::Duration::from_millis(100);

/// Reads and drops what the client sent, until it closes or [`REFUSAL_DRAIN`] passes
/// (64 KiB at most), before a refused connection is closed: closing a socket with unread
/// input sends a reset, which can make the client lose the error line just written (Redis
/// refuses at accept time, before requests arrive, so its clients see a clean close).
async fn drain_before_close<T: Transport, R: Runtime>(io: &mut T, input: &mut BytesMut) {
    let mut timeout = pin!(R::sleep(REFUSAL_DRAIN));
    let mut drained = 0;
    while drained < 64 * 1024 {
        input.clear();
        let read = {
            let mut read = pin!(io.read(input));
            poll_fn(|cx| match read.as_mut().poll(cx) {
                Poll::Ready(result) => Poll::Ready(Some(result)),
                Poll::Pending => timeout.as_mut().poll(cx).map(|()| None),
            })
            .await
        };
        match read {
            Some(Ok(n)) if n > 0 => drained += n,
            _ => return,
        }
    }
}

/// Before a group fsync: gives the other connections ready now their turns to log their
/// writes, as the runtime's [`GroupCommit`] says. `logged` is where this connection's writes
/// end.
pub(crate) async fn gather_writes<R: Runtime>(server: &crate::Server, logged: u64) {
    match R::GROUP_COMMIT {
        GroupCommit::OneTurn => YieldOnce::default().await,
        GroupCommit::UntilQuiet => {
            let mut seen = Some(logged);
            for _ in 0..MAX_GATHER_TURNS {
                YieldOnce::default().await;
                let now = server.persist.wait_offset();
                if now == seen {
                    break;
                }
                seen = now;
            }
        }
    }
}

/// Gives the runtime a turn: pending once (asking to be polled again at the back of the
/// queue), ready the next time.
#[derive(Default)]
pub(crate) struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Completes once every client has left (after [`Clients::kill_all`](crate::clients::Clients)
/// at shutdown). Adapters bound it with a timeout.
pub async fn wait_for_clients(server: &crate::Server) {
    while !server.clients.is_empty() {
        server.clients.left.notified().await;
    }
}
