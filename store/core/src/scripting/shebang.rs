//! The flags a script declares (`#!lua flags=no-writes,allow-oom`) or a function is
//! registered with, and how they change what the server allows it.

use bytes::Bytes;
use radish_resp::split_inline;

/// A script's or function's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScriptFlags(u8);

impl ScriptFlags {
    /// An EVAL script without a shebang: it runs as scripts did before Redis 7 (it may
    /// write, and the checks happen per command).
    pub const EVAL_COMPAT: ScriptFlags = ScriptFlags(1);
    /// `no-writes`.
    pub const NO_WRITES: ScriptFlags = ScriptFlags(1 << 1);
    /// `allow-oom`.
    pub const ALLOW_OOM: ScriptFlags = ScriptFlags(1 << 2);
    /// `allow-stale`.
    pub const ALLOW_STALE: ScriptFlags = ScriptFlags(1 << 3);
    /// `no-cluster`.
    pub const NO_CLUSTER: ScriptFlags = ScriptFlags(1 << 4);
    /// `allow-cross-slot-keys`.
    pub const ALLOW_CROSS_SLOT: ScriptFlags = ScriptFlags(1 << 5);

    /// The names scripts declare, in Redis's order (FUNCTION LIST shows them so).
    pub const NAMED: [(&'static str, ScriptFlags); 5] = [
        ("no-writes", ScriptFlags::NO_WRITES),
        ("allow-oom", ScriptFlags::ALLOW_OOM),
        ("allow-stale", ScriptFlags::ALLOW_STALE),
        ("no-cluster", ScriptFlags::NO_CLUSTER),
        ("allow-cross-slot-keys", ScriptFlags::ALLOW_CROSS_SLOT),
    ];

    /// No flag.
    pub const fn empty() -> ScriptFlags {
        ScriptFlags(0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    pub const fn union(self, other: ScriptFlags) -> ScriptFlags {
        ScriptFlags(self.0 | other.0)
    }

    /// The flag a name declares.
    pub fn named(name: &[u8]) -> Option<ScriptFlags> {
        ScriptFlags::NAMED
            .iter()
            .find(|(known, _)| known.as_bytes() == name)
            .map(|(_, flag)| *flag)
    }

    /// The names of the flags set, in Redis's order.
    pub fn names(self) -> Vec<&'static str> {
        ScriptFlags::NAMED
            .iter()
            .filter(|(_, flag)| self.contains(*flag))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Whether the script may write (declared no flags, or not `no-writes`).
    pub fn may_write(self) -> bool {
        self.contains(ScriptFlags::EVAL_COMPAT) || !self.contains(ScriptFlags::NO_WRITES)
    }

    /// Whether the script is refused when memory is over the limit before it starts
    /// (declared flags without `allow-oom` or `no-writes`).
    pub fn denied_when_full(self) -> bool {
        !self.contains(ScriptFlags::EVAL_COMPAT)
            && !self.contains(ScriptFlags::ALLOW_OOM)
            && !self.contains(ScriptFlags::NO_WRITES)
    }
}

/// An EVAL script's shebang line, read as Redis's `evalExtractShebangFlags` reads it: the
/// flags, and how many bytes of the body the line takes (the line break stays, so line
/// numbers do not move). A body without `#!` is in compatibility mode.
pub fn eval_flags(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::EVAL_COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let parts = match split_inline(&Bytes::copy_from_slice(&body[..end])) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid engine in script shebang".to_string()),
    };
    if &parts[0][..] != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = ScriptFlags::empty();
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        // sds's split gives no part at all for an empty list.
        let names = list.split(|&b| b == b',').filter(|_| !list.is_empty());
        for name in names {
            match ScriptFlags::named(name) {
                Some(flag) => flags = flags.union(flag),
                None => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_read_as_redis_reads_them() {
        assert_eq!(eval_flags(b"return 1"), Ok((ScriptFlags::EVAL_COMPAT, 0)));
        let (flags, len) = eval_flags(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.contains(ScriptFlags::NO_WRITES) && flags.contains(ScriptFlags::ALLOW_OOM));
        assert_eq!(len, 31);
        assert_eq!(
            eval_flags(b"#!lua\nreturn 1"),
            Ok((ScriptFlags::empty(), 5))
        );
        assert_eq!(
            eval_flags(b"#!lua"),
            Err("Invalid script shebang".to_string())
        );
        assert_eq!(
            eval_flags(b"#!python\n"),
            Err("Unexpected engine in script shebang: #!python".to_string())
        );
        assert_eq!(
            eval_flags(b"#!lua flags=bad\n"),
            Err("Unexpected flag in script shebang: bad".to_string())
        );
        assert_eq!(
            eval_flags(b"#!lua name=x\n"),
            Err("Unknown lua shebang option: name=x".to_string())
        );
        // `flags=` alone declares no flag, as sdssplitlen of "" gives no part.
        assert_eq!(
            eval_flags(b"#!lua flags=\n"),
            Ok((ScriptFlags::empty(), 12))
        );
    }
}
