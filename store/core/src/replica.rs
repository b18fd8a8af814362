//! Following a primary (redis-server 7.0 or radish): the link a replica keeps to it, as
//! Redis's `syncWithMaster`, `readSyncBulkPayload` and master client do. It connects, sends
//! the handshake (PING, AUTH, REPLCONF listening-port and capa, PSYNC), takes a full copy of
//! the primary's data (an RDB file, sized or EOF-marked, saved as `dbfilename` and loaded) or
//! the rest of its stream (+CONTINUE), then applies the primary's writes in order through a
//! session of their own, acknowledging the offset applied every second and when asked.
//!
//! It runs on a thread the pump starts when [`due`] says so, over the blocking connection
//! `Server::with_connector` opens (as MIGRATE talks), and ends when the primary changes or
//! the server stops; a dropped link is tried again a second later, resuming where it left
//! off when the primary still has that part of its stream.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use radish_data::snapshot::format::{parse_record, Parsed};
use radish_data::Millis;

use crate::commands::table;
use crate::exec::replay::reload;
use crate::persist::Reload;
use crate::server::Server;
use crate::session::{Session, Status};
use crate::state::links::Link;
use crate::state::replication::LinkState;

/// How long a read waits before the link looks at its state (the primary changed, an ACK is
/// due).
const POLL: Duration = Duration::from_millis(100);
/// How often the offset applied is acknowledged (Redis's replication cron).
const ACK_EVERY_MS: Millis = 1000;
/// How long a dropped link waits before it connects again.
const RETRY: Duration = Duration::from_secs(1);
/// Bytes read from the primary at a time.
const CHUNK: usize = 64 * 1024;
/// The length of the random mark that ends an EOF-marked transfer.
const EOF_MARK_LEN: usize = 40;

/// The link to follow a primary: run it on a thread of its own.
pub struct Follower {
    server: Arc<Server>,
    generation: u64,
    host: String,
    port: u16,
}

/// The link the pump should start now, if a primary is followed and no link runs for it
/// (after REPLICAOF, or at start with `replicaof`). The pump calls this on every tick.
pub fn due(server: &Arc<Server>) -> Option<Follower> {
    let mut replication = server.replication();
    let primary = replication.primary.as_mut()?;
    if primary.link_running {
        return None;
    }
    primary.link_running = true;
    Some(Follower {
        server: server.clone(),
        generation: primary.generation,
        host: primary.host.clone(),
        port: primary.port,
    })
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Some(primary) = self.server.replication().primary_of(self.generation) {
            primary.link_running = false;
        }
    }
}

/// Why a link ended.
enum End {
    /// The primary followed changed, or the server stops.
    Superseded,
    /// Something failed: try again.
    Failed(String),
}

impl From<io::Error> for End {
    fn from(error: io::Error) -> End {
        End::Failed(error.to_string())
    }
}

impl Follower {
    /// Keeps the link up until the primary changes or the server stops; `clock` gives the
    /// time (Unix milliseconds).
    pub fn run(self, clock: fn() -> Millis) {
        tracing::info!("Connecting to MASTER {}:{}", self.host, self.port);
        while self.current() {
            match self.follow(clock) {
                End::Superseded => break,
                End::Failed(why) => {
                    tracing::warn!("Replication link with {}:{}: {why}", self.host, self.port);
                    self.link_down(clock());
                }
            }
            let mut waited = Duration::ZERO;
            while waited < RETRY && self.current() {
                std::thread::sleep(POLL);
                waited += POLL;
            }
        }
    }

    /// True while this link's primary is still the one followed and the server runs.
    fn current(&self) -> bool {
        !self.server.shutdown_requested()
            && self
                .server
                .replication()
                .primary_of(self.generation)
                .is_some()
    }

    fn set_state(&self, state: LinkState, now: Millis) {
        if let Some(primary) = self.server.replication().primary_of(self.generation) {
            primary.state = state;
            primary.last_io = now;
        }
        self.server.replica_changed();
    }

    /// The link dropped: what was applied stays, to resume from.
    fn link_down(&self, now: Millis) {
        {
            let mut replication = self.server.replication();
            let (replid, offset) = (replication.replid.clone(), replication.offset);
            let Some(primary) = replication.primary_of(self.generation) else {
                return;
            };
            let was_connected = primary.state == LinkState::Connected;
            primary.state = LinkState::Connect;
            if was_connected || primary.down_since == 0 {
                primary.down_since = now;
            }
            if was_connected {
                replication.cached = Some((replid, offset));
            }
        }
        self.server.replica_changed();
    }

    /// One connection to the primary, from connecting to the link's end.
    fn follow(&self, clock: fn() -> Millis) -> End {
        let (timeout, auth, listening_port) = {
            let config = self.server.config();
            let timeout = Duration::from_secs(config.get_int("repl-timeout").max(1) as u64);
            let auth = config
                .get("masterauth")
                .filter(|p| !p.is_empty())
                .map(|pass| {
                    let user = config.get("masteruser").filter(|u| !u.is_empty());
                    (user.map(str::to_string), pass.to_string())
                });
            let announced = config.get_int("replica-announce-port");
            let port = match announced {
                0 => self.server.port.load(std::sync::atomic::Ordering::Relaxed) as i64,
                port => port,
            };
            (timeout, auth, port)
        };
        let Some(connector) = self.server.links().connector() else {
            return End::Failed("this server cannot open connections".into());
        };
        self.set_state(LinkState::Connecting, clock());
        let link = match connector(&self.host, self.port, timeout) {
            Ok(link) => link,
            Err(error) => {
                return End::Failed(format!("Error condition on socket for SYNC: {error}"))
            }
        };
        tracing::info!("MASTER <-> REPLICA sync started");
        self.set_state(LinkState::Handshake, clock());
        let mut conn = Conn::new(link, timeout);
        if let Err(end) = self.handshake(&mut conn, auth, listening_port) {
            return end;
        }
        let (replid, offset) = {
            let replication = self.server.replication();
            match &replication.cached {
                Some((replid, offset)) => (replid.clone(), (offset + 1).to_string()),
                None => ("?".to_string(), "-1".to_string()),
            }
        };
        tracing::info!("Trying a partial resynchronization (request {replid}:{offset}).");
        let reply = match conn
            .send(&["PSYNC", &replid, &offset])
            .and_then(|()| conn.line_skipping_keepalives())
        {
            Ok(reply) => reply,
            Err(error) => return End::from(error),
        };
        let words: Vec<&str> = reply.split(' ').collect();
        match words.as_slice() {
            ["+FULLRESYNC", replid, offset] => {
                let Ok(offset) = offset.parse::<u64>() else {
                    return End::Failed(format!("bad FULLRESYNC reply: {reply}"));
                };
                tracing::info!("Full resync from master: {replid}:{offset}");
                if let Err(end) = self.transfer(&mut conn, replid, offset, clock) {
                    return end;
                }
            }
            ["+CONTINUE"] | ["+CONTINUE", _] => {
                tracing::info!("Successful partial resynchronization with master.");
                let mut data = self.server.keyspace();
                let mut replication = self.server.replication();
                if let Some(new_id) = words.get(1) {
                    if *new_id != replication.replid {
                        // Replicas of this one learn the new ID by reconnecting.
                        data.repl.drop_replicas();
                    }
                    replication.switched(new_id);
                }
                replication.cached = None;
                data.repl.create_backlog();
                data.repl.restart_at_keeping(replication.offset);
                data.repl.proxy = true;
            }
            _ if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") => {
                return End::Failed(format!(
                    "Master is currently unable to PSYNC but should be in the future: {reply}"
                ));
            }
            _ => return End::Failed(format!("Unexpected reply to PSYNC from master: {reply}")),
        }
        self.stream(conn, clock)
    }

    /// PING, AUTH, REPLCONF listening-port and capa, as Redis's replica sends them.
    fn handshake(
        &self,
        conn: &mut Conn,
        auth: Option<(Option<String>, String)>,
        listening_port: i64,
    ) -> Result<(), End> {
        conn.send(&["PING"])?;
        let pong = conn.line()?;
        // A primary that wants a password answers PING with an error: AUTH follows.
        let refused = pong.starts_with('-')
            && !pong.starts_with("-NOAUTH")
            && !pong.starts_with("-NOPERM")
            && !pong.starts_with("-ERR operation not permitted");
        if refused {
            return Err(End::Failed(format!(
                "Error reply to PING from master: '{pong}'"
            )));
        }
        if let Some((user, pass)) = auth {
            match &user {
                Some(user) => conn.send(&["AUTH", user, &pass])?,
                None => conn.send(&["AUTH", &pass])?,
            }
            let reply = conn.line()?;
            if reply.starts_with('-') {
                return Err(End::Failed(format!("Unable to AUTH to MASTER: {reply}")));
            }
        }
        conn.send(&["REPLCONF", "listening-port", &listening_port.to_string()])?;
        let reply = conn.line()?;
        if reply.starts_with('-') {
            tracing::info!(
                "(Non critical) Master does not understand REPLCONF listening-port: {reply}"
            );
        }
        conn.send(&["REPLCONF", "capa", "eof", "capa", "psync2"])?;
        let reply = conn.line()?;
        if reply.starts_with('-') {
            tracing::info!("(Non critical) Master does not understand REPLCONF capa: {reply}");
        }
        Ok(())
    }

    /// Receives the primary's RDB file, saves it as `dbfilename`, and loads it in place of
    /// the data, as Redis's replica does with `repl-diskless-load disabled`.
    fn transfer(
        &self,
        conn: &mut Conn,
        replid: &str,
        offset: u64,
        clock: fn() -> Millis,
    ) -> Result<(), End> {
        self.set_state(LinkState::Transfer, clock());
        let header = conn.line_skipping_keepalives()?;
        let (size, mark) = match header.strip_prefix('$') {
            Some(rest) if rest.starts_with("EOF:") && rest.len() == 4 + EOF_MARK_LEN => {
                (None, Some(rest.as_bytes()[4..].to_vec()))
            }
            Some(rest) => match rest.parse::<u64>() {
                Ok(size) => (Some(size), None),
                Err(_) => return Err(End::Failed(format!("bad transfer header: {header}"))),
            },
            None if header.starts_with('-') => {
                return Err(End::Failed(format!("MASTER aborted replication: {header}")))
            }
            None => return Err(End::Failed(format!("bad transfer header: {header}"))),
        };
        tracing::info!(
            "MASTER <-> REPLICA sync: receiving {} from master to disk",
            size.map_or("streamed data".to_string(), |size| format!("{size} bytes"))
        );
        let (dir, target) = {
            let config = self.server.config();
            let dir = PathBuf::from(config.get("dir").unwrap_or("."));
            let target = dir.join(config.get("dbfilename").unwrap_or("dump.rdb"));
            (dir, target)
        };
        let temp = dir.join(format!(
            "temp-{}.{}.rdb",
            std::process::id(),
            self.generation
        ));
        let received = self.receive(conn, &temp, size, mark.as_deref(), clock);
        let saved = received.and_then(|()| {
            std::fs::rename(&temp, &target)?;
            std::fs::File::open(&dir)?.sync_all()
        });
        if let Err(error) = saved {
            let _ = std::fs::remove_file(&temp);
            return Err(End::Failed(format!("receiving the master's data: {error}")));
        }
        if !self.current() {
            return Err(End::Superseded);
        }
        tracing::info!("MASTER <-> REPLICA sync: Flushing old data");
        tracing::info!("MASTER <-> REPLICA sync: Loading DB in memory");
        let now = clock();
        let mut keyspace = None;
        let loaded = reload(
            &self.server,
            table(),
            &mut keyspace,
            Reload::Snapshot,
            true,
            false,
            now,
        );
        if let Err(error) = loaded {
            return Err(End::Failed(format!(
                "Failed trying to load the MASTER synchronization DB from disk: {error}"
            )));
        }
        self.server.replication().synced(replid, offset);
        if let Some(data) = keyspace.as_mut() {
            // A new history: this server's replicas start over from it.
            data.repl.drop_replicas();
            data.repl.create_backlog();
            data.repl.restart_at(offset);
            data.repl.proxy = true;
        }
        // The log must hold the new data: it starts again from a rewrite, as Redis's
        // restartAOFAfterSYNC.
        if self.server.config().get_bool("appendonly") {
            if let Some(data) = keyspace.as_mut() {
                let config = self.server.config().clone();
                let _ = self.server.persist.bgrewriteaof(&config, data, now);
            }
        }
        drop(keyspace);
        tracing::info!("MASTER <-> REPLICA sync: Finished with success");
        Ok(())
    }

    /// Copies the transfer into `temp`: `size` bytes, or up to the EOF `mark`.
    fn receive(
        &self,
        conn: &mut Conn,
        temp: &std::path::Path,
        size: Option<u64>,
        mark: Option<&[u8]>,
        clock: fn() -> Millis,
    ) -> io::Result<()> {
        let mut file = std::fs::File::create(temp)?;
        let mut read: u64 = 0;
        // An EOF-marked transfer holds back the last bytes until it knows they are not the
        // mark.
        let mut held = Vec::new();
        loop {
            if let Some(size) = size {
                if read >= size {
                    break;
                }
            }
            let want = match size {
                Some(size) => (size - read).min(CHUNK as u64) as usize,
                None => CHUNK,
            };
            let chunk = conn.read_some(want)?;
            if chunk.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the master closed the connection during the transfer",
                ));
            }
            read += chunk.len() as u64;
            match mark {
                Some(mark) => {
                    held.extend_from_slice(&chunk);
                    if held.ends_with(mark) {
                        held.truncate(held.len() - mark.len());
                        file.write_all(&held)?;
                        break;
                    }
                    let keep = held.len().min(mark.len());
                    let flush = held.len() - keep;
                    file.write_all(&held[..flush])?;
                    held.drain(..flush);
                }
                None => file.write_all(&chunk)?,
            }
            let now = clock();
            if let Some(primary) = self.server.replication().primary_of(self.generation) {
                primary.transfer_size = size.unwrap_or(0);
                primary.transfer_read = read;
                primary.transfer_last_io = now;
                primary.last_io = now;
            }
            if !self.current() {
                return Err(io::Error::other("the master changed during the transfer"));
            }
        }
        file.sync_all()
    }

    /// Applies the primary's stream until the link drops or is superseded.
    fn stream(&self, mut conn: Conn, clock: fn() -> Millis) -> End {
        let now = clock();
        let mut session = Session::for_primary(self.server.clone(), now);
        self.set_state(LinkState::Connected, now);
        if let Some(primary) = self.server.replication().primary_of(self.generation) {
            primary.down_since = 0;
        }
        tracing::info!(
            "MASTER <-> REPLICA sync: the link with {}:{} is up",
            self.host,
            self.port
        );
        let timeout_ms = self.server.config().get_int("repl-timeout").max(1) as u64 * 1000;
        let mut input = std::mem::take(&mut conn.buf);
        let mut out = BytesMut::new();
        let mut last_read = now;
        let mut last_ack = 0;
        if let Err(error) = conn.link.set_timeout(POLL) {
            return End::from(error);
        }
        loop {
            if !self.current() {
                return End::Superseded;
            }
            let now = clock();
            // Only whole commands go to the session, so the offset acknowledged is always
            // that of commands applied (or left with the session, as one a script holds
            // back, which the session runs next time).
            let complete = match complete_commands(&input) {
                Ok(complete) => complete,
                Err(why) => return End::Failed(format!("bad data from the master: {why}")),
            };
            let mut batch = input.split_to(complete);
            if complete > 0 {
                // Fed on to this server's own replicas as the session applies them.
                let mut data = self.server.keyspace();
                if data.repl.active() {
                    data.repl.proxy_pending.extend_from_slice(&batch);
                }
            }
            let status = session.handle(&mut batch, now, &mut out);
            {
                // A batch that never took the data (PING, REPLCONF) changed nothing: what it
                // applied goes on now.
                let mut data = self.server.keyspace();
                if !data.repl.proxy_pending.is_empty() {
                    data.repl.feed_proxied();
                }
            }
            let applied = (complete - batch.len()) as u64;
            batch.unsplit(std::mem::take(&mut input));
            input = batch;
            out.clear();
            self.server.replication().offset += applied;
            if status == Status::Close {
                return End::Failed("the master's stream could not be applied".into());
            }
            let ack = {
                let mut replication = self.server.replication();
                let offset = replication.offset;
                let primary = replication.primary_of(self.generation);
                let asked = primary.is_some_and(|p| std::mem::take(&mut p.ack_requested));
                (asked || now.saturating_sub(last_ack) >= ACK_EVERY_MS).then_some(offset)
            };
            if let Some(offset) = ack {
                if let Err(error) = conn.send(&["REPLCONF", "ACK", &offset.to_string()]) {
                    return End::from(error);
                }
                last_ack = now;
            }
            match conn.link.read(&mut conn.scratch) {
                Ok(0) => return End::Failed("Connection with master lost.".into()),
                Ok(n) => {
                    input.extend_from_slice(&conn.scratch[..n]);
                    last_read = now;
                    if let Some(primary) = self.server.replication().primary_of(self.generation) {
                        primary.last_io = now;
                    }
                }
                Err(error) if is_timeout(&error) => {
                    if now.saturating_sub(last_read) > timeout_ms {
                        return End::Failed("MASTER timeout: no data nor PING received...".into());
                    }
                }
                Err(error) => return End::from(error),
            }
        }
    }
}

/// How many bytes at the start of `input` are whole commands.
fn complete_commands(input: &[u8]) -> Result<usize, &'static str> {
    let mut at = 0;
    while at < input.len() {
        match parse_record(input, at) {
            Parsed::Record { end, .. } => at = end,
            Parsed::Incomplete => break,
            Parsed::Invalid { reason, .. } => return Err(reason),
        }
    }
    Ok(at)
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// The connection to the primary, with what was read and not yet used.
struct Conn {
    link: Box<dyn Link>,
    buf: BytesMut,
    scratch: Vec<u8>,
}

impl Conn {
    fn new(mut link: Box<dyn Link>, timeout: Duration) -> Conn {
        let _ = link.set_timeout(timeout);
        Conn {
            link,
            buf: BytesMut::new(),
            scratch: vec![0; CHUNK],
        }
    }

    /// Sends one command.
    fn send(&mut self, args: &[&str]) -> io::Result<()> {
        let mut out = BytesMut::new();
        radish_resp::encode_request(args, &mut out);
        self.link.write_all(&out)?;
        self.link.flush()
    }

    /// Reads up to `max` bytes: what is buffered first, else one read.
    fn read_some(&mut self, max: usize) -> io::Result<Vec<u8>> {
        if !self.buf.is_empty() {
            let n = self.buf.len().min(max);
            return Ok(self.buf.split_to(n).to_vec());
        }
        let n = self.link.read(&mut self.scratch[..max.min(CHUNK)])?;
        Ok(self.scratch[..n].to_vec())
    }

    /// One reply line, without its line ending.
    fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let line = self.buf.split_to(end + 1);
                let text = String::from_utf8_lossy(&line[..end]);
                return Ok(text.trim_end_matches('\r').to_string());
            }
            let n = self.link.read(&mut self.scratch)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the master closed the connection",
                ));
            }
            self.buf.extend_from_slice(&self.scratch[..n]);
        }
    }

    /// One reply line, past the empty lines a primary sends to keep the link alive while
    /// it prepares the transfer.
    fn line_skipping_keepalives(&mut self) -> io::Result<String> {
        loop {
            let line = self.line()?;
            if !line.is_empty() {
                return Ok(line);
            }
        }
    }
}
