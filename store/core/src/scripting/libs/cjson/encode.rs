//! `cjson.encode`: a Lua value as JSON text.
//!
//! The walk is a loop over an explicit stack rather than recursion: the depth limit can be
//! raised far enough to exhaust the thread's stack otherwise. mlua can hold only so many
//! values at once, so the tables being written are copied out (in the one pass Lua CJSON's
//! array test makes) only within a budget; beyond it they are read from Lua as they are
//! written.

use mlua::{Lua, Table, Value};

use super::{Config, ALLOW_INVALID, NULL_FOR_INVALID, REFUSE_INVALID};
use crate::scripting::lauxlib::{
    c_int, error, holds_reference, real_table, stack_has_room, type_name,
};
use crate::scripting::number::format_g;
use crate::scripting::stash::Stash;

/// How many values the open tables may hold copied out, all together.
const HELD_BUDGET: usize = 2048;

/// A table being written.
struct Frame {
    /// What is left to write.
    items: Items,
    /// Items written so far.
    written: usize,
    /// The stack slots the C encoder would be using with this table on top.
    top: usize,
    /// Values `items` holds (towards [`HELD_BUDGET`]).
    held: usize,
}

/// What is left of a table to write.
enum Items {
    /// An array's items, copied out.
    Values(std::vec::IntoIter<Value>),
    /// An array's items 1 to `length`, read from the table; `next` is the one to write next.
    Indexed { length: i64, next: i64 },
    /// An object's pairs, copied out in `lua_next` order.
    Pairs(std::vec::IntoIter<(Value, Value)>),
    /// An object's `count` pairs, copied into a Lua table as `key1, value1, key2, ...`;
    /// `next` is the pair to write next.
    Copied { count: i64, next: i64 },
}

/// Encodes `value` with the settings of `config`.
pub fn encode(lua: &Lua, config: &Config, value: Value) -> mlua::Result<Vec<u8>> {
    let mut encoder = Encoder {
        lua,
        config,
        out: Vec::new(),
    };
    let mut frames: Vec<Frame> = Vec::new();
    // The Lua table the innermost table is read from, when it is not copied out; those of
    // the enclosing ones are put aside.
    let mut inner: Option<Table> = None;
    let mut enclosing = Stash::default();
    let mut held = 0;
    // The value to write next, and the stack slots the C encoder would use with it on top
    // (the argument is the first).
    let mut pending = Some((value, 1));
    loop {
        if let Some((value, top)) = pending.take() {
            match value {
                Value::Table(table) => {
                    let depth = frames.len() + 1;
                    // C also needs 3 free slots to go through a table.
                    if depth > config.encode_max_depth as usize || !stack_has_room(top, 3) {
                        return Err(error(
                            lua,
                            format!("Cannot serialise, excessive nesting ({depth})"),
                        ));
                    }
                    let table = real_table(table)?;
                    let scan = encoder.scan(&table, HELD_BUDGET.saturating_sub(held))?;
                    let frame_held = scan.pairs.as_ref().map_or(0, |_| scan.references);
                    let (items, contents) = items_of(lua, table, scan)?;
                    encoder
                        .out
                        .push(if items_is_array(&items) { b'[' } else { b'{' });
                    if !frames.is_empty() {
                        let parent = inner.take().map_or(Value::Nil, Value::Table);
                        enclosing.push(lua, parent, Value::Nil)?;
                    }
                    inner = contents;
                    held += frame_held;
                    frames.push(Frame {
                        items,
                        written: 0,
                        top,
                        held: frame_held,
                    });
                }
                other => encoder.scalar(other)?,
            }
        }
        let Some(frame) = frames.last_mut() else {
            break;
        };
        let comma = frame.written > 0;
        let top = frame.top;
        let next = match &mut frame.items {
            Items::Values(values) => values.next().map(|value| (None, value)),
            Items::Pairs(pairs) => pairs.next().map(|(key, value)| (Some(key), value)),
            Items::Indexed { length, next } => match &inner {
                Some(table) if *next <= *length => {
                    *next += 1;
                    Some((None, table.raw_get(*next - 1)?))
                }
                _ => None,
            },
            Items::Copied { count, next } => match &inner {
                Some(pairs) if *next <= *count => {
                    *next += 1;
                    let key = pairs.raw_get(2 * *next - 3)?;
                    Some((Some(key), pairs.raw_get(2 * *next - 2)?))
                }
                _ => None,
            },
        };
        match next {
            Some((key, value)) => {
                frame.written += 1;
                if comma {
                    encoder.out.push(b',');
                }
                match key {
                    None => pending = Some((value, top + 1)),
                    Some(key) => {
                        encoder.key(key)?;
                        // C has the key and the value on top of the table.
                        pending = Some((value, top + 2));
                    }
                }
            }
            None => {
                let array = items_is_array(&frame.items);
                encoder.out.push(if array { b']' } else { b'}' });
                held -= frame.held;
                frames.pop();
                inner = None;
                if !frames.is_empty() {
                    if let (Value::Table(parent), _) = enclosing.pop()? {
                        inner = Some(parent);
                    }
                }
            }
        }
    }
    Ok(encoder.out)
}

/// Whether `items` are an array's.
fn items_is_array(items: &Items) -> bool {
    matches!(items, Items::Values(_) | Items::Indexed { .. })
}

/// What to write of a table, from its scan: its items copied out when the scan copied them
/// (and the array is not too sparse for a copy), else read from Lua, with the Lua table
/// they are read from.
fn items_of(lua: &Lua, table: Table, scan: Scan) -> mlua::Result<(Items, Option<Table>)> {
    if scan.length > 0 {
        let length = scan.length as usize;
        if let Some(pairs) = scan.pairs.filter(|pairs| length <= 2 * pairs.len() + 16) {
            let mut values = vec![Value::Nil; length];
            for (key, value) in pairs {
                let index = match key {
                    Value::Integer(key) => key as f64,
                    Value::Number(key) => key,
                    _ => continue,
                };
                // Keys past the length (which C's int cannot hold) are not written.
                if index >= 1.0 && index <= length as f64 {
                    values[index as usize - 1] = value;
                }
            }
            return Ok((Items::Values(values.into_iter()), None));
        }
        let items = Items::Indexed {
            length: scan.length,
            next: 1,
        };
        return Ok((items, Some(table)));
    }
    match scan.pairs {
        Some(pairs) => Ok((Items::Pairs(pairs.into_iter()), None)),
        None => {
            let (pairs, count) = pairs_of(lua, &table)?;
            Ok((Items::Copied { count, next: 1 }, Some(pairs)))
        }
    }
}

/// What Lua CJSON's array test makes of a table: the largest key of an array, or a
/// number below 1 for an object. Also the table's pairs, when they fit the budget.
struct Scan {
    length: i64,
    pairs: Option<Vec<(Value, Value)>>,
    /// Values in `pairs` mlua holds through a reference.
    references: usize,
}

/// The pairs of `table` in `lua_next` order, as a sequence `key1, value1, key2, ...`, and
/// how many there are.
fn pairs_of(lua: &Lua, table: &Table) -> mlua::Result<(Table, i64)> {
    let pairs = lua.create_table()?;
    let mut count = 0;
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair?;
        pairs.raw_set(2 * count + 1, key)?;
        pairs.raw_set(2 * count + 2, value)?;
        count += 1;
    }
    Ok((pairs, count))
}

/// The output being built, and what decides it.
struct Encoder<'a> {
    lua: &'a Lua,
    config: &'a Config,
    out: Vec<u8>,
}

impl Encoder<'_> {
    /// The error for a value that cannot be written.
    fn refuse(&self, value: &Value, reason: &str) -> mlua::Error {
        error(
            self.lua,
            format!("Cannot serialise {}: {reason}", type_name(value)),
        )
    }

    /// Writes a value that is not a table.
    fn scalar(&mut self, value: Value) -> mlua::Result<()> {
        match &value {
            Value::String(text) => self.string(&text.as_bytes()),
            Value::Integer(number) => self.number(*number as f64)?,
            Value::Number(number) => self.number(*number)?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(pointer) if pointer.0.is_null() => {
                self.out.extend_from_slice(b"null")
            }
            _ => return Err(self.refuse(&value, "type not supported")),
        }
        Ok(())
    }

    /// Writes an object key and its colon: numbers are written as strings.
    fn key(&mut self, key: Value) -> mlua::Result<()> {
        let number = match &key {
            Value::String(text) => {
                self.string(&text.as_bytes());
                self.out.push(b':');
                return Ok(());
            }
            Value::Integer(number) => *number as f64,
            Value::Number(number) => *number,
            _ => return Err(self.refuse(&key, "table key must be a number or string")),
        };
        self.out.push(b'"');
        self.number(number)?;
        self.out.extend_from_slice(b"\":");
        Ok(())
    }

    /// Writes a number with the configured precision, or what the settings say for NaN and
    /// the infinities.
    fn number(&mut self, number: f64) -> mlua::Result<()> {
        match self.config.encode_invalid {
            REFUSE_INVALID if !number.is_finite() => {
                return Err(self.refuse(&Value::Number(number), "must not be NaN or Inf"));
            }
            ALLOW_INVALID if number.is_nan() => {
                // Whatever its sign (printf would write "-nan" for a negative one).
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            NULL_FOR_INVALID if !number.is_finite() => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        let text = format_g(number, self.config.precision.clamp(1, 14) as usize);
        self.out.extend_from_slice(text.as_bytes());
        Ok(())
    }

    /// Writes a string in quotes, escaping what Lua CJSON escapes: the control characters,
    /// DEL, `"`, `\` and `/`. Other bytes go through as they are (UTF-8 or not).
    fn string(&mut self, text: &[u8]) {
        self.out.reserve(text.len() + 2);
        self.out.push(b'"');
        for &byte in text {
            match byte {
                b'"' => self.out.extend_from_slice(b"\\\""),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'/' => self.out.extend_from_slice(b"\\/"),
                b'\x08' => self.out.extend_from_slice(b"\\b"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\x0c' => self.out.extend_from_slice(b"\\f"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                0..=0x1f | 0x7f => {
                    self.out
                        .extend_from_slice(format!("\\u{byte:04x}").as_bytes());
                }
                _ => self.out.push(byte),
            }
        }
        self.out.push(b'"');
    }

    /// Lua CJSON's test for an array: every key a positive integer. An array too sparse
    /// for the settings is refused, or made an object when they say so. The pairs are
    /// copied out on the way while they hold at most `room` values.
    fn scan(&self, table: &Table, room: usize) -> mlua::Result<Scan> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        let mut array = true;
        let mut pairs = Some(Vec::new());
        let mut references = 0;
        for pair in table.pairs::<Value, Value>() {
            let (key, value) = pair?;
            if array {
                let number = match key {
                    Value::Integer(key) => Some(key as f64),
                    Value::Number(key) => Some(key),
                    _ => None,
                };
                match number {
                    Some(key) if key != 0.0 && key.floor() == key && key >= 1.0 => {
                        // C keeps the largest key in an `int`: a larger one lands on INT_MIN.
                        if key > f64::from(max) {
                            max = c_int(key);
                        }
                        items += 1;
                    }
                    _ => array = false,
                }
            }
            match &mut pairs {
                Some(list) => {
                    references += usize::from(holds_reference(&key));
                    references += usize::from(holds_reference(&value));
                    if references > room {
                        pairs = None;
                    } else {
                        list.push((key, value));
                    }
                }
                None if !array => break,
                None => {}
            }
        }
        let config = self.config;
        if array
            && config.sparse_ratio > 0
            && max > items.wrapping_mul(config.sparse_ratio)
            && max > config.sparse_safe
        {
            if config.sparse_convert == 0 {
                return Err(self.refuse(&Value::Table(table.clone()), "excessively sparse array"));
            }
            array = false;
        }
        Ok(Scan {
            length: if array { i64::from(max) } else { -1 },
            pairs,
            references,
        })
    }
}
