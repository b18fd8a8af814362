//! Radish's server on the smol runtime: an accept loop, the store's connection pump over
//! smol sockets, the expiry tick, and graceful shutdown.

pub mod client;
mod pool_runtime;
mod shards;
pub use pool_runtime::{SmolRuntime, SmolSleep};

use std::future::{poll_fn, Future};
use std::io;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use futures_lite::{AsyncReadExt, AsyncWriteExt, FutureExt};
use radish_store::driver::{self, serve_connection, wait_for_clients, GroupCommit, Transport};
use radish_store::{Millis, Server, Session};
use smol::net::{TcpListener, TcpStream};
use smol::Async;

use crate::shards::Shards;

/// How long shutdown waits for connections to finish their replies.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// The wall clock in Unix milliseconds: the time the store is given.
pub fn now() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Millis)
}

/// A monotonic clock in nanoseconds since its first use: the store's
/// [`Timer`](radish_store::Timer), which times commands for INFO.
pub fn monotonic() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

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

enum Event {
    Accepted(io::Result<(TcpStream, std::net::SocketAddr)>),
    Stop,
}

/// The runtime, for the store's connection pump.
struct Runtime;

impl driver::Runtime for Runtime {
    // One turn gathered too few writes here (measured: see GroupCommit::UntilQuiet).
    const GROUP_COMMIT: GroupCommit = GroupCommit::UntilQuiet;

    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }
}

/// Serves clients from `listener` until `shutdown` completes or a client sends SHUTDOWN;
/// then stops accepting, asks every connection to finish, and waits (briefly) for them.
/// Connections run on `SMOL_THREADS` executors (default: one per two cores): the first where
/// `run` is awaited, with the accept loop and the expiry tick, each other on a thread of its own.
pub async fn run(
    listener: TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    run_on(Shards::default_count(), listener, server, shutdown).await
}

/// [`run`] with connections on `threads` threads, whatever `SMOL_THREADS` says.
pub async fn run_on(
    threads: usize,
    listener: TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        server
            .port
            .store(u64::from(addr.port()), std::sync::atomic::Ordering::Relaxed);
    }
    let mut shards = Shards::start(threads.max(1))?;
    let local = shards.local();
    let serving = async {
        let ticker = local.spawn(tick(server.clone()));
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let accept = async { Event::Accepted(listener.accept().await) };
            let stop = async {
                (&mut shutdown).or(server.shutdown.notified()).await;
                Event::Stop
            };
            match accept.or(stop).await {
                Event::Accepted(Ok((stream, addr))) => {
                    let _ = stream.set_nodelay(true);
                    let session =
                        Session::new(server.clone(), Some(addr), stream.local_addr().ok(), now());
                    let socket = Socket {
                        stream: stream.into(),
                        scratch: vec![0; 16 * 1024].into_boxed_slice(),
                        drained: false,
                    };
                    shards.spawn(|busy| serve_connection::<_, Runtime>(socket, session, now, busy));
                }
                Event::Accepted(Err(error)) => {
                    tracing::warn!(%error, "accept failed");
                    smol::Timer::after(Duration::from_millis(100)).await;
                }
                Event::Stop => break,
            }
        }
        tracing::info!("shutting down: no new connections; waiting for clients");
        drop(ticker);
        server.clients.kill_all();
        // Still on the first executor, so its connections keep running while they finish.
        wait_for_clients(&server)
            .or(async {
                smol::Timer::after(DRAIN_TIMEOUT).await;
            })
            .await;
    };
    local.run(serving).await;
    Ok(())
}

async fn tick(server: Arc<Server>) {
    loop {
        smol::Timer::after(Duration::from_millis(server.tick_interval_ms())).await;
        server.tick(now());
    }
}

/// Binds the configured address, loads the data under `dir` (`Server::open`), and runs the
/// server until SIGINT, SIGTERM or SHUTDOWN; then saves and syncs as configured
/// (`Server::close`).
/// What the `radish-smol` binary does.
pub async fn serve(config: radish_store::Config) -> io::Result<()> {
    let address = config.listen_address();
    let listener = TcpListener::bind(address.as_str())
        .await
        .map_err(|error| radish_store::logging::bind_failed(&address, error))?;
    // Logged once the port is ours, as Redis does: tools wait for this line.
    radish_store::logging::announce("radish-smol", &config);
    // The data on disk is loaded before any client is served; a file that cannot be loaded
    // in full stops the server here.
    let server = Server::open(config, now()).map_err(io::Error::other)?;
    let server = Arc::new(server.with_timer(monotonic));
    tracing::info!("Ready to accept connections tcp on {address}");
    run(listener, server.clone(), termination()).await?;
    server.close(now()).map_err(io::Error::other)
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
