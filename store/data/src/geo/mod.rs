//! The geospatial math of Redis's GEO commands, which keep points in a sorted set whose score
//! is a 52-bit interleaved geohash.
//!
//! Each step is Redis 7.0's (geohash.c, geohash_helper.c, geo.c) with the same `f64`
//! operations in the same order, so that scores, coordinates and distances come out
//! bit for bit as Redis computes them, and so that a search visits the same boxes of the
//! sorted set in the same order (the order of its results when no sorting is asked for):
//!
//! - [`hash`]: encoding a position into interleaved bits at some precision (step), decoding
//!   them back into a cell and its centre, the eight neighbour cells, the standard base-32
//!   geohash string;
//! - [`distance`]: the haversine distance on Redis's sphere, and the radius and box tests;
//! - [`area`]: the shape of a search, the step and the nine cells that cover it;
//! - [`search`]: the members of a sorted set inside a shape, in Redis's walk order, and their
//!   ordering by distance (`crate::pqsort`: Redis's partial quicksort, for COUNT);
//! - [`format_distance`]: distances as Redis prints them (four decimals).
//!
//! The sines, cosines and square roots come from the platform's libm, as Redis's do.

pub mod area;
pub mod distance;
pub mod hash;
pub mod search;

/// The westmost longitude Redis accepts.
pub const LONG_MIN: f64 = -180.0;
/// The eastmost longitude Redis accepts.
pub const LONG_MAX: f64 = 180.0;
/// The southmost latitude Redis accepts: the Web Mercator limit (EPSG:900913), since the
/// poles cannot be encoded.
pub const LAT_MIN: f64 = -85.05112878;
/// The northmost latitude Redis accepts.
pub const LAT_MAX: f64 = 85.05112878;

/// The precision of a stored point: 26 bits of longitude and 26 of latitude.
pub const STEP_MAX: u8 = 26;

/// True if Redis accepts `longitude, latitude` as a position (GEOADD, FROMLONLAT...).
pub fn valid_position(longitude: f64, latitude: f64) -> bool {
    // No NaN gets here: Redis's number parsing refuses it.
    (LONG_MIN..=LONG_MAX).contains(&longitude) && (LAT_MIN..=LAT_MAX).contains(&latitude)
}

/// Meters in one of a distance unit (`m`, `km`, `ft`, `mi`, any case), or `None` for any
/// other word. Redis compares the unit as a C string, so a NUL byte ends it.
pub fn unit_in_meters(unit: &[u8]) -> Option<f64> {
    let unit = unit.split(|&b| b == 0).next().unwrap_or(unit);
    let units: [(&[u8], f64); 4] = [
        (b"m", 1.0),
        (b"km", 1000.0),
        (b"ft", 0.3048),
        (b"mi", 1609.34),
    ];
    units
        .iter()
        .find(|(name, _)| unit.eq_ignore_ascii_case(name))
        .map(|(_, meters)| *meters)
}

/// C's `llrint` on x86-64: to the nearest integer, ties to even; NaN and values out of
/// range give the "integer indefinite" `i64::MIN`.
fn llrint(value: f64) -> i64 {
    let rounded = value.round_ties_even();
    // 2^63 is exact as a double; every double below it and from -2^63 up fits.
    if rounded.is_nan()
        || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&rounded)
    {
        return i64::MIN;
    }
    rounded as i64
}

/// A distance as Redis prints it (`fixedpoint_d2string` with four decimals): the value
/// times 10,000 rounded to an integer with `llrint`, then written with a point four digits
/// from its end.
pub fn format_distance(distance: f64) -> String {
    if distance == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = llrint(distance * 10000.0);
    let sign = if scaled < 0 { "-" } else { "" };
    let value = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", value / 10000, value % 10000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_print_with_four_decimals() {
        assert_eq!(format_distance(0.0), "0.0000");
        assert_eq!(format_distance(-0.0), "0.0000");
        assert_eq!(format_distance(166274.15156960033), "166274.1516");
        assert_eq!(format_distance(0.00004), "0.0000");
        assert_eq!(format_distance(0.00005), "0.0000");
        assert_eq!(format_distance(0.00015), "0.0001");
        assert_eq!(format_distance(-3.0), "-3.0000");
        assert_eq!((llrint(2.5), llrint(3.5), llrint(-2.5)), (2, 4, -2));
        assert_eq!(format_distance(1.5), "1.5000");
        assert_eq!(format_distance(12.34567), "12.3457");
        assert_eq!(format_distance(f64::NAN), "-922337203685477.5808");
        assert_eq!(format_distance(1e300), "-922337203685477.5808");
    }

    #[test]
    fn units_and_limits() {
        assert_eq!(unit_in_meters(b"KM"), Some(1000.0));
        assert_eq!(unit_in_meters(b"Mi"), Some(1609.34));
        assert_eq!(unit_in_meters(b"ft"), Some(0.3048));
        assert_eq!(unit_in_meters(b"m"), Some(1.0));
        assert_eq!(unit_in_meters(b"meters"), None);
        assert_eq!(unit_in_meters(b"m\0x"), Some(1.0));
        assert_eq!(unit_in_meters(b""), None);
        assert!(valid_position(180.0, -85.05112878));
        assert!(!valid_position(180.000001, 0.0));
        assert!(!valid_position(0.0, 85.051129));
    }
}
