//! Geohashes as Redis computes them: a position's cell at some precision (`step` bits of
//! latitude interleaved with `step` bits of longitude), the cell's bounds and centre, its
//! neighbours, and the standard base-32 text.
//!
//! The latitude bits take the even positions and the longitude bits the odd ones. Offsets
//! are truncated to integers as C converts a `double` to `uint32_t`, so a position on the
//! upper edge of the range (longitude 180) gets an index one past the last cell, as in
//! Redis: its score then has bit 53 set, and decodes back to the edge.

use super::{LAT_MAX, LAT_MIN, LONG_MAX, LONG_MIN, STEP_MAX};

/// An interval of longitudes or latitudes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The lower end.
    pub min: f64,
    /// The upper end.
    pub max: f64,
}

impl Range {
    /// Redis's `RANGEISZERO`: an unset range.
    fn is_zero(&self) -> bool {
        self.min == 0.0 && self.max == 0.0
    }
}

/// The longitudes Redis encodes.
pub const WGS84_LONG: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};

/// The latitudes Redis encodes (the poles cannot be).
pub const WGS84_LAT: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// One cell: `step` bits of each coordinate, interleaved into `bits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    /// The interleaved bits, latitude in the even positions.
    pub bits: u64,
    /// Bits per coordinate (1 to 32; 0 only for the unset cell).
    pub step: u8,
}

impl Cell {
    /// The unset cell (Redis's `GZERO`): a search skips it.
    pub const ZERO: Cell = Cell { bits: 0, step: 0 };

    /// Redis's `HASHISZERO`.
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The cell's bits as the high bits of a 52-bit score (Redis's `geohashAlign52Bits`).
    pub fn align52(&self) -> u64 {
        self.bits << (52 - u32::from(self.step) * 2)
    }

    /// The scores of the points inside the cell: from the first (included) to the second
    /// (excluded), as Redis's `scoresOfGeoHashBox` bounds them.
    pub fn score_range(&self) -> (u64, u64) {
        let next = Cell {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52(), next.align52())
    }
}

/// A cell's bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Its longitudes.
    pub longitude: Range,
    /// Its latitudes.
    pub latitude: Range,
}

/// Spreads the low 32 bits of `lat` over the even positions and those of `lon` over the odd
/// ones.
fn interleave(lat: u32, lon: u32) -> u64 {
    fn spread(value: u32) -> u64 {
        let mut x = u64::from(value);
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x << 2)) & 0x3333_3333_3333_3333;
        (x | (x << 1)) & 0x5555_5555_5555_5555
    }
    spread(lat) | (spread(lon) << 1)
}

/// The inverse of [`interleave`]: the latitude index and the longitude index.
fn deinterleave(bits: u64) -> (u32, u32) {
    fn gather(value: u64) -> u32 {
        let mut x = value & 0x5555_5555_5555_5555;
        x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
        x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
        x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
        ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
    }
    (gather(bits), gather(bits >> 1))
}

/// C's conversion of a non-negative `double` to `uint32_t` on x86-64 (through a 64-bit
/// integer, keeping the low 32 bits): an offset of exactly 2^32 wraps to 0.
fn to_u32(offset: f64) -> u32 {
    offset as i64 as u32
}

/// The cell of `longitude, latitude` at `step` within the given ranges (Redis's
/// `geohashEncode`); `None` for a step out of 1..=32, an unset range, or a position outside
/// the ranges or the WGS84 limits.
pub fn encode(
    lon_range: Range,
    lat_range: Range,
    longitude: f64,
    latitude: f64,
    step: u8,
) -> Option<Cell> {
    if step > 32 || step == 0 || lat_range.is_zero() || lon_range.is_zero() {
        return None;
    }
    if !super::valid_position(longitude, latitude) {
        return None;
    }
    if latitude < lat_range.min
        || latitude > lat_range.max
        || longitude < lon_range.min
        || longitude > lon_range.max
    {
        return None;
    }
    let mut lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
    let mut lon_offset = (longitude - lon_range.min) / (lon_range.max - lon_range.min);
    let cells = (1u64 << step) as f64;
    lat_offset *= cells;
    lon_offset *= cells;
    Some(Cell {
        bits: interleave(to_u32(lat_offset), to_u32(lon_offset)),
        step,
    })
}

/// The cell of a position at `step` in Redis's ranges.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Cell> {
    encode(WGS84_LONG, WGS84_LAT, longitude, latitude, step)
}

/// The score GEOADD stores for a position Redis accepts (see [`super::valid_position`]).
pub fn score_of(longitude: f64, latitude: f64) -> Option<u64> {
    encode_wgs84(longitude, latitude, STEP_MAX).map(|cell| cell.align52())
}

/// The bounds of `cell` within the given ranges (Redis's `geohashDecode`); `None` for the
/// unset cell or an unset range.
pub fn decode(lon_range: Range, lat_range: Range, cell: Cell) -> Option<Area> {
    if cell.is_zero() || lat_range.is_zero() || lon_range.is_zero() {
        return None;
    }
    let (lat_index, lon_index) = deinterleave(cell.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    let cells = (1u64 << cell.step) as f64;
    // The index after the last wraps around in C's 32-bit arithmetic.
    let bound =
        |range: Range, scale: f64, index: u32| range.min + (f64::from(index) * 1.0 / cells) * scale;
    Some(Area {
        latitude: Range {
            min: bound(lat_range, lat_scale, lat_index),
            max: bound(lat_range, lat_scale, lat_index.wrapping_add(1)),
        },
        longitude: Range {
            min: bound(lon_range, lon_scale, lon_index),
            max: bound(lon_range, lon_scale, lon_index.wrapping_add(1)),
        },
    })
}

/// The bounds of `cell` in Redis's ranges.
pub fn decode_wgs84(cell: Cell) -> Option<Area> {
    decode(WGS84_LONG, WGS84_LAT, cell)
}

/// The centre of an area, brought within the WGS84 limits: `[longitude, latitude]`.
pub fn center(area: &Area) -> [f64; 2] {
    let longitude = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let latitude = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    [longitude, latitude]
}

/// C's conversion of a `double` to `uint64_t` as gcc compiles it for x86-64: below 2^63 a
/// signed conversion (negative values wrap; NaN and values from -2^63 down give 2^63),
/// from 2^63 on a conversion of the value less 2^63 with the top bit flipped (2^64 and up
/// give 0).
fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let signed = |value: f64| -> u64 {
        if value.is_nan() || !(-TWO_63..TWO_63).contains(&value) {
            1 << 63
        } else {
            value as i64 as u64
        }
    };
    if score >= TWO_63 {
        signed(score - TWO_63) ^ (1 << 63)
    } else {
        signed(score)
    }
}

/// The position a sorted-set score stands for, `[longitude, latitude]`, as Redis's
/// `decodeGeohash` reads any score (even one ZADD wrote): the score as a 64-bit integer,
/// taken as a 26-step cell, whose centre is clamped to the limits.
pub fn decode_score(score: f64) -> [f64; 2] {
    let cell = Cell {
        bits: score_bits(score),
        step: STEP_MAX,
    };
    // A step of 26 is never the unset cell, and the ranges are set: decoding cannot fail.
    decode_wgs84(cell).map_or([0.0, 0.0], |area| center(&area))
}

/// The standard geohash of a stored point: its position encoded again over the whole
/// globe (latitudes -90 to 90, as Redis's own range is narrower), as 11 base-32 characters;
/// the last stands for bits Redis does not have, so it is always `0`.
pub fn geohash_text(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let [longitude, latitude] = decode_score(score);
    let globe_long = Range {
        min: -180.0,
        max: 180.0,
    };
    let globe_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode(globe_long, globe_lat, longitude, latitude, STEP_MAX).map_or(0, |c| c.bits);
    let mut text = [b'0'; 11];
    for (i, byte) in text.iter_mut().enumerate().take(10) {
        let index = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *byte = ALPHABET[index as usize];
    }
    text
}

/// Moves a cell one step east (`east`) or west along its row, wrapping around.
fn move_x(cell: &mut Cell, east: bool) {
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let shift = 64 - u32::from(cell.step) * 2;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let x = if east {
        x.wrapping_add(zz + 1)
    } else {
        (x | zz).wrapping_sub(zz + 1)
    };
    cell.bits = (x & (0xaaaa_aaaa_aaaa_aaaa >> shift)) | y;
}

/// Moves a cell one step north (`north`) or south along its column, wrapping around.
fn move_y(cell: &mut Cell, north: bool) {
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let shift = 64 - u32::from(cell.step) * 2;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    let y = if north {
        y.wrapping_add(zz + 1)
    } else {
        (y | zz).wrapping_sub(zz + 1)
    };
    cell.bits = x | (y & (0x5555_5555_5555_5555 >> shift));
}

/// A cell's eight neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Neighbors {
    /// North.
    pub north: Cell,
    /// South.
    pub south: Cell,
    /// East.
    pub east: Cell,
    /// West.
    pub west: Cell,
    /// North-east.
    pub north_east: Cell,
    /// North-west.
    pub north_west: Cell,
    /// South-east.
    pub south_east: Cell,
    /// South-west.
    pub south_west: Cell,
}

/// The eight cells around `cell` (of a step from 1 to 32), as Redis's
/// `geohashNeighbors` finds them.
pub fn neighbors(cell: Cell) -> Neighbors {
    let moved = |dx: Option<bool>, dy: Option<bool>| {
        let mut moved = cell;
        if let Some(east) = dx {
            move_x(&mut moved, east);
        }
        if let Some(north) = dy {
            move_y(&mut moved, north);
        }
        moved
    };
    Neighbors {
        east: moved(Some(true), None),
        west: moved(Some(false), None),
        south: moved(None, Some(false)),
        north: moved(None, Some(true)),
        north_west: moved(Some(false), Some(true)),
        north_east: moved(Some(true), Some(true)),
        south_east: moved(Some(true), Some(false)),
        south_west: moved(Some(false), Some(false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaving_round_trips() {
        for (lat, lon) in [
            (0, 0),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            assert_eq!(deinterleave(interleave(lat, lon)), (lat, lon));
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
        assert_eq!(interleave(0b11, 0b10), 0b1101);
    }

    #[test]
    fn scores_match_redis() {
        // GEOADD then ZSCORE on redis-server 7.0.15.
        assert_eq!(score_of(13.361389, 38.115556), Some(3479099956230698));
        assert_eq!(score_of(15.087269, 37.502669), Some(3479447370796909));
        assert_eq!(score_of(0.0, 0.0), Some(3377699720527872));
        assert_eq!(score_of(-180.0, -85.05112878), Some(0));
        assert_eq!(score_of(180.0, 85.05112878), Some(13510798882111488));
        assert_eq!(score_of(180.0, 0.0), Some(10133099161583616));
        assert_eq!(score_of(180.1, 0.0), None);
    }

    /// A position as GEOPOS prints it (`%.17Lf`, trailing zeros dropped).
    fn printed(score: f64) -> [String; 2] {
        decode_score(score).map(|c| crate::long_double::LongDouble::from_f64(c).to_human())
    }

    #[test]
    fn decoding_matches_redis() {
        // GEOPOS on redis-server 7.0.15.
        assert_eq!(
            printed(3479099956230698.0),
            ["13.36138933897018433", "38.11555639549629859"]
        );
        assert_eq!(
            printed(0.0),
            ["-179.99999731779098511", "-85.05112751263942528"]
        );
        // Scores GEOADD never writes still decode, clamped to the limits.
        assert_eq!(printed(-1.0), ["180", "85.0511287799999991"]);
        assert_eq!(printed(f64::INFINITY), printed(0.0));
    }

    #[test]
    fn geohash_text_matches_redis() {
        assert_eq!(&geohash_text(3479099956230698.0), b"sqc8b49rny0");
        assert_eq!(&geohash_text(3479447370796909.0), b"sqdtr74hyu0");
    }

    #[test]
    fn neighbors_wrap_around() {
        let cell = encode_wgs84(0.0, 0.0, 1).expect("encodes");
        assert_eq!(cell.bits, 0b11);
        let around = neighbors(cell);
        assert_eq!(around.west.bits, 0b01);
        assert_eq!(around.east.bits, 0b01);
        assert_eq!(around.south.bits, 0b10);
        assert_eq!(around.south_west.bits, 0b00);
        let middle = encode_wgs84(0.0, 0.0, 2).expect("encodes");
        let around = neighbors(middle);
        let area = |c: Cell| decode_wgs84(c).expect("decodes");
        assert_eq!(area(around.north).latitude.min, area(middle).latitude.max);
        assert_eq!(area(around.east).longitude.min, area(middle).longitude.max);
        assert_eq!(
            area(around.south_west).longitude.max,
            area(middle).longitude.min
        );
    }

    #[test]
    fn score_bits_follow_c_conversion() {
        assert_eq!(score_bits(3.9), 3);
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(score_bits(f64::INFINITY), 0);
        assert_eq!(score_bits(1e19), 10_000_000_000_000_000_000);
    }
}
