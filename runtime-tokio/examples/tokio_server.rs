//! Runs a Radish server on tokio: `cargo run --release -p radish-tokio --example tokio_server
//! -- --port 6379` (any redis-server directive works: `--requirepass x`, `--databases 4`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--port 6379` is a redis-server directive like any other: the config reads it.
    let config = radish_store::Config::from_args(std::env::args().skip(1))?;
    println!("radish (tokio) listening on {}", config.listen_address());
    let runtime = tokio::runtime::Runtime::new()?;
    let busy_poll = radish_pump::BusyPoll::window(None);
    runtime.block_on(radish_tokio::serve(config, busy_poll))?;
    Ok(())
}
