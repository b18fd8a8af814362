//! The engine on its own, with a host that answers a few commands.

use bytes::{Bytes, BytesMut};
use radish_resp::Version;

use super::{Host, Scripts};

/// A host with one string key space: GET, SET, INCR; anything else is unknown.
#[derive(Default)]
struct Fake {
    data: std::collections::HashMap<Bytes, Bytes>,
    calls: Vec<Vec<Bytes>>,
}

impl Host for Fake {
    fn call(
        &mut self,
        args: &[&[u8]],
        version: Version,
        _repl: u8,
        out: &mut BytesMut,
    ) -> Result<(), Vec<u8>> {
        self.calls
            .push(args.iter().map(|a| Bytes::copy_from_slice(a)).collect());
        let name = String::from_utf8_lossy(args[0]).to_ascii_lowercase();
        match (name.as_str(), args.len()) {
            ("get", 2) => match self.data.get(args[1]) {
                Some(value) => radish_resp::write_bulk(out, value),
                None => radish_resp::write_null(out, version),
            },
            ("set", 3) => {
                self.data.insert(
                    Bytes::copy_from_slice(args[1]),
                    Bytes::copy_from_slice(args[2]),
                );
                out.extend_from_slice(b"+OK\r\n");
            }
            ("incr", 2) => {
                let value = self.data.get(args[1]).map_or(Some(0), |v| {
                    std::str::from_utf8(v)
                        .ok()
                        .and_then(|v| v.parse::<i64>().ok())
                });
                match value {
                    Some(value) => {
                        self.data.insert(
                            Bytes::copy_from_slice(args[1]),
                            Bytes::from((value + 1).to_string()),
                        );
                        radish_resp::write_integer(out, value + 1);
                    }
                    None => radish_resp::write_error(
                        out,
                        b"ERR value is not an integer or out of range",
                    ),
                }
            }
            ("get" | "set" | "incr", _) => {
                return Err(b"Wrong number of args calling Redis command from script".to_vec())
            }
            _ => return Err(b"Unknown Redis command called from script".to_vec()),
        }
        Ok(())
    }

    fn acl_check(&mut self, args: &[&[u8]]) -> Option<bool> {
        matches!(args[0], b"get" | b"set" | b"incr").then_some(true)
    }

    fn interrupt(&mut self) -> bool {
        false
    }
}

fn eval_with(
    scripts: &mut Scripts,
    host: &mut Fake,
    body: &str,
    keys: &[&str],
    args: &[&str],
    caller: Version,
) -> String {
    let body = Bytes::copy_from_slice(body.as_bytes());
    let sha = match scripts.create(&body) {
        Ok(sha) => sha,
        Err(line) => return format!("-{line}\r\n"),
    };
    let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
    let args: Vec<&[u8]> = args.iter().map(|k| k.as_bytes()).collect();
    let mut out = BytesMut::new();
    let call = super::Call {
        keys: &keys,
        args: &args,
        caller,
    };
    let script = scripts.get(&sha).expect("just created");
    match scripts.run(script, call, host, &mut out) {
        Ok(_) => String::from_utf8_lossy(&out).into_owned(),
        Err(failure) => format!(
            "-{}\r\n",
            String::from_utf8_lossy(&failure.line)
                .replace(std::str::from_utf8(&sha).unwrap(), "<sha>")
        ),
    }
}

fn eval(body: &str) -> String {
    eval_with(
        &mut Scripts::new(Default::default()),
        &mut Fake::default(),
        body,
        &[],
        &[],
        Version::Resp2,
    )
}

#[test]
fn values_convert_to_replies_as_in_redis() {
    assert_eq!(eval("return 1"), ":1\r\n");
    assert_eq!(eval("return 3.99"), ":3\r\n");
    assert_eq!(eval("return 'hi'"), "$2\r\nhi\r\n");
    assert_eq!(eval("return true"), ":1\r\n");
    assert_eq!(eval("return false"), "$-1\r\n");
    assert_eq!(eval("return nil"), "$-1\r\n");
    assert_eq!(
        eval("return {1, 2, 'x', nil, 4}"),
        "*3\r\n:1\r\n:2\r\n$1\r\nx\r\n"
    );
    assert_eq!(eval("return {ok='fine'}"), "+fine\r\n");
    assert_eq!(eval("return {err='BAD thing'}"), "-BAD thing\r\n");
    assert_eq!(
        eval("return redis.error_reply('My Error')"),
        "-My Error\r\n"
    );
    assert_eq!(eval("return redis.error_reply('-X y')"), "-X y\r\n");
    assert_eq!(eval("return redis.status_reply('yes')"), "+yes\r\n");
    assert_eq!(eval("return {double=3.5}"), "$3\r\n3.5\r\n");
    assert_eq!(eval("return 0/0"), format!(":{}\r\n", i64::MIN));
}

#[test]
fn the_sandbox_refuses_as_redis_does() {
    assert_eq!(
        eval("return undefined_thing"),
        "-ERR user_script:1: Script attempted to access nonexistent global variable 'undefined_thing' script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval("x = 5"),
        "-ERR user_script:1: Attempt to modify a readonly table script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval("\nredis.call = function() return 1 end"),
        "-ERR user_script:2: Attempt to modify a readonly table script: <sha>, on @user_script:2.\r\n"
    );
    assert_eq!(
        eval("rawset(_G, 'x', 1)"),
        "-ERR Attempt to modify a readonly table script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval("setmetatable(_G, {})"),
        "-ERR Attempt to modify a readonly table script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval("local g = getmetatable(_G)\ng.__index = {}"),
        "-ERR user_script:2: Attempt to modify a readonly table script: <sha>, on @user_script:2.\r\n"
    );
    assert_eq!(
        eval("table.insert(string, 'x')"),
        "-ERR Attempt to modify a readonly table script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval("loadfile('x')"),
        "-ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile' script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(eval("return rawget(_G, 'redis') ~= nil"), ":1\r\n");
    assert_eq!(
        eval("local n = 0 for k in pairs(math) do n = n + 1 end return n > 10"),
        ":1\r\n"
    );
    assert_eq!(eval("return ('abc'):upper()"), "$3\r\nABC\r\n");
    assert_eq!(eval("return getmetatable('').__index == string"), ":1\r\n");
    assert_eq!(
        eval("getmetatable('').__index = 1"),
        "-ERR user_script:1: Attempt to modify a readonly table script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval("error(string)"),
        "-ERR err_handler_def:10: Attempt to modify a readonly table script: <sha>, on @err_handler_def:10.\r\n"
    );
    assert_eq!(
        eval("return (("),
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n"
    );
}

#[test]
fn redis_call_reaches_the_host() {
    let mut scripts = Scripts::new(Default::default());
    let mut host = Fake::default();
    let reply = eval_with(
        &mut scripts,
        &mut host,
        "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
        &["k"],
        &["v"],
        Version::Resp2,
    );
    assert_eq!(reply, "$1\r\nv\r\n");
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "return redis.call('incr', KEYS[1])",
            &["k"],
            &[],
            Version::Resp2
        ),
        "-ERR value is not an integer or out of range script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "return redis.pcall('incr', KEYS[1])",
            &["k"],
            &[],
            Version::Resp2
        ),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "local ok, e = pcall(redis.call, 'nosuch') return e",
            &[],
            &[],
            Version::Resp2
        ),
        "$44\r\nERR Unknown Redis command called from script\r\n"
    );
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "return redis.call('get', 'missing')",
            &[],
            &[],
            Version::Resp2
        ),
        "$-1\r\n"
    );
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "return type(redis.call('get', 'missing'))",
            &[],
            &[],
            Version::Resp2
        ),
        "$7\r\nboolean\r\n"
    );
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "redis.setresp(3) return type(redis.call('get', 'missing'))",
            &[],
            &[],
            Version::Resp2
        ),
        "$3\r\nnil\r\n"
    );
    assert_eq!(
        eval_with(
            &mut scripts,
            &mut host,
            "return redis.call('set', 'n', 1.5)",
            &[],
            &[],
            Version::Resp2
        ),
        "+OK\r\n"
    );
    assert_eq!(
        host.data.get(&b"n"[..]).unwrap(),
        &Bytes::from_static(b"1.5")
    );
    assert_eq!(
        eval_with(&mut scripts, &mut host, "return redis.call()", &[], &[], Version::Resp2),
        "-ERR Please specify at least one argument for this redis lib call script: <sha>, on @user_script:1.\r\n"
    );
}

#[test]
fn math_random_follows_lrand48_from_its_seed() {
    let first = eval("math.randomseed(0) return {math.random(100), math.random(100)}");
    assert_eq!(
        first,
        eval("math.randomseed(0) return {math.random(100), math.random(100)}")
    );
}

/// `body` with a local `hex` function in front, on its first line (so that errors keep
/// their line numbers): for checking binary results through a reply.
fn with_hex(body: &str) -> String {
    format!(
        "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end {body}"
    )
}

// The expected replies below are what redis-server 7.0.15 replies to the same scripts.

#[test]
fn cjson_encodes_as_redis_does() {
    assert_eq!(
        eval(r#"return cjson.encode({1, 2, 'a/b', {x = 1.5}, true, cjson.null})"#),
        "$32\r\n[1,2,\"a\\/b\",{\"x\":1.5},true,null]\r\n"
    );
    assert_eq!(
        eval(r#"return cjson.encode({[1] = 1, [2] = 2, [4] = 4})"#),
        "$12\r\n[1,2,null,4]\r\n"
    );
    assert_eq!(
        eval(r#"return cjson.encode({a = {b = {c = {}}}})"#),
        "$20\r\n{\"a\":{\"b\":{\"c\":{}}}}\r\n"
    );
    assert_eq!(
        eval(r#"return cjson.encode({-0, 0.1 + 0.2, 1e300, 2^53, 1/3, -1e-7, 100})"#),
        "$62\r\n[-0,0.3,1e+300,9.007199254741e+15,0.33333333333333,-1e-07,100]\r\n"
    );
    assert_eq!(
        eval(r#"return cjson.encode('\0\1\8\t\n\12\r\31\127"\\/')"#),
        "$42\r\n\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f\\u007f\\\"\\\\\\/\"\r\n"
    );
    assert_eq!(eval(r#"local t = {} for i = 1, 20 do t['k' .. i] = i end return cjson.encode(t)"#), "$163\r\n{\"k16\":16,\"k19\":19,\"k11\":11,\"k17\":17,\"k15\":15,\"k20\":20,\"k10\":10,\"k8\":8,\"k1\":1,\"k12\":12,\"k3\":3,\"k2\":2,\"k9\":9,\"k13\":13,\"k18\":18,\"k14\":14,\"k6\":6,\"k7\":7,\"k4\":4,\"k5\":5}\r\n");
    assert_eq!(
        eval(r#"return cjson.encode({[1.5] = 'x', [-1] = 'y', [0] = 'z'})"#),
        "$28\r\n{\"0\":\"z\",\"1.5\":\"x\",\"-1\":\"y\"}\r\n"
    );
    assert_eq!(eval(r#"return cjson.encode({[1] = 1, [20] = 2})"#), "-ERR user_script:1: Cannot serialise table: excessively sparse array script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode({0/0})"#), "-ERR user_script:1: Cannot serialise number: must not be NaN or Inf script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode({[true] = 1})"#), "-ERR user_script:1: Cannot serialise boolean: table key must be a number or string script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode(function() end)"#), "-ERR user_script:1: Cannot serialise function: type not supported script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode(cjson)"#), "-ERR user_script:1: Cannot serialise function: type not supported script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"local t = {} t[1] = t return cjson.encode(t)"#), "-ERR user_script:1: Cannot serialise, excessive nesting (1001) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode()"#), "-ERR user_script:1: bad argument #1 to 'encode' (expected 1 argument) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"local f = cjson.encode return f(1, 2)"#), "-ERR user_script:1: bad argument #1 to 'f' (expected 1 argument) script: <sha>, on @user_script:1.\r\n");
}

#[test]
fn cjson_decodes_as_redis_does() {
    assert_eq!(
        eval(r#"return cjson.decode('[1,"two",[3,{"four":4}],true,false]')"#),
        "*5\r\n:1\r\n$3\r\ntwo\r\n*2\r\n:3\r\n*0\r\n:1\r\n$-1\r\n"
    );
    assert_eq!(eval(r#"return cjson.encode(cjson.decode('{"zeta":1,"alpha":[1,2,{"x":null,"y":true}],"mid":{"q":"w","e":"r"},"n":-0.5e-3}'))"#), "$80\r\n{\"mid\":{\"q\":\"w\",\"e\":\"r\"},\"zeta\":1,\"alpha\":[1,2,{\"y\":true,\"x\":null}],\"n\":-0.0005}\r\n");
    assert_eq!(
        eval(r#"return cjson.decode('"\\u0041\\u00e9\\ud83d\\ude00\\n"')"#),
        "$8\r\nAé😀\n\r\n"
    );
    assert_eq!(
        eval(
            r#"return {cjson.decode('0x1F'), cjson.decode('+5'), cjson.decode('1e2'), cjson.decode(123)}"#
        ),
        "*4\r\n:31\r\n:5\r\n:100\r\n:123\r\n"
    );
    assert_eq!(
        eval(r#"return tostring(cjson.decode('-inf')) .. tostring(cjson.decode('nan'))"#),
        "$7\r\n-infnan\r\n"
    );
    assert_eq!(
        eval(
            r#"return type(cjson.decode('null')) .. tostring(cjson.decode('null') == cjson.null)"#
        ),
        "$12\r\nuserdatatrue\r\n"
    );
    assert_eq!(eval(r#"return cjson.decode('')"#), "-ERR user_script:1: Expected value but found T_END at character 1 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('[1,2')"#), "-ERR user_script:1: Expected comma or array end but found T_END at character 5 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('{"a" 1}')"#), "-ERR user_script:1: Expected colon but found T_NUMBER at character 6 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('{1:2}')"#), "-ERR user_script:1: Expected object key string but found T_NUMBER at character 2 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('tru')"#), "-ERR user_script:1: Expected value but found invalid token at character 1 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('"abc')"#), "-ERR user_script:1: Expected value but found unexpected end of string at character 5 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('"\\q"')"#), "-ERR user_script:1: Expected value but found invalid escape code at character 2 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('"\\udc00"')"#), "-ERR user_script:1: Expected value but found invalid unicode escape code at character 2 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('[1]x')"#), "-ERR user_script:1: Expected the end but found invalid token at character 4 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('-')"#), "-ERR user_script:1: Expected value but found invalid number at character 1 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode(string.rep('[', 1001))"#), "-ERR user_script:1: Found too many nested data structures (1001) at character 1001 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode(string.rep('{"a":', 1001))"#), "-ERR user_script:1: Found too many nested data structures (1001) at character 5001 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode('a\0')"#), "-ERR user_script:1: JSON parser does not support UTF-16 or UTF-32 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.decode({})"#), "-ERR user_script:1: bad argument #1 to 'decode' (string expected, got table) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(r#"return {pcall(cjson.decode, '[')}"#),
        "*2\r\n$-1\r\n$45\r\nExpected value but found T_END at character 2\r\n"
    );
}

#[test]
fn cjson_settings_last_until_script_flush() {
    assert_eq!(
        eval(r#"cjson.encode_number_precision(3) return cjson.encode(math.pi)"#),
        "$4\r\n3.14\r\n"
    );
    assert_eq!(
        eval(
            r#"local c = cjson.new() c.encode_number_precision(3) return {c.encode(math.pi), cjson.encode(math.pi)}"#
        ),
        "*2\r\n$4\r\n3.14\r\n$15\r\n3.1415926535898\r\n"
    );
    assert_eq!(
        eval(r#"cjson.encode_invalid_numbers('null') return cjson.encode({1/0, -1/0, 0/0, 1})"#),
        "$18\r\n[null,null,null,1]\r\n"
    );
    assert_eq!(
        eval(r#"cjson.encode_invalid_numbers(true) return cjson.encode({1/0, -1/0, 0/0, 1})"#),
        "$16\r\n[inf,-inf,nan,1]\r\n"
    );
    assert_eq!(
        eval(r#"cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [20] = 2})"#),
        "$14\r\n{\"1\":1,\"20\":2}\r\n"
    );
    assert_eq!(eval(r#"cjson.encode_max_depth(2) return cjson.encode({{{}}})"#), "-ERR user_script:1: Cannot serialise, excessive nesting (3) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"cjson.decode_max_depth(2) return cjson.decode('[[[]]]')"#), "-ERR user_script:1: Found too many nested data structures (3) at character 3 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"cjson.decode_invalid_numbers(false) return cjson.decode('0x10')"#), "-ERR user_script:1: Expected value but found invalid number at character 1 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(r#"return {cjson.encode_sparse_array(nil, 3, 5)}"#),
        "*3\r\n$-1\r\n:3\r\n:5\r\n"
    );
    assert_eq!(
        eval(
            r#"return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()}"#
        ),
        "*3\r\n:1000\r\n:1000\r\n:14\r\n"
    );
    assert_eq!(
        eval(
            r#"return {cjson.encode_invalid_numbers('null'), cjson.encode_keep_buffer(), cjson.decode_invalid_numbers()}"#
        ),
        "*3\r\n$4\r\nnull\r\n:1\r\n:1\r\n"
    );
    assert_eq!(eval(r#"return cjson.encode_sparse_array('yes')"#), "-ERR user_script:1: bad argument #1 to 'encode_sparse_array' (invalid option 'yes') script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode_sparse_array(nil, -1)"#), "-ERR user_script:1: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson.encode_max_depth(1, 2)"#), "-ERR user_script:1: bad argument #2 to 'encode_max_depth' (found too many arguments) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cjson:encode_max_depth()"#), "-ERR user_script:1: calling 'encode_max_depth' on bad self (number expected, got table) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(r#"return cjson._NAME .. ' ' .. cjson._VERSION"#),
        "$11\r\ncjson 2.1.0\r\n"
    );
    assert_eq!(eval(r#"local names = {} for name in pairs(cjson) do names[#names + 1] = name end return names"#), "*13\r\n$5\r\n_NAME\r\n$6\r\nencode\r\n$16\r\ndecode_max_depth\r\n$8\r\n_VERSION\r\n$22\r\ndecode_invalid_numbers\r\n$18\r\nencode_keep_buffer\r\n$4\r\nnull\r\n$23\r\nencode_number_precision\r\n$3\r\nnew\r\n$16\r\nencode_max_depth\r\n$22\r\nencode_invalid_numbers\r\n$6\r\ndecode\r\n$19\r\nencode_sparse_array\r\n");
}

#[test]
fn cmsgpack_packs_as_redis_does() {
    assert_eq!(eval(&with_hex(r#"return hex(cmsgpack.pack(1, -1, 127, 128, 255, 256, 65535, 65536, 2^32 - 1, 2^32, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1))"#)), "$124\r\n01ff7fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000e0d0dfd080d1ff7fd18000d2ffff7fffd280000000d3ffffffff7fffffff\r\n");
    assert_eq!(eval(&with_hex(r#"return hex(cmsgpack.pack(2^63, -2^63, 2^64, 1.5, 0.1, 1/0, -1/0, 0/0, -0))"#)), "$106\r\nca5f000000d38000000000000000ca5f800000ca3fc00000cb3fb999999999999aca7f800000caff800000cbfff800000000000000\r\n");
    assert_eq!(
        eval(&with_hex(
            r#"return hex(cmsgpack.pack(string.rep('a', 31))):sub(1, 4) .. hex(cmsgpack.pack(string.rep('b', 32))):sub(1, 6) .. hex(cmsgpack.pack(string.rep('c', 256))):sub(1, 8) .. hex(cmsgpack.pack(string.rep('d', 65536))):sub(1, 12)"#
        )),
        "$30\r\nbf61d92062da010063db0001000064\r\n"
    );
    assert_eq!(
        eval(&with_hex(
            r#"return hex(cmsgpack.pack({}, {1, 2}, {a = 1}, {1, nil, 3}, true, false, nil, function() end))"#
        )),
        "$34\r\n9092010281a161018201010303c3c2c0c0\r\n"
    );
    assert_eq!(eval(&with_hex(r#"local t = {} for i = 1, 20 do t['k' .. i] = i end return hex(cmsgpack.pack(t))"#)), "$188\r\nde0014a36b313610a36b313913a36b31310ba36b313711a36b31350fa36b323014a36b31300aa26b3808a26b3101a36b31320ca26b3303a26b3202a26b3909a36b31330da36b313812a36b31340ea26b3606a26b3707a26b3404a26b3505\r\n");
    assert_eq!(
        eval(&with_hex(
            r#"local t = {} t[1] = t return hex(cmsgpack.pack(t))"#
        )),
        "$34\r\n91919191919191919191919191919191c0\r\n"
    );
    assert_eq!(eval(&with_hex(r#"return hex(cmsgpack.pack(cmsgpack))"#)), "$376\r\n88ac5f4445534352495054494f4ed9244d6573736167655061636b204320696d706c656d656e746174696f6e20666f72204c7561a47061636bc0a55f4e414d45a8636d73677061636ba6756e7061636bc0aa5f434f50595249474854d928436f707972696768742028432920323031322c2053616c7661746f72652053616e66696c6970706fa85f56455253494f4eb26c75612d636d73677061636b20302e342e30aa756e7061636b5f6f6e65c0ac756e7061636b5f6c696d6974c0\r\n");
    assert_eq!(eval(r#"return cmsgpack.pack()"#), "-ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"local t = {} for i = 1, 4001 do t[i] = i end return cmsgpack.pack(unpack(t))"#), "-ERR user_script:1: bad argument #0 to 'pack' (Too many arguments for MessagePack pack.) script: <sha>, on @user_script:1.\r\n");
}

#[test]
fn cmsgpack_unpacks_as_redis_does() {
    assert_eq!(
        eval(r#"return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2, {x = 3}}, 1.5))}"#),
        "*4\r\n:1\r\n$1\r\na\r\n*3\r\n:1\r\n:2\r\n*0\r\n:1\r\n"
    );
    assert_eq!(
        eval(r#"return cmsgpack.unpack(cmsgpack.pack({a = {b = 'c'}})).a.b"#),
        "$1\r\nc\r\n"
    );
    assert_eq!(
        eval(
            r#"return {cmsgpack.unpack('\207\255\255\255\255\255\255\255\255\209\255\254\208\128\210\255\255\255\255\224\255')}"#
        ),
        "*6\r\n:-1\r\n:-2\r\n:-128\r\n:-1\r\n:-32\r\n:-1\r\n"
    );
    assert_eq!(
        eval(r#"return {cmsgpack.unpack('\147\1\192\3')}"#),
        "*1\r\n*1\r\n:1\r\n"
    );
    assert_eq!(
        eval(r#"return {cmsgpack.unpack_one('\1\2', 0)}"#),
        "*2\r\n:1\r\n:1\r\n"
    );
    assert_eq!(
        eval(r#"return {cmsgpack.unpack_one('\1\2', 1)}"#),
        "*2\r\n:-1\r\n:2\r\n"
    );
    assert_eq!(
        eval(r#"return {cmsgpack.unpack_one('\1\2', 2)}"#),
        "*1\r\n:-1\r\n"
    );
    assert_eq!(
        eval(r#"return {cmsgpack.unpack_limit('\1\2\3', 2)}"#),
        "*3\r\n:2\r\n:1\r\n:2\r\n"
    );
    assert_eq!(
        eval(r#"return {cmsgpack.unpack_limit('\1\2\3', 0, 1)}"#),
        "*1\r\n:1\r\n"
    );
    assert_eq!(eval(r#"return {cmsgpack.unpack('')}"#), "*0\r\n");
    assert_eq!(
        eval(r#"return cmsgpack.unpack('\193')"#),
        "-ERR user_script:1: Bad data format in input. script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval(r#"return cmsgpack.unpack('\205\1')"#),
        "-ERR user_script:1: Missing bytes in input. script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval(r#"return cmsgpack.unpack('\129\192\1')"#),
        "-ERR table index is nil script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(eval(r#"return cmsgpack.unpack_one('\1\2', -1)"#), "-ERR user_script:1: Invalid request to unpack with offset of -1 and limit of 2. script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cmsgpack.unpack_one('\1\2', 3)"#), "-ERR user_script:1: Start offset 3 greater than input length 2. script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cmsgpack.unpack_limit('\1')"#), "-ERR user_script:1: bad argument #2 to 'unpack_limit' (number expected, got no value) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cmsgpack.unpack(string.rep('\145', 4000))"#), "-ERR user_script:1: stack overflow (in function mp_decode_to_lua_array) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return cmsgpack.unpack(string.rep('\1', 8000))"#), "-ERR user_script:1: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.) script: <sha>, on @user_script:1.\r\n");
}

#[test]
fn struct_packs_as_redis_does() {
    assert_eq!(
        eval(&with_hex(
            r#"return hex(struct.pack('>bBhHlLTiI', -1, 255, -2, 65534, -3, 3, 4, -5, 5))"#
        )),
        "$76\r\nfffffffefffefffffffffffffffd00000000000000030000000000000004fffffffb00000005\r\n"
    );
    assert_eq!(
        eval(&with_hex(
            r#"return hex(struct.pack('<i3I5i16', -2, 2^33, -1))"#
        )),
        "$48\r\nfeffff0000000002ffffffffffffffff0000000000000000\r\n"
    );
    assert_eq!(
        eval(&with_hex(
            r#"return hex(struct.pack('>LLl', 1e20, 0/0, 2^63))"#
        )),
        "$48\r\n000000000000000080000000000000008000000000000000\r\n"
    );
    assert_eq!(
        eval(&with_hex(
            r#"return hex(struct.pack('!4bi3bi3', 5, 6, 7, 8)) .. ' ' .. hex(struct.pack('>!bhd', 1, 2, 3))"#
        )),
        "$53\r\n05000006000007080000 01000002000000004008000000000000\r\n"
    );
    assert_eq!(
        eval(&with_hex(
            r#"return hex(struct.pack('<fd >fd', 0.1, 0.1, 1e300, -0))"#
        )),
        "$48\r\ncdcccc3d9a9999999999b93f7f8000008000000000000000\r\n"
    );
    assert_eq!(
        eval(r#"return struct.pack('c0 s x c2', 'ab', 12.5, 'xyz')"#),
        "$10\r\nab12.5\u{0}\u{0}xy\r\n"
    );
    assert_eq!(eval(r#"return struct.pack('c5', 'ab')"#), "-ERR user_script:1: bad argument #3 to 'pack' (string too short) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.pack('bb', 1)"#), "-ERR user_script:1: bad argument #3 to 'pack' (number expected, got nil) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.pack('b', 'x')"#), "-ERR user_script:1: bad argument #2 to 'pack' (number expected, got string) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.pack('q', 1)"#), "-ERR user_script:1: bad argument #1 to 'pack' (invalid format option 'q') script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.pack('i33', 5)"#), "-ERR user_script:1: integral size 33 is larger than limit of 32 script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(r#"return struct.pack('c2147483648', 1)"#),
        "-ERR user_script:1: integral size overflow script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(
        eval(r#"return struct.pack('!3i', 5)"#),
        "-ERR user_script:1: alignment 3 is not a power of 2 script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(eval(r#"return struct:pack('b')"#), "-ERR user_script:1: calling 'pack' on bad self (string expected, got table) script: <sha>, on @user_script:1.\r\n");
}

#[test]
fn struct_unpacks_as_redis_does() {
    assert_eq!(
        eval(r#"return {struct.unpack('>bBhH', '\255\255\255\255\255\255')}"#),
        "*5\r\n:-1\r\n:255\r\n:-1\r\n:65535\r\n:7\r\n"
    );
    assert_eq!(
        eval(r#"return {struct.unpack('<i9', string.rep('\255', 9))}"#),
        "*2\r\n:-1\r\n:10\r\n"
    );
    assert_eq!(
        eval(r#"return {struct.unpack('!4bi', 'a\0\0\0\1\0\0\0')}"#),
        "*3\r\n:97\r\n:1\r\n:9\r\n"
    );
    assert_eq!(
        eval(r#"return {struct.unpack('>f', '\63\192\0\0')}"#),
        "*2\r\n:1\r\n:5\r\n"
    );
    assert_eq!(
        eval(r#"return {struct.unpack('bc0s', '\3abcde\0f')}"#),
        "*3\r\n$3\r\nabc\r\n$2\r\nde\r\n:8\r\n"
    );
    assert_eq!(
        eval(r#"return {struct.unpack('c1c0', '3abcd')}"#),
        "*2\r\n$3\r\nabc\r\n:5\r\n"
    );
    assert_eq!(
        eval(r#"return {struct.unpack('b', 'abc', 3)}"#),
        "*2\r\n:99\r\n:4\r\n"
    );
    assert_eq!(eval(r#"return struct.unpack('c0', 'ab')"#), "-ERR user_script:1: format 'c0' needs a previous size script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(r#"return struct.unpack('s', 'ab')"#),
        "-ERR user_script:1: unfinished string in data script: <sha>, on @user_script:1.\r\n"
    );
    assert_eq!(eval(r#"return struct.unpack('b', 'abc', 0)"#), "-ERR user_script:1: bad argument #3 to 'unpack' (offset must be 1 or greater) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.unpack('b', 'abc', -1)"#), "-ERR user_script:1: bad argument #2 to 'unpack' (data string too short) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.unpack('b')"#), "-ERR user_script:1: bad argument #2 to 'unpack' (string expected, got no value) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(
            r#"return {struct.size('bhilLT'), struct.size('!bhilLTd'), struct.size('c10zq5'), struct.size(5)}"#
        ),
        "*4\r\n:31\r\n:40\r\n:10\r\n:0\r\n"
    );
    assert_eq!(eval(r#"return struct.size('s')"#), "-ERR user_script:1: bad argument #1 to 'size' (option 's' has no fixed size) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.size('c0')"#), "-ERR user_script:1: bad argument #1 to 'size' (option 'c0' has no fixed size) script: <sha>, on @user_script:1.\r\n");
    assert_eq!(eval(r#"return struct.size('b?')"#), "-ERR user_script:1: bad argument #1 to 'size' (invalid format option '?') script: <sha>, on @user_script:1.\r\n");
    assert_eq!(
        eval(
            r#"local names = {} for name in pairs(struct) do names[#names + 1] = name end return names"#
        ),
        "*3\r\n$4\r\npack\r\n$4\r\nsize\r\n$6\r\nunpack\r\n"
    );
}
