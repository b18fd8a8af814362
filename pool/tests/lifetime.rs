//! Lifetimes with jitter, idle timeout, min_idle kept warm, and health checks after idling.

mod common;

use std::task::Poll;
use std::time::Duration;

use common::{assert_consistent, harness, poll_once, ready, served, Plan};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn min_idle_is_opened_in_the_background_and_kept() {
    let (clock, fake, pool, flag) =
        harness(|b| b.max_size(5).min_idle(3).maintenance_interval(SEC));
    assert_eq!(pool.status().connecting, 3, "started at build");
    clock.run();
    assert_eq!(pool.status().idle, 3);

    let mut conn = ready(&clock, &pool, &flag);
    assert_eq!(pool.status().connecting, 1, "topped up while one is out");
    clock.run();
    conn.broken = true;
    drop(conn);
    clock.run();
    let status = pool.status();
    assert_eq!((status.idle, status.size), (3, 3));
    assert_consistent(&pool, &fake);
}

#[test]
fn lifetimes_are_spread_so_connections_are_not_replaced_together() {
    let (clock, fake, pool, _) = harness(|b| {
        b.max_size(8)
            .min_idle(8)
            .max_lifetime(Some(100 * SEC))
            .lifetime_jitter(20 * SEC)
            .maintenance_interval(SEC)
    });
    clock.run();
    assert_eq!(pool.status().idle, 8);

    let mut replaced_at = Vec::new();
    for second in 1..=100 {
        let before = fake.connect_calls();
        clock.advance(SEC);
        let replaced = fake.connect_calls() - before;
        assert!(
            replaced <= 1,
            "{replaced} connections replaced together at {second} s"
        );
        if replaced == 1 {
            replaced_at.push(second);
        }
        assert_eq!(pool.status().idle, 8, "always 8 ready");
    }
    assert_eq!(replaced_at.len(), 8, "each replaced once: {replaced_at:?}");
    assert!(
        replaced_at[0] >= 80,
        "none before lifetime - jitter: {replaced_at:?}"
    );
    assert_consistent(&pool, &fake);
}

#[test]
fn an_expired_connection_is_closed_on_return() {
    let (clock, fake, pool, flag) = harness(|b| {
        b.max_lifetime(Some(10 * SEC))
            .lifetime_jitter(Duration::ZERO)
            .maintenance_interval(60 * SEC)
    });
    let conn = ready(&clock, &pool, &flag);
    clock.advance(10 * SEC);
    drop(conn);
    assert_eq!(pool.status().size, 0);
    assert_eq!(fake.live(), 0);
    assert_eq!(pool.counters().discarded, 1);
}

#[test]
fn an_expired_idle_connection_is_skipped_on_checkout() {
    let (clock, fake, pool, flag) = harness(|b| {
        b.max_lifetime(Some(10 * SEC))
            .lifetime_jitter(Duration::ZERO)
            .maintenance_interval(60 * SEC)
    });
    let first = ready(&clock, &pool, &flag).id;
    clock.advance(10 * SEC);
    assert_eq!(pool.status().idle, 1, "the sweep has not run yet");
    let conn = ready(&clock, &pool, &flag);
    assert_ne!(conn.id, first, "the expired one is not handed out");
    assert_eq!(fake.connect_calls(), 2);
    drop(conn);
    assert_consistent(&pool, &fake);
}

#[test]
fn the_idle_timeout_closes_connections_down_to_min_idle() {
    let (clock, fake, pool, flag) = harness(|b| {
        b.max_size(5)
            .min_idle(2)
            .idle_timeout(Some(30 * SEC))
            .maintenance_interval(10 * SEC)
    });
    clock.run();
    let held: Vec<_> = (0..5).map(|_| ready(&clock, &pool, &flag)).collect();
    drop(held);
    assert_eq!(pool.status().idle, 5);

    clock.advance(29 * SEC);
    assert_eq!(pool.status().idle, 5, "not idle long enough");
    clock.advance(10 * SEC);
    assert_eq!(pool.status().idle, 2, "closed down to min_idle");
    clock.advance(100 * SEC);
    assert_eq!(pool.status().idle, 2, "min_idle is never closed for idling");
    assert_eq!(fake.connect_calls(), 5, "nothing reopened");
    assert_consistent(&pool, &fake);
}

#[test]
fn a_connection_is_checked_only_after_idling_past_the_threshold() {
    let (clock, fake, pool, flag) = harness(|b| b.check_after_idle(Some(5 * SEC)));
    drop(ready(&clock, &pool, &flag));
    clock.advance(4 * SEC);
    drop(ready(&clock, &pool, &flag));
    assert_eq!(fake.check_calls(), 0, "recently used: no check");

    clock.advance(5 * SEC);
    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending(), "checked first");
    clock.run();
    assert!(matches!(poll_once(&mut get, &flag), Poll::Ready(Ok(_))));
    assert_eq!(fake.check_calls(), 1);
    assert_eq!(pool.counters().checks, 1);
}

#[test]
fn a_failed_check_discards_and_the_caller_gets_another() {
    let (clock, fake, pool, flag) = harness(|b| b.check_after_idle(Some(SEC)));
    let a = ready(&clock, &pool, &flag);
    let b = ready(&clock, &pool, &flag);
    let (a_id, b_id) = (a.id, b.id);
    drop((a, b));
    clock.advance(2 * SEC);
    fake.checks([Plan::Fail("gone"), Plan::Ok]);

    let mut get = Box::pin(pool.get());
    assert!(poll_once(&mut get, &flag).is_pending());
    clock.run();
    let conn = served(&mut get, &flag, "served by the other idle connection");
    assert!(conn.id == a_id || conn.id == b_id);
    assert_eq!(fake.check_calls(), 2);
    assert_eq!(fake.connect_calls(), 2, "no new connection needed");
    assert_eq!(pool.counters().discarded, 1);
    drop(conn);
    assert_consistent(&pool, &fake);
}

#[test]
fn min_idle_against_a_dead_server_backs_off() {
    let (clock, fake, pool, _) = harness(|b| {
        b.min_idle(1)
            .retry_backoff(Duration::from_millis(100), 2 * SEC)
    });
    fake.connect_default(Plan::Fail("refused"));
    clock.advance(60 * SEC);
    // 0, 0.1, 0.3, 0.7, 1.5, 3.1, then every 2 s: about 35 attempts, not thousands.
    let calls = fake.connect_calls();
    assert!((30..=40).contains(&calls), "{calls} attempts in a minute");
    assert_eq!(pool.status().connecting, 1, "one task keeps trying");
    let error = pool
        .last_connect_error()
        .expect("the background failure is kept");
    assert_eq!(error.to_string(), "connect failed: refused");

    fake.connect_default(Plan::Ok);
    clock.advance(2 * SEC);
    assert_eq!(pool.status().idle, 1, "warm again once the server is back");
    assert!(pool.last_connect_error().is_none());
    drop(pool);
    clock.advance(60 * SEC);
    assert_eq!(clock.live_tasks(), 0, "a dropped pool stops its tasks");
}
