//! `cjson.decode`: JSON text as a Lua value.
//!
//! Lua CJSON reads the text as a C string: a zero byte ends it. Numbers are what C's
//! `strtod` reads, so with `decode_invalid_numbers` on (the default) `0x10`, `+1`, `inf`
//! and `nan` are numbers too. The parser is a loop over an explicit stack (as the encoder,
//! and for the same reasons).

use mlua::{Lua, Table, Value};

use super::{null, Config};
use crate::scripting::lauxlib::{error, stack_has_room};
use crate::scripting::stash::Stash;
use radish_data::types::zset::score::strtod;

/// Decodes `json` with the settings of `config`.
pub fn decode(lua: &Lua, config: &Config, json: &[u8]) -> mlua::Result<Value> {
    // The first character of JSON text is ASCII, so a zero byte among the first two means
    // UTF-16 or UTF-32.
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(error(lua, "JSON parser does not support UTF-16 or UTF-32"));
    }
    Parser {
        lua,
        config,
        lexer: Lexer {
            data: json,
            at: 0,
            allow_invalid_numbers: config.decode_invalid != 0,
        },
    }
    .parse()
}

/// A token, and where it starts (or where the error in it is).
struct Token {
    kind: Kind,
    index: usize,
}

/// What a token is.
#[derive(Debug, PartialEq)]
enum Kind {
    ObjectBegin,
    ObjectEnd,
    ArrayBegin,
    ArrayEnd,
    String(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// Not a token: what is wrong.
    Error(&'static str),
}

impl Kind {
    /// How a parse error names the token it found.
    fn name(&self) -> &'static str {
        match self {
            Kind::ObjectBegin => "T_OBJ_BEGIN",
            Kind::ObjectEnd => "T_OBJ_END",
            Kind::ArrayBegin => "T_ARR_BEGIN",
            Kind::ArrayEnd => "T_ARR_END",
            Kind::String(_) => "T_STRING",
            Kind::Number(_) => "T_NUMBER",
            Kind::Boolean(_) => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error(what) => what,
        }
    }
}

/// Reads tokens from the text.
struct Lexer<'a> {
    data: &'a [u8],
    at: usize,
    allow_invalid_numbers: bool,
}

impl Lexer<'_> {
    /// The byte at `index`; the text ends with a zero byte, as a C string does.
    fn byte(&self, index: usize) -> u8 {
        self.data.get(index).copied().unwrap_or(0)
    }

    /// Whether the text at `at` starts with `word`.
    fn starts_with(&self, word: &[u8]) -> bool {
        self.data[self.at.min(self.data.len())..].starts_with(word)
    }

    /// An error token at the current position (which does not move).
    fn error(&self, what: &'static str) -> Token {
        Token {
            kind: Kind::Error(what),
            index: self.at,
        }
    }

    /// The next token.
    fn next(&mut self) -> Token {
        while matches!(self.byte(self.at), b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
        let index = self.at;
        let single = match self.byte(self.at) {
            b'{' => Some(Kind::ObjectBegin),
            b'}' => Some(Kind::ObjectEnd),
            b'[' => Some(Kind::ArrayBegin),
            b']' => Some(Kind::ArrayEnd),
            b',' => Some(Kind::Comma),
            b':' => Some(Kind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            self.at += 1;
            return Token { kind, index };
        }
        let word = |kind: Kind, length: usize, lexer: &mut Lexer<'_>| {
            lexer.at += length;
            Token { kind, index }
        };
        match self.byte(self.at) {
            0 => Token {
                kind: Kind::End,
                index,
            },
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.allow_invalid_numbers && self.is_invalid_number() {
                    return self.error("invalid number");
                }
                self.number()
            }
            b't' | b'f' | b'n' | b'i' | b'I' | b'N' | b'+' => {
                if self.starts_with(b"true") {
                    word(Kind::Boolean(true), 4, self)
                } else if self.starts_with(b"false") {
                    word(Kind::Boolean(false), 5, self)
                } else if self.starts_with(b"null") {
                    word(Kind::Null, 4, self)
                } else if self.allow_invalid_numbers && self.is_invalid_number() {
                    self.number()
                } else {
                    self.error("invalid token")
                }
            }
            _ => self.error("invalid token"),
        }
    }

    /// Whether the number starting here is one JSON does not allow but `strtod` might
    /// read: a leading `+`, hex, leading zeros, `inf`, `nan`.
    fn is_invalid_number(&self) -> bool {
        let mut at = self.at;
        match self.byte(at) {
            b'+' => return true,
            b'-' => at += 1,
            _ => {}
        }
        match self.byte(at) {
            b'0' => {
                let next = self.byte(at + 1);
                next | 0x20 == b'x' || next.is_ascii_digit()
            }
            first if first <= b'9' => false,
            _ => {
                let word = [self.byte(at), self.byte(at + 1), self.byte(at + 2)];
                word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan")
            }
        }
    }

    /// A number, as much of the text as `strtod` reads.
    fn number(&mut self) -> Token {
        let rest = &self.data[self.at..];
        let parsed = strtod(rest);
        if parsed.consumed == 0 {
            return self.error("invalid number");
        }
        let mut value = parsed.value;
        // glibc's strtod keeps the sign of "-nan".
        if value.is_nan() && rest.first() == Some(&b'-') {
            value = -f64::NAN;
        }
        let index = self.at;
        self.at += parsed.consumed;
        Token {
            kind: Kind::Number(value),
            index,
        }
    }

    /// A string: its escapes decoded, any other byte kept as it is.
    fn string(&mut self) -> Token {
        let index = self.at;
        self.at += 1;
        let mut text = Vec::new();
        loop {
            let mut byte = self.byte(self.at);
            match byte {
                b'"' => break,
                0 => return self.error("unexpected end of string"),
                b'\\' => {
                    byte = match self.byte(self.at + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => b'\x08',
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => b'\x0c',
                        b'r' => b'\r',
                        b'u' => {
                            if self.unicode_escape(&mut text) {
                                continue;
                            }
                            return self.error("invalid unicode escape code");
                        }
                        _ => return self.error("invalid escape code"),
                    };
                    self.at += 1;
                }
                _ => {}
            }
            text.push(byte);
            self.at += 1;
        }
        self.at += 1;
        Token {
            kind: Kind::String(text),
            index,
        }
    }

    /// Four hex digits at `index`, as a number.
    fn hex4(&self, index: usize) -> Option<u32> {
        (index..index + 4).try_fold(0, |code, at| {
            Some(code << 4 | char::from(self.byte(at)).to_digit(16)?)
        })
    }

    /// A `\uXXXX` escape (two for a UTF-16 surrogate pair) at the current position,
    /// appended to `text` as UTF-8. False when it is not a valid one.
    fn unicode_escape(&mut self, text: &mut Vec<u8>) -> bool {
        let Some(mut code) = self.hex4(self.at + 2) else {
            return false;
        };
        let mut length = 6;
        if code & 0xf800 == 0xd800 {
            // A surrogate: a high one, then a low one in an escape of its own.
            if code & 0x400 != 0
                || self.byte(self.at + 6) != b'\\'
                || self.byte(self.at + 7) != b'u'
            {
                return false;
            }
            let Some(low) = self.hex4(self.at + 8) else {
                return false;
            };
            if low & 0xfc00 != 0xdc00 {
                return false;
            }
            code = (((code & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
            length = 12;
        }
        let Some(character) = char::from_u32(code) else {
            return false;
        };
        let mut utf8 = [0; 4];
        text.extend_from_slice(character.encode_utf8(&mut utf8).as_bytes());
        self.at += length;
        true
    }
}

/// An array or object being read.
struct Open {
    /// The next array index, or `None` for an object.
    index: Option<i64>,
    /// The stack slots the C parser would be using before this table was pushed.
    top: usize,
}

/// The parser: the lexer, and what it needs to build Lua values.
struct Parser<'a> {
    lua: &'a Lua,
    config: &'a Config,
    lexer: Lexer<'a>,
}

impl Parser<'_> {
    /// `Expected <expected> but found <token> at character <n>`.
    fn unexpected(&self, expected: &str, token: &Token) -> mlua::Error {
        error(
            self.lua,
            format!(
                "Expected {expected} but found {} at character {}",
                token.kind.name(),
                token.index + 1
            ),
        )
    }

    /// An object key and its colon, then the token of the value after them.
    fn key(&mut self, token: Token) -> mlua::Result<(Value, Token)> {
        let Kind::String(key) = token.kind else {
            return Err(self.unexpected("object key string", &token));
        };
        let key = Value::String(self.lua.create_string(key)?);
        let colon = self.lexer.next();
        if colon.kind != Kind::Colon {
            return Err(self.unexpected("colon", &colon));
        }
        Ok((key, self.lexer.next()))
    }

    /// Reads the whole text: one value, then its end.
    fn parse(mut self) -> mlua::Result<Value> {
        let lua = self.lua;
        let mut open: Vec<Open> = Vec::new();
        // The innermost table being read, and the key waiting for its value when it is an
        // object; those of the enclosing ones are put aside.
        let mut inner: Option<Table> = None;
        let mut key = Value::Nil;
        let mut enclosing = Stash::default();
        let mut token = self.lexer.next();
        loop {
            // The C parser has the argument on its stack, plus each open table (and the
            // key of each open object).
            let top = open.last().map_or(1, |parent| {
                parent.top + if parent.index.is_some() { 1 } else { 2 }
            });
            let mut value = match token.kind {
                Kind::String(text) => Value::String(lua.create_string(text)?),
                Kind::Number(number) => Value::Number(number),
                Kind::Boolean(boolean) => Value::Boolean(boolean),
                Kind::Null => null(),
                Kind::ObjectBegin | Kind::ArrayBegin => {
                    let is_array = token.kind == Kind::ArrayBegin;
                    let depth = open.len() + 1;
                    let slots = if is_array { 2 } else { 3 };
                    if depth > self.config.decode_max_depth as usize || !stack_has_room(top, slots)
                    {
                        return Err(error(
                            lua,
                            format!(
                                "Found too many nested data structures ({depth}) at character {}",
                                self.lexer.at
                            ),
                        ));
                    }
                    let table = lua.create_table()?;
                    token = self.lexer.next();
                    let empty = if is_array {
                        token.kind == Kind::ArrayEnd
                    } else {
                        token.kind == Kind::ObjectEnd
                    };
                    if empty {
                        Value::Table(table)
                    } else {
                        if let Some(parent) = inner.replace(table) {
                            let waiting = std::mem::replace(&mut key, Value::Nil);
                            enclosing.push(lua, Value::Table(parent), waiting)?;
                        }
                        if !is_array {
                            (key, token) = self.key(token)?;
                        }
                        open.push(Open {
                            index: is_array.then_some(1),
                            top,
                        });
                        continue;
                    }
                }
                _ => return Err(self.unexpected("value", &token)),
            };
            // Store the value, then close every table it completes.
            loop {
                let (Some(parent), Some(table)) = (open.last_mut(), inner.as_ref()) else {
                    let end = self.lexer.next();
                    if end.kind != Kind::End {
                        return Err(self.unexpected("the end", &end));
                    }
                    return Ok(value);
                };
                let next = self.lexer.next();
                match &mut parent.index {
                    Some(index) => {
                        table.raw_set(*index, value)?;
                        *index += 1;
                        match next.kind {
                            Kind::ArrayEnd => {}
                            Kind::Comma => {
                                token = self.lexer.next();
                                break;
                            }
                            _ => return Err(self.unexpected("comma or array end", &next)),
                        }
                    }
                    None => {
                        table.raw_set(std::mem::replace(&mut key, Value::Nil), value)?;
                        match next.kind {
                            Kind::ObjectEnd => {}
                            Kind::Comma => {
                                let after = self.lexer.next();
                                (key, token) = self.key(after)?;
                                break;
                            }
                            _ => return Err(self.unexpected("comma or object end", &next)),
                        }
                    }
                }
                // The table is complete: it is the value to store in its parent.
                value = inner.take().map_or(Value::Nil, Value::Table);
                open.pop();
                if !open.is_empty() {
                    let (parent, waiting) = enclosing.pop()?;
                    inner = match parent {
                        Value::Table(parent) => Some(parent),
                        _ => None,
                    };
                    key = waiting;
                }
            }
        }
    }
}
