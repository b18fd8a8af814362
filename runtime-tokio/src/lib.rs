//! Radish's server on the tokio runtime: an accept loop, the store's connection pump over
//! tokio sockets, the expiry tick, and graceful shutdown.

pub mod client;
mod pool_runtime;
pub use pool_runtime::TokioRuntime;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use radish_store::busy_poll::BusyPoll;
use radish_store::driver::{self, serve_connection, wait_for_clients, GroupCommit, Transport};
use radish_store::{Millis, Server, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

struct Socket(TcpStream);

impl Transport for Socket {
    async fn read(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        // `read_buf` is cancel-safe: bytes are only appended once they have been read.
        self.0.read_buf(buf).await
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.0.write_all(data).await
    }
}

/// The runtime, for the store's connection pump.
struct Runtime;

impl driver::Runtime for Runtime {
    const GROUP_COMMIT: GroupCommit = GroupCommit::OneTurn;

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }
}

/// Serves clients from `listener` until `shutdown` completes or a client sends SHUTDOWN;
/// then stops accepting, asks every connection to finish, and waits (briefly) for them.
pub async fn run(
    listener: TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        server
            .port
            .store(u64::from(addr.port()), std::sync::atomic::Ordering::Relaxed);
    }
    let ticker = tokio::spawn(tick(server.clone()));
    // One busy poller for the runtime. With one worker (the default on 2 cores) it keeps
    // that worker awake between requests; with more, whichever worker runs it.
    let busy = Arc::new(BusyPoll::for_host());
    let poller = tokio::spawn({
        let busy = busy.clone();
        async move { busy.run(monotonic).await }
    });
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let session = Session::new(server.clone(), Some(addr), stream.local_addr().ok(), now());
                    tokio::spawn(serve_connection::<_, Runtime>(Socket(stream), session, now, busy.clone()));
                }
                Err(error) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            () = &mut shutdown => break,
            () = server.shutdown.notified() => break,
        }
    }
    tracing::info!("shutting down: no new connections; waiting for clients");
    ticker.abort();
    poller.abort();
    server.clients.kill_all();
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, wait_for_clients(&server)).await;
    Ok(())
}

async fn tick(server: Arc<Server>) {
    loop {
        tokio::time::sleep(Duration::from_millis(server.tick_interval_ms())).await;
        server.tick(now());
    }
}

/// Binds the configured address, loads the data under `dir` (`Server::open`), and runs the
/// server until SIGINT, SIGTERM or SHUTDOWN; then saves and syncs as configured
/// (`Server::close`).
/// What the `radish-tokio` binary does.
pub async fn serve(config: radish_store::Config) -> io::Result<()> {
    let address = config.listen_address();
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|error| radish_store::logging::bind_failed(&address, error))?;
    // Logged once the port is ours, as Redis does: tools wait for this line.
    radish_store::logging::announce("radish-tokio", &config);
    // The data on disk is loaded before any client is served; a file that cannot be loaded
    // in full stops the server here.
    let server = Server::open(config, now()).map_err(io::Error::other)?;
    let server = Arc::new(server.with_timer(monotonic));
    tracing::info!("Ready to accept connections tcp on {address}");
    run(listener, server.clone(), termination()).await?;
    server.close(now()).map_err(io::Error::other)
}

async fn termination() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("received SIGTERM"),
        _ = int.recv() => tracing::info!("received SIGINT"),
    }
}
