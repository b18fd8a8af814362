//! What one session's commands did during one `Session::handle` call: gathered without a
//! lock, then folded into the server's command counters (`commands.rs`) at once.

/// A monotonic clock in nanoseconds from any origin, which whoever runs the server provides: what
/// commands are timed with (INFO commandstats, latencystats).
pub type Timer = fn() -> u64;

/// In a run of the same command (a pipeline of GETs, or a client sending only GETs), one in
/// this many is timed.
const TIME_ONE_IN: u32 = 32;

/// The counters of consecutive calls of one command in a batch (a pipeline of 16 GETs is
/// one run): the session adds to it with no lookup, and the fold looks its command's entry up once.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    pub(super) command: &'static str,
    /// Calls (commands that ran; a served blocked command is the call it blocked in).
    pub(super) calls: u64,
    /// Their time in nanoseconds: measured, or for an untimed command the last measure
    /// of the same command.
    pub(super) nanos: u64,
    /// Calls that replied with an error of their own.
    pub(super) failed: u64,
    /// Requests refused before running (arity, NOAUTH, OOM, wrong context...).
    pub(super) rejected: u64,
}

/// A command's start, as [`Batch::begin`] gives it: the time if it is timed, and whether a
/// script runs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Start {
    at: Option<u64>,
    nested: bool,
}

/// The run of the same command at one level: the commands a client sends, or those its
/// scripts run. Each level has its own, so that EVALSHA and the INCR its script runs,
/// alternating, are each timed one in [`TIME_ONE_IN`].
#[derive(Debug, Default)]
struct Timing {
    /// The command begun last, and how many of its run went untimed since the last timed one.
    last_command: Option<&'static str>,
    untimed: u32,
    /// The last measured duration, which untimed commands of the same run are given.
    last_nanos: u64,
    /// When the command before, if timed, ended (the clock read then): the next timed one
    /// starts there rather than read the clock again, so that timing every command (for the
    /// slow log) costs one clock read per command. The time between two commands (reading
    /// the next request) counts to the next one. Cleared where a batch ends.
    ended_at: Option<u64>,
}

/// What a session's commands did during one `Session::handle` call, not yet folded into
/// the server's [`CommandStats`].
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(super) runs: Vec<Run>,
    /// Durations (ns) for the latency histograms, with how many calls in a row took it:
    /// every call counts, an untimed one with its run's last measure.
    pub(super) samples: Vec<(&'static str, u64, u64)>,
    /// The code (first word) of every error reply sent.
    pub(super) errors: Vec<String>,
    /// Reads from the socket (INFO's total_reads_processed).
    pub(crate) reads: u64,
    /// Writes to the socket (total_writes_processed).
    pub(crate) writes: u64,
    /// The client's commands', then its scripts' commands'.
    timings: [Timing; 2],
    /// The clock commands are timed with; none: nothing is timed.
    timer: Option<Timer>,
}

impl Batch {
    /// An empty batch timing its commands with `timer`.
    pub(crate) fn new(timer: Option<Timer>) -> Batch {
        Batch {
            timer,
            ..Batch::default()
        }
    }

    /// The time now, if there is a clock.
    fn clock(&self) -> Option<u64> {
        self.timer.map(|timer| timer())
    }

    /// Starts timing a blocked command served again (always timed: one measure per
    /// blocked client).
    pub(crate) fn start(&self) -> Start {
        Start {
            at: self.clock(),
            nested: false,
        }
    }

    /// A command starts, run by a script if `nested`. It is timed (the clock is read) if
    /// `always` (the slow log or the latency monitor needs every command's time), if it is
    /// another command than the one before at its level, or the [`TIME_ONE_IN`]th of a run:
    /// so every command that runs at all gets measures, and a stream of the same command
    /// costs a pair of clock reads per 32 commands rather than per command.
    #[inline]
    pub(crate) fn begin(&mut self, command: &'static str, nested: bool, always: bool) -> Start {
        let timing = &mut self.timings[usize::from(nested)];
        let repeat = timing.last_command.is_some_and(|last| same(last, command));
        timing.last_command = Some(command);
        if repeat && !always && timing.untimed + 1 < TIME_ONE_IN {
            timing.untimed += 1;
            timing.ended_at = None;
            return Start { at: None, nested };
        }
        timing.untimed = 0;
        let at = timing
            .ended_at
            .take()
            .or_else(|| self.timer.map(|timer| timer()));
        Start { at, nested }
    }

    /// The batch ends: the next one's first command reads the clock anew.
    pub(crate) fn end_pass(&mut self) {
        for timing in &mut self.timings {
            timing.ended_at = None;
        }
    }

    /// `command`, begun at `start`, ran; `failed` if it replied with an error, `blocked` if
    /// it is now waiting for data (its latency is then sampled when it is served, as in
    /// Redis). Returns its duration in nanoseconds (measured if it was timed).
    #[inline]
    pub(crate) fn ran(
        &mut self,
        command: &'static str,
        start: Start,
        failed: bool,
        blocked: bool,
    ) -> u64 {
        let nanos = self.measure(command, start, !blocked);
        let run = self.run(command);
        run.calls += 1;
        run.nanos += nanos;
        run.failed += u64::from(failed);
        nanos
    }

    /// A blocked `command`, begun again at `start`, was served (it replied): its time and
    /// failure, but no second call. It runs for another client, between this session's own
    /// commands, so it leaves their timing alone.
    /// Returns the nanoseconds serving it took.
    pub(crate) fn served(&mut self, command: &'static str, start: Start, failed: bool) -> u64 {
        let nanos = self.elapsed(start).unwrap_or(0);
        self.sample(command, nanos);
        let run = self.run(command);
        run.nanos += nanos;
        run.failed += u64::from(failed);
        nanos
    }

    /// `command` was refused before it ran.
    pub(crate) fn rejected(&mut self, command: &'static str) {
        self.run(command).rejected += 1;
    }

    /// The duration of a command begun at `start`: measured now if it was timed, else the
    /// last measure; a latency sample too if `sample`.
    fn measure(&mut self, command: &'static str, start: Start, sample: bool) -> u64 {
        let ended = start.at.and_then(|_| self.clock());
        let timing = &mut self.timings[usize::from(start.nested)];
        if let (Some(started), Some(ended)) = (start.at, ended) {
            timing.last_nanos = ended.saturating_sub(started);
            // Not for a script's commands: the script's own work between them is not theirs.
            timing.ended_at = (!start.nested).then_some(ended);
        }
        let nanos = timing.last_nanos;
        if sample {
            self.sample(command, nanos);
        }
        nanos
    }

    /// One call of `command` for its latency histogram. A run of untimed calls (the same
    /// command and duration) is one entry with its count; the entry before the last counts
    /// too (a script's command alternates with the script's).
    fn sample(&mut self, command: &'static str, nanos: u64) {
        let same = self
            .samples
            .iter_mut()
            .rev()
            .take(2)
            .find(|(last, last_nanos, _)| same(last, command) && *last_nanos == nanos);
        match same {
            Some((_, _, count)) => *count += 1,
            None => self.samples.push((command, nanos, 1)),
        }
    }

    /// Nanoseconds since `start`, if it was timed. An untimed start reads no clock.
    fn elapsed(&self, start: Start) -> Option<u64> {
        let started = start.at?;
        Some(self.clock()?.saturating_sub(started))
    }

    /// The run `command` adds to: the last one or the one before if it is the same command
    /// (a script's command alternates with the script's), else a new one.
    #[inline]
    fn run(&mut self, command: &'static str) -> &mut Run {
        let len = self.runs.len();
        let same = (len.saturating_sub(2)..len)
            .rev()
            .find(|&index| same(self.runs[index].command, command));
        let index = match same {
            Some(index) => index,
            None => {
                self.runs.push(Run {
                    command,
                    calls: 0,
                    nanos: 0,
                    failed: 0,
                    rejected: 0,
                });
                len
            }
        };
        &mut self.runs[index]
    }

    /// An error reply `line` (without its `-`) was sent. As Redis's `afterErrorReply`, its
    /// code is its first word if a space ends it within Redis's 32-byte window, else `ERR`.
    pub(crate) fn error(&mut self, line: &str) {
        let window = &line.as_bytes()[..line.len().min(31)];
        let code = match window.iter().position(|&b| b == b' ') {
            Some(end) => &line[..end],
            None => "ERR",
        };
        self.errors.push(code.to_string());
    }

    /// Drops what was gathered (CONFIG RESETSTAT: it all happened before the reset).
    pub(crate) fn clear(&mut self) {
        self.runs.clear();
        self.samples.clear();
        self.errors.clear();
        self.reads = 0;
        self.writes = 0;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.errors.is_empty() && self.reads == 0 && self.writes == 0
    }
}

/// Whether two command names are the same: the same record's name is the same string, so
/// the addresses decide without a `memcmp` call, some 2% of the server's CPU at -P 16
/// (three comparisons per command).
#[inline]
fn same(a: &'static str, b: &'static str) -> bool {
    std::ptr::eq(a, b) || a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    static CLOCK_READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    fn counting_clock() -> u64 {
        CLOCK_READS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) * 1000
    }

    static NESTED_CLOCK_READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    fn nested_counting_clock() -> u64 {
        NESTED_CLOCK_READS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) * 1000
    }

    #[test]
    fn a_script_and_the_command_it_runs_are_each_a_run_of_their_own() {
        let (script, command) = ("evalsha", "incr");
        let mut batch = Batch::new(Some(nested_counting_clock));
        let reads = || NESTED_CLOCK_READS.load(std::sync::atomic::Ordering::SeqCst);
        for _ in 0..TIME_ONE_IN * 4 {
            let outer = batch.begin(script, false, false);
            let inner = batch.begin(command, true, false);
            batch.ran(command, inner, false, false);
            batch.ran(script, outer, false, false);
        }
        // Each level times its first call and every TIME_ONE_IN-th: a start and an end each.
        assert_eq!(reads(), 2 * 4 * 2);
        // One run and one latency entry per command, not one per call.
        let calls: Vec<(&str, u64)> = batch.runs.iter().map(|r| (r.command, r.calls)).collect();
        let every = u64::from(TIME_ONE_IN) * 4;
        assert_eq!(calls, vec![(command, every), (script, every)]);
        assert_eq!(batch.samples.len(), 2, "{:?}", batch.samples);
    }

    #[test]
    fn a_run_of_one_command_reads_the_clock_twice_per_timed_command_only() {
        let (get, set) = ("get", "set");
        let mut batch = Batch::new(Some(counting_clock));
        let reads = || CLOCK_READS.load(std::sync::atomic::Ordering::SeqCst);
        let before = reads();
        for _ in 0..TIME_ONE_IN * 4 {
            let start = batch.begin(get, false, false);
            batch.ran(get, start, false, false);
        }
        // The first GET and every TIME_ONE_IN-th after it: a start and an end each.
        assert_eq!(reads() - before, 2 * 4);
        // Another command is timed at once; every call is counted with a duration.
        let start = batch.begin(set, false, false);
        batch.ran(set, start, false, false);
        assert_eq!(reads() - before, 2 * 5);
        assert_eq!(batch.runs[0].calls, u64::from(TIME_ONE_IN) * 4);
        assert_eq!(batch.runs[0].nanos, u64::from(TIME_ONE_IN) * 4 * 1000);
        // Every call is a latency sample; a run of equal ones is one entry with its count.
        let samples: Vec<(&str, u64, u64)> = batch
            .samples
            .iter()
            .map(|(command, nanos, count)| (*command, *nanos, *count))
            .collect();
        assert_eq!(
            samples,
            vec![("get", 1000, u64::from(TIME_ONE_IN) * 4), ("set", 1000, 1)]
        );
    }

    #[test]
    fn error_codes_are_the_first_word_within_redis_window() {
        let mut batch = Batch::default();
        batch.error("WRONGTYPE Operation against a key holding the wrong kind of value");
        batch.error("ERR syntax error");
        batch.error("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 too long");
        batch.error("NOSPACE");
        assert_eq!(batch.errors, ["WRONGTYPE", "ERR", "ERR", "ERR"]);
    }
}
