//! Test support: a virtual-time [`Runtime`] driven by hand, and a scripted fake [`Connect`].
//!
//! Time only moves when a test calls [`Clock::advance`]; spawned tasks only run when a test
//! calls [`Clock::run`] (or `advance`). Nothing here sleeps for real.

#![allow(dead_code)] // each test file uses a different part of this module

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use radish_pool::{Connect, Returned, Runtime};

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

#[derive(Default)]
struct Scheduler {
    elapsed: Duration,
    /// Sleeping timers by deadline (and a sequence number to keep equal deadlines apart).
    timers: BTreeMap<(Duration, u64), Waker>,
    next_timer: u64,
    tasks: HashMap<u64, Task>,
    next_task: u64,
    ready: VecDeque<u64>,
}

/// A virtual clock and a single-threaded executor in one: the test's [`Runtime`].
#[derive(Clone)]
pub struct Clock {
    start: Instant,
    inner: Arc<Mutex<Scheduler>>,
}

struct TaskWaker {
    id: u64,
    scheduler: Weak<Mutex<Scheduler>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        if let Some(scheduler) = self.scheduler.upgrade() {
            scheduler.lock().unwrap().ready.push_back(self.id);
        }
    }
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            start: Instant::now(),
            inner: Arc::default(),
        }
    }

    /// Virtual time elapsed since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.inner.lock().unwrap().elapsed
    }

    /// Runs spawned tasks until none is ready.
    pub fn run(&self) {
        loop {
            let next = {
                let mut scheduler = self.inner.lock().unwrap();
                let Some(id) = scheduler.ready.pop_front() else {
                    return;
                };
                scheduler.tasks.remove(&id).map(|task| (id, task))
            };
            // A wake-up for a task that has finished: nothing to run.
            let Some((id, mut task)) = next else {
                continue;
            };
            let waker = Waker::from(Arc::new(TaskWaker {
                id,
                scheduler: Arc::downgrade(&self.inner),
            }));
            if task
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
            {
                self.inner.lock().unwrap().tasks.insert(id, task);
            }
        }
    }

    /// Moves time forward by `by`, firing timers in deadline order and running the tasks they
    /// wake at each deadline.
    pub fn advance(&self, by: Duration) {
        self.run();
        let target = self.elapsed() + by;
        loop {
            let due = {
                let mut scheduler = self.inner.lock().unwrap();
                match scheduler.timers.first_key_value() {
                    Some((&(deadline, _), _)) if deadline <= target => {
                        scheduler.elapsed = scheduler.elapsed.max(deadline);
                        scheduler.timers.pop_first().map(|(_, waker)| waker)
                    }
                    _ => {
                        scheduler.elapsed = target;
                        None
                    }
                }
            };
            match due {
                Some(waker) => {
                    waker.wake();
                    self.run();
                }
                None => break,
            }
        }
        self.run();
    }

    /// Spawned tasks that have not finished.
    pub fn live_tasks(&self) -> usize {
        self.inner.lock().unwrap().tasks.len()
    }
}

/// A sleep on the virtual clock.
pub struct Sleep {
    clock: Clock,
    deadline: Duration,
    timer: Option<(Duration, u64)>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let clock = self.clock.clone();
        let mut scheduler = clock.inner.lock().unwrap();
        if let Some(key) = self.timer.take() {
            scheduler.timers.remove(&key);
        }
        if scheduler.elapsed >= self.deadline {
            return Poll::Ready(());
        }
        let key = (self.deadline, scheduler.next_timer);
        scheduler.next_timer += 1;
        scheduler.timers.insert(key, cx.waker().clone());
        self.timer = Some(key);
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.timer.take() {
            self.clock.inner.lock().unwrap().timers.remove(&key);
        }
    }
}

impl Runtime for Clock {
    type Sleep = Sleep;

    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Sleep {
            clock: self.clone(),
            deadline: self.elapsed() + duration,
            timer: None,
        }
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut scheduler = self.inner.lock().unwrap();
        let id = scheduler.next_task;
        scheduler.next_task += 1;
        scheduler.tasks.insert(id, Box::pin(task));
        scheduler.ready.push_back(id);
    }
}

/// A waker that records whether it was woken.
#[derive(Default)]
pub struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Flag {
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }
}

/// Polls `future` once with a waker that records wake-ups in `flag`.
pub fn poll_once<F: Future + Unpin>(future: &mut F, flag: &Arc<Flag>) -> Poll<F::Output> {
    let waker = Waker::from(flag.clone());
    Pin::new(future).poll(&mut Context::from_waker(&waker))
}

/// A pinned, boxed future, so tests can keep several pending and poll or drop them.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The fake transport's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeError(pub String);

impl fmt::Display for FakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FakeError {}

/// What the next connect (or check, or reset) does.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Succeeds at once.
    Ok,
    /// Fails at once with this message.
    Fail(&'static str),
    /// Succeeds after this much virtual time.
    Slow(Duration),
    /// Never finishes.
    Never,
    /// Waits for the test to call [`Fake::finish_connect`] (connects only).
    Manual,
}

/// A fake connection: flags the test sets through the pool's guard.
#[derive(Debug)]
pub struct FakeConn {
    pub id: u64,
    pub dirty: bool,
    pub broken: bool,
    live: Arc<AtomicUsize>,
}

impl Drop for FakeConn {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connect waiting for the test's verdict (`Plan::Manual`).
#[derive(Default)]
struct ManualConnect {
    verdict: Option<Result<(), &'static str>>,
    waker: Option<Waker>,
}

#[derive(Default)]
struct Script {
    connects: VecDeque<Plan>,
    checks: VecDeque<Plan>,
    resets: VecDeque<Plan>,
    default_connect: Option<Plan>,
    default_reset: Option<Plan>,
    manual: VecDeque<Weak<Mutex<ManualConnect>>>,
    next_id: u64,
    connect_calls: usize,
    check_calls: usize,
    reset_calls: usize,
}

/// A scripted [`Connect`]: each call follows the next queued [`Plan`] (or succeeds).
#[derive(Clone)]
pub struct Fake {
    clock: Clock,
    script: Arc<Mutex<Script>>,
    live: Arc<AtomicUsize>,
}

impl Fake {
    pub fn new(clock: &Clock) -> Self {
        Fake {
            clock: clock.clone(),
            script: Arc::default(),
            live: Arc::default(),
        }
    }

    /// Queues plans for the next connects.
    pub fn connects(&self, plans: impl IntoIterator<Item = Plan>) {
        self.script.lock().unwrap().connects.extend(plans);
    }

    /// The plan for connects once the queue is empty (`Plan::Ok` unless set).
    pub fn connect_default(&self, plan: Plan) {
        self.script.lock().unwrap().default_connect = Some(plan);
    }

    /// The plan for resets once the queue is empty (`Plan::Ok` unless set).
    pub fn reset_default(&self, plan: Plan) {
        self.script.lock().unwrap().default_reset = Some(plan);
    }

    /// Queues plans for the next health checks.
    pub fn checks(&self, plans: impl IntoIterator<Item = Plan>) {
        self.script.lock().unwrap().checks.extend(plans);
    }

    /// Queues plans for the next resets.
    pub fn resets(&self, plans: impl IntoIterator<Item = Plan>) {
        self.script.lock().unwrap().resets.extend(plans);
    }

    /// Finishes the oldest connect still waiting for a verdict; false if there is none.
    pub fn finish_connect(&self, verdict: Result<(), &'static str>) -> bool {
        let mut script = self.script.lock().unwrap();
        while let Some(waiting) = script.manual.pop_front() {
            let Some(waiting) = waiting.upgrade() else {
                continue; // the pool gave up on it (connect timeout)
            };
            let waker = {
                let mut waiting = waiting.lock().unwrap();
                waiting.verdict = Some(verdict);
                waiting.waker.take()
            };
            drop(script);
            if let Some(waker) = waker {
                waker.wake();
            }
            self.clock.run();
            return true;
        }
        false
    }

    /// Connects waiting for the test's verdict.
    pub fn manual_pending(&self) -> usize {
        let script = self.script.lock().unwrap();
        script
            .manual
            .iter()
            .filter(|w| w.strong_count() > 0)
            .count()
    }

    /// Connections alive (opened and not yet dropped).
    pub fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    pub fn connect_calls(&self) -> usize {
        self.script.lock().unwrap().connect_calls
    }

    pub fn check_calls(&self) -> usize {
        self.script.lock().unwrap().check_calls
    }

    pub fn reset_calls(&self) -> usize {
        self.script.lock().unwrap().reset_calls
    }

    fn open(&self) -> FakeConn {
        let mut script = self.script.lock().unwrap();
        script.next_id += 1;
        self.live.fetch_add(1, Ordering::SeqCst);
        FakeConn {
            id: script.next_id,
            dirty: false,
            broken: false,
            live: self.live.clone(),
        }
    }

    /// Carries out `plan` (for a check or reset): Ok(()) or the scripted error.
    async fn follow(&self, plan: Plan) -> Result<(), FakeError> {
        match plan {
            Plan::Ok | Plan::Manual => Ok(()),
            Plan::Fail(message) => Err(FakeError(message.into())),
            Plan::Slow(delay) => {
                self.clock.sleep(delay).await;
                Ok(())
            }
            Plan::Never => std::future::pending().await,
        }
    }
}

/// Waits for the test's verdict on a `Plan::Manual` connect.
struct AwaitVerdict(Arc<Mutex<ManualConnect>>);

impl Future for AwaitVerdict {
    type Output = Result<(), &'static str>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut waiting = self.0.lock().unwrap();
        match waiting.verdict {
            Some(verdict) => Poll::Ready(verdict),
            None => {
                waiting.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Connect for Fake {
    type Connection = FakeConn;
    type Error = FakeError;

    fn connect(&self) -> impl Future<Output = Result<FakeConn, FakeError>> + Send {
        let plan = {
            let mut script = self.script.lock().unwrap();
            script.connect_calls += 1;
            let default = script.default_connect.clone().unwrap_or(Plan::Ok);
            let plan = script.connects.pop_front().unwrap_or(default);
            if let Plan::Manual = plan {
                let waiting = Arc::new(Mutex::new(ManualConnect::default()));
                script.manual.push_back(Arc::downgrade(&waiting));
                Err(AwaitVerdict(waiting))
            } else {
                Ok(plan)
            }
        };
        let fake = self.clone();
        async move {
            match plan {
                Ok(plan) => fake.follow(plan).await?,
                Err(verdict) => verdict.await.map_err(|m| FakeError(m.into()))?,
            }
            Ok(fake.open())
        }
    }

    fn check(&self, _: &mut FakeConn) -> impl Future<Output = Result<(), FakeError>> + Send {
        let plan = {
            let mut script = self.script.lock().unwrap();
            script.check_calls += 1;
            script.checks.pop_front().unwrap_or(Plan::Ok)
        };
        let fake = self.clone();
        async move { fake.follow(plan).await }
    }

    fn reset(&self, conn: &mut FakeConn) -> impl Future<Output = Result<(), FakeError>> + Send {
        let plan = {
            let mut script = self.script.lock().unwrap();
            script.reset_calls += 1;
            let default = script.default_reset.clone().unwrap_or(Plan::Ok);
            script.resets.pop_front().unwrap_or(default)
        };
        let fake = self.clone();
        async move {
            fake.follow(plan).await?;
            conn.dirty = false;
            Ok(())
        }
    }

    fn returned(&self, conn: &mut FakeConn) -> Returned {
        if conn.broken {
            Returned::Broken
        } else if conn.dirty {
            Returned::Dirty
        } else {
            Returned::Clean
        }
    }
}

/// The pool type every test uses.
pub type TestPool = radish_pool::Pool<Fake, Clock>;

/// A clock, a fake and a builder with test-friendly settings: no background maintenance
/// unless a test asks, no health checks, no lifetime.
pub fn setup() -> (Clock, Fake) {
    let clock = Clock::new();
    let fake = Fake::new(&clock);
    (clock, fake)
}

pub fn builder(clock: &Clock, fake: &Fake) -> radish_pool::Builder<Fake, Clock> {
    radish_pool::Pool::builder(fake.clone(), clock.clone())
        .check_after_idle(None)
        .max_lifetime(None)
        .idle_timeout(None)
        .wait_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(1))
}

/// Asserts the pool's accounting: every connection is in exactly one place, the pool is
/// within its size, and no live fake connection is unaccounted for.
pub fn assert_consistent(pool: &TestPool, fake: &Fake) {
    let s = pool.status();
    assert_eq!(
        s.idle + s.in_use + s.connecting + s.recycling,
        s.size,
        "places add up: {s:?}"
    );
    assert!(s.size <= s.max_size, "within max: {s:?}");
    assert_eq!(
        fake.live(),
        s.size - s.connecting,
        "live connections: {s:?}"
    );
}

/// Gets a connection, running the pool's tasks once if it has to open one.
pub fn ready(clock: &Clock, pool: &TestPool, flag: &Arc<Flag>) -> radish_pool::Object<Fake, Clock> {
    let mut get = Box::pin(pool.get());
    if let Poll::Ready(outcome) = poll_once(&mut get, flag) {
        return outcome.unwrap();
    }
    clock.run();
    match poll_once(&mut get, flag) {
        Poll::Ready(outcome) => outcome.unwrap(),
        Poll::Pending => panic!("no connection after running the connect"),
    }
}

/// What most tests start with: a clock, a fake, a pool on them with [`builder`]'s settings
/// changed by `configure`, and a waker flag.
pub fn harness(
    configure: impl FnOnce(radish_pool::Builder<Fake, Clock>) -> radish_pool::Builder<Fake, Clock>,
) -> (Clock, Fake, TestPool, Arc<Flag>) {
    let (clock, fake) = setup();
    let pool = configure(builder(&clock, &fake)).build().unwrap();
    (clock, fake, pool, Arc::new(Flag::default()))
}

/// Polls a `get` once and returns its connection; panics with `why` if it has none.
pub fn served<F>(get: &mut F, flag: &Arc<Flag>, why: &str) -> radish_pool::Object<Fake, Clock>
where
    F: Future<Output = Result<radish_pool::Object<Fake, Clock>, radish_pool::Error<FakeError>>>
        + Unpin,
{
    match poll_once(get, flag) {
        Poll::Ready(Ok(conn)) => conn,
        Poll::Ready(Err(error)) => panic!("{why}: {error}"),
        Poll::Pending => panic!("{why}: still pending"),
    }
}
