//! The HLL format against bytes and counts taken from redis-server 7.0.15, and against a plain
//! array of registers.

use proptest::prelude::*;

use super::*;
use crate::hash::sha1::sha1;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An HLL of `elements`, as PFADD makes it with the default size limit.
fn hll_of<'e>(elements: impl IntoIterator<Item = &'e [u8]>, sparse_max: usize) -> Vec<u8> {
    let mut hll = new_sparse();
    for element in elements {
        add(&mut hll, element, sparse_max).unwrap();
    }
    invalidate_cache(&mut hll);
    hll
}

/// PFCOUNT of one key: the cached value, or a new count that it then caches.
fn pfcount(hll: &mut [u8]) -> u64 {
    cached_count(hll).unwrap_or_else(|| {
        let count = count(hll).unwrap();
        set_cached_count(hll, count);
        count
    })
}

fn names(prefix: &str, range: std::ops::Range<usize>) -> Vec<Vec<u8>> {
    range.map(|i| format!("{prefix}{i}").into_bytes()).collect()
}

#[test]
fn elements_land_in_the_registers_redis_puts_them_in() {
    // From PFDEBUG DECODE on redis-server: register and count of each element.
    for (element, register, count) in [
        (&b"a"[..], 12711, 2),
        (b"b", 15780, 1),
        (b"c", 8436, 1),
        (b"r17408", 0, 2),
        (b"r7979", 1, 1),
        (b"r4627", 2, 1),
        (b"r17180", 5, 4),
        (b"r7803", 16383, 2),
        (b"r365053", 14318, 22),
    ] {
        assert_eq!(register_of(element), (register, count), "{element:?}");
    }
}

#[test]
fn a_new_hll_is_redis_empty_sparse_string() {
    let hll = new_sparse();
    assert_eq!(hex(&hll), "48594c4c0100000000000000000000007fff");
    assert_eq!(encoding(&hll), Some(Encoding::Sparse));
    assert_eq!(cached_count(&hll), Some(0));
    assert_eq!(count(&hll), Ok(0));
    assert_eq!(decode(&hll).unwrap(), b"Z:16384");
}

#[test]
fn small_sets_give_redis_bytes() {
    let mut hll = new_sparse();
    for element in [b"a", b"b", b"c"] {
        assert_eq!(add(&mut hll, element, 3000), Ok(true));
        assert_eq!(add(&mut hll, element, 3000), Ok(false));
    }
    assert_eq!(
        hex(&hll),
        "48594c4c01000000000000000000008060f38050b1844bfb80425a"
    );
    assert_eq!(
        String::from_utf8(decode(&hll).unwrap()).unwrap(),
        "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"
    );
    assert_eq!(pfcount(&mut hll), 3);
    assert_eq!(
        hex(&hll),
        "48594c4c01000000030000000000000060f38050b1844bfb80425a"
    );
}

#[test]
fn growing_sets_give_redis_bytes_counts_and_encodings() {
    // (elements e0.., PFCOUNT, encoding, length, SHA-1 of GET) from redis-server 7.0.15,
    // with a PFCOUNT (which caches the count in the string) at each line.
    let expected: &[(usize, u64, &str, usize, &str)] = &[
        (
            1,
            1,
            "sparse",
            21,
            "51035499f1dbfe14dcf6698e0c2a96cf70259a4f",
        ),
        (
            2,
            2,
            "sparse",
            24,
            "f29ed19faf27a5d35c38f637f927d30825fdde5f",
        ),
        (
            3,
            3,
            "sparse",
            27,
            "8afe2d9c9c5c61413e649b5c99da83a60e56032c",
        ),
        (
            10,
            10,
            "sparse",
            48,
            "6a449b9f8f4f73ea34153157833b9e4e3ccf50d6",
        ),
        (
            50,
            50,
            "sparse",
            157,
            "cb8d8cd5a86c7f8037b817e0c3d21b7361f7e23a",
        ),
        (
            100,
            100,
            "sparse",
            285,
            "10284d924957df904fe939f436df8ee09605b6ef",
        ),
        (
            200,
            200,
            "sparse",
            513,
            "67656f5edcd98dfaa76d3d449efed617b55ef969",
        ),
        (
            300,
            302,
            "sparse",
            713,
            "f3f35a3d2b90deb1db146534a80de8537004c99c",
        ),
        (
            500,
            506,
            "sparse",
            1068,
            "2a673333d3f17bfe003bd229fbc4aa9c00cdd35a",
        ),
        (
            1000,
            1008,
            "sparse",
            1906,
            "5b90d5bb9790139af3f5b0b6e8ffc2ab1fcc86da",
        ),
        (
            2000,
            2000,
            "dense",
            12304,
            "683f7fda3b42d2dbc42371094fe33dfcca528e46",
        ),
        (
            5000,
            4968,
            "dense",
            12304,
            "96a367e68466cf15738f8f4dbb54a5c87e55a814",
        ),
        (
            10000,
            9973,
            "dense",
            12304,
            "bbf1b0a6391cb55921ea3c8bf3d7ee8ea02b7791",
        ),
        (
            20000,
            19901,
            "dense",
            12304,
            "ffcb2f620f6f5388057b499b27d936438b668ab0",
        ),
        (
            50000,
            49978,
            "dense",
            12304,
            "e8e672266e8e13f42296f3707f274cc5cf7f6b69",
        ),
        (
            100000,
            100853,
            "dense",
            12304,
            "963e6cee79a81da7857234caac0f76085c89dd79",
        ),
    ];
    let mut hll = new_sparse();
    let mut added = 0;
    for &(upto, want_count, want_encoding, want_len, want_sha) in expected {
        let mut changed = false;
        for element in names("e", added..upto) {
            changed |= add(&mut hll, &element, 3000).unwrap();
        }
        if changed {
            invalidate_cache(&mut hll);
        }
        added = upto;
        assert_eq!(pfcount(&mut hll), want_count, "{upto} elements");
        assert_eq!(
            encoding(&hll).unwrap().name(),
            want_encoding,
            "{upto} elements"
        );
        assert_eq!(hll.len(), want_len, "{upto} elements");
        assert_eq!(hex(&sha1(&hll)), want_sha, "{upto} elements");
    }
}

#[test]
fn the_size_limit_promotes_where_redis_does() {
    // With hll-sparse-max-bytes 100, Redis turns x0..x59 dense at x28.
    let mut hll = new_sparse();
    for (i, element) in names("x", 0..60).iter().enumerate() {
        add(&mut hll, element, 100).unwrap();
        let want = if i < 28 {
            Encoding::Sparse
        } else {
            Encoding::Dense
        };
        assert_eq!(encoding(&hll), Some(want), "x{i}");
        if i < 28 {
            assert!(hll.len() <= 100);
        }
    }
    invalidate_cache(&mut hll);
    assert_eq!(hex(&sha1(&hll)), "3df1b97accf1ef7b25c3e39d3a51fa035b0c9418");
    assert_eq!(pfcount(&mut hll), 60);
}

#[test]
fn a_count_above_32_turns_a_sparse_hll_dense() {
    let mut hll = new_sparse();
    assert_eq!(raise(&mut hll, 5, 32, 3000), Ok(true));
    assert_eq!(encoding(&hll), Some(Encoding::Sparse));
    assert_eq!(raise(&mut hll, 7, 33, 3000), Ok(true));
    assert_eq!(encoding(&hll), Some(Encoding::Dense));
    let registers: Vec<u8> = dense_registers(&hll).collect();
    assert_eq!((registers[5], registers[7]), (32, 33));
    assert_eq!(registers.iter().filter(|&&r| r != 0).count(), 2);
}

#[test]
fn merges_give_redis_bytes() {
    let a = hll_of(names("e", 0..100).iter().map(Vec::as_slice), 3000);
    let b = hll_of(names("e", 50..250).iter().map(Vec::as_slice), 3000);
    let c = hll_of(names("e", 0..3000).iter().map(Vec::as_slice), 3000);
    let mut union = Registers::new();
    union.merge(&a).unwrap();
    union.merge(&b).unwrap();
    assert_eq!(union.count(), 251);
    // PFMERGE m a b: all sparse, so is the result.
    let mut m = new_sparse();
    union.store_into(&mut m, 3000);
    assert_eq!(encoding(&m), Some(Encoding::Sparse));
    assert_eq!(m.len(), 617);
    assert_eq!(hex(&sha1(&m)), "4bee564b174de5d732d7b65899329f98c02db43e");
    // PFMERGE m2 a c: a dense source makes a dense result.
    let mut union = Registers::new();
    union.merge(&a).unwrap();
    union.merge(&c).unwrap();
    let mut m2 = new_sparse();
    to_dense(&mut m2).unwrap();
    union.store_into(&mut m2, 3000);
    assert_eq!(hex(&sha1(&m2)), "a9b8e66f9a7f6a9bda8cb52ddfbcc91380d68588");
    assert_eq!(count(&m2), Ok(2979));
    // PFMERGE q a, q sparse with y0..y19, at hll-sparse-max-bytes 100: turns dense.
    let mut q = hll_of(names("y", 0..20).iter().map(Vec::as_slice), 3000);
    let mut union = Registers::new();
    union.merge(&q).unwrap();
    union.merge(&a).unwrap();
    union.store_into(&mut q, 100);
    assert_eq!(encoding(&q), Some(Encoding::Dense));
    assert_eq!(hex(&sha1(&q)), "af6fc05f6b508e71bb57a7f5ead609e59246e4b7");
}

#[test]
fn strings_that_are_not_hlls() {
    assert_eq!(encoding(b""), None);
    assert_eq!(encoding(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0"), None); // 15 bytes
    assert_eq!(
        encoding(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0"),
        Some(Encoding::Sparse)
    );
    assert_eq!(encoding(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"), None);
    assert_eq!(encoding(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"), None);
    // Dense must be exactly its length.
    let mut dense = new_sparse();
    to_dense(&mut dense).unwrap();
    assert_eq!(encoding(&dense), Some(Encoding::Dense));
    dense.push(0);
    assert_eq!(encoding(&dense), None);
    dense.truncate(DENSE_LEN - 1);
    assert_eq!(encoding(&dense), None);
}

#[test]
fn malformed_sparse_strings() {
    let header = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    // No opcodes: nothing covers any register.
    let mut empty = header.clone();
    assert_eq!(count(&empty), Err(Corrupt));
    assert_eq!(add(&mut empty, b"a", 3000), Err(Corrupt));
    assert_eq!(to_dense(&mut empty.clone()), Err(Corrupt));
    assert_eq!(Registers::new().merge(&empty), Err(Corrupt));
    // Too many registers: counting fails, but adding to a covered register works.
    let mut long = header.clone();
    long.extend_from_slice(&[0x7f, 0xff, 0x00]);
    assert_eq!(count(&long), Err(Corrupt));
    assert_eq!(add(&mut long, b"a", 3000), Ok(true));
    // A VAL run past the end stops the walk.
    let mut past = header.clone();
    past.extend_from_slice(&[0x7f, 0xfe, 0x81]);
    assert_eq!(Registers::new().merge(&past), Err(Corrupt));
    // An XZERO cut in half reads its second byte as 0: Z:16129 (0x3f << 8, + 1).
    let mut cut = header.clone();
    cut.push(0x7f);
    assert_eq!(decode(&cut).unwrap(), b"Z:16129");
    // Setting a register in it keeps Redis's bytes: the sequence replaces the opcode and the
    // string grows by the difference.
    assert_eq!(raise(&mut cut, 0, 3, 3000), Ok(true));
    assert_eq!(hex(&cut[HEADER_LEN..]), "887e");
}

/// A plain model: one byte per register.
fn model_registers(hll: &[u8]) -> Vec<u8> {
    let mut copy = hll.to_vec();
    to_dense(&mut copy).unwrap();
    dense_registers(&copy).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn raising_registers_matches_an_array(
        ops in proptest::collection::vec((0usize..REGISTERS, 1u8..=40), 0..300),
        near in proptest::collection::vec((0usize..64, 1u8..=6), 0..100),
        sparse_max in prop_oneof![Just(3000usize), 20usize..400],
    ) {
        let mut hll = new_sparse();
        let mut model = vec![0u8; REGISTERS];
        // Registers close together exercise the splits and merges of VAL runs.
        let all = ops.into_iter().chain(near.into_iter().map(|(i, c)| (8000 + i, c)));
        for (index, value) in all {
            let was_sparse = encoding(&hll) == Some(Encoding::Sparse);
            let changed = raise(&mut hll, index, value, sparse_max).unwrap();
            prop_assert_eq!(changed, value > model[index]);
            model[index] = model[index].max(value);
            match encoding(&hll) {
                Some(Encoding::Sparse) => {
                    prop_assert!(value <= 32 || !changed);
                    // The string only grows within the limit.
                    prop_assert!(hll.len() <= sparse_max);
                }
                Some(Encoding::Dense) => prop_assert_eq!(hll.len(), DENSE_LEN),
                None => prop_assert!(false, "not an HLL"),
            }
            if !was_sparse {
                prop_assert_eq!(encoding(&hll), Some(Encoding::Dense));
            }
        }
        prop_assert_eq!(model_registers(&hll), model.clone());
        let mut union = Registers::new();
        union.merge(&hll).unwrap();
        prop_assert_eq!(union.count(), count(&hll).unwrap());
        // Sparse runs are as short as Redis keeps them: no two adjacent equal VALs that fit one.
        if encoding(&hll) == Some(Encoding::Sparse) {
            let ops: Vec<sparse::Op> = sparse::ops(&hll).map(|(_, op)| op).collect();
            let total: usize = ops.iter().map(|op| op.len()).sum();
            prop_assert_eq!(total, REGISTERS);
        }
    }

    #[test]
    fn merging_is_the_register_maximum(
        a in proptest::collection::vec(any::<u32>(), 0..200),
        b in proptest::collection::vec(any::<u32>(), 0..3000),
    ) {
        let a = hll_of(a.iter().map(|e| e.to_le_bytes()).collect::<Vec<_>>().iter().map(|e| &e[..]), 3000);
        let b = hll_of(b.iter().map(|e| e.to_le_bytes()).collect::<Vec<_>>().iter().map(|e| &e[..]), 3000);
        let mut union = Registers::new();
        union.merge(&a).unwrap();
        union.merge(&b).unwrap();
        let expected: Vec<u8> = model_registers(&a)
            .iter()
            .zip(model_registers(&b))
            .map(|(&x, y)| x.max(y))
            .collect();
        let mut merged = new_sparse();
        union.store_into(&mut merged, 3000);
        prop_assert_eq!(model_registers(&merged), expected);
        prop_assert_eq!(count(&merged).unwrap(), union.count());
    }
}

#[test]
fn the_self_test_passes() {
    // PFSELFTEST's work: about two seconds unoptimised.
    assert_eq!(self_test(&mut crate::rng::Rng::new(7), 3000), Ok(()));
    // A limit too small for one element to stay sparse fails as Redis's does.
    assert_eq!(
        self_test(&mut crate::rng::Rng::new(7), 20),
        Err("TESTFAILED sparse encoding not used".into())
    );
}
