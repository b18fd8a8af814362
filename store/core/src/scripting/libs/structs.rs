//! `struct`: binary packing of numbers and strings (Roberto Ierusalimschy's `struct`
//! library, as Redis 7.0 embeds it, with its size checks).
//!
//! A format is a sequence of options, read as a C string (a zero byte ends it):
//! `>` big endian, `<` little endian (the default, x86-64's), `![n]` alignment (default 8),
//! `x` a padding byte, `b`/`B` signed/unsigned char, `h`/`H` short, `l`/`L` long, `T`
//! size_t, `i[n]`/`I[n]` an integer of n bytes (4 by default, up to 32), `c[n]` n bytes
//! of string (`c0`: the whole string when packing, a length given by the previous number
//! when unpacking), `s` a zero-terminated string, `f` float, `d` double, and spaces.

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lauxlib::{
    arg_error, c_long, c_ulong, can_return, check_bytes, check_number, check_string, error,
    holds_reference, opt_integer, stack_has_room, REFERENCE_BUDGET,
};
use crate::scripting::number::number_of;

/// The largest integer option, in bytes.
const MAX_INT_SIZE: i32 = 32;

/// The default (and `!`) alignment: a double's on x86-64.
const MAX_ALIGN: i32 = 8;

/// The `struct` table (presized for its three functions, as `luaL_register` makes it).
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let library = lua.create_table_with_capacity(0, 3)?;
    library.raw_set("pack", lua.create_function(pack)?)?;
    library.raw_set("unpack", lua.create_function(unpack)?)?;
    library.raw_set("size", lua.create_function(size)?)?;
    Ok(library)
}

/// A format being read.
struct Format {
    /// The format up to its first zero byte.
    text: Vec<u8>,
    /// The next byte to read.
    at: usize,
    /// Big endian (`>`) or little (`<`).
    little: bool,
    /// The most an item is aligned to (`!`).
    align: usize,
}

impl Format {
    /// The format in argument 1.
    fn new(lua: &Lua, args: &MultiValue) -> mlua::Result<Format> {
        let mut text = check_bytes(lua, args, 1)?;
        if let Some(end) = text.iter().position(|b| *b == 0) {
            text.truncate(end);
        }
        Ok(Format {
            text,
            at: 0,
            little: true,
            align: 1,
        })
    }

    /// The next option, with its size: its count, or the size of its type (0 for the
    /// options that are not items).
    fn next(&mut self, lua: &Lua) -> mlua::Result<Option<(u8, usize)>> {
        let Some(&option) = self.text.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        let size = match option {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(lua, 1)? as usize,
            b'i' | b'I' => {
                let size = self.number(lua, 4)?;
                if size > MAX_INT_SIZE {
                    return Err(error(
                        lua,
                        format!("integral size {size} is larger than limit of {MAX_INT_SIZE}"),
                    ));
                }
                size as usize
            }
            _ => 0,
        };
        Ok(Some((option, size)))
    }

    /// The number written next in the format, or `default` when there is none.
    fn number(&mut self, lua: &Lua, default: i32) -> mlua::Result<i32> {
        if !self.text.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut value: i32 = 0;
        while let Some(digit) = self.text.get(self.at).filter(|b| b.is_ascii_digit()) {
            let digit = i32::from(digit - b'0');
            if value > i32::MAX / 10 || value * 10 > i32::MAX - digit {
                return Err(error(lua, "integral size overflow"));
            }
            value = value * 10 + digit;
            self.at += 1;
        }
        Ok(value)
    }

    /// Padding before an item of `size` bytes at offset `at`: to a multiple of its size
    /// (or of the alignment, when smaller). Strings are not aligned.
    fn padding(&self, at: usize, option: u8, size: usize) -> usize {
        if size == 0 || option == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (at & (size - 1))) & (size - 1)
    }

    /// An option that is not an item: endianness, alignment, space; anything else is not
    /// an option.
    fn control(&mut self, lua: &Lua, option: u8) -> mlua::Result<()> {
        match option {
            b' ' => {}
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'!' => {
                let align = self.number(lua, MAX_ALIGN)?;
                if align <= 0 || align & (align - 1) != 0 {
                    return Err(error(lua, format!("alignment {align} is not a power of 2")));
                }
                self.align = align as usize;
            }
            _ => {
                let mut message = b"invalid format option '".to_vec();
                message.push(option);
                message.push(b'\'');
                return Err(arg_error(lua, 1, message));
            }
        }
        Ok(())
    }

    /// `bytes` (native little-endian order) in the format's order.
    fn ordered<const N: usize>(&self, mut bytes: [u8; N]) -> [u8; N] {
        if !self.little {
            bytes.reverse();
        }
        bytes
    }
}

/// `struct.pack(format, ...)`: the values packed as the format says.
fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let mut format = Format::new(lua, &args)?;
    // C pushes a nil after the arguments: a missing one is a nil, not "no value".
    let mut args = args;
    args.push_back(Value::Nil);
    let mut narg = 2;
    let mut out: Vec<u8> = Vec::new();
    while let Some((option, mut size)) = format.next(lua)? {
        let padding = format.padding(out.len(), option, size);
        out.resize(out.len() + padding, 0);
        match option {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let number = check_number(lua, &args, narg)?;
                narg += 1;
                // C converts negative numbers through `long`, others straight to unsigned.
                let mut bits = if number < 0.0 {
                    c_long(number) as u64
                } else {
                    c_ulong(number)
                };
                let mut bytes = vec![0; size];
                for byte in bytes.iter_mut() {
                    *byte = bits as u8;
                    bits >>= 8;
                }
                if !format.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let number = check_number(lua, &args, narg)? as f32;
                narg += 1;
                out.extend_from_slice(&format.ordered(number.to_le_bytes()));
            }
            b'd' => {
                let number = check_number(lua, &args, narg)?;
                narg += 1;
                out.extend_from_slice(&format.ordered(number.to_le_bytes()));
            }
            b'c' | b's' => {
                let text = check_string(lua, &args, narg)?;
                let text = text.as_bytes();
                narg += 1;
                if size == 0 {
                    size = text.len();
                }
                if text.len() < size {
                    // C names the argument after the string.
                    return Err(arg_error(lua, narg as i64, "string too short"));
                }
                out.extend_from_slice(&text[..size]);
                if option == b's' {
                    out.push(0);
                }
            }
            _ => format.control(lua, option)?,
        }
    }
    lua.create_string(out)
}

/// `struct.unpack(format, data[, init])`: the values read from `data` from position
/// `init` (1 by default), then the position after them.
fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let mut format = Format::new(lua, &args)?;
    let text = check_string(lua, &args, 2)?;
    let data = text.as_bytes();
    // C reads the position into a size_t: a negative one wraps around, and fails the
    // length checks below.
    let init = opt_integer(lua, &args, 3, 1)? as usize;
    if init == 0 {
        return Err(arg_error(lua, 3, "offset must be 1 or greater"));
    }
    let too_short = || arg_error(lua, 2, "data string too short");
    let fits = |at: usize, size: usize| size <= data.len() && at <= data.len() - size;
    let mut at = init - 1;
    let mut values = MultiValue::new();
    let mut references = args.iter().filter(|value| holds_reference(value)).count();
    while let Some((option, mut size)) = format.next(lua)? {
        at = at.wrapping_add(format.padding(at, option, size));
        if !fits(at, size) {
            return Err(too_short());
        }
        // Room for the value and the final position on C's stack.
        if !stack_has_room(args.len() + values.len(), 2) || references >= REFERENCE_BUDGET {
            return Err(error(lua, "stack overflow (too many results)"));
        }
        match option {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = option.is_ascii_lowercase();
                let number = integer(&data[at..at + size], format.little, signed);
                values.push_back(Value::Number(number));
            }
            b'x' => {}
            b'f' => {
                let bytes = format.ordered(bytes_at::<4>(&data, at));
                values.push_back(Value::Number(f64::from(f32::from_le_bytes(bytes))));
            }
            b'd' => {
                let bytes = format.ordered(bytes_at::<8>(&data, at));
                values.push_back(Value::Number(f64::from_le_bytes(bytes)));
            }
            b'c' => {
                if size == 0 {
                    // The length is the number read last, which it replaces.
                    let length = values.back().and_then(number_of);
                    let Some(length) = length else {
                        return Err(error(lua, "format 'c0' needs a previous size"));
                    };
                    size = c_ulong(length) as usize;
                    values.pop_back();
                    if !fits(at, size) {
                        return Err(too_short());
                    }
                }
                values.push_back(Value::String(lua.create_string(&data[at..at + size])?));
                references += 1;
            }
            b's' => {
                let Some(length) = data[at..].iter().position(|b| *b == 0) else {
                    return Err(error(lua, "unfinished string in data"));
                };
                values.push_back(Value::String(lua.create_string(&data[at..at + length])?));
                references += 1;
                size = length + 1;
            }
            _ => format.control(lua, option)?,
        }
        at = at.wrapping_add(size);
    }
    values.push_back(Value::Integer(at.wrapping_add(1) as i64));
    if !can_return(args.len(), values.len()) {
        return Err(error(lua, "stack overflow (too many results)"));
    }
    Ok(values)
}

/// `N` bytes of `data` from `at` (known to be there).
fn bytes_at<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    let mut bytes = [0; N];
    bytes.copy_from_slice(&data[at..at + N]);
    bytes
}

/// An integer of any size up to 32 bytes, kept in 64 bits as C's `long` keeps it (the
/// high bytes of a longer one are lost), sign-extended from its top bit when signed.
fn integer(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let mut bits: u64 = 0;
    let mut push = |byte: &u8| bits = (bits << 8) | u64::from(*byte);
    if little {
        bytes.iter().rev().for_each(&mut push);
    } else {
        bytes.iter().for_each(&mut push);
    }
    if !signed {
        return bits as f64;
    }
    // x86-64 takes a shift count modulo 64, so a size past 8 bytes (or 0) gives C's
    // shift here, not the size's top bit.
    let shift = (bytes.len() as u32).wrapping_mul(8).wrapping_sub(1);
    let mask = u64::MAX.wrapping_shl(shift);
    if bits & mask != 0 {
        bits |= mask;
    }
    bits as i64 as f64
}

/// `struct.size(format)`: the bytes the format packs to (it must have no `s` or `c0`).
fn size(lua: &Lua, args: MultiValue) -> mlua::Result<i64> {
    let mut format = Format::new(lua, &args)?;
    let mut at: usize = 0;
    while let Some((option, size)) = format.next(lua)? {
        at = at.wrapping_add(format.padding(at, option, size));
        if option == b's' {
            return Err(arg_error(lua, 1, "option 's' has no fixed size"));
        }
        if option == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        // Letters and digits that are no option count as nothing here.
        if !option.is_ascii_alphanumeric() {
            format.control(lua, option)?;
        }
        at = at.wrapping_add(size);
    }
    Ok(at as i64)
}

#[cfg(test)]
mod tests {
    use super::integer;
    use crate::scripting::lauxlib::run_with;

    fn run(code: &str) -> Result<Vec<u8>, Vec<u8>> {
        run_with("struct", super::open, code)
    }

    fn err(code: &str) -> String {
        String::from_utf8_lossy(&run(code).expect_err(code)).into_owned()
    }

    #[test]
    fn packs_as_the_c_library() {
        assert_eq!(
            run("return struct.pack('>bBhHi3', -1, 255, -2, 65534, -3)"),
            Ok(b"\xff\xff\xff\xfe\xff\xfe\xff\xff\xfd".to_vec())
        );
        assert_eq!(
            run("return struct.pack('<i16', -1)"),
            Ok([[0xff; 8], [0; 8]].concat())
        );
        // Out of range numbers convert as C's casts do on x86-64.
        assert_eq!(
            run("return struct.pack('>LLl', 1e20, 0/0, 2^63)"),
            Ok([
                [0; 8],
                [0x80, 0, 0, 0, 0, 0, 0, 0],
                [0x80, 0, 0, 0, 0, 0, 0, 0]
            ]
            .concat())
        );
        assert_eq!(
            run("return struct.pack('!4bi3bi3', 5, 6, 7, 8)"),
            Ok(b"\x05\0\0\x06\0\0\x07\x08\0\0".to_vec())
        );
        assert_eq!(
            run("return struct.pack('>!bhd', 1, 2, 3)"),
            Ok(b"\x01\0\0\x02\0\0\0\0@\x08\0\0\0\0\0\0".to_vec())
        );
        assert_eq!(
            run("return struct.pack('>f c0 s', 0.1, 'ab', 12.5)"),
            Ok(b"=\xcc\xcc\xcdab12.5\0".to_vec())
        );
        assert_eq!(
            err("return struct.pack('c5', 'ab')"),
            "user_script:1: bad argument #3 to 'pack' (string too short)"
        );
        assert_eq!(
            err("return struct.pack('bb', 1)"),
            "user_script:1: bad argument #3 to 'pack' (number expected, got nil)"
        );
        assert_eq!(
            err("return struct.pack('q', 1)"),
            "user_script:1: bad argument #1 to 'pack' (invalid format option 'q')"
        );
        assert_eq!(
            err("return struct.pack('i33', 5)"),
            "user_script:1: integral size 33 is larger than limit of 32"
        );
        assert_eq!(
            err("return struct.pack('c2147483648', 1)"),
            "user_script:1: integral size overflow"
        );
        assert_eq!(
            err("return struct.pack('!3i', 5)"),
            "user_script:1: alignment 3 is not a power of 2"
        );
        assert_eq!(
            err("return struct:pack('b')"),
            "user_script:1: calling 'pack' on bad self (string expected, got table)"
        );
    }

    #[test]
    fn unpacks_as_the_c_library() {
        let all = |code: &str| run(&format!("return table.concat({{{code}}}, ' ')"));
        assert_eq!(
            all("struct.unpack('>bBhH', '\\255\\255\\255\\255\\255\\255')"),
            Ok(b"-1 255 -1 65535 7".to_vec())
        );
        assert_eq!(
            all("struct.unpack('<i9', string.rep('\\255', 9))"),
            Ok(b"-1 10".to_vec())
        );
        assert_eq!(
            all("struct.unpack('!4bi', 'a\\0\\0\\0\\1\\0\\0\\0')"),
            Ok(b"97 1 9".to_vec())
        );
        assert_eq!(
            all("struct.unpack('>f', '\\63\\192\\0\\0')"),
            Ok(b"1.5 5".to_vec())
        );
        assert_eq!(
            all("struct.unpack('bc0s', '\\3abcde\\0f')"),
            Ok(b"abc de 8".to_vec())
        );
        assert_eq!(all("struct.unpack('c1c0', '3abcd')"), Ok(b"abc 5".to_vec()));
        assert_eq!(all("struct.unpack('b', 'abc', 3)"), Ok(b"99 4".to_vec()));
        assert_eq!(
            err("return struct.unpack('c0', 'ab')"),
            "user_script:1: format 'c0' needs a previous size"
        );
        assert_eq!(
            err("return struct.unpack('s', 'ab')"),
            "user_script:1: unfinished string in data"
        );
        assert_eq!(
            err("return struct.unpack('b', 'abc', 0)"),
            "user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater)"
        );
        assert_eq!(
            err("return struct.unpack('b', 'abc', -1)"),
            "user_script:1: bad argument #2 to 'unpack' (data string too short)"
        );
        assert_eq!(
            err("return struct.unpack('bc0', '\\255abc')"),
            "user_script:1: bad argument #2 to 'unpack' (data string too short)"
        );
        assert_eq!(
            err("return struct.unpack('b')"),
            "user_script:1: bad argument #2 to 'unpack' (string expected, got no value)"
        );
        assert_eq!(
            err("return struct.unpack(string.rep('b', 7998), string.rep('a', 7998))"),
            "user_script:1: stack overflow (too many results)"
        );
    }

    #[test]
    fn sizes_as_the_c_library() {
        assert_eq!(run("return struct.size('bhilLT')"), Ok(b"31".to_vec()));
        assert_eq!(run("return struct.size('!bhilLTd')"), Ok(b"40".to_vec()));
        assert_eq!(run("return struct.size('c10zq5')"), Ok(b"10".to_vec()));
        assert_eq!(
            err("return struct.size('s')"),
            "user_script:1: bad argument #1 to 'size' (option 's' has no fixed size)"
        );
        assert_eq!(
            err("return struct.size('c0')"),
            "user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size)"
        );
        assert_eq!(
            err("return struct.size('b?')"),
            "user_script:1: bad argument #1 to 'size' (invalid format option '?')"
        );
    }

    #[test]
    fn integers_keep_64_bits_as_c_does() {
        assert_eq!(integer(&[0xff, 0xfe], false, true), -2.0);
        assert_eq!(integer(&[0xfe, 0xff], true, true), -2.0);
        assert_eq!(integer(&[0xff, 0xfe], false, false), 65534.0);
        assert_eq!(integer(&[0xff; 9], true, true), -1.0);
        assert_eq!(integer(&[1, 0, 0, 0, 0, 0, 0, 0, 0], false, true), 0.0);
        assert_eq!(integer(&[], true, true), 0.0);
    }
}
