//! What INFO reads about the process and the machine from Linux's /proc (no libc binding):
//! CPU times, the kernel's name and release, total memory. Elsewhere, or if /proc cannot be
//! read, the figures are 0 or the compile-time OS name.

use std::sync::OnceLock;

/// Clock ticks per second in /proc's CPU times (USER_HZ, what `sysconf(_SC_CLK_TCK)`
/// returns): part of Linux's user-space ABI, 100 on every architecture radish builds for.
const TICKS_PER_SECOND: u64 = 100;

/// User and system CPU time, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CpuTime {
    /// Time in user mode.
    pub(crate) user: u64,
    /// Time in the kernel.
    pub(crate) system: u64,
}

/// CPU time of the process (all threads), of its waited-for children, and of its main
/// thread: what Redis gets from `getrusage(RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD)`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUsage {
    /// The whole process.
    pub(crate) process: CpuTime,
    /// Children it waited for.
    pub(crate) children: CpuTime,
    /// The main thread (the one that started the process).
    pub(crate) main_thread: CpuTime,
}

/// Reads the CPU times now.
pub(crate) fn cpu_usage() -> CpuUsage {
    let process = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|text| stat_times(&text));
    // The main thread's id is the process id.
    let main_path = format!("/proc/self/task/{}/stat", std::process::id());
    let main_thread = std::fs::read_to_string(main_path)
        .ok()
        .and_then(|text| stat_times(&text));
    CpuUsage {
        process: process.map(|t| t.0).unwrap_or_default(),
        children: process.map(|t| t.1).unwrap_or_default(),
        main_thread: main_thread.map(|t| t.0).unwrap_or_default(),
    }
}

/// The own and children's CPU times in a /proc `stat` line (fields 14 to 17: utime, stime,
/// cutime, cstime, in clock ticks). The command name (field 2) is in parentheses and may
/// hold spaces and parentheses itself, so fields are counted from the last `)`.
fn stat_times(text: &str) -> Option<(CpuTime, CpuTime)> {
    let after_name = &text[text.rfind(')')? + 1..];
    // After the name: state is field 3, so utime (14) is the 12th.
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    let micros = |ticks: u64| ticks * (1_000_000 / TICKS_PER_SECOND);
    match fields[..] {
        [utime, stime, cutime, cstime] => Some((
            CpuTime {
                user: micros(utime),
                system: micros(stime),
            },
            CpuTime {
                user: micros(cutime),
                system: micros(cstime),
            },
        )),
        _ => None,
    }
}

/// The kernel's name, release and the machine, as `uname` gives them (`Linux 6.1.0 x86_64`).
/// Read once: it does not change while the server runs.
pub(crate) fn os_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|text| text.trim().to_string())
        };
        match (
            read("/proc/sys/kernel/ostype"),
            read("/proc/sys/kernel/osrelease"),
        ) {
            (Some(name), Some(release)) => {
                format!("{name} {release} {}", std::env::consts::ARCH)
            }
            _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        }
    })
}

/// The machine's memory in bytes (MemTotal), or 0 where /proc/meminfo cannot be read.
pub(crate) fn total_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_times_count_fields_after_the_last_parenthesis() {
        let line = "4242 (radish (x) y) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                    250 37 3 4 20 0 9 0 100 1000 200 18446744073709551615";
        let (own, children) = stat_times(line).expect("parsed");
        assert_eq!(
            own,
            CpuTime {
                user: 2_500_000,
                system: 370_000
            }
        );
        assert_eq!(
            children,
            CpuTime {
                user: 30_000,
                system: 40_000
            }
        );
        assert_eq!(stat_times("1 (short) S 1 2"), None);
    }

    #[test]
    fn this_process_has_spent_some_cpu_time() {
        if cfg!(target_os = "linux") {
            let mut spin = 0u64;
            for i in 0..20_000_000u64 {
                spin = spin.wrapping_add(i * i);
            }
            assert_ne!(spin, 1);
            let usage = cpu_usage();
            assert!(usage.process.user + usage.process.system > 0, "{usage:?}");
        }
    }
}
