//! `redis.register_function`: how a function library declares its functions while
//! FUNCTION LOAD runs it.

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Table, Value};

use super::number::lua_number_text;
use super::raise::Raise;
use super::shebang::ScriptFlags;

/// A function a library registered.
pub struct Registered {
    /// Its name.
    pub name: String,
    /// Its description, if it gave one.
    pub description: Option<Bytes>,
    /// The flags it declared.
    pub flags: ScriptFlags,
    /// The Lua function that runs it.
    pub function: Function,
}

/// The registrations of the library being loaded, in the Lua state's app data; `None`
/// outside FUNCTION LOAD.
struct Registering(Option<Vec<Registered>>);

/// Starts collecting registrations (FUNCTION LOAD is about to run a library).
pub fn begin(lua: &Lua) {
    lua.set_app_data(Registering(Some(Vec::new())));
}

/// Stops collecting, and returns what was registered.
pub fn end(lua: &Lua) -> Vec<Registered> {
    lua.remove_app_data::<Registering>()
        .and_then(|registering| registering.0)
        .unwrap_or_default()
}

/// The `redis.register_function` function.
pub fn function(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(|lua, args: MultiValue| {
        register(lua, args).map_err(|why| Raise::reply(why.as_bytes(), false).into_lua_error())
    })
}

fn register(lua: &Lua, args: MultiValue) -> Result<(), String> {
    let loading = lua
        .app_data_ref::<Registering>()
        .is_some_and(|registering| registering.0.is_some());
    if !loading {
        return Err("redis.register_function can only be called on FUNCTION LOAD command".into());
    }
    let registered = match args.len() {
        1 => named(&args[0])?,
        2 => positional(&args[0], &args[1])?,
        _ => return Err("wrong number of arguments to redis.register_function".into()),
    };
    if !valid_name(registered.name.as_bytes()) {
        return Err(NAME_RULES.into());
    }
    let mut registering = lua.app_data_mut::<Registering>().ok_or_else(|| {
        "redis.register_function can only be called on FUNCTION LOAD command".to_string()
    })?;
    let list = registering.0.get_or_insert_with(Vec::new);
    if list.iter().any(|known| known.name == registered.name) {
        return Err("Function already exists in the library".into());
    }
    list.push(registered);
    Ok(())
}

/// Why a library or function name is refused (Redis says "Library" for both).
pub const NAME_RULES: &str = "Library names can only contain letters, numbers, or \
                              underscores(_) and must be at least one character long";

/// Whether a library or function name is made of letters, digits and underscores only.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `register_function(name, callback)`.
fn positional(name: &Value, callback: &Value) -> Result<Registered, String> {
    let name = text(name).ok_or("first argument to redis.register_function must be a string")?;
    let Value::Function(function) = callback else {
        return Err("second argument to redis.register_function must be a function".into());
    };
    Ok(Registered {
        name: String::from_utf8_lossy(&name).into_owned(),
        description: None,
        flags: ScriptFlags::empty(),
        function: function.clone(),
    })
}

/// `register_function{function_name=, callback=, description=, flags=}`: keys in any case,
/// read in the table's own order.
fn named(args: &Value) -> Result<Registered, String> {
    let Value::Table(table) = args else {
        return Err(
            "calling redis.register_function with a single argument is only applicable \
                    to Lua table (representing named arguments)."
                .into(),
        );
    };
    let (mut name, mut description, mut function, mut flags) =
        (None, None, None, ScriptFlags::empty());
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(|e| e.to_string())?;
        let key = text(&key)
            .ok_or("named argument key given to redis.register_function is not a string")?;
        let key = String::from_utf8_lossy(&key).to_ascii_lowercase();
        match key.as_str() {
            "function_name" => {
                name = Some(text(&value).ok_or(
                    "function_name argument given to redis.register_function must be a string",
                )?)
            }
            "description" => {
                description = Some(text(&value).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?)
            }
            "callback" => match value {
                Value::Function(callback) => function = Some(callback),
                _ => {
                    return Err(
                        "callback argument given to redis.register_function must be a \
                                function"
                            .into(),
                    )
                }
            },
            "flags" => match value {
                Value::Table(list) => flags = read_flags(&list)?,
                _ => {
                    return Err("flags argument to redis.register_function must be a table \
                                representing function flags"
                        .into())
                }
            },
            _ => return Err("unknown argument given to redis.register_function".into()),
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let function = function.ok_or("redis.register_function must get a callback argument")?;
    Ok(Registered {
        name: String::from_utf8_lossy(&name).into_owned(),
        description: description.map(Bytes::from),
        flags,
        function,
    })
}

/// The flags listed in `list[1]`, `list[2]`... (names in any case).
fn read_flags(list: &Table) -> Result<ScriptFlags, String> {
    let mut flags = ScriptFlags::empty();
    for index in 1.. {
        let value: Value = list.get(index).map_err(|e| e.to_string())?;
        if value.is_nil() {
            break;
        }
        let name = text(&value).ok_or("unknown flag given")?;
        let flag = ScriptFlags::NAMED
            .iter()
            .find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(&name))
            .ok_or("unknown flag given")?;
        flags = flags.union(flag.1);
    }
    Ok(flags)
}

/// A string, or a number as Lua turns it into one (`lua_isstring` accepts both).
fn text(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::String(text) => Some(text.as_bytes().to_vec()),
        Value::Integer(n) => Some(lua_number_text(*n as f64).into_bytes()),
        Value::Number(n) => Some(lua_number_text(*n).into_bytes()),
        _ => None,
    }
}
