//! A zero-copy, sans-IO codec for RESP2 and RESP3, the Redis serialization protocol.
//!
//! - [`Frame`]: one type for every RESP3 value, a superset of RESP2.
//! - [`Decoder`]: incremental decoding of any frame from a growing [`bytes::BytesMut`], with
//!   [`Limits`] on sizes and nesting. Needing more input is `Ok(None)`, not an error; payloads
//!   are slices of the input, not copies.
//! - [`RequestDecoder`]: what a server reads: arrays of bulk strings or inline command lines,
//!   into argument vectors, with Redis's exact protocol errors.
//! - [`encode`], [`encoded_len`] and the `write_*` functions: RESP3 output, or the same values
//!   lowered to RESP2 as Redis lowers them; [`encode_request`] for clients.
//!
//! No IO and no runtime: bytes in, values out. Errors are a small `Copy` [`Error`] whose
//! `Display` is Redis's protocol error text.
//!
//! ```
//! use bytes::BytesMut;
//! use radish_resp::{encode, Decoder, Frame, Version};
//!
//! let reply = Frame::Map(vec![(Frame::bulk("role"), Frame::bulk("master"))]);
//! let mut out = BytesMut::new();
//! encode(&reply, Version::Resp3, &mut out);
//! assert_eq!(&out[..], b"%1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n");
//! assert_eq!(Decoder::new().decode(&mut out), Ok(Some(reply)));
//! ```

mod decode;
mod encode;
mod error;
mod frame;
mod inline;
mod limits;
pub mod number;
mod request;

pub use decode::Decoder;
pub use encode::{
    encode, encode_request, encoded_len, request_len, write_array_len, write_boolean, write_bulk,
    write_double, write_double_text, write_error, write_frame, write_integer, write_map_len,
    write_null, write_null_array, write_push_len, write_set_len, write_simple, write_verbatim,
    Version,
};
pub use error::Error;
pub use frame::Frame;
pub use inline::split_inline;
pub use limits::Limits;
pub use request::{Request, RequestDecoder};
