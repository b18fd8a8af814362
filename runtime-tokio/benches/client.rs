//! Radish's client against the `redis` crate's multiplexed async connection, on the same
//! in-process Radish server, in the same run: pipelined SET/GET throughput, both as an
//! explicit pipeline and as concurrent requests sharing one connection.
//!
//! `cargo bench -p radish-tokio --bench client -- --warm-up-time 1 --measurement-time 3`

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use radish_tokio::client::prelude::*;

/// Commands per measured batch: half SET, half GET.
const BATCH: usize = 100;

/// Starts a Radish server on its own runtime thread; returns where it listens.
fn start_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let server = Arc::new(radish_store::Server::new(
                radish_store::Config::default(),
                radish_pump::clock::now(),
            ));
            radish_tokio::run(listener, server, std::future::pending()).await
        })
    });
    addr
}

/// Polls every future of `futures` together, in one task.
async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut done = true;
        for (future, output) in pending.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => done = false,
                }
            }
        }
        if done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Times `iterations` runs of `batch` on `runtime`.
fn timed<Fut: Future<Output = ()>>(
    runtime: &tokio::runtime::Runtime,
    iterations: u64,
    mut batch: impl FnMut() -> Fut,
) -> Duration {
    runtime.block_on(async {
        let start = Instant::now();
        for _ in 0..iterations {
            batch().await;
        }
        start.elapsed()
    })
}

fn benches(c: &mut Criterion) {
    let addr = start_server();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let radish = runtime
        .block_on(radish_tokio::client::connect(addr))
        .expect("radish client");
    let redis_client = redis::Client::open(format!("redis://{addr}/")).expect("redis url");
    let redis = runtime
        .block_on(redis_client.get_multiplexed_async_connection())
        .expect("redis client");
    let value = "x".repeat(64);

    let mut group = c.benchmark_group("client");
    group.throughput(Throughput::Elements(BATCH as u64));

    let mut pipeline = Pipeline::new();
    let mut redis_pipeline = redis::pipe();
    for i in 0..BATCH / 2 {
        pipeline
            .set(format!("k{i}"), value.as_str())
            .get(format!("k{i}"));
        redis_pipeline
            .set(format!("k{i}"), value.as_str())
            .get(format!("k{i}"));
    }
    group.bench_function(BenchmarkId::new("pipeline", "radish"), |b| {
        b.iter_custom(|iterations| {
            timed(&runtime, iterations, || async {
                let replies: Vec<Frame> = radish.pipeline(&pipeline).await.expect("pipeline");
                assert_eq!(replies.len(), BATCH);
            })
        })
    });
    group.bench_function(BenchmarkId::new("pipeline", "redis"), |b| {
        b.iter_custom(|iterations| {
            timed(&runtime, iterations, || {
                let mut redis = redis.clone();
                let redis_pipeline = &redis_pipeline;
                async move {
                    let replies: Vec<redis::Value> = redis_pipeline
                        .query_async(&mut redis)
                        .await
                        .expect("pipeline");
                    assert_eq!(replies.len(), BATCH);
                }
            })
        })
    });

    let keys: Vec<String> = (0..BATCH / 2).map(|i| format!("k{i}")).collect();
    group.bench_function(BenchmarkId::new("concurrent", "radish"), |b| {
        b.iter_custom(|iterations| {
            timed(&runtime, iterations, || async {
                let sets = join_all(keys.iter().map(|k| radish.set(k.as_str(), value.as_str())));
                let gets = join_all(keys.iter().map(|k| radish.get(k.as_str())));
                let (sets, gets) = tokio::join!(sets, gets);
                assert!(sets.iter().all(Result::is_ok) && gets.iter().all(Result::is_ok));
            })
        })
    });
    group.bench_function(BenchmarkId::new("concurrent", "redis"), |b| {
        b.iter_custom(|iterations| {
            timed(&runtime, iterations, || async {
                use redis::AsyncCommands;
                let sets = join_all(keys.iter().map(|k| {
                    let mut redis = redis.clone();
                    let value = value.as_str();
                    async move { redis.set::<_, _, ()>(k.as_str(), value).await }
                }));
                let gets = join_all(keys.iter().map(|k| {
                    let mut redis = redis.clone();
                    async move { redis.get::<_, Option<Vec<u8>>>(k.as_str()).await }
                }));
                let (sets, gets) = tokio::join!(sets, gets);
                assert!(sets.iter().all(Result::is_ok) && gets.iter().all(Result::is_ok));
            })
        })
    });
    group.finish();
}

criterion_group!(client, benches);
criterion_main!(client);
