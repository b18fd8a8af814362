//! Opening and setting up connections on any runtime ([`Runtime`], [`connect`]), resetting
//! them, and the pool's [`Connect`](radish_pool::Connect) for them ([`Connector`]).

use std::future::{poll_fn, Future};
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use radish_pool::Returned;
use radish_resp::Frame;

use crate::command::cmd;
use crate::config::{Config, IntoConfig, Protocol};
use crate::connection::{Client, Health, Timer};
use crate::driver::{connection, Transport};
use crate::error::{Error, Result};

/// What the client needs from an async runtime: what the pool needs (a clock, a timer, a
/// place to run background tasks such as each connection's driver), plus TCP connections.
/// The tokio and smol wrappers implement it in a few lines.
pub trait Runtime: radish_pool::Runtime {
    /// The runtime's TCP stream, as a [`Transport`].
    type Transport: Transport;

    /// Opens a TCP connection (with `TCP_NODELAY`: requests are written whole).
    fn connect(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Self::Transport>> + Send;
}

/// A pool runtime's timer is the client's: boxed, so that a [`Client`] is not generic over
/// its runtime.
impl<R: radish_pool::Runtime> Timer for R {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(radish_pool::Runtime::sleep(self, duration))
    }
}

/// Completes `future`, or fails with [`Error::Timeout`] after `timeout`.
pub(crate) async fn with_timeout<F: Future>(
    timer: &dyn Timer,
    timeout: Duration,
    future: F,
) -> Result<F::Output> {
    let mut future = pin!(future);
    let mut sleep = timer.sleep(timeout);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        sleep.as_mut().poll(cx).map(|()| Err(Error::Timeout))
    })
    .await
}

/// Connects to the server `config` names (a [`Config`], `host:port`, or a `redis://` URL)
/// and sets the connection up (see [`Client::handshake`]), within the config's connect
/// timeout.
pub async fn connect<R: Runtime>(runtime: &R, config: impl IntoConfig) -> Result<Client> {
    let config = config.into_config()?;
    let timer: Arc<dyn Timer> = Arc::new(runtime.clone());
    let timeout = config.connect_timeout;
    let setup = async {
        let transport = runtime
            .connect(&config.host, config.port)
            .await
            .map_err(Error::io)?;
        let (client, driver) = connection(transport, config.clone(), timer.clone());
        radish_pool::Runtime::spawn(runtime, driver);
        client.handshake().await?;
        Ok(client)
    };
    with_timeout(&*timer, timeout, setup).await?
}

impl Client {
    /// Sets the connection up as its config says. With RESP3 asked for: `HELLO 3` carrying
    /// `AUTH` and `SETNAME`; a server that refuses HELLO (older than Redis 6, or without
    /// RESP3) gets RESP2 with `AUTH` and `CLIENT SETNAME` instead, unless it refused because
    /// of the credentials. With RESP2 asked for, just the latter. Then `SELECT` when the
    /// database is not 0. [`connect`] does this; call it yourself after
    /// [`connection`](crate::connection).
    pub async fn handshake(&self) -> Result<()> {
        let config = self.config();
        let mut set_up = false;
        if config.protocol == Protocol::Resp3 {
            let mut hello = cmd("HELLO").arg(3);
            if let Some(password) = &config.password {
                let user = config.username.as_deref().unwrap_or(b"default");
                hello = hello.arg("AUTH").arg(user).arg(password);
            }
            if let Some(name) = &config.client_name {
                hello = hello.arg("SETNAME").arg(name);
            }
            match self.request::<Frame>(hello).await {
                Ok(_) => set_up = true,
                Err(Error::Server(error)) if matches!(error.code(), b"NOAUTH" | b"WRONGPASS") => {
                    return Err(Error::Server(error));
                }
                Err(Error::Server(_)) => {}
                Err(other) => return Err(other),
            }
        }
        if !set_up {
            if let Some(password) = &config.password {
                let auth = match &config.username {
                    Some(user) => cmd("AUTH").arg(user).arg(password),
                    None => cmd("AUTH").arg(password),
                };
                self.request::<()>(auth).await?;
            }
            if let Some(name) = &config.client_name {
                let setname = cmd("CLIENT").arg("SETNAME").arg(name);
                self.request::<()>(setname).await?;
            }
        }
        if config.db != 0 {
            self.request::<()>(cmd("SELECT").arg(config.db)).await?;
        }
        self.shared.state.unknown.store(false, Ordering::Release);
        Ok(())
    }

    /// Brings the connection back to its configured state: `RESET` (which leaves MULTI,
    /// unwatches, unsubscribes, selects database 0 and logs out), then the setup of
    /// [`handshake`](Client::handshake) again. Replies still owed to abandoned requests are
    /// read and dropped first, since RESET's reply comes after them.
    pub async fn reset(&self) -> Result<()> {
        self.request::<()>(cmd("RESET")).await?;
        self.handshake().await
    }
}

/// Makes and maintains pooled connections: radish-pool's [`Connect`](radish_pool::Connect)
/// for [`Client`], on runtime `R`.
///
/// On return a connection is `Clean` when in sync and in its configured state; `Dirty`
/// (reset before reuse) with replies outstanding, inside MULTI, watching, subscribed, on
/// another database, or after a raw RESET; `Broken` (dropped) when closed or when another
/// handle to it is still alive (a clone or a [`Subscriber`](crate::Subscriber) that outlived
/// the checkout could still use it).
#[derive(Debug, Clone)]
pub struct Connector<R> {
    runtime: R,
    config: Config,
}

impl<R: Runtime> Connector<R> {
    /// Connections to what `config` names, on `runtime`.
    pub fn new(runtime: R, config: impl IntoConfig) -> Result<Connector<R>> {
        Ok(Connector {
            runtime,
            config: config.into_config()?,
        })
    }

    /// The config connections are made with.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// A pool builder for connections to `config`, on `runtime` (which serves both the client and
/// the pool): `pool_builder(runtime, url)?.max_size(50).build()?`.
pub fn pool_builder<R: Runtime + radish_pool::Runtime>(
    runtime: R,
    config: impl IntoConfig,
) -> Result<radish_pool::Builder<Connector<R>, R>> {
    let connector = Connector::new(runtime.clone(), config)?;
    Ok(radish_pool::Pool::builder(connector, runtime))
}

impl<R: Runtime> radish_pool::Connect for Connector<R> {
    type Connection = Client;
    type Error = Error;

    fn connect(&self) -> impl Future<Output = Result<Client>> + Send {
        connect(&self.runtime, self.config.clone())
    }

    fn check(&self, connection: &mut Client) -> impl Future<Output = Result<()>> + Send {
        let ping = connection.request::<()>(cmd("PING"));
        with_flattened_timeout(&self.runtime, self.config.connect_timeout, ping)
    }

    fn reset(&self, connection: &mut Client) -> impl Future<Output = Result<()>> + Send {
        let reset = connection.reset();
        with_flattened_timeout(&self.runtime, self.config.connect_timeout, reset)
    }

    fn returned(&self, connection: &mut Client) -> Returned {
        match connection.health() {
            Health::Clean => Returned::Clean,
            Health::Dirty => Returned::Dirty,
            Health::Broken => Returned::Broken,
        }
    }
}

async fn with_flattened_timeout<R: Runtime>(
    runtime: &R,
    timeout: Duration,
    future: impl Future<Output = Result<()>>,
) -> Result<()> {
    with_timeout(runtime, timeout, future).await?
}
