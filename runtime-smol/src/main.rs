//! `radish-smol [config-file] [--directive value ...]`: the Radish server on smol.

use std::process::ExitCode;

use radish_store::logging;

fn main() -> ExitCode {
    let config = match radish_store::Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(message) = logging::init(&config) {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }
    let _pidfile = logging::PidFile::create(&config);
    match smol::block_on(radish_smol::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}
