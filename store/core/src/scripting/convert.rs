//! Conversion between RESP and Lua, both ways, exactly as Redis 7.0 converts.
//!
//! A command's reply is decoded for `redis.call` (`decode_reply`; `raw_call.rs` pushes it);
//! what a script returns becomes the reply its caller gets (`ReplyWriter`).

use bytes::BytesMut;
use mlua::{Function, Lua, Table, Value};
use radish_resp::{self as resp, Frame, Version};

use super::number::{c_long, number_argument};
use super::stash::Stash;

/// How deep `write_lua_reply` follows nested tables before it gives up with Redis's
/// "reached lua stack limit" (Redis runs out of Lua stack slots, `LUAI_MAXCSTACK`, one per
/// level, with a few in use below).
const MAX_REPLY_DEPTH: usize = 7996;

/// Decodes what a command wrote in the script's protocol: RESP2's null bulk string becomes
/// `false` like its null array, which the RESP3 decoder cannot tell from RESP3's null.
pub(super) fn decode_reply(reply: BytesMut, version: Version) -> Option<Frame> {
    if version == Version::Resp2 && reply.starts_with(b"$-1\r\n") {
        return Some(Frame::NullArray);
    }
    let mut buf = reply;
    let frame = resp::Decoder::new().decode(&mut buf).ok().flatten()?;
    Some(match version {
        Version::Resp2 => resp2_nulls_false(frame),
        Version::Resp3 => frame,
    })
}

/// In a RESP2 reply every null is `false` to Lua, nested ones included.
fn resp2_nulls_false(frame: Frame) -> Frame {
    match frame {
        Frame::Null => Frame::NullArray,
        Frame::Array(items) => Frame::Array(items.into_iter().map(resp2_nulls_false).collect()),
        other => other,
    }
}

/// What a script's return value becomes for its caller, who reads `caller` RESP; `script`
/// is the protocol the script chose with `redis.setresp` (it decides how booleans go out).
pub struct ReplyWriter<'o> {
    /// Where the reply goes.
    pub out: &'o mut BytesMut,
    /// The caller's protocol.
    pub caller: Version,
    /// The script's protocol.
    pub script: Version,
    /// The error replies written (the reply may nest them), and whether INFO errorstats
    /// counted each already: the caller counts the others, and the call failed if any.
    pub errors: Vec<(Vec<u8>, bool)>,
    /// Lua's own `next`, to walk maps and sets in Lua's order.
    pub next: Function,
}

/// How a table being written is walked.
#[derive(Clone, Copy)]
enum Walk {
    /// An array: `t[1]`... `t[len]`; the cursor is the last index written.
    Array { len: i64 },
    /// A map: key, then value; the cursor is the last key.
    Map { value_next: bool },
    /// A set: its keys; the cursor is the last key.
    Set,
}

impl ReplyWriter<'_> {
    /// Writes `value` as Redis's `luaReplyToRedisReply` does: a string as a bulk string, a
    /// number as an integer (truncated), a boolean as `:1`/null (RESP2 script) or a boolean
    /// (RESP3 script), a table by its single field (`err`, `ok`, `double`, `big_number`,
    /// `verbatim_string`, `map`, `set`) or else as an array up to its first nil, anything
    /// else as null. Nested tables are walked without recursion, however deep.
    pub fn write(&mut self, lua: &Lua, value: Value) -> mlua::Result<()> {
        // The tables being written, innermost last: each with where its walk is. The
        // innermost stays here; the others are put aside (see `Stash`).
        let mut current: Option<(Table, Value, Walk)> = None;
        let mut outer = Stash::default();
        let mut walks: Vec<Walk> = Vec::new();
        if let Some(frame) = self.write_value(value, 0)? {
            current = Some(frame);
        }
        while let Some((table, cursor, walk)) = current.take() {
            let (item, cursor, walk) = match walk {
                Walk::Array { len } => {
                    let index = match cursor {
                        Value::Integer(index) => index + 1,
                        _ => 1,
                    };
                    if index > len {
                        (None, cursor, walk)
                    } else {
                        let item: Value = table.raw_get(index)?;
                        (Some(item), Value::Integer(index), walk)
                    }
                }
                Walk::Map { value_next: true } => {
                    let item: Value = table.raw_get(cursor.clone())?;
                    (Some(item), cursor, Walk::Map { value_next: false })
                }
                Walk::Map { value_next: false } | Walk::Set => {
                    let (key, _): (Value, Value) = self.next.call((&table, cursor))?;
                    let walk = match walk {
                        Walk::Map { .. } => Walk::Map { value_next: true },
                        other => other,
                    };
                    match key {
                        Value::Nil => (None, Value::Nil, walk),
                        key => (Some(key.clone()), key, walk),
                    }
                }
            };
            let Some(item) = item else {
                // This table is done: back to the one holding it.
                if let Some(walk) = walks.pop() {
                    let (table, cursor) = outer.pop()?;
                    if let Value::Table(table) = table {
                        current = Some((table, cursor, walk));
                    }
                }
                continue;
            };
            let depth = walks.len() + 1;
            match self.write_value(item, depth)? {
                Some(inner) => {
                    walks.push(walk);
                    outer.push(lua, Value::Table(table), cursor)?;
                    current = Some(inner);
                }
                None => current = Some((table, cursor, walk)),
            }
        }
        Ok(())
    }

    /// Writes a value, or the header of a table's aggregate and returns the table to walk.
    fn write_value(
        &mut self,
        value: Value,
        depth: usize,
    ) -> mlua::Result<Option<(Table, Value, Walk)>> {
        match value {
            Value::String(text) => resp::write_bulk(self.out, &text.as_bytes()),
            Value::Boolean(true) if self.script == Version::Resp2 => {
                resp::write_integer(self.out, 1)
            }
            Value::Boolean(false) if self.script == Version::Resp2 => {
                resp::write_null(self.out, self.caller)
            }
            Value::Boolean(value) => resp::write_boolean(self.out, value, self.caller),
            Value::Integer(value) => resp::write_integer(self.out, c_long(value as f64)),
            Value::Number(value) => resp::write_integer(self.out, c_long(value)),
            Value::Table(table) if depth >= MAX_REPLY_DEPTH => {
                drop(table);
                resp::write_error(self.out, b"ERR reached lua stack limit");
                self.errors
                    .push((b"ERR reached lua stack limit".to_vec(), false));
            }
            Value::Table(table) => return self.write_table(table),
            _ => resp::write_null(self.out, self.caller),
        }
        Ok(None)
    }

    /// Writes a table by its single field, or the header of what it holds (and returns it
    /// to walk).
    fn write_table(&mut self, table: Table) -> mlua::Result<Option<(Table, Value, Walk)>> {
        if let Value::String(err) = table.raw_get::<Value>("err")? {
            let line = one_line(&err.as_bytes());
            resp::write_error(self.out, &line);
            let counted = matches!(
                table.raw_get::<Value>("ignore_error_stats_update")?,
                Value::Boolean(true)
            );
            self.errors.push((line, counted));
            return Ok(None);
        }
        if let Value::String(ok) = table.raw_get::<Value>("ok")? {
            resp::write_simple(self.out, &one_line(&ok.as_bytes()));
            return Ok(None);
        }
        match table.raw_get::<Value>("double")? {
            Value::Number(value) => {
                write_double(self.out, value, self.caller);
                return Ok(None);
            }
            Value::Integer(value) => {
                write_double(self.out, value as f64, self.caller);
                return Ok(None);
            }
            _ => {}
        }
        if let Value::String(digits) = table.raw_get::<Value>("big_number")? {
            let digits = one_line(&digits.as_bytes());
            match self.caller {
                Version::Resp3 => {
                    self.out.extend_from_slice(b"(");
                    self.out.extend_from_slice(&digits);
                    self.out.extend_from_slice(b"\r\n");
                }
                Version::Resp2 => resp::write_bulk(self.out, &digits),
            }
            return Ok(None);
        }
        if let Value::Table(verbatim) = table.raw_get::<Value>("verbatim_string")? {
            if let (Value::String(format), Value::String(text)) = (
                verbatim.raw_get::<Value>("format")?,
                verbatim.raw_get::<Value>("string")?,
            ) {
                let format = format.as_bytes();
                let mut ext = [b' '; 3];
                for (slot, byte) in ext.iter_mut().zip(format.iter()) {
                    *slot = *byte;
                }
                resp::write_verbatim(self.out, &ext, &text.as_bytes(), self.caller);
                return Ok(None);
            }
        }
        if let Value::Table(map) = table.raw_get::<Value>("map")? {
            let pairs = self.count_keys(&map)?;
            resp::write_map_len(self.out, pairs, self.caller);
            return Ok(Some((map, Value::Nil, Walk::Map { value_next: false })));
        }
        if let Value::Table(set) = table.raw_get::<Value>("set")? {
            let members = self.count_keys(&set)?;
            resp::write_set_len(self.out, members, self.caller);
            return Ok(Some((set, Value::Nil, Walk::Set)));
        }
        let mut len = 0;
        while !table.raw_get::<Value>(len + 1)?.is_nil() {
            len += 1;
        }
        resp::write_array_len(self.out, len as usize);
        Ok(Some((table, Value::Nil, Walk::Array { len })))
    }

    /// Number of keys of a table, in one walk with Lua's `next`.
    fn count_keys(&self, table: &Table) -> mlua::Result<usize> {
        let mut count = 0;
        let mut key = Value::Nil;
        loop {
            let (next, _): (Value, Value) = self.next.call((table, key))?;
            if next.is_nil() {
                return Ok(count);
            }
            count += 1;
            key = next;
        }
    }
}

/// A double as Redis 7.0 writes one: `%.17g` text, as a bulk string in RESP2.
pub fn write_double(out: &mut BytesMut, value: f64, version: Version) {
    resp::write_double_text(out, &number_argument(value), version);
}

/// Text for a one-line reply (a status, an error, a big number): line breaks become
/// spaces, as Redis's `sdsmapchars(s, "\r\n", "  ")` makes them.
pub fn one_line(text: &[u8]) -> Vec<u8> {
    text.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}
