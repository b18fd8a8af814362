//! The list, hash, set and sorted-set commands.

use std::collections::HashMap;

use bytes::Bytes;

use super::query::Commands;
use crate::command::{cmd, ToArg};

/// The list commands.
pub trait ListCommands: Commands {
    /// `LPUSH key value...`: the new length.
    fn lpush<V: ToArg>(
        self,
        key: impl ToArg,
        values: impl IntoIterator<Item = V>,
    ) -> Self::Run<i64> {
        self.query(cmd("LPUSH").arg(key).args(values))
    }

    /// `RPUSH key value...`: the new length.
    fn rpush<V: ToArg>(
        self,
        key: impl ToArg,
        values: impl IntoIterator<Item = V>,
    ) -> Self::Run<i64> {
        self.query(cmd("RPUSH").arg(key).args(values))
    }

    /// `LPOP key`: the first element, or `None` when the list is empty.
    fn lpop(self, key: impl ToArg) -> Self::Run<Option<Bytes>> {
        self.query(cmd("LPOP").arg(key))
    }

    /// `RPOP key`: the last element, or `None` when the list is empty.
    fn rpop(self, key: impl ToArg) -> Self::Run<Option<Bytes>> {
        self.query(cmd("RPOP").arg(key))
    }

    /// `LRANGE key start stop` (inclusive, negative from the end).
    fn lrange(self, key: impl ToArg, start: i64, stop: i64) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("LRANGE").arg(key).arg(start).arg(stop))
    }

    /// `LLEN key`.
    fn llen(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("LLEN").arg(key))
    }

    /// `LINDEX key index`.
    fn lindex(self, key: impl ToArg, index: i64) -> Self::Run<Option<Bytes>> {
        self.query(cmd("LINDEX").arg(key).arg(index))
    }

    /// `LSET key index value`.
    fn lset(self, key: impl ToArg, index: i64, value: impl ToArg) -> Self::Run<()> {
        self.query(cmd("LSET").arg(key).arg(index).arg(value))
    }

    /// `LREM key count value`: how many were removed.
    fn lrem(self, key: impl ToArg, count: i64, value: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("LREM").arg(key).arg(count).arg(value))
    }

    /// `LTRIM key start stop`.
    fn ltrim(self, key: impl ToArg, start: i64, stop: i64) -> Self::Run<()> {
        self.query(cmd("LTRIM").arg(key).arg(start).arg(stop))
    }

    /// `BLPOP key... timeout`: the key and element, or `None` after `timeout_seconds`
    /// (0 waits for ever). The connection waits with it: other requests queue behind.
    fn blpop<K: ToArg>(
        self,
        keys: impl IntoIterator<Item = K>,
        timeout_seconds: f64,
    ) -> Self::Run<Option<(Bytes, Bytes)>> {
        self.query(cmd("BLPOP").args(keys).arg(timeout_seconds))
    }

    /// `BRPOP key... timeout`: like [`blpop`](ListCommands::blpop), from the tail.
    fn brpop<K: ToArg>(
        self,
        keys: impl IntoIterator<Item = K>,
        timeout_seconds: f64,
    ) -> Self::Run<Option<(Bytes, Bytes)>> {
        self.query(cmd("BRPOP").args(keys).arg(timeout_seconds))
    }
}

impl<C: Commands> ListCommands for C {}

/// The hash commands.
pub trait HashCommands: Commands {
    /// `HSET key field value [field value ...]`: how many fields were added.
    fn hset<F: ToArg, V: ToArg>(
        self,
        key: impl ToArg,
        pairs: impl IntoIterator<Item = (F, V)>,
    ) -> Self::Run<i64> {
        let hset = cmd("HSET").arg(key);
        self.query(pairs.into_iter().fold(hset, |c, (f, v)| c.arg(f).arg(v)))
    }

    /// `HSETNX key field value`: false if the field existed.
    fn hsetnx(self, key: impl ToArg, field: impl ToArg, value: impl ToArg) -> Self::Run<bool> {
        self.query(cmd("HSETNX").arg(key).arg(field).arg(value))
    }

    /// `HGET key field`.
    fn hget(self, key: impl ToArg, field: impl ToArg) -> Self::Run<Option<Bytes>> {
        self.query(cmd("HGET").arg(key).arg(field))
    }

    /// `HMGET key field...`: one value (or `None`) per field.
    fn hmget<F: ToArg>(
        self,
        key: impl ToArg,
        fields: impl IntoIterator<Item = F>,
    ) -> Self::Run<Vec<Option<Bytes>>> {
        self.query(cmd("HMGET").arg(key).args(fields))
    }

    /// `HGETALL key`: every field and value.
    fn hgetall(self, key: impl ToArg) -> Self::Run<HashMap<Bytes, Bytes>> {
        self.query(cmd("HGETALL").arg(key))
    }

    /// `HDEL key field...`: how many fields were removed.
    fn hdel<F: ToArg>(
        self,
        key: impl ToArg,
        fields: impl IntoIterator<Item = F>,
    ) -> Self::Run<i64> {
        self.query(cmd("HDEL").arg(key).args(fields))
    }

    /// `HEXISTS key field`.
    fn hexists(self, key: impl ToArg, field: impl ToArg) -> Self::Run<bool> {
        self.query(cmd("HEXISTS").arg(key).arg(field))
    }

    /// `HLEN key`.
    fn hlen(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("HLEN").arg(key))
    }

    /// `HKEYS key`.
    fn hkeys(self, key: impl ToArg) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("HKEYS").arg(key))
    }

    /// `HVALS key`.
    fn hvals(self, key: impl ToArg) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("HVALS").arg(key))
    }

    /// `HINCRBY key field delta`: the new value.
    fn hincr_by(self, key: impl ToArg, field: impl ToArg, delta: i64) -> Self::Run<i64> {
        self.query(cmd("HINCRBY").arg(key).arg(field).arg(delta))
    }
}

impl<C: Commands> HashCommands for C {}

/// The set commands.
pub trait SetCommands: Commands {
    /// `SADD key member...`: how many were added.
    fn sadd<M: ToArg>(
        self,
        key: impl ToArg,
        members: impl IntoIterator<Item = M>,
    ) -> Self::Run<i64> {
        self.query(cmd("SADD").arg(key).args(members))
    }

    /// `SREM key member...`: how many were removed.
    fn srem<M: ToArg>(
        self,
        key: impl ToArg,
        members: impl IntoIterator<Item = M>,
    ) -> Self::Run<i64> {
        self.query(cmd("SREM").arg(key).args(members))
    }

    /// `SMEMBERS key`, in no particular order.
    fn smembers(self, key: impl ToArg) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("SMEMBERS").arg(key))
    }

    /// `SISMEMBER key member`.
    fn sismember(self, key: impl ToArg, member: impl ToArg) -> Self::Run<bool> {
        self.query(cmd("SISMEMBER").arg(key).arg(member))
    }

    /// `SCARD key`.
    fn scard(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("SCARD").arg(key))
    }

    /// `SINTER key...`.
    fn sinter<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("SINTER").args(keys))
    }

    /// `SUNION key...`.
    fn sunion<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("SUNION").args(keys))
    }

    /// `SDIFF key...`.
    fn sdiff<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("SDIFF").args(keys))
    }
}

impl<C: Commands> SetCommands for C {}

/// The sorted-set commands.
pub trait SortedSetCommands: Commands {
    /// `ZADD key score member`: how many members were added (0 when the score changed).
    fn zadd(self, key: impl ToArg, score: f64, member: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("ZADD").arg(key).arg(score).arg(member))
    }

    /// `ZADD key score member [score member ...]`: how many members were added.
    fn zadd_multiple<M: ToArg>(
        self,
        key: impl ToArg,
        members: impl IntoIterator<Item = (f64, M)>,
    ) -> Self::Run<i64> {
        let zadd = cmd("ZADD").arg(key);
        self.query(members.into_iter().fold(zadd, |c, (s, m)| c.arg(s).arg(m)))
    }

    /// `ZREM key member...`: how many were removed.
    fn zrem<M: ToArg>(
        self,
        key: impl ToArg,
        members: impl IntoIterator<Item = M>,
    ) -> Self::Run<i64> {
        self.query(cmd("ZREM").arg(key).args(members))
    }

    /// `ZSCORE key member`.
    fn zscore(self, key: impl ToArg, member: impl ToArg) -> Self::Run<Option<f64>> {
        self.query(cmd("ZSCORE").arg(key).arg(member))
    }

    /// `ZINCRBY key delta member`: the new score.
    fn zincrby(self, key: impl ToArg, delta: f64, member: impl ToArg) -> Self::Run<f64> {
        self.query(cmd("ZINCRBY").arg(key).arg(delta).arg(member))
    }

    /// `ZCARD key`.
    fn zcard(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("ZCARD").arg(key))
    }

    /// `ZCOUNT key min max`, bounds as Redis reads them (`-inf`, `(1.5`...).
    fn zcount(self, key: impl ToArg, min: impl ToArg, max: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("ZCOUNT").arg(key).arg(min).arg(max))
    }

    /// `ZRANK key member`: the rank by ascending score, or `None`.
    fn zrank(self, key: impl ToArg, member: impl ToArg) -> Self::Run<Option<i64>> {
        self.query(cmd("ZRANK").arg(key).arg(member))
    }

    /// `ZREVRANK key member`: the rank by descending score, or `None`.
    fn zrevrank(self, key: impl ToArg, member: impl ToArg) -> Self::Run<Option<i64>> {
        self.query(cmd("ZREVRANK").arg(key).arg(member))
    }

    /// `ZRANGE key start stop`: members by rank (inclusive, negative from the end).
    fn zrange(self, key: impl ToArg, start: i64, stop: i64) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("ZRANGE").arg(key).arg(start).arg(stop))
    }

    /// `ZRANGE key start stop WITHSCORES`: members and scores by rank.
    fn zrange_withscores(
        self,
        key: impl ToArg,
        start: i64,
        stop: i64,
    ) -> Self::Run<Vec<(Bytes, f64)>> {
        self.query(
            cmd("ZRANGE")
                .arg(key)
                .arg(start)
                .arg(stop)
                .arg("WITHSCORES"),
        )
    }

    /// `ZRANGEBYSCORE key min max`, bounds as Redis reads them.
    fn zrangebyscore(
        self,
        key: impl ToArg,
        min: impl ToArg,
        max: impl ToArg,
    ) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("ZRANGEBYSCORE").arg(key).arg(min).arg(max))
    }
}

impl<C: Commands> SortedSetCommands for C {}
