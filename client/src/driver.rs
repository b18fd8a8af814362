//! The connection driver: one future per connection that writes queued requests, reads
//! replies, and hands each reply to the request it belongs to, in order.
//!
//! Only the driver touches the socket, so a caller that gives up (a dropped future, a
//! timeout) cannot leave half a reply in the stream: its reply is still read, whole, and
//! dropped, and the next reply still goes to the next request.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes, BytesMut};
use radish_resp::{Decoder, Frame};

use crate::command::{Effect, Family, Meta, Subscription, Verb};
use crate::config::Config;
use crate::connection::{Client, Entry, Metas, Reply, Shared, Timer};
use crate::error::{Error, ProtocolError};
use crate::message::Message;

/// A connected byte stream, as a runtime wrapper provides it.
///
/// Poll-based rather than `async fn`, so that one driver future can wait for "readable",
/// "writable" and "new requests" at once without splitting the socket: a large pipeline is
/// written while replies are already being read, and neither side waits for the other.
pub trait Transport: Send + Unpin + 'static {
    /// Reads some bytes, appending them to `buf`; `Ok(0)` at end of stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>>;

    /// Writes some of `data`, returning how many bytes were written.
    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>>;
}

/// Free space kept in the input buffer before each read.
const READ_RESERVE: usize = 16 * 1024;

/// Reads handled in one poll before yielding, so a connection that never runs dry does not
/// starve the other tasks of its executor thread.
const READS_PER_POLL: usize = 32;

/// Makes a connection over `transport`: the [`Client`] handle, and the driver future the
/// runtime must spawn. Nothing is sent until the driver runs. The runtime wrappers call this
/// and then [`Client::handshake`]; use it directly for a custom transport.
pub fn connection<T: Transport>(
    transport: T,
    config: Config,
    timer: Arc<dyn Timer>,
) -> (Client, Driver<T>) {
    let shared = Arc::new(Shared::new(config, timer));
    let driver = Driver {
        shared: shared.clone(),
        transport,
        output: BytesMut::new(),
        input: BytesMut::with_capacity(READ_RESERVE),
        decoder: Decoder::new(),
        in_flight: VecDeque::new(),
        subscriptions: Subscriptions::default(),
    };
    (Client { shared }, driver)
}

/// The future that runs a connection; it completes when the connection closes (the last
/// [`Client`] handle dropped, or the socket failed).
#[must_use = "the connection does nothing unless its driver is spawned"]
pub struct Driver<T> {
    shared: Arc<Shared>,
    transport: T,
    /// Bytes taken from the callers' buffer, being written.
    output: BytesMut,
    input: BytesMut,
    decoder: Decoder,
    in_flight: VecDeque<InFlight>,
    subscriptions: Subscriptions,
}

/// A request whose bytes were taken for writing, and how far its replies have come.
struct InFlight {
    entry: Entry,
    /// The command whose reply comes next.
    command: usize,
    /// Replies of earlier commands, for a pipeline.
    replies: Vec<Frame>,
    /// Confirmations so far, for a (un)subscribe command.
    confirmations: Vec<Frame>,
    /// Confirmations still expected, once known.
    confirmations_left: Option<usize>,
}

/// The channels this connection is subscribed to, as confirmed by the server.
#[derive(Default)]
struct Subscriptions {
    channels: HashSet<Bytes>,
    patterns: HashSet<Bytes>,
    shard_channels: HashSet<Bytes>,
}

impl Subscriptions {
    fn family(&mut self, family: Family) -> &mut HashSet<Bytes> {
        match family {
            Family::Channel => &mut self.channels,
            Family::Pattern => &mut self.patterns,
            Family::Shard => &mut self.shard_channels,
        }
    }

    fn any(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty())
    }
}

/// A subscribe-family confirmation (`subscribe`, `punsubscribe`, ...): family, verb, channel.
fn confirmation(frame: &Frame) -> Option<(Family, Verb, Option<Bytes>)> {
    let items = match frame {
        Frame::Push(items) | Frame::Array(items) if items.len() == 3 => items,
        _ => return None,
    };
    let (family, verb) = match &items[0].as_bytes()?[..] {
        b"subscribe" => (Family::Channel, Verb::Subscribe),
        b"psubscribe" => (Family::Pattern, Verb::Subscribe),
        b"ssubscribe" => (Family::Shard, Verb::Subscribe),
        b"unsubscribe" => (Family::Channel, Verb::Unsubscribe),
        b"punsubscribe" => (Family::Pattern, Verb::Unsubscribe),
        b"sunsubscribe" => (Family::Shard, Verb::Unsubscribe),
        _ => return None,
    };
    Some((family, verb, items[1].as_bytes().cloned()))
}

impl<T: Transport> Future for Driver<T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.drive(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(error) => {
                this.close(error);
                Poll::Ready(())
            }
        }
    }
}

impl<T> Drop for Driver<T> {
    /// A driver dropped unfinished (its runtime shut down) fails what was waiting on it.
    fn drop(&mut self) {
        if !self.shared.state.closed.load(Ordering::Acquire) {
            self.close(Error::Closed);
        }
    }
}

impl<T: Transport> Driver<T> {
    /// Runs until the connection must close; returns why.
    fn drive(&mut self, cx: &mut Context<'_>) -> Poll<Error> {
        let mut reads = 0;
        loop {
            if self.take_requests(cx) {
                return Poll::Ready(Error::Closed);
            }
            let mut progress = false;
            while !self.output.is_empty() {
                match self.transport.poll_write(cx, &self.output) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Error::io(io::ErrorKind::WriteZero.into()))
                    }
                    Poll::Ready(Ok(written)) => {
                        self.output.advance(written);
                        progress = true;
                    }
                    Poll::Ready(Err(error)) => return Poll::Ready(Error::io(error)),
                    Poll::Pending => break,
                }
            }
            if self.input.capacity() - self.input.len() < READ_RESERVE / 4 {
                self.input.reserve(READ_RESERVE);
            }
            match self.transport.poll_read(cx, &mut self.input) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Error::Closed),
                Poll::Ready(Ok(_)) => {
                    if let Err(error) = self.read_replies() {
                        return Poll::Ready(error);
                    }
                    progress = true;
                    reads += 1;
                }
                Poll::Ready(Err(error)) => return Poll::Ready(Error::io(error)),
                Poll::Pending => {}
            }
            if !progress {
                return Poll::Pending;
            }
            if reads >= READS_PER_POLL {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }

    /// Moves queued requests into the output and the in-flight queue, and leaves the waker
    /// for the next caller. True when every handle is gone: time to close.
    fn take_requests(&mut self, cx: &mut Context<'_>) -> bool {
        let mut outgoing = self.shared.lock();
        if !outgoing.buf.is_empty() {
            if self.output.is_empty() {
                // Swap buffers rather than copy: the callers get the emptied one back.
                std::mem::swap(&mut self.output, &mut outgoing.buf);
            } else {
                self.output.extend_from_slice(&outgoing.buf);
                outgoing.buf.clear();
            }
        }
        self.in_flight
            .extend(outgoing.entries.drain(..).map(|entry| InFlight {
                entry,
                command: 0,
                replies: Vec::new(),
                confirmations: Vec::new(),
                confirmations_left: None,
            }));
        if !outgoing
            .waker
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            outgoing.waker = Some(cx.waker().clone());
        }
        drop(outgoing);
        self.shared.handles.load(Ordering::Acquire) == 0
    }

    fn read_replies(&mut self) -> Result<(), Error> {
        while let Some(frame) = self
            .decoder
            .decode(&mut self.input)
            .map_err(|error| Error::Protocol(ProtocolError::Invalid(error)))?
        {
            self.dispatch(frame)?;
        }
        Ok(())
    }

    /// Gives one frame to whoever it belongs to: the subscriber, or the oldest request.
    fn dispatch(&mut self, frame: Frame) -> Result<(), Error> {
        let head = self
            .in_flight
            .front()
            .and_then(|head| head.entry.metas.get(head.command));
        let subscribing = head.and_then(|meta| meta.subscription);
        // RESP3 sends pub/sub traffic as push frames. RESP2 sends plain arrays, which are
        // only taken for pub/sub while the connection is (being) subscribed, so that an
        // ordinary reply such as LRANGE's that happens to hold "message" stays a reply.
        let out_of_band = match &frame {
            Frame::Push(_) => true,
            Frame::Array(_) => {
                subscribing.is_some()
                    || (self.subscriptions.any()
                        && self.shared.state.protocol.load(Ordering::Relaxed) == 2)
            }
            _ => false,
        };
        if out_of_band {
            if let Some(message) = frame.as_elements().and_then(Message::from_push) {
                self.publish(message);
                return Ok(());
            }
            if let Some(confirmed) = confirmation(&frame) {
                return self.confirm(confirmed, subscribing, frame);
            }
            if matches!(frame, Frame::Push(_)) {
                // Other out-of-band data (client-side caching invalidations...).
                return Ok(());
            }
        }
        let Some(meta) = head else {
            return Err(Error::Protocol(ProtocolError::UnexpectedReply));
        };
        self.apply(meta, &frame);
        self.complete_command(frame);
        Ok(())
    }

    /// Records a (un)subscribe confirmation; counts it toward the head request if that is
    /// the (un)subscribe command it answers.
    fn confirm(
        &mut self,
        (family, verb, channel): (Family, Verb, Option<Bytes>),
        expected: Option<Subscription>,
        frame: Frame,
    ) -> Result<(), Error> {
        // How many confirmations an "all of them" unsubscribe gets is only known now, when
        // every earlier command has been answered.
        let subscribed_before = self.subscriptions.family(family).len();
        if let Some(channel) = channel {
            let set = self.subscriptions.family(family);
            match verb {
                Verb::Subscribe => set.insert(channel),
                Verb::Unsubscribe => set.remove(&channel),
            };
        }
        self.shared
            .state
            .subscribed
            .store(self.subscriptions.any(), Ordering::Release);
        let Some(expected) = expected.filter(|e| (e.family, e.verb) == (family, verb)) else {
            // Not asked for here (the server unsubscribed us on its own): nothing to answer.
            return Ok(());
        };
        let Some(head) = self.in_flight.front_mut() else {
            return Ok(());
        };
        let left = head
            .confirmations_left
            .get_or_insert(match expected.channels {
                0 => subscribed_before.max(1),
                named => named,
            });
        *left -= 1;
        head.confirmations.push(frame);
        if *left == 0 {
            let confirmations = std::mem::take(&mut head.confirmations);
            head.confirmations_left = None;
            self.complete_command(Frame::Array(confirmations));
        }
        Ok(())
    }

    /// Updates the connection state a command changed, before its caller hears back.
    fn apply(&mut self, meta: Meta, reply: &Frame) {
        let state = &self.shared.state;
        let ok = matches!(reply, Frame::SimpleString(text) if &text[..] == b"OK");
        let queued = matches!(reply, Frame::SimpleString(text) if &text[..] == b"QUEUED");
        let changes_state = meta.effect != Effect::None || meta.subscription.is_some();
        match meta.effect {
            // Inside MULTI a command only runs at EXEC, with an outcome not seen here.
            _ if queued && changes_state => state.unknown.store(true, Ordering::Release),
            Effect::None => {}
            Effect::Multi if ok => state.in_multi.store(true, Ordering::Release),
            Effect::EndMulti => {
                state.in_multi.store(false, Ordering::Release);
                state.watching.store(false, Ordering::Release);
            }
            Effect::Watch if ok => state.watching.store(true, Ordering::Release),
            Effect::Unwatch => state.watching.store(false, Ordering::Release),
            Effect::Select(db) if ok => state.db.store(db, Ordering::Release),
            Effect::Hello(version) if !reply.is_error() => {
                state.protocol.store(version, Ordering::Release)
            }
            Effect::Reset if reply.as_bytes().is_some_and(|text| &text[..] == b"RESET") => {
                state.in_multi.store(false, Ordering::Release);
                state.watching.store(false, Ordering::Release);
                state.db.store(0, Ordering::Release);
                state.protocol.store(2, Ordering::Release);
                // RESET also logs out and forgets the name: the setup must be redone.
                state.unknown.store(true, Ordering::Release);
                self.subscriptions = Subscriptions::default();
                state.subscribed.store(false, Ordering::Release);
            }
            _ => {}
        }
    }

    /// The head request's current command has its reply: move on, and answer the request
    /// when that was its last command.
    fn complete_command(&mut self, reply: Frame) {
        let Some(head) = self.in_flight.front_mut() else {
            return;
        };
        head.command += 1;
        let reply = match head.entry.metas {
            Metas::One(_) => Reply::One(reply),
            Metas::Many(_) => {
                head.replies.push(reply);
                if head.entry.metas.get(head.command).is_some() {
                    return;
                }
                Reply::Many(std::mem::take(&mut head.replies))
            }
        };
        let Some(done) = self.in_flight.pop_front() else {
            return;
        };
        self.shared.state.pending.fetch_sub(1, Ordering::AcqRel);
        // The caller may have given up (dropped or timed out): then the reply is dropped.
        let _ = done.entry.sender.send(Ok(reply));
    }
}

impl<T> Driver<T> {
    fn publish(&mut self, message: Message) {
        let mut sink = self.shared.sink();
        if let Some(sender) = sink.as_ref() {
            if sender.unbounded_send(message).is_err() {
                *sink = None;
            }
        }
    }

    /// Marks the connection closed and fails every request still waiting.
    fn close(&mut self, error: Error) {
        let state = &self.shared.state;
        state.closed.store(true, Ordering::Release);
        let queued = {
            let mut outgoing = self.shared.lock();
            outgoing.closed = Some(error.clone());
            outgoing.waker = None;
            std::mem::take(&mut outgoing.entries)
        };
        let waiting = self.in_flight.drain(..).map(|in_flight| in_flight.entry);
        for entry in waiting.chain(queued) {
            state.pending.fetch_sub(1, Ordering::AcqRel);
            let _ = entry.sender.send(Err(error.clone()));
        }
        *self.shared.sink() = None;
    }
}
