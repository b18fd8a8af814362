//! What both server binaries do before serving: logging as `loglevel` and `logfile` say, the
//! `pidfile`, and Redis's start-up lines (tools and test harnesses wait for "PID:" and
//! "Ready to accept connections").

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;

use radish_store::{Config, REDIS_VERSION};

/// Installs the global log subscriber. `filter` (the binaries pass `RUST_LOG`), when given,
/// wins over `loglevel`; an empty `logfile` logs to standard output, as in Redis.
pub fn init(config: &Config, filter: Option<&str>) -> Result<(), String> {
    // Redis's levels on tracing's: verbose sits between debug and notice.
    let level = match config.get("loglevel").unwrap_or("notice") {
        "debug" => "debug",
        "verbose" => "debug",
        "notice" => "info",
        "warning" => "warn",
        _ => "off",
    };
    let filter = filter
        .and_then(|filter| tracing_subscriber::EnvFilter::try_new(filter).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match config.get("logfile").unwrap_or("") {
        "" => builder.init(),
        path => {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("Can't open the log file: {e}"))?;
            builder
                .with_ansi(false)
                .with_writer(Mutex::new(file))
                .init();
        }
    }
    Ok(())
}

/// Logs the start-up lines, naming the binary (`radish-tokio`...).
pub fn announce(binary: &str, config: &Config) {
    let pid = std::process::id();
    tracing::info!("oO0OoO0OoO0Oo {binary} is starting oO0OoO0OoO0Oo");
    tracing::info!(
        "{binary} {}, redis_version={REDIS_VERSION}, bits={}, PID: {pid}, just started",
        env!("CARGO_PKG_VERSION"),
        usize::BITS
    );
    match &config.config_file {
        Some(path) => tracing::info!("Configuration loaded from {path}"),
        None => tracing::warn!(
            "No config file specified, using the default config. In order to specify a \
             config file use {binary} /path/to/redis.conf"
        ),
    }
}

/// Logs a failure to bind the listening sockets at start the way Redis does ("Failed listening
/// on port", which scripts and test harnesses look for; the address that failed was logged
/// by [`bind_all`](crate::listen::bind_all)), and returns the error.
pub fn bind_failed(port: u16, error: std::io::Error) -> std::io::Error {
    tracing::error!("Failed listening on port {port} (TCP), aborting.");
    error
}

/// The `pidfile`, written at start and removed when this is dropped (at exit).
#[derive(Debug)]
pub struct PidFile(Option<PathBuf>);

impl PidFile {
    /// Writes this process's id to the configured `pidfile`, if any. As in Redis, a file
    /// that cannot be written is only a warning.
    pub fn create(config: &Config) -> PidFile {
        let path = match config.get("pidfile") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => return PidFile(None),
        };
        match std::fs::write(&path, format!("{}\n", std::process::id())) {
            Ok(()) => PidFile(Some(path)),
            Err(error) => {
                tracing::warn!("Failed to write PID file {}: {error}", path.display());
                PidFile(None)
            }
        }
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}
