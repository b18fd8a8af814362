//! The store's one error type, whose `Display` is the exact RESP error line.

use std::fmt;

use bytes::Bytes;

/// A command's failure. `Display` gives the error line exactly as Redis sends it, without the
/// leading `-` and trailing `\r\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`.
    WrongType,
    /// `ERR value is not an integer or out of range`.
    NotInteger,
    /// `ERR value is not a valid float`.
    NotFloat,
    /// `ERR syntax error`.
    Syntax,
    /// `ERR no such key`.
    NoSuchKey,
    /// `ERR increment or decrement would overflow`.
    Overflow,
    /// `ERR wrong number of arguments for '<command>' command`.
    WrongArity(String),
    /// `ERR unknown command '<name>', with args beginning with: '<arg>' ...`.
    UnknownCommand {
        /// The command name as sent.
        name: Bytes,
        /// The arguments after it.
        args: Vec<Bytes>,
    },
    /// `NOAUTH Authentication required.`.
    NoAuth,
    /// `ERR DB index is out of range`.
    DbIndexOutOfRange,
    /// Any other error line, fixed text.
    Static(&'static str),
    /// Any other error line, built at run time. Must include its code (`ERR ...`).
    Message(String),
}

/// `ERR <text>` with `%s`-style arguments, as an [`Error::Message`].
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::Error::Message(format!($($arg)*))
    };
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WrongType => {
                f.write_str("WRONGTYPE Operation against a key holding the wrong kind of value")
            }
            Error::NotInteger => f.write_str("ERR value is not an integer or out of range"),
            Error::NotFloat => f.write_str("ERR value is not a valid float"),
            Error::Syntax => f.write_str("ERR syntax error"),
            Error::NoSuchKey => f.write_str("ERR no such key"),
            Error::Overflow => f.write_str("ERR increment or decrement would overflow"),
            Error::WrongArity(name) => {
                write!(f, "ERR wrong number of arguments for '{name}' command")
            }
            Error::UnknownCommand { name, args } => {
                write!(
                    f,
                    "ERR unknown command '{}', with args beginning with: ",
                    Truncated(name)
                )?;
                // Redis stops adding arguments once their text reaches 128 bytes.
                let mut shown = String::new();
                for arg in args {
                    if shown.len() >= 128 {
                        break;
                    }
                    let room = 128 - shown.len();
                    let text = String::from_utf8_lossy(&arg[..arg.len().min(room)]);
                    shown.push('\'');
                    shown.push_str(&text);
                    shown.push_str("' ");
                }
                f.write_str(&shown)
            }
            Error::NoAuth => f.write_str("NOAUTH Authentication required."),
            Error::DbIndexOutOfRange => f.write_str("ERR DB index is out of range"),
            Error::Static(line) => f.write_str(line),
            Error::Message(line) => f.write_str(line),
        }
    }
}

impl std::error::Error for Error {}

/// Redis prints client-supplied names with `%.128s`.
struct Truncated<'a>(&'a [u8]);

impl fmt::Display for Truncated<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &self.0[..self.0.len().min(128)];
        f.write_str(&String::from_utf8_lossy(shown))
    }
}

/// A command's result: its reply was written, or it failed with an error line.
pub type Result<T = ()> = std::result::Result<T, Error>;
