//! `radish-smol [config-file] [--directive value ...]`: the Radish server on smol.

use std::process::ExitCode;

fn main() -> ExitCode {
    let config = match radish_store::Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // smol's global executor runs on SMOL_THREADS threads: one per core unless told otherwise.
    if std::env::var_os("SMOL_THREADS").is_none() {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::env::set_var("SMOL_THREADS", threads.to_string());
    }
    match smol::block_on(radish_smol::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}
