//! A `get` dropped at any point leaks nothing and loses no connection.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{assert_consistent, builder, harness, poll_once, ready, served, setup, Flag, Plan};

#[test]
fn a_get_dropped_before_its_first_poll_changes_nothing() {
    let (clock, fake, pool, _) = harness(|b| b);
    drop(pool.get());
    clock.run();
    assert_eq!(pool.status().size, 0);
    assert_eq!(fake.connect_calls(), 0);
    assert_eq!(pool.counters(), radish_pool::Counters::default());
}

#[test]
fn a_connection_opened_for_a_caller_that_left_goes_to_idle() {
    let (clock, fake, pool, flag) = harness(|b| b);
    fake.connects([Plan::Slow(Duration::from_millis(100))]);

    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.run();
    drop(get);
    let status = pool.status();
    assert_eq!(
        (status.waiters, status.connecting),
        (0, 1),
        "the connect goes on"
    );
    assert_eq!(pool.counters().cancelled, 1);

    clock.advance(Duration::from_millis(100));
    assert_eq!(pool.status().idle, 1, "the connection is kept, not wasted");
    assert_consistent(&pool, &fake);

    let conn = ready(&clock, &pool, &flag);
    assert_eq!(
        fake.connect_calls(),
        1,
        "the next caller gets it without a new connect"
    );
    drop(conn);
}

#[test]
fn a_connection_opened_for_a_caller_that_left_goes_to_the_next_waiter() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    fake.connects([Plan::Slow(Duration::from_millis(100))]);

    let mut first = Box::pin(pool.get());
    let mut second = Box::pin(pool.get());
    assert!(poll_once(&mut first, &flag).is_pending());
    assert!(poll_once(&mut second, &flag).is_pending());
    clock.run();
    drop(first);
    clock.advance(Duration::from_millis(100));
    let conn = served(
        &mut second,
        &flag,
        "the second waiter gets the connection opened for the first",
    );
    assert_eq!(fake.connect_calls(), 1);
    drop(conn);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_connection_handed_to_a_caller_that_never_picks_it_up_goes_on() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);

    let mut first = Box::pin(pool.get());
    let mut second = Box::pin(pool.get());
    assert!(poll_once(&mut first, &flag).is_pending());
    assert!(poll_once(&mut second, &flag).is_pending());
    drop(held); // straight into the first waiter's ticket
    assert_eq!(pool.status().in_use, 1, "handed to the first waiter");
    drop(first); // ... who leaves without looking
    let conn = served(&mut second, &flag, "the second waiter gets it");
    assert_eq!(
        pool.counters().gets,
        3,
        "counted at each hand-over: ready, the first waiter, the second"
    );
    drop(conn);
    assert_eq!(pool.status().idle, 1);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_caller_leaving_during_a_health_check_does_not_interrupt_it() {
    let (clock, fake, pool, flag) = harness(|b| b.check_after_idle(Some(Duration::from_secs(1))));
    drop(ready(&clock, &pool, &flag));
    clock.advance(Duration::from_secs(2));
    fake.checks([Plan::Slow(Duration::from_millis(30))]);

    let mut get = Box::pin(pool.get());
    assert!(
        poll_once(&mut get, &flag).is_pending(),
        "waits for the check"
    );
    clock.run();
    drop(get);
    assert_eq!(pool.status().recycling, 1, "the check goes on");
    clock.advance(Duration::from_millis(30));
    assert_eq!(pool.status().idle, 1, "checked and kept");
    assert_eq!(fake.live(), 1);
    assert_consistent(&pool, &fake);
}

/// One scenario, cut short at every step: a caller waits behind a held connection while a
/// slow connect runs, connections come and go, and the caller is dropped at step `cut`.
/// Whatever the cut, afterwards every connection is idle and nothing waits.
#[test]
fn a_get_dropped_at_any_step_leaks_nothing() {
    for cut in 0..8 {
        let (clock, fake) = setup();
        let pool = builder(&clock, &fake).max_size(2).build().unwrap();
        fake.connects([Plan::Ok, Plan::Slow(Duration::from_millis(10))]);
        let flag = Arc::new(Flag::default());
        let mut held = Some(ready(&clock, &pool, &flag));
        let mut get = Some(Box::pin(pool.get()));
        let mut got = None;

        for step in 0..8 {
            if step == cut {
                get = None;
            }
            if let Some(future) = get.as_mut() {
                if let Poll::Ready(outcome) = poll_once(future, &flag) {
                    got = Some(outcome.expect("served"));
                    get = None;
                }
            }
            match step {
                2 => clock.advance(Duration::from_millis(5)),
                3 => held = None,
                4 => clock.advance(Duration::from_millis(5)),
                5 => got = None,
                _ => clock.run(),
            }
            assert_consistent(&pool, &fake);
        }
        drop((held, got, get));
        clock.advance(Duration::from_secs(1));
        let status = pool.status();
        assert_eq!(status.waiters, 0, "cut {cut}");
        assert_eq!(status.idle, status.size, "cut {cut}: all idle, {status:?}");
        let expected = if cut == 0 { 1 } else { 2 }; // a get never polled opens nothing
        assert_eq!(fake.connect_calls(), expected, "cut {cut}");
        assert_eq!(status.size, expected, "cut {cut}: no connection wasted");
        assert_consistent(&pool, &fake);
    }
}
