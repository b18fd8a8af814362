//! One connection, a few commands and a pipeline:
//! `cargo run -p radish-tokio --example tokio_client -- --port 6379`.

use radish_tokio::client::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--port N` (6379 when absent), read the way the server reads its own options.
    let address = radish_store::Config::from_args(std::env::args().skip(1))?.listen_address();
    let client = radish_tokio::client::connect(format!("redis://{address}/0")).await?;
    println!("connected with {:?}", client.protocol());

    client.set("greeting", "hello").await?;
    let greeting = client.get("greeting").await?;
    println!("GET greeting -> {greeting:?}");
    println!("INCR visits -> {}", client.incr("visits").await?);
    client.rpush("queue", ["a", "b", "c"]).await?;
    println!("LRANGE queue -> {:?}", client.lrange("queue", 0, -1).await?);

    // One write, three replies, converted together.
    let mut pipeline = Pipeline::new();
    pipeline
        .incr("visits")
        .hset("user:1", [("name", "ada")])
        .hgetall("user:1");
    let (visits, added, user): (i64, i64, std::collections::HashMap<Bytes, Bytes>) =
        client.pipeline(&pipeline).await?;
    println!("pipeline -> visits={visits} added={added} user={user:?}");
    client
        .del(["greeting", "visits", "queue", "user:1"])
        .await?;
    Ok(())
}
