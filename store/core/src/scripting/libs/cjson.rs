//! `cjson`: JSON for Lua, as Redis 7.0 embeds it (Lua CJSON 2.1.0 with `%.14g` numbers
//! and C's `strtod`).
//!
//! Each module table has its own settings, changed by the configuration functions and kept
//! for later calls: the library's table lives as long as the Lua state, so settings a
//! script makes stay until SCRIPT FLUSH, as in Redis. `cjson.new()` makes another table with
//! default settings.

mod decode;
mod encode;

use std::sync::{Arc, Mutex};

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use crate::scripting::lauxlib::{
    arg, arg_error, check_bytes, check_integer, check_string, is_none_or_nil,
};

/// The `cjson` table.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    module(lua)
}

/// What `encode_invalid_numbers` chooses for NaN and the infinities (an index into its
/// options): refuse them...
const REFUSE_INVALID: usize = 0;
/// ...write `nan`, `inf` and `-inf` (which is not JSON)...
const ALLOW_INVALID: usize = 1;
/// ...or write `null`.
const NULL_FOR_INVALID: usize = 2;

/// The options of a boolean setting: false, true.
const OFF_ON: [&str; 2] = ["off", "on"];

/// One module table's settings. Those chosen among options hold the option's index.
#[derive(Debug, Clone, Copy)]
struct Config {
    /// Encode an excessively sparse array as an object instead of refusing it.
    sparse_convert: usize,
    /// An array is excessively sparse when its largest index is above this many times its
    /// number of items (0: never)...
    sparse_ratio: i32,
    /// ...and above this.
    sparse_safe: i32,
    /// Most nested tables `encode` accepts.
    encode_max_depth: i32,
    /// Most nested arrays and objects `decode` accepts.
    decode_max_depth: i32,
    /// Significant digits of numbers `encode` writes.
    precision: i32,
    /// What `encode` does with NaN and the infinities.
    encode_invalid: usize,
    /// Whether `decode` reads what C's `strtod` reads beyond JSON (hex, `inf`, `nan`, `+1`).
    decode_invalid: usize,
    /// `encode_keep_buffer`: only reported back, since it only decides buffer reuse in C.
    keep_buffer: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: 0,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            precision: 14,
            encode_invalid: REFUSE_INVALID,
            decode_invalid: 1,
            keep_buffer: 1,
        }
    }
}

/// Settings shared by the functions of one module table.
type Shared = Arc<Mutex<Config>>;

/// The settings as they are now.
fn current(shared: &Shared) -> Config {
    *shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Stores the settings.
fn store(shared: &Shared, config: Config) {
    *shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = config;
}

/// The value of `cjson.null`: a light userdata holding a null pointer.
pub fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// What a configuration function of one setting sets.
#[derive(Clone, Copy)]
enum Setting {
    /// An integer from a minimum to a maximum.
    Integer(fn(&mut Config) -> &mut i32, i32, i32),
    /// One of some options (the first two read as false and true).
    Choice(fn(&mut Config) -> &mut usize, &'static [&'static str]),
}

/// The configuration functions of one setting, in the order Lua CJSON registers them.
const SETTINGS: [(&str, Setting); 6] = [
    (
        "encode_max_depth",
        Setting::Integer(|config| &mut config.encode_max_depth, 1, i32::MAX),
    ),
    (
        "decode_max_depth",
        Setting::Integer(|config| &mut config.decode_max_depth, 1, i32::MAX),
    ),
    (
        "encode_number_precision",
        Setting::Integer(|config| &mut config.precision, 1, 14),
    ),
    (
        "encode_keep_buffer",
        Setting::Choice(|config| &mut config.keep_buffer, &OFF_ON),
    ),
    (
        "encode_invalid_numbers",
        Setting::Choice(|config| &mut config.encode_invalid, &["off", "on", "null"]),
    ),
    (
        "decode_invalid_numbers",
        Setting::Choice(|config| &mut config.decode_invalid, &OFF_ON),
    ),
];

/// A new module table with default settings (`cjson.new`), its fields set in the order
/// Lua CJSON sets them (which decides the order `pairs` visits them in).
fn module(lua: &Lua) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    let shared: Shared = Arc::new(Mutex::new(Config::default()));
    let config = shared.clone();
    table.raw_set(
        "encode",
        lua.create_function(move |lua, args: MultiValue| {
            let (Some(value), 1) = (args.front(), args.len()) else {
                return Err(arg_error(lua, 1, "expected 1 argument"));
            };
            let json = encode::encode(lua, &current(&config), value.clone())?;
            lua.create_string(json)
        })?,
    )?;
    let config = shared.clone();
    table.raw_set(
        "decode",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(arg_error(lua, 1, "expected 1 argument"));
            }
            let json = check_string(lua, &args, 1)?;
            decode::decode(lua, &current(&config), &json.as_bytes())
        })?,
    )?;
    let config = shared.clone();
    table.raw_set(
        "encode_sparse_array",
        lua.create_function(move |lua, args: MultiValue| encode_sparse_array(lua, &config, &args))?,
    )?;
    for (name, setting) in SETTINGS {
        let config = shared.clone();
        table.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                configure(lua, &config, &args, setting)
            })?,
        )?;
    }
    table.raw_set(
        "new",
        lua.create_function(|lua, _: MultiValue| module(lua))?,
    )?;
    table.raw_set("null", null())?;
    table.raw_set("_NAME", "cjson")?;
    table.raw_set("_VERSION", "2.1.0")?;
    Ok(table)
}

/// `cjson.encode_sparse_array([convert[, ratio[, safe]]])`: sets what is given, returns the
/// three settings.
fn encode_sparse_array(lua: &Lua, shared: &Shared, args: &MultiValue) -> mlua::Result<MultiValue> {
    config_args(lua, args, 3)?;
    let mut config = current(shared);
    // Each setting is kept as soon as it is read, as in C, even if a later one fails.
    let settings = [
        Setting::Choice(|config| &mut config.sparse_convert, &OFF_ON),
        Setting::Integer(|config| &mut config.sparse_ratio, 0, i32::MAX),
        Setting::Integer(|config| &mut config.sparse_safe, 0, i32::MAX),
    ];
    let mut values = Vec::new();
    for (narg, setting) in (1..).zip(settings) {
        let value = option(lua, args, narg, &mut config, setting);
        store(shared, config);
        values.push(value?);
    }
    Ok(MultiValue::from_vec(values))
}

/// A configuration function of one setting: sets it when given, returns it.
fn configure(
    lua: &Lua,
    shared: &Shared,
    args: &MultiValue,
    setting: Setting,
) -> mlua::Result<Value> {
    config_args(lua, args, 1)?;
    let mut config = current(shared);
    let value = option(lua, args, 1, &mut config, setting)?;
    store(shared, config);
    Ok(value)
}

/// Sets `setting` from argument `narg` when it is given, returns the setting as it is now.
fn option(
    lua: &Lua,
    args: &MultiValue,
    narg: usize,
    config: &mut Config,
    setting: Setting,
) -> mlua::Result<Value> {
    match setting {
        Setting::Integer(field, min, max) => {
            integer_option(lua, args, narg, field(config), min, max)
        }
        Setting::Choice(field, options) => enum_option(lua, args, narg, field(config), options),
    }
}

/// Refuses more than `most` arguments, as every configuration function does.
fn config_args(lua: &Lua, args: &MultiValue, most: usize) -> mlua::Result<()> {
    if args.len() > most {
        return Err(arg_error(lua, most as i64 + 1, "found too many arguments"));
    }
    Ok(())
}

/// An integer setting: argument `narg`, when given, must be an integer from `min` to `max`
/// (C reads it into an `int`, dropping the high bits). Returns the setting as it is now.
fn integer_option(
    lua: &Lua,
    args: &MultiValue,
    narg: usize,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> mlua::Result<Value> {
    if !is_none_or_nil(args, narg) {
        let value = check_integer(lua, args, narg)? as i32;
        if !(min <= value && value <= max) {
            // Lua CJSON always blames the first argument for a value out of range.
            return Err(arg_error(
                lua,
                1,
                format!("expected integer between {min} and {max}"),
            ));
        }
        *setting = value;
    }
    Ok(Value::Integer(i64::from(*setting)))
}

/// A setting chosen among `options` (the first two are `false` and `true`, which a boolean
/// argument also sets). Returns the setting as it is now: a boolean for the first two
/// options, the option's name for the rest.
fn enum_option(
    lua: &Lua,
    args: &MultiValue,
    narg: usize,
    setting: &mut usize,
    options: &[&str],
) -> mlua::Result<Value> {
    match arg(args, narg) {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(on)) => *setting = usize::from(*on),
        Some(_) => {
            let name = check_bytes(lua, args, narg)?;
            // C compares the name as a C string: it ends at a zero byte.
            let name = name.split(|b| *b == 0).next().unwrap_or_default();
            match options.iter().position(|option| option.as_bytes() == name) {
                Some(index) => *setting = index,
                None => {
                    let mut extra = b"invalid option '".to_vec();
                    extra.extend_from_slice(name);
                    extra.push(b'\'');
                    return Err(arg_error(lua, narg as i64, extra));
                }
            }
        }
    }
    Ok(match *setting {
        0 => Value::Boolean(false),
        1 => Value::Boolean(true),
        other => Value::String(lua.create_string(options[other])?),
    })
}

#[cfg(test)]
mod tests {
    use crate::scripting::lauxlib::run_with;

    fn run(code: &str) -> Result<Vec<u8>, Vec<u8>> {
        run_with("cjson", super::open, code)
    }

    fn ok(code: &str) -> String {
        String::from_utf8_lossy(
            &run(code).unwrap_or_else(|e| panic!("{code}: {}", String::from_utf8_lossy(&e))),
        )
        .into_owned()
    }

    fn err(code: &str) -> String {
        String::from_utf8_lossy(&run(code).expect_err(code)).into_owned()
    }

    #[test]
    fn encodes_as_lua_cjson() {
        assert_eq!(
            ok("return cjson.encode({1, 2, 'a/b', {x = 1.5}})"),
            r#"[1,2,"a\/b",{"x":1.5}]"#
        );
        assert_eq!(
            ok("return cjson.encode({[1] = 1, [2] = 2, [4] = 4})"),
            "[1,2,null,4]"
        );
        assert_eq!(ok("return cjson.encode({})"), "{}");
        assert_eq!(ok("return cjson.encode({[1.5] = 1, [-1] = 2})").len(), 16);
        assert_eq!(
            run("return cjson.encode('\\0\\1\\8\\31\\127\\128\"\\\\/')"),
            Ok(b"\"\\u0000\\u0001\\b\\u001f\\u007f\x80\\\"\\\\\\/\"".to_vec())
        );
        assert_eq!(
            ok("return cjson.encode({-0, 0.1 + 0.2, 1e300, 2^53, cjson.null})"),
            "[-0,0.3,1e+300,9.007199254741e+15,null]"
        );
        assert_eq!(
            err("return cjson.encode({[1] = 1, [20] = 2})"),
            "user_script:1: Cannot serialise table: excessively sparse array"
        );
        assert_eq!(
            err("return cjson.encode(0/0)"),
            "user_script:1: Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            err("return cjson.encode({[true] = 1})"),
            "user_script:1: Cannot serialise boolean: table key must be a number or string"
        );
        assert_eq!(
            err("return cjson.encode(print)"),
            "user_script:1: Cannot serialise function: type not supported"
        );
        assert_eq!(
            err("local t = {} t[1] = t return cjson.encode(t)"),
            "user_script:1: Cannot serialise, excessive nesting (1001)"
        );
        assert_eq!(
            err("return cjson.encode()"),
            "user_script:1: bad argument #1 to 'encode' (expected 1 argument)"
        );
    }

    #[test]
    fn decodes_as_lua_cjson() {
        let json = r#"{"a":[1,{"b":[true,false,null]},{"c":{"d":"e"}}],"f":{}}"#;
        assert_eq!(
            ok(&format!("return cjson.encode(cjson.decode('{json}'))")),
            json
        );
        assert_eq!(
            ok(
                r#"local t = cjson.decode('{"a":[{"b":[1,{"c":2}]},3],"d":4}') return t.a[1].b[2].c + t.a[2] + t.d"#
            ),
            "9"
        );
        assert_eq!(
            ok(r#"return cjson.decode('"\\ud83d\\ude00\\u00e9\\n"')"#),
            "\u{1f600}\u{e9}\n"
        );
        assert_eq!(ok("return cjson.decode('0x1F') + cjson.decode('+5')"), "36");
        assert_eq!(ok("return cjson.decode('-nan')"), "-nan");
        assert_eq!(ok("return cjson.decode('[1]\\0xyz')[1]"), "1");
        assert_eq!(ok("return cjson.decode('null') == cjson.null"), "true");
        assert_eq!(ok("return cjson.decode(123)"), "123");
    }

    #[test]
    fn decode_errors_point_where_lua_cjson_does() {
        let cases = [
            ("''", "Expected value but found T_END at character 1"),
            (
                "'[1,2'",
                "Expected comma or array end but found T_END at character 5",
            ),
            (
                "'{\"a\" 1}'",
                "Expected colon but found T_NUMBER at character 6",
            ),
            (
                "'{1:2}'",
                "Expected object key string but found T_NUMBER at character 2",
            ),
            (
                "'nul'",
                "Expected value but found invalid token at character 1",
            ),
            (
                "'\"abc'",
                "Expected value but found unexpected end of string at character 5",
            ),
            (
                "'\"a\\\\qb\"'",
                "Expected value but found invalid escape code at character 3",
            ),
            (
                "'\"\\\\udc00\"'",
                "Expected value but found invalid unicode escape code at character 2",
            ),
            (
                "'1e'",
                "Expected the end but found invalid token at character 2",
            ),
            (
                "'-'",
                "Expected value but found invalid number at character 1",
            ),
            (
                "string.rep('[', 1001)",
                "Found too many nested data structures (1001) at character 1001",
            ),
            (
                "string.rep('{\"a\":', 1001)",
                "Found too many nested data structures (1001) at character 5001",
            ),
            ("'a\\0'", "JSON parser does not support UTF-16 or UTF-32"),
            (
                "{}",
                "bad argument #1 to 'decode' (string expected, got table)",
            ),
        ];
        for (json, message) in cases {
            assert_eq!(
                err(&format!("return cjson.decode({json})")),
                format!("user_script:1: {message}"),
                "{json}"
            );
        }
    }

    #[test]
    fn settings_last_and_belong_to_their_table() {
        assert_eq!(
            ok("cjson.encode_number_precision(3) return cjson.encode(math.pi)"),
            "3.14"
        );
        assert_eq!(
            ok("local c = cjson.new() cjson.encode_number_precision(3) return c.encode(math.pi)"),
            "3.1415926535898"
        );
        assert_eq!(
            ok("cjson.encode_invalid_numbers('null') return cjson.encode({1/0, 0/0})"),
            "[null,null]"
        );
        assert_eq!(
            ok("cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0})"),
            "[inf,-inf,nan]"
        );
        assert_eq!(ok("return cjson.encode_invalid_numbers('null')"), "null");
        assert_eq!(
            ok("cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [20] = 2})"),
            r#"{"1":1,"20":2}"#
        );
        assert_eq!(
            ok("return select(3, cjson.encode_sparse_array(nil, 3, 5))"),
            "5"
        );
        assert_eq!(
            ok("cjson.decode_invalid_numbers(false) return cjson.decode('-0')"),
            "-0"
        );
        assert_eq!(
            err("cjson.decode_invalid_numbers(false) return cjson.decode('0x10')"),
            "user_script:1: Expected value but found invalid number at character 1"
        );
        assert_eq!(
            err("cjson.decode_max_depth(2) return cjson.decode('[[[]]]')"),
            "user_script:1: Found too many nested data structures (3) at character 3"
        );
        assert_eq!(ok("return cjson.encode_max_depth(2^32 + 5)"), "5");
        assert_eq!(
            err("return cjson.encode_sparse_array(nil, -1)"),
            "user_script:1: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"
        );
        assert_eq!(
            err("return cjson.encode_sparse_array('yes')"),
            "user_script:1: bad argument #1 to 'encode_sparse_array' (invalid option 'yes')"
        );
        assert_eq!(
            err("return cjson.encode_max_depth(1, 2)"),
            "user_script:1: bad argument #2 to 'encode_max_depth' (found too many arguments)"
        );
    }

    #[test]
    fn deep_nesting_stops_where_c_s_stack_does() {
        // 7997 nested arrays fit C's stack, one more does not; objects take two slots each.
        let nested = |open: &str, depth: usize| {
            format!("cjson.encode_max_depth(100000) local t = {{}} local c = t for i = 1, {depth} do c{open} = {{}} c = c{open} end return #cjson.encode(t)")
        };
        assert_eq!(ok(&nested("[1]", 7996)), (7997 * 2).to_string());
        assert_eq!(
            err(&nested("[1]", 7997)),
            "user_script:1: Cannot serialise, excessive nesting (7998)"
        );
        assert_eq!(ok(&nested(".a", 3998)), (3998 * 6 + 2).to_string());
        assert_eq!(
            err(&nested(".a", 3999)),
            "user_script:1: Cannot serialise, excessive nesting (4000)"
        );
        let decode = |depth: usize| {
            format!("cjson.decode_max_depth(100000) return type(cjson.decode(string.rep('[', {depth}) .. string.rep(']', {depth})))")
        };
        assert_eq!(ok(&decode(7998)), "table");
        assert_eq!(
            err(&decode(7999)),
            "user_script:1: Found too many nested data structures (7999) at character 7999"
        );
    }
}
