//! Waiters are served strictly in arrival order, and only the one served is woken.

mod common;

use std::sync::Arc;
use std::task::Poll;

use common::{assert_consistent, harness, poll_once, ready, served, Flag, Pending, Plan};
use radish_pool::{Error, Object};

type Outcome = Result<Object<common::Fake, common::Clock>, Error<common::FakeError>>;

#[test]
fn returned_connections_go_to_waiters_in_arrival_order() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(2));
    let mut held = vec![ready(&clock, &pool, &flag), ready(&clock, &pool, &flag)];

    let flags: Vec<Arc<Flag>> = (0..5).map(|_| Arc::new(Flag::default())).collect();
    let mut waiters: Vec<Option<Pending<'_, Outcome>>> = Vec::new();
    for flag in &flags {
        let mut get: Pending<'_, Outcome> = Box::pin(pool.get());
        assert!(poll_once(&mut get, flag).is_pending());
        waiters.push(Some(get));
    }
    assert_eq!(pool.status().waiters, 5);

    for turn in 0..5 {
        drop(held.remove(0));
        // Only the oldest waiter is woken, and it is the one served.
        for (i, flag) in flags.iter().enumerate() {
            assert_eq!(flag.take(), i == turn, "turn {turn}: waiter {i} woken?");
        }
        for (i, waiter) in waiters.iter_mut().enumerate().skip(turn) {
            let polled = poll_once(waiter.as_mut().unwrap(), &flags[i]);
            match polled {
                Poll::Ready(Ok(conn)) => {
                    assert_eq!(i, turn, "served out of order");
                    held.push(conn);
                    *waiter = None;
                }
                Poll::Ready(Err(e)) => panic!("waiter {i}: {e}"),
                Poll::Pending => assert_ne!(i, turn, "the oldest waiter is served"),
            }
        }
        assert_consistent(&pool, &fake);
    }
    assert_eq!(
        fake.connect_calls(),
        2,
        "no connection opened past max_size"
    );
}

#[test]
fn a_new_caller_never_takes_a_connection_meant_for_a_waiter() {
    let (clock, _, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);
    let mut waiting = Box::pin(pool.get());
    assert!(poll_once(&mut waiting, &flag).is_pending());

    drop(held);
    let mut newcomer = Box::pin(pool.get());
    assert!(
        poll_once(&mut newcomer, &flag).is_pending(),
        "the newcomer queues behind"
    );
    assert!(matches!(poll_once(&mut waiting, &flag), Poll::Ready(Ok(_))));
}

#[test]
fn new_connections_go_to_the_oldest_waiter_whichever_finishes_first() {
    let (clock, fake, pool, _) = harness(|b| b.max_size(3));
    fake.connect_default(Plan::Manual);
    let flags: Vec<Arc<Flag>> = (0..3).map(|_| Arc::new(Flag::default())).collect();
    let mut waiters: Vec<Pending<'_, Outcome>> = Vec::new();
    for flag in &flags {
        let mut get: Pending<'_, Outcome> = Box::pin(pool.get());
        assert!(poll_once(&mut get, flag).is_pending());
        waiters.push(get);
    }
    clock.run();
    assert_eq!(fake.manual_pending(), 3, "one connect per waiter");

    let mut held = Vec::new();
    for turn in 0..3 {
        assert!(fake.finish_connect(Ok(())));
        for (i, waiter) in waiters.iter_mut().enumerate().skip(turn) {
            match poll_once(waiter, &flags[i]) {
                Poll::Ready(Ok(conn)) => {
                    assert_eq!(i, turn, "served out of order");
                    held.push(conn);
                }
                Poll::Ready(Err(e)) => panic!("waiter {i}: {e}"),
                Poll::Pending => assert_ne!(i, turn, "turn {turn}: the oldest is served"),
            }
        }
    }
    assert_eq!(held.len(), 3);
}

#[test]
fn a_waiter_leaving_the_middle_of_the_queue_keeps_the_order() {
    let (clock, _, pool, flag) = harness(|b| b.max_size(1));
    let held = ready(&clock, &pool, &flag);
    let mut first = Box::pin(pool.get());
    let mut middle = Box::pin(pool.get());
    let mut last = Box::pin(pool.get());
    for get in [&mut first, &mut middle, &mut last] {
        assert!(poll_once(get, &flag).is_pending());
    }
    drop(middle);
    assert_eq!(pool.status().waiters, 2);

    drop(held);
    assert!(poll_once(&mut last, &flag).is_pending());
    let conn = served(&mut first, &flag, "first is first");
    drop(conn);
    assert!(matches!(poll_once(&mut last, &flag), Poll::Ready(Ok(_))));
}
