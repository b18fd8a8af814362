//! The dense encoding: 16384 registers of 6 bits each, packed from the least significant bit
//! of each byte upwards, so a register may straddle two bytes.

use super::{REGISTERS, REGISTER_MAX};

/// The register at `index` of the packed `registers`. The last register's upper neighbour
/// byte lies past the end; it reads as 0, as the terminating NUL of Redis's string does.
pub fn get(registers: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, (bit % 8) as u32);
    let low = u32::from(registers[byte]);
    let high = u32::from(registers.get(byte + 1).copied().unwrap_or(0));
    (((low >> shift) | (high << (8 - shift))) & u32::from(REGISTER_MAX)) as u8
}

/// Sets the register at `index` of the packed `registers` to `value` (at most 63).
pub fn set(registers: &mut [u8], index: usize, value: u8) {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, (bit % 8) as u32);
    let (value, max) = (u32::from(value), u32::from(REGISTER_MAX));
    let low = &mut registers[byte];
    *low = ((u32::from(*low) & !(max << shift)) | (value << shift)) as u8;
    // The part above the first byte; none for the last register, whose bits end in it.
    if let Some(high) = registers.get_mut(byte + 1) {
        let spill = 8 - shift;
        *high = ((u32::from(*high) & !(max >> spill)) | (value >> spill)) as u8;
    }
}

/// Raises the register at `index` to `count` if it is lower: true if it changed.
pub fn raise(registers: &mut [u8], index: usize, count: u8) -> bool {
    if count > get(registers, index) {
        set(registers, index, count);
        true
    } else {
        false
    }
}

/// Adds each register's value to `histogram` (how many registers hold each value).
pub fn histogram(registers: &[u8], histogram: &mut [u64; 64]) {
    for index in 0..REGISTERS {
        histogram[usize::from(get(registers, index))] += 1;
    }
}
