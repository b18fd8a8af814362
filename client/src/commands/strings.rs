//! The string commands, and SET's options.

use bytes::Bytes;

use super::query::Commands;
use crate::command::{cmd, Cmd, ToArg};

/// When a key set by [`StringCommands::set_with`] expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// `EX`: after this many seconds.
    Seconds(u64),
    /// `PX`: after this many milliseconds.
    Millis(u64),
    /// `EXAT`: at this Unix time in seconds.
    AtSeconds(u64),
    /// `PXAT`: at this Unix time in milliseconds.
    AtMillis(u64),
    /// `KEEPTTL`: keep the key's current time to live.
    Keep,
}

/// When [`StringCommands::set_with`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `NX`: only if the key does not exist.
    NotExists,
    /// `XX`: only if the key exists.
    Exists,
}

/// The options of `SET`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// When the key expires; `None` removes any time to live.
    pub expiry: Option<Expiry>,
    /// When to write; `None` always writes.
    pub condition: Option<Condition>,
}

impl SetOptions {
    /// Expires after `seconds`.
    pub fn ex(seconds: u64) -> SetOptions {
        SetOptions {
            expiry: Some(Expiry::Seconds(seconds)),
            condition: None,
        }
    }

    /// Writes only if the key does not exist.
    pub fn nx() -> SetOptions {
        SetOptions {
            expiry: None,
            condition: Some(Condition::NotExists),
        }
    }

    fn apply(self, mut cmd: Cmd) -> Cmd {
        cmd = match self.expiry {
            None => cmd,
            Some(Expiry::Seconds(n)) => cmd.arg("EX").arg(n),
            Some(Expiry::Millis(n)) => cmd.arg("PX").arg(n),
            Some(Expiry::AtSeconds(n)) => cmd.arg("EXAT").arg(n),
            Some(Expiry::AtMillis(n)) => cmd.arg("PXAT").arg(n),
            Some(Expiry::Keep) => cmd.arg("KEEPTTL"),
        };
        match self.condition {
            None => cmd,
            Some(Condition::NotExists) => cmd.arg("NX"),
            Some(Condition::Exists) => cmd.arg("XX"),
        }
    }
}

/// The string commands.
pub trait StringCommands: Commands {
    /// `GET key`: the value, or `None` when the key does not exist.
    fn get(self, key: impl ToArg) -> Self::Run<Option<Bytes>> {
        self.query(cmd("GET").arg(key))
    }

    /// `SET key value`.
    fn set(self, key: impl ToArg, value: impl ToArg) -> Self::Run<()> {
        self.query(cmd("SET").arg(key).arg(value))
    }

    /// `SET key value [EX|PX|EXAT|PXAT|KEEPTTL] [NX|XX]`: true if the value was written
    /// (false when NX or XX prevented it).
    fn set_with(self, key: impl ToArg, value: impl ToArg, options: SetOptions) -> Self::Run<bool> {
        self.query(options.apply(cmd("SET").arg(key).arg(value)))
    }

    /// `SET key value [options] GET`: the old value (`None` if there was none).
    fn set_get(
        self,
        key: impl ToArg,
        value: impl ToArg,
        options: SetOptions,
    ) -> Self::Run<Option<Bytes>> {
        self.query(options.apply(cmd("SET").arg(key).arg(value)).arg("GET"))
    }

    /// `GETDEL key`: the value, deleting the key.
    fn getdel(self, key: impl ToArg) -> Self::Run<Option<Bytes>> {
        self.query(cmd("GETDEL").arg(key))
    }

    /// `MGET key...`: one value (or `None`) per key.
    fn mget<K: ToArg>(self, keys: impl IntoIterator<Item = K>) -> Self::Run<Vec<Option<Bytes>>> {
        self.query(cmd("MGET").args(keys))
    }

    /// `MSET key value [key value ...]`.
    fn mset<K: ToArg, V: ToArg>(self, pairs: impl IntoIterator<Item = (K, V)>) -> Self::Run<()> {
        self.query(
            pairs
                .into_iter()
                .fold(cmd("MSET"), |c, (k, v)| c.arg(k).arg(v)),
        )
    }

    /// `INCR key`: the new value.
    fn incr(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("INCR").arg(key))
    }

    /// `INCRBY key delta`: the new value.
    fn incr_by(self, key: impl ToArg, delta: i64) -> Self::Run<i64> {
        self.query(cmd("INCRBY").arg(key).arg(delta))
    }

    /// `DECR key`: the new value.
    fn decr(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("DECR").arg(key))
    }

    /// `DECRBY key delta`: the new value.
    fn decr_by(self, key: impl ToArg, delta: i64) -> Self::Run<i64> {
        self.query(cmd("DECRBY").arg(key).arg(delta))
    }

    /// `INCRBYFLOAT key delta`: the new value.
    fn incr_by_float(self, key: impl ToArg, delta: f64) -> Self::Run<f64> {
        self.query(cmd("INCRBYFLOAT").arg(key).arg(delta))
    }

    /// `APPEND key value`: the new length.
    fn append(self, key: impl ToArg, value: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("APPEND").arg(key).arg(value))
    }

    /// `STRLEN key`.
    fn strlen(self, key: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("STRLEN").arg(key))
    }

    /// `GETRANGE key start end` (inclusive, negative from the end).
    fn getrange(self, key: impl ToArg, start: i64, end: i64) -> Self::Run<Bytes> {
        self.query(cmd("GETRANGE").arg(key).arg(start).arg(end))
    }

    /// `SETRANGE key offset value`: the new length.
    fn setrange(self, key: impl ToArg, offset: u64, value: impl ToArg) -> Self::Run<i64> {
        self.query(cmd("SETRANGE").arg(key).arg(offset).arg(value))
    }
}

impl<C: Commands> StringCommands for C {}
