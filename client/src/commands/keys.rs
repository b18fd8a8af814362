//! The key-space commands, and the connection and server commands applications use.

use bytes::Bytes;

use super::query::Commands;
use crate::command::{cmd, ToArg};

/// Commands on keys of any type, plus `PING`, `ECHO`, `PUBLISH`, `DBSIZE` and `FLUSHDB`.
pub trait KeyCommands: Commands {
    /// `DEL key...`: how many keys existed.
    fn del<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<i64> {
        self.query(cmd("DEL").args(keys))
    }

    /// `UNLINK key...`: how many keys existed.
    fn unlink<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<i64> {
        self.query(cmd("UNLINK").args(keys))
    }

    /// `EXISTS key...`: how many of the keys exist (a key named twice counts twice).
    fn exists<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<i64> {
        self.query(cmd("EXISTS").args(keys))
    }

    /// `EXPIRE key seconds`: false if the key does not exist.
    fn expire(self, key: impl ToArg, seconds: i64) -> Self::Run<bool> {
        self.query(cmd("EXPIRE").arg(key).arg(seconds))
    }

    /// `PEXPIRE key milliseconds`: false if the key does not exist.
    fn pexpire(self, key: impl ToArg, milliseconds: i64) -> Self::Run<bool> {
        self.query(cmd("PEXPIRE").arg(key).arg(milliseconds))
    }

    /// `EXPIREAT key unix-seconds`: false if the key does not exist.
    fn expire_at(self, key: impl ToArg, unix_seconds: i64) -> Self::Run<bool> {
        self.query(cmd("EXPIREAT").arg(key).arg(unix_seconds))
    }

    /// `PERSIST key`: false if the key does not exist or has no time to live.
    fn persist(self, key: impl ToArg) -> Self::Run<bool> {
        self.query(cmd("PERSIST").arg(key))
    }

    /// `TTL key`: seconds left, -1 without expiry, -2 when the key does not exist.
    fn ttl(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("TTL").arg(key))
    }

    /// `PTTL key`: milliseconds left, -1 without expiry, -2 when the key does not exist.
    fn pttl(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("PTTL").arg(key))
    }

    /// `TYPE key`: `string`, `list`, `hash`, `set`, `zset`, or `none`.
    fn key_type(self, key: impl ToArg) -> Self::Run<Bytes> {
        self.query(cmd("TYPE").arg(key))
    }

    /// `RENAME key newkey`.
    fn rename(self, key: impl ToArg, new_key: impl ToArg) -> Self::Run<()> {
        self.query(cmd("RENAME").arg(key).arg(new_key))
    }

    /// `KEYS pattern`: every matching key (use on small databases only).
    fn keys(self, pattern: impl ToArg) -> Self::Run<Vec<Bytes>> {
        self.query(cmd("KEYS").arg(pattern))
    }

    /// `PING`: `PONG`.
    fn ping(self) -> Self::Run<Bytes> {
        self.query(cmd("PING"))
    }

    /// `ECHO message`.
    fn echo(self, message: impl ToArg) -> Self::Run<Bytes> {
        self.query(cmd("ECHO").arg(message))
    }

    /// `PUBLISH channel message`: how many subscribers received it.
    fn publish(self, channel: impl ToArg, message: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("PUBLISH").arg(channel).arg(message))
    }

    /// `DBSIZE`: the number of keys in the selected database.
    fn dbsize(self) -> Self::Run<i64> {
        self.query(cmd("DBSIZE"))
    }

    /// `FLUSHDB`: deletes every key of the selected database.
    fn flushdb(self) -> Self::Run<()> {
        self.query(cmd("FLUSHDB"))
    }
}

impl<C: Commands> KeyCommands for C {}
