//! `cmsgpack`: MessagePack for Lua (lua-cmsgpack 0.4.0, as Redis embeds it).
//!
//! Numbers that are integers (within 64 bits) are packed as the smallest MessagePack integer
//! that holds them, others as a 32-bit float when that is exact, else a 64-bit one. A table
//! whose keys are exactly 1 to n is packed as an array, any other as a map; tables nested
//! deeper than 16 are packed as nil (so that cycles end). Unpacking reads a stream of
//! values.

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lauxlib::{
    arg_error, c_int, c_long, can_return, check_integer, check_string, error, holds_reference,
    opt_integer, plain_error, real_table, stack_has_room, REFERENCE_BUDGET,
};
use crate::scripting::stash::Stash;

/// Tables nested deeper than this are packed as nil.
const MAX_NESTING: usize = 16;

/// Why unpacking needs more room than C's stack has, when unpacking too many values.
const TOO_MANY_VALUES: &str =
    "too many return values at once; use unpack_one or unpack_limit instead.";

/// The `cmsgpack` table, its fields set in the order lua-cmsgpack sets them.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let cmsgpack = lua.create_table()?;
    cmsgpack.raw_set("pack", lua.create_function(pack)?)?;
    cmsgpack.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            // Extra arguments stay on C's stack.
            unpack_full(lua, &args, 0, 0, args.len())
        })?,
    )?;
    cmsgpack.raw_set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let offset = opt_integer(lua, &args, 2, 0)?;
            unpack_full(lua, &args, 1, offset, 1)
        })?,
    )?;
    cmsgpack.raw_set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let limit = check_integer(lua, &args, 2)?;
            let offset = opt_integer(lua, &args, 3, 0)?;
            unpack_full(lua, &args, limit, offset, 1)
        })?,
    )?;
    cmsgpack.raw_set("_NAME", "cmsgpack")?;
    cmsgpack.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    cmsgpack.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    cmsgpack.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(cmsgpack)
}

/// `cmsgpack.pack(...)`: the arguments packed one after the other.
fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let count = args.len();
    if count == 0 {
        return Err(arg_error(lua, 0, "MessagePack pack needs input."));
    }
    // C keeps each argument's encoding on its stack until it joins them.
    if !stack_has_room(count, count) {
        return Err(arg_error(
            lua,
            0,
            "Too many arguments for MessagePack pack.",
        ));
    }
    let mut out = Vec::new();
    for (index, value) in args.iter().enumerate() {
        let top = count + index;
        if !stack_has_room(top, 1) {
            return Err(error(lua, "stack overflow (in function mp_check)"));
        }
        encode(lua, &mut out, value, 0, top + 1)?;
    }
    lua.create_string(out)
}

/// Packs `value`, nested `level` tables deep, with C's stack at `top` slots (the value
/// being the last).
fn encode(
    lua: &Lua,
    out: &mut Vec<u8>,
    value: &Value,
    level: usize,
    top: usize,
) -> mlua::Result<()> {
    match value {
        Value::String(text) => encode_bytes(out, &text.as_bytes()),
        Value::Boolean(true) => out.push(0xc3),
        Value::Boolean(false) => out.push(0xc2),
        Value::Integer(number) => encode_number(out, *number as f64),
        Value::Number(number) => encode_number(out, *number),
        Value::Table(table) if level < MAX_NESTING => {
            encode_table(lua, out, real_table(table.clone())?, level, top)?
        }
        // Nil, functions, userdata, threads and tables nested too deep.
        _ => out.push(0xc0),
    }
    Ok(())
}

/// A string's header (fixstr, str 8, 16 or 32) and bytes.
fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = bytes.len();
    if length < 32 {
        out.push(0xa0 | length as u8);
    } else if length <= 0xff {
        out.extend_from_slice(&[0xd9, length as u8]);
    } else if length <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(length as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(length as u32).to_be_bytes());
    }
    out.extend_from_slice(bytes);
}

/// A number: an integer when it is one within 64 bits, else a float.
fn encode_number(out: &mut Vec<u8>, number: f64) {
    let integer = c_long(number);
    if !number.is_infinite() && integer as f64 == number {
        encode_integer(out, integer);
    } else if f64::from(number as f32) == number {
        out.push(0xca);
        out.extend_from_slice(&(number as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&number.to_be_bytes());
    }
}

/// An integer in the smallest form that holds it.
fn encode_integer(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A collection header: the fix form for up to 15 items, else 16 or 32 bits of count.
fn encode_header(out: &mut Vec<u8>, count: u64, fix: u8, wide: u8) {
    if count <= 15 {
        out.push(fix | count as u8);
    } else if count <= 0xffff {
        out.push(wide);
        out.extend_from_slice(&(count as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(count as u32).to_be_bytes());
    }
}

/// A table: an array when its keys are exactly 1 to n, else a map (keys and values
/// alternating, in `lua_next` order).
fn encode_table(
    lua: &Lua,
    out: &mut Vec<u8>,
    table: Table,
    level: usize,
    top: usize,
) -> mlua::Result<()> {
    if !stack_has_room(top, 2) {
        return Err(error(lua, "stack overflow (in function table_is_an_array)"));
    }
    if is_array(&table)? {
        let length = table.raw_len();
        encode_header(out, length as u64, 0x90, 0xdc);
        if !stack_has_room(top, 1) {
            return Err(error(
                lua,
                "stack overflow (in function mp_encode_lua_table_as_array)",
            ));
        }
        for index in 1..=length {
            let item: Value = table.raw_get(index)?;
            encode(lua, out, &item, level + 1, top + 1)?;
        }
    } else {
        if !stack_has_room(top, 3) {
            return Err(error(
                lua,
                "stack overflow (in function mp_encode_lua_table_as_map)",
            ));
        }
        let count = table.pairs::<Value, Value>().count();
        encode_header(out, count as u64, 0x80, 0xde);
        for pair in table.pairs::<Value, Value>() {
            let (key, value) = pair?;
            // C copies the key over the key and the value to encode it.
            encode(lua, out, &key, level + 1, top + 3)?;
            encode(lua, out, &value, level + 1, top + 2)?;
        }
    }
    Ok(())
}

/// Whether the keys of `table` are exactly 1 to n: all positive integers that fit in an
/// `int`, the largest equal to their count. The empty table is an array.
fn is_array(table: &Table) -> mlua::Result<bool> {
    let mut count: i32 = 0;
    let mut max: i32 = 0;
    for pair in table.pairs::<Value, Value>() {
        let key = match pair?.0 {
            Value::Integer(key) => key as f64,
            Value::Number(key) => key,
            _ => return Ok(false),
        };
        if key <= 0.0 || key.is_infinite() || f64::from(c_int(key)) != key {
            return Ok(false);
        }
        max = max.max(c_int(key));
        count += 1;
    }
    Ok(max == count)
}

/// Why unpacking stopped short.
enum Failure {
    /// The input ends in the middle of a value.
    MissingBytes,
    /// A byte that starts no value lua-cmsgpack reads (bin, ext and the unused 0xc1).
    BadFormat,
    /// A Lua error (raised at once, as in C).
    Lua(mlua::Error),
}

impl From<mlua::Error> for Failure {
    fn from(error: mlua::Error) -> Failure {
        Failure::Lua(error)
    }
}

/// Unpacks values from argument 1 from byte `offset`: all of them when `limit` and
/// `offset` are 0, else up to `limit` of them, after the offset to continue from (-1 at
/// the end). `top` is how many slots C's stack starts with.
fn unpack_full(
    lua: &Lua,
    args: &MultiValue,
    limit: i64,
    offset: i64,
    mut top: usize,
) -> mlua::Result<MultiValue> {
    let text = check_string(lua, args, 1)?;
    let data = text.as_bytes();
    let length = data.len();
    let everything = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // lua-cmsgpack reports the input's length as the limit.
        return Err(error(
            lua,
            format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32, length as i32
            ),
        ));
    }
    if offset as u64 > length as u64 {
        return Err(error(
            lua,
            format!(
                "Start offset {} greater than input length {}.",
                offset as i32, length as i32
            ),
        ));
    }
    let limit = if everything {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut cursor = Cursor {
        data: &data,
        at: offset as usize,
    };
    let mut values = MultiValue::new();
    let mut references = args.iter().filter(|value| holds_reference(value)).count();
    while cursor.left() > 0 && (values.len() as i64) < limit {
        if references >= REFERENCE_BUDGET {
            return Err(error(lua, format!("stack overflow ({TOO_MANY_VALUES})")));
        }
        match decode(lua, &mut cursor, top) {
            Ok(value) => {
                references += usize::from(holds_reference(&value));
                values.push_back(value);
            }
            Err(Failure::MissingBytes) => return Err(error(lua, "Missing bytes in input.")),
            Err(Failure::BadFormat) => return Err(error(lua, "Bad data format in input.")),
            Err(Failure::Lua(error)) => return Err(error),
        }
        top += 1;
    }
    if !everything {
        if !stack_has_room(top, 1) {
            return Err(error(lua, "stack overflow (in function mp_unpack_full)"));
        }
        let next = if cursor.left() == 0 {
            -1
        } else {
            cursor.at as i64
        };
        values.push_front(Value::Integer(next));
    }
    if !can_return(args.len(), values.len()) {
        return Err(error(lua, format!("stack overflow ({TOO_MANY_VALUES})")));
    }
    Ok(values)
}

/// The input, and how far it has been read.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Bytes not read yet.
    fn left(&self) -> usize {
        self.data.len() - self.at
    }

    /// Fails unless `count` more bytes are there.
    fn need(&self, count: usize) -> Result<(), Failure> {
        if self.left() < count {
            return Err(Failure::MissingBytes);
        }
        Ok(())
    }

    /// The `N` bytes after the current one (whose presence was checked).
    fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut bytes = [0; N];
        bytes.copy_from_slice(&self.data[self.at + 1..self.at + 1 + N]);
        bytes
    }

    /// `header` bytes of header, then a string of `length` bytes.
    fn string(&mut self, lua: &Lua, header: usize, length: usize) -> Result<Item, Failure> {
        self.need(header)?;
        self.at += header;
        self.need(length)?;
        let text = lua.create_string(&self.data[self.at..self.at + length])?;
        self.at += length;
        Ok(Item::Value(Value::String(text)))
    }

    /// A collection's header of `header` bytes, then its count.
    fn collection(&mut self, header: usize, count: u64, map: bool) -> Result<Item, Failure> {
        self.need(header)?;
        self.at += header;
        Ok(if map {
            Item::Map(count)
        } else {
            Item::Array(count)
        })
    }

    /// A value of `size` bytes including its type byte.
    fn number(
        &mut self,
        size: usize,
        read: impl FnOnce(&Cursor<'_>) -> f64,
    ) -> Result<Item, Failure> {
        self.need(size)?;
        let number = read(self);
        self.at += size;
        Ok(Item::Value(Value::Number(number)))
    }
}

/// What starts at the cursor: a whole value, or the header of an array or map of so many
/// items.
enum Item {
    Value(Value),
    Array(u64),
    Map(u64),
}

/// Reads the item at the cursor (there is at least one byte).
fn item(lua: &Lua, cursor: &mut Cursor<'_>) -> Result<Item, Failure> {
    let byte = cursor.data[cursor.at];
    let simple = |cursor: &mut Cursor<'_>, value: Value| {
        cursor.at += 1;
        Ok(Item::Value(value))
    };
    match byte {
        0x00..=0x7f => simple(cursor, Value::Number(f64::from(byte))),
        0xe0..=0xff => simple(cursor, Value::Number(f64::from(byte as i8))),
        0xc0 => simple(cursor, Value::Nil),
        0xc2 => simple(cursor, Value::Boolean(false)),
        0xc3 => simple(cursor, Value::Boolean(true)),
        0xcc => cursor.number(2, |c| f64::from(c.bytes::<1>()[0])),
        0xd0 => cursor.number(2, |c| f64::from(c.bytes::<1>()[0] as i8)),
        0xcd => cursor.number(3, |c| f64::from(u16::from_be_bytes(c.bytes()))),
        0xd1 => cursor.number(3, |c| f64::from(i16::from_be_bytes(c.bytes()))),
        0xce => cursor.number(5, |c| f64::from(u32::from_be_bytes(c.bytes()))),
        0xd2 => cursor.number(5, |c| f64::from(i32::from_be_bytes(c.bytes()))),
        // lua-cmsgpack pushes a uint 64 as a signed Lua integer.
        0xcf => cursor.number(9, |c| u64::from_be_bytes(c.bytes()) as i64 as f64),
        0xd3 => cursor.number(9, |c| i64::from_be_bytes(c.bytes()) as f64),
        0xca => cursor.number(5, |c| f64::from(f32::from_be_bytes(c.bytes()))),
        0xcb => cursor.number(9, |c| f64::from_be_bytes(c.bytes())),
        0xa0..=0xbf => cursor.string(lua, 1, usize::from(byte & 0x1f)),
        0xd9 => {
            cursor.need(2)?;
            let length = usize::from(cursor.bytes::<1>()[0]);
            cursor.string(lua, 2, length)
        }
        0xda => {
            cursor.need(3)?;
            let length = usize::from(u16::from_be_bytes(cursor.bytes()));
            cursor.string(lua, 3, length)
        }
        0xdb => {
            cursor.need(5)?;
            let length = u32::from_be_bytes(cursor.bytes()) as usize;
            cursor.string(lua, 5, length)
        }
        0x90..=0x9f => cursor.collection(1, u64::from(byte & 0x0f), false),
        0x80..=0x8f => cursor.collection(1, u64::from(byte & 0x0f), true),
        0xdc | 0xde => {
            cursor.need(3)?;
            let count = u64::from(u16::from_be_bytes(cursor.bytes()));
            cursor.collection(3, count, byte == 0xde)
        }
        0xdd | 0xdf => {
            cursor.need(5)?;
            let count = u64::from(u32::from_be_bytes(cursor.bytes()));
            cursor.collection(5, count, byte == 0xdf)
        }
        _ => Err(Failure::BadFormat),
    }
}

/// An array or map being unpacked.
struct Open {
    /// Items (or pairs) still to read.
    left: u64,
    /// The next array index, or `None` for a map.
    index: Option<i64>,
    /// For a map: whether the key of the current pair has been read.
    has_key: bool,
    /// C's stack slots before the table was pushed.
    top: usize,
}

/// The arrays and maps being unpacked, innermost last.
#[derive(Default)]
struct Nesting {
    open: Vec<Open>,
    /// The innermost table.
    inner: Option<Table>,
    /// The key of the innermost map, once read.
    key: Value,
    /// The tables (and keys) of the enclosing ones.
    enclosing: Stash,
}

impl Nesting {
    /// Opens `table`, inside the innermost one.
    fn push(&mut self, lua: &Lua, table: Table, open: Open) -> mlua::Result<()> {
        if let Some(parent) = self.inner.replace(table) {
            let key = std::mem::replace(&mut self.key, Value::Nil);
            self.enclosing.push(lua, Value::Table(parent), key)?;
        }
        self.open.push(open);
        Ok(())
    }

    /// Closes the innermost table, complete, and returns it.
    fn pop(&mut self) -> mlua::Result<Value> {
        let table = self.inner.take();
        self.open.pop();
        if !self.open.is_empty() {
            let (parent, key) = self.enclosing.pop()?;
            self.inner = match parent {
                Value::Table(parent) => Some(parent),
                _ => None,
            };
            self.key = key;
        }
        Ok(table.map_or(Value::Nil, Value::Table))
    }
}

/// Unpacks one value (and all it contains) with C's stack at `top` slots.
fn decode(lua: &Lua, cursor: &mut Cursor<'_>, mut top: usize) -> Result<Value, Failure> {
    let mut nesting = Nesting::default();
    loop {
        cursor.need(1)?;
        if !stack_has_room(top, 1) {
            return Err(error(lua, format!("stack overflow ({TOO_MANY_VALUES})")).into());
        }
        let mut value = match item(lua, cursor)? {
            Item::Value(value) => value,
            Item::Array(count) => {
                let table = lua.create_table()?;
                if !stack_has_room(top + 1, 1) {
                    let message = "stack overflow (in function mp_decode_to_lua_array)";
                    return Err(error(lua, message).into());
                }
                if count == 0 {
                    Value::Table(table)
                } else {
                    let open = Open {
                        left: count,
                        index: Some(1),
                        has_key: false,
                        top,
                    };
                    nesting.push(lua, table, open)?;
                    // The table and the index of the item.
                    top += 2;
                    continue;
                }
            }
            Item::Map(count) => {
                let table = lua.create_table()?;
                if count == 0 {
                    Value::Table(table)
                } else {
                    let open = Open {
                        left: count,
                        index: None,
                        has_key: false,
                        top,
                    };
                    nesting.push(lua, table, open)?;
                    top += 1;
                    continue;
                }
            }
        };
        // Store the value in the innermost table, closing each table it completes.
        loop {
            let (Some(parent), Some(table)) = (nesting.open.last_mut(), nesting.inner.as_ref())
            else {
                return Ok(value);
            };
            match &mut parent.index {
                Some(index) => {
                    table.raw_set(*index, value)?;
                    *index += 1;
                    parent.left -= 1;
                    if parent.left > 0 {
                        top = parent.top + 2;
                        break;
                    }
                }
                None if !parent.has_key => {
                    nesting.key = value;
                    parent.has_key = true;
                    // The table and the key.
                    top = parent.top + 2;
                    break;
                }
                None => {
                    let key = std::mem::replace(&mut nesting.key, Value::Nil);
                    set_field(table, key, value)?;
                    parent.has_key = false;
                    parent.left -= 1;
                    if parent.left > 0 {
                        top = parent.top + 1;
                        break;
                    }
                }
            }
            value = nesting.pop()?;
        }
    }
}

/// `table[key] = value` as `lua_settable` does it on a table without a metatable: a nil
/// value still makes room for the key (which decides the order `pairs` visits keys in).
fn set_field(table: &Table, key: Value, value: Value) -> mlua::Result<()> {
    match key {
        Value::Nil => Err(plain_error("table index is nil")),
        Value::Number(number) if number.is_nan() => Err(plain_error("table index is NaN")),
        key => table.raw_set(key, value),
    }
}

#[cfg(test)]
mod tests {
    use crate::scripting::lauxlib::run_with;

    fn run(code: &str) -> Result<Vec<u8>, Vec<u8>> {
        run_with("cmsgpack", super::open, code)
    }

    fn err(code: &str) -> String {
        String::from_utf8_lossy(&run(code).expect_err(code)).into_owned()
    }

    #[test]
    fn packs_numbers_in_the_smallest_form() {
        assert_eq!(
            run("return cmsgpack.pack(1, -1, 128, 256, 65536, 2^32, -33, -129, -32769, -2^31 - 1)"),
            Ok(b"\x01\xff\xcc\x80\xcd\x01\x00\xce\x00\x01\x00\x00\xcf\x00\x00\x00\x01\x00\x00\x00\x00\
                 \xd0\xdf\xd1\xff\x7f\xd2\xff\xff\x7f\xff\xd3\xff\xff\xff\xff\x7f\xff\xff\xff"
                .to_vec())
        );
        // 2^63 is no int64; floats are 32-bit when exact.
        assert_eq!(
            run("return cmsgpack.pack(2^63, -2^63, 1.5, 0.1, 1/0, 0/0)"),
            Ok(b"\xca\x5f\x00\x00\x00\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xca\x3f\xc0\x00\x00\
                 \xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a\xca\x7f\x80\x00\x00\xcb\xff\xf8\x00\x00\x00\x00\x00\x00"
                .to_vec())
        );
    }

    #[test]
    fn packs_strings_and_tables() {
        assert_eq!(
            run("return cmsgpack.pack(string.rep('a', 31)):sub(1, 2) .. cmsgpack.pack(string.rep('b', 32)):sub(1, 3)"),
            Ok(b"\xbfa\xd9\x20b".to_vec())
        );
        assert_eq!(
            run("return cmsgpack.pack({}, {1, 2}, {a = 1}, {1, nil, 3}, true, false, nil, print)"),
            Ok(b"\x90\x92\x01\x02\x81\xa1a\x01\x82\x01\x01\x03\x03\xc3\xc2\xc0\xc0".to_vec())
        );
        // A cycle ends as nil 16 tables down.
        assert_eq!(
            run("local t = {} t[1] = t return cmsgpack.pack(t)"),
            Ok([&[0x91; 16][..], b"\xc0"].concat())
        );
        assert_eq!(
            err("return cmsgpack.pack()"),
            "user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"
        );
    }

    #[test]
    fn unpacks_streams() {
        let round_trip =
            "local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, 'x', {1, {k = {2, 3}}, v = 4})) \
                          return a .. b .. c[1] .. c[2].k[2] .. c.v";
        assert_eq!(run(round_trip), Ok(b"1x134".to_vec()));
        assert_eq!(
            run("return cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')"),
            Ok(b"-1".to_vec())
        );
        assert_eq!(
            run("return cmsgpack.unpack('\\209\\255\\254')"),
            Ok(b"-2".to_vec())
        );
        assert_eq!(
            run("return #cmsgpack.unpack('\\147\\1\\192\\3')"),
            Ok(b"1".to_vec())
        );
        assert_eq!(
            run("return select('#', cmsgpack.unpack(''))"),
            Ok(b"0".to_vec())
        );
        assert_eq!(
            run("return select(2, cmsgpack.unpack_one('\\1\\2', 1))"),
            Ok(b"2".to_vec())
        );
        assert_eq!(
            run("return cmsgpack.unpack_one('\\1\\2', 1)"),
            Ok(b"-1".to_vec())
        );
        assert_eq!(
            run("return cmsgpack.unpack_limit('\\1\\2\\3', 2)"),
            Ok(b"2".to_vec())
        );
        assert_eq!(
            err("return cmsgpack.unpack('\\193')"),
            "user_script:1: Bad data format in input."
        );
        assert_eq!(
            err("return cmsgpack.unpack('\\205\\1')"),
            "user_script:1: Missing bytes in input."
        );
        assert_eq!(
            err("return cmsgpack.unpack('\\129\\192\\1')"),
            "table index is nil"
        );
        assert_eq!(
            err("return cmsgpack.unpack_one('\\1\\2', -1)"),
            "user_script:1: Invalid request to unpack with offset of -1 and limit of 2."
        );
        assert_eq!(
            err("return cmsgpack.unpack_one('\\1\\2', 3)"),
            "user_script:1: Start offset 3 greater than input length 2."
        );
        assert_eq!(
            err("return cmsgpack.unpack_limit('\\1')"),
            "user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value)"
        );
    }

    #[test]
    fn deep_input_stops_where_c_s_stack_does() {
        assert_eq!(
            err("return cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1')"),
            "user_script:1: stack overflow (in function mp_decode_to_lua_array)"
        );
        assert_eq!(
            run("return #cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1')"),
            Ok(b"1".to_vec())
        );
        assert_eq!(
            err("return cmsgpack.unpack(string.rep('\\129\\1', 4000) .. '\\1')"),
            "user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
        );
        // Arrays holding maps: two slots for each.
        let mixed = |depth: usize| {
            format!("return type(cmsgpack.unpack(string.rep('\\145\\129\\1', {depth}) .. '\\1'))")
        };
        assert_eq!(run(&mixed(1999)), Ok(b"table".to_vec()));
        assert_eq!(
            err(&mixed(2000)),
            "user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
        );
    }
}
