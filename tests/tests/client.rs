//! Radish's own client (`radish_client` through the tokio and smol wrappers) against a real
//! Radish server on both runtimes: setup from URLs, typed commands in RESP2 and RESP3, error
//! kinds, pipelining, transactions, pub/sub, timeouts and resets.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use radish_tests::{Runtime, RUNTIMES};
use radish_tokio::client::prelude::*;
use radish_tokio::client::{Config, Error, Health, IntoConfig, Message, Protocol, SetOptions};
use smol::stream::StreamExt;

/// Which wrapper a scenario connects through; it runs on the same runtime as the server.
#[derive(Debug, Clone, Copy)]
enum On {
    Tokio,
    Smol,
}

impl On {
    async fn connect(self, config: impl IntoConfig) -> radish_tokio::client::Result<Client> {
        match self {
            On::Tokio => radish_tokio::client::connect(config).await,
            On::Smol => radish_smol::client::connect(config).await,
        }
    }
}

/// Runs `scenario` against a server started with `directives`, once per runtime.
fn each<F, Fut>(directives: &[&str], scenario: F)
where
    F: Fn(On, SocketAddr) -> Fut,
    Fut: Future<Output = ()>,
{
    for runtime in RUNTIMES {
        eprintln!("-- {runtime:?}");
        let server = runtime.start_with(directives);
        match runtime {
            Runtime::Tokio => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime")
                .block_on(scenario(On::Tokio, server.addr)),
            Runtime::Smol => smol::block_on(scenario(On::Smol, server.addr)),
        }
    }
}

fn b(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

#[test]
fn connects_by_address_and_url_with_db_name_and_protocol() {
    each(&[], |on, addr| async move {
        let plain = on.connect(addr).await.unwrap();
        assert_eq!(plain.protocol(), Protocol::Resp3);
        plain.flushdb().await.unwrap();

        let url = format!("redis://{addr}/3?name=worker-7&protocol=resp2");
        let named = on.connect(url.as_str()).await.unwrap();
        assert_eq!(named.protocol(), Protocol::Resp2);
        let name: Option<Bytes> = named.query(cmd("CLIENT").arg("GETNAME")).await.unwrap();
        assert_eq!(name, Some(b("worker-7")));
        named.set("in-db-3", "x").await.unwrap();
        assert_eq!(plain.exists(["in-db-3"]).await.unwrap(), 0);
        assert_eq!(named.exists(["in-db-3"]).await.unwrap(), 1);
        assert_eq!(named.health(), Health::Clean);

        let mut config = Config::new(addr.ip().to_string(), addr.port());
        config.client_name = Some(b("hello-name"));
        let resp3 = on.connect(config).await.unwrap();
        let name: Bytes = resp3.query(cmd("CLIENT").arg("GETNAME")).await.unwrap();
        assert_eq!(name, b("hello-name"));
    });
}

#[test]
fn authenticates_from_the_url() {
    each(&["requirepass s3cret"], |on, addr| async move {
        let client = on
            .connect(format!("redis://:s3cret@{addr}/1"))
            .await
            .unwrap();
        assert_eq!(client.ping().await.unwrap(), b("PONG"));
        let resp2 = on
            .connect(format!("redis://default:s3cret@{addr}/?protocol=resp2"))
            .await
            .unwrap();
        assert_eq!(resp2.ping().await.unwrap(), b("PONG"));

        let wrong = on
            .connect(format!("redis://:nope@{addr}"))
            .await
            .unwrap_err();
        assert_eq!(wrong.server_error().unwrap().code(), b"WRONGPASS");
        let missing = on.connect(addr).await.unwrap_err();
        assert_eq!(missing.server_error().unwrap().code(), b"NOAUTH");
    });
}

#[test]
fn typed_commands_in_both_protocols() {
    each(&[], |on, addr| async move {
        for protocol in ["resp2", "resp3"] {
            let c = on
                .connect(format!("redis://{addr}/?protocol={protocol}"))
                .await
                .unwrap();
            c.flushdb().await.unwrap();
            // Strings.
            c.set("s", "v1").await.unwrap();
            assert_eq!(c.get("s").await.unwrap(), Some(b("v1")));
            assert!(!c.set_with("s", "v2", SetOptions::nx()).await.unwrap());
            assert!(c.set_with("t", "v", SetOptions::ex(100)).await.unwrap());
            assert_eq!(
                c.set_get("s", "v3", SetOptions::default()).await.unwrap(),
                Some(b("v1"))
            );
            assert_eq!(c.incr("n").await.unwrap(), 1);
            assert_eq!(c.incr_by("n", 41).await.unwrap(), 42);
            assert_eq!(c.incr_by_float("f", 1.5).await.unwrap(), 1.5);
            c.mset([("m1", "a"), ("m2", "b")]).await.unwrap();
            assert_eq!(
                c.mget(["m1", "nope", "m2"]).await.unwrap(),
                [Some(b("a")), None, Some(b("b"))]
            );
            // Keys.
            assert_eq!(c.exists(["s", "m1", "nope"]).await.unwrap(), 2);
            assert!(c.expire("s", 100).await.unwrap());
            assert!((1..=100).contains(&c.ttl("s").await.unwrap()));
            assert_eq!(c.ttl("nope").await.unwrap(), -2);
            assert_eq!(c.del(["m1", "m2", "nope"]).await.unwrap(), 2);
            assert_eq!(c.key_type("n").await.unwrap(), b("string"));
            // Lists.
            assert_eq!(c.rpush("l", ["a", "b", "c"]).await.unwrap(), 3);
            assert_eq!(c.lpush("l", ["z"]).await.unwrap(), 4);
            assert_eq!(c.lpop("l").await.unwrap(), Some(b("z")));
            assert_eq!(
                c.lrange("l", 0, -1).await.unwrap(),
                [b("a"), b("b"), b("c")]
            );
            assert_eq!(c.llen("l").await.unwrap(), 3);
            assert_eq!(
                c.blpop(["empty", "l"], 0.1).await.unwrap(),
                Some((b("l"), b("a")))
            );
            assert_eq!(c.blpop(["empty"], 0.01).await.unwrap(), None);
            // Hashes.
            assert_eq!(c.hset("h", [("f1", "1"), ("f2", "2")]).await.unwrap(), 2);
            assert_eq!(c.hget("h", "f1").await.unwrap(), Some(b("1")));
            let all = c.hgetall("h").await.unwrap();
            assert_eq!((all.len(), all.get(&b("f2")[..])), (2, Some(&b("2"))));
            assert_eq!(c.hdel("h", ["f1", "nope"]).await.unwrap(), 1);
            assert_eq!(c.hincr_by("h", "f2", 5).await.unwrap(), 7);
            // Sets.
            assert_eq!(c.sadd("set", ["x", "y", "x"]).await.unwrap(), 2);
            assert!(c.sismember("set", "x").await.unwrap());
            assert!(!c.sismember("set", "q").await.unwrap());
            let mut members = c.smembers("set").await.unwrap();
            members.sort();
            assert_eq!(members, [b("x"), b("y")]);
            assert_eq!(c.srem("set", ["x"]).await.unwrap(), 1);
            // Sorted sets.
            assert_eq!(
                c.zadd_multiple("z", [(1.0, "a"), (2.5, "b")])
                    .await
                    .unwrap(),
                2
            );
            assert_eq!(c.zadd("z", 0.5, "c").await.unwrap(), 1);
            assert_eq!(c.zscore("z", "b").await.unwrap(), Some(2.5));
            assert_eq!(c.zscore("z", "nope").await.unwrap(), None);
            assert_eq!(c.zincrby("z", 2.0, "a").await.unwrap(), 3.0);
            assert_eq!(c.zrank("z", "a").await.unwrap(), Some(2));
            assert_eq!(
                c.zrange("z", 0, -1).await.unwrap(),
                [b("c"), b("b"), b("a")]
            );
            assert_eq!(
                c.zrange_withscores("z", 0, 1).await.unwrap(),
                [(b("c"), 0.5), (b("b"), 2.5)]
            );
            assert_eq!(c.zcount("z", "(1", "+inf").await.unwrap(), 2);
        }
    });
}

#[test]
fn errors_say_who_failed() {
    each(&[], |on, addr| async move {
        let c = on.connect(addr).await.unwrap();
        c.set("str", "abc").await.unwrap();
        let wrongtype = c.lpush("str", ["x"]).await.unwrap_err();
        assert_eq!(
            wrongtype.to_string(),
            "WRONGTYPE Operation against a key holding the wrong kind of value"
        );
        let not_integer = c.incr("str").await.unwrap_err();
        assert_eq!(
            not_integer.server_error().unwrap().line(),
            &b("ERR value is not an integer or out of range")
        );
        let unknown = c.query::<()>(cmd("NOSUCHCMD")).await.unwrap_err();
        assert!(unknown
            .to_string()
            .starts_with("ERR unknown command 'NOSUCHCMD'"));
        let conversion = c.query::<i64>(cmd("GET").arg("str")).await.unwrap_err();
        assert!(matches!(conversion, Error::Type(_)), "{conversion:?}");
        // None of these broke the connection.
        assert_eq!(c.get("str").await.unwrap(), Some(b("abc")));
        assert_eq!(c.health(), Health::Clean);
    });
}

#[test]
fn concurrent_requests_and_pipelines_on_one_connection() {
    each(&[], |on, addr| async move {
        let c = on.connect(addr).await.unwrap();
        let requests = (0..200).map(|i| {
            let c = &c;
            async move {
                let key = format!("key:{i}");
                c.set(key.as_str(), i).await.unwrap();
                c.get(key.as_str()).await.unwrap()
            }
        });
        let mut values = Vec::new();
        for request in requests {
            values.push(request);
        }
        let replies = join_all(values).await;
        for (i, reply) in replies.into_iter().enumerate() {
            assert_eq!(reply, Some(b(&i.to_string())));
        }

        let mut pipeline = Pipeline::new();
        pipeline.set("p", "1").incr("p").get("p").lpush("p", ["x"]);
        type Replies = (
            (),
            i64,
            Bytes,
            Result<i64, radish_tokio::client::ServerError>,
        );
        let (_, two, text, wrongtype): Replies = c.pipeline(&pipeline).await.unwrap();
        assert_eq!((two, text), (2, b("2")));
        assert_eq!(wrongtype.unwrap_err().code(), b"WRONGTYPE");
    });
}

/// Polls every future concurrently (no runtime-specific join needed).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[test]
fn transactions_commit_abort_and_see_watch() {
    each(&[], |on, addr| async move {
        let c = on.connect(addr).await.unwrap();
        let mut tx = Transaction::new();
        tx.set("t", "1").incr("t").get("t");
        let ran: Option<((), i64, Bytes)> = c.transaction(&tx).await.unwrap();
        assert_eq!(ran, Some(((), 2, b("2"))));

        let mut bad = Transaction::new();
        bad.incr("t").query::<()>(cmd("SET").arg("only-key"));
        match c.transaction::<Vec<Frame>>(&bad).await {
            Err(Error::ExecAbort(errors)) => {
                assert_eq!(errors.len(), 1);
                assert_eq!(
                    errors[0].to_string(),
                    "ERR wrong number of arguments for 'set' command"
                );
            }
            other => panic!("expected EXECABORT, got {other:?}"),
        }
        assert_eq!(c.get("t").await.unwrap(), Some(b("2")), "nothing ran");

        let other = on.connect(addr).await.unwrap();
        c.query::<()>(cmd("WATCH").arg("t")).await.unwrap();
        assert_eq!(c.health(), Health::Dirty, "watching");
        other.set("t", "changed").await.unwrap();
        let watched: Option<(i64,)> = c
            .transaction(&{
                let mut tx = Transaction::new();
                tx.incr("counter");
                tx
            })
            .await
            .unwrap();
        assert_eq!(watched, None, "a watched key changed: EXEC is nil");
        assert_eq!(c.health(), Health::Clean);
        assert_eq!(c.get("counter").await.unwrap(), None);
    });
}

#[test]
fn pubsub_streams_messages_in_both_protocols() {
    each(&[], |on, addr| async move {
        for protocol in ["resp2", "resp3"] {
            let url = format!("redis://{addr}/?protocol={protocol}");
            let listener = on.connect(url.as_str()).await.unwrap();
            let publisher = on.connect(addr).await.unwrap();
            let mut subscriber = listener.subscriber();
            subscriber.subscribe(["news", "sport"]).await.unwrap();
            subscriber.psubscribe(["w*"]).await.unwrap();
            assert_eq!(
                listener.health(),
                Health::Broken,
                "shared with the subscriber"
            );
            assert_eq!(publisher.publish("news", "one").await.unwrap(), 1);
            assert_eq!(publisher.publish("weather", "two").await.unwrap(), 1);
            assert_eq!(
                subscriber.next().await,
                Some(Message {
                    channel: b("news"),
                    pattern: None,
                    payload: b("one")
                })
            );
            assert_eq!(
                subscriber.next().await,
                Some(Message {
                    channel: b("weather"),
                    pattern: Some(b("w*")),
                    payload: b("two")
                })
            );
            let everything: [&str; 0] = [];
            subscriber.unsubscribe(everything).await.unwrap();
            subscriber.punsubscribe(everything).await.unwrap();
            assert_eq!(publisher.publish("news", "three").await.unwrap(), 0);
            // Unsubscribed: the connection runs ordinary commands again.
            assert_eq!(listener.ping().await.unwrap(), b("PONG"));
            drop(subscriber);
            assert_eq!(listener.health(), Health::Clean, "{protocol}");
        }
    });
}

#[test]
fn a_timed_out_request_does_not_steal_the_next_reply() {
    each(&[], |on, addr| async move {
        let c = on.connect(addr).await.unwrap();
        let timed_out = c
            .blpop(["never"], 0.3)
            .timeout(Duration::from_millis(20))
            .await;
        assert!(matches!(timed_out, Err(Error::Timeout)));
        assert_eq!(c.health(), Health::Dirty, "BLPOP's reply is still owed");
        c.set("after", "mine").await.unwrap();
        assert_eq!(c.get("after").await.unwrap(), Some(b("mine")));
        assert_eq!(c.health(), Health::Clean);
    });
}

#[test]
fn reset_restores_the_configured_state() {
    each(&[], |on, addr| async move {
        let c = on
            .connect(format!("redis://{addr}/2?name=keeper"))
            .await
            .unwrap();
        c.query::<()>(cmd("SELECT").arg(5)).await.unwrap();
        c.query::<()>(cmd("MULTI")).await.unwrap();
        assert_eq!(c.health(), Health::Dirty);
        c.reset().await.unwrap();
        assert_eq!(c.health(), Health::Clean);
        assert_eq!(c.protocol(), Protocol::Resp3);
        c.set("where", "db2").await.unwrap();
        let db2 = on.connect(format!("redis://{addr}/2")).await.unwrap();
        assert_eq!(db2.get("where").await.unwrap(), Some(b("db2")));
        let name: Bytes = c.query(cmd("CLIENT").arg("GETNAME")).await.unwrap();
        assert_eq!(name, b("keeper"));
    });
}
