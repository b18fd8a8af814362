//! Runs a Radish server on smol: `cargo run --release -p radish-smol --example smol_server
//! -- --port 6379` (any redis-server directive works: `--requirepass x`, `--databases 4`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--port 6379` is a redis-server directive like any other: the config reads it.
    let config = radish_store::Config::from_args(std::env::args().skip(1))?;
    println!("radish (smol) listening on {}", config.listen_address());
    let threads = radish_smol::default_threads();
    let busy_poll = radish_pump::BusyPoll::window(None);
    smol::block_on(radish_smol::serve(config, threads, busy_poll))?;
    Ok(())
}
