//! get + return throughput under 1, 8 and 64 concurrent tasks: radish-pool against deadpool
//! (managed) and bb8, with the same trivial connection, the same pool size and the same tokio
//! runtime, in the same run. Each task holds its connection across one `yield_now` (standing in
//! for a round trip), so 64 tasks on 16 connections really queue.
//!
//! `cargo bench -p radish-pool --bench pool -- --warm-up-time 1 --measurement-time 3`

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use std::convert::Infallible;
use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use radish_pool::{Connect, Returned, Runtime};
use tokio::runtime::Handle;

const POOL_SIZE: usize = 16;
/// get + return pairs per measured iteration, split evenly across the tasks.
const OPS: usize = 4096;
const TASKS: [usize; 3] = [1, 8, 64];

/// The trivial connection all three pools hand out.
struct FakeConn(u64);

/// radish-pool: the connector.
struct Connector;

impl Connect for Connector {
    type Connection = FakeConn;
    type Error = std::io::Error;

    async fn connect(&self) -> Result<FakeConn, std::io::Error> {
        Ok(FakeConn(0))
    }

    async fn check(&self, _: &mut FakeConn) -> Result<(), std::io::Error> {
        Ok(())
    }

    async fn reset(&self, _: &mut FakeConn) -> Result<(), std::io::Error> {
        Ok(())
    }

    fn returned(&self, _: &mut FakeConn) -> Returned {
        Returned::Clean
    }
}

/// radish-pool: tokio as its runtime (what radish-tokio's `TokioRuntime` does).
#[derive(Clone)]
struct Tokio(Handle);

impl Runtime for Tokio {
    type Sleep = tokio::time::Sleep;

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep(&self, duration: Duration) -> tokio::time::Sleep {
        let _context = self.0.enter();
        tokio::time::sleep(duration)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.0.spawn(task));
    }
}

/// deadpool: the manager.
struct DeadpoolManager;

impl deadpool::managed::Manager for DeadpoolManager {
    type Type = FakeConn;
    type Error = Infallible;

    async fn create(&self) -> Result<FakeConn, Infallible> {
        Ok(FakeConn(0))
    }

    async fn recycle(
        &self,
        _: &mut FakeConn,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<Infallible> {
        Ok(())
    }
}

/// bb8: the manager.
struct Bb8Manager;

impl bb8::ManageConnection for Bb8Manager {
    type Connection = FakeConn;
    type Error = Infallible;

    async fn connect(&self) -> Result<FakeConn, Infallible> {
        Ok(FakeConn(0))
    }

    async fn is_valid(&self, _: &mut FakeConn) -> Result<(), Infallible> {
        Ok(())
    }

    fn has_broken(&self, _: &mut FakeConn) -> bool {
        false
    }
}

/// Runs `OPS` get + use + return cycles over `tasks` tasks and waits for them all.
async fn round<P, F, G>(pool: &P, tasks: usize, cycle: F)
where
    P: Clone + Send + 'static,
    F: Fn(P) -> G + Copy + Send + 'static,
    G: Future<Output = ()> + Send,
{
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for _ in 0..OPS / tasks {
                    cycle(pool.clone()).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.expect("task finished");
    }
}

async fn use_connection(conn: &mut FakeConn) {
    conn.0 += 1;
    black_box(&conn.0);
    tokio::task::yield_now().await;
}

fn get_return(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let radish = radish_pool::Pool::builder(Connector, Tokio(runtime.handle().clone()))
        .max_size(POOL_SIZE)
        .build()
        .expect("radish pool");
    let deadpool: deadpool::managed::Pool<DeadpoolManager> =
        deadpool::managed::Pool::builder(DeadpoolManager)
            .max_size(POOL_SIZE)
            .build()
            .expect("deadpool");
    let bb8 = runtime.block_on(async {
        bb8::Pool::builder()
            .max_size(POOL_SIZE as u32)
            .build(Bb8Manager)
            .await
            .expect("bb8")
    });

    let mut group = c.benchmark_group("get_return");
    group.throughput(Throughput::Elements(OPS as u64));
    for tasks in TASKS {
        group.bench_with_input(
            BenchmarkId::new("radish-pool", tasks),
            &tasks,
            |b, &tasks| {
                iter_async(b, &runtime, || {
                    round(&radish, tasks, |pool| async move {
                        let mut conn = pool.get().await.expect("radish get");
                        use_connection(&mut conn).await;
                    })
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("deadpool", tasks), &tasks, |b, &tasks| {
            iter_async(b, &runtime, || {
                round(&deadpool, tasks, |pool| async move {
                    let mut conn = pool.get().await.expect("deadpool get");
                    use_connection(&mut conn).await;
                })
            });
        });
        group.bench_with_input(BenchmarkId::new("bb8", tasks), &tasks, |b, &tasks| {
            iter_async(b, &runtime, || {
                round(&bb8, tasks, |pool| async move {
                    let mut conn = pool.get().await.expect("bb8 get");
                    use_connection(&mut conn).await;
                })
            });
        });
    }
    group.finish();
}

/// criterion's async support without its `async_tokio` feature: one `block_on` per batch.
fn iter_async<F: Future<Output = ()>>(
    bencher: &mut criterion::Bencher<'_>,
    runtime: &tokio::runtime::Runtime,
    mut routine: impl FnMut() -> F,
) {
    bencher.iter_custom(|iterations| {
        runtime.block_on(async {
            let start = Instant::now();
            for _ in 0..iterations {
                routine().await;
            }
            start.elapsed()
        })
    });
}

criterion_group!(benches, get_return);
criterion_main!(benches);
