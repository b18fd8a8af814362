//! Numbers as Lua and C turn them into text and back: Lua 5.1's own conversions
//! (`%.14g`, `luaO_str2d`), C's `%g` and `%.17g`, and the x86-64 results of C's casts from
//! `double` that Redis's C code relies on.

use mlua::Value;
use radish_data::types::zset::score::{format_score, strtod};

/// A value as `lua_tonumber` reads it: numbers, and strings that hold one.
pub fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(value) => Some(*value as f64),
        Value::Number(value) => Some(*value),
        Value::String(text) => lua_string_number(&text.as_bytes()),
        _ => None,
    }
}

/// A string as Lua 5.1 converts it to a number (`luaO_str2d`): what C's `strtod` reads,
/// with nothing but white space after it.
pub fn lua_string_number(text: &[u8]) -> Option<f64> {
    let parsed = strtod(text);
    if parsed.consumed == 0 {
        return None;
    }
    let rest = &text[parsed.consumed..];
    rest.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .then_some(parsed.value)
}

/// A number as Lua 5.1 prints it (`%.14g`).
pub fn lua_number_text(value: f64) -> String {
    format_g(value, 14)
}

/// A Lua number as a command argument: C's `%.17g`, which keeps every digit (Lua's own
/// `tostring` keeps 14). NaN prints with its sign, as glibc prints it.
pub fn number_argument(value: f64) -> Vec<u8> {
    // The usual case, quicker: an integer of at most 17 digits prints whole.
    if value.fract() == 0.0 && value.abs() < 1e17 && value != 0.0 {
        return (value as i64).to_string().into_bytes();
    }
    if value.is_nan() {
        return if value.is_sign_negative() {
            b"-nan".to_vec()
        } else {
            b"nan".to_vec()
        };
    }
    format_score(value).into_bytes()
}

/// C's `%.<precision>g`, for `precision` from 1 to 17.
pub fn format_g(value: f64, precision: usize) -> String {
    if value.is_nan() {
        return if value.is_sign_negative() {
            "-nan"
        } else {
            "nan"
        }
        .to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // The common case, quicker: an integer of at most `precision` digits prints whole.
    if value.fract() == 0.0 && value.abs() < 10f64.powi(precision as i32) {
        return (value as i64).to_string();
    }
    shortest_g(value, precision).unwrap_or_else(|| exact_g(value, precision))
}

/// `%.<precision>g` from the shortest digits that read back as `value`, when there are at
/// most `precision` of them: rounding `value` to `precision` digits then gives those same
/// digits (a normal double is within 2^-53 of them, relatively, far less than 10^-14;
/// subnormals are not that precise). `None` otherwise.
fn shortest_g(value: f64, precision: usize) -> Option<String> {
    if !value.is_normal() {
        return None;
    }
    let shortest = format!("{:e}", value.abs());
    let (mantissa, exponent) = shortest.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.len() > precision {
        return None;
    }
    let sign = if value < 0.0 { "-" } else { "" };
    if exponent < -4 || exponent >= precision as i32 {
        let mark = if exponent < 0 { '-' } else { '+' };
        return Some(format!(
            "{sign}{mantissa}e{mark}{:02}",
            exponent.unsigned_abs()
        ));
    }
    let text = if exponent < 0 {
        format!(
            "0.{}{digits}",
            "0".repeat(exponent.unsigned_abs() as usize - 1)
        )
    } else {
        let whole = exponent as usize + 1;
        if digits.len() <= whole {
            format!("{digits}{}", "0".repeat(whole - digits.len()))
        } else {
            format!("{}.{}", &digits[..whole], &digits[whole..])
        }
    };
    Some(format!("{sign}{text}"))
}

/// `%.<precision>g` by rounding the exact value (slower).
fn exact_g(value: f64, precision: usize) -> String {
    // The exponent after rounding to `precision` digits decides the style.
    let scientific = format!("{value:.*e}", precision - 1);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        trim_fraction(&format!("{value:.decimals$}")).to_string()
    }
}

/// A number's text without the zeros ending its fraction (and without a bare point).
fn trim_fraction(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// C's `(long)d` on x86-64 (`cvttsd2si`): the integer part, or `i64::MIN` (the "integer
/// indefinite" value) when it does not fit, NaN included. `lua_tointeger` converts this
/// way, and so does Redis's `(long long)lua_tonumber(...)`.
pub fn c_long(value: f64) -> i64 {
    // -2^63 fits, 2^63 does not.
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&value) {
        value as i64
    } else {
        i64::MIN
    }
}

/// C's `(int)d` on x86-64: the integer part, or `i32::MIN` when it does not fit.
pub fn c_int(value: f64) -> i32 {
    if value > -2_147_483_649.0 && value < 2_147_483_648.0 {
        value as i32
    } else {
        i32::MIN
    }
}

/// C's `(unsigned long)d` as gcc compiles it for x86-64: below 2^63 (NaN included) the
/// signed conversion, from 2^63 the signed conversion of `d - 2^63` with the top bit
/// flipped; so values past 2^64 come out as 0.
pub fn c_ulong(value: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if value >= TWO_63 {
        (c_long(value - TWO_63) as u64) ^ (1 << 63)
    } else {
        c_long(value) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_formatting_agrees_with_the_exact_one() {
        let mut bits: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = vec![
            0.1, 0.5, 1.5, 2.5e-5, 123.456, 1e21, 1e-7, 7e22, 0.3, 100.25, 5e-324, 2.2e-308,
        ];
        for _ in 0..20_000 {
            // xorshift: arbitrary doubles, and short decimals.
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let value = f64::from_bits(bits);
            if value.is_finite() && value != 0.0 {
                values.push(value);
            }
            values.push((bits % 1_000_000) as f64 / 1000.0 - 500.0);
            values.push((bits % 100_000) as f64 * 10f64.powi((bits % 40) as i32 - 20));
        }
        for value in values {
            for precision in 1..=14 {
                if let Some(quick) = shortest_g(value, precision) {
                    assert_eq!(quick, exact_g(value, precision), "{value:e} at {precision}");
                }
            }
        }
    }

    #[test]
    fn numbers_format_as_percent_g() {
        let cases: [(f64, usize, &str); 15] = [
            (5e-324, 14, "4.9406564584125e-324"),
            (1.0, 14, "1"),
            (0.1, 14, "0.1"),
            (0.1 + 0.2, 14, "0.3"),
            (1e300, 14, "1e+300"),
            (9_007_199_254_740_992.0, 14, "9.007199254741e+15"),
            (-1e-7, 14, "-1e-07"),
            (123_456.0, 3, "1.23e+05"),
            (1.23456, 3, "1.23"),
            (0.0001, 14, "0.0001"),
            (0.00001234, 2, "1.2e-05"),
            (999_999_999_999_999.0, 14, "1e+15"),
            (12_345_678_901_234.0, 14, "12345678901234"),
            (2.5, 1, "2"),
            (-0.0, 14, "-0"),
        ];
        for (value, precision, text) in cases {
            assert_eq!(format_g(value, precision), text, "{value} at {precision}");
        }
    }

    #[test]
    fn numbers_print_as_lua_prints_them() {
        assert_eq!(lua_number_text(1.0), "1");
        assert_eq!(lua_number_text(0.1), "0.1");
        assert_eq!(lua_number_text(1e100), "1e+100");
        assert_eq!(lua_number_text(2.0 / 3.0), "0.66666666666667");
        assert_eq!(lua_number_text(-2.5), "-2.5");
    }

    #[test]
    fn number_arguments_keep_every_digit() {
        assert_eq!(number_argument(1.0), b"1");
        assert_eq!(number_argument(0.1), b"0.10000000000000001");
        assert_eq!(number_argument(1e20), b"1e+20");
        assert_eq!(number_argument(-f64::NAN), b"-nan");
    }

    #[test]
    fn numbers_cast_as_x86_casts_them() {
        assert_eq!(c_long(3.99), 3);
        assert_eq!(c_long(-3.99), -3);
        assert_eq!(c_long(f64::NAN), i64::MIN);
        assert_eq!(c_long(1e19), i64::MIN);
        assert_eq!(c_long(-1e19), i64::MIN);
        assert_eq!(c_long(f64::INFINITY), i64::MIN);
    }
}
