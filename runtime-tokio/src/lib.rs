//! Radish's server and client on the tokio runtime. The server is the pump's (radish-pump)
//! over tokio's sockets and timer; what is tokio's own is how connections are spawned (tasks
//! of the runtime, one busy poller for all) and how signals arrive.

pub mod client;
mod pool_runtime;
pub use pool_runtime::TokioRuntime;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use radish_pump::clock::monotonic;
use radish_pump::{Accepted, BusyPoll, GroupCommit, Transport};
use radish_store::{Config, Escape, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A tokio TCP stream, for the pump.
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

/// A tokio listener, for the pump.
struct Listener(TcpListener);

impl radish_pump::Listener for Listener {
    type Stream = Socket;

    fn from_std(listener: std::net::TcpListener) -> io::Result<Listener> {
        TcpListener::from_std(listener).map(Listener)
    }

    async fn accept(&mut self) -> io::Result<Accepted<Socket>> {
        let (stream, peer) = self.0.accept().await?;
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().ok();
        Ok(Accepted {
            stream: Socket(stream),
            peer,
            local,
        })
    }

    fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.0.local_addr()
    }
}

/// The tokio runtime, for the pump.
struct Tokio;

impl radish_pump::Runtime for Tokio {
    const GROUP_COMMIT: GroupCommit = GroupCommit::OneTurn;
    type Listener = Listener;

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }

    fn escape(then: &mut dyn FnMut()) -> Option<Escape> {
        let handle = tokio::runtime::Handle::try_current().ok();
        let Some(handle) = handle
            .filter(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
        else {
            then();
            return None;
        };
        // The multi-threaded scheduler hands this worker's other tasks to a new worker
        // thread (the one-worker runtime of the binary is that scheduler too); the script
        // goes on here. Inside, this thread runs no worker: what `then` wakes is queued for
        // the others. Before returning, wait until a worker runs a task: if the new one has
        // not started by then (a loaded machine), this thread would take its worker back
        // when the closure returns, and the script would hold up its connections again.
        tokio::task::block_in_place(|| {
            then();
            let (ran, running) = std::sync::mpsc::channel();
            handle.spawn(async move {
                let _ = ran.send(());
            });
            let _ = running.recv_timeout(Duration::from_secs(1));
        });
        None
    }
}

/// Serves clients from `listener` (bound, non-blocking) until `shutdown` completes or a
/// client sends SHUTDOWN; then stops accepting, asks every connection to finish, and waits
/// (briefly) for them. Busy polls as the machine's default says ([`BusyPoll::window`]).
pub async fn run(
    listener: std::net::TcpListener,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let window = BusyPoll::window(None);
    run_polling(vec![listener], server, shutdown, window).await
}

/// [`run`], busy polling for `window` after each request. Connections are tasks of the
/// runtime; one busy poller serves them all. With one worker (the default on 2 cores) it
/// keeps that worker awake between requests; with more, whichever worker runs it.
async fn run_polling(
    listeners: Vec<std::net::TcpListener>,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
    window: Duration,
) -> io::Result<()> {
    let busy = Arc::new(BusyPoll::new(window));
    let poller = tokio::spawn({
        let busy = busy.clone();
        // tokio's yield_now puts the task back only after the worker next polls for I/O.
        async move { busy.run(monotonic, tokio::task::yield_now).await }
    });
    let served = radish_pump::run::<Tokio>(listeners, server, shutdown, |connection| {
        tokio::spawn(connection.serve::<Tokio>(busy.clone()));
    })
    .await;
    poller.abort();
    served
}

/// What the `radish-tokio` binary does: serves as `config` says until SIGINT, SIGTERM or
/// SHUTDOWN (see [`radish_pump::serve`]), busy polling for `busy_poll` after each request.
pub async fn serve(config: Config, busy_poll: Duration) -> io::Result<()> {
    radish_pump::serve("radish-tokio", config, |listeners, server| {
        run_polling(listeners, server, termination(), busy_poll)
    })
    .await
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
