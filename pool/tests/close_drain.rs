//! `close` fails callers at once and closes idle connections; `drain` waits for the rest.

mod common;

use std::task::Poll;
use std::time::Duration;

use common::{assert_consistent, harness, poll_once, ready, Plan};
use radish_pool::{DrainTimeout, Error, Runtime};

const MS: Duration = Duration::from_millis(1);

#[test]
fn close_fails_waiters_and_new_callers() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);
    let mut waiting = Box::pin(pool.get());
    assert!(poll_once(&mut waiting, &flag).is_pending());

    pool.close();
    assert!(pool.is_closed());
    assert!(flag.take(), "the waiter is woken");
    assert!(matches!(
        poll_once(&mut waiting, &flag),
        Poll::Ready(Err(Error::Closed))
    ));
    let mut late = Box::pin(pool.get());
    assert!(matches!(
        poll_once(&mut late, &flag),
        Poll::Ready(Err(Error::Closed))
    ));
    assert_eq!(
        Error::<common::FakeError>::Closed.to_string(),
        "the pool is closed"
    );

    assert_eq!(
        fake.live(),
        1,
        "a checked-out connection stays with its caller"
    );
    drop(held);
    assert_eq!(fake.live(), 0, "returned after close: closed");
    let status = pool.status();
    assert_eq!((status.size, status.in_use, status.waiters), (0, 0, 0));
}

#[test]
fn close_closes_idle_connections_at_once() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(2));
    let idle = ready(&clock, &pool, &flag);
    let held = ready(&clock, &pool, &flag);
    drop(idle);
    assert_eq!(fake.live(), 2);
    pool.close();
    assert_eq!(fake.live(), 1);
    assert_eq!(pool.status().idle, 0);
    drop(held);
    assert_eq!(fake.live(), 0);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_dirty_connection_returned_after_close_is_not_reset() {
    let (clock, fake, pool, flag) = harness(|b| b);
    let mut conn = ready(&clock, &pool, &flag);
    conn.dirty = true;
    pool.close();
    drop(conn);
    clock.run();
    assert_eq!(fake.reset_calls(), 0);
    assert_eq!(fake.live(), 0);
}

#[test]
fn a_connect_finishing_after_close_is_closed() {
    let (clock, fake, pool, flag) = harness(|b| b);
    fake.connects([Plan::Slow(10 * MS)]);
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.run();
    pool.close();
    clock.advance(10 * MS);
    assert_eq!(fake.connect_calls(), 1);
    assert_eq!(fake.live(), 0);
    assert_eq!(pool.status().size, 0);
    clock.advance(Duration::from_secs(5)); // the waiter timer's last sleep
    assert_eq!(clock.live_tasks(), 0, "every background task stopped");
}

#[test]
fn drain_waits_for_checked_out_and_resetting_connections() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(2));
    fake.resets([Plan::Slow(20 * MS)]);
    let mut dirty = ready(&clock, &pool, &flag);
    let held = ready(&clock, &pool, &flag);
    dirty.dirty = true;
    drop(dirty);
    clock.run();
    assert_eq!(pool.status().recycling, 1);

    let mut drain = Box::pin(pool.drain(clock.now() + Duration::from_secs(1)));
    assert!(poll_once(&mut drain, &flag).is_pending());
    drop(held);
    assert!(
        poll_once(&mut drain, &flag).is_pending(),
        "a reset is still running"
    );
    clock.advance(20 * MS);
    assert!(flag.take(), "woken when the last one is in");
    assert_eq!(poll_once(&mut drain, &flag), Poll::Ready(Ok(())));
    assert_eq!(fake.live(), 0);
    assert_consistent(&pool, &fake);
}

#[test]
fn drain_gives_up_at_its_deadline() {
    let (clock, _, pool, flag) = harness(|b| b);
    let held = ready(&clock, &pool, &flag);
    let mut drain = Box::pin(pool.drain(clock.now() + 100 * MS));
    assert!(poll_once(&mut drain, &flag).is_pending());
    clock.advance(99 * MS);
    assert!(poll_once(&mut drain, &flag).is_pending());
    clock.advance(MS);
    let Poll::Ready(Err(timeout)) = poll_once(&mut drain, &flag) else {
        panic!("the deadline passed");
    };
    assert_eq!(timeout, DrainTimeout { outstanding: 1 });
    assert_eq!(
        timeout.to_string(),
        "drain deadline passed with 1 connection(s) still out"
    );
    drop(held);
    assert_eq!(pool.status().size, 0);
}

#[test]
fn drain_of_an_idle_pool_is_immediate() {
    let (clock, fake, pool, flag) = harness(|b| b.min_idle(2));
    clock.run();
    assert_eq!(fake.live(), 2);
    let mut drain = Box::pin(pool.drain(clock.now()));
    assert_eq!(poll_once(&mut drain, &flag), Poll::Ready(Ok(())));
    assert_eq!(fake.live(), 0);
    clock.advance(Duration::from_secs(60));
    assert_eq!(clock.live_tasks(), 0, "maintenance stopped");
    assert_eq!(
        fake.connect_calls(),
        2,
        "min_idle is not refilled after close"
    );
}
