//! The sparse encoding: runs of registers as opcodes after the header.
//!
//! - ZERO `00llllll`: 1 to 64 registers at 0 (one byte);
//! - XZERO `01llllll llllllll`: 1 to 16384 registers at 0 (two bytes);
//! - VAL `1vvvvvll`: 1 to 4 registers at 1 to 32.
//!
//! A value holds 16384 registers when valid; what Redis does with one that is not (a run
//! past the last register, too few runs, an XZERO cut in half) is reproduced here step by
//! step, since a client can store any bytes and see what each command makes of them.

use super::{dense, Corrupt, DENSE_LEN, HEADER_LEN, REGISTERS};

/// Longest run a ZERO opcode holds.
const ZERO_MAX_LEN: usize = 64;
/// Highest value a VAL opcode holds.
pub const VAL_MAX_VALUE: u8 = 32;
/// Longest run a VAL opcode holds.
const VAL_MAX_LEN: usize = 4;
/// Longest run an XZERO opcode holds.
pub const XZERO_MAX_LEN: usize = 16384;

/// One opcode as read from the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A run of zero registers, in a ZERO (1 byte) or XZERO (2 bytes) opcode.
    Zero {
        /// How many registers.
        len: usize,
        /// True for XZERO.
        long: bool,
    },
    /// A run of registers at `value`.
    Val {
        /// The registers' value, 1 to 32.
        value: u8,
        /// How many registers, 1 to 4.
        len: usize,
    },
}

impl Op {
    /// How many registers it covers.
    pub fn len(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }

    /// How many bytes it takes.
    pub fn size(self) -> usize {
        match self {
            Op::Zero { long: true, .. } => 2,
            _ => 1,
        }
    }
}

/// The opcode at `pos` of `bytes`. An XZERO cut off by the end of the string reads its second
/// byte as 0, as Redis reads the NUL that terminates its strings.
pub fn op_at(bytes: &[u8], pos: usize) -> Op {
    let byte = bytes[pos];
    match byte & 0xc0 {
        0x00 => Op::Zero {
            len: usize::from(byte & 0x3f) + 1,
            long: false,
        },
        0x40 => {
            let low = bytes.get(pos + 1).copied().unwrap_or(0);
            Op::Zero {
                len: ((usize::from(byte & 0x3f) << 8) | usize::from(low)) + 1,
                long: true,
            }
        }
        _ => Op::Val {
            value: ((byte >> 2) & 0x1f) + 1,
            len: usize::from(byte & 0x03) + 1,
        },
    }
}

/// The opcodes of a sparse string, each with its position.
pub fn ops(bytes: &[u8]) -> impl Iterator<Item = (usize, Op)> + '_ {
    let mut pos = HEADER_LEN;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let op = op_at(bytes, pos);
        let at = pos;
        pos += op.size();
        Some((at, op))
    })
}

/// A VAL opcode byte; `value` 1..=32, `len` 1..=4.
fn val(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len - 1) as u8
}

/// Appends the shortest opcode for `len` zero registers (a ZERO when it fits).
fn push_zeros(seq: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        push_xzero(seq, len);
    } else {
        seq.push((len - 1) as u8);
    }
}

/// Appends an XZERO opcode for `len` (1..=16384) zero registers.
pub fn push_xzero(seq: &mut Vec<u8>, len: usize) {
    let stored = len - 1;
    seq.push(0x40 | (stored >> 8) as u8);
    seq.push((stored & 0xff) as u8);
}

/// Adds each register's value to `histogram`; false if the runs do not cover exactly the
/// 16384 registers.
pub fn histogram(bytes: &[u8], histogram: &mut [u64; 64]) -> bool {
    let mut index = 0;
    for (_, op) in ops(bytes) {
        let value = match op {
            Op::Zero { .. } => 0,
            Op::Val { value, .. } => usize::from(value),
        };
        histogram[value] += op.len() as u64;
        index += op.len();
    }
    index == REGISTERS
}

/// Calls `each(index, value)` for every register a VAL opcode sets, in order; `Corrupt` if
/// the runs do not cover exactly the 16384 registers. A VAL run past the last register stops
/// the walk (and fails it) before it is applied.
pub fn for_each_set(bytes: &[u8], mut each: impl FnMut(usize, u8)) -> Result<(), Corrupt> {
    let mut index = 0;
    for (_, op) in ops(bytes) {
        match op {
            Op::Zero { len, .. } => index += len,
            Op::Val { value, len } => {
                if index + len > REGISTERS {
                    break;
                }
                for i in index..index + len {
                    each(i, value);
                }
                index += len;
            }
        }
    }
    if index == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// The dense string holding the same registers as the sparse `bytes`, with the same header
/// but for its encoding byte (so the cached cardinality carries over).
pub fn to_dense(bytes: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut out = vec![0u8; DENSE_LEN];
    out[..HEADER_LEN].copy_from_slice(&bytes[..HEADER_LEN]);
    out[4] = super::DENSE;
    let registers = &mut out[HEADER_LEN..];
    for_each_set(bytes, |index, value| dense::set(registers, index, value))?;
    Ok(out)
}

/// What setting a register asked of a sparse string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// The register already held as much: nothing changed.
    Unchanged,
    /// The register was raised in place.
    Raised,
    /// The value cannot stay sparse (a count above 32, or the string would pass the size
    /// limit): the caller converts it to dense and sets the register there.
    Promote,
}

/// Raises register `index` of the sparse string `bytes` to `count` if it is lower, splitting
/// the opcode that covers it and merging equal neighbours as Redis does, so the bytes come out
/// as Redis's. `Corrupt` if no opcode covers the register.
pub fn raise(
    bytes: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<SetOutcome, Corrupt> {
    if count > VAL_MAX_VALUE {
        return Ok(SetOutcome::Promote);
    }
    // Find the opcode covering the register, and the one before it.
    let end = bytes.len();
    let (mut pos, mut first, mut prev, mut found) = (HEADER_LEN, 0, None, None);
    while pos < end {
        let op = op_at(bytes, pos);
        if index < first + op.len() {
            found = Some(op);
            break;
        }
        prev = Some(pos);
        pos += op.size();
        first += op.len();
    }
    let Some(op) = found else {
        return Err(Corrupt);
    };
    match op {
        Op::Val { value, .. } if value >= count => return Ok(SetOutcome::Unchanged),
        // A run of one: the opcode becomes the new value in place.
        Op::Val { len: 1, .. }
        | Op::Zero {
            len: 1,
            long: false,
        } => {
            bytes[pos] = val(count, 1);
            merge_neighbours(bytes, prev.unwrap_or(HEADER_LEN));
            return Ok(SetOutcome::Raised);
        }
        _ => {}
    }
    // Split the run into what lies before the register, the register, and what lies after.
    let last = first + op.len() - 1;
    let mut seq = Vec::with_capacity(5);
    match op {
        Op::Zero { .. } => {
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        Op::Val { value, .. } => {
            if index != first {
                seq.push(val(value, index - first));
            }
            seq.push(val(count, 1));
            if index != last {
                seq.push(val(value, last - index));
            }
        }
    }
    let grows = seq.len() > op.size();
    let new_len = end + seq.len() - op.size();
    if grows && new_len > max_bytes {
        return Ok(SetOutcome::Promote);
    }
    if pos + op.size() <= end {
        bytes.splice(pos..pos + op.size(), seq);
    } else {
        // An XZERO cut off by the end: Redis writes the sequence over its one byte and the
        // terminating NUL, and the string's length moves by the difference in opcode sizes.
        bytes.truncate(pos);
        bytes.extend_from_slice(&seq);
        bytes.truncate(new_len);
    }
    merge_neighbours(bytes, prev.unwrap_or(HEADER_LEN));
    Ok(SetOutcome::Raised)
}

/// Joins adjacent VAL opcodes of equal value whose runs fit one opcode, looking at up to five
/// opcodes from `pos` (the one before the change), as Redis does after each change.
fn merge_neighbours(bytes: &mut Vec<u8>, mut pos: usize) {
    let mut steps = 5;
    while pos < bytes.len() && steps > 0 {
        steps -= 1;
        let (value, len) = match op_at(bytes, pos) {
            Op::Zero { long, .. } => {
                pos += if long { 2 } else { 1 };
                continue;
            }
            Op::Val { value, len } => (value, len),
        };
        if pos + 1 < bytes.len() {
            if let Op::Val {
                value: next_value,
                len: next_len,
            } = op_at(bytes, pos + 1)
            {
                if next_value == value && len + next_len <= VAL_MAX_LEN {
                    bytes[pos + 1] = val(value, len + next_len);
                    bytes.remove(pos);
                    // Look at the merged opcode again: it may merge with the next one too.
                    continue;
                }
            }
        }
        pos += 1;
    }
}

/// PFDEBUG DECODE's text: each opcode as `z:len`, `Z:len` or `v:value,len`, space-separated.
pub fn decode(bytes: &[u8]) -> Vec<u8> {
    let words: Vec<String> = ops(bytes)
        .map(|(_, op)| match op {
            Op::Zero { len, long: false } => format!("z:{len}"),
            Op::Zero { len, long: true } => format!("Z:{len}"),
            Op::Val { value, len } => format!("v:{value},{len}"),
        })
        .collect();
    words.join(" ").into_bytes()
}
