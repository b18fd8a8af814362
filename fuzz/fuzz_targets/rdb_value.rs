//! Any bytes as a RESTORE payload's body: reading a value in RDB's encoding never panics, and
//! a value that reads writes back to bytes that read to the same value and write to the
//! same bytes again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use radish_data::rdb::object::{read_object, write_object};
use radish_data::types::EncodingLimits;

fuzz_target!(|data: &[u8]| {
    // The first byte picks small limits sometimes, so that conversions on load run too.
    let (limits, body) = match data.split_first() {
        Some((&pick, rest)) if pick & 1 == 1 => {
            let limits = EncodingLimits {
                hash_entries: 2,
                set_intset_entries: 2,
                zset_entries: 2,
                list_fill: 2,
                ..EncodingLimits::REDIS_DEFAULTS
            };
            (limits, rest)
        }
        Some((_, rest)) => (EncodingLimits::REDIS_DEFAULTS, rest),
        None => return,
    };
    let Ok(value) = read_object(body, &mut 0, &limits) else {
        return;
    };
    for compress in [false, true] {
        let mut written = Vec::new();
        write_object(&mut written, &value, &limits, compress);
        let again = read_object(&written, &mut 0, &limits).expect("our own bytes read back");
        let mut rewritten = Vec::new();
        write_object(&mut rewritten, &again, &limits, compress);
        assert_eq!(written, rewritten);
    }
});
