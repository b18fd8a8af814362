//! Sorted-set scores as text: C's `strtod` (which Redis uses to read scores and range bounds)
//! and C's `%.17g` (which Redis 7.0 uses to print them).

/// What [`strtod`] read from the front of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    /// The value (0 when nothing could be read).
    pub value: f64,
    /// Bytes consumed, leading white space included; 0 when nothing could be read.
    pub consumed: usize,
    /// C would set `ERANGE` and Redis rejects the number: a finite literal that overflows to
    /// infinity, or a non-zero literal that underflows to zero.
    pub out_of_range: bool,
}

/// C's `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Reads a number from the front of `text` as glibc's `strtod` does: leading white space,
/// a sign, then `inf`/`infinity`/`nan[(chars)]` (any case), a hexadecimal float (`0x1.8p3`)
/// or a decimal one.
pub fn strtod(text: &[u8]) -> Parsed {
    let nothing = Parsed {
        value: 0.0,
        consumed: 0,
        out_of_range: false,
    };
    let mut i = 0;
    while i < text.len() && is_c_space(text[i]) {
        i += 1;
    }
    let negative = text.get(i) == Some(&b'-');
    if matches!(text.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let rest = &text[i..];
    let sign = if negative { -1.0 } else { 1.0 };
    let read = if let Some(len) = special_length(rest, b"infinity", b"inf") {
        Some((f64::INFINITY, len, false))
    } else if let Some(len) = nan_length(rest) {
        Some((f64::NAN, len, false))
    } else if rest.len() >= 3 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        // "0x" without hex digits after it reads as the "0" alone.
        Some(hex_float(&rest[2..]).map_or((0.0, 1, false), |(v, n, r)| (v, n + 2, r)))
    } else {
        decimal_float(rest)
    };
    match read {
        Some((value, len, out_of_range)) => Parsed {
            value: sign * value,
            consumed: i + len,
            out_of_range,
        },
        None => nothing,
    }
}

/// Length of `long` or `short` at the front of `text`, ignoring case.
fn special_length(text: &[u8], long: &[u8], short: &[u8]) -> Option<usize> {
    let starts =
        |word: &[u8]| text.len() >= word.len() && text[..word.len()].eq_ignore_ascii_case(word);
    if starts(long) {
        Some(long.len())
    } else if starts(short) {
        Some(short.len())
    } else {
        None
    }
}

/// Length of `nan` or `nan(chars)` at the front of `text`.
fn nan_length(text: &[u8]) -> Option<usize> {
    special_length(text, b"nan", b"nan")?;
    if text.get(3) == Some(&b'(') {
        let inner = text[4..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        if text.get(4 + inner) == Some(&b')') {
            return Some(5 + inner);
        }
    }
    Some(3)
}

/// A decimal float at the front of `text`: digits with an optional point (at least one
/// digit), then an optional exponent. Returns the value, its length and the range flag.
fn decimal_float(text: &[u8]) -> Option<(f64, usize, bool)> {
    let digits = |from: usize| {
        text[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_digits = digits(0);
    let mut len = int_digits;
    let mut frac_digits = 0;
    if text.get(len) == Some(&b'.') {
        frac_digits = digits(len + 1);
        len += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let mantissa_len = len;
    if matches!(text.get(len), Some(b'e' | b'E')) {
        let mut exp = len + 1;
        if matches!(text.get(exp), Some(b'-' | b'+')) {
            exp += 1;
        }
        let exp_digits = digits(exp);
        if exp_digits > 0 {
            len = exp + exp_digits;
        }
    }
    let literal = std::str::from_utf8(&text[..len]).ok()?;
    let value: f64 = literal.parse().ok()?;
    let mantissa_nonzero = text[..mantissa_len]
        .iter()
        .any(|b| (b'1'..=b'9').contains(b));
    let out_of_range = value.is_infinite() || (value == 0.0 && mantissa_nonzero);
    Some((value, len, out_of_range))
}

/// A hexadecimal float after its `0x`: hex digits with an optional point (at least one
/// digit), then an optional binary exponent `p[sign]digits`.
fn hex_float(text: &[u8]) -> Option<(f64, usize, bool)> {
    // Keep the first 60 significant bits exactly, and whether anything non-zero followed
    // (a sticky bit, enough for round-to-nearest when converting to 53 bits).
    let mut mantissa: u64 = 0;
    let mut sticky = false;
    let mut exponent: i64 = 0;
    let mut digits = 0;
    let mut seen_point = false;
    let mut len = 0;
    while len < text.len() {
        let b = text[len];
        if b == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (b as char).to_digit(16) {
            digits += 1;
            if mantissa >> 56 == 0 {
                mantissa = mantissa << 4 | u64::from(d);
                if seen_point {
                    exponent -= 4;
                }
            } else {
                sticky |= d != 0;
                if !seen_point {
                    exponent += 4;
                }
            }
        } else {
            break;
        }
        len += 1;
    }
    if digits == 0 {
        return None;
    }
    if matches!(text.get(len), Some(b'p' | b'P')) {
        let mut at = len + 1;
        let negative = text.get(at) == Some(&b'-');
        if matches!(text.get(at), Some(b'-' | b'+')) {
            at += 1;
        }
        let start = at;
        let mut value: i64 = 0;
        while at < text.len() && text[at].is_ascii_digit() {
            value = (value * 10 + i64::from(text[at] - b'0')).min(1 << 20);
            at += 1;
        }
        if at > start {
            exponent += if negative { -value } else { value };
            len = at;
        }
    }
    let nonzero = mantissa != 0 || sticky;
    let value = scale_by_power_of_two((mantissa | u64::from(sticky)) as f64, exponent);
    let out_of_range = value.is_infinite() || (value == 0.0 && nonzero);
    Some((value, len, out_of_range))
}

/// `value * 2^exponent`, in steps that stay exact while the result is a normal number.
fn scale_by_power_of_two(mut value: f64, mut exponent: i64) -> f64 {
    while exponent > 0 && value.is_finite() && value != 0.0 {
        let step = exponent.min(1000);
        value *= 2f64.powi(step as i32);
        exponent -= step;
    }
    while exponent < 0 && value != 0.0 {
        let step = (-exponent).min(1000);
        value /= 2f64.powi(step as i32);
        exponent += step;
    }
    value
}

/// A score argument (ZADD, ZINCRBY, WEIGHTS) as Redis's `getDoubleFromObject` reads it: the
/// whole text must be a number, with no leading white space, in range, and not NaN.
pub fn parse_score(text: &[u8]) -> Option<f64> {
    if text.is_empty() || is_c_space(text[0]) {
        return None;
    }
    let parsed = strtod(text);
    let valid = parsed.consumed == text.len() && !parsed.out_of_range && !parsed.value.is_nan();
    valid.then_some(parsed.value)
}

/// A score range bound without its `(` prefix, as Redis's `zslParseRange` reads it with
/// `strtod`: leading white space is fine, so is the empty text (0) and any overflow, and C
/// stops reading at a NUL byte; anything else left over, or NaN, is an error.
pub fn parse_bound(text: &[u8]) -> Option<f64> {
    let parsed = strtod(text);
    let rest = &text[parsed.consumed..];
    let ends = rest.first().map_or(true, |b| *b == 0);
    (ends && !parsed.value.is_nan()).then_some(parsed.value)
}

/// Formats a score as Redis 7.0 prints it: C's `%.17g` (17 significant digits, trailing
/// zeros dropped, an exponent below 1e-4 or from 1e17), with `inf` and `-inf`.
pub fn format_score(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value.is_nan() {
        return "nan".to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:.16e}` rounds exactly (half to even), as glibc does: 17 significant digits.
    let scientific = format!("{value:.16e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(24);
    if negative {
        out.push('-');
    }
    if !(-4..17).contains(&exponent) {
        let significant = digits.trim_end_matches('0');
        out.push_str(&significant[..1]);
        if significant.len() > 1 {
            out.push('.');
            out.push_str(&significant[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.unsigned_abs()));
    } else if exponent >= 0 {
        let point = exponent as usize + 1;
        out.push_str(&digits[..point]);
        let fraction = digits[point..].trim_end_matches('0');
        if !fraction.is_empty() {
            out.push('.');
            out.push_str(fraction);
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// Formats a score as a Redis 7.0 listpack stores it (what ZSCAN then returns as is): an
/// integral value within +-2^62 as an integer (`-0` included, which reads back as `0`),
/// anything else as [`format_score`].
pub fn format_listpack(value: f64) -> String {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // (double)(LLONG_MAX / 2) = 2^62
    if value.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&value) {
        return format!("{}", value as i64);
    }
    format_score(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_percent_17g() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (3.0, "3"),
            (-0.0, "-0"),
            (0.0, "0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1.5, "1.5"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e-5, "1.0000000000000001e-05"),
            (0.0001, "0.0001"),
            (2.5e-300, "2.5e-300"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (-123.456, "-123.456"),
            (1e-320, "9.9998886718268301e-321"),
            (2f64.powi(-25), "2.9802322387695312e-08"),
        ];
        for (value, text) in cases {
            assert_eq!(format_score(*value), *text, "{value:e}");
        }
    }

    #[test]
    fn formats_listpack_integers_in_full() {
        assert_eq!(format_listpack(123456789012345678.0), "123456789012345680");
        assert_eq!(
            format_listpack(4611686018427387904.0),
            "4611686018427387904"
        );
        assert_eq!(
            format_listpack(-4611686018427387904.0),
            "-4611686018427387904"
        );
        assert_eq!(format_listpack(9.3e18), "9.3e+18");
        assert_eq!(format_listpack(-0.0), "0");
        assert_eq!(format_listpack(2.5), "2.5");
        assert_eq!(format_listpack(f64::INFINITY), "inf");
    }

    #[test]
    fn parses_scores_like_get_double_from_object() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"0x1.8p1"), Some(3.0));
        assert_eq!(parse_score(b".5"), Some(0.5));
        assert_eq!(parse_score(b"5."), Some(5.0));
        assert_eq!(parse_score(b"1e-320"), Some(1e-320));
        assert_eq!(parse_score(b"0e-400"), Some(0.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"abc",
            b"nan",
            b"NaN(1)",
            b"1e400",
            b"1e-400",
            b"1e",
            b"0x",
            b"--1",
            b"1\x002",
        ] {
            assert_eq!(parse_score(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn parses_bounds_like_strtod() {
        assert_eq!(parse_bound(b""), Some(0.0));
        assert_eq!(parse_bound(b" 1"), Some(1.0));
        assert_eq!(parse_bound(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_bound(b"1\x00junk"), Some(1.0));
        assert_eq!(parse_bound(b"0x"), None);
        assert_eq!(parse_bound(b"1 "), None);
        assert_eq!(parse_bound(b"nan"), None);
        assert_eq!(parse_bound(b"a"), None);
    }

    #[test]
    fn strtod_stops_where_c_does() {
        assert_eq!(strtod(b"0xg").consumed, 1);
        assert_eq!(strtod(b"1e+").consumed, 1);
        assert_eq!(strtod(b"infinit").consumed, 3);
        assert_eq!(strtod(b"nan(abc").consumed, 3);
        assert_eq!(strtod(b"nan(a_1)x").consumed, 8);
        assert_eq!(strtod(b"-.").consumed, 0);
    }
}
