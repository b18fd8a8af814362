//! A software model of the x87 80-bit extended format, the C `long double` of x86-64 Linux,
//! so that INCRBYFLOAT and HINCRBYFLOAT give the same bytes as Redis.
//!
//! Redis parses both operands with glibc's `strtold`, adds them in `long double` and prints
//! the sum with `"%.17Lf"`, then strips trailing zeros (`ld2string` with `LD_STR_HUMAN`). Each
//! step here is exact: parsing rounds the exact decimal (or hexadecimal) value to the nearest
//! 80-bit value, ties to even, as glibc does; addition is correctly rounded as the x87 FPU
//! does in its default mode (64-bit mantissa, round to nearest even); printing rounds the
//! exact binary value to 17 decimals, ties to even, as glibc's `printf` does. `f64` cannot
//! stand in for any of these: 0.1 + 0.2 prints "0.3" here, and 1e400 is finite.
//!
//! The 80-bit format has a 15-bit exponent and a 64-bit mantissa with an explicit integer
//! bit. A finite value is kept as `mant * 2^exp`, normalised so that either the top bit of
//! `mant` is set (a normal number) or `exp` is [`MIN_EXP`] (a subnormal one). Exact
//! conversions use the small unsigned big integer [`Big`] below.

use std::cmp::Ordering;

/// Redis's `MAX_LONG_DOUBLE_CHARS`: `string2ld` refuses input of this length or longer.
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// Bits in the mantissa, integer bit included.
const MANT_BITS: i64 = 64;

/// Exponent of the lowest mantissa bit of subnormals and of the smallest normal (2^-16382).
const MIN_EXP: i64 = -16382 - (MANT_BITS - 1);

/// Exponent of the lowest mantissa bit of the largest finite value, (2^64 - 1) * 2^16320.
const MAX_EXP: i64 = 16383 - (MANT_BITS - 1);

/// A decimal input whose value is at least 10^(`DECIMAL_OVERFLOW` - 1) overflows: the
/// largest finite value is about 1.19e4932.
const DECIMAL_OVERFLOW: i64 = 4934;

/// A decimal input whose value is below 10^`DECIMAL_UNDERFLOW` rounds to zero: half the
/// smallest subnormal, 2^-16446, is about 1.82e-4951.
const DECIMAL_UNDERFLOW: i64 = -4951;

/// Exponents written in the input are clamped to this size: beyond it every input that fits
/// in [`MAX_LONG_DOUBLE_CHARS`] has already overflowed or underflowed.
const EXPONENT_CLAMP: i64 = 1_000_000_000;

/// Decimals printed by `"%.17Lf"`.
const FIXED_DECIMALS: usize = 17;

/// 10^17, the scale of [`FIXED_DECIMALS`].
const FIXED_SCALE: u128 = 100_000_000_000_000_000;

/// The largest power of ten that fits in a limb, used to convert decimal text in chunks.
const TEN_POW_19: u64 = 10_000_000_000_000_000_000;

/// What kind of number a [`LongDouble`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// Zero (the sign is kept in [`LongDouble`]).
    Zero,
    /// `mant * 2^exp`, normalised as the module documentation says.
    Finite { mant: u64, exp: i32 },
    /// Infinity.
    Infinite,
    /// Not a number (only addition of opposite infinities makes one).
    Nan,
}

/// An x87 80-bit extended-precision value (C `long double` on x86-64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    class: Class,
}

impl LongDouble {
    /// Positive zero: the value of a missing key or field.
    pub const ZERO: LongDouble = LongDouble {
        negative: false,
        class: Class::Zero,
    };

    /// Parses `text` as Redis's `string2ld` does: glibc `strtold` in the C locale must consume
    /// the whole input (no leading or trailing space, no junk), which is shorter than
    /// `MAX_LONG_DOUBLE_CHARS`; NaN is refused, as are values that overflow or that are not
    /// zero but round to zero (`strtold` sets `ERANGE`). Infinity (`inf`, `infinity`, any
    /// case) is accepted. Decimal (`1.5`, `.5`, `5.`, `1e400`) and hexadecimal (`0x1.8p3`,
    /// `0x10`) forms are read, rounded to nearest, ties to even.
    pub fn parse(text: &[u8]) -> Option<LongDouble> {
        if text.is_empty() || text.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let (negative, body) = match text[0] {
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        let class = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            Class::Infinite
        } else if body.len() >= 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
            // After "0x" strtold wants a hexadecimal float; without one it stops after the
            // "0", which leaves junk, so a failed hexadecimal parse refuses the input.
            parse_hex(&body[2..])?
        } else {
            parse_decimal(body)?
        };
        Some(LongDouble { negative, class })
    }

    /// The exact value of a `double`, as C widens one to `long double` (every `double` is
    /// one): how Redis's `addReplyHumanLongDouble` gets the coordinates GEOPOS and
    /// WITHCOORD print.
    pub fn from_f64(value: f64) -> LongDouble {
        let negative = value.is_sign_negative();
        let class = if value.is_nan() {
            Class::Nan
        } else if value.is_infinite() {
            Class::Infinite
        } else if value == 0.0 {
            Class::Zero
        } else {
            let bits = value.to_bits();
            let biased = ((bits >> 52) & 0x7ff) as i32;
            let fraction = bits & ((1 << 52) - 1);
            // A double is `mant * 2^exp` with a 53-bit mantissa (no integer bit when
            // subnormal); shifting the top bit up normalises it for 64 bits.
            let (mant, exp) = match biased {
                0 => (fraction, -1074),
                _ => (fraction | (1 << 52), biased - 1075),
            };
            let shift = mant.leading_zeros();
            Class::Finite {
                mant: mant << shift,
                exp: exp - shift as i32,
            }
        };
        LongDouble { negative, class }
    }

    /// Whether the value is neither infinite nor NaN.
    pub fn is_finite(self) -> bool {
        matches!(self.class, Class::Zero | Class::Finite { .. })
    }

    /// Formats the value as Redis's `ld2string` with `LD_STR_HUMAN` does: `"%.17Lf"`, then
    /// trailing zeros after the point and a trailing point removed, and "-0" made "0".
    /// Infinities print as "inf" and "-inf", as `ld2string` writes them.
    pub fn to_human(self) -> String {
        let mut text = self.to_fixed17();
        if text.contains('.') {
            while text.ends_with('0') {
                text.pop();
            }
            if text.ends_with('.') {
                text.pop();
            }
        }
        if text == "-0" {
            text = "0".to_string();
        }
        text
    }

    /// The text glibc's `printf("%.17Lf")` writes: the exact binary value rounded to 17
    /// decimals, ties to even, with every digit of the integer part.
    fn to_fixed17(self) -> String {
        let sign = if self.negative { "-" } else { "" };
        let digits = match self.class {
            Class::Infinite => return format!("{sign}inf"),
            Class::Nan => return format!("{sign}nan"),
            Class::Zero => "0".repeat(FIXED_DECIMALS + 1),
            Class::Finite { mant, exp } if exp >= 0 => {
                // An integer: no fraction to round, but up to 4933 digits.
                let integer = Big::from_u128(u128::from(mant)).shl(exp as u64);
                integer.to_decimal() + &"0".repeat(FIXED_DECIMALS)
            }
            Class::Finite { mant, exp } => {
                // mant * 10^17 < 2^121, so the scaled value and its rounding fit in a u128.
                let scaled = u128::from(mant) * FIXED_SCALE;
                let units = shift_right_even(scaled, (-exp) as u64, false);
                format!("{units:0width$}", width = FIXED_DECIMALS + 1)
            }
        };
        let (integer, fraction) = digits.split_at(digits.len() - FIXED_DECIMALS);
        format!("{sign}{integer}.{fraction}")
    }

    /// A NaN (its sign is never shown by Redis, which refuses NaN results).
    fn nan() -> LongDouble {
        LongDouble {
            negative: false,
            class: Class::Nan,
        }
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// The correctly rounded sum, as the x87 `fadd` instruction computes it in its default
    /// mode: round to nearest even, overflow to infinity, opposite infinities give NaN.
    fn add(self, other: LongDouble) -> LongDouble {
        match (self.class, other.class) {
            (Class::Nan, _) | (_, Class::Nan) => LongDouble::nan(),
            (Class::Infinite, Class::Infinite) if self.negative != other.negative => {
                LongDouble::nan()
            }
            (Class::Infinite, _) => self,
            (_, Class::Infinite) => other,
            // IEEE 754: a sum of zeros is -0 only when both are -0.
            (Class::Zero, Class::Zero) => LongDouble {
                negative: self.negative && other.negative,
                class: Class::Zero,
            },
            (Class::Zero, _) => other,
            (_, Class::Zero) => self,
            (Class::Finite { mant: ma, exp: ea }, Class::Finite { mant: mb, exp: eb }) => {
                let a = (self.negative, ma, i64::from(ea));
                let b = (other.negative, mb, i64::from(eb));
                if ea >= eb {
                    add_finite(a, b)
                } else {
                    add_finite(b, a)
                }
            }
        }
    }
}

/// `(value + f) >> shift`, rounded to nearest with ties to even, where the unknown fraction
/// `0 < f < 1` is there when `sticky` (it can only push a tie or a low part upwards).
fn shift_right_even(value: u128, shift: u64, sticky: bool) -> u128 {
    if shift == 0 {
        debug_assert!(!sticky, "a sticky fraction needs a rounding bit above it");
        return value;
    }
    if shift > 128 {
        // Even the half bit is beyond the value: it is below half a unit.
        return 0;
    }
    let kept = if shift == 128 { 0 } else { value >> shift };
    let half = (value >> (shift - 1)) & 1 == 1;
    let below_half = sticky || value & ((1u128 << (shift - 1)) - 1) != 0;
    if half && (below_half || kept & 1 == 1) {
        kept + 1
    } else {
        kept
    }
}

/// Adds two finite non-zero values given as (negative, mant, exp), where `a.2 >= b.2`.
fn add_finite(a: (bool, u64, i64), b: (bool, u64, i64)) -> LongDouble {
    let (a_negative, a_mant, a_exp) = a;
    let (b_negative, b_mant, b_exp) = b;
    let diff = a_exp - b_exp;
    if diff <= 63 {
        // Close exponents: align on b's exponent; both fit in 127 bits, the sum is exact.
        let wide_a = u128::from(a_mant) << diff;
        let wide_b = u128::from(b_mant);
        let (negative, sum) = if a_negative == b_negative {
            (a_negative, wide_a + wide_b)
        } else {
            match wide_a.cmp(&wide_b) {
                Ordering::Greater => (a_negative, wide_a - wide_b),
                Ordering::Less => (b_negative, wide_b - wide_a),
                // x - x is +0 when rounding to nearest.
                Ordering::Equal => return LongDouble::ZERO,
            }
        };
        return LongDouble {
            negative,
            class: round_pack(sum, b_exp, false),
        };
    }
    // Far apart: a is normal (its exponent is above MIN_EXP), so |b| < 2^-60 |a|. Put a's
    // mantissa at bits 63..127 and keep only b's high bits, folding the rest into a sticky
    // flag: the rounding point of the sum stays far above the bits that are lost.
    let wide_a = u128::from(a_mant) << 63;
    let exp = a_exp - 63;
    let shift = (diff - 63) as u32;
    let (wide_b, sticky) = if shift >= 64 {
        (0, true)
    } else {
        (
            u128::from(b_mant >> shift),
            b_mant & ((1u64 << shift) - 1) != 0,
        )
    };
    let sum = if a_negative == b_negative {
        wide_a + wide_b
    } else if sticky {
        // a - (b + f) with 0 < f < 1 is (a - b - 1) + (1 - f): the fraction stays sticky.
        wide_a - wide_b - 1
    } else {
        wide_a - wide_b
    };
    LongDouble {
        negative: a_negative,
        class: round_pack(sum, exp, sticky),
    }
}

/// Rounds `(q + f) * 2^exp` to the 80-bit format, to nearest with ties to even, where
/// `0 < f < 1` when `sticky` and `f = 0` otherwise. When `sticky`, `q` must have at least 66
/// bits so that the rounding point lies above the unknown fraction.
fn round_pack(q: u128, exp: i64, sticky: bool) -> Class {
    if q == 0 {
        return Class::Zero;
    }
    let len = i64::from(128 - q.leading_zeros());
    debug_assert!(!sticky || len >= MANT_BITS + 2);
    // The exponent that leaves 64 bits in the mantissa, or the subnormal one.
    let mut target = (exp + len - MANT_BITS).max(MIN_EXP);
    let mant = if target <= exp {
        // The value fits: shift it up into place (exp - target < 64).
        q << (exp - target)
    } else {
        let kept = shift_right_even(q, (target - exp) as u64, sticky);
        if kept == 1u128 << MANT_BITS {
            // Rounding carried out of the mantissa.
            target += 1;
            kept >> 1
        } else {
            kept
        }
    };
    if mant == 0 {
        return Class::Zero;
    }
    if target > MAX_EXP {
        return Class::Infinite;
    }
    Class::Finite {
        mant: mant as u64,
        exp: target as i32,
    }
}

/// Parses decimal text (after the sign): digits with an optional point, at least one digit,
/// then an optional exponent `e[+-]digits`. `None` when the text is not entirely that, or
/// when the value overflows or is not zero but rounds to zero.
fn parse_decimal(text: &[u8]) -> Option<Class> {
    let mut pos = 0;
    let mut digits = Vec::with_capacity(text.len());
    let mut fraction_digits: i64 = 0;
    let mut seen_point = false;
    let mut seen_digit = false;
    while pos < text.len() {
        match text[pos] {
            b'0'..=b'9' => {
                seen_digit = true;
                // Leading zeros carry no value; zeros after the point still move it.
                if !(digits.is_empty() && text[pos] == b'0') {
                    digits.push(text[pos] - b'0');
                }
                if seen_point {
                    fraction_digits += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        pos += 1;
    }
    if !seen_digit {
        return None;
    }
    let mut exponent = 0;
    if pos < text.len() {
        if text[pos] | 0x20 != b'e' {
            return None;
        }
        exponent = parse_exponent(&text[pos + 1..])?;
    }
    // value = digits * 10^power, with trailing zeros moved into the power.
    let mut power = exponent - fraction_digits;
    while digits.last() == Some(&0) {
        digits.pop();
        power += 1;
    }
    if digits.is_empty() {
        return Some(Class::Zero);
    }
    let magnitude = power + digits.len() as i64;
    if !(DECIMAL_UNDERFLOW..DECIMAL_OVERFLOW).contains(&magnitude) {
        return None;
    }
    let mut value = Big::from_decimal(&digits);
    let class = if power >= 0 {
        value.mul_pow10(power as u64);
        let (q, shift, sticky) = value.top_bits();
        round_pack(q, shift, sticky)
    } else {
        let (q, exp, sticky) = divide_by_pow10(value, (-power) as u64);
        round_pack(q, exp, sticky)
    };
    finite_or_none(class)
}

/// Parses hexadecimal float text after "0x": hex digits with an optional point, at least one
/// digit, then an optional binary exponent `p[+-]digits`.
fn parse_hex(text: &[u8]) -> Option<Class> {
    let mut pos = 0;
    let mut value = Big::zero();
    let mut fraction_digits: i64 = 0;
    let mut seen_point = false;
    let mut seen_digit = false;
    while pos < text.len() {
        let byte = text[pos];
        if let Some(digit) = (byte as char).to_digit(16) {
            seen_digit = true;
            value.mul_small(16);
            value.add_small(u64::from(digit));
            if seen_point {
                fraction_digits += 1;
            }
        } else if byte == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        pos += 1;
    }
    if !seen_digit {
        return None;
    }
    let mut exponent = 0;
    if pos < text.len() {
        if text[pos] | 0x20 != b'p' {
            return None;
        }
        exponent = parse_exponent(&text[pos + 1..])?;
    }
    if value.is_zero() {
        return Some(Class::Zero);
    }
    let (q, shift, sticky) = value.top_bits();
    finite_or_none(round_pack(
        q,
        shift + exponent - 4 * fraction_digits,
        sticky,
    ))
}

/// Parses an exponent `[+-]digits` that must fill `text`, clamped to [`EXPONENT_CLAMP`].
fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |acc, digit| {
        (acc * 10 + i64::from(digit - b'0')).min(EXPONENT_CLAMP)
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// A parsed non-zero input must stay finite and non-zero: `strtold` reports `ERANGE` for
/// overflow and for underflow to zero, and Redis then refuses the input.
fn finite_or_none(class: Class) -> Option<Class> {
    match class {
        Class::Finite { .. } => Some(class),
        _ => None,
    }
}

/// `numerator / 10^power` as `(q, exp, sticky)` for [`round_pack`]: the quotient has 66 or
/// 67 bits, and `sticky` says whether the division left a remainder.
fn divide_by_pow10(numerator: Big, power: u64) -> (u128, i64, bool) {
    let mut divisor = Big::from_u128(1);
    divisor.mul_pow10(power);
    // Scale so that numerator * 2^scale / divisor lies in [2^65, 2^67).
    let scale = (MANT_BITS + 2) + divisor.bit_len() as i64 - numerator.bit_len() as i64;
    let (mut remainder, divisor) = if scale >= 0 {
        (numerator.shl(scale as u64), divisor)
    } else {
        (numerator, divisor.shl((-scale) as u64))
    };
    // Restoring long division, one quotient bit at a time from bit 66 down.
    let mut quotient: u128 = 0;
    let mut step = divisor.shl(66);
    for bit in (0..=66).rev() {
        if remainder.cmp_big(&step) != Ordering::Less {
            remainder.sub_assign(&step);
            quotient |= 1u128 << bit;
        }
        step.shr1();
    }
    (quotient, -scale, !remainder.is_zero())
}

/// An unsigned big integer: little-endian 64-bit limbs without high zero limbs, so zero has
/// none. Only what the exact conversions above need.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Big {
    limbs: Vec<u64>,
}

impl Big {
    fn zero() -> Big {
        Big { limbs: Vec::new() }
    }

    fn from_u128(value: u128) -> Big {
        let mut big = Big {
            limbs: vec![value as u64, (value >> 64) as u64],
        };
        big.trim();
        big
    }

    /// The number whose decimal digits (values 0-9, most significant first) are given.
    fn from_decimal(digits: &[u8]) -> Big {
        let mut big = Big::zero();
        for chunk in digits.chunks(19) {
            let value = chunk
                .iter()
                .fold(0u64, |acc, &digit| acc * 10 + u64::from(digit));
            big.mul_small(10u64.pow(chunk.len() as u32));
            big.add_small(value);
        }
        big
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// Drops high zero limbs.
    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => 64 * self.limbs.len() as u64 - u64::from(top.leading_zeros()),
        }
    }

    fn mul_small(&mut self, factor: u64) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let product = u128::from(*limb) * u128::from(factor) + u128::from(carry);
            *limb = product as u64;
            carry = (product >> 64) as u64;
        }
        if carry != 0 {
            self.limbs.push(carry);
        }
        self.trim();
    }

    fn add_small(&mut self, addend: u64) {
        let mut carry = addend;
        for limb in &mut self.limbs {
            if carry == 0 {
                return;
            }
            let (sum, overflow) = limb.overflowing_add(carry);
            *limb = sum;
            carry = u64::from(overflow);
        }
        if carry != 0 {
            self.limbs.push(carry);
        }
    }

    fn mul_pow10(&mut self, mut power: u64) {
        while power >= 19 {
            self.mul_small(TEN_POW_19);
            power -= 19;
        }
        self.mul_small(10u64.pow(power as u32));
    }

    /// `self * 2^bits`.
    fn shl(&self, bits: u64) -> Big {
        let whole = (bits / 64) as usize;
        let part = (bits % 64) as u32;
        let mut limbs = vec![0u64; whole];
        let mut carry = 0u64;
        for &limb in &self.limbs {
            if part == 0 {
                limbs.push(limb);
            } else {
                limbs.push((limb << part) | carry);
                carry = limb >> (64 - part);
            }
        }
        limbs.push(carry);
        let mut big = Big { limbs };
        big.trim();
        big
    }

    /// `self / 2`, in place.
    fn shr1(&mut self) {
        let mut carry = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let low = *limb & 1;
            *limb = (*limb >> 1) | (carry << 63);
            carry = low;
        }
        self.trim();
    }

    fn cmp_big(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// `self - other`, in place; `other` must not be larger.
    fn sub_assign(&mut self, other: &Big) {
        debug_assert!(self.cmp_big(other) != Ordering::Less);
        let mut borrow = false;
        for (index, limb) in self.limbs.iter_mut().enumerate() {
            let subtrahend = other.limbs.get(index).copied().unwrap_or(0);
            let (partial, borrow_a) = limb.overflowing_sub(subtrahend);
            let (result, borrow_b) = partial.overflowing_sub(u64::from(borrow));
            *limb = result;
            borrow = borrow_a || borrow_b;
        }
        self.trim();
    }

    /// The top 128 bits as `(q, shift, sticky)`: `self = (q + f) * 2^shift` where `f` is
    /// the fraction of the dropped bits, non-zero exactly when `sticky`.
    fn top_bits(&self) -> (u128, i64, bool) {
        let len = self.bit_len();
        if len <= 128 {
            let low = self.limbs.first().copied().unwrap_or(0);
            let high = self.limbs.get(1).copied().unwrap_or(0);
            return ((u128::from(high) << 64) | u128::from(low), 0, false);
        }
        let shift = len - 128;
        let whole = (shift / 64) as usize;
        let part = (shift % 64) as u32;
        // Three limbs from `whole` up hold the 128 bits (the third only when part > 0).
        let limb = |index: usize| u128::from(self.limbs.get(index).copied().unwrap_or(0));
        let window = (limb(whole) | (limb(whole + 1) << 64)) >> part;
        let q = if part == 0 {
            window
        } else {
            window | (limb(whole + 2) << (128 - part))
        };
        let sticky = self.limbs[..whole].iter().any(|&limb| limb != 0)
            || (part > 0 && self.limbs[whole] & ((1u64 << part) - 1) != 0);
        (q, shift as i64, sticky)
    }

    /// Divides in place by `divisor`, returning the remainder.
    fn div_rem_small(&mut self, divisor: u64) -> u64 {
        let mut remainder = 0u128;
        for limb in self.limbs.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = (current / u128::from(divisor)) as u64;
            remainder = current % u128::from(divisor);
        }
        self.trim();
        remainder as u64
    }

    /// Decimal digits, without leading zeros ("0" for zero).
    fn to_decimal(&self) -> String {
        let mut rest = self.clone();
        let mut chunks = Vec::new();
        while !rest.is_zero() {
            chunks.push(rest.div_rem_small(TEN_POW_19));
        }
        let mut text = match chunks.pop() {
            None => return "0".to_string(),
            Some(top) => top.to_string(),
        };
        for chunk in chunks.iter().rev() {
            text.push_str(&format!("{chunk:019}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Add as _;

    /// What INCRBYFLOAT replies for `delta` added to the stored `current` (None: no key),
    /// spelled as Redis 7.0.15 does.
    fn incr(current: Option<&[u8]>, delta: &[u8]) -> String {
        let current = match current {
            None => LongDouble::ZERO,
            Some(text) => match LongDouble::parse(text) {
                Some(value) => value,
                None => return "ERR value is not a valid float".to_string(),
            },
        };
        let Some(delta) = LongDouble::parse(delta) else {
            return "ERR value is not a valid float".to_string();
        };
        let sum = current.add(delta);
        if !sum.is_finite() {
            return "ERR increment would produce NaN or Infinity".to_string();
        }
        sum.to_human()
    }

    fn human(text: &str) -> String {
        LongDouble::parse(text.as_bytes())
            .expect("a valid float")
            .to_human()
    }

    fn fixed(text: &str) -> String {
        LongDouble::parse(text.as_bytes())
            .expect("a valid float")
            .to_fixed17()
    }

    /// Replies checked one by one against redis-server 7.0.15 on x86-64.
    const REDIS_REPLIES: &[(Option<&str>, &str, &str)] = &[
        (None, "0.1", "0.1"),
        (Some("0.1"), "0.2", "0.3"),
        (Some("0.3"), "0.1", "0.4"),
        (Some("1.5"), "0.1", "1.6"),
        (Some("1.6"), "-0.6", "1"),
        (Some("1.1"), "2.2", "3.3"),
        (Some("10"), "-10.2", "-0.2"),
        (Some("10.2"), "-10.2", "0"),
        (None, "3.14159265358979323846", "3.14159265358979324"),
        (
            Some("3.14159265358979324"),
            "2.71828182845904523536",
            "5.85987448204883848",
        ),
        (None, "0.3333333333333333333333", "0.33333333333333333"),
        (
            Some("0.33333333333333333"),
            "0.3333333333333333333333",
            "0.66666666666666666",
        ),
        (None, "1.23456789012345678", "1.23456789012345678"),
        (None, "1e-20", "0"),
        (Some("0"), "1e-17", "0.00000000000000001"),
        (None, "-1e-18", "0"),
        (None, "-1e-17", "-0.00000000000000001"),
        (None, "5e-18", "0"),
        (None, "5.0000000000000001e-18", "0.00000000000000001"),
        (None, "0.00000000000000000500000000000000000000001", "0"),
        (None, "0.000000000000000015", "0.00000000000000002"),
        (None, "0.000000000000000025", "0.00000000000000002"),
        (None, "-5.5", "-5.5"),
        (None, "-0", "0"),
        (Some("-0"), "-0", "0"),
        (Some("9223372036854775807"), "1", "9223372036854775808"),
        (
            None,
            "123456789012345678901234567890",
            "123456789012345678899921813504",
        ),
        (None, "1e19", "10000000000000000000"),
        (None, "1e20", "100000000000000000000"),
        (Some("100"), "0x1p-64", "100"),
        // Halfway between two long doubles: ties go to the even mantissa, any digit beyond
        // the tie breaks it upwards.
        (None, "18446744073709551617", "18446744073709551616"),
        (
            None,
            "18446744073709551617.000000000001",
            "18446744073709551618",
        ),
        (None, "18446744073709551619", "18446744073709551620"),
        (None, "0x1p63", "9223372036854775808"),
        (Some("0x1p64"), "1", "18446744073709551616"),
        (Some("0x1p64"), "-1", "18446744073709551615"),
        // Syntax strtold accepts.
        (None, "0x10", "16"),
        (None, "0x1.8p1", "3"),
        (None, "0X1P-2", "0.25"),
        (None, "0x.8", "0.5"),
        (None, "0x8.", "8"),
        (None, ".5", "0.5"),
        (None, "5.", "5"),
        (None, "+.5e+1", "5"),
        (None, "0e-5000", "0"),
        (None, "0e99999999999999999999", "0"),
        // Printing ties at the 17th decimal go to even.
        (None, "0x1p-18", "0.00000381469726562"),
        (None, "0x3p-18", "0.00001144409179688"),
        // Syntax strtold refuses or leaves junk after.
        (None, " 1", "ERR value is not a valid float"),
        (None, "1 ", "ERR value is not a valid float"),
        (None, "1\0", "ERR value is not a valid float"),
        (None, "nan", "ERR value is not a valid float"),
        (None, "infinit", "ERR value is not a valid float"),
        (None, "0x", "ERR value is not a valid float"),
        (None, "0x1p", "ERR value is not a valid float"),
        (None, "1e", "ERR value is not a valid float"),
        (None, ".", "ERR value is not a valid float"),
        (None, "-", "ERR value is not a valid float"),
        (None, "1,5", "ERR value is not a valid float"),
        (None, "+-1", "ERR value is not a valid float"),
        // Infinity parses, then the command refuses the sum.
        (None, "inf", "ERR increment would produce NaN or Infinity"),
        (None, "-inf", "ERR increment would produce NaN or Infinity"),
        (
            None,
            "INFINITY",
            "ERR increment would produce NaN or Infinity",
        ),
        (
            Some("inf"),
            "-inf",
            "ERR increment would produce NaN or Infinity",
        ),
        (
            Some("inf"),
            "1",
            "ERR increment would produce NaN or Infinity",
        ),
        // Range: 1e400 is finite; overflow and underflow to zero are refused at parse time,
        // subnormals are accepted.
        (Some("1e400"), "-1e400", "0"),
        (None, "1e5000", "ERR value is not a valid float"),
        (None, "1e-5000", "ERR value is not a valid float"),
        (
            None,
            "1e-99999999999999999999",
            "ERR value is not a valid float",
        ),
        (
            None,
            "0x1.ffffffffffffffffp16383",
            "ERR value is not a valid float",
        ),
        (
            None,
            "1.18973149535723176509e4932",
            "ERR value is not a valid float",
        ),
        (None, "0x1p-16445", "0"),
        (Some("0x1p-16445"), "0x1p-16445", "0"),
        (None, "0x1p-16446", "ERR value is not a valid float"),
        (None, "-0x1p-16446", "ERR value is not a valid float"),
        (None, "0x1.000001p-16446", "0"),
        (None, "0x1p-16382", "0"),
        (None, "3.6e-4951", "0"),
        (None, "1.83e-4951", "0"),
        (None, "1.82e-4951", "ERR value is not a valid float"),
        (None, "1e-4951", "ERR value is not a valid float"),
        (None, "1e-4950", "0"),
        (
            Some("0x1.fffffffffffffffep16383"),
            "0x1p16319",
            "ERR increment would produce NaN or Infinity",
        ),
        (
            Some("0x1p16383"),
            "0x1p16383",
            "ERR increment would produce NaN or Infinity",
        ),
    ];

    #[test]
    fn matches_redis_replies() {
        for &(current, delta, expected) in REDIS_REPLIES {
            let reply = incr(current.map(str::as_bytes), delta.as_bytes());
            assert_eq!(reply, expected, "{current:?} + {delta:?}");
        }
    }

    #[test]
    fn prints_every_integer_digit_of_large_values() {
        // From redis-server 7.0.15: INCRBYFLOAT k 1e300.
        assert_eq!(
            human("1e300"),
            "1000000000000000000008997324079559193870523944273290747938260082321265646596180\
             9357558491520837504971903503725086142748359035925561846729839130962605207486462\
             8732713564184365329408425510760601678972665293237003055138294762099454029477278\
             1889620606179267611627097410650567187386105690089424915104006144"
        );
        // Exact powers of two, checkable by hand.
        assert_eq!(human("0x1p100"), "1267650600228229401496703205376");
        assert_eq!(human("-0x1p64"), "-18446744073709551616");
        // Prefix, suffix and length of replies from redis-server 7.0.15.
        let cases: &[(Option<&str>, &str, usize, &str, &str)] = &[
            (
                None,
                "1e400",
                401,
                "10000000000000000000281880683947",
                "343732497430221946880",
            ),
            (
                None,
                "1e4000",
                4000,
                "99999999999999999999654638730996",
                "206648276349901340672",
            ),
            (
                None,
                "0x1.fffffffffffffffep16383",
                4933,
                "11897314953572317650212638530309",
                "4419552086811989770240",
            ),
            (
                None,
                "1.18973149535723176502e4932",
                4933,
                "11897314953572317650212638530309",
                "4419552086811989770240",
            ),
            (
                Some("0x1.fffffffffffffffep16383"),
                "-0x1p16383",
                4932,
                "59486574767861588247838418971696",
                "96038441477007736832",
            ),
            (
                Some("1e308"),
                "1e308",
                309,
                "19999999999999999999337175931169",
                "56510092687857156096",
            ),
        ];
        for &(current, delta, len, prefix, suffix) in cases {
            let reply = incr(current.map(str::as_bytes), delta.as_bytes());
            assert_eq!(reply.len(), len, "{delta}");
            assert!(reply.starts_with(prefix), "{delta}: {reply}");
            assert!(reply.ends_with(suffix), "{delta}: {reply}");
        }
    }

    #[test]
    fn refuses_input_of_max_long_double_chars() {
        // 5119 characters are read, 5120 are not, for the increment and the stored value.
        let short = format!("{}1", "0".repeat(MAX_LONG_DOUBLE_CHARS - 2));
        let long = format!("0{short}");
        assert_eq!(incr(None, short.as_bytes()), "1");
        assert_eq!(
            incr(None, long.as_bytes()),
            "ERR value is not a valid float"
        );
        assert_eq!(incr(Some(short.as_bytes()), b"1"), "2");
        assert_eq!(
            incr(Some(long.as_bytes()), b"1"),
            "ERR value is not a valid float"
        );
        assert_eq!(incr(None, &[]), "ERR value is not a valid float");
    }

    #[test]
    fn long_inputs_round_with_every_digit() {
        // Replies from redis-server 7.0.15: 2^64 + 1 is a tie between 2^64 and 2^64 + 2, so
        // a non-zero digit thousands of places later decides it.
        let tie = "18446744073709551617.";
        let zeros = "0".repeat(5000);
        assert_eq!(human(&format!("{tie}{zeros}")), "18446744073709551616");
        assert_eq!(human(&format!("{tie}{zeros}1")), "18446744073709551618");
        let below = format!("18446744073709551618.{}", "9".repeat(5000));
        assert_eq!(human(&below), "18446744073709551618");
        assert_eq!(human("0x10000000000000001"), "18446744073709551616");
        let hex_above = format!("0x10000000000000001.{}1", "0".repeat(4000));
        assert_eq!(human(&hex_above), "18446744073709551618");
        let hex_below = format!("0x10000000000000000{}p-12064", "f".repeat(3016));
        assert_eq!(human(&hex_below), "18446744073709551616");
        // Near the bottom of the range: 1e-4950 is a subnormal, 1e-4951 rounds to zero.
        assert_eq!(
            incr(None, format!("0.{}1", "0".repeat(4949)).as_bytes()),
            "0"
        );
        assert_eq!(
            incr(None, format!("0.{}1", "0".repeat(4950)).as_bytes()),
            "ERR value is not a valid float"
        );
        assert_eq!(
            incr(None, format!("0.{}2", "0".repeat(4950)).as_bytes()),
            "0"
        );
    }

    #[test]
    fn fixed17_is_printf_output_before_trimming() {
        assert_eq!(fixed("0"), "0.00000000000000000");
        assert_eq!(fixed("-0"), "-0.00000000000000000");
        assert_eq!(fixed("-1e-18"), "-0.00000000000000000");
        assert_eq!(fixed("1.5"), "1.50000000000000000");
        assert_eq!(fixed("0x1p64"), "18446744073709551616.00000000000000000");
        // 2^-18 = 0.000003814697265625: a tie at the 18th decimal, kept even.
        assert_eq!(fixed("0x1p-18"), "0.00000381469726562");
        // 2^-19 = 0.0000019073486328125: the 18th decimal is 1, rounded down.
        assert_eq!(fixed("0x1p-19"), "0.00000190734863281");
        // The smallest subnormal prints as zero.
        assert_eq!(fixed("0x1p-16445"), "0.00000000000000000");
        assert_eq!(LongDouble::ZERO.add(inf()).to_fixed17(), "inf");
    }

    #[test]
    fn human_trims_zeros_point_and_negative_zero() {
        assert_eq!(human("2.50"), "2.5");
        assert_eq!(human("100"), "100");
        assert_eq!(human("-1e-18"), "0");
        assert_eq!(human("-0.0"), "0");
        assert_eq!(human("-7"), "-7");
        assert_eq!(inf().to_human(), "inf");
        assert_eq!(neg(inf()).to_human(), "-inf");
    }

    #[test]
    fn doubles_widen_exactly() {
        let cases = [
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1, "0x1.999999999999ap-4"),
            (1e300, "0x1.7e43c8800759cp+996"),
            (5e-324, "0x1p-1074"),
            (f64::MIN_POSITIVE, "0x1p-1022"),
        ];
        for (value, exact) in cases {
            assert_eq!(
                LongDouble::from_f64(value),
                LongDouble::parse(exact.as_bytes()).expect("parses"),
                "{value}"
            );
        }
        // What Redis's GEOPOS prints for these doubles.
        assert_eq!(
            LongDouble::from_f64(13.361389338970184).to_human(),
            "13.36138933897018433"
        );
        assert_eq!(LongDouble::from_f64(-0.0).to_human(), "0");
        assert_eq!(LongDouble::from_f64(f64::NEG_INFINITY).to_human(), "-inf");
    }

    fn inf() -> LongDouble {
        LongDouble::parse(b"inf").expect("inf parses")
    }

    fn neg(value: LongDouble) -> LongDouble {
        LongDouble {
            negative: !value.negative,
            ..value
        }
    }

    fn finite(negative: bool, mant: u64, exp: i32) -> LongDouble {
        LongDouble {
            negative,
            class: Class::Finite { mant, exp },
        }
    }

    #[test]
    fn parse_gives_normalised_values() {
        let one = LongDouble::parse(b"1").expect("1 parses");
        assert_eq!(one, finite(false, 1 << 63, -63));
        assert_eq!(
            LongDouble::parse(b"-0x1p-16445"),
            Some(finite(true, 1, -16445))
        );
        assert_eq!(
            LongDouble::parse(b"0x1p-16382"),
            Some(finite(false, 1 << 63, -16445))
        );
        assert_eq!(
            LongDouble::parse(b"0x1.fffffffffffffffep16383"),
            Some(finite(false, u64::MAX, 16320))
        );
        // 0.1 rounds up: its 64-bit mantissa is 0xcccccccccccccccd.
        assert_eq!(
            LongDouble::parse(b"0.1"),
            Some(finite(false, 0xcccc_cccc_cccc_cccd, -67))
        );
        // 1/3 rounds up: the bits past the mantissa, 1010..., are above half an ulp.
        assert_eq!(
            LongDouble::parse(b"0.33333333333333333333333333333333333333333"),
            Some(finite(false, 0xaaaa_aaaa_aaaa_aaab, -65))
        );
        assert_eq!(LongDouble::parse(b"0.000"), Some(LongDouble::ZERO));
        assert_eq!(LongDouble::parse(b"-Inf"), Some(neg(inf())));
        assert_eq!(LongDouble::parse(b"-nan"), None);
    }

    #[test]
    fn addition_rounds_to_nearest_even() {
        let one = finite(false, 1 << 63, -63);
        let half_ulp = finite(false, 1 << 63, -127);
        // 1 + 2^-64 is a tie between 1 and 1 + 2^-63: it stays at the even 1.
        assert_eq!(one.add(half_ulp), one);
        // 1 + 2^-63 + 2^-64 is a tie that goes up to the even 1 + 2^-62.
        let odd = finite(false, (1 << 63) + 1, -63);
        assert_eq!(odd.add(half_ulp), finite(false, (1 << 63) + 2, -63));
        // Just above the tie (by a bit that falls far below the sum's mantissa), it rounds up.
        let above = finite(false, (1 << 63) + 1, -127);
        assert_eq!(one.add(above), odd);
        // Just below a tie in a subtraction: 1 - 2^-200 rounds back to 1.
        assert_eq!(one.add(finite(true, 1 << 63, -200)), one);
        // 2 - 2^-65 is exactly between 2 - 2^-63 (odd) and 2 (even): 2.
        let two = finite(false, 1 << 63, -62);
        assert_eq!(
            two.add(finite(true, 1 << 63, -128)),
            two,
            "ties to the even neighbour"
        );
        // The difference of neighbours is exact.
        assert_eq!(odd.add(neg(one)), finite(false, 1 << 63, -126));
    }

    #[test]
    fn addition_special_cases() {
        let one = finite(false, 1 << 63, -63);
        let zero = LongDouble::ZERO;
        let negative_zero = neg(zero);
        assert_eq!(one.add(neg(one)), zero);
        assert_eq!(zero.add(negative_zero), zero);
        assert_eq!(negative_zero.add(negative_zero), negative_zero);
        assert_eq!(negative_zero.add(one), one);
        assert_eq!(inf().add(one), inf());
        assert!(!inf().add(neg(inf())).is_finite());
        assert!(inf().add(neg(inf())).add(one).class == Class::Nan);
        // Overflow at the top of the format.
        let max = finite(false, u64::MAX, 16320);
        assert_eq!(max.add(finite(false, 1 << 63, 16256)), inf());
        assert_eq!(max.add(finite(false, (1 << 63) - 1, 16256)), max);
        // Subnormals add exactly and carry into the normal range.
        let tiny = finite(false, 1 << 62, MIN_EXP as i32);
        assert_eq!(tiny.add(tiny), finite(false, 1 << 63, MIN_EXP as i32));
        assert_eq!(
            finite(false, 3, MIN_EXP as i32).add(finite(true, 1, MIN_EXP as i32)),
            finite(false, 2, MIN_EXP as i32)
        );
    }

    #[test]
    fn big_integer_helpers() {
        let mut big = Big::from_decimal(&[
            1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1,
        ]);
        assert_eq!(big.to_decimal(), "123456789012345678901");
        big.mul_pow10(40);
        assert_eq!(
            big.to_decimal(),
            format!("123456789012345678901{}", "0".repeat(40))
        );
        let shifted = Big::from_u128(5).shl(200);
        assert_eq!(shifted.bit_len(), 203);
        let mut back = shifted.clone();
        for _ in 0..200 {
            back.shr1();
        }
        assert_eq!(back, Big::from_u128(5));
        let mut difference = shifted.clone();
        difference.sub_assign(&Big::from_u128(1));
        assert_eq!(difference.bit_len(), 203);
        assert_eq!(difference.cmp_big(&shifted), Ordering::Less);
        difference.add_small(1);
        assert_eq!(difference, shifted);
        // top_bits keeps 128 bits and reports what it dropped.
        let (q, shift, sticky) = shifted.top_bits();
        assert_eq!((q, shift, sticky), (5 << 125, 75, false));
        difference.add_small(1);
        assert_eq!(difference.top_bits(), (5 << 125, 75, true));
        assert_eq!(Big::zero().to_decimal(), "0");
        assert_eq!(
            Big::from_u128(u128::MAX).to_decimal(),
            u128::MAX.to_string()
        );
    }

    #[test]
    fn division_by_powers_of_ten_is_exact() {
        // 1 / 10 = 0.1: quotient 0xcccc...c with a remainder.
        let (q, exp, sticky) = divide_by_pow10(Big::from_u128(1), 1);
        assert!(q >> 65 == 1 || q >> 66 == 1);
        assert!(sticky);
        assert_eq!(
            round_pack(q, exp, sticky),
            Class::Finite {
                mant: 0xcccc_cccc_cccc_cccd,
                exp: -67
            }
        );
        // 5 / 10 = 0.5 exactly.
        let (q, exp, sticky) = divide_by_pow10(Big::from_u128(5), 1);
        assert!(!sticky);
        assert_eq!(
            round_pack(q, exp, sticky),
            Class::Finite {
                mant: 1 << 63,
                exp: -64
            }
        );
    }
}
