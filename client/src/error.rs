//! The client's one error type, which keeps apart what the server said, what the network did,
//! what the bytes were, and what the caller asked the reply to be.

use std::fmt;
use std::io;
use std::sync::Arc;

use bytes::Bytes;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request failed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The server replied with an error line (`-ERR ...`, `-WRONGTYPE ...`).
    Server(ServerError),
    /// A transaction was discarded because commands failed when queued: EXEC replied
    /// `-EXECABORT`. Carries the queueing errors, in command order.
    ExecAbort(Vec<ServerError>),
    /// Reading or writing the socket failed. The connection is closed.
    Io(Arc<io::Error>),
    /// The server sent bytes that are not valid RESP, or a reply nobody asked for. The
    /// connection is closed: it can no longer tell which reply belongs to which request.
    Protocol(ProtocolError),
    /// The reply arrived but does not convert to the type asked for.
    Type(TypeError),
    /// No reply within the request's timeout. The reply, if it comes, is read and dropped.
    Timeout,
    /// The connection is closed (the server hung up, or an earlier error closed it).
    Closed,
    /// A connection URL or setting that cannot be used.
    Config(String),
}

impl Error {
    /// The server's error, if that is what this is.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Error::Server(error) => Some(error),
            _ => None,
        }
    }

    /// True when the connection this came from can no longer be used.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Error::Io(_) | Error::Protocol(_) | Error::Closed)
    }

    pub(crate) fn io(error: io::Error) -> Error {
        Error::Io(Arc::new(error))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Server(error) => write!(f, "{error}"),
            Error::ExecAbort(errors) => {
                f.write_str("EXECABORT Transaction discarded because of previous errors")?;
                for error in errors {
                    write!(f, "; {error}")?;
                }
                Ok(())
            }
            Error::Io(error) => write!(f, "I/O error: {error}"),
            Error::Protocol(error) => write!(f, "protocol error: {error}"),
            Error::Type(error) => write!(f, "{error}"),
            Error::Timeout => f.write_str("timed out waiting for the reply"),
            Error::Closed => f.write_str("connection closed"),
            Error::Config(message) => write!(f, "invalid configuration: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(error) => Some(error.as_ref()),
            Error::Protocol(ProtocolError::Invalid(error)) => Some(error),
            _ => None,
        }
    }
}

/// An error reply: the whole line after `-` (or a RESP3 bulk error), code included.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerError(Bytes);

impl ServerError {
    /// Wraps an error line such as `ERR syntax error`.
    pub fn new(line: impl Into<Bytes>) -> ServerError {
        ServerError(line.into())
    }

    /// The whole line, such as `WRONGTYPE Operation against a key holding the wrong kind of
    /// value`.
    pub fn line(&self) -> &Bytes {
        &self.0
    }

    /// The error code: the first word (`ERR`, `WRONGTYPE`, `NOAUTH`, `EXECABORT`...).
    pub fn code(&self) -> &[u8] {
        let end = self
            .0
            .iter()
            .position(|&byte| byte == b' ')
            .unwrap_or(self.0.len());
        &self.0[..end]
    }
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerError({self})")
    }
}

/// Why the byte stream from the server cannot be followed any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes are not valid RESP.
    Invalid(radish_resp::Error),
    /// A reply arrived with no request waiting for it.
    UnexpectedReply,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::Invalid(error) => write!(f, "{error}"),
            ProtocolError::UnexpectedReply => f.write_str("a reply arrived with no request"),
        }
    }
}

/// A reply that does not convert to the type asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    /// What was asked for, such as `an integer`.
    pub expected: &'static str,
    /// What arrived, such as `a bulk string`.
    pub found: &'static str,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reply type mismatch: expected {}, got {}",
            self.expected, self.found
        )
    }
}

impl std::error::Error for TypeError {}
