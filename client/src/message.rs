//! [`Message`]: what a pub/sub push carries, read from its frame.

use bytes::Bytes;
use radish_resp::Frame;

/// A message published to a channel this connection subscribed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published to.
    pub channel: Bytes,
    /// The pattern that matched, for messages received through `PSUBSCRIBE`.
    pub pattern: Option<Bytes>,
    /// What was published.
    pub payload: Bytes,
}

impl Message {
    /// Reads a `message`, `pmessage` or `smessage` push (a RESP3 push frame, or a RESP2
    /// array on a subscribed connection). `None` for any other frame.
    pub(crate) fn from_push(items: &[Frame]) -> Option<Message> {
        let text = |index: usize| items.get(index).and_then(Frame::as_bytes).cloned();
        let kind = items.first().and_then(Frame::as_bytes)?;
        match (&kind[..], items.len()) {
            (b"message" | b"smessage", 3) => Some(Message {
                channel: text(1)?,
                pattern: None,
                payload: text(2)?,
            }),
            (b"pmessage", 4) => Some(Message {
                pattern: Some(text(1)?),
                channel: text(2)?,
                payload: text(3)?,
            }),
            _ => None,
        }
    }
}
