//! Serving one connection: bytes from the socket into its [`Session`], the session's output
//! back to the socket, and the session's wake-ups, deadline and log waits in between. It uses
//! the session's public API only.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use radish_store::{Millis, Session, Status};

use crate::arrival::Arrival;
use crate::busy_poll::{BusyPoll, YieldOnce};
use crate::clock::now;
use crate::runtime::{GroupCommit, Runtime, Transport, MAX_GATHER_TURNS};

/// Bytes to keep free in the input buffer before each read.
const READ_RESERVE: usize = 16 * 1024;

/// How long a refused connection's input is read and dropped before it is closed.
const REFUSAL_DRAIN: Duration = Duration::from_millis(100);

/// An accepted connection and its session, ready to be served on an event loop.
pub struct Connection<T> {
    /// The socket.
    pub io: T,
    /// The session it talks to.
    pub session: Session,
    /// Its place in the order requests arrive in (see `arrival.rs`).
    pub(crate) arrival: Arc<Arrival>,
}

impl<T: Transport> Connection<T> {
    /// Serves the connection until the client leaves, the session asks to close, or the
    /// client is killed (CLIENT KILL, output limits, shutdown). `busy` is the busy-poll state
    /// of the event loop this runs on: every read [marks](BusyPoll::mark) it.
    pub async fn serve<R: Runtime>(self, busy: Arc<BusyPoll>) {
        let Connection {
            mut io,
            mut session,
            arrival,
        } = self;
        let mut input = BytesMut::with_capacity(READ_RESERVE);
        let mut output = BytesMut::with_capacity(READ_RESERVE);
        if let Some(refusal) = session.refusal() {
            // Best effort, as in Redis: the connection closes whether or not this arrives.
            if io.write_all(refusal).await.is_ok() {
                drain_before_close::<T, R>(&mut io, &mut input).await;
            }
            return;
        }
        let wakeups = session.wakeups();
        loop {
            if input.capacity() - input.len() < READ_RESERVE / 4 {
                input.reserve(READ_RESERVE);
            }
            let event = {
                let mut read = pin!(io.read(&mut input));
                let mut woken = pin!(wakeups.notified());
                let mut timer = pin!(sleep_until::<R>(session.deadline()));
                poll_fn(|cx| {
                    if let Poll::Ready(result) = arrival.poll(read.as_mut(), cx) {
                        return Poll::Ready(Some(result));
                    }
                    arrival.nothing_read();
                    if woken.as_mut().poll(cx).is_ready() || timer.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(None);
                    }
                    Poll::Pending
                })
                .await
            };
            let mut closing = false;
            // The time of this pass, read once for all its steps, as Redis's event loop reads
            // it once per pass: a clock read is some 25 ns, several per wake at -P 1. It is
            // read again after a write or an fsync that had to wait.
            let mut time;
            let status = match event {
                Some(Ok(0)) | Some(Err(_)) => break,
                Some(Ok(mut read)) => {
                    // Read again before running what came: that finds the socket empty and
                    // leaves a waker with it, so that what arrives while these requests run
                    // is stamped when it arrives (see arrival.rs). The read the loop would
                    // make after replying is no longer needed: no system call is added.
                    match probe(&mut io, &mut input, &arrival).await {
                        Some(Ok(0)) | Some(Err(_)) => closing = true,
                        Some(Ok(more)) => read += more,
                        None => {}
                    }
                    // Requests that arrived earlier on other connections run first.
                    let turn = arrival.wait_turn().await;
                    busy.mark(session.client().id);
                    time = now();
                    session.received(read, time);
                    let status = session.handle(&mut input, time, &mut output);
                    drop(turn);
                    status
                }
                None => {
                    time = now();
                    session.handle(&mut input, time, &mut output)
                }
            };
            session.buffered(input.len() + output.len(), time);
            // Whether the other connections ready now have had their turn since this one ran.
            let mut gathered = false;
            if let Some(offset) = session.take_log_wait() {
                // appendfsync always: acknowledge writes only once the log holds them durably.
                // Let the other connections ready now write their log bytes first, then fsync
                // on this thread: one fsync covers the whole pass (group commit), as Redis's one
                // fsync per event-loop pass does. Connections that resume after it find their
                // writes durable already. No busy polling after a pass that fsyncs: see
                // BusyPoll::rest.
                gather_writes::<R>(&session, offset).await;
                gathered = true;
                busy.rest();
                session.sync_log();
                let durable = {
                    let mut synced = pin!(session.durable(offset));
                    let mut killed = pin!(wakeups.killed());
                    poll_fn(|cx| {
                        // `false`: the log failed for good; the replies are not sent.
                        if let Poll::Ready(durable) = synced.as_mut().poll(cx) {
                            return Poll::Ready(durable);
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
                if !gathered {
                    // Reply once the other connections ready now have run, as Redis writes
                    // its replies just before its event loop sleeps. A client woken by its
                    // reply pays the wake-up in our send (Linux: sock_def_readable, a
                    // cross-CPU wake); replying in a burst wakes it once for many replies
                    // instead of once each. Where the server is the bottleneck this is what
                    // decides: EVALSHA of a one-call script at -P 16 went from 2.31 to 1.64
                    // µs of server CPU per request (0.78x to 1.09x of redis-server's
                    // throughput); plain commands, where the client is the bottleneck and
                    // never sleeps, were unchanged.
                    YieldOnce::default().await;
                }
                // A client that stops reading must not keep its task (and buffers) forever:
                // the write gives up when the client is killed (output limits, CLIENT KILL,
                // shutdown), or when output over the soft output limit is still unsent past
                // its seconds.
                let send_deadline = session.send_deadline();
                session.sending(output.len());
                let mut waited = gathered;
                let written = {
                    let mut write = pin!(io.write_all(&output));
                    let mut killed = pin!(wakeups.killed());
                    let mut too_late = pin!(sleep_until::<R>(send_deadline));
                    poll_fn(|cx| {
                        if let Poll::Ready(result) = write.as_mut().poll(cx) {
                            return Poll::Ready(result.is_ok());
                        }
                        waited = true;
                        if too_late.as_mut().poll(cx).is_ready() {
                            session.send_timed_out(now());
                            return Poll::Ready(false);
                        }
                        killed.as_mut().poll(cx).map(|()| false)
                    })
                    .await
                };
                if !written {
                    break;
                }
                if waited {
                    time = now();
                }
                session.sent(output.len(), input.len(), time);
                output.clear();
            }
            if status == Status::Close || closing {
                break;
            }
        }
    }
}

/// Polls one read of `io` once, with `arrival`'s waker: the bytes read, or `None` (and a
/// waker left with the socket) when there are none yet.
async fn probe<T: Transport>(
    io: &mut T,
    input: &mut BytesMut,
    arrival: &Arc<Arrival>,
) -> Option<std::io::Result<usize>> {
    let mut read = pin!(io.read(input));
    poll_fn(|cx| {
        Poll::Ready(match arrival.poll(read.as_mut(), cx) {
            Poll::Ready(result) => Some(result),
            Poll::Pending => None,
        })
    })
    .await
}

/// Completes at `deadline` (Unix milliseconds), or never for `None`.
async fn sleep_until<R: Runtime>(deadline: Option<Millis>) {
    match deadline {
        Some(deadline) => R::sleep(Duration::from_millis(deadline.saturating_sub(now()))).await,
        None => std::future::pending().await,
    }
}

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
pub(crate) async fn gather_writes<R: Runtime>(session: &Session, logged: u64) {
    match R::GROUP_COMMIT {
        GroupCommit::OneTurn => YieldOnce::default().await,
        GroupCommit::UntilQuiet => {
            let mut seen = Some(logged);
            for _ in 0..MAX_GATHER_TURNS {
                YieldOnce::default().await;
                let now = session.log_end();
                if now == seen {
                    break;
                }
                seen = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Wake, Waker};

    use radish_store::{Config, Server};

    use super::*;

    const T0: Millis = 1_700_000_000_000;

    /// A runtime for [`gather_writes`] whose timer and sockets are never used.
    struct Gathering<const UNTIL_QUIET: bool>;

    struct NoListener;

    impl crate::runtime::Listener for NoListener {
        type Stream = NoStream;

        fn from_std(_: std::net::TcpListener) -> std::io::Result<NoListener> {
            unreachable!("gathering writes binds nothing")
        }

        async fn accept(&mut self) -> std::io::Result<crate::runtime::Accepted<NoStream>> {
            unreachable!("gathering writes accepts nothing")
        }

        fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
            unreachable!("gathering writes listens nowhere")
        }
    }

    struct NoStream;

    impl Transport for NoStream {
        async fn read(&mut self, _: &mut BytesMut) -> std::io::Result<usize> {
            unreachable!("gathering writes reads nothing")
        }

        async fn write_all(&mut self, _: &[u8]) -> std::io::Result<()> {
            unreachable!("gathering writes writes nothing")
        }
    }

    impl<const UNTIL_QUIET: bool> Runtime for Gathering<UNTIL_QUIET> {
        const GROUP_COMMIT: GroupCommit = if UNTIL_QUIET {
            GroupCommit::UntilQuiet
        } else {
            GroupCommit::OneTurn
        };
        type Listener = NoListener;

        async fn sleep(_: Duration) {
            unreachable!("gathering writes sets no timer")
        }

        fn escape(then: &mut dyn FnMut()) -> Option<radish_store::Escape> {
            then();
            None
        }
    }

    struct Noop;

    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    /// Runs one command on `session`.
    fn run(session: &mut Session, args: &[&str]) {
        let mut input = BytesMut::new();
        radish_resp::encode_request(args, &mut input);
        let mut out = BytesMut::new();
        assert_eq!(session.handle(&mut input, T0, &mut out), Status::Open);
        assert_eq!(&out[..], b"+OK\r\n");
    }

    #[test]
    fn before_a_group_fsync_connections_take_turns_as_the_runtime_says() {
        let dir = std::env::temp_dir().join(format!("radish-pump-gather-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let mut config = Config::default();
        let directives = format!(
            "dir {}\nsave \"\"\nappendonly yes\nappendfsync always",
            dir.display()
        );
        config.apply_text(&directives).expect("valid directives");
        let server = Arc::new(Server::open(config, T0).expect("opens"));
        gather_in_turns(&server);
        server.close(T0).expect("closes");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn gather_in_turns(server: &Arc<Server>) {
        let mut session = Session::new(server.clone(), None, None, T0);
        let mut other = Session::new(server.clone(), None, None, T0);
        let waker = Waker::from(Arc::new(Noop));
        let mut cx = Context::from_waker(&waker);
        // Polls `gather` until it is ready, another connection logging a write in each of the
        // first `busy_turns` turns; returns how many turns it took.
        let mut turns_with = |gather: &mut std::pin::Pin<&mut dyn Future<Output = ()>>,
                              busy_turns| {
            let mut turns = 0;
            while gather.as_mut().poll(&mut cx).is_pending() {
                if turns < busy_turns {
                    run(&mut other, &["SET", "other", "1"]);
                }
                turns += 1;
                assert!(turns <= MAX_GATHER_TURNS, "never ready");
            }
            turns
        };

        run(&mut session, &["SET", "k", "v"]);
        let logged = session.take_log_wait().expect("appendfsync always waits");
        // One turn, whatever the others do in it.
        let mut one = pin!(gather_writes::<Gathering<false>>(&session, logged));
        assert_eq!(turns_with(&mut (one.as_mut() as _), 3), 1);

        // Until a turn passes in which nobody logged: one turn with no other writer...
        let logged = session.log_end().expect("the log is on");
        let mut quiet = pin!(gather_writes::<Gathering<true>>(&session, logged));
        assert_eq!(turns_with(&mut (quiet.as_mut() as _), 0), 1);
        // ...one more for each turn in which another connection logged...
        let logged = session.log_end().expect("the log is on");
        let mut busy = pin!(gather_writes::<Gathering<true>>(&session, logged));
        assert_eq!(turns_with(&mut (busy.as_mut() as _), 3), 4);
        // ...and no more than the bound while others never stop.
        let logged = session.log_end().expect("the log is on");
        let mut endless = pin!(gather_writes::<Gathering<true>>(&session, logged));
        assert_eq!(
            turns_with(&mut (endless.as_mut() as _), usize::MAX),
            MAX_GATHER_TURNS
        );
    }
}
