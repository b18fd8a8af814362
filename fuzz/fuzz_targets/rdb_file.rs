//! Any bytes as an RDB file, arriving in pieces of any size: reading it never panics, ends
//! at the end marker or with an error whose offset lies within the input, and every key it
//! yields writes back to a value that reads again.

#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use radish_data::rdb::file::{Item, Reader};
use radish_data::rdb::object::{read_object, write_object};
use radish_data::types::EncodingLimits;

/// Hands out the input at most `piece` bytes per read, as a socket would.
struct Pieces<'a> {
    input: &'a [u8],
    piece: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.piece).min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    // The low bits pick the piece size; one bit puts a valid header in front, so that the
    // fuzzer spends its time past it.
    let piece = 1 + usize::from(pick & 0x3f) * 97;
    let mut input = Vec::new();
    if pick & 0x40 != 0 {
        input.extend_from_slice(b"REDIS0010");
    }
    input.extend_from_slice(rest);
    let limits = EncodingLimits::REDIS_DEFAULTS;
    let source = Pieces {
        input: &input,
        piece,
    };
    let verify = pick & 0x80 != 0;
    let mut reader = match Reader::new(source, limits, verify) {
        Ok(reader) => reader,
        Err(error) => {
            assert!(error.offset <= input.len() as u64);
            return;
        }
    };
    loop {
        match reader.next_item() {
            Ok(Item::End) => return,
            Ok(Item::Key(key)) => {
                if let Some(value) = key.value {
                    let mut written = Vec::new();
                    write_object(&mut written, &value, &limits, false);
                    read_object(&written, &mut 0, &limits).expect("our own bytes read back");
                }
            }
            Ok(_) => {}
            Err(error) => {
                assert!(error.offset <= input.len() as u64, "{error:?}");
                return;
            }
        }
    }
});
