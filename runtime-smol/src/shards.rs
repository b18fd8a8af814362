//! The event loops connections run on: one executor per thread, each connection pinned to
//! one of them.
//!
//! A single executor shared by every thread (smol's global one) wakes a second thread for
//! nearly every readiness event, since any thread may run any task: measured with
//! redis-benchmark at -P 1, that cost about a third more CPU per request. With an executor per
//! thread, a thread is woken only for its own connections.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use smol::channel::{bounded, Sender};
use smol::Executor;

/// The per-thread executors; dropping this stops them (dropping any task still running) and
/// joins their threads.
pub(crate) struct Shards {
    executors: Vec<Arc<Executor<'static>>>,
    stop: Option<Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    next: usize,
}

impl Shards {
    /// How many: `SMOL_THREADS` if set, else one per two cores (at least one).
    ///
    /// async-io has one reactor for the process, driven by one thread at a time, so an event
    /// for a connection pinned to another thread costs a futex wake there and back. Measured
    /// on 2 cores with redis-benchmark (-c 50) on the same machine, one connection thread
    /// used about a sixth less CPU per request than two at -P 1 (750 vs 905 ms per 100k SET)
    /// and served more requests (114k vs 97k a second). With more cores, or clients on other
    /// machines, set `SMOL_THREADS` to the core count.
    pub(crate) fn default_count() -> usize {
        std::env::var("SMOL_THREADS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() / 2))
            .max(1)
    }

    /// Starts `count` threads, each running its own executor.
    pub(crate) fn start(count: usize) -> io::Result<Shards> {
        let (stop, stopped) = bounded::<()>(1);
        let mut shards = Shards {
            executors: Vec::with_capacity(count),
            stop: Some(stop),
            threads: Vec::with_capacity(count),
            next: 0,
        };
        for index in 0..count {
            let executor = Arc::new(Executor::new());
            shards.executors.push(executor.clone());
            let stopped = stopped.clone();
            let thread = std::thread::Builder::new()
                .name(format!("radish-smol-{index}"))
                .spawn(move || {
                    // Runs until the stop channel closes. `smol::block_on` also drives the I/O
                    // reactor whenever this thread has nothing else to do.
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })?;
            shards.threads.push(thread);
        }
        Ok(shards)
    }

    /// Runs `task` on the next thread, round robin.
    pub(crate) fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        let executor = &self.executors[self.next % self.executors.len()];
        self.next = self.next.wrapping_add(1);
        executor.spawn(task).detach();
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        self.stop.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
