//! `radish-smol [config-file] [--directive value ...]`: the Radish server on smol.
//!
//! The environment is read here and nowhere else: `RUST_LOG` (log filter), `SMOL_THREADS`
//! (connection threads) and `RADISH_BUSY_POLL_US` (busy polling).

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
    let threads = std::env::var("SMOL_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(radish_smol::default_threads)
        .max(1);
    let busy_poll = BusyPoll::window(std::env::var("RADISH_BUSY_POLL_US").ok().as_deref());
    match smol::block_on(radish_smol::serve(config, threads, busy_poll)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}
