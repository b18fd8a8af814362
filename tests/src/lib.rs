//! Scenario tests run against both Radish runtimes with real clients.
//!
//! [`Runtime`] starts a Radish server in-process on `127.0.0.1:0` on either runtime and
//! stops it through its shutdown future; [`RedisServer`] runs a real `redis-server` (installed
//! by `.ci/run`) for differential tests.

pub mod differential;

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use radish_store::{Config, Server};

/// The runtimes a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// radish-tokio.
    Tokio,
    /// radish-smol.
    Smol,
}

/// Both runtimes, for scenarios that loop over them.
pub const RUNTIMES: [Runtime; 2] = [Runtime::Tokio, Runtime::Smol];

/// A Radish server running on a background thread; stopped (gracefully) on drop.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state, for tests that look inside.
    pub server: Arc<Server>,
    /// Which runtime serves it.
    pub runtime: Runtime,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Starts a server with default settings plus `directives` (`["requirepass", "x"]` pairs
    /// as in a config file, one directive per element: `"requirepass secret"`).
    pub fn start_with(self, directives: &[&str]) -> TestServer {
        let mut config = Config::default();
        config
            .apply_text(&directives.join("\n"))
            .expect("test directives are valid");
        let std_listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let server = Arc::new(Server::new(config, radish_tokio::now()));
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let shared = server.clone();
        let thread = std::thread::spawn(move || match self {
            Runtime::Tokio => {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("tokio runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
                    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                    std::thread::spawn(move || {
                        let _ = stop_rx.recv();
                        let _ = tx.send(());
                    });
                    radish_tokio::run(listener, shared, async move {
                        let _ = rx.await;
                    })
                    .await
                    .expect("tokio server");
                });
            }
            Runtime::Smol => {
                let listener = smol::net::TcpListener::try_from(std_listener).expect("listener");
                let (tx, rx) = smol::channel::bounded::<()>(1);
                std::thread::spawn(move || {
                    let _ = stop_rx.recv();
                    let _ = tx.send_blocking(());
                });
                smol::block_on(radish_smol::run(listener, shared, async move {
                    let _ = rx.recv().await;
                }))
                .expect("smol server");
            }
        });
        TestServer {
            addr,
            server,
            runtime: self,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Starts a server with default settings.
    pub fn start(self) -> TestServer {
        self.start_with(&[])
    }
}

impl TestServer {
    /// A `redis://` URL for this server.
    pub fn url(&self) -> String {
        format!("redis://{}/", self.addr)
    }

    /// Stops the server and waits for it to finish.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A real `redis-server` child process on a free loopback port; killed on drop.
pub struct RedisServer {
    /// Where it listens.
    pub addr: SocketAddr,
    child: Child,
}

impl RedisServer {
    /// Starts `redis-server` with no persistence. Panics if it is not installed: `.ci/run`
    /// installs it, so a missing binary is a setup error, not a reason to skip.
    pub fn start() -> RedisServer {
        let port = free_port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install -y redis-server)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer { addr, child }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}
