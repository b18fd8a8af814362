//! Any input, split anywhere: the frames and the final error are those of the whole input.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let setup = common::setup(data);
    let whole = common::decode_frames(setup.limits, &[setup.input]);
    let pieces = common::pieces(setup.input, &setup.pieces);
    assert_eq!(common::decode_frames(setup.limits, &pieces), whole);
    let bytes: Vec<&[u8]> = setup.input.chunks(1).collect();
    assert_eq!(common::decode_frames(setup.limits, &bytes), whole);
});
