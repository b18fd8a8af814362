//! Redis 7.0's key specs: for each command with keys, where they start, how to find the rest,
//! and how the command accesses them (the data behind COMMAND GETKEYS, see `keys.rs`).
//!
//! Every Redis command with keys is here, radish's and the others, so commands added later
//! are covered; except SORT, SORT_RO and BITFIELD, whose keys Redis always finds with their
//! fallbacks instead (`keys.rs`), and MIGRATE, GEORADIUS, GEORADIUSBYMEMBER, XREAD and
//! XREADGROUP, whose fallbacks are not written.

/// Key-spec flags (Redis's `CMD_KEY_*`), in the order Redis names them.
pub(super) const RO: u16 = 1;
pub(super) const RW: u16 = 1 << 1;
pub(super) const OW: u16 = 1 << 2;
pub(super) const RM: u16 = 1 << 3;
pub(super) const ACCESS: u16 = 1 << 4;
pub(super) const UPDATE: u16 = 1 << 5;
pub(super) const INSERT: u16 = 1 << 6;
pub(super) const DELETE: u16 = 1 << 7;
pub(super) const NOT_KEY: u16 = 1 << 8;
pub(super) const INCOMPLETE: u16 = 1 << 9;
pub(super) const VARIABLE_FLAGS: u16 = 1 << 10;

pub(super) const FLAG_NAMES: [&str; 11] = [
    "RO",
    "RW",
    "OW",
    "RM",
    "access",
    "update",
    "insert",
    "delete",
    "not_key",
    "incomplete",
    "variable_flags",
];

/// How to find the keys after the first one.
#[derive(Debug, Clone, Copy)]
pub(super) enum Find {
    /// Up to `last` (relative to the first key if not negative, else counted from the end),
    /// every `step` arguments.
    Range { last: i32, step: i32 },
    /// The number of keys is the argument `index` after the start; the keys begin `first`
    /// after the start, every `step` arguments.
    Keynum { index: i32, first: i32, step: i32 },
}

/// One key spec: the keys found from argument `start` on, and how they are accessed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    /// How the keys are accessed.
    pub(super) flags: u16,
    /// The argument the keys start at.
    pub(super) start: i32,
    /// How to find the rest.
    pub(super) find: Find,
}

/// Keys from `start` to `last`, every `step`.
const fn at(start: i32, last: i32, step: i32, flags: u16) -> Spec {
    Spec {
        flags,
        start,
        find: Find::Range { last, step },
    }
}

/// Keys counted by the argument `index` after `start`.
const fn keynum(start: i32, index: i32, first: i32, step: i32, flags: u16) -> Spec {
    Spec {
        flags,
        start,
        find: Find::Keynum { index, first, step },
    }
}

/// Redis 7.0's key specs, by full command name.
#[rustfmt::skip]
pub(super) const SPECS: &[(&str, &[Spec])] = &[
    ("append", &[at(1, 0, 1, RW | INSERT)]),
    ("bitcount", &[at(1, 0, 1, RO | ACCESS)]),
    ("bitfield_ro", &[at(1, 0, 1, RO | ACCESS)]),
    ("bitop", &[at(2, 0, 1, OW | UPDATE), at(3, -1, 1, RO | ACCESS)]),
    ("bitpos", &[at(1, 0, 1, RO | ACCESS)]),
    ("blmove", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, RW | INSERT)]),
    ("blmpop", &[keynum(2, 0, 1, 1, RW | ACCESS | DELETE)]),
    ("blpop", &[at(1, -2, 1, RW | ACCESS | DELETE)]),
    ("brpop", &[at(1, -2, 1, RW | ACCESS | DELETE)]),
    ("brpoplpush", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, RW | INSERT)]),
    ("bzmpop", &[keynum(2, 0, 1, 1, RW | ACCESS | DELETE)]),
    ("bzpopmax", &[at(1, -2, 1, RW | ACCESS | DELETE)]),
    ("bzpopmin", &[at(1, -2, 1, RW | ACCESS | DELETE)]),
    ("copy", &[at(1, 0, 1, RO | ACCESS), at(2, 0, 1, OW | UPDATE)]),
    ("decr", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("decrby", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("del", &[at(1, -1, 1, RM | DELETE)]),
    ("dump", &[at(1, 0, 1, RO | ACCESS)]),
    ("eval", &[keynum(2, 0, 1, 1, RW | ACCESS | UPDATE)]),
    ("eval_ro", &[keynum(2, 0, 1, 1, RO | ACCESS)]),
    ("evalsha", &[keynum(2, 0, 1, 1, RW | ACCESS | UPDATE)]),
    ("evalsha_ro", &[keynum(2, 0, 1, 1, RO | ACCESS)]),
    ("exists", &[at(1, -1, 1, RO)]),
    ("expire", &[at(1, 0, 1, RW | UPDATE)]),
    ("expireat", &[at(1, 0, 1, RW | UPDATE)]),
    ("expiretime", &[at(1, 0, 1, RO | ACCESS)]),
    ("fcall", &[keynum(2, 0, 1, 1, RW | ACCESS | UPDATE)]),
    ("fcall_ro", &[keynum(2, 0, 1, 1, RO | ACCESS)]),
    ("geoadd", &[at(1, 0, 1, RW | UPDATE)]),
    ("geodist", &[at(1, 0, 1, RO | ACCESS)]),
    ("geohash", &[at(1, 0, 1, RO | ACCESS)]),
    ("geopos", &[at(1, 0, 1, RO | ACCESS)]),
    ("georadius_ro", &[at(1, 0, 1, RO | ACCESS)]),
    ("georadiusbymember_ro", &[at(1, 0, 1, RO | ACCESS)]),
    ("geosearch", &[at(1, 0, 1, RO | ACCESS)]),
    ("geosearchstore", &[at(1, 0, 1, OW | UPDATE), at(2, 0, 1, RO | ACCESS)]),
    ("get", &[at(1, 0, 1, RO | ACCESS)]),
    ("getbit", &[at(1, 0, 1, RO | ACCESS)]),
    ("getdel", &[at(1, 0, 1, RW | ACCESS | DELETE)]),
    ("getex", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("getrange", &[at(1, 0, 1, RO | ACCESS)]),
    ("getset", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("hdel", &[at(1, 0, 1, RW | DELETE)]),
    ("hexists", &[at(1, 0, 1, RO)]),
    ("hget", &[at(1, 0, 1, RO | ACCESS)]),
    ("hgetall", &[at(1, 0, 1, RO | ACCESS)]),
    ("hincrby", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("hincrbyfloat", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("hkeys", &[at(1, 0, 1, RO | ACCESS)]),
    ("hlen", &[at(1, 0, 1, RO)]),
    ("hmget", &[at(1, 0, 1, RO | ACCESS)]),
    ("hmset", &[at(1, 0, 1, RW | UPDATE)]),
    ("hrandfield", &[at(1, 0, 1, RO | ACCESS)]),
    ("hscan", &[at(1, 0, 1, RO | ACCESS)]),
    ("hset", &[at(1, 0, 1, RW | UPDATE)]),
    ("hsetnx", &[at(1, 0, 1, RW | INSERT)]),
    ("hstrlen", &[at(1, 0, 1, RO)]),
    ("hvals", &[at(1, 0, 1, RO | ACCESS)]),
    ("incr", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("incrby", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("incrbyfloat", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("lcs", &[at(1, 1, 1, RO | ACCESS)]),
    ("lindex", &[at(1, 0, 1, RO | ACCESS)]),
    ("linsert", &[at(1, 0, 1, RW | INSERT)]),
    ("llen", &[at(1, 0, 1, RO)]),
    ("lmove", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, RW | INSERT)]),
    ("lmpop", &[keynum(1, 0, 1, 1, RW | ACCESS | DELETE)]),
    ("lpop", &[at(1, 0, 1, RW | ACCESS | DELETE)]),
    ("lpos", &[at(1, 0, 1, RO | ACCESS)]),
    ("lpush", &[at(1, 0, 1, RW | INSERT)]),
    ("lpushx", &[at(1, 0, 1, RW | INSERT)]),
    ("lrange", &[at(1, 0, 1, RO | ACCESS)]),
    ("lrem", &[at(1, 0, 1, RW | DELETE)]),
    ("lset", &[at(1, 0, 1, RW | UPDATE)]),
    ("ltrim", &[at(1, 0, 1, RW | DELETE)]),
    ("memory|usage", &[at(2, 0, 1, RO)]),
    ("mget", &[at(1, -1, 1, RO | ACCESS)]),
    ("move", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("mset", &[at(1, -1, 2, OW | UPDATE)]),
    ("msetnx", &[at(1, -1, 2, OW | INSERT)]),
    ("object|encoding", &[at(2, 0, 1, RO)]),
    ("object|freq", &[at(2, 0, 1, RO)]),
    ("object|idletime", &[at(2, 0, 1, RO)]),
    ("object|refcount", &[at(2, 0, 1, RO)]),
    ("persist", &[at(1, 0, 1, RW | UPDATE)]),
    ("pexpire", &[at(1, 0, 1, RW | UPDATE)]),
    ("pexpireat", &[at(1, 0, 1, RW | UPDATE)]),
    ("pexpiretime", &[at(1, 0, 1, RO | ACCESS)]),
    ("pfadd", &[at(1, 0, 1, RW | INSERT)]),
    ("pfcount", &[at(1, -1, 1, RW | ACCESS)]),
    ("pfdebug", &[at(2, 0, 1, RW | ACCESS)]),
    ("pfmerge", &[at(1, 0, 1, RW | ACCESS | INSERT), at(2, -1, 1, RO | ACCESS)]),
    ("psetex", &[at(1, 0, 1, OW | UPDATE)]),
    ("pttl", &[at(1, 0, 1, RO | ACCESS)]),
    ("rename", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, OW | UPDATE)]),
    ("renamenx", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, OW | INSERT)]),
    ("restore", &[at(1, 0, 1, OW | UPDATE)]),
    ("restore-asking", &[at(1, 0, 1, OW | UPDATE)]),
    ("rpop", &[at(1, 0, 1, RW | ACCESS | DELETE)]),
    ("rpoplpush", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, RW | INSERT)]),
    ("rpush", &[at(1, 0, 1, RW | INSERT)]),
    ("rpushx", &[at(1, 0, 1, RW | INSERT)]),
    ("sadd", &[at(1, 0, 1, RW | INSERT)]),
    ("scard", &[at(1, 0, 1, RO)]),
    ("sdiff", &[at(1, -1, 1, RO | ACCESS)]),
    ("sdiffstore", &[at(1, 0, 1, OW | UPDATE), at(2, -1, 1, RO | ACCESS)]),
    ("set", &[at(1, 0, 1, RW | ACCESS | UPDATE | VARIABLE_FLAGS)]),
    ("setbit", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("setex", &[at(1, 0, 1, OW | UPDATE)]),
    ("setnx", &[at(1, 0, 1, OW | INSERT)]),
    ("setrange", &[at(1, 0, 1, RW | UPDATE)]),
    ("sinter", &[at(1, -1, 1, RO | ACCESS)]),
    ("sintercard", &[keynum(1, 0, 1, 1, RO | ACCESS)]),
    ("sinterstore", &[at(1, 0, 1, RW | UPDATE), at(2, -1, 1, RO | ACCESS)]),
    ("sismember", &[at(1, 0, 1, RO)]),
    ("smembers", &[at(1, 0, 1, RO | ACCESS)]),
    ("smismember", &[at(1, 0, 1, RO | ACCESS)]),
    ("smove", &[at(1, 0, 1, RW | ACCESS | DELETE), at(2, 0, 1, RW | INSERT)]),
    ("spop", &[at(1, 0, 1, RW | ACCESS | DELETE)]),
    ("spublish", &[at(1, 0, 1, NOT_KEY)]),
    ("srandmember", &[at(1, 0, 1, RO | ACCESS)]),
    ("srem", &[at(1, 0, 1, RW | DELETE)]),
    ("sscan", &[at(1, 0, 1, RO | ACCESS)]),
    ("ssubscribe", &[at(1, -1, 1, NOT_KEY)]),
    ("strlen", &[at(1, 0, 1, RO)]),
    ("substr", &[at(1, 0, 1, RO | ACCESS)]),
    ("sunion", &[at(1, -1, 1, RO | ACCESS)]),
    ("sunionstore", &[at(1, 0, 1, OW | UPDATE), at(2, -1, 1, RO | ACCESS)]),
    ("sunsubscribe", &[at(1, -1, 1, NOT_KEY)]),
    ("touch", &[at(1, -1, 1, RO)]),
    ("ttl", &[at(1, 0, 1, RO | ACCESS)]),
    ("type", &[at(1, 0, 1, RO)]),
    ("unlink", &[at(1, -1, 1, RM | DELETE)]),
    ("watch", &[at(1, -1, 1, RO)]),
    ("xack", &[at(1, 0, 1, RW | UPDATE)]),
    ("xadd", &[at(1, 0, 1, RW | UPDATE)]),
    ("xautoclaim", &[at(1, 0, 1, RW | DELETE)]),
    ("xclaim", &[at(1, 0, 1, RW | UPDATE)]),
    ("xdel", &[at(1, 0, 1, RW | DELETE)]),
    ("xgroup|create", &[at(2, 0, 1, RW | INSERT)]),
    ("xgroup|createconsumer", &[at(2, 0, 1, RW | INSERT)]),
    ("xgroup|delconsumer", &[at(2, 0, 1, RW | DELETE)]),
    ("xgroup|destroy", &[at(2, 0, 1, RW | DELETE)]),
    ("xgroup|setid", &[at(2, 0, 1, RW | UPDATE)]),
    ("xinfo|consumers", &[at(2, 0, 1, RO | ACCESS)]),
    ("xinfo|groups", &[at(2, 0, 1, RO | ACCESS)]),
    ("xinfo|stream", &[at(2, 0, 1, RO | ACCESS)]),
    ("xlen", &[at(1, 0, 1, RO)]),
    ("xpending", &[at(1, 0, 1, RO | ACCESS)]),
    ("xrange", &[at(1, 0, 1, RO | ACCESS)]),
    ("xrevrange", &[at(1, 0, 1, RO | ACCESS)]),
    ("xsetid", &[at(1, 0, 1, RW | UPDATE)]),
    ("xtrim", &[at(1, 0, 1, RW | DELETE)]),
    ("zadd", &[at(1, 0, 1, RW | UPDATE)]),
    ("zcard", &[at(1, 0, 1, RO)]),
    ("zcount", &[at(1, 0, 1, RO | ACCESS)]),
    ("zdiff", &[keynum(1, 0, 1, 1, RO | ACCESS)]),
    ("zdiffstore", &[at(1, 0, 1, OW | UPDATE), keynum(2, 0, 1, 1, RO | ACCESS)]),
    ("zincrby", &[at(1, 0, 1, RW | ACCESS | UPDATE)]),
    ("zinter", &[keynum(1, 0, 1, 1, RO | ACCESS)]),
    ("zintercard", &[keynum(1, 0, 1, 1, RO | ACCESS)]),
    ("zinterstore", &[at(1, 0, 1, OW | UPDATE), keynum(2, 0, 1, 1, RO | ACCESS)]),
    ("zlexcount", &[at(1, 0, 1, RO | ACCESS)]),
    ("zmpop", &[keynum(1, 0, 1, 1, RW | ACCESS | DELETE)]),
    ("zmscore", &[at(1, 0, 1, RO | ACCESS)]),
    ("zpopmax", &[at(1, 0, 1, RW | ACCESS | DELETE)]),
    ("zpopmin", &[at(1, 0, 1, RW | ACCESS | DELETE)]),
    ("zrandmember", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrange", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrangebylex", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrangebyscore", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrangestore", &[at(1, 0, 1, OW | UPDATE), at(2, 0, 1, RO | ACCESS)]),
    ("zrank", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrem", &[at(1, 0, 1, RW | DELETE)]),
    ("zremrangebylex", &[at(1, 0, 1, RW | DELETE)]),
    ("zremrangebyrank", &[at(1, 0, 1, RW | DELETE)]),
    ("zremrangebyscore", &[at(1, 0, 1, RW | DELETE)]),
    ("zrevrange", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrevrangebylex", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrevrangebyscore", &[at(1, 0, 1, RO | ACCESS)]),
    ("zrevrank", &[at(1, 0, 1, RO | ACCESS)]),
    ("zscan", &[at(1, 0, 1, RO | ACCESS)]),
    ("zscore", &[at(1, 0, 1, RO | ACCESS)]),
    ("zunion", &[keynum(1, 0, 1, 1, RO | ACCESS)]),
    ("zunionstore", &[at(1, 0, 1, OW | UPDATE), keynum(2, 0, 1, 1, RO | ACCESS)]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_is_sane() {
        for (name, specs) in SPECS {
            assert!(!specs.is_empty(), "{name}");
            for spec in *specs {
                assert!(spec.start > 0, "{name}");
                let access = spec.flags & (RO | RW | OW | RM);
                assert!(access.count_ones() <= 1, "{name}");
            }
        }
        let mut names: Vec<&str> = SPECS.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SPECS.len(), "no command twice");
    }
}
