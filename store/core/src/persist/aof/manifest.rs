//! Redis 7.0's multi-part log: the manifest that lists the files of the append-only
//! directory (`appenddirname` inside `dir`), read and written as Redis's
//! `aofLoadManifestFromFile` and `getAofManifestAsString` do.
//!
//! The log is a base (a snapshot: `<appendfilename>.<seq>.base.rdb`, or `.base.aof` with
//! `aof-use-rdb-preamble no`) followed by incremental files of commands
//! (`<appendfilename>.<seq>.incr.aof`), loaded in that order; history files are what a
//! rewrite replaced, deleted once the new manifest is in place. Each line of the manifest is
//! `file <name> seq <seq> type <b|h|i>`, base first, then history, then incremental files.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use radish_resp::split_inline;

use crate::persist::files::fsync_dir;
use crate::state::config::{repr, strtoll};

/// Redis's `MANIFEST_MAX_LINE`: longer lines are refused.
const MAX_LINE: usize = 1024;

/// What a file of the log is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The snapshot the log starts from (`b`).
    Base,
    /// Replaced by a rewrite, to delete (`h`).
    History,
    /// Commands logged after the base (`i`).
    Incr,
}

impl Role {
    fn letter(self) -> char {
        match self {
            Role::Base => 'b',
            Role::History => 'h',
            Role::Incr => 'i',
        }
    }
}

/// One file of the log, as a manifest line names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogFile {
    /// Its name in the append-only directory (bytes: a manifest may name any).
    pub(crate) name: Vec<u8>,
    pub(crate) seq: i64,
    pub(crate) role: Role,
}

impl LogFile {
    /// Its path in the append-only directory `dir`.
    pub(crate) fn path(&self, dir: &Path) -> PathBuf {
        dir.join(OsStr::from_bytes(&self.name))
    }

    /// Its name for the log's messages.
    pub(crate) fn display(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// The files of the log: Redis's `aofManifest`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) base: Option<LogFile>,
    pub(crate) history: Vec<LogFile>,
    pub(crate) incrs: Vec<LogFile>,
    /// The sequence numbers last given to a base and to an incremental file.
    base_seq: i64,
    incr_seq: i64,
}

/// Why a manifest cannot be read: Redis's message, and the line it was reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManifestError {
    pub(crate) line: Option<(usize, String)>,
    pub(crate) message: &'static str,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Redis's lines, joined: "*** FATAL AOF MANIFEST FILE ERROR ***", the line, the error.
        write!(f, "*** FATAL AOF MANIFEST FILE ERROR *** ")?;
        if let Some((number, line)) = &self.line {
            write!(
                f,
                "Reading the manifest file, at line {number} >>> '{line}' "
            )?;
        }
        write!(f, "{}", self.message)
    }
}

impl Manifest {
    /// Reads a manifest's text, with Redis's checks and messages.
    pub(crate) fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        let mut max_seq = 0;
        let mut number = 0;
        let mut rest = text;
        loop {
            if rest.is_empty() {
                if number == 0 {
                    return Err(ManifestError {
                        line: None,
                        message: "Found an empty AOF manifest",
                    });
                }
                return Ok(manifest);
            }
            // fgets: up to the newline, or MAX_LINE bytes.
            let take = match rest.iter().position(|&b| b == b'\n') {
                Some(at) if at < MAX_LINE => at + 1,
                _ => rest.len().min(MAX_LINE),
            };
            let (chunk, after) = rest.split_at(take);
            rest = after;
            number += 1;
            if chunk.first() == Some(&b'#') {
                continue;
            }
            let line = trim(chunk);
            let fail = |message| ManifestError {
                line: Some((number, String::from_utf8_lossy(line).into_owned())),
                message,
            };
            if chunk.last() != Some(&b'\n') {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            if line.is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let words = split_inline(&Bytes::copy_from_slice(line))
                .map_err(|_| fail("Invalid AOF manifest file format"))?;
            // Fewer than six words, or an odd number, is no manifest line (more are allowed
            // for later versions' keys).
            if words.len() < 6 || words.len() % 2 == 1 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut letter) = (None, 0, 0u8);
            for pair in words.chunks(2) {
                let (key, value) = (&pair[0], &pair[1]);
                if key.eq_ignore_ascii_case(b"file") {
                    if value.contains(&b'/') || value.contains(&b'\\') {
                        return Err(fail("File can't be a path, just a filename"));
                    }
                    name = Some(value.to_vec());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    // C's atoll: 0 when it is no number.
                    seq = strtoll(&String::from_utf8_lossy(value), 10).0;
                } else if key.eq_ignore_ascii_case(b"type") {
                    letter = value.first().copied().unwrap_or(0);
                }
            }
            let (Some(name), true, true) = (name, seq != 0, letter != 0) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            match letter {
                b'b' => {
                    if manifest.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    manifest.base = Some(LogFile {
                        name,
                        seq,
                        role: Role::Base,
                    });
                    manifest.base_seq = seq;
                }
                b'h' => manifest.history.push(LogFile {
                    name,
                    seq,
                    role: Role::History,
                }),
                b'i' => {
                    if seq <= max_seq {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    manifest.incrs.push(LogFile {
                        name,
                        seq,
                        role: Role::Incr,
                    });
                    manifest.incr_seq = seq;
                    max_seq = seq;
                }
                _ => return Err(fail("Unknown AOF file type")),
            }
        }
    }

    /// The manifest's text: base, history, incremental files, one line each, names quoted
    /// where Redis's `sdsneedsrepr` would.
    pub(crate) fn to_text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let files = self.base.iter().chain(&self.history).chain(&self.incrs);
        for file in files {
            out.extend_from_slice(b"file ");
            if file.name.iter().any(|&b| needs_repr(b)) {
                out.extend_from_slice(repr(&file.name).as_bytes());
            } else {
                out.extend_from_slice(&file.name);
            }
            let rest = format!(" seq {} type {}\n", file.seq, file.role.letter());
            out.extend_from_slice(rest.as_bytes());
        }
        out
    }

    /// True when it lists no base and no incremental file: there is no log to load.
    pub(crate) fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }

    /// The base and the incremental files, in loading order.
    pub(crate) fn to_load(&self) -> Vec<&LogFile> {
        self.base.iter().chain(&self.incrs).collect()
    }

    /// Names a new base (`<name>.<seq>.base.rdb`, or `.base.aof` for commands) and makes the
    /// current one history: Redis's `getNewBaseFileNameAndMarkPreAsHistory`.
    pub(crate) fn new_base(&mut self, name: &str, rdb: bool) -> LogFile {
        if let Some(mut old) = self.base.take() {
            old.role = Role::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let suffix = if rdb { "rdb" } else { "aof" };
        let base = LogFile {
            name: format!("{name}.{}.base.{suffix}", self.base_seq).into_bytes(),
            seq: self.base_seq,
            role: Role::Base,
        };
        self.base = Some(base.clone());
        base
    }

    /// Names a new incremental file, last in the list: Redis's `getNewIncrAofName`.
    pub(crate) fn new_incr(&mut self, name: &str) -> LogFile {
        self.incr_seq += 1;
        let incr = LogFile {
            name: format!("{name}.{}.incr.aof", self.incr_seq).into_bytes(),
            seq: self.incr_seq,
            role: Role::Incr,
        };
        self.incrs.push(incr.clone());
        incr
    }

    /// The incremental file written to: the last, or a new one if there is none.
    pub(crate) fn last_incr(&mut self, name: &str) -> LogFile {
        match self.incrs.last() {
            Some(last) => last.clone(),
            None => self.new_incr(name),
        }
    }

    /// After a rewrite: the incremental files it covers become history, all of them, or all
    /// but the last when the log is on (that one is being written): Redis's
    /// `markRewrittenIncrAofAsHistory`.
    pub(crate) fn retire_incrs(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last).min(self.incrs.len());
        let retired: Vec<LogFile> = self.incrs.drain(..self.incrs.len() - keep).collect();
        for mut file in retired.into_iter().rev() {
            file.role = Role::History;
            self.history.insert(0, file);
        }
    }

    /// An old single-file log (`appendfilename` in `dir`) taken as the base: Redis's
    /// `aofUpgradePrepare`.
    pub(crate) fn upgraded(name: &str) -> Manifest {
        Manifest {
            base: Some(LogFile {
                name: name.as_bytes().to_vec(),
                seq: 1,
                role: Role::Base,
            }),
            base_seq: 1,
            ..Manifest::default()
        }
    }

    /// Writes the manifest into `dir` as `<name>.manifest`: a temporary file, fsynced,
    /// renamed over it, and the directory fsynced (it may hold new files too).
    pub(crate) fn persist(&self, dir: &Path, name: &str) -> std::io::Result<()> {
        let target = dir.join(manifest_name(name));
        let temp = dir.join(format!("temp-{}", manifest_name(name)));
        let result = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&self.to_text())?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)?;
            fsync_dir(&target)
        })();
        if let Err(error) = &result {
            tracing::warn!(
                "Error trying to write the AOF manifest file {}: {error}",
                target.display()
            );
        }
        result
    }

    /// Deletes the history files and forgets them, writing the manifest again: Redis's
    /// `aofDelHistoryFiles`.
    pub(crate) fn delete_history(&mut self, dir: &Path, name: &str) -> std::io::Result<()> {
        if self.history.is_empty() {
            return Ok(());
        }
        for file in std::mem::take(&mut self.history) {
            tracing::info!("Removing the history file {}", file.display());
            let _ = std::fs::remove_file(file.path(dir));
        }
        self.persist(dir, name)
    }
}

/// Where the log's files are: the append-only directory (`appenddirname` in `dir`) and
/// `appendfilename`, which names them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogDir {
    pub(crate) dir: PathBuf,
    pub(crate) name: String,
}

impl LogDir {
    /// The manifest's path.
    pub(crate) fn manifest_path(&self) -> PathBuf {
        self.dir.join(manifest_name(&self.name))
    }

    /// The temporary incremental file's path (see [`temp_incr_name`]).
    pub(crate) fn temp_incr_path(&self) -> PathBuf {
        self.dir.join(temp_incr_name(&self.name))
    }

    /// Writes `manifest` here.
    pub(crate) fn persist(&self, manifest: &Manifest) -> std::io::Result<()> {
        manifest.persist(&self.dir, &self.name)
    }

    /// Reads the manifest here, if there is one.
    pub(crate) fn read(&self) -> Result<Option<Manifest>, String> {
        read(&self.dir, &self.name)
    }
}

/// The manifest's file name for `appendfilename` `name`.
pub(crate) fn manifest_name(name: &str) -> String {
    format!("{name}.manifest")
}

/// The temporary incremental file written while a log being turned on waits for its first
/// base (Redis's `getTempIncrAofName`).
pub(crate) fn temp_incr_name(name: &str) -> String {
    format!("temp-{name}.incr")
}

/// Reads the manifest in `dir`, if there is one (Redis's `aofLoadManifestFromDisk`: no
/// directory or no manifest is an empty log).
pub(crate) fn read(dir: &Path, name: &str) -> Result<Option<Manifest>, String> {
    let path = dir.join(manifest_name(name));
    if !dir.is_dir() || !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read(&path).map_err(|error| {
        format!(
            "Fatal error: can't open the AOF manifest file {} for reading: {error}",
            path.display()
        )
    })?;
    Manifest::parse(&text)
        .map(Some)
        .map_err(|error| error.to_string())
}

/// sdstrim with " \t\r\n".
fn trim(line: &[u8]) -> &[u8] {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|b| !blank(b)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |at| at + 1);
    &line[start..end]
}

/// Redis's `sdsneedsrepr`, for one byte.
fn needs_repr(byte: u8) -> bool {
    matches!(byte, b'\\' | b'"' | 0x07 | 0x08) || !(b'!'..=b'~').contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_what_it_wrote_in_redis_order() {
        let mut manifest = Manifest::default();
        manifest.new_base("appendonly.aof", true);
        manifest.new_incr("appendonly.aof");
        manifest.new_incr("appendonly.aof");
        manifest.new_base("appendonly.aof", true);
        manifest.retire_incrs(true);
        let text = manifest.to_text();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), manifest);
    }

    #[test]
    fn names_that_need_it_are_quoted_and_read_back() {
        let mut manifest = Manifest::default();
        manifest.new_base("my log\n", false);
        let text = manifest.to_text();
        assert_eq!(text, b"file \"my log\\n.1.base.aof\" seq 1 type b\n");
        assert_eq!(Manifest::parse(&text).unwrap(), manifest);
    }

    #[test]
    fn malformed_manifests_get_redis_messages() {
        let cases: [(&[u8], &str); 10] = [
            (b"", "Found an empty AOF manifest"),
            (b"file a seq 1 type b", "too long line"),
            (b"\n", "Invalid AOF manifest file format"),
            (b"file a seq 1 type\n", "Invalid AOF manifest file format"),
            (b"file a seq x type b\n", "Invalid AOF manifest file format"),
            (
                b"file d/a seq 1 type b\n",
                "File can't be a path, just a filename",
            ),
            (
                b"file a seq 1 type b\nfile b seq 2 type b\n",
                "Found duplicate base file information",
            ),
            (
                b"file a seq 2 type i\nfile b seq 2 type i\n",
                "Found a non-monotonic sequence number",
            ),
            (b"file a seq 1 type x\n", "Unknown AOF file type"),
            (
                b"file \"a seq 1 type b\n",
                "Invalid AOF manifest file format",
            ),
        ];
        for (text, message) in cases {
            let error = Manifest::parse(text).unwrap_err();
            assert!(error.message.contains(message), "{text:?}: {error}");
        }
        // Comments are skipped; extra key/value pairs are allowed.
        let manifest =
            Manifest::parse(b"# hi\nfile a seq 1 type b extra 1\nFILE b SEQ 3 TYPE i\n").unwrap();
        assert_eq!(manifest.to_load().len(), 2);
        assert_eq!(manifest.clone().new_incr("x").seq, 4);
    }
}
