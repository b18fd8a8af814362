//! Errors the engine's own functions raise in Lua, and how a raised value reads back.
//!
//! Redis's C functions raise two kinds of Lua errors: a string (`luaL_error`: bad arguments,
//! the sandbox's refusals) and a table `{err = "CODE message"}` (`luaPushError` +
//! `luaError`: what `redis.call` and the rest of the `redis` API raise). mlua cannot raise a
//! plain Lua value from Rust: an error a Rust function returns reaches Lua as a wrapped Rust
//! error. So the engine raises a [`Raise`] and turns it back into the value Redis would have
//! raised wherever Lua code can see an error: the script's error handler, `pcall`, `xpcall`
//! and `coroutine.resume` (see `sandbox.rs`).

use std::fmt;

use mlua::{Lua, Value};

/// An error raised by one of the engine's functions, as Redis would raise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Raise {
    /// A string error (what `luaL_error` raises), exactly as the script sees it.
    Message(Vec<u8>),
    /// A `redis` API error: the table `{err = "CODE message"}`, with
    /// `ignore_error_stats_update` set when the error was already counted in INFO
    /// errorstats (a command's own error reply, or a refusal of `redis.call`).
    Reply {
        /// `CODE message`, without the leading `-`.
        err: Vec<u8>,
        /// Whether INFO errorstats already counted it.
        counted: bool,
    },
}

impl Raise {
    /// A string error.
    pub fn message(text: impl Into<Vec<u8>>) -> Raise {
        Raise::Message(text.into())
    }

    /// A `redis` API error from text in either of the forms Redis's `luaPushError` takes:
    /// `-CODE message` (the code is kept) or `message` (the code is `ERR`). A trailing line
    /// break is dropped.
    pub fn reply(text: &[u8], counted: bool) -> Raise {
        Raise::Reply {
            err: error_table_text(text),
            counted,
        }
    }

    /// This error as an mlua error, to return from a Rust function called by Lua.
    pub fn into_lua_error(self) -> mlua::Error {
        mlua::Error::external(self)
    }

    /// The Lua value Redis would have raised: a string, or a table with `err` (and
    /// `ignore_error_stats_update` when set).
    pub fn to_value(&self, lua: &Lua) -> mlua::Result<Value> {
        match self {
            Raise::Message(text) => Ok(Value::String(lua.create_string(text)?)),
            Raise::Reply { err, counted } => {
                let table = lua.create_table()?;
                table.raw_set("err", lua.create_string(err)?)?;
                if *counted {
                    table.raw_set("ignore_error_stats_update", true)?;
                }
                Ok(Value::Table(table))
            }
        }
    }
}

impl fmt::Display for Raise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raise::Message(text) | Raise::Reply { err: text, .. } => {
                f.write_str(&String::from_utf8_lossy(text))
            }
        }
    }
}

impl std::error::Error for Raise {}

/// The text of an `err` field from Redis's two forms of error text (see [`Raise::reply`]).
pub fn error_table_text(text: &[u8]) -> Vec<u8> {
    let (code, message): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(space) => (&rest[..space], &rest[space + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let message = trim_line_breaks(message);
    let mut err = Vec::with_capacity(code.len() + 1 + message.len());
    err.extend_from_slice(code);
    err.push(b' ');
    err.extend_from_slice(message);
    err
}

/// `text` without the `\r` and `\n` bytes at either end (sds's `sdstrim(s, "\r\n")`).
fn trim_line_breaks(text: &[u8]) -> &[u8] {
    let is_break = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = text.iter().position(|b| !is_break(b)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !is_break(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// The [`Raise`] inside an mlua error, if one of the engine's functions raised it (mlua
/// wraps it once per Rust callback it passed through).
pub fn find_raise(error: &mlua::Error) -> Option<&Raise> {
    match error {
        mlua::Error::CallbackError { cause, .. } => find_raise(cause),
        mlua::Error::ExternalError(inner) => inner.downcast_ref::<Raise>(),
        mlua::Error::WithContext { cause, .. } => find_raise(cause),
        _ => None,
    }
}

/// What Lua code sees of an error that surfaced as a Rust value: the value Redis would have
/// raised for a [`Raise`], the message for the rest (a Lua error that crossed into Rust is
/// already text by then).
pub fn error_to_value(lua: &Lua, error: &mlua::Error) -> mlua::Result<Value> {
    if let Some(raise) = find_raise(error) {
        return raise.to_value(lua);
    }
    let text = match error {
        mlua::Error::RuntimeError(text) | mlua::Error::MemoryError(text) => text.clone(),
        mlua::Error::CallbackError { cause, .. } => return error_to_value(lua, cause),
        mlua::Error::CallbackDestructed => {
            "a script invocation's function was called after the invocation ended".to_string()
        }
        other => other.to_string(),
    };
    Ok(Value::String(lua.create_string(text)?))
}

/// Turns a raised value read back by mlua into the value Redis would show: a wrapped
/// [`Raise`] (or other Rust error) becomes its Lua value, anything else is kept.
pub fn unwrap_raised(lua: &Lua, value: Value) -> mlua::Result<Value> {
    match value {
        Value::Error(error) => error_to_value(lua, &error),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_text_takes_redis_s_two_forms() {
        assert_eq!(
            error_table_text(b"-WRONGTYPE Operation"),
            b"WRONGTYPE Operation"
        );
        assert_eq!(error_table_text(b"-NOSPACE"), b"ERR NOSPACE");
        assert_eq!(error_table_text(b"My message\r\n"), b"ERR My message");
        assert_eq!(error_table_text(b"-ERR x y\r\n"), b"ERR x y");
    }
}
