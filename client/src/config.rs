//! Where and how to connect: [`Config`], from fields, `host:port`, or a `redis://` URL.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;

use crate::error::{Error, Result};

/// The protocol a connection asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2: no `HELLO`; `AUTH` when a password is set.
    Resp2,
    /// RESP3 through `HELLO 3`, falling back to RESP2 when the server refuses `HELLO`.
    #[default]
    Resp3,
}

/// How to reach a server and set a connection up.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Host name or IP address.
    pub host: String,
    /// TCP port (6379 by default).
    pub port: u16,
    /// ACL user name; `None` authenticates as `default` when a password is set.
    pub username: Option<Bytes>,
    /// Password; `None` does not authenticate.
    pub password: Option<Bytes>,
    /// The database selected after connecting (and after a reset).
    pub db: i64,
    /// A name set with `CLIENT SETNAME` (or `HELLO ... SETNAME`).
    pub client_name: Option<Bytes>,
    /// The protocol asked for.
    pub protocol: Protocol,
    /// How long a request waits for its reply by default; `None` waits as long as the
    /// connection lives (blocking commands such as `BLPOP 0` need that). A single request can
    /// set its own with [`Request::timeout`](crate::Request::timeout).
    pub response_timeout: Option<Duration>,
    /// How long opening the connection and setting it up may take.
    pub connect_timeout: Duration,
}

impl Config {
    /// Defaults for `host:port`: database 0, RESP3, no password, no response timeout, a
    /// 5-second connect timeout.
    pub fn new(host: impl Into<String>, port: u16) -> Config {
        Config {
            host: host.into(),
            port,
            username: None,
            password: None,
            db: 0,
            client_name: None,
            protocol: Protocol::Resp3,
            response_timeout: None,
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// Reads `host:port` (the port is required), `[v6 address]:port`, or a URL
    /// `redis://[[user]:password@]host[:port][/db][?protocol=resp2|resp3&name=NAME]`.
    /// User, password and name may be percent-encoded.
    pub fn parse(text: &str) -> Result<Config> {
        match text.strip_prefix("redis://") {
            Some(rest) => parse_url(rest),
            None if text.contains("://") => Err(bad("only redis:// URLs are supported")),
            None => {
                let (host, port) = split_host_port(text)?;
                Ok(Config::new(host, port.ok_or_else(|| bad("missing port"))?))
            }
        }
    }
}

/// The password is left out, so configs can be logged.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("db", &self.db)
            .field("client_name", &self.client_name)
            .field("protocol", &self.protocol)
            .field("response_timeout", &self.response_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl FromStr for Config {
    type Err = Error;

    fn from_str(text: &str) -> Result<Config> {
        Config::parse(text)
    }
}

/// Anything that names a server: a [`Config`], a `host:port` or `redis://` string, a socket
/// address.
pub trait IntoConfig {
    /// The config, or why the text is not one.
    fn into_config(self) -> Result<Config>;
}

impl IntoConfig for Config {
    fn into_config(self) -> Result<Config> {
        Ok(self)
    }
}

impl IntoConfig for &str {
    fn into_config(self) -> Result<Config> {
        Config::parse(self)
    }
}

impl IntoConfig for String {
    fn into_config(self) -> Result<Config> {
        Config::parse(&self)
    }
}

impl IntoConfig for SocketAddr {
    fn into_config(self) -> Result<Config> {
        Ok(Config::new(self.ip().to_string(), self.port()))
    }
}

fn bad(message: &str) -> Error {
    Error::Config(message.to_string())
}

fn parse_url(rest: &str) -> Result<Config> {
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, path),
        None => (rest, ""),
    };
    // The last `@` ends the user info: a password may contain `@` unencoded.
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (host, port) = split_host_port(hostport)?;
    let mut config = Config::new(host, port.unwrap_or(6379));
    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        };
        config.username = Some(percent_decode(user)?).filter(|user| !user.is_empty());
        config.password = password.map(percent_decode).transpose()?;
    }
    if !path.is_empty() {
        config.db = path
            .parse()
            .ok()
            .filter(|db| *db >= 0)
            .ok_or_else(|| bad("the path must be a database number"))?;
    }
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.split_once('=').unwrap_or((pair, "")) {
            ("protocol", "resp2" | "2") => config.protocol = Protocol::Resp2,
            ("protocol", "resp3" | "3") => config.protocol = Protocol::Resp3,
            ("name", name) => config.client_name = Some(percent_decode(name)?),
            ("", "") => {}
            _ => return Err(Error::Config(format!("unknown URL parameter `{pair}`"))),
        }
    }
    Ok(config)
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(text: &str) -> Result<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| bad("unclosed `[` in the address"))?;
        match after {
            "" => (host, None),
            after => (
                host,
                Some(after.strip_prefix(':').ok_or_else(|| bad("bad port"))?),
            ),
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(bad("missing host"));
    }
    let port = port
        .map(|port| port.parse::<u16>().map_err(|_| bad("bad port")))
        .transpose()?;
    Ok((host.to_string(), port))
}

fn percent_decode(text: &str) -> Result<Bytes> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| bad("bad percent-encoding"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Option<Bytes> {
        Some(Bytes::copy_from_slice(text.as_bytes()))
    }

    #[test]
    fn host_and_port() {
        let config = Config::parse("127.0.0.1:6380").unwrap();
        assert_eq!((config.host.as_str(), config.port), ("127.0.0.1", 6380));
        assert_eq!(config.db, 0);
        assert_eq!(config.protocol, Protocol::Resp3);
        let v6 = Config::parse("[::1]:7000").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 7000));
        assert!(matches!(Config::parse("localhost"), Err(Error::Config(_))));
        assert!(matches!(Config::parse("host:99999"), Err(Error::Config(_))));
    }

    #[test]
    fn full_url() {
        let config = Config::parse(
            "redis://alice:p%40ss:w@db.example:6390/3?protocol=resp2&name=worker%201",
        )
        .unwrap();
        assert_eq!(config.host, "db.example");
        assert_eq!(config.port, 6390);
        assert_eq!(config.username, bytes("alice"));
        assert_eq!(config.password, bytes("p@ss:w"));
        assert_eq!(config.db, 3);
        assert_eq!(config.protocol, Protocol::Resp2);
        assert_eq!(config.client_name, bytes("worker 1"));
        assert!(!format!("{config:?}").contains("p@ss"));
    }

    #[test]
    fn url_defaults_and_password_only() {
        let config = Config::parse("redis://localhost").unwrap();
        assert_eq!(
            (config.host.as_str(), config.port, config.db),
            ("localhost", 6379, 0)
        );
        assert_eq!((config.username, config.password), (None, None));
        let config = Config::parse("redis://:secret@[::1]/").unwrap();
        assert_eq!((config.host.as_str(), config.port), ("::1", 6379));
        assert_eq!((config.username, config.password), (None, bytes("secret")));
        let config = Config::parse("redis://@pw@host:1/2").unwrap();
        assert_eq!(config.username, bytes("@pw"));
        assert_eq!(
            (config.host.as_str(), config.port, config.db),
            ("host", 1, 2)
        );
    }

    #[test]
    fn bad_urls_are_config_errors() {
        for url in [
            "rediss://host",
            "redis://host/x",
            "redis://host/-1",
            "redis://host?tls=1",
            "redis://:%zz@host",
            "redis://[::1",
            "redis:///0",
        ] {
            assert!(
                matches!(Config::parse(url), Err(Error::Config(_))),
                "{url} should be refused"
            );
        }
    }
}
