//! Number parsing and formatting as Redis does it.

use std::fmt::Write as _;

/// Parses a signed decimal the way Redis's `string2ll` does: no sign but `-`, no leading zeros,
/// no spaces, nothing after the digits. `-0` is rejected; `i64::MIN` is accepted.
pub fn parse_i64_strict(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [] => return None,
        [b'0'] => return Some(0),
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let magnitude = parse_u64_digits(digits)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Parses a RESP integer field: an optional `+` or `-`, then one or more digits.
pub fn parse_i64_field(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let magnitude = parse_u64_digits(digits)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

fn parse_u64_digits(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &byte in digits {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

/// Decimal digits of `value`, including a `-` sign.
pub const fn i64_len(value: i64) -> usize {
    let sign = if value < 0 { 1 } else { 0 };
    sign + u64_len(value.unsigned_abs())
}

/// Decimal digits of `value`.
pub const fn u64_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 10 {
        value /= 10;
        len += 1;
    }
    len
}

/// A number formatted on the stack, to be copied into an output buffer.
#[derive(Clone, Copy)]
pub struct NumberText {
    buf: [u8; 40],
    start: u8,
    end: u8,
}

impl NumberText {
    /// The formatted bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start as usize..self.end as usize]
    }

    /// Formats a signed integer in decimal.
    pub fn integer(value: i64) -> NumberText {
        let mut text = NumberText {
            buf: [0; 40],
            start: 40,
            end: 40,
        };
        let mut rest = value.unsigned_abs();
        loop {
            text.start -= 1;
            text.buf[text.start as usize] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if value < 0 {
            text.start -= 1;
            text.buf[text.start as usize] = b'-';
        }
        text
    }

    /// Formats a double as the shortest text that reads back to the same value, in the layout
    /// of C's `%.17g` (plain decimals for exponents from -4 to 16, otherwise `d.ddde+XX`), the
    /// way Redis 7.2's `fpconv_dtoa` does: `1.5`, `0.1`, `1e+300`, `inf`, `-inf`, `nan`.
    pub fn double(value: f64) -> NumberText {
        let mut text = NumberText {
            buf: [0; 40],
            start: 0,
            end: 0,
        };
        if value.is_nan() {
            text.push_slice(b"nan");
            return text;
        }
        if value.is_infinite() {
            text.push_slice(if value > 0.0 { b"inf" } else { b"-inf" });
            return text;
        }
        // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
        let mut scientific = StackString {
            buf: [0; 32],
            len: 0,
        };
        let _ = write!(scientific, "{value:e}");
        let sci = scientific.as_bytes();
        let (negative, sci) = match sci {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, sci),
        };
        let e_at = sci.iter().position(|&b| b == b'e').unwrap_or(sci.len());
        let mut digits = [0u8; 20];
        let mut ndigits = 0;
        for &b in &sci[..e_at] {
            if b.is_ascii_digit() {
                digits[ndigits] = b;
                ndigits += 1;
            }
        }
        let exponent = std::str::from_utf8(&sci[(e_at + 1).min(sci.len())..])
            .ok()
            .and_then(|s| s.parse::<i32>().ok())
            .unwrap_or(0);
        let digits = &digits[..ndigits];
        if negative {
            text.push(b'-');
        }
        if (-4..17).contains(&exponent) {
            if exponent >= 0 {
                let int_len = exponent as usize + 1;
                for i in 0..int_len {
                    text.push(*digits.get(i).unwrap_or(&b'0'));
                }
                if digits.len() > int_len {
                    text.push(b'.');
                    text.push_slice(&digits[int_len..]);
                }
            } else {
                text.push_slice(b"0.");
                for _ in 0..(-exponent - 1) {
                    text.push(b'0');
                }
                text.push_slice(digits);
            }
        } else {
            text.push(digits[0]);
            if digits.len() > 1 {
                text.push(b'.');
                text.push_slice(&digits[1..]);
            }
            text.push(b'e');
            text.push(if exponent < 0 { b'-' } else { b'+' });
            let magnitude = exponent.unsigned_abs();
            if magnitude < 10 {
                text.push(b'0');
            }
            text.push_slice(NumberText::integer(i64::from(magnitude)).as_bytes());
        }
        text
    }

    fn push(&mut self, byte: u8) {
        self.buf[self.end as usize] = byte;
        self.end += 1;
    }

    fn push_slice(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

struct StackString {
    buf: [u8; 32],
    len: usize,
}

impl StackString {
    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for StackString {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let bytes = s.as_bytes();
        let end = self.len + bytes.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }
}

/// Parses a RESP3 double field: a decimal or exponent number, `inf`, `-inf` or `nan`.
pub fn parse_double_field(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    if text.is_empty() || text.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_integers_follow_string2ll() {
        assert_eq!(parse_i64_strict(b"0"), Some(0));
        assert_eq!(parse_i64_strict(b"123"), Some(123));
        assert_eq!(parse_i64_strict(b"-5"), Some(-5));
        assert_eq!(parse_i64_strict(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64_strict(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"1a",
        ] {
            assert_eq!(parse_i64_strict(bad), None, "{:?}", bad);
        }
    }

    #[test]
    fn integer_fields_allow_signs_and_zeros() {
        assert_eq!(parse_i64_field(b"+7"), Some(7));
        assert_eq!(parse_i64_field(b"007"), Some(7));
        assert_eq!(parse_i64_field(b"-0"), Some(0));
        assert_eq!(parse_i64_field(b"-"), None);
        assert_eq!(parse_i64_field(b""), None);
    }

    #[test]
    fn integers_format_and_measure() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            99,
            100,
            i64::MAX,
            i64::MIN,
            1234567890,
        ] {
            let text = NumberText::integer(v);
            assert_eq!(text.as_bytes(), v.to_string().as_bytes());
            assert_eq!(i64_len(v), v.to_string().len());
        }
    }

    #[test]
    fn doubles_format_like_redis() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (100.0, "100"),
            (-2.25, "-2.25"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (1e300, "1e+300"),
            (1.25e-5, "1.25e-05"),
            (0.0001, "0.0001"),
            (3.0e-7, "3e-07"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for &(value, expected) in cases {
            let text = NumberText::double(value);
            assert_eq!(
                std::str::from_utf8(text.as_bytes()).unwrap(),
                expected,
                "{value}"
            );
            if value.is_finite() {
                assert_eq!(
                    parse_double_field(text.as_bytes()),
                    Some(value),
                    "{expected}"
                );
            }
        }
    }
}
