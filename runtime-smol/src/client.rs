//! Radish's client on smol: [`radish_client`] (written once, runtime-agnostic) given smol's
//! TCP stream, and the pool runtime's spawner and timer. Everything else (typed commands,
//! pipelines, transactions, pub/sub) is `radish_client`'s, re-exported here.
//!
//! ```no_run
//! # async fn example() -> radish_smol::client::Result<()> {
//! use radish_smol::client::prelude::*;
//!
//! let client = radish_smol::client::connect("redis://127.0.0.1:6379/0").await?;
//! client.set("greeting", "hello").await?;
//! assert_eq!(client.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use futures_lite::{AsyncRead, AsyncWrite};
pub use radish_client::*;
use smol::net::TcpStream;

use crate::SmolRuntime;

/// A smol TCP stream as the client's transport.
#[derive(Debug)]
pub struct TcpTransport {
    stream: TcpStream,
    /// futures-io reads into a slice: read here, then append only the bytes that arrived.
    scratch: Box<[u8]>,
}

impl Transport for TcpTransport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
        let read = Pin::new(&mut self.stream).poll_read(cx, &mut self.scratch);
        if let Poll::Ready(Ok(n)) = read {
            buf.extend_from_slice(&self.scratch[..n]);
        }
        read
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }
}

impl Runtime for SmolRuntime {
    type Transport = TcpTransport;

    fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<TcpTransport>> + Send {
        let host = host.to_string();
        async move {
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(TcpTransport {
                stream,
                scratch: vec![0; 16 * 1024].into_boxed_slice(),
            })
        }
    }
}

/// Connects on smol's global executor to a [`Config`], `host:port`, or `redis://` URL, and
/// sets the connection up (`HELLO 3`, AUTH, SETNAME, SELECT).
pub async fn connect(config: impl IntoConfig) -> Result<Client> {
    radish_client::connect(&SmolRuntime::global(), config).await
}

/// The pool's [`Connect`](radish_pool::Connect) for Radish clients on smol.
pub type Connector = radish_client::Connector<SmolRuntime>;

/// A pool of Radish clients on smol.
pub type Pool = radish_pool::Pool<Connector, SmolRuntime>;

/// A pool builder for connections to `config`, on smol's global executor:
/// `pool_builder(url)?.max_size(50).build()?`.
pub fn pool_builder(
    config: impl IntoConfig,
) -> Result<radish_pool::Builder<Connector, SmolRuntime>> {
    radish_client::pool_builder(SmolRuntime::global(), config)
}
