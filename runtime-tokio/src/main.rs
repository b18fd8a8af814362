//! `radish-tokio [config-file] [--directive value ...]`: the Radish server on tokio.
//!
//! The environment is read here and nowhere else: `RUST_LOG` (log filter),
//! `TOKIO_WORKER_THREADS` (connection threads) and `RADISH_BUSY_POLL_US` (busy polling).

use std::process::ExitCode;

use radish_pump::{logging, BusyPoll};

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
    builder.worker_threads(workers);
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
