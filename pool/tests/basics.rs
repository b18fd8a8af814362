//! Checkout and return: reuse, the three verdicts on return, take, mark_broken, settings.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{assert_consistent, builder, harness, poll_once, ready, served, setup, Flag, Plan};
use radish_pool::{ConfigError, Object, Pool, Runtime};

#[test]
fn a_returned_connection_is_reused() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(4));

    let mut get = Box::pin(pool.get());
    assert!(
        poll_once(&mut get, &flag).is_pending(),
        "must wait for a connect"
    );
    assert_eq!(pool.status().connecting, 1);
    clock.run();
    assert!(flag.take(), "woken when the connection arrives");
    let conn = served(&mut get, &flag, "served after the connect");
    let first = conn.id;
    assert_consistent(&pool, &fake);
    drop(conn);
    drop(get);
    assert_eq!(pool.status().idle, 1);

    let mut again = Box::pin(pool.get());
    let conn = served(
        &mut again,
        &flag,
        "an idle connection is handed out at once",
    );
    assert_eq!(conn.id, first);
    assert_eq!(fake.connect_calls(), 1);
    let counters = pool.counters();
    assert_eq!((counters.gets, counters.waits, counters.created), (2, 1, 1));
    assert_eq!(counters.recycled, 1);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_dirty_connection_is_reset_before_reuse() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    fake.resets([Plan::Slow(Duration::from_millis(50))]);

    let mut conn = ready(&clock, &pool, &flag);
    conn.dirty = true;
    drop(conn);
    assert_eq!(pool.status().recycling, 1, "resetting in the background");
    assert_eq!(pool.status().idle, 0, "not idle while dirty");

    let mut get = Box::pin(pool.get());
    assert!(
        poll_once(&mut get, &flag).is_pending(),
        "waits for the reset"
    );
    clock.advance(Duration::from_millis(50));
    let conn = served(&mut get, &flag, "served once reset");
    assert!(!conn.dirty);
    assert_eq!(fake.reset_calls(), 1);
    assert_eq!(pool.counters().reset, 1);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_failed_reset_discards_and_replaces_for_a_waiter() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    fake.resets([Plan::Fail("reset failed")]);

    let mut conn = ready(&clock, &pool, &flag);
    let first = conn.id;
    conn.dirty = true;
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    drop(conn);
    clock.run();
    let conn = served(
        &mut get,
        &flag,
        "a new connection replaces the one whose reset failed",
    );
    assert_ne!(conn.id, first);
    assert_eq!(pool.counters().discarded, 1);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_broken_connection_is_closed_and_replaced_for_a_waiter() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));

    let mut conn = ready(&clock, &pool, &flag);
    let first = conn.id;
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    conn.broken = true;
    drop(conn);
    assert_eq!(fake.live(), 0, "closed on return");
    assert_eq!(pool.status().connecting, 1, "replaced for the waiter");
    clock.run();
    let conn = served(&mut get, &flag, "served by the replacement");
    assert_ne!(conn.id, first);
    assert_consistent(&pool, &fake);
}

#[test]
fn a_broken_connection_with_nobody_waiting_is_not_replaced() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(2));
    let mut conn = ready(&clock, &pool, &flag);
    conn.mark_broken();
    assert!(conn.is_marked_broken());
    drop(conn);
    let status = pool.status();
    assert_eq!((status.size, status.connecting), (0, 0));
    assert_eq!(fake.live(), 0);
}

#[test]
fn mark_broken_overrides_a_clean_verdict() {
    let (clock, _, pool, flag) = harness(|b| b.max_size(1));
    let mut conn = ready(&clock, &pool, &flag);
    conn.mark_broken();
    drop(conn);
    assert_eq!(pool.status().idle, 0);
    assert_eq!(pool.counters().discarded, 1);
    assert_eq!(pool.counters().recycled, 0);
}

#[test]
fn take_removes_the_connection_and_frees_its_place() {
    let (clock, fake, pool, flag) = harness(|b| b.max_size(1));
    let conn = ready(&clock, &pool, &flag);
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    assert_eq!(pool.status().connecting, 0, "the pool is full");

    let owned = Object::take(conn);
    assert_eq!(
        pool.status().connecting,
        1,
        "its place goes to a new connection"
    );
    clock.run();
    let conn = served(&mut get, &flag, "served by the new connection");
    assert_ne!(conn.id, owned.id);
    assert_eq!(pool.counters().taken, 1);
    assert_eq!(pool.status().size, 1);
    assert_eq!(fake.live(), 2, "the taken one is the caller's");
    drop(owned);
    assert_consistent(&pool, &fake);
}

#[test]
fn builder_rejects_impossible_settings() {
    let (clock, fake) = setup();
    let error = builder(&clock, &fake).max_size(0).build().unwrap_err();
    assert_eq!(error, ConfigError::ZeroMaxSize);
    let error = builder(&clock, &fake)
        .max_size(2)
        .min_idle(3)
        .build()
        .unwrap_err();
    assert_eq!(
        error,
        ConfigError::MinIdleAboveMaxSize {
            min_idle: 3,
            max_size: 2
        }
    );
    assert_eq!(error.to_string(), "min_idle (3) is above max_size (2)");
    let error = builder(&clock, &fake)
        .connect_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert_eq!(error, ConfigError::ZeroDuration("connect_timeout"));
}

#[test]
fn the_default_pool_has_finite_settings() {
    let (clock, fake) = setup();
    let pool = Pool::new(fake.clone(), clock.clone());
    assert_eq!(pool.status().max_size, 16);
    fake.connect_default(Plan::Never);
    let flag = Arc::new(Flag::default());
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.advance(Duration::from_secs(5));
    assert!(flag.take(), "woken by its timeout");
    let Poll::Ready(Err(error)) = poll_once(&mut get, &flag) else {
        panic!("the default wait is finite");
    };
    assert_eq!(
        error.to_string(),
        "no connection within 5s; last connect error: connect timed out after 2s"
    );
}

#[test]
fn futures_and_objects_are_send() {
    fn is_send<T: Send>(_: &T) {}
    let (clock, _, pool, _) = harness(|b| b);
    let get = pool.get();
    is_send(&get);
    let drain = pool.drain(clock.now());
    is_send(&drain);
    drop((get, drain));
    let conn = ready(&clock, &pool, &Arc::new(Flag::default()));
    is_send(&conn);
}
