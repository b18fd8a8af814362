//! Payloads taken from a real redis-server 7.0.15 (`DUMP key` after `SET key value`, and
//! `FUNCTION DUMP`), which ours must reproduce byte for byte: a string value's payload is the
//! type byte 0, the string as `rdbSaveRawString` writes it, then the version and CRC-64 footer.
//!
//! The longer values are generated with [`Rng`] (the same xorshift64* was run next to the
//! server); for those the test holds the payload's length, first bytes and footer. As the
//! footer's checksum covers every byte before it, matching it pins the whole payload.

use super::*;
use crate::Rng;

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Our DUMP payload for a string value, with `rdbcompression` on or off.
fn dump_string(value: &[u8], compress: bool) -> Vec<u8> {
    let mut payload = vec![RDB_TYPE_STRING];
    write_string(&mut payload, value, compress);
    dump_footer(&mut payload);
    payload
}

/// `len` bytes drawn from `base..base + alphabet` by `Rng::new(seed)`.
fn generated(seed: u64, len: usize, alphabet: usize, base: u8) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..len).map(|_| base + rng.below(alphabet) as u8).collect()
}

/// Checks our payload for `value` against the server's, and that it reads back.
fn check(value: &[u8], compress: bool, expected: &[u8]) {
    let payload = dump_string(value, compress);
    assert_eq!(
        payload,
        expected,
        "payload for {:?}",
        String::from_utf8_lossy(value)
    );
    assert_eq!(verify_dump_payload(&payload), Some(RDB_VERSION));
    let mut pos = 1;
    assert_eq!(read_string(&payload, &mut pos).as_deref(), Some(value));
    assert_eq!(pos, payload.len() - DUMP_FOOTER_LEN);
}

/// Checks a long payload by its length, first bytes and footer (see the module notes).
fn check_long(value: &[u8], len: usize, head: &str, footer: &str) {
    let payload = dump_string(value, true);
    assert_eq!(payload.len(), len);
    assert_eq!(payload[..head.len() / 2], unhex(head)[..]);
    assert_eq!(payload[len - DUMP_FOOTER_LEN..], unhex(footer)[..]);
    assert_eq!(verify_dump_payload(&payload), Some(RDB_VERSION));
    let mut pos = 1;
    assert_eq!(read_string(&payload, &mut pos).as_deref(), Some(value));
}

#[test]
fn integers_and_integer_lookalikes() {
    // From redis-server 7.0.15 DUMP.
    let cases: [(&str, &str); 22] = [
        ("0", "00c0000a009840a778f8500308"),
        ("12", "00c00c0a003c2af8515c04bcd5"),
        ("-5", "00c0fb0a0049c4c6f4d7263f68"),
        ("127", "00c07f0a000db5eb315254c514"),
        ("128", "00c180000a00eb7ab3b510cf4b65"),
        ("-128", "00c0800a009966326d2f0c5bd9"),
        ("-129", "00c17fff0a001760822854808480"),
        ("32767", "00c1ff7f0a00495a37da17f4d52b"),
        ("32768", "00c2008000000a0045d82eedd5bda910"),
        ("-32768", "00c100800a00b540064753bb1ace"),
        ("-32769", "00c2ff7fffff0a00aee34c4d06c68536"),
        ("2147483647", "00c2ffffff7f0a002c74e59ee02eada1"),
        ("2147483648", "000a323134373438333634380a00e7b129a34c1d76ee"),
        ("-2147483648", "00c2000000800a00c74f873e33558187"),
        (
            "-2147483649",
            "000b2d323134373438333634390a00c261377908f2028c",
        ),
        ("-1234567890", "00c22efd69b60a007eb9a0bbd8bcb523"),
        (
            "12345678901",
            "000b31323334353637383930310a00304e52d727176510",
        ),
        ("007", "00033030370a007258e27b4c69bad9"),
        ("-0", "00022d300a00d5411fd9d6d050cc"),
        ("+5", "00022b350a0087d1480711b44cc2"),
        (" 5", "000220350a007ab2c1cab7f059b6"),
        ("", "00000a005d9b5c400f7fa2da"),
    ];
    for (value, expected) in cases {
        check(value.as_bytes(), true, &unhex(expected));
    }
}

#[test]
fn short_strings_around_the_compression_threshold() {
    // From redis-server 7.0.15 DUMP: 20 bytes are never compressed, 21 may be.
    check(
        &[b'a'; 20],
        true,
        &unhex("001461616161616161616161616161616161616161610a0083b46b5e1b11acf1"),
    );
    check(
        &[b'a'; 21],
        true,
        &unhex("00c30615016161e00a000a00fd0cb36807413f68"),
    );
    check(
        b"abcdefghijklmnopqrstu",
        true,
        &unhex("00156162636465666768696a6b6c6d6e6f7071727374750a00ad1c23029a10e306"),
    );
    // From redis-server 7.0.15 DUMP with `CONFIG SET rdbcompression no`.
    check(
        &[b'a'; 21],
        false,
        &unhex("00156161616161616161616161616161616161616161610a0017e5a5206213f47e"),
    );
}

#[test]
fn hundred_byte_strings() {
    // From redis-server 7.0.15 DUMP.
    let hello: Vec<u8> = b"hello world ".iter().copied().cycle().take(100).collect();
    check(
        &hello,
        true,
        &unhex("00c31440640c68656c6c6f20776f726c642068e04c0b016c6c0a0005a5807d6606255a"),
    );
    check(
        &generated(1, 100, 256, 0),
        true,
        &unhex(
            "00406447abb94d0ec8d0ac56bf7f2d27bcdfa12f1680e3794eaa1933d886e260474755ea444a0901548a5e\
             c03e91c96646d78efbd4808697fdb30f3785cbc911ce6d9a853e6dffa588532a0da69b9bcb9afb8e43f4b2\
             e3248f0a0a75fff732a739f0c3509894d20a00fdcdaa8d200acc65",
        ),
    );
}

#[test]
fn compression_limit_is_lzfs_not_the_output_length() {
    // From redis-server 7.0.15 DUMP. Both 40-byte strings compress to 35 bytes, within the
    // 36 Redis allows, but lzf refuses the first for want of room it checks for as it goes,
    // so Redis stores it plain.
    check(
        &generated(2, 40, 3, b'a'),
        true,
        &unhex("0028626262626162626163626161636363626163636262626261616163626162616261626163616261630a00f7dfeef7b69a04a3"),
    );
    check(
        &generated(13, 40, 3, b'a'),
        true,
        &unhex("00c323280363636263200004626261626120020362616361200040112014200c200920000162610a0012409a1d319d07e0"),
    );
}

#[test]
fn long_strings() {
    // From redis-server 7.0.15 DUMP: compressed (14-bit lengths), plain with a 14-bit and a
    // 32-bit length, and compressed with 32-bit lengths over more than the 8 KiB LZF window.
    check_long(
        &generated(2, 10_000, 4, b'a'),
        6057,
        "00c3579967100a6362626361",
        "0a00712fc33d31f81ce8",
    );
    check_long(
        &generated(3, 10_000, 256, 0),
        10013,
        "006710d7037ef37bd5483cbd",
        "0a0058ffa4fb40ba4c8d",
    );
    check_long(
        &generated(4, 20_000, 256, 0),
        20016,
        "008000004e2044b17b62a960",
        "0a00e0b6d061d611d24a",
    );
    check_long(
        &generated(5, 70_000, 4, b'a'),
        42056,
        "00c3800000a4328000011170",
        "0a00df532c763474691e",
    );
}

#[test]
fn function_dump_payloads() {
    let code = b"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)";
    for (compress, expected) in [
        // From redis-server 7.0.15 FUNCTION DUMP after FUNCTION LOAD of `code`.
        (
            true,
            "f5c34056405b1f23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f0b66756e\
             6374696f6e28276d79400b02272c2040066012116b6579732c2061726773292072657475726e600c075b31\
             5d20656e64290a008d5936adc6e707da",
        ),
        // The same with `CONFIG SET rdbcompression no`.
        (
            false,
            "f5405b23216c7561206e616d653d6d796c69620a72656469732e72656769737465725f66756e6374696f6e\
             28276d7966756e63272c2066756e6374696f6e286b6579732c2061726773292072657475726e2061726773\
             5b315d20656e64290a008e999fad1198c73a",
        ),
    ] {
        let mut payload = vec![RDB_OPCODE_FUNCTION2];
        write_string(&mut payload, code, compress);
        dump_footer(&mut payload);
        assert_eq!(payload, unhex(expected));
        assert_eq!(verify_dump_payload(&payload), Some(RDB_VERSION));
        let mut pos = 1;
        assert_eq!(read_string(&payload, &mut pos).as_deref(), Some(&code[..]));
    }
    // From redis-server 7.0.15 FUNCTION DUMP with no libraries: the footer alone.
    let mut empty = Vec::new();
    dump_footer(&mut empty);
    assert_eq!(empty, unhex("0a005d9b5c400f7fa2da"));
}
