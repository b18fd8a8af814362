//! Hundreds of tasks share a few pooled connections while others abandon `get`s and requests
//! half-way, through a proxy that delays and splits the server's replies. Afterwards: every
//! reply reached the caller that asked for it, and the pool holds no connection for anyone.
//! Runs on both runtimes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use radish_client::prelude::*;
use radish_client::{Connector, Error};
use radish_pool::{Pool, Runtime as PoolRuntime, Status};
use radish_smol::SmolRuntime;
use radish_tests::{Runtime, RUNTIMES};
use radish_tokio::TokioRuntime;
use smol::future::FutureExt;

const WORKERS: u64 = 200;
const CANCELLERS: u64 = 60;
const ROUNDS: u64 = 6;
const CONNECTIONS: usize = 4;

/// A TCP proxy that forwards requests as they come and replies late: some reply chunks wait
/// a moment, others are split in two with a pause in between (so a reply is often half
/// there when its caller gives up).
struct DelayProxy {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl DelayProxy {
    fn start(upstream: SocketAddr) -> DelayProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("proxy address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let accept = thread::spawn(move || {
            let mut seed = 0x9E37_79B9_7F4A_7C15u64;
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        seed = seed.wrapping_add(0x2545_F491_4F6C_DD1D);
                        forward(client, upstream, seed);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        DelayProxy {
            addr,
            stop,
            accept: Some(accept),
        }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn forward(client: TcpStream, upstream: SocketAddr, seed: u64) {
    client.set_nonblocking(false).expect("blocking");
    let server = TcpStream::connect(upstream).expect("connect upstream");
    let _ = (client.set_nodelay(true), server.set_nodelay(true));
    let (mut client_in, mut server_out) =
        (client.try_clone().unwrap(), server.try_clone().unwrap());
    thread::spawn(move || {
        let mut chunk = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = client_in.read(&mut chunk) {
            if server_out.write_all(&chunk[..n]).is_err() {
                break;
            }
        }
        let _ = server_out.shutdown(std::net::Shutdown::Both);
    });
    let (mut server_in, mut client_out) = (server, client);
    thread::spawn(move || {
        let mut random = seed | 1;
        let mut chunk = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = server_in.read(&mut chunk) {
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            let pause = Duration::from_micros(random % 1500);
            let sent = match random % 3 {
                0 => {
                    thread::sleep(pause);
                    client_out.write_all(&chunk[..n])
                }
                1 if n > 1 => client_out.write_all(&chunk[..n / 2]).and_then(|()| {
                    thread::sleep(pause);
                    client_out.write_all(&chunk[n / 2..n])
                }),
                _ => client_out.write_all(&chunk[..n]),
            };
            if sent.is_err() {
                break;
            }
        }
        let _ = client_out.shutdown(std::net::Shutdown::Both);
    });
}

/// Both runtimes: the pool's runtime trait (timers, spawn) and the client's (sockets).
trait Both: PoolRuntime + radish_client::Runtime {}
impl<R: PoolRuntime + radish_client::Runtime> Both for R {}

type ClientPool<R> = Pool<Connector<R>, R>;

#[derive(Default)]
struct Tally {
    verified: AtomicU64,
    wrong: AtomicU64,
    abandoned: AtomicU64,
}

impl Tally {
    fn check(&self, got: &Bytes, want: &str) {
        if &got[..] == want.as_bytes() {
            self.verified.fetch_add(1, Ordering::Relaxed);
        } else {
            eprintln!("reply for {want:?} was {got:?}");
            self.wrong.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `future`, or `None` if `runtime`'s timer fires first (the future is then dropped).
async fn within<R: Both, T>(
    runtime: &R,
    wait: Duration,
    future: impl std::future::Future<Output = T>,
) -> Option<T> {
    async { Some(future.await) }
        .or(async {
            PoolRuntime::sleep(runtime, wait).await;
            None
        })
        .await
}

/// Uses a pooled connection for its own values only, and checks every reply.
async fn worker<R: Both>(pool: ClientPool<R>, id: u64, tally: Arc<Tally>) {
    for round in 0..ROUNDS {
        let connection = pool.get().await.expect("a connection");
        let mine = format!("w{id}:{round}");
        tally.check(&connection.echo(mine.as_str()).await.unwrap(), &mine);
        connection.set(mine.as_str(), mine.as_str()).await.unwrap();
        let got = connection
            .get(mine.as_str())
            .await
            .unwrap()
            .unwrap_or_default();
        tally.check(&got, &mine);
        // Two requests in flight at once on the same connection.
        let (a, b) = (format!("{mine}:a"), format!("{mine}:b"));
        let (first, second) =
            smol::future::zip(connection.echo(a.as_str()), connection.echo(b.as_str())).await;
        tally.check(&first.unwrap(), &a);
        tally.check(&second.unwrap(), &b);
    }
}

/// Gives up half-way, in every way a caller can: a `get` dropped while waiting, a request
/// dropped before its reply, a request timing out, a blocking command cut short, a
/// transaction left open.
async fn canceller<R: Both>(runtime: R, pool: ClientPool<R>, id: u64, tally: Arc<Tally>) {
    for round in 0..ROUNDS {
        let mine = format!("c{id}:{round}");
        let wait = Duration::from_micros((id * 7 + round * 13) % 1200);
        if round % 5 == 0 {
            if within(&runtime, wait, pool.get()).await.is_none() {
                tally.abandoned.fetch_add(1, Ordering::Relaxed);
            }
            continue;
        }
        let Ok(connection) = pool.get().await else {
            continue;
        };
        let finished = match round % 5 {
            1 => within(&runtime, wait, connection.echo(mine.as_str())).await,
            2 => Some(connection.echo(mine.as_str()).timeout(wait).await),
            3 => {
                let blpop = connection
                    .blpop([format!("{mine}:empty")], 0.01)
                    .timeout(Duration::from_millis(2));
                let _ = blpop.await;
                None
            }
            _ => {
                let _ = connection.query::<()>(cmd("MULTI")).await;
                let _ = connection.query::<()>(cmd("INCR").arg(mine.as_str())).await;
                None
            }
        };
        match finished {
            Some(Ok(reply)) => tally.check(&reply, &mine),
            Some(Err(Error::Timeout)) | None => {
                tally.abandoned.fetch_add(1, Ordering::Relaxed);
            }
            Some(Err(other)) => panic!("unexpected error: {other}"),
        }
        // The connection goes back dirty (a reply owed, or inside MULTI): reset, not reused.
    }
}

async fn stress<R: Both>(
    runtime: R,
    addr: SocketAddr,
) -> (Status, radish_pool::Counters, Arc<Tally>) {
    let proxy = DelayProxy::start(addr);
    let connector = Connector::new(runtime.clone(), proxy.addr).expect("config");
    let pool = Pool::builder(connector, runtime.clone())
        .max_size(CONNECTIONS)
        .wait_timeout(Duration::from_secs(30))
        .build()
        .expect("pool");
    let tally = Arc::new(Tally::default());
    let (done, finished) = smol::channel::unbounded::<()>();
    for id in 0..WORKERS {
        let (pool, tally, done) = (pool.clone(), tally.clone(), done.clone());
        PoolRuntime::spawn(&runtime, async move {
            worker(pool, id, tally).await;
            let _ = done.send(()).await;
        });
    }
    for id in 0..CANCELLERS {
        let (pool, tally, done, rt) = (pool.clone(), tally.clone(), done.clone(), runtime.clone());
        PoolRuntime::spawn(&runtime, async move {
            canceller(rt, pool, id, tally).await;
            let _ = done.send(()).await;
        });
    }
    drop(done);
    // Every task reports once; a task that panicked drops its sender without reporting.
    let mut reported = 0;
    while finished.recv().await.is_ok() {
        reported += 1;
    }
    assert_eq!(reported, WORKERS + CANCELLERS, "a task panicked");
    // Dirty connections are reset in the background: wait (bounded) for that to finish.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        let status = pool.status();
        let settled = status.in_use == 0 && status.recycling == 0 && status.connecting == 0;
        if settled || Instant::now() > deadline {
            break status;
        }
        PoolRuntime::sleep(&runtime, Duration::from_millis(5)).await;
    };
    let counters = pool.counters();
    drop(pool);
    drop(proxy);
    (status, counters, tally)
}

#[test]
fn pooled_connections_never_hand_a_reply_to_the_wrong_caller() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let (status, counters, tally) = match runtime {
            Runtime::Tokio => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime")
                .block_on(async { stress(TokioRuntime::current(), server.addr).await }),
            Runtime::Smol => smol::block_on(stress(SmolRuntime::global(), server.addr)),
        };
        eprintln!("{runtime:?}: {status:?} {counters:?}");
        assert_eq!(
            tally.wrong.load(Ordering::Relaxed),
            0,
            "{runtime:?}: a reply reached the wrong caller"
        );
        let expected = WORKERS * ROUNDS * 4;
        assert!(
            tally.verified.load(Ordering::Relaxed) >= expected,
            "{runtime:?}: every worker reply was checked"
        );
        assert!(
            tally.abandoned.load(Ordering::Relaxed) > 0,
            "{runtime:?}: some callers gave up"
        );
        assert!(
            counters.reset > 0,
            "{runtime:?}: dirty connections were reset: {counters:?}"
        );
        assert_eq!(
            (status.in_use, status.waiters, status.recycling),
            (0, 0, 0),
            "{runtime:?}: {status:?}"
        );
        assert!(status.size <= CONNECTIONS);
    }
}
