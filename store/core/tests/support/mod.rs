//! What the Session test files share: a server and a connection to it, driven with RESP bytes
//! and an explicit time. Each test file uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use radish_store::{Config, Millis, Server, Session, Status};

/// The time every test starts at (Unix ms); a round second so EX and EXAT line up.
pub const T0: Millis = 1_700_000_000_000;

/// The servers' clock for timing commands: deterministic, each read a microsecond after
/// the last.
fn test_timer() -> u64 {
    static NANOS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NANOS.fetch_add(1_000, std::sync::atomic::Ordering::Relaxed)
}

/// A server and one connection to it.
pub struct Conn {
    pub server: Arc<Server>,
    pub session: Session,
}

impl Conn {
    pub fn new() -> Conn {
        Conn::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Conn {
        let server = Server::new(config, T0).with_timer(test_timer);
        Conn::open(&Arc::new(server), None, T0)
    }

    /// A connection to `server` from `peer` (`None`: a local one), accepted at `now`.
    pub fn open(server: &Arc<Server>, peer: Option<SocketAddr>, now: Millis) -> Conn {
        let local: Option<SocketAddr> = "127.0.0.1:6379".parse().ok();
        let session = Session::new(server.clone(), peer, local, now);
        Conn {
            server: server.clone(),
            session,
        }
    }

    /// Another connection to the same server.
    pub fn connect(&self) -> Conn {
        Conn::open(&self.server, None, T0)
    }

    /// Feeds raw bytes at `now`; returns what the session wrote and its status.
    pub fn feed(&mut self, now: Millis, bytes: &[u8]) -> (String, Status) {
        let mut input = BytesMut::from(bytes);
        let mut out = BytesMut::new();
        let status = self.session.handle(&mut input, now, &mut out);
        (String::from_utf8_lossy(&out).into_owned(), status)
    }

    /// Sends one command at `now` and returns the reply bytes as text; the session must stay
    /// open.
    pub fn at(&mut self, now: Millis, args: &[&str]) -> String {
        let (out, status) = self.feed(now, &resp(args));
        assert_eq!(status, Status::Open, "{args:?} closed the session");
        out
    }

    /// Sends one command at T0.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        self.at(T0, args)
    }

    /// One field of INFO `section` at `now`.
    pub fn info(&mut self, now: Millis, section: &str, field: &str) -> String {
        let reply = self.at(now, &["INFO", section]);
        let prefix = format!("{field}:");
        reply
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("INFO {section} has no {field}: {reply}"))
            .to_string()
    }
}

/// A command as a RESP array of bulk strings.
pub fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
    out
}

/// The RESP integer reply `n`.
pub fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

/// The RESP bulk string reply `s`.
pub fn bulk(s: &str) -> String {
    format!("${}\r\n{s}\r\n", s.len())
}

/// `+OK`.
pub const OK: &str = "+OK\r\n";

/// The RESP2 null bulk reply.
pub const NIL: &str = "$-1\r\n";

/// Asserts the key's PTTL at `now`.
pub fn assert_pttl(c: &mut Conn, now: Millis, key: &str, pttl: i64) {
    assert_eq!(
        c.at(now, &["PTTL", key]),
        int(pttl),
        "PTTL {key} at T0+{}",
        now - T0
    );
}
