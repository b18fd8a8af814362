//! A server's life, written once for any runtime: bind, load the data, accept connections (on
//! the sockets CONFIG SET moves them to) and run the server's tick until shutdown, let the
//! connections finish, then save and sync.

use std::future::{poll_fn, Future};
use std::io;
use std::net::TcpListener;
use std::pin::{pin, Pin};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use radish_store::{Config, Server, Session};

use crate::arrival::{Arrival, Arrivals};
use crate::clock::{monotonic, now};
use crate::connection::Connection;
use crate::fd_limit::fit_maxclients;
use crate::listen::{bind_all, Listening};
use crate::logging;
use crate::runtime::{Listener, Runtime};

/// How long shutdown waits for connections to finish their replies.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long accepting pauses after a failure (usually out of file descriptors), rather than
/// spinning; the tick is not held up meanwhile.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What the binaries run once their runtime is up: binds the configured addresses (every
/// address of `bind`, on `port`), loads the data under `dir` (the server timed by
/// [`monotonic`] and fitting `maxclients` to the open-files limit), serves with `run` until it
/// returns, then saves and syncs as configured (`Server::close`). `name` is the binary's, for
/// the start-up lines.
pub async fn serve<F>(
    name: &str,
    config: Config,
    run: impl FnOnce(Vec<TcpListener>, Arc<Server>) -> F,
) -> io::Result<()>
where
    F: Future<Output = io::Result<()>>,
{
    let on = config.listen_on();
    let listeners = bind_all(&on).map_err(|error| logging::bind_failed(on.port, error))?;
    // As Redis without a Unix socket: `port 0` or an empty `bind` leaves no way in.
    if listeners.is_empty() {
        tracing::warn!("Configured to not listen anywhere, exiting.");
        return Err(io::Error::other("configured to not listen anywhere"));
    }
    // Logged once the port is ours, as Redis does: tools wait for this line.
    logging::announce(name, &config);
    // The data on disk is loaded before any client is served; a file that cannot be loaded
    // in full stops the server here.
    let server = server(config).load(now()).map_err(io::Error::other)?;
    let server = Arc::new(server);
    let addresses: Vec<String> = listeners
        .iter()
        .filter_map(|listener| listener.local_addr().ok())
        .map(|addr| addr.to_string())
        .collect();
    tracing::info!("Ready to accept connections tcp on {}", addresses.join(" "));
    run(listeners, server.clone()).await?;
    server.close(now()).map_err(io::Error::other)
}

/// A server for `config` as the binaries run it, before its data is loaded
/// ([`Server::load`]): timed by the [`monotonic`] clock, its `maxclients` fitted to the
/// process's open-files limit, MIGRATE connecting over blocking TCP.
pub fn server(config: Config) -> Server {
    // The clock calibrates itself on first use: here, rather than in the first command.
    monotonic();
    Server::new(config, now())
        .with_timer(monotonic)
        .with_open_files(fit_maxclients)
        .with_connector(crate::migrate_link::connect)
}

/// What one turn of the accept loop saw.
enum Event<T> {
    Accepted(io::Result<T>),
    /// CONFIG SET moved the listening sockets (see `listen.rs`).
    Relisten,
    Tick,
    /// REPLICAOF named a primary: start the link now.
    Replicate,
    Stop,
}

/// Serves clients from `listeners` (bound, non-blocking) until `shutdown` completes or a
/// client sends SHUTDOWN, running the server's tick `hz` times a second meanwhile; then stops
/// accepting, asks every connection to finish, and waits (at most [`DRAIN_TIMEOUT`]) for
/// them. Each accepted connection, with its session, goes to `spawn`, which runs it on an
/// event loop ([`Connection::serve`]). CONFIG SET of `port` or `bind` moves the listening
/// sockets while this runs.
pub async fn run<R: Runtime>(
    listeners: Vec<TcpListener>,
    server: Arc<Server>,
    shutdown: impl Future<Output = ()>,
    mut spawn: impl FnMut(Connection<<R::Listener as Listener>::Stream>),
) -> io::Result<()> {
    if let Some(addr) = listeners.first().and_then(|l| l.local_addr().ok()) {
        server.port.store(u64::from(addr.port()), Ordering::Relaxed);
    }
    let listening = Arc::new(Listening::new(&listeners)?);
    let mut listeners = adopt::<R>(listeners);
    // A busy script hands the rest of its event loop on (see Server::set_escape).
    server.set_escape(R::escape);
    // CONFIG SET binds here, on the thread that runs it; the loop below takes the sockets.
    server.set_listen(Box::new({
        let listening = listening.clone();
        move |on| listening.relisten(on)
    }));
    // One arrival order for all the server's connections, whichever event loop serves them.
    let arrivals = Arc::new(Arrivals::default());
    let mut shutdown = pin!(shutdown);
    let tick_every = || Duration::from_millis(server.tick_interval_ms());
    let mut tick = Box::pin(R::sleep(tick_every()));
    // After a failed accept, accepting pauses until this completes; the tick goes on.
    let mut paused: Option<Pin<Box<dyn Future<Output = ()> + Send>>> = None;
    // Which socket is asked first, turn by turn, so that a busy one cannot starve the others.
    let mut first = 0usize;
    loop {
        let event = {
            let count = listeners.len();
            first = first.wrapping_add(1);
            let mut accepts: Vec<_> = listeners
                .iter_mut()
                .map(|listener| Box::pin(listener.accept()))
                .collect();
            let mut stopping = pin!(server.shutdown.notified());
            let mut relisten = pin!(listening.changed.notified());
            let mut replicate = pin!(server.replica_link.notified());
            poll_fn(|cx| {
                if shutdown.as_mut().poll(cx).is_ready() || stopping.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Event::Stop);
                }
                if relisten.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Event::Relisten);
                }
                if tick.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Event::Tick);
                }
                if replicate.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Event::Replicate);
                }
                if let Some(pause) = paused.as_mut() {
                    if pause.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    paused = None;
                }
                for turn in 0..count {
                    let accept = &mut accepts[(first + turn) % count];
                    if let Poll::Ready(accepted) = accept.as_mut().poll(cx) {
                        return Poll::Ready(Event::Accepted(accepted));
                    }
                }
                Poll::Pending
            })
            .await
        };
        match event {
            Event::Accepted(Ok(accepted)) => {
                let session =
                    Session::new(server.clone(), Some(accepted.peer), accepted.local, now());
                spawn(Connection {
                    io: accepted.stream,
                    session,
                    arrival: Arrival::new(arrivals.clone()),
                });
            }
            // The socket was stopped by a CONFIG SET moving them: take the new ones.
            Event::Accepted(Err(_)) if listening.pending() => {}
            Event::Accepted(Err(error)) => {
                tracing::warn!(%error, "accept failed");
                paused = Some(Box::pin(R::sleep(ACCEPT_BACKOFF)));
            }
            Event::Relisten => {
                if let Some(handed) = listening.take() {
                    // The old sockets close here; connections they accepted stay.
                    listeners = adopt::<R>(handed);
                }
            }
            Event::Tick => {
                server.tick(now());
                start_replica_link(&server);
                tick = Box::pin(R::sleep(tick_every()));
            }
            Event::Replicate => start_replica_link(&server),
            Event::Stop => break,
        }
    }
    tracing::info!("shutting down: no new connections; waiting for clients");
    drop(listeners);
    listening.close();
    server.clients.kill_all();
    let mut drained = pin!(wait_for_clients(&server));
    let mut timeout = pin!(R::sleep(DRAIN_TIMEOUT));
    poll_fn(|cx| match drained.as_mut().poll(cx) {
        Poll::Ready(()) => Poll::Ready(()),
        Poll::Pending => timeout.as_mut().poll(cx),
    })
    .await;
    Ok(())
}

/// Starts the replication link REPLICAOF (or `replicaof` at start) asked for, if none runs
/// for it: on a thread of its own, blocking as Redis's replica handshake does.
fn start_replica_link(server: &Arc<Server>) {
    if let Some(follower) = radish_store::replica::due(server) {
        let spawned = std::thread::Builder::new()
            .name("radish-replica".into())
            .spawn(move || follower.run(now));
        if let Err(error) = spawned {
            tracing::warn!("cannot start the replication link: {error}");
        }
    }
}

/// The runtime's sockets for `listeners`; one the runtime refuses is logged and left out.
fn adopt<R: Runtime>(listeners: Vec<TcpListener>) -> Vec<R::Listener> {
    listeners
        .into_iter()
        .filter_map(|listener| match R::Listener::from_std(listener) {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, "cannot listen on a bound socket");
                None
            }
        })
        .collect()
}

/// Completes once every client has left (after `Clients::kill_all` at shutdown).
async fn wait_for_clients(server: &Server) {
    while !server.clients.is_empty() {
        server.clients.left.notified().await;
    }
}
