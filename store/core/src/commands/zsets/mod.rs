//! Sorted set commands: ZADD and friends, ranges by rank, score and lex (and their removals),
//! pops (blocking ones too), ZUNION/ZINTER/ZDIFF and their STORE forms, ZRANDMEMBER, ZSCAN.
//!
//! Arguments are checked, and keys looked up, in the order Redis 7.0's t_zset.c does, since
//! that order decides which error a client sees. Scores are printed as Redis 7.0 prints
//! them (`%.17g`), which differs from the shortest form `Reply::double` writes.

mod algebra;
mod members;
mod pops;
mod ranges;
mod shared;

use algebra::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};
use members::{
    zadd, zcard, zcount, zincrby, zlexcount, zmscore, zrandmember, zrank, zrem, zrevrank, zscan,
    zscore,
};
use pops::{bzmpop, bzpopmax, bzpopmin, zmpop, zpopmax, zpopmin};
use ranges::{
    zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex, zremrangebyrank,
    zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};

use crate::exec::command::{acl, flags, key, keynum, numkeys, range, Command, Group};

#[rustfmt::skip]
pub(super) const COMMANDS: &[Command] = &[
    Command::new("zadd", -4, zadd)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | UPDATE))])
        .doc(Group::SortedSet, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists"),
    Command::new("zincrby", 4, zincrby)
        .flags(flags!(WRITE | DENYOOM | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | UPDATE))])
        .doc(Group::SortedSet, "1.2.0", "Increment the score of a member in a sorted set"),
    Command::new("zrem", -3, zrem)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "1.2.0", "Remove one or more members from a sorted set"),
    Command::new("zscore", 3, zscore)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.2.0", "Get the score associated with the given member in a sorted set"),
    Command::new("zmscore", -3, zmscore)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "6.2.0", "Get the score associated with the given members in a sorted set"),
    Command::new("zcard", 2, zcard)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO))])
        .doc(Group::SortedSet, "1.2.0", "Get the number of members in a sorted set"),
    Command::new("zcount", 4, zcount)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.0.0", "Count the members in a sorted set with scores within the given values"),
    Command::new("zlexcount", 4, zlexcount)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range"),
    Command::new("zrank", 3, zrank)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.0.0", "Determine the index of a member in a sorted set"),
    Command::new("zrevrank", 3, zrevrank)
        .flags(flags!(READONLY | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low"),
    Command::new("zrange", -4, zrange)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.2.0", "Return a range of members in a sorted set"),
    Command::new("zrangestore", -5, zrangestore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), range(2, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "6.2.0", "Store a range of members from sorted set into another key"),
    Command::new("zrevrange", -4, zrevrange)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low"),
    Command::new("zrangebyscore", -4, zrangebyscore)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "1.0.5", "Return a range of members in a sorted set, by score"),
    Command::new("zrevrangebyscore", -4, zrevrangebyscore)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low"),
    Command::new("zrangebylex", -4, zrangebylex)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.8.9", "Return a range of members in a sorted set, by lexicographical range"),
    Command::new("zrevrangebylex", -4, zrevrangebylex)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .doc(Group::SortedSet, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings."),
    Command::new("zremrangebyrank", 4, zremrangebyrank)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "2.0.0", "Remove all members in a sorted set within the given indexes"),
    Command::new("zremrangebyscore", 4, zremrangebyscore)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "1.2.0", "Remove all members in a sorted set within the given scores"),
    Command::new("zremrangebylex", 4, zremrangebylex)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | DELETE))])
        .doc(Group::SortedSet, "2.8.9", "Remove all members in a sorted set between the given lexicographical range"),
    Command::new("zpopmin", -2, zpopmin)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return members with the lowest scores in a sorted set"),
    Command::new("zpopmax", -2, zpopmax)
        .flags(flags!(WRITE | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return members with the highest scores in a sorted set"),
    Command::new("bzpopmin", -3, bzpopmin)
        .flags(flags!(WRITE | NOSCRIPT | BLOCKING | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, -2, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available"),
    Command::new("bzpopmax", -3, bzpopmax)
        .flags(flags!(WRITE | NOSCRIPT | BLOCKING | FAST))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, -2, 1, key!(RW | ACCESS | DELETE))])
        .doc(Group::SortedSet, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available"),
    Command::new("zmpop", -4, zmpop)
        .flags(flags!(WRITE))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RW | ACCESS | DELETE))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "7.0.0", "Remove and return members with scores in a sorted set"),
    Command::new("bzmpop", -5, bzmpop)
        .flags(flags!(WRITE | BLOCKING))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(2, 0, 1, 1, key!(RW | ACCESS | DELETE))])
        .get_keys(numkeys(0, 2, 3))
        .doc(Group::SortedSet, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available"),
    Command::new("zunion", -3, zunion)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "6.2.0", "Add multiple sorted sets"),
    Command::new("zinter", -3, zinter)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "6.2.0", "Intersect multiple sorted sets"),
    Command::new("zdiff", -3, zdiff)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "6.2.0", "Subtract multiple sorted sets"),
    Command::new("zintercard", -3, zintercard)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[keynum(1, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(0, 1, 2))
        .doc(Group::SortedSet, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result"),
    Command::new("zunionstore", -4, zunionstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(1, 2, 3))
        .doc(Group::SortedSet, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key"),
    Command::new("zinterstore", -4, zinterstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(1, 2, 3))
        .doc(Group::SortedSet, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key"),
    Command::new("zdiffstore", -4, zdiffstore)
        .flags(flags!(WRITE | DENYOOM))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(OW | UPDATE)), keynum(2, 0, 1, 1, key!(RO | ACCESS))])
        .get_keys(numkeys(1, 2, 3))
        .doc(Group::SortedSet, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key"),
    Command::new("zrandmember", -2, zrandmember)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::SortedSet, "6.2.0", "Get one or multiple random elements from a sorted set"),
    Command::new("zscan", -3, zscan)
        .flags(flags!(READONLY))
        .acl(acl!(SORTEDSET))
        .keys(&[range(1, 0, 1, key!(RO | ACCESS))])
        .tips(&["nondeterministic_output"])
        .doc(Group::SortedSet, "2.8.0", "Incrementally iterate sorted sets elements and associated scores"),
];
