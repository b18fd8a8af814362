//! Any input, as a server reads it: the request decoder never panics, and any split of the
//! input gives the requests and the error of the whole.

#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let setup = common::setup(data);
    let whole = common::decode_requests(&setup, &[setup.input]);
    let pieces = common::pieces(setup.input, &setup.pieces);
    assert_eq!(common::decode_requests(&setup, &pieces), whole);
    let bytes: Vec<&[u8]> = setup.input.chunks(1).collect();
    assert_eq!(common::decode_requests(&setup, &bytes), whole);
});
