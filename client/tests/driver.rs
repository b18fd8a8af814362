//! Reply matching, cancellation, connection state and setup, over an in-memory transport
//! with a scripted server.

mod support;

use std::task::Poll;

use futures_lite::StreamExt;
use radish_client::prelude::*;
use radish_client::{Config, Error, Health, Message, Protocol, ProtocolError, ServerError};
use support::{bulk, bytes, pair, poll_once, run, settle};

fn config() -> Config {
    Config::new("memory", 0)
}

#[test]
fn concurrent_requests_get_their_own_replies_in_order() {
    let (client, driver, mut server, _) = pair(config());
    let other = client.clone();
    run(driver, async {
        let first = client.get("a");
        let second = other.incr("n");
        let third = client.get("c");
        let serve = async {
            assert_eq!(server.request().await, ["GET", "a"]);
            assert_eq!(server.request().await, ["INCR", "n"]);
            assert_eq!(server.request().await, ["GET", "c"]);
            // All three went out before any reply: they were pipelined.
            server.reply(&[bulk("A"), b":7\r\n".to_vec(), b"_\r\n".to_vec()].concat());
        };
        let ((a, n), (c, ())) = futures_lite::future::zip(
            futures_lite::future::zip(first, second),
            futures_lite::future::zip(third, serve),
        )
        .await;
        assert_eq!(a.unwrap(), Some(bytes("A")));
        assert_eq!(n.unwrap(), 7);
        assert_eq!(c.unwrap(), None);
        assert_eq!(client.health(), Health::Broken, "a clone is still alive");
        drop(other);
        assert_eq!(client.health(), Health::Clean);
    });
}

#[test]
fn a_dropped_request_leaves_its_reply_to_be_discarded() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let mut abandoned = client.get("mine");
        assert!(poll_once(&mut abandoned).await.is_pending());
        drop(abandoned);
        assert_eq!(server.request().await, ["GET", "mine"]);
        assert_eq!(client.health(), Health::Dirty, "a reply is still owed");
        let mut next = client.get("yours");
        assert!(poll_once(&mut next).await.is_pending());
        assert_eq!(server.request().await, ["GET", "yours"]);
        // The abandoned request's reply arrives first and must not reach `next`.
        server.reply(&bulk("for-mine"));
        server.reply(&bulk("for-yours"));
        assert_eq!(next.await.unwrap(), Some(bytes("for-yours")));
        assert_eq!(client.health(), Health::Clean);
    });
}

#[test]
fn a_timed_out_request_keeps_the_connection_in_step() {
    let (client, driver, mut server, timer) = pair(config());
    run(driver, async {
        let mut slow = client
            .get("slow")
            .timeout(std::time::Duration::from_millis(10));
        assert!(poll_once(&mut slow).await.is_pending());
        assert_eq!(server.request().await, ["GET", "slow"]);
        timer.fire();
        assert!(matches!(slow.await, Err(Error::Timeout)));
        let mut next = client.get("next");
        assert!(poll_once(&mut next).await.is_pending());
        // Half of the late reply, then the rest and the next one.
        server.reply(b"$9\r\nlate-");
        settle().await;
        server.reply(b"slow\r\n");
        server.reply(&bulk("next-value"));
        assert_eq!(next.await.unwrap(), Some(bytes("next-value")));
    });
}

#[test]
fn pipelines_send_once_and_convert_each_reply() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let mut pipeline = Pipeline::new();
        pipeline.set("k", "v").incr("k").get("k");
        let mut request = client.pipeline::<Vec<Result<Frame, ServerError>>>(&pipeline);
        assert!(poll_once(&mut request).await.is_pending());
        assert_eq!(server.request().await, ["SET", "k", "v"]);
        assert_eq!(server.request().await, ["INCR", "k"]);
        assert_eq!(server.request().await, ["GET", "k"]);
        server.reply(b"+OK\r\n-ERR value is not an integer or out of range\r\n$1\r\nv\r\n");
        let replies = request.await.unwrap();
        assert_eq!(replies[0], Ok(Frame::ok()));
        assert_eq!(
            replies[1].as_ref().unwrap_err().to_string(),
            "ERR value is not an integer or out of range"
        );
        assert_eq!(replies[2], Ok(Frame::bulk(bytes("v"))));

        let mut typed = Pipeline::new();
        typed.incr("a").get("b");
        let serve = async {
            server.request().await;
            server.request().await;
            server.reply(b":1\r\n$-1\r\n");
        };
        let (result, ()) =
            futures_lite::future::zip(client.pipeline::<(i64, Option<Bytes>)>(&typed), serve).await;
        assert_eq!(result.unwrap(), (1, None));
        let empty: Vec<Frame> = client.pipeline(&Pipeline::new()).await.unwrap();
        assert!(empty.is_empty());
    });
}

#[test]
fn transactions_report_execabort_and_watch_failures() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let mut tx = Transaction::new();
        tx.set("a", "1").query::<()>(cmd("NOSUCH"));
        let mut request = client.transaction::<Vec<Frame>>(&tx);
        assert!(poll_once(&mut request).await.is_pending());
        for want in [&["MULTI"][..], &["SET", "a", "1"], &["NOSUCH"], &["EXEC"]] {
            assert_eq!(server.request().await, want);
        }
        server.reply(b"+OK\r\n+QUEUED\r\n-ERR unknown command 'NOSUCH'\r\n");
        settle().await;
        assert_eq!(client.health(), Health::Dirty, "inside MULTI until EXEC");
        server.reply(b"-EXECABORT Transaction discarded because of previous errors.\r\n");
        match request.await {
            Err(Error::ExecAbort(errors)) => {
                assert_eq!(errors, [ServerError::new("ERR unknown command 'NOSUCH'")]);
            }
            other => panic!("expected EXECABORT, got {other:?}"),
        }
        assert_eq!(client.health(), Health::Clean);

        let mut tx = Transaction::new();
        tx.incr("n").get("n");
        let serve = async {
            for _ in 0..4 {
                server.request().await;
            }
            server.reply(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*-1\r\n");
        };
        let (watched, ()) =
            futures_lite::future::zip(client.transaction::<(i64, Bytes)>(&tx), serve).await;
        assert_eq!(watched.unwrap(), None, "a nil EXEC is None");
        let serve = async {
            for _ in 0..4 {
                server.request().await;
            }
            server.reply(b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:5\r\n$1\r\n5\r\n");
        };
        let (ran, ()) =
            futures_lite::future::zip(client.transaction::<(i64, Bytes)>(&tx), serve).await;
        assert_eq!(ran.unwrap(), Some((5, bytes("5"))));
    });
}

#[test]
fn state_commands_make_the_connection_dirty_until_reset() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let serve = async {
            server.request().await;
            server.reply(b"+OK\r\n");
        };
        let (selected, ()) =
            futures_lite::future::zip(client.query::<()>(cmd("SELECT").arg(2)), serve).await;
        selected.unwrap();
        assert_eq!(client.health(), Health::Dirty, "another database");
        let serve = async {
            assert_eq!(server.request().await, ["RESET"]);
            server.reply(b"+RESET\r\n");
            assert_eq!(server.request().await, ["HELLO", "3"]);
            server.reply(b"%1\r\n$5\r\nproto\r\n:3\r\n");
        };
        let (reset, ()) = futures_lite::future::zip(client.reset(), serve).await;
        reset.unwrap();
        assert_eq!(client.health(), Health::Clean);
        assert_eq!(client.protocol(), Protocol::Resp3);
    });
}

#[test]
fn handshake_falls_back_to_resp2_and_auth() {
    let mut config = config();
    config.password = Some(bytes("secret"));
    config.db = 2;
    config.client_name = Some(bytes("app"));
    let (client, driver, mut server, _) = pair(config);
    run(driver, async {
        let serve = async {
            let hello = server.request().await;
            assert_eq!(
                hello,
                ["HELLO", "3", "AUTH", "default", "secret", "SETNAME", "app"]
            );
            server.reply(b"-ERR unknown command 'HELLO', with args beginning with: '3' \r\n");
            assert_eq!(server.request().await, ["AUTH", "secret"]);
            server.reply(b"+OK\r\n");
            assert_eq!(server.request().await, ["CLIENT", "SETNAME", "app"]);
            server.reply(b"+OK\r\n");
            assert_eq!(server.request().await, ["SELECT", "2"]);
            server.reply(b"+OK\r\n");
        };
        let (setup, ()) = futures_lite::future::zip(client.handshake(), serve).await;
        setup.unwrap();
        assert_eq!(client.protocol(), Protocol::Resp2);
        assert_eq!(
            client.health(),
            Health::Clean,
            "database 2 is the configured one"
        );
    });
}

#[test]
fn handshake_stops_at_bad_credentials() {
    let mut config = config();
    config.password = Some(bytes("wrong"));
    let (client, driver, mut server, _) = pair(config);
    run(driver, async {
        let serve = async {
            server.request().await;
            server.reply(b"-WRONGPASS invalid username-password pair or user is disabled.\r\n");
        };
        let (setup, ()) = futures_lite::future::zip(client.handshake(), serve).await;
        let error = setup.unwrap_err();
        assert_eq!(error.server_error().unwrap().code(), b"WRONGPASS");
        assert_eq!(server.unread(), 0, "no AUTH retried after WRONGPASS");
    });
}

fn message(channel: &str, payload: &str) -> Message {
    Message {
        channel: bytes(channel),
        pattern: None,
        payload: bytes(payload),
    }
}

#[test]
fn resp2_pubsub_arrays_become_messages_only_when_subscribed() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        // Not subscribed: an array that looks like a message is a reply.
        let serve = async {
            server.request().await;
            server.reply(b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n");
        };
        let (list, ()) = futures_lite::future::zip(client.lrange("l", 0, -1), serve).await;
        assert_eq!(list.unwrap(), [bytes("message"), bytes("a"), bytes("b")]);

        let mut subscriber = client.subscriber();
        let serve = async {
            assert_eq!(server.request().await, ["SUBSCRIBE", "news", "sport"]);
            server.reply(b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
            // A message between the two confirmations.
            server.reply(b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
            server.reply(b"*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n");
        };
        let (subscribed, ()) =
            futures_lite::future::zip(subscriber.subscribe(["news", "sport"]), serve).await;
        subscribed.unwrap();
        assert_eq!(subscriber.next().await, Some(message("news", "hi")));
        drop(subscriber.client().clone());
        server.reply(b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$3\r\nyo!\r\n");
        assert_eq!(
            subscriber.next().await,
            Some(Message {
                channel: bytes("news"),
                pattern: Some(bytes("n*")),
                payload: bytes("yo!"),
            })
        );
        // Unsubscribing from all expects one confirmation per channel.
        let serve = async {
            assert_eq!(server.request().await, ["UNSUBSCRIBE"]);
            server.reply(b"*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:1\r\n");
            settle().await;
            server.reply(b"*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:0\r\n");
        };
        let none: [&str; 0] = [];
        let (unsubscribed, ()) =
            futures_lite::future::zip(subscriber.unsubscribe(none), serve).await;
        unsubscribed.unwrap();
    });
}

#[test]
fn resp3_push_messages_interleave_with_replies() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let serve = async {
            assert_eq!(server.request().await, ["HELLO", "3"]);
            server.reply(b"%1\r\n$5\r\nproto\r\n:3\r\n");
        };
        let (setup, ()) = futures_lite::future::zip(client.handshake(), serve).await;
        setup.unwrap();
        let mut subscriber = client.subscriber();
        let serve = async {
            server.request().await;
            server.reply(b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
        };
        let (subscribed, ()) = futures_lite::future::zip(subscriber.subscribe(["c"]), serve).await;
        subscribed.unwrap();
        assert_eq!(
            subscriber.client().health(),
            Health::Broken,
            "shared with the subscriber"
        );
        let serve = async {
            server.request().await;
            // A push between the request and its reply goes to the subscriber.
            server.reply(b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$3\r\none\r\n");
            server.reply(b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$3\r\ntwo\r\n");
        };
        let (reply, ()) = futures_lite::future::zip(client.lrange("l", 0, -1), serve).await;
        assert_eq!(reply.unwrap(), [bytes("message"), bytes("c"), bytes("two")]);
        assert_eq!(subscriber.next().await, Some(message("c", "one")));
    });
}

#[test]
fn a_reply_nobody_asked_for_closes_the_connection() {
    let (client, driver, server, _) = pair(config());
    run(driver, async {
        server.reply(b"+OK\r\n");
        settle().await;
        assert!(client.is_closed());
        assert_eq!(client.health(), Health::Broken);
        let error = client.get("k").await.unwrap_err();
        assert!(matches!(
            error,
            Error::Protocol(ProtocolError::UnexpectedReply)
        ));
        assert_eq!(server.unread(), 0, "nothing sent on a closed connection");
    });
}

#[test]
fn a_hang_up_fails_waiting_requests() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let mut waiting = client.get("k");
        assert!(poll_once(&mut waiting).await.is_pending());
        server.request().await;
        server.reply(b"$5\r\nhal");
        server.close();
        assert!(matches!(waiting.await, Err(Error::Closed)));
        assert!(matches!(client.ping().await, Err(Error::Closed)));
        assert!(matches!(
            poll_once(&mut client.ping()).await,
            Poll::Ready(Err(_))
        ));
    });
}

#[test]
fn invalid_resp_is_a_protocol_error() {
    let (client, driver, mut server, _) = pair(config());
    run(driver, async {
        let serve = async {
            server.request().await;
            server.reply(b"?what\r\n");
        };
        let (reply, ()) = futures_lite::future::zip(client.get("k"), serve).await;
        assert!(matches!(
            reply,
            Err(Error::Protocol(ProtocolError::Invalid(_)))
        ));
        assert!(client.is_closed());
    });
}
