//! The random numbers scripts get from `math.random`: the POSIX `lrand48` generator, as Redis
//! implements it for itself so that every platform gives the same sequence. Like Redis's, it
//! is one generator for the whole server, seeded when the server starts and by
//! `math.randomseed`, not before each script.

/// The one generator both engines (EVAL's and functions') draw from.
pub type SharedRng = std::sync::Arc<std::sync::Mutex<Lrand48>>;

/// The multiplier and increment of the 48-bit linear congruential generator.
const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const INCREMENT: u64 = 0xB;
/// The state a fresh generator starts from.
const INITIAL: u64 = 0x1234_ABCD_330E;
/// The low 16 bits of the state after any seeding.
const SEEDED_LOW: u64 = 0x330E;
const MASK: u64 = (1 << 48) - 1;

/// The largest value [`Lrand48::next`] returns, plus one's worth: Redis's
/// `REDIS_LRAND48_MAX` (`INT32_MAX`).
pub const LRAND48_MAX: u32 = i32::MAX as u32;

/// A 48-bit generator giving 31 random bits a step.
#[derive(Debug, Clone)]
pub struct Lrand48 {
    state: u64,
}

impl Default for Lrand48 {
    fn default() -> Lrand48 {
        Lrand48 { state: INITIAL }
    }
}

impl Lrand48 {
    /// Starts over from `seed`, as `srand48` does (only its low 32 bits count).
    pub fn seed(&mut self, seed: i32) {
        self.state = (u64::from(seed as u32) << 16) | SEEDED_LOW;
    }

    /// The next value, in `0..2^31`.
    pub fn next(&mut self) -> u32 {
        self.state = (self.state.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT)) & MASK;
        (self.state >> 17) as u32
    }

    /// `math.random`'s base number: the next value as a fraction of [`LRAND48_MAX`], in
    /// `[0, 1)`.
    pub fn fraction(&mut self) -> f64 {
        f64::from(self.next() % LRAND48_MAX) / f64::from(LRAND48_MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_lrand48_s() {
        // glibc's lrand48() after srand48(0) and srand48(-5); and from the state POSIX
        // starts it in, which Redis starts its own generator in.
        let mut seeded = Lrand48::default();
        seeded.seed(0);
        assert_eq!(
            [seeded.next(), seeded.next(), seeded.next()],
            [366_850_414, 1_610_402_240, 206_956_554]
        );
        seeded.seed(-5);
        assert_eq!([seeded.next(), seeded.next()], [1_754_100_061, 487_370_682]);
        let mut fresh = Lrand48::default();
        assert_eq!(
            [fresh.next(), fresh.next(), fresh.next()],
            [851_401_618, 1_804_928_587, 758_783_491]
        );
    }
}
