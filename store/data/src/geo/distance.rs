//! Distances on Redis's sphere: the haversine formula with the Earth's quadratic mean radius,
//! computed in the order Redis's geohash_helper.c computes it, and the tests a search
//! applies to each candidate point.

use std::f64::consts::PI;

/// The Earth's quadratic mean radius in the WGS-84 model, which Redis uses as its sphere's.
pub const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;

/// Radians in a degree, as Redis's `D_R` (`M_PI / 180.0`, folded at compile time).
const D_R: f64 = PI / 180.0;

/// Degrees to radians.
pub(crate) fn deg_rad(degrees: f64) -> f64 {
    degrees * D_R
}

/// Radians to degrees.
pub(crate) fn rad_deg(radians: f64) -> f64 {
    radians / D_R
}

/// The distance in meters between two latitudes on one meridian.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The great-circle distance in meters between two positions (Redis's
/// `geohashGetDistance`). Positions whose longitudes are practically the same take the
/// shorter meridian formula, as in Redis.
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// The distance from the centre `(x1, y1)` to `(x2, y2)` if it is within `radius` meters
/// (a NaN distance counts as within, since Redis only refuses one above the radius).
pub fn within_radius(x1: f64, y1: f64, x2: f64, y2: f64, radius: f64) -> Option<f64> {
    let distance = distance(x1, y1, x2, y2);
    match distance.partial_cmp(&radius) {
        Some(std::cmp::Ordering::Greater) => None,
        _ => Some(distance),
    }
}

/// The distance from the centre `(x1, y1)` to `(x2, y2)` if the point is inside the
/// box of `width` by `height` meters around the centre (Redis's
/// `geohashGetDistanceIfInRectangle`): its latitude within half the height of the
/// centre's, and its distance along its own parallel within half the width.
pub fn within_box(width: f64, height: f64, x1: f64, y1: f64, x2: f64, y2: f64) -> Option<f64> {
    // The latitude test is the cheaper one, so it comes first, as in Redis.
    if lat_distance(y2, y1) > height / 2.0 {
        return None;
    }
    if distance(x2, y2, x1, y2) > width / 2.0 {
        return None;
    }
    Some(distance(x1, y1, x2, y2))
}

#[cfg(test)]
mod tests {
    use super::super::format_distance;
    use super::super::hash::decode_score;
    use super::*;

    /// GEODIST between two stored scores, in `unit` meters, as Redis prints it.
    fn geodist(a: f64, b: f64, unit: f64) -> String {
        let [x1, y1] = decode_score(a);
        let [x2, y2] = decode_score(b);
        format_distance(distance(x1, y1, x2, y2) / unit)
    }

    #[test]
    fn distances_match_redis() {
        // GEODIST on redis-server 7.0.15 (Palermo, Catania, 0,0, the corners, 180,0).
        let palermo = 3479099956230698.0;
        let catania = 3479447370796909.0;
        assert_eq!(geodist(palermo, catania, 1.0), "166274.1516");
        assert_eq!(geodist(palermo, catania, 1000.0), "166.2742");
        assert_eq!(geodist(palermo, catania, 1609.34), "103.3182");
        assert_eq!(geodist(palermo, catania, 0.3048), "545518.8700");
        assert_eq!(geodist(palermo, palermo, 1.0), "0.0000");
        let (origin, east_edge) = (3377699720527872.0, 10133099161583616.0);
        let (south_west, north_east) = (0.0, 13510798882111488.0);
        assert_eq!(geodist(south_west, north_east, 1.0), "18919844.5891");
        assert_eq!(geodist(origin, east_edge, 1.0), "20020733.6202");
        assert_eq!(geodist(south_west, east_edge, 1000.0), "9459.9224");
    }

    #[test]
    fn same_longitude_uses_the_meridian() {
        assert_eq!(distance(10.0, 0.0, 10.0, 1.0), lat_distance(0.0, 1.0));
        assert_eq!(lat_distance(1.0, 0.0), lat_distance(0.0, 1.0));
    }

    #[test]
    fn radius_and_box_tests() {
        let d = distance(0.0, 0.0, 1.0, 0.0);
        assert_eq!(within_radius(0.0, 0.0, 1.0, 0.0, d), Some(d));
        assert_eq!(within_radius(0.0, 0.0, 1.0, 0.0, d - 1.0), None);
        assert_eq!(within_box(2.0 * d, 1.0, 0.0, 0.0, 1.0, 0.0), Some(d));
        assert_eq!(within_box(2.0 * d - 1.0, 1.0, 0.0, 0.0, 1.0, 0.0), None);
        let up = lat_distance(0.0, 1.0);
        assert_eq!(within_box(1.0, 2.0 * up, 0.0, 0.0, 0.0, 1.0), Some(up));
        assert_eq!(within_box(1.0, 2.0 * up - 1.0, 0.0, 0.0, 0.0, 1.0), None);
    }
}
