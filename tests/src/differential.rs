//! Differential testing: the same commands sent to two servers (Radish and a real
//! `redis-server`, or two real ones to check the corpus itself), replies compared byte for byte.
//!
//! # Corpus format
//!
//! A corpus is a directory of `<family>.txt` files (this crate's `corpus/`, see
//! [`corpus_dir`]). Each file is one session:
//!
//! - The runner opens one fresh connection to each server and sends `FLUSHALL` on it (this is
//!   not in the file). The connection starts in RESP2 and DB 0. A `HELLO 3` line in the file
//!   switches it to RESP3 like any other command; the runner needs no protocol state, since
//!   its decoder reads RESP2 and RESP3 alike.
//! - One command per line, in redis-cli syntax as split by [`radish_resp::split_inline`]
//!   (Redis's `sdssplitargs`): arguments separated by spaces; `"double quotes"` take
//!   `\n \r \t \b \a \\ \"` and `\xHH`; `'single quotes'` take only `\'`. Commands are sent as
//!   RESP arrays of bulk strings, so any byte can be sent.
//! - Lines whose first non-blank character is `#` are comments; blank lines are ignored.
//! - A line prefixed with `~ ` has a nondeterministic reply (`TIME`, `CLIENT ID`, `HELLO`'s
//!   `id`, a `SCAN` page...): only its *shape* is compared, see [`shape`].
//! - A line prefixed with `sorted ` has a reply whose aggregates are unordered (`KEYS`, a
//!   complete `SCAN`...): every array, set, map and push in it, at any depth, has its elements
//!   (for maps, its key-value pairs) sorted by their raw bytes before the replies are
//!   compared byte for byte. See [`sorted`].
//! - Any other line is compared byte for byte.
//!
//! For every line the runner sends the command to both servers and reads exactly one reply
//! frame from each (5 s read timeout). After `QUIT` both servers close the connection, so the
//! runner reconnects both (without `FLUSHALL`; the new connections are RESP2 in DB 0) before
//! the next line; it does the same when both close the connection after any other command.
//! If only one closes it, or a read times out, or a server sends bytes that are not RESP, the
//! runner records a [`Mismatch`] and skips the rest of that file, since the two sessions can no
//! longer be kept in step.
//!
//! ```no_run
//! # use std::net::SocketAddr;
//! # let (radish, redis): (SocketAddr, SocketAddr) = todo!();
//! let mismatches = radish_tests::differential::run_corpus_dir(
//!     &radish_tests::differential::corpus_dir(), redis, radish).unwrap();
//! for m in &mismatches {
//!     eprintln!("{m}");
//! }
//! assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
//! ```

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use radish_resp::{encode_request, split_inline, Decoder};

/// How long to wait for a reply before declaring the server stuck.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest escaped reply printed in a [`Mismatch`].
const MAX_SHOWN: usize = 4000;

/// How a line's two replies are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Byte for byte.
    Exact,
    /// Only the shape (`~ ` prefix), see [`shape`].
    Shape,
    /// Byte for byte after sorting every aggregate (`sorted ` prefix), see [`sorted`].
    Sorted,
}

/// One command of a corpus file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line number in the file.
    pub line: usize,
    /// How its replies are compared.
    pub mode: Mode,
    /// The command and its arguments, as sent.
    pub args: Vec<Bytes>,
    /// The command text as written, without its prefix.
    pub text: String,
}

impl Entry {
    /// True if this is `QUIT`, after which servers close the connection.
    pub fn is_quit(&self) -> bool {
        self.args
            .first()
            .is_some_and(|name| name.eq_ignore_ascii_case(b"quit"))
    }
}

/// A corpus line that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses one line: `Ok(None)` for blank lines and comments.
pub fn parse_line(line: &str) -> Result<Option<(Mode, Vec<Bytes>, String)>, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let trimmed = line.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let (mode, command) = if let Some(rest) = trimmed.strip_prefix("~ ") {
        (Mode::Shape, rest)
    } else if let Some(rest) = trimmed.strip_prefix("sorted ") {
        (Mode::Sorted, rest)
    } else {
        (Mode::Exact, trimmed)
    };
    let args = split_inline(&Bytes::copy_from_slice(command.as_bytes()))
        .map_err(|err| format!("{err}: {command}"))?;
    if args.is_empty() {
        return Err(format!("no command after the prefix: {line}"));
    }
    Ok(Some((mode, args, command.to_string())))
}

/// Parses a whole corpus file.
pub fn parse_corpus(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        match parse_line(line) {
            Ok(None) => {}
            Ok(Some((mode, args, text))) => entries.push(Entry {
                line: number,
                mode,
                args,
                text,
            }),
            Err(message) => {
                return Err(ParseError {
                    line: number,
                    message,
                })
            }
        }
    }
    Ok(entries)
}

/// What one server answered to one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// One whole frame, its raw bytes.
    Frame(Bytes),
    /// The server closed the connection before a whole frame arrived.
    Closed,
    /// The read timed out or failed, or the bytes are not RESP.
    Failed(String),
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reply::Frame(raw) => f.write_str(&escape(raw)),
            Reply::Closed => f.write_str("<connection closed>"),
            Reply::Failed(why) => write!(f, "<{why}>"),
        }
    }
}

/// Two servers answered one corpus line differently.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The corpus file.
    pub file: PathBuf,
    /// 1-based line number in it.
    pub line: usize,
    /// The command as written.
    pub command: String,
    /// How the replies were compared.
    pub mode: Mode,
    /// The first server's reply.
    pub a: Reply,
    /// The second server's reply.
    pub b: Reply,
    /// What was compared when it was not the raw bytes (shapes or sorted replies, a then b),
    /// and a note when the rest of the file was skipped.
    pub note: Option<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.mode {
            Mode::Exact => "",
            Mode::Shape => "~ ",
            Mode::Sorted => "sorted ",
        };
        writeln!(
            f,
            "{}:{}: {mode}{}",
            self.file.display(),
            self.line,
            self.command
        )?;
        writeln!(f, "    a: {}", self.a)?;
        write!(f, "    b: {}", self.b)?;
        if let Some(note) = &self.note {
            write!(f, "\n    {note}")?;
        }
        Ok(())
    }
}

/// This crate's corpus directory.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Runs every `*.txt` file of `dir`, in name order, against `a` and `b`.
pub fn run_corpus_dir(dir: &Path, a: SocketAddr, b: SocketAddr) -> io::Result<Vec<Mismatch>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "txt") {
            files.push(path);
        }
    }
    files.sort();
    let mut mismatches = Vec::new();
    for file in files {
        mismatches.extend(run_corpus_file(&file, a, b)?);
    }
    Ok(mismatches)
}

/// Runs one corpus file against `a` and `b`, each on one fresh connection after `FLUSHALL`.
///
/// Errors are for the corpus and the setup: a file that cannot be read or parsed, a server
/// that cannot be reached or does not answer `FLUSHALL` with `+OK`. What servers answer to the
/// file's commands, including closing the connection, is reported as mismatches.
pub fn run_corpus_file(path: &Path, a: SocketAddr, b: SocketAddr) -> io::Result<Vec<Mismatch>> {
    let text = fs::read_to_string(path)?;
    let entries = parse_corpus(&text).map_err(|err| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {err}", path.display()),
        )
    })?;
    let mut left = Connection::open(a)?;
    let mut right = Connection::open(b)?;
    for conn in [&mut left, &mut right] {
        let reply = conn.call(&[Bytes::from_static(b"FLUSHALL")]);
        if reply != Reply::Frame(Bytes::from_static(b"+OK\r\n")) {
            return Err(io::Error::other(format!(
                "{}: FLUSHALL on {} answered {reply}",
                path.display(),
                conn.addr
            )));
        }
    }
    let mut mismatches = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let ra = left.call(&entry.args);
        let rb = right.call(&entry.args);
        let both_closed = ra == Reply::Closed && rb == Reply::Closed;
        let broken = !both_closed && !matches!((&ra, &rb), (Reply::Frame(_), Reply::Frame(_)));
        let differs = compare(entry.mode, &ra, &rb);
        if differs.is_some() || broken {
            let mut note = differs.flatten();
            if broken {
                let skipped = entries.len() - index - 1;
                let skip = format!("the rest of the file ({skipped} commands) was skipped");
                note = Some(match note {
                    Some(note) => format!("{note}\n    {skip}"),
                    None => skip,
                });
            }
            mismatches.push(Mismatch {
                file: path.to_path_buf(),
                line: entry.line,
                command: entry.text.clone(),
                mode: entry.mode,
                a: ra,
                b: rb,
                note,
            });
        }
        if broken {
            break;
        }
        if entry.is_quit() || both_closed {
            left = Connection::open(a)?;
            right = Connection::open(b)?;
        }
    }
    Ok(mismatches)
}

/// Compares two replies under `mode`: `None` if they agree, else `Some(note)` where the note
/// shows what was compared when that was not the raw bytes.
pub fn compare(mode: Mode, a: &Reply, b: &Reply) -> Option<Option<String>> {
    let (Reply::Frame(x), Reply::Frame(y)) = (a, b) else {
        return (a != b).then_some(None);
    };
    match mode {
        Mode::Exact => (x != y).then_some(None),
        Mode::Shape => {
            let (sx, sy) = (shape(x), shape(y));
            (sx != sy).then(|| Some(format!("a shape: {sx}\n    b shape: {sy}")))
        }
        Mode::Sorted => {
            let (sx, sy) = (sorted(x), sorted(y));
            (sx != sy).then(|| {
                Some(format!(
                    "a sorted: {}\n    b sorted: {}",
                    escape(&sx),
                    escape(&sy)
                ))
            })
        }
    }
}

/// One connection to one server.
struct Connection {
    addr: SocketAddr,
    stream: TcpStream,
    decoder: Decoder,
    /// What the decoder has not consumed yet.
    buf: BytesMut,
    /// The same bytes, kept whole so a frame's raw bytes can be taken after decoding it.
    raw: BytesMut,
}

impl Connection {
    fn open(addr: SocketAddr) -> io::Result<Connection> {
        let stream = TcpStream::connect_timeout(&addr, READ_TIMEOUT)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_write_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Connection {
            addr,
            stream,
            decoder: Decoder::new(),
            buf: BytesMut::new(),
            raw: BytesMut::new(),
        })
    }

    /// Sends one command and reads one reply.
    fn call(&mut self, args: &[Bytes]) -> Reply {
        let mut out = BytesMut::new();
        encode_request(args, &mut out);
        if let Err(err) = self.stream.write_all(&out) {
            return Reply::Failed(format!("write failed: {err}"));
        }
        self.read_frame()
    }

    fn read_frame(&mut self) -> Reply {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let before = self.buf.len();
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(_)) => {
                    let used = before - self.buf.len();
                    return Reply::Frame(self.raw.split_to(used).freeze());
                }
                Ok(None) => {}
                Err(err) => {
                    let _ = self.stream.shutdown(Shutdown::Both);
                    return Reply::Failed(format!("not RESP ({err}): {}", escape(&self.raw)));
                }
            }
            match self.stream.read(&mut chunk) {
                Ok(0) if self.raw.is_empty() => return Reply::Closed,
                Ok(0) => {
                    return Reply::Failed(format!(
                        "connection closed mid-frame after {}",
                        escape(&self.raw)
                    ))
                }
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    self.raw.extend_from_slice(&chunk[..n]);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    return Reply::Failed(format!(
                        "read failed ({err}) after {:?}",
                        escape(&self.raw)
                    ))
                }
            }
        }
    }
}

/// A raw frame split into its first line and, for a sized aggregate, its elements' raw bytes
/// (a map's keys and values alternate). `None` for a frame that is not an aggregate, or is a
/// null, streamed or attribute one.
fn children(raw: &[u8]) -> Option<(&[u8], Vec<&[u8]>)> {
    let kind = *raw.first()?;
    let per_element = match kind {
        b'*' | b'~' | b'>' => 1,
        b'%' => 2,
        _ => return None,
    };
    let header_end = raw.windows(2).position(|w| w == b"\r\n")? + 2;
    let count: usize = std::str::from_utf8(&raw[1..header_end - 2])
        .ok()?
        .parse()
        .ok()?;
    let mut rest = BytesMut::from(&raw[header_end..]);
    let mut at = header_end;
    let mut elements = Vec::with_capacity(count * per_element);
    for _ in 0..count * per_element {
        let before = rest.len();
        Decoder::new().decode(&mut rest).ok()??;
        let used = before - rest.len();
        elements.push(&raw[at..at + used]);
        at += used;
    }
    Some((&raw[..header_end], elements))
}

/// The type of a raw frame as compared by [`shape`]: its type byte, with nulls (`$-1`, `*-1`,
/// `_`) told apart from values.
fn type_tag(raw: &[u8]) -> String {
    match raw {
        [b'$' | b'*', b'-', b'1', b'\r', ..] => format!("{}-1", raw[0] as char),
        [kind, ..] => (*kind as char).to_string(),
        [] => "?".to_string(),
    }
}

/// A map key as shown in a shape: a bulk or simple string as its type byte and text (`$id`),
/// anything else escaped whole.
fn key_text(raw: &[u8]) -> String {
    let text = match raw.first() {
        Some(b'+') => raw.get(1..raw.len().saturating_sub(2)),
        Some(b'$') => raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .and_then(|end| raw.get(end + 2..raw.len().saturating_sub(2))),
        _ => None,
    };
    match text {
        Some(text) => format!("{}{}", raw[0] as char, escape(text)),
        None => escape(raw),
    }
}

/// The shape of a raw reply frame, for `~` lines whose content varies.
///
/// - Errors (`-` and `!`) are kept whole: error text is always deterministic.
/// - Nulls (`$-1`, `*-1`, `_`) are told apart from values.
/// - A top-level aggregate gives its type, element count and each element's type; for a map,
///   each key is kept whole (map keys are field names, like `HELLO`'s) and its value gives
///   its type. Nested aggregates give only their type, since a page of `SCAN` may hold any
///   number of keys.
/// - Any other frame gives its type byte only.
pub fn shape(raw: &[u8]) -> String {
    if matches!(raw.first(), Some(b'-' | b'!')) {
        return escape(raw);
    }
    let Some((header, elements)) = children(raw) else {
        return type_tag(raw);
    };
    let header = String::from_utf8_lossy(&header[..header.len() - 2]);
    let inner: Vec<String> = if raw[0] == b'%' {
        elements
            .chunks(2)
            .map(|pair| format!("{}={}", key_text(pair[0]), type_tag(pair[1])))
            .collect()
    } else {
        elements.iter().map(|e| type_tag(e)).collect()
    };
    format!("{header}[{}]", inner.join(" "))
}

/// A raw reply frame with every aggregate in it, at any depth, sorted: the elements of arrays,
/// sets and pushes, and the key-value pairs of maps, by their (sorted) raw bytes.
pub fn sorted(raw: &[u8]) -> Vec<u8> {
    let Some((header, elements)) = children(raw) else {
        return raw.to_vec();
    };
    let mut items: Vec<Vec<u8>> = if raw[0] == b'%' {
        elements
            .chunks(2)
            .map(|pair| [sorted(pair[0]), sorted(pair[1])].concat())
            .collect()
    } else {
        elements.iter().map(|e| sorted(e)).collect()
    };
    items.sort();
    let mut out = header.to_vec();
    for item in items {
        out.extend_from_slice(&item);
    }
    out
}

/// Printable ASCII as is, `\r`, `\n`, `\t`, `\\` and `"` escaped, other bytes as `\xHH`;
/// cut after [`MAX_SHOWN`] characters.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &byte in bytes {
        if out.len() >= MAX_SHOWN {
            out.push_str(&format!("... ({} bytes in all)", bytes.len()));
            break;
        }
        match byte {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(entry: &Entry) -> Vec<&[u8]> {
        entry.args.iter().map(|a| &a[..]).collect()
    }

    #[test]
    fn parses_modes_comments_and_quotes() {
        let text = "# a comment\n\n   \nPING\n~ CLIENT ID\nsorted KEYS *\n  # indented comment\n\
                    SET k \"a b\\x00\\n\"\r\nSET k 'it\\'s'\n~  TIME\nGET ~\nsortedKEYS\n";
        let entries = parse_corpus(text).unwrap();
        let got: Vec<(usize, Mode, Vec<&[u8]>)> =
            entries.iter().map(|e| (e.line, e.mode, args(e))).collect();
        let want: Vec<(usize, Mode, Vec<&[u8]>)> = vec![
            (4, Mode::Exact, vec![b"PING"]),
            (5, Mode::Shape, vec![b"CLIENT", b"ID"]),
            (6, Mode::Sorted, vec![b"KEYS", b"*"]),
            (8, Mode::Exact, vec![b"SET", b"k", b"a b\x00\n"]),
            (9, Mode::Exact, vec![b"SET", b"k", b"it's"]),
            (10, Mode::Shape, vec![b"TIME"]),
            (11, Mode::Exact, vec![b"GET", b"~"]),
            (12, Mode::Exact, vec![b"sortedKEYS"]),
        ];
        assert_eq!(got, want);
        assert_eq!(entries[1].text, "CLIENT ID");
        assert_eq!(entries[3].text, "SET k \"a b\\x00\\n\"");
    }

    #[test]
    fn recognises_quit() {
        let entries = parse_corpus("quit\nQUIT x\nQUITE\n").unwrap();
        let quits: Vec<bool> = entries.iter().map(Entry::is_quit).collect();
        assert_eq!(quits, [true, true, false]);
    }

    #[test]
    fn rejects_bad_lines() {
        let err = parse_corpus("PING\nSET k \"v\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("unbalanced"), "{err}");
        assert_eq!(parse_corpus("~ \n").unwrap_err().line, 1);
        assert!(parse_line("sorted \"\"a").is_err());
    }

    #[test]
    fn shapes() {
        assert_eq!(shape(b"+OK\r\n"), "+");
        assert_eq!(shape(b":12\r\n"), ":");
        assert_eq!(shape(b"$3\r\nabc\r\n"), "$");
        assert_eq!(shape(b"$-1\r\n"), "$-1");
        assert_eq!(shape(b"*-1\r\n"), "*-1");
        assert_eq!(shape(b"_\r\n"), "_");
        assert_eq!(shape(b"-ERR no\r\n"), "-ERR no\\r\\n");
        assert_eq!(
            shape(b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            "*2[$ *]"
        );
        assert_eq!(
            shape(b"*2\r\n$2\r\n17\r\n*1\r\n$1\r\nz\r\n"),
            shape(b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
        );
        assert_eq!(
            shape(b"%2\r\n$2\r\nid\r\n:7\r\n+mode\r\n_\r\n"),
            "%2[$id=: +mode=_]"
        );
        assert_ne!(shape(b"*1\r\n:1\r\n"), shape(b"*1\r\n$1\r\n1\r\n"));
        assert_ne!(shape(b"*1\r\n:1\r\n"), shape(b"*2\r\n:1\r\n:2\r\n"));
        assert_ne!(shape(b"-ERR a\r\n"), shape(b"-ERR b\r\n"));
    }

    #[test]
    fn sorts_nested_aggregates() {
        let a = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n";
        let b = b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n";
        assert_eq!(sorted(a), sorted(b));
        assert_ne!(
            sorted(a),
            sorted(b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n")
        );
        let m1 = b"%2\r\n+x\r\n:1\r\n+y\r\n:2\r\n";
        let m2 = b"%2\r\n+y\r\n:2\r\n+x\r\n:1\r\n";
        let m3 = b"%2\r\n+y\r\n:1\r\n+x\r\n:2\r\n";
        assert_eq!(sorted(m1), sorted(m2));
        assert_ne!(sorted(m1), sorted(m3));
        // Sorting never changes the bytes of leaves, so nulls stay distinct.
        assert_ne!(sorted(b"*1\r\n$-1\r\n"), sorted(b"*1\r\n_\r\n"));
        assert_eq!(sorted(b"$-1\r\n"), b"$-1\r\n");
    }

    #[test]
    fn compares_by_mode() {
        let frame = |raw: &'static [u8]| Reply::Frame(Bytes::from_static(raw));
        assert_eq!(
            compare(Mode::Exact, &frame(b":1\r\n"), &frame(b":1\r\n")),
            None
        );
        assert_eq!(
            compare(Mode::Exact, &frame(b":1\r\n"), &frame(b":2\r\n")),
            Some(None)
        );
        assert_eq!(
            compare(Mode::Shape, &frame(b":1\r\n"), &frame(b":2\r\n")),
            None
        );
        assert!(compare(Mode::Shape, &frame(b":1\r\n"), &frame(b"$1\r\n1\r\n")).is_some());
        assert_eq!(
            compare(
                Mode::Sorted,
                &frame(b"*2\r\n+a\r\n+b\r\n"),
                &frame(b"*2\r\n+b\r\n+a\r\n")
            ),
            None
        );
        assert!(compare(Mode::Exact, &Reply::Closed, &frame(b"+OK\r\n")).is_some());
        assert_eq!(compare(Mode::Shape, &Reply::Closed, &Reply::Closed), None);
    }

    #[test]
    fn escapes_and_displays() {
        assert_eq!(escape(b"+OK\r\n\x00\"\\"), "+OK\\r\\n\\x00\\\"\\\\");
        let m = Mismatch {
            file: PathBuf::from("corpus/strings.txt"),
            line: 7,
            command: "GET k".to_string(),
            mode: Mode::Exact,
            a: Reply::Frame(Bytes::from_static(b"$-1\r\n")),
            b: Reply::Closed,
            note: None,
        };
        assert_eq!(
            m.to_string(),
            "corpus/strings.txt:7: GET k\n    a: $-1\\r\\n\n    b: <connection closed>"
        );
    }

    #[test]
    fn corpus_files_parse() {
        let mut count = 0;
        for entry in fs::read_dir(corpus_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "txt") {
                let text = fs::read_to_string(&path).unwrap();
                let entries =
                    parse_corpus(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
                assert!(!entries.is_empty(), "{}", path.display());
                count += 1;
            }
        }
        assert!(
            count >= 3,
            "expected the corpus files in {:?}",
            corpus_dir()
        );
    }
}
