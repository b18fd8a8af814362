//! A proptest state machine: random sequences of gets, polls, cancellations, returns
//! (clean, dirty, broken), connect outcomes, time steps and close, with the pool's promises
//! checked after every step.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{builder, poll_once, setup, Clock, Fake, FakeError, Flag, Pending, Plan};
use proptest::prelude::*;
use radish_pool::{Error, Object};

type Conn = Object<Fake, Clock>;
type Outcome = Result<Conn, Error<FakeError>>;

#[derive(Debug, Clone, Copy)]
enum Verdict {
    Clean,
    Dirty,
    Broken,
    Take,
}

#[derive(Debug, Clone)]
enum Op {
    /// Creates a `get` future without polling it.
    Get,
    /// Polls a not-yet-polled `get` once (it queues if it cannot be served at once).
    PollOnce(usize),
    /// Polls every queued `get`, oldest first (until then, a connection handed to a waiter
    /// sits in its slot, where a `Cancel` can find it).
    PollQueued,
    /// Drops a `get`, polled or not.
    Cancel(usize),
    /// Hands a held connection back in this state.
    Return(usize, Verdict),
    /// Finishes the oldest pending connect.
    Connect(bool),
    /// Makes the next health check fail.
    FailNextCheck,
    Advance(u64),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    let verdict = prop_oneof![
        4 => Just(Verdict::Clean),
        2 => Just(Verdict::Dirty),
        1 => Just(Verdict::Broken),
        1 => Just(Verdict::Take),
    ];
    prop_oneof![
        4 => Just(Op::Get),
        4 => any::<usize>().prop_map(Op::PollOnce),
        4 => Just(Op::PollQueued),
        2 => any::<usize>().prop_map(Op::Cancel),
        4 => (any::<usize>(), verdict).prop_map(|(i, v)| Op::Return(i, v)),
        4 => prop::bool::weighted(0.8).prop_map(Op::Connect),
        1 => Just(Op::FailNextCheck),
        3 => (1u64..80).prop_map(Op::Advance),
        1 => Just(Op::Close),
    ]
}

struct Get<'a> {
    future: Pending<'a, Outcome>,
    /// Arrival order, set when its first poll left it waiting.
    queued: Option<u64>,
    /// Virtual time of its first poll.
    since: Duration,
}

struct Machine<'a> {
    clock: Clock,
    fake: Fake,
    pool: &'a common::TestPool,
    flag: Arc<Flag>,
    gets: Vec<Get<'a>>,
    held: Vec<Conn>,
    next_arrival: u64,
    served: u64,
    /// Queued gets dropped: each may have been handed a connection it never picked up.
    dropped_queued: u64,
    closed: bool,
}

impl<'a> Machine<'a> {
    fn step(&mut self, op: Op) {
        match op {
            Op::Get => self.gets.push(Get {
                future: Box::pin(self.pool.get()),
                queued: None,
                since: Duration::ZERO,
            }),
            Op::PollOnce(i) => {
                let fresh: Vec<usize> = (0..self.gets.len())
                    .filter(|&g| self.gets[g].queued.is_none())
                    .collect();
                if !fresh.is_empty() {
                    self.first_poll(fresh[i % fresh.len()]);
                }
            }
            Op::PollQueued => self.poll_queued(),
            Op::Cancel(i) => {
                if !self.gets.is_empty() {
                    let get = self.gets.remove(i % self.gets.len());
                    self.dropped_queued += u64::from(get.queued.is_some());
                }
            }
            Op::Return(i, verdict) => {
                if !self.held.is_empty() {
                    let mut conn = self.held.remove(i % self.held.len());
                    match verdict {
                        Verdict::Clean => {}
                        Verdict::Dirty => conn.dirty = true,
                        Verdict::Broken => conn.broken = true,
                        Verdict::Take => drop(Object::take(conn)),
                    }
                }
            }
            Op::Connect(ok) => {
                self.fake
                    .finish_connect(if ok { Ok(()) } else { Err("refused") });
            }
            Op::FailNextCheck => self.fake.checks([Plan::Fail("check failed")]),
            Op::Advance(ms) => self.clock.advance(Duration::from_millis(ms)),
            Op::Close => {
                self.pool.close();
                self.closed = true;
            }
        }
        self.clock.run();
        self.check();
    }

    fn first_poll(&mut self, g: usize) {
        let waiting_before = self.pool.status().waiters;
        match poll_once(&mut self.gets[g].future, &self.flag) {
            Poll::Pending => {
                assert!(!self.closed, "a get after close must fail at once");
                self.gets[g].queued = Some(self.next_arrival);
                self.gets[g].since = self.clock.elapsed();
                self.next_arrival += 1;
            }
            Poll::Ready(outcome) => {
                self.gets.remove(g);
                if self.closed {
                    assert!(
                        matches!(outcome, Err(Error::Closed)),
                        "after close: {outcome:?}"
                    );
                }
                if let Ok(conn) = outcome {
                    assert_eq!(waiting_before, 0, "served at once while others waited");
                    self.receive(conn);
                }
            }
        }
    }

    /// Polls every queued get, oldest first: none may be served while an older one waits.
    fn poll_queued(&mut self) {
        let mut order: Vec<(u64, usize)> = (0..self.gets.len())
            .filter_map(|g| self.gets[g].queued.map(|arrival| (arrival, g)))
            .collect();
        order.sort_unstable();
        let mut older_still_waiting = false;
        let mut done = Vec::new();
        for (_, g) in order {
            match poll_once(&mut self.gets[g].future, &self.flag) {
                Poll::Pending => older_still_waiting = true,
                Poll::Ready(outcome) => {
                    done.push(g);
                    match outcome {
                        Ok(conn) => {
                            assert!(!older_still_waiting, "served out of arrival order");
                            self.receive(conn);
                        }
                        Err(Error::Connect(_)) => {
                            assert!(!older_still_waiting, "connect error out of order");
                        }
                        Err(Error::Closed) => assert!(self.closed),
                        Err(Error::Timeout { waited, .. }) => {
                            let since = self.gets[g].since;
                            assert!(self.clock.elapsed() - since >= waited, "timed out early");
                        }
                    }
                }
            }
        }
        done.sort_unstable();
        for g in done.into_iter().rev() {
            self.gets.remove(g);
        }
        // Everything handed out has been picked up: the rest are exactly the pool's waiters.
        let s = self.pool.status();
        let queued = self.gets.iter().filter(|g| g.queued.is_some()).count();
        assert_eq!(s.waiters, queued, "{s:?}");
        assert_eq!(s.in_use, self.held.len(), "{s:?}");
    }

    fn receive(&mut self, conn: Conn) {
        assert!(!conn.dirty, "a dirty connection was handed out");
        assert!(!conn.broken);
        self.served += 1;
        self.held.push(conn);
    }

    fn check(&self) {
        let s = self.pool.status();
        assert_eq!(
            s.idle + s.in_use + s.connecting + s.recycling,
            s.size,
            "{s:?}"
        );
        assert!(s.size <= s.max_size, "{s:?}");
        // A queued get is still waiting, or has a connection (or an error) it has not picked
        // up yet.
        let queued = self.gets.iter().filter(|g| g.queued.is_some()).count();
        let unclaimed = s
            .in_use
            .checked_sub(self.held.len())
            .expect("in_use >= held");
        assert!(s.waiters + unclaimed <= queued, "waiters: {s:?}");
        if s.waiters > 0 && s.idle > 0 {
            assert!(
                s.waiters <= s.connecting + s.recycling,
                "waiters left waiting beside idle connections: {s:?}"
            );
        }
        assert_eq!(self.fake.live(), s.size - s.connecting, "leak: {s:?}");
        // `gets` counts connections handed over, picked up or not.
        let handed = self.served + unclaimed as u64;
        let gets = self.pool.counters().gets;
        assert!(
            handed <= gets && gets <= handed + self.dropped_queued,
            "gets {gets}, served {}, unclaimed {unclaimed}, dropped {}: {s:?}",
            self.served,
            self.dropped_queued
        );
        if self.closed {
            assert!(s.closed && s.waiters == 0 && s.idle == 0, "{s:?}");
        }
    }
}

fn settings() -> impl Strategy<Value = (usize, usize)> {
    (1usize..=4).prop_flat_map(|max| (Just(max), 0..=max.min(2)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_pool_keeps_its_promises(
        (max_size, min_idle) in settings(),
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let (clock, fake) = setup();
        fake.connect_default(Plan::Manual);
        fake.reset_default(Plan::Slow(Duration::from_millis(10)));
        let pool = builder(&clock, &fake)
            .max_size(max_size)
            .min_idle(min_idle)
            .wait_timeout(Duration::from_millis(100))
            .connect_timeout(Duration::from_millis(150))
            .connect_retries(1)
            .retry_backoff(Duration::from_millis(20), Duration::from_millis(80))
            .check_after_idle(Some(Duration::from_millis(50)))
            .max_lifetime(Some(Duration::from_millis(1000)))
            .lifetime_jitter(Duration::from_millis(200))
            .idle_timeout(Some(Duration::from_millis(300)))
            .maintenance_interval(Duration::from_millis(100))
            .build()
            .unwrap();
        let mut machine = Machine {
            clock: clock.clone(),
            fake: fake.clone(),
            pool: &pool,
            flag: Arc::new(Flag::default()),
            gets: Vec::new(),
            held: Vec::new(),
            next_arrival: 0,
            served: 0,
            dropped_queued: 0,
            closed: false,
        };
        machine.check();
        for op in ops {
            machine.step(op);
        }
        // Afterwards: give everything back, let every timer run out, and nothing is left
        // out or waiting.
        machine.dropped_queued += machine.gets.iter().filter(|g| g.queued.is_some()).count() as u64;
        machine.gets.clear();
        machine.held.clear();
        machine.clock.advance(Duration::from_secs(5));
        machine.check();
        let s = pool.status();
        prop_assert_eq!(s.in_use + s.recycling + s.waiters, 0, "{:?}", s);
    }
}
