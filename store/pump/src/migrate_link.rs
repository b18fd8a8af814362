//! The connections MIGRATE opens to other servers: blocking TCP streams, opened here because
//! the store opens no socket (`Server::with_connector`).

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use radish_store::Link;

/// A blocking TCP connection to another server.
struct TcpLink(TcpStream);

impl io::Read for TcpLink {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl io::Write for TcpLink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Link for TcpLink {
    fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.0.set_read_timeout(Some(timeout))?;
        self.0.set_write_timeout(Some(timeout))
    }
}

/// Connects to `host`:`port` within `timeout`, trying each address the name resolves to in
/// turn, as Redis's blocking connect does; with Nagle's algorithm off, as Redis sets it.
pub fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<Box<dyn Link>> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(Box::new(TcpLink(stream)));
            }
            Err(error) => last = error,
        }
    }
    Err(last)
}
