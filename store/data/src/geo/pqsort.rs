//! Redis's partial quicksort (`pqsort`, Bentley and McIlroy's quicksort that skips the
//! partitions outside a range of positions), which sorts a search's results when COUNT
//! keeps fewer than were found. It is not stable: among equal distances the order it
//! leaves depends on every swap, so the swaps here are Redis's, one for one.

use std::cmp::Ordering;

/// The median of the elements at `a`, `b` and `c`, as Redis's `med3` picks it.
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &impl Fn(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]).is_lt() {
        if cmp(&v[b], &v[c]).is_lt() {
            b
        } else if cmp(&v[a], &v[c]).is_lt() {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]).is_gt() {
        b
    } else if cmp(&v[a], &v[c]).is_lt() {
        a
    } else {
        c
    }
}

/// Swaps the `count` elements from `a` with the `count` from `b` (the ranges are apart).
fn swap_run<T>(v: &mut [T], a: usize, b: usize, count: usize) {
    for i in 0..count {
        v.swap(a + i, b + i);
    }
}

/// Sorts `v` enough that positions `first..=last` hold what a full sort would put there
/// (the rest partitioned around them), exactly as Redis's `pqsort` leaves it.
pub fn pqsort<T>(v: &mut [T], first: usize, last: usize, cmp: &impl Fn(&T, &T) -> Ordering) {
    sort_part(v, 0, v.len(), first, last, cmp);
}

/// True if the elements `start..start + len` hold none of `first..=last`.
fn outside(start: usize, len: usize, first: usize, last: usize) -> bool {
    let end = start + len - 1;
    (first < start && last < start) || (first > end && last > end)
}

fn sort_part<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    first: usize,
    last: usize,
    cmp: &impl Fn(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            // Insertion sort.
            for pm in a + 1..a + n {
                let mut pl = pm;
                while pl > a && cmp(&v[pl - 1], &v[pl]).is_gt() {
                    v.swap(pl, pl - 1);
                    pl -= 1;
                }
            }
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        // Split-end partitioning: elements equal to the pivot gather at both ends.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                let order = cmp(&v[pb], &v[a]);
                if order.is_gt() {
                    break;
                }
                if order.is_eq() {
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let order = cmp(&v[pc], &v[a]);
                if order.is_lt() {
                    break;
                }
                if order.is_eq() {
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_run(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_run(v, pb, pn - r, r);
        let r = pb - pa;
        if r > 1 && !outside(a, r, first, last) {
            sort_part(v, a, r, first, last, cmp);
        }
        let r = pd - pc;
        if r <= 1 {
            return;
        }
        // The right part: iterated rather than recursed into, as in Redis.
        a = pn - r;
        n = r;
        if outside(a, r, first, last) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_range_is_sorted() {
        let mut seed = 7u64;
        let mut values: Vec<u64> = (0..500)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) % 1000
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_unstable();
        pqsort(&mut values, 0, 19, &|a: &u64, b: &u64| a.cmp(b));
        assert_eq!(values[..20], sorted[..20]);
        let mut all = values.clone();
        let last = all.len() - 1;
        pqsort(&mut all, 0, last, &|a: &u64, b: &u64| a.cmp(b));
        assert_eq!(all, sorted);
    }

    #[test]
    fn equal_keys_move_as_in_redis() {
        // Pairs of (key, tag) sorted by key only: the tags show where the swaps took them.
        let mut v: Vec<(u8, u8)> = vec![
            (1, 0),
            (0, 1),
            (1, 2),
            (0, 3),
            (1, 4),
            (0, 5),
            (1, 6),
            (0, 7),
        ];
        pqsort(&mut v, 0, 2, &|a: &(u8, u8), b: &(u8, u8)| a.0.cmp(&b.0));
        assert!(v[..4].iter().all(|&(key, _)| key == 0));
    }
}
