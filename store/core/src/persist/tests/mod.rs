//! Persistence through sessions, with explicit time: what the log records, that replaying it
//! (or loading a snapshot) gives back the same data, how damaged files are handled, and the
//! background jobs.

mod damage;
mod functions;
mod jobs;
mod log;
mod multipart;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::BytesMut;
use radish_data::types::stream::StreamId;
use radish_data::Millis;
use radish_data::Value;

use crate::server::Server;
use crate::session::{Session, Status};
use crate::state::config::Config;

pub(super) const T0: Millis = 1_700_000_000_000;

/// A fresh directory under the system's temporary directory, removed when dropped.
pub(super) struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(super) fn temp_dir(name: &str) -> TempDir {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("radish-persist-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

pub(super) fn config(dir: &Path, directives: &[&str]) -> Config {
    let mut config = Config::default();
    let text = format!(
        "dir \"{}\"\nsave \"\"\n{}",
        dir.display(),
        directives.join("\n")
    );
    config.apply_text(&text).expect("valid directives");
    config
}

pub(super) fn resp(args: &[&str]) -> Vec<u8> {
    let mut out = BytesMut::new();
    radish_resp::encode_request(args, &mut out);
    out.to_vec()
}

/// Runs one command on `session` at `now`; returns the reply as text.
pub(super) fn run(session: &mut Session, now: Millis, args: &[&str]) -> String {
    let mut input = BytesMut::from(&resp(args)[..]);
    let mut out = BytesMut::new();
    let status = session.handle(&mut input, now, &mut out);
    assert_eq!(status, Status::Open, "{args:?}");
    String::from_utf8_lossy(&out).into_owned()
}

/// Every key of every database in a canonical text form (type, contents, deadline).
pub(super) fn dump(server: &Server, now: Millis) -> BTreeMap<(usize, Vec<u8>), String> {
    let data = server.keyspace();
    let mut all = BTreeMap::new();
    for (index, db) in data.dbs().iter().enumerate() {
        for key in db.keys(now) {
            let entry = db.peek(key).expect("listed key");
            let text = match &entry.value {
                Value::String(s) => format!("string {:?}", s.bytes.as_slice()),
                Value::List(l) => format!(
                    "list {:?}",
                    l.iter().map(|e| e.to_vec()).collect::<Vec<_>>()
                ),
                Value::Hash(h) => {
                    let mut fields: Vec<_> =
                        h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
                    fields.sort();
                    format!("hash {fields:?}")
                }
                Value::Set(s) => {
                    let mut members: Vec<_> = s.iter().map(|m| m.as_bytes().to_vec()).collect();
                    members.sort();
                    format!("set {members:?}")
                }
                Value::SortedSet(z) => format!(
                    "zset {:?}",
                    z.iter().map(|(m, s)| (m.to_vec(), s)).collect::<Vec<_>>()
                ),
                Value::Stream(x) => format!(
                    "stream {:?} last {} deleted {} added {} groups {:?}",
                    x.range(StreamId::MIN, StreamId::MAX, false)
                        .map(|e| (e.id.to_string(), e.fields().collect::<Vec<_>>()))
                        .collect::<Vec<_>>(),
                    x.last_id(),
                    x.max_deleted_id(),
                    x.entries_added(),
                    // When consumers were last seen is not kept (as in Redis's log).
                    x.groups()
                        .map(|(name, g)| (
                            name.to_vec(),
                            g.last_id.to_string(),
                            g.entries_read,
                            g.pending()
                                .iter()
                                .map(|(id, p)| (
                                    id.to_string(),
                                    p.consumer.to_vec(),
                                    p.delivered_at,
                                    p.deliveries
                                ))
                                .collect::<Vec<_>>(),
                            g.consumers().map(|(c, _)| c.to_vec()).collect::<Vec<_>>()
                        ))
                        .collect::<Vec<_>>()
                ),
            };
            let ttl = db
                .deadline(key)
                .map_or(String::new(), |at| format!(" until {at}"));
            all.insert((index, key.to_vec()), text + &ttl);
        }
    }
    all
}

/// The append-only directory of a server whose `dir` is `dir`, with default names.
pub(super) fn aof_dir(dir: &Path) -> PathBuf {
    dir.join("appendonlydir")
}

/// The log's base file and its incremental files, as its manifest lists them.
pub(super) fn log_files(dir: &Path) -> (Option<PathBuf>, Vec<PathBuf>) {
    let at = aof_dir(dir);
    let text = std::fs::read(at.join("appendonly.aof.manifest")).expect("the manifest");
    let manifest = crate::persist::aof::manifest::Manifest::parse(&text).expect("a manifest");
    let base = manifest.base.as_ref().map(|file| file.path(&at));
    let incrs = manifest.incrs.iter().map(|file| file.path(&at)).collect();
    (base, incrs)
}

/// The size of the log's base and incremental files.
pub(super) fn log_size(dir: &Path) -> u64 {
    let (base, incrs) = log_files(dir);
    base.iter()
        .chain(&incrs)
        .map(|path| path.metadata().expect("a log file").len())
        .sum()
}

/// The incremental file written to now.
pub(super) fn incr_path(dir: &Path) -> PathBuf {
    log_files(dir).1.pop().expect("an incremental file")
}

/// The commands of the log after its base (its incremental files), one per line.
pub(super) fn log_text(dir: &Path) -> String {
    let mut text = String::new();
    for path in log_files(dir).1 {
        let bytes = std::fs::read(path).expect("the log");
        let mut at = 0;
        while at < bytes.len() {
            let radish_data::snapshot::format::Parsed::Record { args, end } =
                radish_data::snapshot::format::parse_record(&bytes, at)
            else {
                panic!("bad record at {at}");
            };
            let words: Vec<String> = args
                .iter()
                .map(|r| String::from_utf8_lossy(&bytes[r.clone()]).into_owned())
                .collect();
            text.push_str(&words.join(" "));
            text.push('\n');
            at = end;
        }
    }
    text
}

/// Closes `server` (and `session`), opens `dir` again with `directives`, and checks that
/// the data is what it was.
pub(super) fn assert_reopens_the_same(
    server: Arc<Server>,
    session: Session,
    dir: &Path,
    directives: &[&str],
) {
    let expected = dump(&server, T0);
    drop(session);
    server.close(T0).expect("closes");
    let (reloaded, _session) = open(dir, directives, T0);
    assert_eq!(dump(&reloaded, T0), expected);
}

pub(super) fn open(dir: &Path, directives: &[&str], now: Millis) -> (Arc<Server>, Session) {
    let server = Arc::new(Server::open(config(dir, directives), now).expect("loads"));
    let session = Session::new(server.clone(), None, None, now);
    (server, session)
}
