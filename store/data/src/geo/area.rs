//! The area a search covers: its shape, and the cell with its eight neighbours that Redis
//! reads from the sorted set to find every point inside it (geohash_helper.c).

use super::distance::{deg_rad, rad_deg, within_box, within_radius, EARTH_RADIUS_IN_METERS};
use super::hash::{decode_score, decode_wgs84, encode_wgs84, neighbors, Area, Cell, Neighbors};
use super::STEP_MAX;

/// The half-circumference of Web Mercator's equator: a radius this large needs no
/// more precision than one cell of the whole globe.
const MERCATOR_MAX: f64 = 20037726.37;

/// What a search looks for around its centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Form {
    /// Points within `radius` units of the centre.
    Circle {
        /// In the search's unit.
        radius: f64,
    },
    /// Points inside a box of `width` by `height` units centred on it.
    Box {
        /// East to west, in the search's unit.
        width: f64,
        /// North to south, in the search's unit.
        height: f64,
    },
}

/// A search's shape (Redis's `GeoShape`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// The centre, `[longitude, latitude]`.
    pub center: [f64; 2],
    /// Meters in the unit the sizes are given in.
    pub conversion: f64,
    /// Circle or box, and its size.
    pub form: Form,
}

impl Shape {
    /// The distance from the centre in meters of the point a score stands for, with that
    /// point's position, if the point is inside the shape (Redis's `geoWithinShape`).
    pub fn contains(&self, score: f64) -> Option<([f64; 2], f64)> {
        let xy = decode_score(score);
        let [x, y] = self.center;
        let distance = match self.form {
            Form::Circle { radius } => within_radius(x, y, xy[0], xy[1], radius * self.conversion),
            Form::Box { width, height } => within_box(
                width * self.conversion,
                height * self.conversion,
                x,
                y,
                xy[0],
                xy[1],
            ),
        }?;
        Some((xy, distance))
    }

    /// The longitudes and latitudes the shape spans: `[min_lon, min_lat, max_lon, max_lat]`
    /// (Redis's `geohashBoundingBox`). Parallels shorten away from the equator, so the
    /// width is taken on the parallel nearer the pole, the one that spans more degrees.
    pub fn bounding_box(&self) -> [f64; 4] {
        let [longitude, latitude] = self.center;
        let (half_height, half_width) = match self.form {
            Form::Circle { radius } => (radius, radius),
            Form::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let height = self.conversion * half_height;
        let width = self.conversion * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
        let long_delta_top =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
        let long_delta_bottom =
            rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
        let long_delta = if latitude < 0.0 {
            long_delta_bottom
        } else {
            long_delta_top
        };
        [
            longitude - long_delta,
            latitude - lat_delta,
            longitude + long_delta,
            latitude + lat_delta,
        ]
    }

    /// The distance in meters from the centre to the farthest point of the shape: the
    /// radius, or half the box's diagonal.
    fn reach(&self) -> f64 {
        let reach = match self.form {
            Form::Circle { radius } => radius,
            Form::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        reach * self.conversion
    }
}

/// The precision of the cells that cover a search reaching `range_meters` from a centre at
/// `latitude` (Redis's `geohashEstimateStepsByRadius`): cells about as large as the range,
/// a step or two coarser near the poles.
pub fn estimate_steps(range_meters: f64, latitude: f64) -> u8 {
    if range_meters == 0.0 {
        return STEP_MAX;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    // So that the range falls inside the cells in most cases.
    step -= 2;
    if !(-66.0..=66.0).contains(&latitude) {
        step -= 1;
        if !(-80.0..=80.0).contains(&latitude) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// True if the span `[min_lon, min_lat, max_lon, max_lat]` goes beyond the far edge of the
/// north, south, east or west neighbour.
fn reaches_past(around: &Neighbors, [min_lon, min_lat, max_lon, max_lat]: [f64; 4]) -> bool {
    let beyond = |cell: Cell, test: &dyn Fn(Area) -> bool| decode_wgs84(cell).is_some_and(test);
    beyond(around.north, &|a| a.latitude.max < max_lat)
        || beyond(around.south, &|a| a.latitude.min > min_lat)
        || beyond(around.east, &|a| a.longitude.max < max_lon)
        || beyond(around.west, &|a| a.longitude.min > min_lon)
}

/// The cells a search reads, in the order Redis reads them: the centre's cell, then north,
/// south, east, west, north-east, north-west, south-east, south-west. A neighbour the
/// shape cannot reach is [`Cell::ZERO`].
pub fn covering_cells(shape: &Shape) -> [Cell; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounding_box();
    let [longitude, latitude] = shape.center;
    let mut steps = estimate_steps(shape.reach(), latitude);

    // The centre is within the limits, so encoding at a step from 1 to 26 cannot fail.
    let cell_at = |steps: u8| {
        encode_wgs84(longitude, latitude, steps).unwrap_or(Cell {
            bits: 0,
            step: steps,
        })
    };
    let mut cell = cell_at(steps);
    let mut around = neighbors(cell);

    // The estimate may leave the shape's edge beyond a neighbour when the centre is near
    // its cell's edge: one step coarser covers it.
    if steps > 1 && reaches_past(&around, [min_lon, min_lat, max_lon, max_lat]) {
        steps -= 1;
        cell = cell_at(steps);
        around = neighbors(cell);
    }

    // Neighbours wholly outside the shape's span are not read.
    if steps >= 2 {
        if let Some(area) = decode_wgs84(cell) {
            if area.latitude.min < min_lat {
                around.south = Cell::ZERO;
                around.south_west = Cell::ZERO;
                around.south_east = Cell::ZERO;
            }
            if area.latitude.max > max_lat {
                around.north = Cell::ZERO;
                around.north_east = Cell::ZERO;
                around.north_west = Cell::ZERO;
            }
            if area.longitude.min < min_lon {
                around.west = Cell::ZERO;
                around.south_west = Cell::ZERO;
                around.north_west = Cell::ZERO;
            }
            if area.longitude.max > max_lon {
                around.east = Cell::ZERO;
                around.south_east = Cell::ZERO;
                around.north_east = Cell::ZERO;
            }
        }
    }
    [
        cell,
        around.north,
        around.south,
        around.east,
        around.west,
        around.north_east,
        around.north_west,
        around.south_east,
        around.south_west,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle(longitude: f64, latitude: f64, radius: f64) -> Shape {
        Shape {
            center: [longitude, latitude],
            conversion: 1000.0,
            form: Form::Circle { radius },
        }
    }

    #[test]
    fn steps_grow_as_the_radius_shrinks() {
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(20037726.37, 0.0), 1);
        assert_eq!(estimate_steps(1_000_000.0, 0.0), 4);
        assert_eq!(estimate_steps(1_000.0, 0.0), 14);
        assert_eq!(estimate_steps(1_000.0, 70.0), 13);
        assert_eq!(estimate_steps(1_000.0, -81.0), 12);
        assert_eq!(estimate_steps(0.001, 0.0), 26);
        assert_eq!(estimate_steps(1e9, 85.0), 1);
    }

    #[test]
    fn a_box_spans_more_longitude_towards_the_pole() {
        let north = circle(0.0, 60.0, 100.0).bounding_box();
        let south = circle(0.0, -60.0, 100.0).bounding_box();
        assert_eq!(north[2], south[2]);
        assert!(north[2] > 100.0 / 111.0 * 2.0);
        assert!((north[3] - 60.0 - (60.0 - north[1])).abs() < 1e-12);
    }

    #[test]
    fn the_centre_cell_comes_first() {
        let shape = circle(13.361389, 38.115556, 200.0);
        let cells = covering_cells(&shape);
        let step = cells[0].step;
        assert!(step > 1);
        assert_eq!(
            cells[0],
            encode_wgs84(13.361389, 38.115556, step).expect("encodes")
        );
        // A huge radius reads the few cells of the globe.
        let cells = covering_cells(&circle(0.0, 0.0, 50_000.0));
        assert_eq!(cells[0].step, 1);
        assert!(cells.iter().all(|c| c.step <= 1));
    }

    #[test]
    fn shapes_contain_what_redis_finds() {
        let palermo = 3479099956230698.0;
        let catania = 3479447370796909.0;
        let shape = circle(15.0, 37.0, 200.0);
        let (_, d) = shape.contains(palermo).expect("inside");
        assert_eq!(super::super::format_distance(d / 1000.0), "190.4424");
        assert!(circle(15.0, 37.0, 190.0).contains(palermo).is_none());
        assert!(shape.contains(catania).is_some());
        let boxed = Shape {
            center: [15.0, 37.0],
            conversion: 1000.0,
            form: Form::Box {
                width: 400.0,
                height: 400.0,
            },
        };
        let (_, d) = boxed.contains(palermo).expect("inside");
        assert_eq!(super::super::format_distance(d / 1000.0), "190.4424");
    }
}
