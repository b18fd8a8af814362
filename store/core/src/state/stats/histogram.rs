//! Latency histograms: log-linear buckets, as Redis's HDR histograms keep them.

/// Sub-buckets per power of two in [`Histogram`]: 2^5 = 32, so a value is known to within
/// 1/32 (about 3%).
const SUB_BITS: u32 = 5;
/// Values are clamped to 1 ns ..= 1 s, as Redis's latency histograms are.
const MAX_NANOS: u64 = 1_000_000_000;
/// Buckets needed to reach [`MAX_NANOS`].
const BUCKETS: usize = bucket(MAX_NANOS) + 1;

/// The bucket of `value`: values below 2^(SUB_BITS+1) have one each; above, each power of
/// two is split into 2^SUB_BITS equal buckets (the layout of an HDR histogram).
const fn bucket(value: u64) -> usize {
    if value < 2 << SUB_BITS {
        return value as usize;
    }
    let top = 63 - value.leading_zeros();
    let shift = top - SUB_BITS;
    ((shift as usize) << SUB_BITS) + (value >> shift) as usize
}

/// The smallest value that lands in bucket `index`.
const fn bucket_floor(index: usize) -> u64 {
    if index < 2 << SUB_BITS {
        return index as u64;
    }
    let shift = (index >> SUB_BITS) - 1;
    let sub = (index & ((1 << SUB_BITS) - 1)) + (1 << SUB_BITS);
    (sub as u64) << shift
}

/// A latency histogram of fixed size (828 buckets, 6.5 KiB), log-linear like Redis's HDR
/// histograms but coarser (3% rather than 1% precision), which keeps it small enough to give
/// every command that runs its own.
#[derive(Debug, Clone)]
pub(super) struct Histogram {
    counts: Box<[u64]>,
    pub(super) total: u64,
}

impl Histogram {
    pub(super) fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
        }
    }

    pub(super) fn record(&mut self, nanos: u64, count: u64) {
        self.counts[bucket(nanos.clamp(1, MAX_NANOS))] += count;
        self.total += count;
    }

    /// Samples at or below `nanos`.
    fn count_up_to(&self, nanos: u64) -> u64 {
        let last = bucket(nanos.clamp(1, MAX_NANOS));
        self.counts[..=last].iter().sum()
    }

    /// LATENCY HISTOGRAM's cumulative distribution, as Redis's `fillCommandCDF` iterates
    /// its HDR histogram (2 significant digits) logarithmically from 1024 ns: at each power
    /// of two, the microseconds of the highest value equivalent to it, and the samples up to
    /// there, where that count grew.
    pub(super) fn cumulative_micros(&self) -> Vec<(u64, u64)> {
        let mut steps = Vec::new();
        let mut previous = 0;
        let mut level: u64 = 1024;
        while previous < self.total && level <= 2 * MAX_NANOS {
            // Redis's histograms keep 2 significant digits: 256 sub-buckets per power of
            // two from 256 on, so the values equivalent to 2^k span 2^(k-7).
            let highest = level + (level >> 7) - 1;
            let cumulative = self.count_up_to(highest);
            if cumulative > previous {
                steps.push((highest / 1000, cumulative));
            }
            previous = cumulative;
            level *= 2;
        }
        steps
    }

    /// The value below which `percentile` % of the samples fall, as hdr_histogram's
    /// `hdr_value_at_percentile` gives it: the highest value of the bucket that holds the
    /// sample ranked `percentile`% (rounded, at least the first).
    pub(super) fn value_at_percentile(&self, percentile: f64) -> u64 {
        let wanted = ((percentile.clamp(0.0, 100.0) / 100.0) * self.total as f64 + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= wanted {
                return bucket_floor(index + 1) - 1;
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bound_their_values() {
        for index in 0..BUCKETS - 1 {
            let floor = bucket_floor(index);
            assert_eq!(bucket(floor), index, "floor of {index}");
            assert_eq!(bucket(bucket_floor(index + 1) - 1), index, "top of {index}");
        }
        assert_eq!(BUCKETS, 828);
        // Relative width stays within 1/32 above the exact range.
        for value in [100u64, 1_000, 12_345, 999_999, MAX_NANOS] {
            let index = bucket(value);
            let width = bucket_floor(index + 1) - bucket_floor(index);
            assert!(width * 32 <= value, "{value}: width {width}");
        }
    }

    #[test]
    fn percentiles_follow_hdr_rounding() {
        let mut histogram = Histogram::new();
        for value in 1..=100 {
            histogram.record(value * 1000, 1);
        }
        let p50 = histogram.value_at_percentile(50.0);
        assert!((50_000..=51_600).contains(&p50), "{p50}");
        let p100 = histogram.value_at_percentile(100.0);
        assert!((100_000..=103_200).contains(&p100), "{p100}");
        assert_eq!(
            histogram.value_at_percentile(0.0),
            bucket_floor(bucket(1000) + 1) - 1
        );
    }

    #[test]
    fn the_cumulative_distribution_steps_at_powers_of_two_as_redis_reports_them() {
        let mut histogram = Histogram::new();
        histogram.record(500, 3);
        histogram.record(1_500, 1);
        histogram.record(33_000, 2);
        histogram.record(40_000, 1);
        // Redis's steps for these: 1, 2, 33 and 66 µs (the highest values equivalent to 1024,
        // 2048, 32768 and 65536 ns); only where the count grew.
        assert_eq!(
            histogram.cumulative_micros(),
            vec![(1, 3), (2, 4), (33, 6), (66, 7)]
        );
        assert!(Histogram::new().cumulative_micros().is_empty());
    }
}
