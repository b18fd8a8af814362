//! RDB files: what surrounds the values ([`object`](super::object)) in a `dump.rdb`, in the
//! RDB preamble of an append-only log, and in a full resynchronisation, as Redis 7.0 writes
//! and reads them:
//!
//! ```text
//! REDIS0010                                    magic and version (4 decimal digits)
//! AUX <name> <value> ...                       redis-ver, redis-bits, ctime, used-mem, aof-base...
//! FUNCTION2 <library code> ...                 the function libraries
//! SELECTDB <db> RESIZEDB <keys> <volatile>     before the keys of each database
//! [EXPIRETIME_MS <8 bytes>] [IDLE <len> | FREQ <byte>] <type> <key> <value>   each key
//! EOF <CRC-64 of everything before, 8 bytes little-endian; 0 when not computed>
//! ```
//!
//! The reader takes any `Read` and keeps only a window of it in memory, so a file or a
//! replication stream of any size loads in constant space beyond the data itself. Each item
//! is parsed from the window; one that does not fit is parsed again once more has been read,
//! and only at the end of the input is a failure corruption, reported with its offset.

use std::io::{self, Read};

use super::crc64::crc64;
use super::object::{object_type, read_object_of, write_object_body, ReadError};
use super::string::{read_plain_length, read_string, write_length, write_string};
use super::RDB_OPCODE_FUNCTION2;
use crate::access::{lfu_counter, lru_idle_ms};
use crate::entry::Entry;
use crate::time::Millis;
use crate::types::EncodingLimits;
use crate::value::Value;

/// The first bytes of every RDB file.
pub const MAGIC: &[u8] = b"REDIS";
/// The newest file version read: Redis 7.2's, whose types beyond 7.0's are a set listpack
/// and a stream recording its consumers' active times.
pub const NEWEST_READ_VERSION: u16 = 11;

/// Old function format of Redis 7.0's release candidates.
const OPCODE_FUNCTION_PRE_GA: u8 = 246;
/// A module's auxiliary data.
const OPCODE_MODULE_AUX: u8 = 247;
/// The next key's LRU idle time in seconds.
const OPCODE_IDLE: u8 = 248;
/// The next key's LFU counter.
const OPCODE_FREQ: u8 = 249;
/// An auxiliary field: a name and a value.
const OPCODE_AUX: u8 = 250;
/// The sizes of the database that follows.
const OPCODE_RESIZEDB: u8 = 251;
/// The next key's deadline in Unix milliseconds.
const OPCODE_EXPIRETIME_MS: u8 = 252;
/// The next key's deadline in Unix seconds (old files).
const OPCODE_EXPIRETIME: u8 = 253;
/// The database the keys that follow belong to.
const OPCODE_SELECTDB: u8 = 254;
/// The end of the data; the checksum follows.
const OPCODE_EOF: u8 = 255;

/// What a saved key carries of its access record: Redis saves the idle time under an LRU
/// `maxmemory-policy`, the counter under an LFU one, and nothing otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedAccess {
    /// Neither.
    Nothing,
    /// Seconds since the last access.
    IdleTime,
    /// The LFU counter, decayed by `lfu-decay-time` minutes per step.
    Frequency {
        /// `lfu-decay-time`.
        decay_time: u32,
    },
}

/// How keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Where lists are cut into nodes, as Redis would cut them.
    pub limits: EncodingLimits,
    /// `rdbcompression`: LZF-compress strings where it pays.
    pub compress: bool,
    /// What is saved of each key's access record.
    pub access: SavedAccess,
    /// The moment idle times are counted to.
    pub now: Millis,
}

/// Appends the magic and Redis 7.0's version, `REDIS0010`.
pub fn write_header(out: &mut Vec<u8>) {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(format!("{:04}", super::RDB_VERSION).as_bytes());
}

/// Appends an auxiliary field.
pub fn write_aux(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.push(OPCODE_AUX);
    write_string(out, name, false);
    write_string(out, value, false);
}

/// Appends a function library's code.
pub fn write_function(out: &mut Vec<u8>, code: &[u8]) {
    out.push(RDB_OPCODE_FUNCTION2);
    write_string(out, code, false);
}

/// Appends the switch to database `index`.
pub fn write_select_db(out: &mut Vec<u8>, index: usize) {
    out.push(OPCODE_SELECTDB);
    write_length(out, index as u64);
}

/// Appends the sizes of the database selected: a hint a loader sizes its tables by.
pub fn write_resize_db(out: &mut Vec<u8>, keys: usize, volatile: usize) {
    out.push(OPCODE_RESIZEDB);
    write_length(out, keys as u64);
    write_length(out, volatile as u64);
}

/// Appends one key as Redis's `rdbSaveKeyValuePair`: its deadline, its access record as
/// `options` say, then its value.
pub fn write_key(
    out: &mut Vec<u8>,
    key: &[u8],
    entry: &Entry,
    deadline: Option<Millis>,
    options: &WriteOptions,
) {
    if let Some(deadline) = deadline {
        out.push(OPCODE_EXPIRETIME_MS);
        out.extend_from_slice(&deadline.to_le_bytes());
    }
    match options.access {
        SavedAccess::Nothing => {}
        SavedAccess::IdleTime => {
            out.push(OPCODE_IDLE);
            write_length(out, lru_idle_ms(entry.accessed, options.now) / 1000);
        }
        SavedAccess::Frequency { decay_time } => {
            out.push(OPCODE_FREQ);
            out.push(lfu_counter(entry.accessed, options.now, decay_time));
        }
    }
    out.push(object_type(&entry.value));
    write_string(out, key, options.compress);
    write_object_body(out, &entry.value, &options.limits, options.compress);
}

/// Appends the end marker. The file's checksum follows it: see [`checksum_trailer`].
pub fn write_end(out: &mut Vec<u8>) {
    out.push(OPCODE_EOF);
}

/// The 8 bytes after the end marker: `crc` (the CRC-64 of everything before them), or zeros
/// with `rdbchecksum no`, which tells a loader not to check.
pub fn checksum_trailer(crc: Option<u64>) -> [u8; 8] {
    crc.unwrap_or(0).to_le_bytes()
}

/// One thing read from an RDB file.
#[derive(Debug)]
pub enum Item {
    /// An auxiliary field.
    Aux {
        /// Its name (`redis-ver`, `ctime`, `repl-id`...).
        name: Vec<u8>,
        /// Its value.
        value: Vec<u8>,
    },
    /// A function library's code.
    Function(Vec<u8>),
    /// The keys that follow belong to this database.
    SelectDb(u64),
    /// A key.
    Key(LoadedKey),
    /// The end, its checksum checked.
    End,
}

/// A key read from a file.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key.
    pub key: Vec<u8>,
    /// Its value; `None` for an aggregate with nothing in it, which Redis skips.
    pub value: Option<Value>,
    /// Its deadline, if it has one.
    pub expires_at: Option<Millis>,
    /// Seconds since its last access, if saved.
    pub idle_seconds: Option<u64>,
    /// Its LFU counter, if saved.
    pub frequency: Option<u8>,
}

/// Why a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The offset in the input of the item that could not be read.
    pub offset: u64,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    fn at(offset: u64, message: impl Into<String>) -> FileError {
        FileError {
            offset,
            message: message.into(),
        }
    }
}

/// Why an item could not be parsed from the window.
enum Fail {
    /// It may only be cut short: read more and try again (at the end: corruption).
    Short,
    /// It is wrong however much follows.
    Bad(String),
}

impl From<ReadError> for Fail {
    fn from(_: ReadError) -> Fail {
        Fail::Short
    }
}

fn short<T>(option: Option<T>) -> Result<T, Fail> {
    option.ok_or(Fail::Short)
}

/// Bytes read from the input at a time, at least.
const READ_CHUNK: usize = 1 << 16;

/// Reads an RDB file item by item.
pub struct Reader<R> {
    source: R,
    /// The window: bytes read and not yet consumed start at `pos`.
    buf: Vec<u8>,
    pos: usize,
    /// Offset in the input of `buf[0]`.
    base: u64,
    /// The input has no more bytes.
    eof: bool,
    /// CRC-64 of every byte consumed.
    crc: u64,
    version: u16,
    limits: EncodingLimits,
    /// Check the trailing checksum (`rdbchecksum`).
    verify: bool,
    ended: bool,
}

impl<R: Read> Reader<R> {
    /// Starts reading `source`: checks the magic and version. Values are built with
    /// `limits`; `verify` checks the checksum at the end (unless the file says it has none).
    pub fn new(source: R, limits: EncodingLimits, verify: bool) -> Result<Reader<R>, FileError> {
        let mut reader = Reader {
            source,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            crc: 0,
            version: 0,
            limits,
            verify,
            ended: false,
        };
        while reader.buf.len() < 9 && !reader.eof {
            reader
                .fill(9)
                .map_err(|e| FileError::at(0, e.to_string()))?;
        }
        if reader.buf.len() < 9 || !reader.buf.starts_with(MAGIC) {
            return Err(FileError::at(
                0,
                "Wrong signature trying to load DB from file",
            ));
        }
        let version = std::str::from_utf8(&reader.buf[5..9])
            .ok()
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u16>().ok());
        match version {
            Some(version) if (1..=NEWEST_READ_VERSION).contains(&version) => {
                reader.version = version
            }
            _ => {
                return Err(FileError::at(
                    5,
                    format!(
                        "Can't handle RDB format version {}",
                        String::from_utf8_lossy(&reader.buf[5..9])
                    ),
                ))
            }
        }
        reader.crc = crc64(0, &reader.buf[..9]);
        reader.pos = 9;
        Ok(reader)
    }

    /// The file's format version.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The offset in the input of the next byte to be parsed.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The next item. After [`Item::End`], the input's remaining bytes are
    /// [`rest`](Reader::rest).
    pub fn next_item(&mut self) -> Result<Item, FileError> {
        if self.ended {
            return Err(FileError::at(
                self.offset(),
                "read past the end of the file",
            ));
        }
        loop {
            let start = self.pos;
            let mut at = start;
            match self.parse(&mut at) {
                Ok(Some(item)) => {
                    self.crc = crc64(self.crc, &self.buf[start..at]);
                    self.pos = at;
                    return Ok(item);
                }
                Ok(None) => {
                    // The end marker: the checksum follows in versions 5 and later.
                    self.crc = crc64(self.crc, &self.buf[start..at]);
                    self.pos = at;
                    self.ended = true;
                    if self.version >= 5 {
                        self.check_trailer()?;
                    }
                    return Ok(Item::End);
                }
                Err(Fail::Bad(message)) => return Err(FileError::at(self.offset(), message)),
                Err(Fail::Short) if self.eof => {
                    return Err(FileError::at(
                        self.offset(),
                        "Unexpected EOF or corrupt data reading the RDB file",
                    ))
                }
                Err(Fail::Short) => {
                    let want = (self.buf.len() - self.pos).max(READ_CHUNK) * 2;
                    self.fill(want)
                        .map_err(|e| FileError::at(self.offset(), e.to_string()))?;
                }
            }
        }
    }

    /// What follows the file in the input (the commands after an append-only log's
    /// preamble): the bytes read already, then the source.
    pub fn rest(mut self) -> (Vec<u8>, R) {
        self.buf.drain(..self.pos);
        (self.buf, self.source)
    }

    fn check_trailer(&mut self) -> Result<(), FileError> {
        while self.buf.len() - self.pos < 8 && !self.eof {
            self.fill(8)
                .map_err(|e| FileError::at(self.offset(), e.to_string()))?;
        }
        if self.buf.len() - self.pos < 8 {
            return Err(FileError::at(
                self.offset(),
                "Unexpected EOF reading the RDB file's checksum",
            ));
        }
        let mut stored = [0u8; 8];
        stored.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        let stored = u64::from_le_bytes(stored);
        if self.verify && stored != 0 && stored != self.crc {
            return Err(FileError::at(
                self.offset(),
                format!(
                    "Wrong RDB checksum expected: ({:x}) got: ({:x})",
                    self.crc, stored
                ),
            ));
        }
        self.pos += 8;
        Ok(())
    }

    /// Reads until the window holds `want` unparsed bytes or the input ends, dropping what
    /// was consumed.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        let target = want.max(READ_CHUNK);
        while self.buf.len() < target && !self.eof {
            let len = self.buf.len();
            self.buf.resize(target, 0);
            match self.source.read(&mut self.buf[len..]) {
                Ok(0) => {
                    self.buf.truncate(len);
                    self.eof = true;
                }
                Ok(n) => self.buf.truncate(len + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => self.buf.truncate(len),
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Parses one item at `at`; `None` for the end marker.
    fn parse(&self, at: &mut usize) -> Result<Option<Item>, Fail> {
        let input = &self.buf[..];
        let mut expires_at = None;
        let mut idle_seconds = None;
        let mut frequency = None;
        loop {
            let opcode = *short(input.get(*at))?;
            *at += 1;
            match opcode {
                OPCODE_EOF => return Ok(None),
                OPCODE_AUX => {
                    let name = short(read_string(input, at))?;
                    let value = short(read_string(input, at))?;
                    return Ok(Some(Item::Aux { name, value }));
                }
                RDB_OPCODE_FUNCTION2 => {
                    let code = short(read_string(input, at))?;
                    return Ok(Some(Item::Function(code)));
                }
                OPCODE_SELECTDB => {
                    let index = short(read_plain_length(input, at))?;
                    return Ok(Some(Item::SelectDb(index)));
                }
                OPCODE_RESIZEDB => {
                    // A hint only: the tables grow as keys arrive.
                    short(read_plain_length(input, at))?;
                    short(read_plain_length(input, at))?;
                }
                OPCODE_EXPIRETIME_MS => {
                    let bytes = short(input.get(*at..*at + 8))?;
                    *at += 8;
                    let ms = i64::from_le_bytes(bytes.try_into().expect("8 bytes"));
                    expires_at = Some(ms.max(0) as Millis);
                }
                OPCODE_EXPIRETIME => {
                    let bytes = short(input.get(*at..*at + 4))?;
                    *at += 4;
                    let seconds = i32::from_le_bytes(bytes.try_into().expect("4 bytes"));
                    expires_at = Some(i64::from(seconds).max(0) as Millis * 1000);
                }
                OPCODE_IDLE => idle_seconds = Some(short(read_plain_length(input, at))?),
                OPCODE_FREQ => {
                    frequency = Some(*short(input.get(*at))?);
                    *at += 1;
                }
                OPCODE_MODULE_AUX => {
                    return Err(Fail::Bad(
                        "The RDB file contains module AUX data, but radish has no modules".into(),
                    ))
                }
                OPCODE_FUNCTION_PRE_GA => {
                    return Err(Fail::Bad(
                        "The RDB file holds functions in the format of Redis 7.0's release \
                         candidates, which is not supported"
                            .into(),
                    ))
                }
                kind => {
                    if !self.loadable_type(kind) {
                        return Err(Fail::Bad(format!("Unknown RDB encoding type {kind}")));
                    }
                    let key = short(read_string(input, at))?;
                    let value = self.read_value(kind, input, at)?;
                    return Ok(Some(Item::Key(LoadedKey {
                        key,
                        value,
                        expires_at,
                        idle_seconds,
                        frequency,
                    })));
                }
            }
        }
    }

    fn loadable_type(&self, kind: u8) -> bool {
        use super::object::*;
        matches!(
            kind,
            TYPE_STRING
                | TYPE_LIST
                | TYPE_SET
                | TYPE_ZSET
                | TYPE_HASH
                | TYPE_ZSET_2
                | TYPE_LIST_ZIPLIST
                | TYPE_SET_INTSET
                | TYPE_ZSET_ZIPLIST
                | TYPE_HASH_ZIPLIST
                | TYPE_LIST_QUICKLIST
                | TYPE_STREAM_LISTPACKS
                | TYPE_HASH_LISTPACK
                | TYPE_ZSET_LISTPACK
                | TYPE_LIST_QUICKLIST_2
                | TYPE_STREAM_LISTPACKS_2
        ) || (self.version >= 11 && matches!(kind, TYPE_SET_LISTPACK | TYPE_STREAM_LISTPACKS_3))
    }

    fn read_value(&self, kind: u8, input: &[u8], at: &mut usize) -> Result<Option<Value>, Fail> {
        match read_object_of(kind, input, at, &self.limits, self.version >= 11) {
            Ok(value) => Ok(Some(value)),
            Err(ReadError::Empty) => Ok(None),
            Err(ReadError::Corrupt) => Err(Fail::Short),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rdb::hex;
    use crate::types::list::{End, List};

    const LIMITS: EncodingLimits = EncodingLimits::REDIS_DEFAULTS;

    /// Hands out its input a few bytes per read.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn options(access: SavedAccess) -> WriteOptions {
        WriteOptions {
            limits: LIMITS,
            compress: true,
            access,
            now: 10_000_000,
        }
    }

    /// A file of two databases: a string with a deadline, a list, a library.
    fn sample(access: SavedAccess) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(&mut out);
        write_aux(&mut out, b"redis-ver", b"7.0.15");
        write_function(&mut out, b"#!lua name=l\n");
        write_select_db(&mut out, 0);
        write_resize_db(&mut out, 1, 1);
        let string = Entry::new(Value::string(b"value"), 9_990);
        write_key(&mut out, b"s", &string, Some(123_456), &options(access));
        write_select_db(&mut out, 3);
        let mut list = List::default();
        for i in 0..1000 {
            list.push(format!("element {i}").as_bytes(), End::Right, &LIMITS);
        }
        let list = Entry::new(Value::List(list), 9_990);
        write_key(&mut out, b"l", &list, None, &options(access));
        write_end(&mut out);
        let crc = crc64(0, &out);
        out.extend_from_slice(&checksum_trailer(Some(crc)));
        out
    }

    fn items(input: &[u8], piece: usize) -> Result<Vec<String>, FileError> {
        let mut reader = Reader::new(Trickle(input, piece), LIMITS, true)?;
        let mut items = Vec::new();
        loop {
            let item = reader.next_item()?;
            let text = match &item {
                Item::Aux { name, value } => format!(
                    "aux {}={}",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(value)
                ),
                Item::Function(code) => format!("function {}", code.len()),
                Item::SelectDb(db) => format!("select {db}"),
                Item::Key(key) => format!(
                    "key {} {:?} {:?} {:?} {}",
                    String::from_utf8_lossy(&key.key),
                    key.expires_at,
                    key.idle_seconds,
                    key.frequency,
                    key.value.as_ref().map_or(0, |v| match v {
                        Value::List(list) => list.len(),
                        _ => 1,
                    })
                ),
                Item::End => "end".to_string(),
            };
            items.push(text);
            if matches!(item, Item::End) {
                return Ok(items);
            }
        }
    }

    #[test]
    fn a_file_reads_back_in_pieces_of_any_size() {
        let file = sample(SavedAccess::IdleTime);
        let expected = [
            "aux redis-ver=7.0.15",
            "function 13",
            "select 0",
            "key s Some(123456) Some(10) None 1",
            "select 3",
            "key l None Some(10) None 1000",
            "end",
        ];
        for piece in [1, 7, 100, 1 << 20] {
            assert_eq!(items(&file, piece).unwrap(), expected, "piece {piece}");
        }
        let file = sample(SavedAccess::Frequency { decay_time: 1 });
        assert_eq!(
            items(&file, 5).unwrap()[3],
            "key s Some(123456) None Some(0) 1"
        );
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum_and_a_zero_checksum_is_not_checked() {
        let file = sample(SavedAccess::Nothing);
        let mut flipped = file.clone();
        let at = flipped.windows(5).position(|w| w == b"value").unwrap();
        flipped[at] = b'V';
        let error = items(&flipped, 64).unwrap_err();
        assert!(error.message.contains("Wrong RDB checksum"), "{error:?}");
        assert_eq!(error.offset, file.len() as u64 - 8);

        let len = flipped.len();
        flipped[len - 8..].fill(0);
        assert!(items(&flipped, 64).is_ok());
    }

    #[test]
    fn a_truncated_file_is_an_error_at_the_item_it_cuts() {
        let file = sample(SavedAccess::Nothing);
        let list_key = file.windows(2).rposition(|w| w == [0x01, b'l']).unwrap() - 1;
        for cut in [list_key + 3, file.len() - 20, file.len() - 3] {
            let error = items(&file[..cut], 1000).unwrap_err();
            let expected = if cut >= file.len() - 8 {
                file.len() as u64 - 8
            } else {
                list_key as u64
            };
            assert_eq!(error.offset, expected, "cut at {cut}: {error:?}");
        }
    }

    #[test]
    fn headers_are_checked() {
        for (input, message) in [
            (&b"REDIT0010\xff"[..], "Wrong signature"),
            (b"REDIS", "Wrong signature"),
            (b"REDIS0012\xff", "Can't handle RDB format version 0012"),
            (b"REDIS00x1\xff", "Can't handle RDB format version 00x1"),
        ] {
            let error = items(input, 3).unwrap_err();
            assert!(error.message.contains(message), "{input:?}: {error:?}");
        }
        // Version 4 has no checksum after its end marker.
        assert_eq!(items(b"REDIS0004\xff", 1).unwrap(), ["end"]);
    }

    #[test]
    fn opcodes_of_what_radish_does_not_have_are_refused_by_name() {
        let mut module = b"REDIS0010".to_vec();
        module.push(OPCODE_MODULE_AUX);
        let error = items(&module, 100).unwrap_err();
        assert!(error.message.contains("module"), "{error:?}");
        assert_eq!(error.offset, 9);
        let mut module_type = b"REDIS0010".to_vec();
        module_type.extend_from_slice(&[7, 1, b'k']);
        let error = items(&module_type, 100).unwrap_err();
        assert!(
            error.message.contains("Unknown RDB encoding type 7"),
            "{error:?}"
        );
        // Redis 7.2's set listpack only in a version 11 file.
        let set_listpack = hex("14016b0d0d0000000200816102816202ff");
        for (version, ok) in [(b"0010", false), (b"0011", true)] {
            let mut file = b"REDIS".to_vec();
            file.extend_from_slice(version);
            file.extend_from_slice(&set_listpack);
            file.push(OPCODE_EOF);
            file.extend_from_slice(&[0; 8]);
            let read = items(&file, 100);
            assert_eq!(read.is_ok(), ok, "{read:?}");
        }
    }

    #[test]
    fn expiry_in_seconds_and_the_rest_after_the_end() {
        let mut file = b"REDIS0006".to_vec();
        file.push(OPCODE_EXPIRETIME);
        file.extend_from_slice(&100i32.to_le_bytes());
        file.extend_from_slice(&[0, 1, b'k', 1, b'v']);
        file.push(OPCODE_EOF);
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut reader = Reader::new(Trickle(&file, 4), LIMITS, true).unwrap();
        let Item::Key(key) = reader.next_item().unwrap() else {
            panic!("a key");
        };
        assert_eq!(key.expires_at, Some(100_000));
        assert!(matches!(reader.next_item().unwrap(), Item::End));
        let offset = reader.offset() as usize;
        let (mut rest, mut source) = reader.rest();
        source.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(&file[offset..], &rest[..]);
    }
}
