//! 10,000 tasks over a pool of 50 connections, printing throughput and the pool's status:
//! `cargo run --release -p radish-tokio --example tokio_client_pool -- --port 6379`.

use std::time::Instant;

use radish_tokio::client::prelude::*;

const TASKS: usize = 10_000;
const CONNECTIONS: usize = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--port N` (6379 when absent), read the way the server reads its own options.
    let address = radish_store::Config::from_args(std::env::args().skip(1))?.listen_address();
    let pool = radish_tokio::client::pool_builder(address)?
        .max_size(CONNECTIONS)
        .build()?;
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let connection = pool.get().await?;
                let key = format!("pool-example:{task}");
                connection.set(key.as_str(), task).await?;
                let value = connection.get(key.as_str()).await?;
                assert_eq!(value, Some(Bytes::from(task.to_string())));
                connection.del([key.as_str()]).await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .collect();
    let mut failed = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            failed += 1;
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{TASKS} tasks ({} commands) in {elapsed:.2?}: {:.0} tasks/s, {:.0} commands/s; {failed} failed",
        TASKS * 3,
        TASKS as f64 / elapsed.as_secs_f64(),
        (TASKS * 3) as f64 / elapsed.as_secs_f64()
    );
    println!("status:   {:?}", pool.status());
    println!("counters: {:?}", pool.counters());
    Ok(())
}
