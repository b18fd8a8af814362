//! Any frame the decoder accepts encodes to RESP3 that decodes to the same frame, in exactly
//! `encoded_len` bytes; its RESP2 lowering decodes too.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use radish_resp::{encode, encoded_len, Decoder, Version};

mod common;

fuzz_target!(|data: &[u8]| {
    let setup = common::setup(data);
    let (frames, _) = common::decode_frames(setup.limits, &[setup.input]);
    for frame in frames {
        for version in [Version::Resp3, Version::Resp2] {
            let mut out = BytesMut::new();
            encode(&frame, version, &mut out);
            assert_eq!(out.len(), encoded_len(&frame, version), "{frame:?}");
            // Lowering can lengthen lines (a double becomes a bulk), so decode with the
            // defaults rather than the small limits the frame was read with.
            let again = Decoder::new()
                .decode(&mut out)
                .unwrap_or_else(|e| panic!("{e} re-reading {frame:?} as {version:?}"))
                .unwrap_or_else(|| panic!("incomplete re-reading {frame:?}"));
            assert!(out.is_empty(), "bytes left over re-reading {frame:?}");
            if version == Version::Resp3 {
                assert_eq!(again, common::resp3_view(&frame));
            }
        }
    }
});
