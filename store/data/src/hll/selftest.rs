//! PFSELFTEST: Redis's self-test of the HLL code, run on this implementation.

use super::{count, dense, new_sparse, raise, register_of, Encoding, DENSE_LEN, HEADER_LEN};
use super::{REGISTERS, REGISTER_MAX};
use crate::rng::Rng;

/// Rounds of the register access test.
const ACCESS_ROUNDS: usize = 1000;
/// Elements added in the estimate test.
const ELEMENTS: u64 = 10_000_000;

/// Runs Redis's two self-tests: that each packed dense register reads back what was written
/// without disturbing its neighbours, and that adding up to ten million distinct elements to
/// a dense and a sparse HLL side by side keeps them equal, keeps the sparse one sparse while
/// small (under `sparse_max / 2` elements), and estimates each power of ten within six
/// standard errors. The error is Redis's text after `ERR `.
pub fn self_test(rng: &mut Rng, sparse_max: usize) -> Result<(), String> {
    let mut registers = vec![0u8; DENSE_LEN - HEADER_LEN];
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..ACCESS_ROUNDS {
        for (index, slot) in expected.iter_mut().enumerate() {
            *slot = (rng.next_u64() & u64::from(REGISTER_MAX)) as u8;
            dense::set(&mut registers, index, *slot);
        }
        for (index, &want) in expected.iter().enumerate() {
            let got = dense::get(&registers, index);
            if got != want {
                return Err(format!(
                    "TESTFAILED Register {index} should be {want} but is {got}"
                ));
            }
        }
    }

    // All zeros: encoding byte 0 (dense) and empty registers; only the registers are read.
    let mut dense_hll = vec![0u8; DENSE_LEN];
    let mut sparse_hll = new_sparse();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed = rng.next_u64();
    let mut checkpoint = 1u64;
    for j in 1..=ELEMENTS {
        let element = (j ^ seed).to_le_bytes();
        let (index, run) = register_of(&element);
        dense::raise(&mut dense_hll[HEADER_LEN..], index, run);
        // A fresh HLL is well formed: adding to it cannot fail.
        let _ = raise(&mut sparse_hll, index, run, sparse_max);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max / 2 && super::encoding(&sparse_hll) != Some(Encoding::Sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let estimate = count(&dense_hll).unwrap_or(0);
        if count(&sparse_hll).ok() != Some(estimate) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        // At ten elements a collision is likely enough that Redis allows an error of one.
        let max_error = if j == 10 {
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        let error = checkpoint.abs_diff(estimate);
        if error > max_error {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{error}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}
