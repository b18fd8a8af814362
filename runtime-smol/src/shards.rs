//! The event loops connections run on: one executor per thread, each connection pinned to
//! one of them. The first executor runs on the thread that accepts connections.
//!
//! A single executor shared by every thread (smol's global one) wakes a second thread for
//! nearly every readiness event, since any thread may run any task: measured with
//! redis-benchmark at -P 1, that cost about a third more CPU per request. With an executor per
//! thread, a thread is woken only for its own connections.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use radish_pump::clock::monotonic;
use radish_pump::BusyPoll;
use smol::channel::{bounded, Sender};
use smol::Executor;

/// The per-thread executors; dropping this stops them (dropping any task still running) and
/// joins their threads.
pub(crate) struct Shards {
    shards: Vec<Shard>,
    stop: Option<Sender<()>>,
    threads: Vec<JoinHandle<()>>,
    next: usize,
}

/// One event loop: an executor, and its busy-poll state (the poller runs on that executor).
struct Shard {
    executor: Arc<Executor<'static>>,
    busy: Arc<BusyPoll>,
}

impl Shards {
    /// How many by default: one per two cores (at least one). The binary lets `SMOL_THREADS`
    /// say otherwise.
    ///
    /// async-io has one reactor for the process, driven by one thread at a time, so an event
    /// for a connection pinned to another thread costs a futex wake there and back. Measured
    /// on 2 cores with redis-benchmark (-c 50) on the same machine, one connection thread
    /// used about a sixth less CPU per request than two at -P 1 (750 vs 905 ms per 100k SET)
    /// and served more requests (114k vs 97k a second). With more cores, or clients on other
    /// machines, set `SMOL_THREADS` to the core count.
    pub(crate) fn default_count() -> usize {
        (std::thread::available_parallelism().map_or(1, |n| n.get()) / 2).max(1)
    }

    /// Sets up `count` executors, each busy polling for `window` after its connections' last
    /// request: the first runs wherever its [`local`](Shards::local) executor's `run` is
    /// awaited, each of the others on a thread of its own.
    ///
    /// The first executor shares the thread that accepts connections. A thread of its own
    /// would leave the accepting thread idle, and an idle thread waits on async-io's reactor:
    /// it then takes the I/O events of the busy thread's connections and wakes that thread for
    /// each, a hand-off between threads for every event. Measured with bench/compare.sh, -P 1
    /// went from 1.06x to 1.09x of Redis (LRANGE_100 from 0.93x to 0.99x).
    pub(crate) fn start(count: usize, window: std::time::Duration) -> io::Result<Shards> {
        let (stop, stopped) = bounded::<()>(1);
        let mut this = Shards {
            shards: Vec::with_capacity(count),
            stop: Some(stop),
            threads: Vec::with_capacity(count),
            next: 0,
        };
        for index in 0..count.max(1) {
            let executor = Arc::new(Executor::new());
            let busy = Arc::new(BusyPoll::new(window));
            executor
                .spawn({
                    let busy = busy.clone();
                    async move { busy.run(monotonic, spin_turn).await }
                })
                .detach();
            this.shards.push(Shard {
                executor: executor.clone(),
                busy,
            });
            if index == 0 {
                continue;
            }
            let stopped = stopped.clone();
            let thread = std::thread::Builder::new()
                .name(format!("radish-smol-{index}"))
                .spawn(move || {
                    enter(&executor);
                    // Runs until the stop channel closes. `smol::block_on` also drives the I/O
                    // reactor whenever this thread has nothing else to do.
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })?;
            this.threads.push(thread);
        }
        Ok(this)
    }

    /// The first executor: whoever awaits its `run` future runs its tasks.
    pub(crate) fn local(&self) -> Arc<Executor<'static>> {
        self.shards[0].executor.clone()
    }

    /// Runs the task `start` makes on the next thread, round robin; `start` is given that
    /// thread's busy-poll state.
    pub(crate) fn spawn<F>(&mut self, start: impl FnOnce(Arc<BusyPoll>) -> F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let shard = &self.shards[self.next % self.shards.len()];
        self.next = self.next.wrapping_add(1);
        shard.executor.spawn(start(shard.busy.clone())).detach();
    }
}

thread_local! {
    /// The executor this thread runs, for [`escape`].
    static CURRENT: RefCell<Option<Arc<Executor<'static>>>> = const { RefCell::new(None) };
}

/// Records that this thread runs `executor`'s tasks.
pub(crate) fn enter(executor: &Arc<Executor<'static>>) {
    CURRENT.with(|current| *current.borrow_mut() = Some(executor.clone()));
}

/// A script holds this thread past `busy-reply-threshold`: a thread of its own runs this
/// thread's executor (its other connections) until the value returned is dropped. The
/// executor is made for several threads; the script's own task is not among those it runs
/// meanwhile, being in the middle of its poll here.
pub(crate) fn escape() -> Option<radish_store::Escape> {
    let executor = CURRENT.with(|current| current.borrow().clone())?;
    let (stop, stopped) = bounded::<()>(1);
    std::thread::Builder::new()
        .name("radish-smol-busy".to_string())
        .spawn(move || {
            let _ = smol::block_on(executor.run(stopped.recv()));
        })
        .ok()?;
    Some(Box::new(stop))
}

/// One turn of the busy poller: waits until the reactor has been polled once more. A 1 µs
/// timer does that: the executor runs every ready task first, and only when it is out of
/// work does the thread poll the reactor, with a timeout that has already run out by then.
/// (A plain yield would keep the executor busy, and async-io then polls its reactor only every
/// 200 tasks, each poll costing four system calls besides `epoll_wait`.)
async fn spin_turn() {
    smol::Timer::after(std::time::Duration::from_micros(1)).await;
}

impl Drop for Shards {
    fn drop(&mut self) {
        self.stop.take();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
