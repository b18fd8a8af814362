//! [`Request`]: the future of one command, pipeline or transaction.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_channel::oneshot;
use radish_resp::Frame;

use crate::command::Cmd;
use crate::commands::query::Commands;
use crate::connection::{Client, Metas, Reply};
use crate::error::{Error, Result};
use crate::pipeline::{Pipeline, Transaction};
use crate::reply::FromReply;

/// What a request sends.
enum Payload<'a> {
    One(Cmd),
    Pipeline(&'a Pipeline),
    Transaction(&'a Transaction),
}

enum State<'a> {
    /// Not sent yet: requests are lazy, like other futures.
    Unsent(Payload<'a>),
    Sent(oneshot::Receiver<Result<Reply>>),
    Done,
}

/// A request in flight: resolves to the reply converted to `T`.
///
/// Nothing is sent until it is first polled. Dropping it after that abandons the reply, not
/// the connection: the driver still reads the reply and drops it, so later replies keep
/// matching their requests.
#[must_use = "a request does nothing until awaited"]
pub struct Request<'a, T> {
    client: &'a Client,
    state: State<'a>,
    timeout: Option<Duration>,
    sleep: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    convert: fn(Reply) -> Result<T>,
}

impl<'a, T> Request<'a, T> {
    fn new(client: &'a Client, payload: Payload<'a>, convert: fn(Reply) -> Result<T>) -> Self {
        Request {
            client,
            state: State::Unsent(payload),
            timeout: client.config().response_timeout,
            sleep: None,
            convert,
        }
    }

    /// Gives up with [`Error::Timeout`] if the reply has not arrived `timeout` after the
    /// request was sent (replacing the connection's default response timeout).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn send(&self, payload: &Payload<'a>) -> Result<oneshot::Receiver<Result<Reply>>> {
        match payload {
            Payload::One(cmd) => self.client.send_one(cmd),
            Payload::Pipeline(pipeline) => self
                .client
                .shared
                .send(Metas::Many(pipeline.metas().to_vec()), |out| {
                    out.extend_from_slice(pipeline.encoded())
                }),
            Payload::Transaction(transaction) => self
                .client
                .shared
                .send(Metas::Many(transaction.metas()), |out| {
                    transaction.write_to(out)
                }),
        }
    }
}

impl<T> Future for Request<'_, T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = &mut *self;
        if let State::Unsent(payload) = &this.state {
            if payload_is_empty(payload) {
                this.state = State::Done;
                return Poll::Ready((this.convert)(Reply::Many(Vec::new())));
            }
            match this.send(payload) {
                Ok(receiver) => this.state = State::Sent(receiver),
                Err(error) => {
                    this.state = State::Done;
                    return Poll::Ready(Err(error));
                }
            }
            this.sleep = this
                .timeout
                .map(|timeout| this.client.timer().sleep(timeout));
        }
        let State::Sent(receiver) = &mut this.state else {
            panic!("request polled after completion");
        };
        if let Poll::Ready(result) = Pin::new(receiver).poll(cx) {
            this.state = State::Done;
            return Poll::Ready(match result {
                Ok(reply) => reply.and_then(this.convert),
                // The driver went away without answering: the connection is gone.
                Err(oneshot::Canceled) => Err(this.client.shared.closed_error()),
            });
        }
        if let Some(sleep) = &mut this.sleep {
            if sleep.as_mut().poll(cx).is_ready() {
                // Dropping the receiver tells the driver to discard the reply when it comes.
                this.state = State::Done;
                return Poll::Ready(Err(Error::Timeout));
            }
        }
        Poll::Pending
    }
}

fn payload_is_empty(payload: &Payload<'_>) -> bool {
    matches!(payload, Payload::Pipeline(pipeline) if pipeline.is_empty())
}

fn one<T: FromReply>(reply: Reply) -> Result<T> {
    match reply {
        Reply::One(frame) => T::from_reply(frame),
        Reply::Many(frames) => T::from_reply(Frame::Array(frames)),
    }
}

fn all<T: FromReply>(reply: Reply) -> Result<T> {
    T::from_reply(Frame::Array(reply.into_frames()))
}

/// MULTI's reply, each command's QUEUED (or its error), then EXEC's reply.
fn exec<T: FromReply>(reply: Reply) -> Result<Option<T>> {
    let mut frames = reply.into_frames();
    let exec = frames.pop().unwrap_or(Frame::Null);
    let mut queued = frames.into_iter();
    // MULTI itself failed (nested MULTI): nothing was queued as asked.
    if let Some(multi) = queued.next() {
        <()>::from_reply(multi)?;
    }
    match exec {
        Frame::Null | Frame::NullArray => Ok(None),
        error @ (Frame::SimpleError(_) | Frame::BulkError(_)) => {
            let error = <()>::from_reply(error).unwrap_err();
            match error.server_error() {
                Some(server) if server.code() == b"EXECABORT" => Err(Error::ExecAbort(
                    queued
                        .filter_map(|frame| <()>::from_reply(frame).err())
                        .filter_map(|error| error.server_error().cloned())
                        .collect(),
                )),
                _ => Err(error),
            }
        }
        results => T::from_reply(results).map(Some),
    }
}

impl Client {
    /// Sends `cmd` and converts its reply to `T`: the typed commands and the escape hatch
    /// ([`cmd`](crate::cmd)) go through here.
    pub fn request<T: FromReply>(&self, cmd: Cmd) -> Request<'_, T> {
        Request::new(self, Payload::One(cmd), one::<T>)
    }

    /// Sends every command of `pipeline` in one write and converts the replies, as an array,
    /// to `T`: a tuple, a `Vec<Frame>`, or a `Vec<Result<_, ServerError>>` to keep each
    /// command's error apart.
    pub fn pipeline<'a, T: FromReply>(&'a self, pipeline: &'a Pipeline) -> Request<'a, T> {
        Request::new(self, Payload::Pipeline(pipeline), all::<T>)
    }

    /// Runs `transaction` as MULTI, its commands, EXEC, in one write. `Ok(Some(results))`
    /// when it ran; `Ok(None)` when EXEC replied nil because a WATCHed key changed (nothing
    /// ran); [`Error::ExecAbort`] with the queueing errors when a command was refused.
    pub fn transaction<'a, T: FromReply>(
        &'a self,
        transaction: &'a Transaction,
    ) -> Request<'a, Option<T>> {
        Request::new(self, Payload::Transaction(transaction), exec::<T>)
    }
}

impl<'a> Commands for &'a Client {
    type Run<T: FromReply> = Request<'a, T>;

    fn query<T: FromReply>(self, cmd: Cmd) -> Request<'a, T> {
        self.request(cmd)
    }
}
