//! Redis's partial quicksort (`pqsort.c`: Bentley and McIlroy's quicksort that skips the
//! parts outside a range of positions), which SORT ... LIMIT and geo searches with COUNT use.
//! It is not stable: among elements that compare equal the order it leaves depends on every
//! swap, so the swaps here are Redis's, one for one.

use std::cmp::Ordering;

/// Redis's partial quicksort (`pqsort.c`, Bentley and McIlroy's quicksort that only recurses
/// into parts overlapping positions `left..=right`), step for step, so that elements that
/// compare equal end up where Redis puts them.
pub fn partial_quicksort<T>(
    items: &mut [T],
    left: i64,
    right: i64,
    compare: &mut impl FnMut(&T, &T) -> Ordering,
) {
    // True if the part `[from, from + count)` holds any wanted position.
    let wanted = |from: usize, count: usize| {
        let (from, to) = (from as i64, (from + count) as i64);
        !((left < from && right < from) || (left >= to && right >= to))
    };
    // Parts still to sort, as (first position, length). pqsort.c recurses into one part and
    // loops on the other; the parts do not overlap, so the order they are sorted in does not
    // change the result, and a list instead of recursion cannot overflow the stack.
    let mut parts = vec![(0, items.len())];
    while let Some((base, n)) = parts.pop() {
        if n < 7 {
            // Insertion sort for small parts.
            for m in base + 1..base + n {
                let mut l = m;
                while l > base && compare(&items[l - 1], &items[l]) == Ordering::Greater {
                    items.swap(l, l - 1);
                    l -= 1;
                }
            }
            continue;
        }
        // The pivot: the middle, or a median of three (of medians of three past 40).
        let mut pivot = base + n / 2;
        if n > 7 {
            let mut low = base;
            let mut high = base + n - 1;
            if n > 40 {
                let d = n / 8;
                low = median_of_three(items, low, low + d, low + 2 * d, compare);
                pivot = median_of_three(items, pivot - d, pivot, pivot + d, compare);
                high = median_of_three(items, high - 2 * d, high - d, high, compare);
            }
            pivot = median_of_three(items, low, pivot, high, compare);
        }
        items.swap(base, pivot);
        // Partition into [= pivot][< pivot][unsorted][> pivot][= pivot].
        let (mut pa, mut pb) = (base + 1, base + 1);
        let (mut pc, mut pd) = (base + n - 1, base + n - 1);
        loop {
            while pb <= pc {
                let ordering = compare(&items[pb], &items[base]);
                if ordering == Ordering::Greater {
                    break;
                }
                if ordering == Ordering::Equal {
                    items.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let ordering = compare(&items[pc], &items[base]);
                if ordering == Ordering::Less {
                    break;
                }
                if ordering == Ordering::Equal {
                    items.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            items.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        // Move the equal runs from both ends to the middle.
        let end = base + n;
        let r = (pa - base).min(pb - pa);
        swap_blocks(items, base, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        swap_blocks(items, pb, end - r, r);
        // Then the smaller-than and greater-than parts, where they hold wanted positions.
        let greater = pd - pc;
        if greater > 1 && wanted(end - greater, greater) {
            parts.push((end - greater, greater));
        }
        let smaller = pb - pa;
        if smaller > 1 && wanted(base, smaller) {
            parts.push((base, smaller));
        }
    }
}

/// The position of the median of `items[a]`, `items[b]` and `items[c]`, chosen exactly as
/// `pqsort.c`'s `med3` does.
fn median_of_three<T>(
    items: &[T],
    a: usize,
    b: usize,
    c: usize,
    compare: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    let (x, y, z) = (&items[a], &items[b], &items[c]);
    if compare(x, y) == Ordering::Less {
        if compare(y, z) == Ordering::Less {
            b
        } else if compare(x, z) == Ordering::Less {
            c
        } else {
            a
        }
    } else if compare(y, z) == Ordering::Greater {
        b
    } else if compare(x, z) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps `items[a..a + n]` with `items[b..b + n]`, element by element from the front.
fn swap_blocks<T>(items: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        items.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_quicksort_orders_the_wanted_positions() {
        for len in [0usize, 1, 5, 7, 8, 40, 41, 100, 257] {
            let original: Vec<u64> = (0..len as u64).map(|i| (i * 7919) % 101).collect();
            let mut sorted = original.clone();
            sorted.sort();
            for (left, right) in [(0, 2), (3, 9), (len as i64 / 2, len as i64 - 1)] {
                let mut items = original.clone();
                partial_quicksort(&mut items, left, right, &mut |a, b| a.cmp(b));
                for i in left.max(0)..=right.min(len as i64 - 1) {
                    assert_eq!(items[i as usize], sorted[i as usize], "len {len} at {i}");
                }
            }
            let mut items = original.clone();
            partial_quicksort(&mut items, 0, len as i64 - 1, &mut |a, b| a.cmp(b));
            assert_eq!(items, sorted);
        }
    }

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
        partial_quicksort(&mut values, 0, 19, &mut |a: &u64, b: &u64| a.cmp(b));
        assert_eq!(values[..20], sorted[..20]);
        let mut all = values.clone();
        let last = all.len() - 1;
        partial_quicksort(&mut all, 0, last as i64, &mut |a: &u64, b: &u64| a.cmp(b));
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
        partial_quicksort(&mut v, 0, 2, &mut |a: &(u8, u8), b: &(u8, u8)| {
            a.0.cmp(&b.0)
        });
        assert!(v[..4].iter().all(|&(key, _)| key == 0));
    }
}
