//! INFO's `client_recent_max_input_buffer` and `client_recent_max_output_buffer`: the largest
//! query buffer and output buffer seen among the clients over the last seconds, kept as
//! Redis's `clientsCronTrackExpansiveClients` keeps them. Each second of the last
//! [`SLOTS`] has a slot holding the largest seen during it; the tick records into the slot of
//! the current second after clearing the next one (the oldest second), and INFO reports the
//! largest over all slots. So a buffer stops counting some seven to eight seconds after it
//! last was that large.

use radish_data::Millis;

/// Seconds remembered (Redis's `CLIENTS_PEAK_MEM_USAGE_SLOTS`).
pub const SLOTS: usize = 8;

/// The largest buffers seen, second by second.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecentPeaks {
    input: [u64; SLOTS],
    output: [u64; SLOTS],
}

impl RecentPeaks {
    /// Starts a pass over the clients at `now`: clears the slot of the oldest second and
    /// returns the one to [`record`](RecentPeaks::record) into.
    pub fn begin(&mut self, now: Millis) -> usize {
        let slot = ((now / 1000) % SLOTS as u64) as usize;
        let oldest = (slot + 1) % SLOTS;
        self.input[oldest] = 0;
        self.output[oldest] = 0;
        slot
    }

    /// One client's buffers: `input` bytes of query buffer, `output` of output buffer.
    pub fn record(&mut self, slot: usize, input: u64, output: u64) {
        self.input[slot] = self.input[slot].max(input);
        self.output[slot] = self.output[slot].max(output);
    }

    /// The largest query buffer and the largest output buffer over the remembered seconds.
    pub fn max(&self) -> (u64, u64) {
        let input = self.input.iter().copied().max().unwrap_or(0);
        let output = self.output.iter().copied().max().unwrap_or(0);
        (input, output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peak_counts_until_its_slot_is_cleared_seven_to_eight_seconds_later() {
        let mut peaks = RecentPeaks::default();
        let slot = peaks.begin(10_500);
        peaks.record(slot, 100, 7);
        let slot = peaks.begin(10_900);
        peaks.record(slot, 50, 0);
        assert_eq!(peaks.max(), (100, 7));
        // The following seconds see small buffers only: the peak stays while its second is
        // remembered.
        for second in 11..=16 {
            let slot = peaks.begin(second * 1000);
            peaks.record(slot, 1, 0);
            assert_eq!(peaks.max(), (100, 7), "at {second}");
        }
        // At second 17, the slot cleared is second 10's (17 + 1 = 18 ≡ 10 modulo 8).
        let slot = peaks.begin(17_000);
        peaks.record(slot, 1, 0);
        assert_eq!(peaks.max(), (1, 0));
    }
}
