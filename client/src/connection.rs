//! The state a [`Client`] handle shares with its connection's driver, and how requests get
//! from one to the other.
//!
//! Callers encode their commands straight into one shared output buffer and queue a reply
//! slot, both under one lock: the order of the bytes on the wire and the order of the slots
//! are therefore the same, which is all FIFO reply matching needs. The driver takes the whole
//! buffer and all slots at once, so it locks once per batch, not once per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

use bytes::BytesMut;
use futures_channel::{mpsc, oneshot};
use radish_resp::Frame;

use crate::command::{Cmd, Meta};
use crate::config::{Config, Protocol};
use crate::error::{Error, Result};
use crate::message::Message;

/// The runtime's timer, as the client needs it for request and connect timeouts.
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// What a request gets back: one reply, or one per command of a pipeline.
#[derive(Debug)]
pub(crate) enum Reply {
    One(Frame),
    Many(Vec<Frame>),
}

impl Reply {
    pub(crate) fn into_frames(self) -> Vec<Frame> {
        match self {
            Reply::One(frame) => vec![frame],
            Reply::Many(frames) => frames,
        }
    }
}

pub(crate) type ReplySender = oneshot::Sender<Result<Reply>>;

/// The commands of one request, as the driver reads their replies.
#[derive(Debug)]
pub(crate) enum Metas {
    One(Meta),
    Many(Vec<Meta>),
}

impl Metas {
    pub(crate) fn get(&self, index: usize) -> Option<Meta> {
        match self {
            Metas::One(meta) => (index == 0).then_some(*meta),
            Metas::Many(metas) => metas.get(index).copied(),
        }
    }
}

/// A request written to the output buffer, waiting for its replies.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) metas: Metas,
    pub(crate) sender: ReplySender,
}

/// What callers hand the driver.
#[derive(Default)]
pub(crate) struct Outgoing {
    /// Encoded requests not yet taken by the driver.
    pub(crate) buf: BytesMut,
    /// Their reply slots, in the same order.
    pub(crate) entries: Vec<Entry>,
    /// The driver's waker, taken by the first caller to queue something after the driver
    /// last looked.
    pub(crate) waker: Option<Waker>,
    /// Set when the driver has stopped: why. New requests fail with it.
    pub(crate) closed: Option<Error>,
}

/// State shared by the handles of one connection and its driver.
pub(crate) struct Shared {
    pub(crate) outgoing: Mutex<Outgoing>,
    /// Where pub/sub messages go (the latest [`Subscriber`](crate::Subscriber)).
    pub(crate) sink: Mutex<Option<mpsc::UnboundedSender<Message>>>,
    pub(crate) config: Config,
    pub(crate) timer: Arc<dyn Timer>,
    /// Live [`Client`] handles; the driver stops when none is left.
    pub(crate) handles: AtomicUsize,
    /// The connection state the driver tracks from replies. It updates these before it
    /// completes the request that changed them, so a caller sees its own changes.
    pub(crate) state: ConnectionState,
}

/// What the driver knows about the server side of the connection.
#[derive(Debug, Default)]
pub(crate) struct ConnectionState {
    /// Requests queued whose replies have not all been read, abandoned ones included.
    pub(crate) pending: AtomicUsize,
    pub(crate) closed: AtomicBool,
    pub(crate) in_multi: AtomicBool,
    pub(crate) watching: AtomicBool,
    pub(crate) subscribed: AtomicBool,
    pub(crate) db: AtomicI64,
    /// The connection lost its setup (RESET sent, or a state command queued inside MULTI
    /// whose effect is unknown): only a reset makes it known again.
    pub(crate) unknown: AtomicBool,
    /// 3 after a successful `HELLO 3`, else 2.
    pub(crate) protocol: AtomicUsize,
}

impl Shared {
    pub(crate) fn new(config: Config, timer: Arc<dyn Timer>) -> Shared {
        let state = ConnectionState::default();
        state.protocol.store(2, Ordering::Relaxed);
        Shared {
            outgoing: Mutex::new(Outgoing::default()),
            sink: Mutex::new(None),
            config,
            timer,
            handles: AtomicUsize::new(1),
            state,
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Outgoing> {
        // A panic while holding this lock leaves only plain data behind; carry on.
        self.outgoing
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub(crate) fn sink(&self) -> MutexGuard<'_, Option<mpsc::UnboundedSender<Message>>> {
        self.sink
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Queues an encoded request and its reply slot, waking the driver if it is not already
    /// due to look.
    pub(crate) fn send(
        &self,
        metas: Metas,
        encode: impl FnOnce(&mut BytesMut),
    ) -> Result<oneshot::Receiver<Result<Reply>>> {
        let (sender, receiver) = oneshot::channel();
        let waker = {
            let mut outgoing = self.lock();
            if let Some(error) = &outgoing.closed {
                return Err(error.clone());
            }
            encode(&mut outgoing.buf);
            outgoing.entries.push(Entry { metas, sender });
            self.state.pending.fetch_add(1, Ordering::Relaxed);
            outgoing.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(receiver)
    }

    /// Why requests fail now that the driver is gone.
    pub(crate) fn closed_error(&self) -> Error {
        self.lock().closed.clone().unwrap_or(Error::Closed)
    }
}

/// How a connection looks, for a pool deciding what to do with it when it comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// In sync and in its configured state.
    Clean,
    /// Usable after [`Client::reset`]: replies outstanding, inside MULTI, watching keys,
    /// subscribed, another database selected, or its setup undone.
    Dirty,
    /// Closed, out of sync, or still shared with another handle: drop it.
    Broken,
}

/// A handle to one connection. Cheap to clone; clones share the connection, and requests
/// from any of them are pipelined on it and matched to replies in order.
///
/// Commands come from the [`Commands`](crate::Commands) traits (import
/// [`prelude`](crate::prelude)), implemented for `&Client`: `client.get("key").await`.
pub struct Client {
    pub(crate) shared: Arc<Shared>,
}

impl Clone for Client {
    fn clone(&self) -> Client {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Client {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last handle: wake the driver so it notices and closes the connection.
            let waker = self.shared.lock().waker.take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.shared.config.host)
            .field("port", &self.shared.config.port)
            .field("health", &self.health())
            .finish()
    }
}

impl Client {
    /// The config this connection was made with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The protocol the server agreed to.
    pub fn protocol(&self) -> Protocol {
        match self.shared.state.protocol.load(Ordering::Relaxed) {
            3 => Protocol::Resp3,
            _ => Protocol::Resp2,
        }
    }

    /// True once the connection has closed; every request then fails.
    pub fn is_closed(&self) -> bool {
        self.shared.state.closed.load(Ordering::Acquire)
    }

    /// Whether this connection can be handed to someone else as it is (see [`Health`]).
    pub fn health(&self) -> Health {
        let state = &self.shared.state;
        if self.is_closed() || self.shared.handles.load(Ordering::Acquire) > 1 {
            return Health::Broken;
        }
        let dirty = state.pending.load(Ordering::Acquire) > 0
            || state.in_multi.load(Ordering::Acquire)
            || state.watching.load(Ordering::Acquire)
            || state.subscribed.load(Ordering::Acquire)
            || state.unknown.load(Ordering::Acquire)
            || state.db.load(Ordering::Acquire) != self.shared.config.db;
        if dirty {
            Health::Dirty
        } else {
            Health::Clean
        }
    }

    /// Queues one command; the driver writes it with whatever else is queued.
    pub(crate) fn send_one(&self, cmd: &Cmd) -> Result<oneshot::Receiver<Result<Reply>>> {
        self.shared
            .send(Metas::One(cmd.meta()), |out| cmd.write_to(out))
    }

    /// The timer, for timeouts.
    pub(crate) fn timer(&self) -> &dyn Timer {
        &*self.shared.timer
    }
}
