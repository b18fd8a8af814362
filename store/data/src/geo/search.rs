//! The members of a sorted set inside a search's shape, found as Redis finds them: the
//! covering cells one after the other, and within each cell its range of scores in order,
//! so that results come in Redis's order when the search asks for no sorting.

use std::cmp::Ordering;

use crate::types::zset::{ScoreRange, SortedSet};

use super::area::{covering_cells, Shape};
use crate::pqsort::partial_quicksort;

/// A member found inside a shape (Redis's `geoPoint`).
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'z> {
    /// The member.
    pub member: &'z [u8],
    /// Its score, the geohash.
    pub score: f64,
    /// Its position, `[longitude, latitude]`, decoded from the score.
    pub position: [f64; 2],
    /// Its distance from the shape's centre, in meters.
    pub distance: f64,
}

/// Every member of `zset` inside `shape`, in the order Redis finds them. With a `limit`
/// (COUNT with ANY) the search stops once it found that many.
pub fn members_in_shape<'z>(
    zset: &'z SortedSet,
    shape: &Shape,
    limit: Option<usize>,
) -> Vec<Found<'z>> {
    let cells = covering_cells(shape);
    let mut found = Vec::new();
    let full = |found: &Vec<Found<'_>>| limit.is_some_and(|limit| found.len() >= limit);
    let mut last_read: Option<usize> = None;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // With a huge radius neighbours can be the same cell; one read just before it is
        // not repeated. (Redis compares with the last cell read only once it read one
        // after the centre's, so a neighbour equal to the centre's is read twice.)
        if let Some(last) = last_read.filter(|&last| last != 0) {
            if cells[last] == *cell {
                continue;
            }
        }
        if full(&found) {
            break;
        }
        let (min, max) = cell.score_range();
        let range = ScoreRange {
            min: min as f64,
            max: max as f64,
            min_excluded: false,
            max_excluded: true,
        };
        if let Some((first, last)) = zset.score_ranks(&range) {
            for (member, score) in zset.iter_from(first, false).take(last - first + 1) {
                if let Some((position, distance)) = shape.contains(score) {
                    found.push(Found {
                        member,
                        score,
                        position,
                        distance,
                    });
                }
                if full(&found) {
                    break;
                }
            }
        }
        last_read = Some(i);
    }
    found
}

/// Orders found members by distance, nearest first or (`descending`) farthest first, as
/// Redis does when it keeps the first `keep`: all of them go through glibc's `qsort` (a
/// merge sort, so equal distances keep the order they were found in), fewer through
/// Redis's partial quicksort, which only the first `keep` positions come out of sorted.
pub fn sort_by_distance(found: &mut [Found<'_>], descending: bool, keep: usize) {
    // Redis's comparator: greater, equal or less, in that order of tests (NaN is "less").
    let ascending = |a: &Found<'_>, b: &Found<'_>| {
        if a.distance > b.distance {
            Ordering::Greater
        } else if a.distance == b.distance {
            Ordering::Equal
        } else {
            Ordering::Less
        }
    };
    let mut compare = |a: &Found<'_>, b: &Found<'_>| match descending {
        true => ascending(a, b).reverse(),
        false => ascending(a, b),
    };
    if keep >= found.len() {
        found.sort_by(&mut compare);
    } else if keep > 0 {
        partial_quicksort(found, 0, keep as i64 - 1, &mut compare);
    }
}

#[cfg(test)]
mod tests {
    use super::super::area::Form;
    use super::super::hash::score_of;
    use super::*;
    use crate::types::EncodingLimits;

    fn sicily(skiplist: bool) -> SortedSet {
        let mut zset = if skiplist {
            SortedSet::new_skiplist()
        } else {
            SortedSet::new()
        };
        let limits = EncodingLimits::default();
        for (lon, lat, name) in [
            (13.361389, 38.115556, &b"Palermo"[..]),
            (15.087269, 37.502669, b"Catania"),
            (12.758489, 38.788135, b"edge1"),
            (17.241510, 38.788135, b"edge2"),
        ] {
            let score = score_of(lon, lat).expect("valid") as f64;
            zset.insert(name, score, &limits);
        }
        zset
    }

    fn names(found: &[Found<'_>]) -> Vec<String> {
        found
            .iter()
            .map(|f| String::from_utf8_lossy(f.member).into_owned())
            .collect()
    }

    #[test]
    fn finds_what_redis_finds_in_its_order() {
        for skiplist in [false, true] {
            let zset = sicily(skiplist);
            let shape = Shape {
                center: [15.0, 37.0],
                conversion: 1000.0,
                form: Form::Circle { radius: 200.0 },
            };
            let mut found = members_in_shape(&zset, &shape, None);
            assert_eq!(names(&found), ["Palermo", "Catania"]);
            sort_by_distance(&mut found, false, 2);
            assert_eq!(names(&found), ["Catania", "Palermo"]);
            sort_by_distance(&mut found, true, 2);
            assert_eq!(names(&found), ["Palermo", "Catania"]);
            sort_by_distance(&mut found, false, 1);
            assert_eq!(names(&found[..1]), ["Catania"]);
            let found = members_in_shape(&zset, &shape, Some(1));
            assert_eq!(found.len(), 1);
            let boxed = Shape {
                form: Form::Box {
                    width: 400.0,
                    height: 400.0,
                },
                ..shape
            };
            let found = members_in_shape(&zset, &boxed, None);
            assert_eq!(names(&found), ["Palermo", "edge1", "Catania", "edge2"]);
        }
    }
}
