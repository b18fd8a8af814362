//! The cardinality estimate from a register histogram: Otmar Ertl's estimator ("New
//! cardinality estimation algorithms for HyperLogLog sketches", arXiv:1702.01284), which Redis
//! uses since 5.0. Every floating-point step is done in the same order as Redis does it, so
//! the estimate, rounded to an integer, is Redis's to the unit.

use super::{Q, REGISTERS};

/// 0.5 / ln(2): the bias constant of the estimator for an unbounded register count.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Ertl's σ(x), the correction for registers at 0.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let previous = z;
        z += x * y;
        y += y;
        if previous == z {
            return z;
        }
    }
}

/// Ertl's τ(x), the correction for registers at their maximum (Q + 1).
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let previous = z;
        y *= 0.5;
        let gap = 1.0 - x;
        z -= gap * gap * y;
        if previous == z {
            return z / 3.0;
        }
    }
}

/// The estimated cardinality of a set whose registers count as `histogram` says
/// (`histogram[v]` registers hold `v`). Values above Q + 1 (only a hand-made dense string can
/// hold them) count nowhere, as in Redis.
pub fn estimate(histogram: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histogram[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    to_count((ALPHA_INF * m * m / z).round())
}

/// Redis's conversion of the rounded estimate: `llroundl` (half away from zero, as
/// `f64::round`; out of range, as the infinite estimate of a string with every register
/// above Q + 1, it gives `LLONG_MIN` on x86-64), stored in a double, then cast to `uint64_t`
/// (which wraps a negative value as a signed conversion would).
fn to_count(rounded: f64) -> u64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    let whole = if (-LIMIT..LIMIT).contains(&rounded) {
        rounded as i64
    } else {
        i64::MIN
    };
    let stored = whole as f64;
    if stored < 0.0 {
        stored as i64 as u64
    } else {
        stored as u64
    }
}
