//! Any input: the decoder never panics, only consumes the bytes of the frames it returns, and
//! never returns a frame beyond its limits.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let setup = common::setup(data);
    let (frames, _) = common::decode_frames(setup.limits, &[setup.input]);
    for frame in &frames {
        common::check_limits(frame, &setup.limits, 0);
    }
});
