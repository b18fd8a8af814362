//! Pub/sub: a [`Subscriber`] that yields [`Message`]s as a [`Stream`].

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::mpsc;
use futures_core::Stream;

use crate::command::{cmd, ToArg};
use crate::connection::Client;
use crate::error::Result;
use crate::message::Message;

/// Receives the messages of one connection's subscriptions.
///
/// Made by [`Client::subscriber`]; the connection then delivers messages here (to the most
/// recent subscriber only). Iterate it as a [`Stream`]; it ends when the connection closes.
/// Messages wait in an unbounded queue until read, so read them promptly.
///
/// On RESP2 a subscribed connection accepts only (un)subscribe commands and `PING`; on
/// RESP3 the same connection can run other commands meanwhile.
#[derive(Debug)]
pub struct Subscriber {
    client: Client,
    messages: mpsc::UnboundedReceiver<Message>,
}

impl Client {
    /// Starts receiving this connection's pub/sub messages. The returned subscriber holds a
    /// handle to the connection, keeping it open.
    pub fn subscriber(&self) -> Subscriber {
        let (sender, messages) = mpsc::unbounded();
        *self.shared.sink() = Some(sender);
        Subscriber {
            client: self.clone(),
            messages,
        }
    }
}

impl Subscriber {
    /// `SUBSCRIBE channel...`: returns once the server has confirmed every channel.
    pub async fn subscribe<C: ToArg>(&self, channels: impl IntoIterator<Item = C>) -> Result<()> {
        self.client.request(cmd("SUBSCRIBE").args(channels)).await
    }

    /// `PSUBSCRIBE pattern...`: returns once the server has confirmed every pattern.
    pub async fn psubscribe<P: ToArg>(&self, patterns: impl IntoIterator<Item = P>) -> Result<()> {
        self.client.request(cmd("PSUBSCRIBE").args(patterns)).await
    }

    /// `UNSUBSCRIBE channel...`; no channel unsubscribes from all of them.
    pub async fn unsubscribe<C: ToArg>(&self, channels: impl IntoIterator<Item = C>) -> Result<()> {
        self.client.request(cmd("UNSUBSCRIBE").args(channels)).await
    }

    /// `PUNSUBSCRIBE pattern...`; no pattern unsubscribes from all of them.
    pub async fn punsubscribe<P: ToArg>(
        &self,
        patterns: impl IntoIterator<Item = P>,
    ) -> Result<()> {
        self.client
            .request(cmd("PUNSUBSCRIBE").args(patterns))
            .await
    }

    /// The connection, for other commands (RESP3 only while subscribed).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Stream for Subscriber {
    type Item = Message;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        Pin::new(&mut self.messages).poll_next(cx)
    }
}
