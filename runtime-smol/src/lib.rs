//! Radish's server and client on the smol runtime. The server is the pump's (radish-pump)
//! over smol's sockets and timer; what is smol's own is its event loops (an executor per
//! thread, connections pinned to one, see `shards.rs`), how busy polling takes its turns, and
//! how signals arrive.

pub mod client;
mod pool_runtime;
mod shards;
pub use pool_runtime::{SmolRuntime, SmolSleep};

use std::future::{poll_fn, Future};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use radish_pump::{Accepted, BusyPoll, GroupCommit, Transport};
use radish_store::{Config, Server};
use smol::net::TcpListener;
use smol::Async;

use crate::shards::Shards;

/// A smol TCP stream, for the pump.
struct Socket {
    stream: Arc<Async<std::net::TcpStream>>,
    /// futures-io reads into a slice; reading into this scratch buffer first keeps `read`
    /// cancel-safe (nothing is appended to the caller's buffer until bytes have arrived).
    scratch: Box<[u8]>,
    /// The last read did not fill the scratch buffer, so the socket is most likely drained:
    /// wait for readiness before the next read. async-io's read always tries the socket first,
    /// which after every reply is a `recv` that fails with EAGAIN: one wasted system call per
    /// request at -P 1 (what tokio avoids the same way).
    drained: bool,
}

impl Transport for Socket {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if self.drained {
            poll_fn(|cx| self.stream.poll_readable(cx)).await?;
            self.drained = false;
        }
        let read = (&*self.stream).read(&mut self.scratch).await?;
        self.drained = read < self.scratch.len();
        buf.extend_from_slice(&self.scratch[..read]);
        Ok(read)
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        (&*self.stream).write_all(data).await
    }
}

/// A smol listener, for the pump.
struct Listener(TcpListener);

impl radish_pump::Listener for Listener {
    type Stream = Socket;

    fn from_std(listener: std::net::TcpListener) -> io::Result<Listener> {
        TcpListener::try_from(listener).map(Listener)
    }

    async fn accept(&mut self) -> io::Result<Accepted<Socket>> {
        let (stream, peer) = self.0.accept().await?;
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().ok();
        Ok(Accepted {
            stream: Socket {
                stream: stream.into(),
                scratch: vec![0; 16 * 1024].into_boxed_slice(),
                drained: false,
            },
            peer,
            local,
        })
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.local_addr()
    }
}

/// The smol runtime, for the pump.
struct Smol;

impl radish_pump::Runtime for Smol {
    // One turn gathered too few writes here (measured: see GroupCommit::UntilQuiet).
    const GROUP_COMMIT: GroupCommit = GroupCommit::UntilQuiet;
    type Listener = Listener;

    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }

    fn escape(then: &mut dyn FnMut()) -> Option<radish_store::Escape> {
        let escaped = shards::escape();
        then();
        escaped
    }
}

/// Serves clients from `listener` until `shutdown` completes or a client sends SHUTDOWN, on
/// [`default_threads`] event loops (see [`run_on`]).
pub async fn run(
    listener: std::net::TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    run_on(default_threads(), listener, server, shutdown).await
}

/// How many event loops serve connections unless the binary is told otherwise
/// (`SMOL_THREADS`): one per two cores, at least one (why: see `shards.rs`).
pub fn default_threads() -> usize {
    Shards::default_count()
}

/// Serves clients from `listener` (bound, non-blocking) on `threads` event loops until
/// `shutdown` completes or a client sends SHUTDOWN; then stops accepting, asks every
/// connection to finish, and waits (briefly) for them. The first event loop runs where this is
/// awaited, with the accept loop and the server's tick; each other on a thread of its own.
/// Busy polls as the machine's default says ([`BusyPoll::window`]).
pub async fn run_on(
    threads: usize,
    listener: std::net::TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let window = BusyPoll::window(None);
    run_polling(threads, window, vec![listener], server, shutdown).await
}

/// [`run_on`], each event loop busy polling for `window` after each request.
async fn run_polling(
    threads: usize,
    window: Duration,
    listeners: Vec<std::net::TcpListener>,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut shards = Shards::start(threads.max(1), window)?;
    let local = shards.local();
    // The first executor runs on this thread.
    shards::enter(&local);
    // The accept loop is a task of the first executor, like its connections: when a busy
    // script holds this thread, the thread that takes the executor over accepts too. It is
    // the only one, whatever the number of event loops: the sockets CONFIG SET binds go to
    // it, and it spreads what it accepts over them all.
    let serving = local.spawn(async move {
        radish_pump::run::<Smol>(listeners, server, shutdown, move |connection| {
            shards.spawn(|busy| connection.serve::<Smol>(busy));
        })
        .await
    });
    local.run(serving).await
}

/// What the `radish-smol` binary does: serves as `config` says on `threads` event loops until
/// SIGINT, SIGTERM or SHUTDOWN (see [`radish_pump::serve`]), busy polling for `busy_poll`
/// after each request.
pub async fn serve(config: Config, threads: usize, busy_poll: Duration) -> io::Result<()> {
    radish_pump::serve("radish-smol", config, |listeners, server| {
        run_polling(threads, busy_poll, listeners, server, termination())
    })
    .await
}

async fn termination() {
    use async_signal::{Signal, Signals};
    use futures_lite::StreamExt;
    match Signals::new([Signal::Term, Signal::Int]) {
        Ok(mut signals) => {
            if let Some(Ok(signal)) = signals.next().await {
                tracing::info!("received {signal:?}");
            }
        }
        Err(_) => std::future::pending().await,
    }
}
