//! Wait timeouts, connect timeouts, retries with back-off, and what the errors say.

mod common;

use std::error::Error as _;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{assert_consistent, harness, poll_once, ready, served, Flag, Plan};
use radish_pool::{ConnectError, Error};

const MS: Duration = Duration::from_millis(1);

#[test]
fn a_saturated_pool_times_out_without_a_connect_error() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);

    let mut get = Box::pin(pool.get_timeout(200 * MS));
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.advance(199 * MS);
    assert!(
        poll_once(&mut get, &flag).is_pending(),
        "not before its timeout"
    );
    clock.advance(MS);
    let Poll::Ready(Err(error)) = poll_once(&mut get, &flag) else {
        panic!("timed out");
    };
    assert!(matches!(
        error,
        Error::Timeout {
            waited,
            last_error: None
        } if waited == 200 * MS
    ));
    assert_eq!(
        error.to_string(),
        "no connection within 200ms: none came free and no connect failed"
    );
    assert_eq!(pool.counters().timeouts, 1);
    assert_eq!(pool.status().waiters, 0);
    drop(held);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_timeout_carries_the_last_connect_error() {
    let (clock, fake, pool, flag) =
        harness(|b| b.connect_retries(10).retry_backoff(10 * MS, 10 * MS));
    fake.connect_default(Plan::Fail("connection refused"));

    let mut get = Box::pin(pool.get_timeout(35 * MS));
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.advance(35 * MS);
    let Poll::Ready(Err(error)) = poll_once(&mut get, &flag) else {
        panic!("timed out");
    };
    assert_eq!(
        error.to_string(),
        "no connection within 35ms; last connect error: connect failed: connection refused"
    );
    let Error::Timeout {
        last_error: Some(last),
        ..
    } = &error
    else {
        panic!("a timeout with the connect error: {error:?}");
    };
    assert!(matches!(last.as_ref(), ConnectError::Failed(e) if e.0 == "connection refused"));
    let source = error.source().and_then(|s| s.source()).expect("a chain");
    assert_eq!(source.to_string(), "connection refused");
    assert_eq!(fake.connect_calls(), 4, "attempts at 0, 10, 20 and 30 ms");
    assert_eq!(pool.counters().connect_errors, 4);
}

#[test]
fn a_hung_connect_is_cut_by_the_connect_timeout() {
    let (clock, fake, pool, flag) = harness(|b| b.connect_timeout(100 * MS).connect_retries(0));
    fake.connects([Plan::Never]);

    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.advance(100 * MS);
    let Poll::Ready(Err(Error::Connect(error))) = poll_once(&mut get, &flag) else {
        panic!("no retries: the waiter gets the connect error at once");
    };
    assert!(matches!(error.as_ref(), ConnectError::TimedOut(d) if *d == 100 * MS));
    assert_eq!(
        pool.status().size,
        0,
        "nobody waits: the connect task stopped"
    );
    clock.advance(Duration::from_secs(10));
    assert_eq!(fake.connect_calls(), 1);
    assert_eq!(clock.live_tasks(), 0, "nothing left running");
}

#[test]
fn retries_back_off_then_the_oldest_waiter_gets_the_error() {
    let (clock, fake, pool, flag) = harness(|b| {
        b.max_size(1)
            .connect_retries(2)
            .retry_backoff(100 * MS, Duration::from_secs(1))
    });
    fake.connect_default(Plan::Fail("refused"));
    let mut first = Box::pin(pool.get());
    let mut second = Box::pin(pool.get());
    assert!(poll_once(&mut first, &flag).is_pending());
    assert!(poll_once(&mut second, &flag).is_pending());
    clock.run();
    assert_eq!(fake.connect_calls(), 1);
    clock.advance(99 * MS);
    assert_eq!(
        fake.connect_calls(),
        1,
        "waits 100 ms before the first retry"
    );
    clock.advance(MS);
    assert_eq!(fake.connect_calls(), 2);
    clock.advance(199 * MS);
    assert_eq!(fake.connect_calls(), 2, "then 200 ms");
    assert!(poll_once(&mut first, &flag).is_pending());
    clock.advance(MS);
    assert_eq!(fake.connect_calls(), 3);
    let Poll::Ready(Err(Error::Connect(_))) = poll_once(&mut first, &flag) else {
        panic!("the oldest waiter gets the error after the last retry");
    };
    assert!(
        poll_once(&mut second, &flag).is_pending(),
        "the next one still waits"
    );

    fake.connect_default(Plan::Ok);
    clock.advance(400 * MS);
    let conn = served(
        &mut second,
        &flag,
        "served once the server is back, after 400 ms more back-off",
    );
    assert_eq!(fake.connect_calls(), 4);
    drop(conn);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_successful_connect_clears_the_last_error() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1).retry_backoff(10 * MS, 10 * MS));
    fake.connects([Plan::Fail("refused")]);
    let held = ready_after(&clock, &pool, &flag, 10 * MS);

    let mut get = Box::pin(pool.get_timeout(50 * MS));
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.advance(50 * MS);
    let Poll::Ready(Err(Error::Timeout { last_error, .. })) = poll_once(&mut get, &flag) else {
        panic!("timed out");
    };
    assert!(
        last_error.is_none(),
        "the failure before the success is old news"
    );
    drop(held);
}

#[test]
fn each_waiter_times_out_at_its_own_deadline() {
    let (clock, _, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);
    let (long_flag, short_flag) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
    let mut long = Box::pin(pool.get_timeout(100 * MS));
    let mut short = Box::pin(pool.get_timeout(30 * MS));
    assert!(poll_once(&mut long, &long_flag).is_pending());
    assert!(poll_once(&mut short, &short_flag).is_pending());

    clock.advance(29 * MS);
    assert!(
        !short_flag.take() && !long_flag.take(),
        "nobody times out early"
    );
    clock.advance(MS);
    assert!(short_flag.take(), "the later, shorter wait times out first");
    assert!(!long_flag.take());
    assert!(matches!(
        poll_once(&mut short, &short_flag),
        Poll::Ready(Err(Error::Timeout { waited, .. })) if waited == 30 * MS
    ));
    clock.advance(69 * MS);
    assert!(!long_flag.take());
    clock.advance(MS);
    assert!(long_flag.take());
    assert!(matches!(
        poll_once(&mut long, &long_flag),
        Poll::Ready(Err(Error::Timeout { waited, .. })) if waited == 100 * MS
    ));
    assert_eq!(pool.counters().timeouts, 2);
    clock.advance(Duration::from_secs(5)); // the first timer, armed by `ready`, runs out
    assert_eq!(
        clock.live_tasks(),
        0,
        "waiter timers stop when nobody waits"
    );
    drop(held);
}

#[test]
fn waiters_queued_close_together_each_get_their_full_timeout() {
    let (clock, _, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);
    let (first_flag, second_flag) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
    let mut first = Box::pin(pool.get_timeout(100 * MS));
    assert!(poll_once(&mut first, &first_flag).is_pending());
    clock.advance(MS);
    let mut second = Box::pin(pool.get_timeout(100 * MS));
    assert!(poll_once(&mut second, &second_flag).is_pending());

    clock.advance(99 * MS);
    assert!(first_flag.take(), "the first times out at 100 ms");
    assert!(poll_once(&mut first, &first_flag).is_ready());
    assert!(
        !second_flag.take(),
        "the second, queued 1 ms later, not yet"
    );
    assert!(poll_once(&mut second, &second_flag).is_pending());
    clock.advance(MS);
    assert!(second_flag.take());
    assert!(poll_once(&mut second, &second_flag).is_ready());
    drop(held);
}

#[test]
fn one_timer_serves_every_waiter() {
    let (clock, _, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);
    let mut waiters: Vec<_> = (0..10).map(|_| Box::pin(pool.get())).collect();
    for (i, waiter) in waiters.iter_mut().enumerate() {
        assert!(poll_once(waiter, &flag).is_pending());
        clock.advance(MS * (i as u32 + 1));
    }
    assert_eq!(
        clock.live_tasks(),
        1,
        "one background timer, not one per waiter"
    );
    drop(held);
    let conn = served(&mut waiters[0], &flag, "the oldest is served");
    drop(conn);
    assert!(matches!(
        poll_once(&mut waiters[1], &flag),
        Poll::Ready(Ok(_))
    ));
}

#[test]
fn a_zero_timeout_fails_at_once_when_nothing_is_idle() {
    let (clock, _, pool, flag) = harness(|b| b);
    let mut get = Box::pin(pool.get_timeout(Duration::ZERO));
    assert!(matches!(
        poll_once(&mut get, &flag),
        Poll::Ready(Err(Error::Timeout { .. }))
    ));
    drop(get);
    drop(ready(&clock, &pool, &flag));
    let mut get = Box::pin(pool.get_timeout(Duration::ZERO));
    assert!(matches!(poll_once(&mut get, &flag), Poll::Ready(Ok(_))));
}

#[test]
fn connecting_stops_when_nobody_needs_it() {
    let (clock, fake, pool, flag) =
        harness(|b| b.connect_retries(100).retry_backoff(10 * MS, 10 * MS));
    fake.connect_default(Plan::Fail("refused"));
    let mut get = Box::pin(pool.get_timeout(25 * MS));
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.advance(25 * MS);
    assert!(poll_once(&mut get, &flag).is_ready());
    clock.advance(Duration::from_secs(1));
    assert_eq!(fake.connect_calls(), 4, "no attempt after the caller left");
    assert_eq!(pool.status().size, 0);
    assert_eq!(clock.live_tasks(), 0);
}

/// Gets a connection when the first connect fails and the retry after `backoff` succeeds.
fn ready_after(
    clock: &common::Clock,
    pool: &common::TestPool,
    flag: &Arc<Flag>,
    backoff: Duration,
) -> radish_pool::Object<common::Fake, common::Clock> {
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, flag).is_pending());
    clock.advance(backoff);
    match poll_once(&mut get, flag) {
        Poll::Ready(outcome) => outcome.expect("the retry succeeds"),
        Poll::Pending => panic!("no connection after the retry"),
    }
}
