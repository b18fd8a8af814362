//! This server's place in replication, as Redis 7.0 keeps it: its replication IDs and offset
//! (PSYNC2's history), and, on a replica, the primary it follows and how the link to it
//! stands. The link itself runs elsewhere (`replica.rs`); commands (REPLICAOF, ROLE, INFO)
//! read and change this.

use radish_data::rng::Rng;
use radish_data::Millis;

/// How the link to the primary stands (Redis's `repl_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// To be connected.
    Connect,
    /// Connecting.
    Connecting,
    /// Connected, exchanging the handshake (PING, AUTH, REPLCONF, PSYNC).
    Handshake,
    /// Receiving the primary's data for a full resynchronisation.
    Transfer,
    /// Following the primary's stream of writes.
    Connected,
}

impl LinkState {
    /// The name ROLE gives it.
    pub fn role_name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Transfer => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// The primary this server replicates.
#[derive(Debug, Clone)]
pub struct Primary {
    /// Its host, as REPLICAOF named it.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Changes with every REPLICAOF: a link of an older generation stops.
    pub generation: u64,
    /// How the link stands.
    pub state: LinkState,
    /// When the link last read from the primary.
    pub last_io: Millis,
    /// When the link went down, or 0 if it never came up.
    pub down_since: Millis,
    /// While a transfer runs: its size (0 while unknown, for an EOF-marked one) and the
    /// bytes read so far.
    pub transfer_size: u64,
    /// Bytes of the transfer read so far.
    pub transfer_read: u64,
    /// When the transfer last read something.
    pub transfer_last_io: Millis,
    /// A link thread is running for this generation.
    pub link_running: bool,
    /// The primary asked for an acknowledgement (REPLCONF GETACK).
    pub ack_requested: bool,
}

/// Replication IDs and offsets, and the primary followed, if any.
#[derive(Debug)]
pub struct Replication {
    /// The ID of the history this server's data follows (Redis's `replid`).
    pub replid: String,
    /// The previous history's ID (after a promotion), valid up to `second_offset`.
    pub replid2: String,
    /// The offset up to which `replid2` is valid, or -1.
    pub second_offset: i64,
    /// How far the replication stream has come: on a replica, what it applied of its
    /// primary's.
    pub offset: u64,
    /// The primary followed; `None` on a primary.
    pub primary: Option<Primary>,
    /// What a link can resume from after it dropped: the ID and offset PSYNC asks for.
    pub cached: Option<(String, u64)>,
    generations: u64,
    rng: Rng,
}

/// The ID Redis shows where there is none.
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

impl Replication {
    /// A primary with a fresh random replication ID.
    pub fn new() -> Replication {
        let mut rng = Rng::from_entropy();
        let replid = random_id(&mut rng);
        Replication {
            replid,
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
            offset: 0,
            primary: None,
            cached: None,
            generations: 0,
            rng,
        }
    }

    /// REPLICAOF `host` `port`: follows a new primary. A primary becoming a replica keeps
    /// its own history to PSYNC from (Redis's `replicationCacheMasterUsingMyself`), so a
    /// demoted primary resumes from its new primary without a full copy where it can.
    pub fn follow(&mut self, host: &str, port: u16, now: Millis) {
        if self.primary.is_none() {
            self.cached = Some((self.replid.clone(), self.offset));
        }
        self.generations += 1;
        self.primary = Some(Primary {
            host: host.to_string(),
            port,
            generation: self.generations,
            state: LinkState::Connect,
            last_io: now,
            down_since: 0,
            transfer_size: 0,
            transfer_read: 0,
            transfer_last_io: now,
            link_running: false,
            ack_requested: false,
        });
    }

    /// REPLICAOF NO ONE: becomes a primary. The history followed so far becomes the
    /// secondary ID up to this offset, and a new one starts (Redis's `shiftReplicationId`),
    /// so replicas of the old primary can PSYNC from this one.
    pub fn promote(&mut self) {
        if self.primary.take().is_none() {
            return;
        }
        self.cached = None;
        self.replid2 = std::mem::replace(&mut self.replid, random_id(&mut self.rng));
        self.second_offset = self.offset as i64 + 1;
    }

    /// The primary of link `generation`, if it is still the one followed.
    pub fn primary_of(&mut self, generation: u64) -> Option<&mut Primary> {
        self.primary
            .as_mut()
            .filter(|primary| primary.generation == generation)
    }

    /// The first replica connects to this primary: its stream starts a history of its own
    /// from `offset` (Redis's changeReplicationId and clearReplicationId2 as it creates the
    /// backlog).
    pub fn new_history(&mut self, offset: u64) {
        self.replid = random_id(&mut self.rng);
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
        self.offset = offset;
    }

    /// After a full resynchronisation: the primary's history, from `offset`.
    pub fn synced(&mut self, replid: &str, offset: u64) {
        self.replid = replid.to_string();
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
        self.offset = offset;
    }

    /// After PSYNC continued on a new ID: the old one is valid up to here, as on the primary.
    pub fn switched(&mut self, replid: &str) {
        if replid != self.replid {
            self.replid2 = std::mem::replace(&mut self.replid, replid.to_string());
            self.second_offset = self.offset as i64 + 1;
        }
    }
}

impl Default for Replication {
    fn default() -> Self {
        Replication::new()
    }
}

/// 40 random hex digits.
fn random_id(rng: &mut Rng) -> String {
    (0..5)
        .map(|_| format!("{:08x}", rng.next_u64() as u32))
        .collect()
}
