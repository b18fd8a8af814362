//! The connection pool's [`Runtime`] on tokio: tokio's clock, timers and spawner.

use std::future::Future;
use std::time::{Duration, Instant};

use radish_pool::Runtime;
use tokio::runtime::Handle;

/// Runs a `radish_pool::Pool`'s timers and background tasks on a tokio runtime.
///
/// It holds a [`Handle`], so a pool built with it works from any thread, inside the runtime
/// or not. Time is tokio's, so a paused test clock (`tokio::time::pause`) applies.
#[derive(Debug, Clone)]
pub struct TokioRuntime {
    handle: Handle,
}

impl TokioRuntime {
    /// The runtime the caller is running on.
    ///
    /// # Panics
    /// Outside a tokio runtime, like [`Handle::current`]: use [`TokioRuntime::new`] there.
    pub fn current() -> Self {
        TokioRuntime {
            handle: Handle::current(),
        }
    }

    /// The runtime behind `handle`.
    pub fn new(handle: Handle) -> Self {
        TokioRuntime { handle }
    }
}

impl Runtime for TokioRuntime {
    type Sleep = tokio::time::Sleep;

    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep(&self, duration: Duration) -> tokio::time::Sleep {
        // A tokio timer must be made inside the runtime's context; the caller may be outside.
        let _context = self.handle.enter();
        tokio::time::sleep(duration)
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.handle.spawn(task));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radish_pool::{connect_fn, Error, Pool};
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pool_times_out_on_tokio() {
        let opened = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let open = move || {
            let n = opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { Ok::<_, std::io::Error>(n) }
        };
        let pool = Pool::builder(connect_fn(open), TokioRuntime::current())
            .max_size(1)
            .build()
            .unwrap();
        let held = pool.get().await.unwrap();
        let waited = pool.get_timeout(Duration::from_millis(20)).await;
        assert!(
            matches!(waited, Err(Error::Timeout { .. })),
            "the timer fired"
        );
        drop(held);
        assert_eq!(*pool.get().await.unwrap(), 0, "the one connection, reused");
    }

    #[tokio::test]
    async fn sleep_completes_and_spawn_runs() {
        let runtime = TokioRuntime::current();
        let before = runtime.now();
        runtime.sleep(Duration::from_millis(5)).await;
        assert!(runtime.now().duration_since(before) >= Duration::from_millis(5));

        let (sender, receiver) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let _ = sender.send(7);
        });
        assert_eq!(receiver.await, Ok(7));
    }

    #[test]
    fn works_from_outside_the_runtime() {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let runtime = TokioRuntime::new(tokio.handle().clone());
        let sleep = runtime.sleep(Duration::from_millis(1)); // made outside the runtime
        let (sender, receiver) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let _ = sender.send(());
        });
        tokio.block_on(async {
            sleep.await;
            assert_eq!(receiver.await, Ok(()));
        });
    }
}
