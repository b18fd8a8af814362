//! Scenario tests run against both Radish runtimes with real clients.
//!
//! [`Runtime`] starts a Radish server in-process on `127.0.0.1:0` on either runtime and
//! stops it through its shutdown future; [`RedisServer`] runs a real `redis-server` (installed
//! by `.ci/run`) for differential tests.

pub mod datasets;
pub mod differential;
pub mod python;
pub mod scenario;

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use radish_pump::clock::{monotonic, now};
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
    /// Where it writes its files (removed after it stops).
    _dir: TempDir,
}

impl Runtime {
    /// Starts a server with default settings plus `directives` (`["requirepass", "x"]` pairs
    /// as in a config file, one directive per element: `"requirepass secret"`).
    pub fn start_with(self, directives: &[&str]) -> TestServer {
        self.start_on("127.0.0.1", directives)
    }

    /// Like [`start_with`](Runtime::start_with), listening on `ip` (`0.0.0.0` for every
    /// interface) on a free port; `addr` is then the bound address as the OS reports it.
    pub fn start_on(self, ip: &str, directives: &[&str]) -> TestServer {
        let std_listener = TcpListener::bind((ip, 0)).expect("bind a free port");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener.local_addr().expect("local addr");
        let mut config = Config::default();
        // As the reference redis-server is started: no save rules, and a directory of its
        // own for whatever it writes (DEBUG RELOAD, BGREWRITEAOF...), never the checkout; a
        // test's own `dir` comes later and wins. `bind` and `port` say where it listens, as
        // a server started on that address would (CONFIG GET, CONFIG SET bind).
        let dir = TempDir::new("server");
        config
            .apply_text(&format!(
                "save \"\"\n{}\nbind {ip}\nport {}\n{}",
                dir.directive(),
                addr.port(),
                directives.join("\n")
            ))
            .expect("test directives are valid");
        // Loaded as the binaries load it: the files a test put in its `dir` first.
        let server = Arc::new(
            Server::new(config, now())
                .with_timer(monotonic)
                .with_connector(radish_pump::migrate_link::connect)
                .load(now())
                .expect("the server's files load"),
        );
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
                    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                    std::thread::spawn(move || {
                        let _ = stop_rx.recv();
                        let _ = tx.send(());
                    });
                    radish_tokio::run(std_listener, shared, async move {
                        let _ = rx.await;
                    })
                    .await
                    .expect("tokio server");
                });
            }
            Runtime::Smol => {
                let (tx, rx) = smol::channel::bounded::<()>(1);
                std::thread::spawn(move || {
                    let _ = stop_rx.recv();
                    let _ = tx.send_blocking(());
                });
                // Two connection threads, whatever the machine: connections on different
                // threads (blocking pops, pub/sub, WATCH) are what the scenarios must cover.
                smol::block_on(radish_smol::run_on(2, std_listener, shared, async move {
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
            _dir: dir,
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
    /// Its working directory: it loads a `dump.rdb` found where it starts, and writes there.
    _dir: TempDir,
}

impl RedisServer {
    /// Starts `redis-server` with no persistence and DEBUG allowed from local clients. Panics if it is not installed: `.ci/run`
    /// installs it, so a missing binary is a setup error, not a reason to skip.
    pub fn start() -> RedisServer {
        Self::start_in(TempDir::new("redis-server"), &[])
    }

    /// Starts `redis-server` as [`start`](RedisServer::start) does, in `dir` (where it finds
    /// the files it loads: `dump.rdb`, the append-only directory) with `args` added
    /// (`["--appendonly", "yes"]`).
    pub fn start_in(dir: TempDir, args: &[&str]) -> RedisServer {
        // A free port may be taken by another test's server before this one binds it: then
        // redis-server exits, and it starts again on another port.
        let mut dir = Some(dir);
        for _ in 0..5 {
            match Self::try_start(dir.take().expect("a directory"), args) {
                Ok(server) => return server,
                Err(returned) => dir = Some(returned),
            }
        }
        panic!("redis-server did not start on five ports in a row");
    }

    /// The directory it runs in.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    fn try_start(dir: TempDir, args: &[&str]) -> Result<RedisServer, TempDir> {
        let port = free_port();
        let mut child = Command::new("redis-server")
            .current_dir(dir.path())
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                // DEBUG DIGEST and DIGEST-VALUE for differential tests (loopback is local).
                "--enable-debug-command",
                "local",
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install -y redis-server)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("address");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Whoever answers must be this process: INFO names its process id.
        let pid = format!("process_id:{}\r\n", child.id());
        let password = args
            .iter()
            .position(|arg| *arg == "--requirepass")
            .and_then(|at| args.get(at + 1).copied());
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return Err(dir);
            }
            if let Some(info) = info_server(addr, password) {
                if info.contains(&pid) {
                    return Ok(RedisServer {
                        addr,
                        child,
                        _dir: dir,
                    });
                }
                // Another server has the port.
                let _ = child.kill();
                let _ = child.wait();
                return Err(dir);
            }
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What the server at `addr` answers to INFO server (after AUTH with `password`), if it
/// answers.
fn info_server(addr: SocketAddr, password: Option<&str>) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    if let Some(password) = password {
        stream
            .write_all(format!("AUTH {password}\r\n").as_bytes())
            .ok()?;
        let mut ok = [0u8; 5];
        stream.read_exact(&mut ok).ok()?;
    }
    stream.write_all(b"INFO server\r\n").ok()?;
    let mut info = Vec::new();
    let mut chunk = [0u8; 4096];
    // The section is a few hundred bytes; it ends with an empty line.
    while !info.ends_with(b"\r\n\r\n") {
        let read = stream.read(&mut chunk).ok()?;
        if read == 0 {
            break;
        }
        info.extend_from_slice(&chunk[..read]);
    }
    Some(String::from_utf8_lossy(&info).into_owned())
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

/// A minimal synchronous RESP client over a raw socket, for tests that need exact control of
/// bytes, several connections at once, or replies that arrive later (blocking, pub/sub).
pub struct RawClient {
    stream: std::net::TcpStream,
    buffer: bytes::BytesMut,
    decoder: radish_resp::Decoder,
}

impl RawClient {
    /// Connects, with a 5 s read timeout.
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = stream.set_nodelay(true);
        RawClient {
            stream,
            buffer: bytes::BytesMut::new(),
            decoder: radish_resp::Decoder::new(),
        }
    }

    /// Sends one command as an array of bulk strings.
    pub fn send(&mut self, args: &[&str]) {
        let mut out = bytes::BytesMut::new();
        radish_resp::encode_request(args, &mut out);
        self.send_raw(&out);
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.stream.write_all(bytes).expect("write");
    }

    /// Reads the next frame, waiting up to the read timeout. Panics on timeout or EOF.
    pub fn read(&mut self) -> radish_resp::Frame {
        self.try_read().expect("a reply")
    }

    /// Reads the next frame; `None` on timeout or when the server closed the connection.
    pub fn try_read(&mut self) -> Option<radish_resp::Frame> {
        use std::io::Read;
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buffer).expect("valid RESP") {
                return Some(frame);
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Sends a command and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> radish_resp::Frame {
        self.send(args);
        self.read()
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.stream.peer_addr().expect("a connected socket")
    }

    /// Reads the snapshot a primary sends after SYNC (or +FULLRESYNC): the newlines that
    /// keep the link alive while it is written, then `$<len>\r\n` and that many bytes.
    pub fn read_sync_payload(&mut self) -> Vec<u8> {
        use std::io::Read;
        let fill = |buffer: &mut bytes::BytesMut, stream: &mut std::net::TcpStream| {
            let mut chunk = [0u8; 16 * 1024];
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => panic!("the primary sent no snapshot"),
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        loop {
            while self.buffer.first() == Some(&b'\n') {
                let _ = self.buffer.split_to(1);
            }
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let header = self.buffer.split_to(end + 1);
                let text = String::from_utf8_lossy(&header[..end]);
                let len: usize = text
                    .trim()
                    .strip_prefix('$')
                    .and_then(|len| len.parse().ok())
                    .unwrap_or_else(|| panic!("not a snapshot header: {text:?}"));
                while self.buffer.len() < len {
                    fill(&mut self.buffer, &mut self.stream);
                }
                return self.buffer.split_to(len).to_vec();
            }
            fill(&mut self.buffer, &mut self.stream);
        }
    }

    /// Changes the read timeout (for "nothing arrives" checks).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("timeout");
    }

    /// True if nothing arrives within `wait`.
    pub fn silent_for(&mut self, wait: Duration) -> bool {
        self.set_timeout(wait);
        let silent = self.try_read().is_none();
        self.set_timeout(Duration::from_secs(5));
        silent
    }

    /// True once the server has closed the connection (reads EOF within 5 s).
    pub fn closed(&mut self) -> bool {
        use std::io::Read;
        let mut chunk = [0u8; 16 * 1024];
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                Err(_) => return true,
            }
        }
        false
    }
}

/// A bulk string frame, for comparing replies.
pub fn bulk(text: &str) -> radish_resp::Frame {
    radish_resp::Frame::bulk(bytes::Bytes::copy_from_slice(text.as_bytes()))
}

/// Polls INFO until `blocked_clients` reaches `count` (blocking is asynchronous to the test).
pub fn wait_for_blocked(addr: SocketAddr, count: usize) {
    let mut probe = RawClient::connect(addr);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = probe.cmd(&["INFO", "clients"]);
        let text = String::from_utf8_lossy(info.as_bytes().expect("INFO text")).to_string();
        if text.contains(&format!("blocked_clients:{count}\r\n")) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {count} blocked clients: {text}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A fresh directory for one server's files (servers started by tests never write into the
/// checkout), removed when dropped.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// A new empty directory under the system's temporary directory, named after `name`.
    pub fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("radish-tests-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.0
    }

    /// A file in it.
    pub fn file(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }

    /// The `dir` directive that makes a server write its files here.
    pub fn directive(&self) -> String {
        format!("dir {}", self.0.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
