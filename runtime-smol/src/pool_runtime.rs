//! The connection pool's [`Runtime`] on smol: smol's timers, and its global executor (or one
//! of your own).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use radish_pool::Runtime;

/// Runs a `radish_pool::Pool`'s timers and background tasks on smol.
#[derive(Clone, Default)]
pub struct SmolRuntime {
    /// `None`: smol's global executor.
    executor: Option<Arc<smol::Executor<'static>>>,
}

impl SmolRuntime {
    /// Spawns on smol's global executor (`smol::spawn`).
    pub fn global() -> Self {
        SmolRuntime::default()
    }

    /// Spawns on `executor`, which the application must be running.
    pub fn with_executor(executor: Arc<smol::Executor<'static>>) -> Self {
        SmolRuntime {
            executor: Some(executor),
        }
    }
}

impl fmt::Debug for SmolRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let executor = if self.executor.is_some() {
            "own"
        } else {
            "global"
        };
        f.debug_struct("SmolRuntime")
            .field("executor", &executor)
            .finish()
    }
}

/// A smol timer that completes with `()`.
#[derive(Debug)]
pub struct SmolSleep(smol::Timer);

impl Future for SmolSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(drop)
    }
}

impl Runtime for SmolRuntime {
    type Sleep = SmolSleep;

    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> SmolSleep {
        SmolSleep(smol::Timer::after(duration))
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        match &self.executor {
            Some(executor) => executor.spawn(task).detach(),
            None => smol::spawn(task).detach(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radish_pool::{connect_fn, Pool};
    #[test]
    fn a_waiting_task_is_served_on_smol() {
        let open = || async { Ok::<_, std::io::Error>(String::from("connection")) };
        let pool = Pool::builder(connect_fn(open), SmolRuntime::global())
            .max_size(1)
            .build()
            .unwrap();
        smol::block_on(async {
            let held = pool.get().await.unwrap();
            let waiter = smol::spawn({
                let pool = pool.clone();
                async move { pool.get().await.map(|conn| conn.len()) }
            });
            while pool.status().waiters == 0 {
                smol::future::yield_now().await;
            }
            drop(held);
            assert_eq!(waiter.await.unwrap(), 10, "handed to the waiting task");
            assert_eq!(
                pool.counters().waits,
                2,
                "one for the connect, one for the return"
            );
        });
    }

    #[test]
    fn sleep_completes_and_spawn_runs() {
        let runtime = SmolRuntime::global();
        smol::block_on(async {
            let before = runtime.now();
            runtime.sleep(Duration::from_millis(5)).await;
            assert!(runtime.now().duration_since(before) >= Duration::from_millis(5));

            let (sender, receiver) = smol::channel::bounded(1);
            runtime.spawn(async move {
                let _ = sender.send(7).await;
            });
            assert_eq!(receiver.recv().await, Ok(7));
        });
    }

    #[test]
    fn spawns_on_its_own_executor() {
        let executor = Arc::new(smol::Executor::new());
        let runtime = SmolRuntime::with_executor(executor.clone());
        let (sender, receiver) = smol::channel::bounded(1);
        runtime.spawn(async move {
            let _ = sender.send(()).await;
        });
        smol::block_on(executor.run(async { receiver.recv().await })).unwrap();
    }
}
