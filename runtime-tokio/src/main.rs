//! `radish-tokio [config-file] [--directive value ...]`: the Radish server on tokio.
//!
//! The environment is read here and nowhere else: `RUST_LOG` (log filter),
//! `TOKIO_WORKER_THREADS` (connection threads) and `RADISH_BUSY_POLL_US` (busy polling).

use std::process::ExitCode;

use radish_pump::{logging, BusyPoll};

/// Tasks a worker runs between two polls for I/O while it has ready tasks (tokio's default is
/// 61). With `appendfsync always`, one fsync covers every write made since the last one, and a
/// poll for I/O in the middle of a pass split 50 clients into small groups, one fsync each:
/// 5,700 fsyncs for 100,000 SETs and 0.84x of redis-server's throughput; with this, 3,750
/// fsyncs (redis-server: 3,650) and 1.0x. Like Redis's event loop, the worker then takes
/// new events when it has run out of work. Plain -P 1 and -P 16 runs measured the same.
const EVENT_INTERVAL: u32 = 1000;

fn main() -> ExitCode {
    let config = match radish_store::Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(message) = logging::init(&config, std::env::var("RUST_LOG").ok().as_deref()) {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }
    let _pidfile = logging::PidFile::create(&config);
    // One worker per two cores unless TOKIO_WORKER_THREADS says otherwise: commands run one
    // at a time under the data lock, so a second worker mostly adds lock hand-offs between
    // threads. On 2 cores shared with redis-benchmark, one worker gave a 1.33x geomean at
    // -P 16 against 1.20x for two (INCR 1.19x against 0.88x), with -P 1 unchanged
    // (bench/compare.sh, median of 3).
    let workers = match std::env::var("TOKIO_WORKER_THREADS") {
        Ok(count) => count.parse().unwrap_or(1),
        Err(_) => (std::thread::available_parallelism().map_or(1, |n| n.get()) / 2).max(1),
    };
    // The multi-threaded scheduler, even with one worker: a script that runs past
    // busy-reply-threshold hands its worker's other connections to a new worker thread
    // (tokio's block_in_place), so that they get -BUSY and SCRIPT KILL can reach it; the
    // current-thread scheduler cannot do that. Connections woken by the socket are queued
    // in the order they became ready, as with Redis's event loop.
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(workers)
        .event_interval(EVENT_INTERVAL);
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let busy_poll = BusyPoll::window(std::env::var("RADISH_BUSY_POLL_US").ok().as_deref());
    match runtime.block_on(radish_tokio::serve(config, busy_poll)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}
