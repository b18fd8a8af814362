//! HyperLogLog as Redis 7.0 keeps it: a plain string that PFADD, PFCOUNT and PFMERGE read and
//! write, byte for byte the string Redis makes, so that either server counts what the other
//! stored.
//!
//! The string is a 16-byte header — `HYLL`, the encoding (0 dense, 1 sparse), three unused
//! bytes, and the last cardinality computed as 8 little-endian bytes whose top bit marks it
//! stale — followed by 16384 registers. Each element hashes (MurmurHash64A, `murmur.rs`) to a
//! register, the low 14 bits of the hash, and a count, one plus the number of zero bits above
//! them; a register keeps the highest count it saw. Registers are packed 6 bits each in the
//! dense encoding (`dense.rs`), or as runs of equal values in the sparse one (`sparse.rs`),
//! which a new HLL starts as and leaves for good once a count passes 32 or its string would
//! pass `hll-sparse-max-bytes`. The count comes from the registers' histogram
//! (`estimate.rs`).
//!
//! These are functions over the string's bytes. Those that read or change one expect a string
//! [`encoding`] accepted (the checks PFADD and the others make before they touch it); a
//! sparse string may still be malformed, which they report as [`Corrupt`] where Redis does,
//! and otherwise treat as Redis does.

mod dense;
mod estimate;
mod murmur;
mod selftest;
mod sparse;
#[cfg(test)]
mod tests;

pub use murmur::murmur_hash_64a;
pub use selftest::self_test;

/// Registers of an HLL (2^14).
pub const REGISTERS: usize = 1 << P;
/// Bits of the hash that pick the register.
const P: usize = 14;
/// Bits of the hash left to count zeros in; counts go up to Q + 1.
const Q: usize = 64 - P;
/// Highest value a 6-bit register holds.
const REGISTER_MAX: u8 = 63;
/// Bytes of the header.
pub const HEADER_LEN: usize = 16;
/// Bytes of a dense HLL: the header and 16384 registers of 6 bits.
pub const DENSE_LEN: usize = HEADER_LEN + (REGISTERS * 6).div_ceil(8);
/// The seed Redis hashes elements with.
const HASH_SEED: u32 = 0xadc8_3b19;
/// The encoding byte of a dense HLL.
const DENSE: u8 = 0;
/// The encoding byte of a sparse HLL.
const SPARSE: u8 = 1;
/// Where the encoding byte is.
const ENCODING_AT: usize = 4;
/// Where the cached cardinality is.
const CARD_AT: usize = 8;

/// A sparse HLL whose opcodes do not describe 16384 registers (Redis's `INVALIDOBJ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// How an HLL's registers are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// 16384 packed 6-bit registers.
    Dense,
    /// Runs of registers.
    Sparse,
}

impl Encoding {
    /// PFDEBUG ENCODING's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Dense => "dense",
            Encoding::Sparse => "sparse",
        }
    }
}

/// The encoding of the HLL in `bytes`, or `None` if Redis would not take the string for an
/// HLL: shorter than the header, without the `HYLL` magic, with an unknown encoding byte, or
/// dense but not exactly [`DENSE_LEN`] long. A sparse string is not checked further here.
pub fn encoding(bytes: &[u8]) -> Option<Encoding> {
    if bytes.len() < HEADER_LEN || &bytes[..4] != b"HYLL" {
        return None;
    }
    match bytes[ENCODING_AT] {
        DENSE if bytes.len() == DENSE_LEN => Some(Encoding::Dense),
        SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// A new, empty HLL as Redis creates it: sparse, one XZERO run over every register, and a
/// cached cardinality of 0.
pub fn new_sparse() -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER_LEN + 2);
    bytes.extend_from_slice(b"HYLL");
    bytes.extend_from_slice(&[SPARSE, 0, 0, 0]);
    bytes.extend_from_slice(&[0; 8]);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(sparse::XZERO_MAX_LEN);
        sparse::push_xzero(&mut bytes, run);
        left -= run;
    }
    bytes
}

/// The register `element` lands in, and its count: one plus the zero bits of its hash above
/// the register bits (the run of zeros and the one ending it), 1 to Q + 1.
pub fn register_of(element: &[u8]) -> (usize, u8) {
    let hash = murmur_hash_64a(element, HASH_SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    // The bit above the last one used ends the run at Q + 1 at the latest.
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Adds `element`: true if a register grew. A sparse HLL may turn dense on the way (see
/// [`raise`]).
pub fn add(hll: &mut Vec<u8>, element: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
    let (index, count) = register_of(element);
    raise(hll, index, count, sparse_max)
}

/// Raises register `index` to `count` if it is lower: true if it changed. A sparse HLL turns
/// dense when the count does not fit a sparse run (above 32) or when its string would grow
/// past `sparse_max` bytes; a change that stays sparse marks the cached cardinality stale, a
/// dense one leaves that to the caller, as in Redis. `Corrupt` if the sparse runs do not cover
/// the register, or do not convert to dense. A count of 0 changes nothing.
pub fn raise(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    sparse_max: usize,
) -> Result<bool, Corrupt> {
    if count == 0 {
        // No register is below 0 (and no sparse run holds 0 as a value).
        return Ok(false);
    }
    match hll[ENCODING_AT] {
        DENSE => Ok(dense::raise(&mut hll[HEADER_LEN..], index, count)),
        SPARSE => match sparse::raise(hll, index, count, sparse_max)? {
            sparse::SetOutcome::Unchanged => Ok(false),
            sparse::SetOutcome::Raised => {
                invalidate_cache(hll);
                Ok(true)
            }
            sparse::SetOutcome::Promote => {
                to_dense(hll)?;
                Ok(dense::raise(&mut hll[HEADER_LEN..], index, count))
            }
        },
        _ => Err(Corrupt),
    }
}

/// Turns a sparse HLL dense, keeping its header but for the encoding byte: true if it was
/// sparse.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if hll[ENCODING_AT] != SPARSE {
        return Ok(false);
    }
    *hll = sparse::to_dense(hll)?;
    Ok(true)
}

/// The cached cardinality, unless it is marked stale.
pub fn cached_count(hll: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(hll[CARD_AT..CARD_AT + 8].try_into().ok()?);
    (card >> 63 == 0).then_some(card)
}

/// Stores `count` as the cached cardinality.
pub fn set_cached_count(hll: &mut [u8], count: u64) {
    hll[CARD_AT..CARD_AT + 8].copy_from_slice(&count.to_le_bytes());
}

/// Marks the cached cardinality stale: only its top bit is set, the rest stays as it was.
pub fn invalidate_cache(hll: &mut [u8]) {
    hll[CARD_AT + 7] |= 0x80;
}

/// The estimated cardinality from the registers (ignoring the cache). `Corrupt` for a sparse
/// HLL whose runs do not add up to 16384 registers.
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut histogram = [0u64; 64];
    match hll[ENCODING_AT] {
        DENSE => dense::histogram(&hll[HEADER_LEN..], &mut histogram),
        SPARSE => {
            if !sparse::histogram(hll, &mut histogram) {
                return Err(Corrupt);
            }
        }
        _ => return Err(Corrupt),
    }
    Ok(estimate::estimate(&histogram))
}

/// The registers of a dense HLL, in order (PFDEBUG GETREG).
pub fn dense_registers(hll: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let registers = &hll[HEADER_LEN..];
    (0..REGISTERS).map(move |index| dense::get(registers, index))
}

/// PFDEBUG DECODE's text for a sparse HLL: its opcodes as `z:len` (ZERO), `Z:len` (XZERO) and
/// `v:value,len` (VAL), space-separated; `None` if it is dense.
pub fn decode(hll: &[u8]) -> Option<Vec<u8>> {
    (hll[ENCODING_AT] == SPARSE).then(|| sparse::decode(hll))
}

/// One byte per register: the union of HLLs as PFCOUNT of several keys and PFMERGE build it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registers(Box<[u8; REGISTERS]>);

impl Default for Registers {
    fn default() -> Registers {
        Registers(Box::new([0; REGISTERS]))
    }
}

impl Registers {
    /// All registers at 0: the empty set.
    pub fn new() -> Registers {
        Registers::default()
    }

    /// Raises each register to the HLL's if it is higher. `Corrupt` for a sparse HLL whose
    /// runs do not cover exactly 16384 registers (the registers before the fault are merged).
    pub fn merge(&mut self, hll: &[u8]) -> Result<(), Corrupt> {
        let max = &mut self.0;
        if hll[ENCODING_AT] == DENSE {
            for (slot, value) in max.iter_mut().zip(dense_registers(hll)) {
                *slot = (*slot).max(value);
            }
            return Ok(());
        }
        sparse::for_each_set(hll, |index, value| {
            max[index] = max[index].max(value);
        })
    }

    /// The estimated cardinality of the union.
    pub fn count(&self) -> u64 {
        let mut histogram = [0u64; 64];
        for &value in self.0.iter() {
            histogram[usize::from(value)] += 1;
        }
        estimate::estimate(&histogram)
    }

    /// Raises the registers of the HLL `hll` (valid, as PFMERGE checked it as a source) to
    /// these, register by register in order as Redis does (so a sparse destination comes out
    /// as Redis's, turning dense where Redis's would), and marks its cache stale.
    pub fn store_into(&self, hll: &mut Vec<u8>, sparse_max: usize) {
        for (index, &value) in self.0.iter().enumerate() {
            if value != 0 {
                // A valid destination cannot fail; Redis ignores the result too.
                let _ = raise(hll, index, value, sparse_max);
            }
        }
        invalidate_cache(hll);
    }
}
