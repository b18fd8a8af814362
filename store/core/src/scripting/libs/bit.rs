//! `bit`: 32-bit operations on Lua numbers (the LuaBitOp 1.0.2 interface Redis embeds).

use mlua::{Lua, MultiValue, Table};

use crate::scripting::lauxlib::check_number;

/// An operation on one value, by the name `bit` gives it.
type Unary = (&'static str, fn(u32) -> u32);

/// An operation on two values (or a value and a shift count), by its name.
type Binary = (&'static str, fn(u32, u32) -> u32);

/// The `bit` table.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let bit = lua.create_table()?;
    let unary: [Unary; 3] = [
        ("tobit", |b| b),
        ("bnot", |b| !b),
        ("bswap", u32::swap_bytes),
    ];
    for (name, op) in unary {
        bit.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                Ok(signed(op(argument(lua, &args, 0)?)))
            })?,
        )?;
    }
    let folds: [Binary; 3] = [
        ("band", |a, b| a & b),
        ("bor", |a, b| a | b),
        ("bxor", |a, b| a ^ b),
    ];
    for (name, op) in folds {
        bit.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                let mut value = argument(lua, &args, 0)?;
                // LuaBitOp reads the arguments from the last one back.
                for index in (1..args.len()).rev() {
                    value = op(value, argument(lua, &args, index)?);
                }
                Ok(signed(value))
            })?,
        )?;
    }
    let shifts: [Binary; 5] = [
        ("lshift", |b, n| b << n),
        ("rshift", |b, n| b >> n),
        ("arshift", |b, n| ((b as i32) >> n) as u32),
        ("rol", u32::rotate_left),
        ("ror", u32::rotate_right),
    ];
    for (name, op) in shifts {
        bit.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                let value = argument(lua, &args, 0)?;
                let count = argument(lua, &args, 1)? & 31;
                Ok(signed(op(value, count)))
            })?,
        )?;
    }
    bit.raw_set("tohex", lua.create_function(tohex)?)?;
    Ok(bit)
}

/// `bit.tohex(x [, n])`: the low `n` hex digits (8 by default, upper case when negative).
fn tohex(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let mut value = argument(lua, &args, 0)?;
    let mut count = if args.len() < 2 {
        8
    } else {
        argument(lua, &args, 1)? as i32
    };
    let digits: &[u8; 16] = if count < 0 {
        count = count.wrapping_neg();
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let count = (count as u32).min(8) as usize;
    let mut text = vec![0u8; count];
    for slot in text.iter_mut().rev() {
        *slot = digits[(value & 15) as usize];
        value >>= 4;
    }
    lua.create_string(text)
}

/// A result as LuaBitOp returns it: the 32 bits read as a signed number.
fn signed(bits: u32) -> f64 {
    f64::from(bits as i32)
}

/// Argument `index` (from 0) as 32 bits: the number (a numeric string too) rounded to an
/// integer and taken modulo 2^32, as LuaBitOp's `2^52 + 2^51` trick gives it.
fn argument(lua: &Lua, args: &MultiValue, index: usize) -> mlua::Result<u32> {
    let number = check_number(lua, args, index + 1)?;
    Ok((number + 6_755_399_441_055_744.0).to_bits() as u32)
}
