//! A command ready to send ([`Cmd`]), its arguments ([`ToArg`]), and what the connection must
//! know about it to match replies and track its own state ([`Meta`]).

use bytes::{Bytes, BytesMut};
use radish_resp::number::NumberText;
use radish_resp::{write_array_len, write_bulk};

/// Something that can be a command argument: bytes, text, or a number (sent as its decimal
/// text, as Redis expects).
pub trait ToArg {
    /// Appends this argument as a RESP bulk string.
    fn write_arg(&self, out: &mut BytesMut);
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn write_arg(&self, out: &mut BytesMut) {
        (**self).write_arg(out);
    }
}

macro_rules! bytes_arg {
    ($($ty:ty),*) => {$(
        impl ToArg for $ty {
            fn write_arg(&self, out: &mut BytesMut) {
                write_bulk(out, AsRef::<[u8]>::as_ref(self));
            }
        }
    )*};
}

bytes_arg!(str, String, [u8], Vec<u8>, Bytes);

impl<const N: usize> ToArg for [u8; N] {
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, self);
    }
}

macro_rules! integer_arg {
    ($($ty:ty),*) => {$(
        impl ToArg for $ty {
            fn write_arg(&self, out: &mut BytesMut) {
                write_bulk(out, NumberText::integer(*self as i64).as_bytes());
            }
        }
    )*};
}

integer_arg!(i64, i32, u32, usize, u16);

impl ToArg for u64 {
    fn write_arg(&self, out: &mut BytesMut) {
        match i64::try_from(*self) {
            Ok(n) => n.write_arg(out),
            Err(_) => write_bulk(out, self.to_string().as_bytes()),
        }
    }
}

impl ToArg for f64 {
    fn write_arg(&self, out: &mut BytesMut) {
        write_bulk(out, NumberText::double(*self).as_bytes());
    }
}

/// Starts a command by name, for commands without a typed method (the escape hatch):
/// `cmd("OBJECT").arg("ENCODING").arg("key")`, run with
/// [`Commands::query`](crate::Commands::query).
pub fn cmd(name: impl ToArg) -> Cmd {
    Cmd::new(name)
}

/// One command, its arguments already encoded as RESP bulk strings.
#[derive(Debug, Clone)]
pub struct Cmd {
    /// The encoded arguments; the array header is written when the command is sent, once the
    /// count is known.
    encoded: BytesMut,
    count: usize,
    kind: Kind,
}

impl Cmd {
    /// Starts a command by name.
    pub fn new(name: impl ToArg) -> Cmd {
        let mut encoded = BytesMut::with_capacity(64);
        name.write_arg(&mut encoded);
        let kind = classify(bulk_payload(&encoded));
        Cmd {
            encoded,
            count: 1,
            kind,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl ToArg) -> Cmd {
        self.push(arg);
        self
    }

    /// Adds every argument of `args`.
    pub fn args<A: ToArg>(mut self, args: impl IntoIterator<Item = A>) -> Cmd {
        for arg in args {
            self.push(arg);
        }
        self
    }

    fn push(&mut self, arg: impl ToArg) {
        let start = self.encoded.len();
        arg.write_arg(&mut self.encoded);
        self.count += 1;
        if self.count == 2 {
            let first =
                || radish_resp::number::parse_i64_strict(bulk_payload(&self.encoded[start..]));
            match &mut self.kind {
                Kind::Select(db) => *db = first(),
                Kind::Hello(version) => *version = first().filter(|v| matches!(v, 2 | 3)),
                _ => {}
            }
        }
    }

    /// The number of arguments, the name included.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Always false: a command has at least its name.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the whole request (`*N\r\n` and the arguments) to `out`.
    pub(crate) fn write_to(&self, out: &mut BytesMut) {
        out.reserve(self.encoded.len() + 16);
        write_array_len(out, self.count);
        out.extend_from_slice(&self.encoded);
    }

    /// What the connection must know to read this command's replies.
    pub(crate) fn meta(&self) -> Meta {
        let subscription = |family, verb| {
            Meta::subscription(Subscription {
                family,
                verb,
                channels: self.count - 1,
            })
        };
        match self.kind {
            Kind::Plain => Meta::one(Effect::None),
            Kind::Multi => Meta::one(Effect::Multi),
            Kind::EndMulti => Meta::one(Effect::EndMulti),
            Kind::Watch => Meta::one(Effect::Watch),
            Kind::Unwatch => Meta::one(Effect::Unwatch),
            Kind::Reset => Meta::one(Effect::Reset),
            Kind::Select(db) => Meta::one(db.map_or(Effect::None, Effect::Select)),
            Kind::Hello(version) => {
                Meta::one(version.map_or(Effect::None, |v| Effect::Hello(v as usize)))
            }
            Kind::Subscribe(family) => subscription(family, Verb::Subscribe),
            Kind::Unsubscribe(family) => subscription(family, Verb::Unsubscribe),
        }
    }
}

/// The payload of the first bulk string in `encoded` (`$3\r\nGET\r\n` gives `GET`).
fn bulk_payload(encoded: &[u8]) -> &[u8] {
    let Some(header_end) = encoded.iter().position(|&b| b == b'\n') else {
        return &[];
    };
    let len = radish_resp::number::parse_i64_strict(&encoded[1..header_end - 1]).unwrap_or(0);
    let start = header_end + 1;
    &encoded[start..start + len as usize]
}

/// The commands the connection treats specially, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Multi,
    /// EXEC or DISCARD.
    EndMulti,
    Watch,
    Unwatch,
    Reset,
    /// SELECT and its database, once the argument is there.
    Select(Option<i64>),
    /// HELLO and the protocol version it asks for.
    Hello(Option<i64>),
    Subscribe(Family),
    Unsubscribe(Family),
}

fn classify(name: &[u8]) -> Kind {
    // Most commands are none of these; the length check keeps that case cheap.
    if !(4..=12).contains(&name.len()) {
        return Kind::Plain;
    }
    let upper = name.to_ascii_uppercase();
    match &upper[..] {
        b"MULTI" => Kind::Multi,
        b"EXEC" | b"DISCARD" => Kind::EndMulti,
        b"WATCH" => Kind::Watch,
        b"UNWATCH" => Kind::Unwatch,
        b"RESET" => Kind::Reset,
        b"SELECT" => Kind::Select(None),
        b"HELLO" => Kind::Hello(None),
        b"SUBSCRIBE" => Kind::Subscribe(Family::Channel),
        b"PSUBSCRIBE" => Kind::Subscribe(Family::Pattern),
        b"SSUBSCRIBE" => Kind::Subscribe(Family::Shard),
        b"UNSUBSCRIBE" => Kind::Unsubscribe(Family::Channel),
        b"PUNSUBSCRIBE" => Kind::Unsubscribe(Family::Pattern),
        b"SUNSUBSCRIBE" => Kind::Unsubscribe(Family::Shard),
        _ => Kind::Plain,
    }
}

/// What one command means for reply matching and connection state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) effect: Effect,
    /// `Some` for the subscribe family, whose replies are one confirmation per channel.
    pub(crate) subscription: Option<Subscription>,
}

impl Meta {
    fn one(effect: Effect) -> Meta {
        Meta {
            effect,
            subscription: None,
        }
    }

    fn subscription(subscription: Subscription) -> Meta {
        Meta {
            effect: Effect::None,
            subscription: Some(subscription),
        }
    }
}

/// How a successful reply changes the connection's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    None,
    Multi,
    EndMulti,
    Watch,
    Unwatch,
    Select(i64),
    /// The protocol version HELLO switches to.
    Hello(usize),
    Reset,
}

/// A (un)subscribe command: one confirmation per channel named, or, when none is named, one
/// per channel of its family subscribed when it runs (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub(crate) family: Family,
    pub(crate) verb: Verb,
    pub(crate) channels: usize,
}

/// Plain channels, patterns, or shard channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Channel,
    Pattern,
    Shard,
}

/// Subscribing or unsubscribing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Subscribe,
    Unsubscribe,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(cmd: &Cmd) -> BytesMut {
        let mut out = BytesMut::new();
        cmd.write_to(&mut out);
        out
    }

    #[test]
    fn commands_encode_as_arrays_of_bulk_strings() {
        let cmd = cmd("SET")
            .arg("k")
            .arg(Bytes::from_static(b"v"))
            .arg(-5i64)
            .arg(1.5f64);
        assert_eq!(
            &encoded(&cmd)[..],
            b"*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\n-5\r\n$3\r\n1.5\r\n"
        );
        assert_eq!(cmd.len(), 5);
        let many = super::cmd("DEL").args(["a", "b"]);
        assert_eq!(
            &encoded(&many)[..],
            b"*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
    }

    #[test]
    fn special_commands_are_recognised_in_any_case() {
        assert_eq!(cmd("get").arg("k").meta(), Meta::one(Effect::None));
        assert_eq!(cmd("multi").meta().effect, Effect::Multi);
        assert_eq!(cmd("Exec").meta().effect, Effect::EndMulti);
        assert_eq!(cmd("SELECT").arg(3).meta().effect, Effect::Select(3));
        assert_eq!(cmd("SELECT").arg("x").meta().effect, Effect::None);
        let sub = cmd("psubscribe").args(["a*", "b*"]).meta();
        assert_eq!(
            sub.subscription,
            Some(Subscription {
                family: Family::Pattern,
                verb: Verb::Subscribe,
                channels: 2
            })
        );
        let all = cmd("UNSUBSCRIBE").meta().subscription.unwrap();
        assert_eq!((all.verb, all.channels), (Verb::Unsubscribe, 0));
    }
}
