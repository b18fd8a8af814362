//! What Redis's C libraries get from Lua 5.1's auxiliary library and C API, for the Rust
//! versions: their error texts (`luaL_error`, `luaL_argerror`, `luaL_typerror`), argument
//! checks (`luaL_checknumber` and the rest), the stack limit a C function runs into, and the
//! x86-64 conversions C's casts from `double` compile to.

use mlua::{Lua, MultiValue, Table, Value};

pub use crate::scripting::number::{c_int, c_long, c_ulong};
use crate::scripting::number::{lua_number_text, number_of};
use crate::scripting::raise::Raise;
use crate::scripting::sandbox::INTERNAL_SOURCE;

/// `LUAI_MAXCSTACK`: the most stack slots a C function may use (`lua_checkstack` refuses
/// beyond). Redis's libraries check it as they go and fail with their own messages, so the
/// Rust versions count the slots the C versions would use.
pub const MAX_C_STACK: usize = 8000;

/// The most values held through a reference (strings, tables...) a library function keeps,
/// arguments included, while it gathers many values to return. mlua keeps every value Rust
/// holds on one auxiliary Lua stack of 8000 slots, shared with the rest of the engine (and
/// fails hard when it is full): where C returns up to about 8000 values, the Rust versions
/// refuse past this many, with the error C gives past its own limit.
pub const REFERENCE_BUDGET: usize = 7500;

/// Whether mlua holds `value` through a reference (everything but nil, booleans, numbers
/// and light userdata).
pub fn holds_reference(value: &Value) -> bool {
    !matches!(
        value,
        Value::Nil
            | Value::Boolean(_)
            | Value::Integer(_)
            | Value::Number(_)
            | Value::LightUserData(_)
    )
}

/// Whether a Rust function called with `args` arguments can return `results` values. mlua
/// returns them above the arguments and needs slots of its own besides (up to 23, when it
/// first sets up its error handling), where a C function can fill its stack: the Rust
/// versions refuse the last few counts C returns, with the error C gives for one more.
pub fn can_return(args: usize, results: usize) -> bool {
    args + results + 23 <= MAX_C_STACK
}

/// `lua_checkstack(L, size)` for a C function using `top` slots.
pub fn stack_has_room(top: usize, size: usize) -> bool {
    top + size <= MAX_C_STACK
}

/// A Lua error raised as `luaL_error` raises it: the message after the position of the
/// code that called the library function (`user_script:1: `), when that is Lua code.
pub fn error(lua: &Lua, message: impl AsRef<[u8]>) -> mlua::Error {
    let position = lua
        .inspect_stack(1, |frame| {
            let line = frame.current_line()?;
            let source = frame.source();
            let short = source.short_src?;
            Some(format!("{short}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    let mut text = position.into_bytes();
    text.extend_from_slice(message.as_ref());
    Raise::Message(text).into_lua_error()
}

/// A Lua error raised as the Lua core raises it inside a C function (`luaG_runerror`):
/// the message alone.
pub fn plain_error(message: impl Into<Vec<u8>>) -> mlua::Error {
    Raise::message(message).into_lua_error()
}

/// `luaL_argerror`: `bad argument #n to 'name' (extra)`, the function named as its caller
/// called it (`?` when it cannot tell, one argument less for a method call). Any argument
/// number (lua-cmsgpack blames argument 0) and a message of bytes (`struct` quotes format
/// bytes as they are).
pub fn arg_error(lua: &Lua, narg: i64, extra: impl AsRef<[u8]>) -> mlua::Error {
    let called = lua.inspect_stack(0, |debug| {
        let names = debug.names();
        (
            names.name.map(|name| name.into_owned()),
            names.name_what == Some("method"),
        )
    });
    let mut text = Vec::new();
    match called {
        None => text.extend_from_slice(format!("bad argument #{narg} (").as_bytes()),
        Some((name, method)) => {
            let name = name.unwrap_or_else(|| "?".to_string());
            let narg = if method { narg - 1 } else { narg };
            if method && narg == 0 {
                text.extend_from_slice(format!("calling '{name}' on bad self (").as_bytes());
            } else {
                text.extend_from_slice(format!("bad argument #{narg} to '{name}' (").as_bytes());
            }
        }
    }
    text.extend_from_slice(extra.as_ref());
    text.push(b')');
    error(lua, text)
}

/// `luaL_typerror`: argument `narg` is not of the type `expected`.
pub fn type_error(lua: &Lua, args: &MultiValue, narg: usize, expected: &str) -> mlua::Error {
    let got = arg(args, narg).map_or("no value", type_name);
    arg_error(lua, narg as i64, format!("{expected} expected, got {got}"))
}

/// Argument `narg` (from 1), `None` past the last one (Lua's "no value").
pub fn arg(args: &MultiValue, narg: usize) -> Option<&Value> {
    narg.checked_sub(1).and_then(|index| args.get(index))
}

/// Whether argument `narg` is absent or nil (`lua_isnoneornil`).
pub fn is_none_or_nil(args: &MultiValue, narg: usize) -> bool {
    matches!(arg(args, narg), None | Some(Value::Nil))
}

/// A value's type as Lua names it (`lua_typename`): light userdata is `userdata`, numbers
/// are `number` whatever mlua made of them.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// `luaL_checknumber`: a number, or a string holding one.
pub fn check_number(lua: &Lua, args: &MultiValue, narg: usize) -> mlua::Result<f64> {
    arg(args, narg)
        .and_then(number_of)
        .ok_or_else(|| type_error(lua, args, narg, "number"))
}

/// `luaL_checkinteger`: [`check_number`] cut to an integer as the C cast does.
pub fn check_integer(lua: &Lua, args: &MultiValue, narg: usize) -> mlua::Result<i64> {
    check_number(lua, args, narg).map(c_long)
}

/// `luaL_optinteger`: `default` when the argument is absent or nil.
pub fn opt_integer(lua: &Lua, args: &MultiValue, narg: usize, default: i64) -> mlua::Result<i64> {
    if is_none_or_nil(args, narg) {
        Ok(default)
    } else {
        check_integer(lua, args, narg)
    }
}

/// `luaL_checklstring`: a string, or a number as Lua prints it (as a new string).
pub fn check_string(lua: &Lua, args: &MultiValue, narg: usize) -> mlua::Result<mlua::String> {
    match arg(args, narg) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Integer(number)) => lua.create_string(lua_number_text(*number as f64)),
        Some(Value::Number(number)) => lua.create_string(lua_number_text(*number)),
        _ => Err(type_error(lua, args, narg, "string")),
    }
}

/// [`check_string`], copied out.
pub fn check_bytes(lua: &Lua, args: &MultiValue, narg: usize) -> mlua::Result<Vec<u8>> {
    Ok(check_string(lua, args, narg)?.as_bytes().to_vec())
}

/// The table a script's table stands for: the real library or globals table behind one of
/// the sandbox's read-only proxies (which Redis does not need: its tables are read-only
/// themselves), the table itself otherwise. Redis's encoders see the real table, so ours
/// look through the proxy.
pub fn real_table(table: Table) -> mlua::Result<Table> {
    let Some(metatable) = table.metatable() else {
        return Ok(table);
    };
    let (Value::Function(guard), Value::Table(real)) = (
        metatable.raw_get::<Value>("__newindex")?,
        metatable.raw_get::<Value>("__index")?,
    ) else {
        return Ok(table);
    };
    let is_proxy = guard.info().source.as_deref() == Some(INTERNAL_SOURCE) && table.is_empty();
    Ok(if is_proxy { real } else { table })
}

/// Runs `code` in a bare Lua state with `library` as the global `name`: the first value
/// it returns as Lua's `tostring` prints it, or the text of the error it raised.
#[cfg(test)]
pub fn run_with(
    name: &str,
    library: fn(&Lua) -> mlua::Result<Table>,
    code: &str,
) -> Result<Vec<u8>, Vec<u8>> {
    use crate::scripting::raise::find_raise;

    let lua = Lua::new();
    let globals = lua.globals();
    let table = library(&lua).map_err(|e| e.to_string().into_bytes())?;
    globals
        .raw_set(name, table)
        .map_err(|e| e.to_string().into_bytes())?;
    let tostring: mlua::Function = globals
        .get("tostring")
        .map_err(|e| e.to_string().into_bytes())?;
    match lua.load(code).set_name("@user_script").eval::<Value>() {
        Ok(value) => match tostring.call::<mlua::String>(value) {
            Ok(text) => Ok(text.as_bytes().to_vec()),
            Err(error) => Err(error.to_string().into_bytes()),
        },
        Err(error) => match find_raise(&error) {
            Some(Raise::Message(text)) => Err(text.clone()),
            _ => Err(error.to_string().into_bytes()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library with one function that checks its arguments as the C libraries do.
    fn checker(lua: &Lua) -> mlua::Result<Table> {
        let table = lua.create_table()?;
        table.raw_set(
            "check",
            lua.create_function(|lua, args: MultiValue| {
                let number = check_integer(lua, &args, 1)?;
                let text = check_bytes(lua, &args, 2)?;
                let extra = opt_integer(lua, &args, 3, 7)?;
                lua.create_string(format!(
                    "{number} {} {extra}",
                    String::from_utf8_lossy(&text)
                ))
            })?,
        )?;
        Ok(table)
    }

    #[test]
    fn argument_errors_name_the_function_as_lauxlib_does() {
        let run = |code| run_with("lib", checker, code);
        assert_eq!(run("return lib.check(2.7, 1.5)"), Ok(b"2 1.5 7".to_vec()));
        assert_eq!(
            run("return lib.check('0x10', 's', '3')"),
            Ok(b"16 s 3".to_vec())
        );
        assert_eq!(
            run("return lib.check()"),
            Err(
                b"user_script:1: bad argument #1 to 'check' (number expected, got no value)"
                    .to_vec()
            )
        );
        assert_eq!(
            run("local f = lib.check\nreturn f(1, {})"),
            Err(b"user_script:2: bad argument #2 to 'f' (string expected, got table)".to_vec())
        );
        assert_eq!(
            run("return lib:check()"),
            Err(
                b"user_script:1: calling 'check' on bad self (number expected, got table)".to_vec()
            )
        );
        assert_eq!(
            run("return lib.check(1, 2, false)"),
            Err(
                b"user_script:1: bad argument #3 to 'check' (number expected, got boolean)"
                    .to_vec()
            )
        );
    }

    #[test]
    fn casts_from_double_behave_as_on_x86_64() {
        assert_eq!(c_long(-3.9), -3);
        assert_eq!(c_long(f64::NAN), i64::MIN);
        assert_eq!(c_long(9.3e18), i64::MIN);
        assert_eq!(c_long(-9_223_372_036_854_775_808.0), i64::MIN);
        assert_eq!(c_int(2_147_483_647.5), i32::MAX);
        assert_eq!(c_int(2_147_483_648.0), i32::MIN);
        assert_eq!(c_int(f64::INFINITY), i32::MIN);
        assert_eq!(c_ulong(1e20), 0);
        assert_eq!(c_ulong(f64::NAN), 1 << 63);
        assert_eq!(c_ulong(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(c_ulong(18_446_744_073_709_549_568.0), 0xffff_ffff_ffff_f800);
        assert_eq!(c_ulong(-1.0), u64::MAX);
    }
}
