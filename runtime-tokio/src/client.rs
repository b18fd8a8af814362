//! Radish's client on tokio: [`radish_client`] (written once, runtime-agnostic) given tokio's
//! TCP stream, and the pool runtime's spawner and timer. Everything else (typed commands,
//! pipelines, transactions, pub/sub) is `radish_client`'s, re-exported here.
//!
//! ```no_run
//! # async fn example() -> radish_tokio::client::Result<()> {
//! use radish_tokio::client::prelude::*;
//!
//! let client = radish_tokio::client::connect("redis://127.0.0.1:6379/0").await?;
//! client.set("greeting", "hello").await?;
//! assert_eq!(client.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::BytesMut;
pub use radish_client::*;
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;

use crate::TokioRuntime;

/// A tokio TCP stream as the client's transport.
#[derive(Debug)]
pub struct TcpTransport(TcpStream);

impl Transport for TcpTransport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
        // Readiness, then a non-blocking read straight into the spare capacity of `buf`.
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read_buf(buf) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return Poll::Ready(result),
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, data)
    }
}

impl Runtime for TokioRuntime {
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
            Ok(TcpTransport(stream))
        }
    }
}

/// Connects on the current tokio runtime to a [`Config`], `host:port`, or `redis://` URL,
/// and sets the connection up (`HELLO 3`, AUTH, SETNAME, SELECT).
pub async fn connect(config: impl IntoConfig) -> Result<Client> {
    radish_client::connect(&TokioRuntime::current(), config).await
}

/// The pool's [`Connect`](radish_pool::Connect) for Radish clients on tokio.
pub type Connector = radish_client::Connector<TokioRuntime>;

/// A pool of Radish clients on tokio.
pub type Pool = radish_pool::Pool<Connector, TokioRuntime>;

/// A pool builder for connections to `config`, on the current tokio runtime:
/// `pool_builder(url)?.max_size(50).build()?`.
pub fn pool_builder(
    config: impl IntoConfig,
) -> Result<radish_pool::Builder<Connector, TokioRuntime>> {
    radish_client::pool_builder(TokioRuntime::current(), config)
}
