//! CONFIG SET `port` and `bind` move the listening sockets while the server runs, as in Redis
//! 7.0: new connections go to the new address, the old one refuses them, connections already
//! made stay; a port or address that cannot be bound fails the command with Redis's error and
//! restores every value it set. Errors are compared with redis-server's.

use std::net::{SocketAddr, TcpListener, TcpStream};

use radish_resp::Frame;
use radish_tests::{bulk, free_port, RawClient, RedisServer, TestServer, RUNTIMES};

fn config_set(client: &mut RawClient, pairs: &[&str]) -> Frame {
    let mut args = vec!["CONFIG", "SET"];
    args.extend_from_slice(pairs);
    client.cmd(&args)
}

fn config_get(client: &mut RawClient, name: &str) -> Frame {
    client.cmd(&["CONFIG", "GET", name])
}

fn info_field(client: &mut RawClient, section: &str, field: &str) -> String {
    let info = client.cmd(&["INFO", section]);
    let text = String::from_utf8_lossy(info.as_bytes().expect("INFO is a bulk")).into_owned();
    let prefix = format!("{field}:");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {field} in {text}"))
        .to_string()
}

fn on_port(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn refuses(addr: SocketAddr) -> bool {
    TcpStream::connect(addr).is_err()
}

#[test]
fn config_set_port_listens_on_the_new_port_only() {
    for runtime in RUNTIMES {
        let server: TestServer = runtime.start();
        let old = server.addr;
        let mut existing = RawClient::connect(old);
        let port = free_port();
        let text = port.to_string();
        assert_eq!(config_set(&mut existing, &["port", &text]), Frame::ok());
        // The old socket closed before the reply: nothing listens there any more.
        assert!(refuses(old), "{runtime:?}");
        let mut moved = RawClient::connect(on_port(port));
        assert_eq!(moved.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        // Connections made before stay connected.
        assert_eq!(
            existing.cmd(&["PING"]),
            Frame::simple("PONG"),
            "{runtime:?}"
        );
        assert_eq!(
            config_get(&mut moved, "port"),
            Frame::Array(vec![bulk("port"), bulk(&text)])
        );
        assert_eq!(info_field(&mut moved, "server", "tcp_port"), text);
        // Back again, from the connection on the new port.
        let back = old.port().to_string();
        assert_eq!(config_set(&mut moved, &["port", &back]), Frame::ok());
        assert!(refuses(on_port(port)), "{runtime:?}");
        let mut again = RawClient::connect(old);
        assert_eq!(again.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        assert_eq!(moved.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
    }
}

#[test]
fn config_set_port_zero_stops_listening_until_a_port_is_set() {
    let redis = RedisServer::start();
    let mut reference = RawClient::connect(redis.addr);
    assert_eq!(config_set(&mut reference, &["port", "0"]), Frame::ok());
    assert!(refuses(redis.addr));
    assert_eq!(info_field(&mut reference, "server", "tcp_port"), "0");
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut client = RawClient::connect(server.addr);
        assert_eq!(config_set(&mut client, &["port", "0"]), Frame::ok());
        assert!(refuses(server.addr), "{runtime:?}");
        assert_eq!(info_field(&mut client, "server", "tcp_port"), "0");
        assert_eq!(client.cmd(&["PING"]), Frame::simple("PONG"));
        let port = free_port();
        assert_eq!(
            config_set(&mut client, &["port", &port.to_string()]),
            Frame::ok()
        );
        let mut moved = RawClient::connect(on_port(port));
        assert_eq!(moved.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
    }
}

#[test]
fn a_port_in_use_fails_with_redis_error_and_rolls_every_value_back() {
    let busy = TcpListener::bind("127.0.0.1:0").expect("a port to hold");
    let taken = busy.local_addr().expect("address").port().to_string();
    let redis = RedisServer::start();
    let mut reference = RawClient::connect(redis.addr);
    let expected = config_set(&mut reference, &["port", &taken]);
    assert_eq!(
        expected,
        Frame::error(
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on \
             this port. Check server logs."
        )
    );
    let expected_many = config_set(&mut reference, &["maxmemory-samples", "7", "port", &taken]);
    assert_eq!(expected_many, expected);
    assert_eq!(
        config_get(&mut reference, "maxmemory-samples"),
        Frame::Array(vec![bulk("maxmemory-samples"), bulk("5")])
    );
    for runtime in RUNTIMES {
        let server = runtime.start();
        let own = server.addr.port().to_string();
        let mut client = RawClient::connect(server.addr);
        assert_eq!(config_set(&mut client, &["port", &taken]), expected);
        let many = config_set(&mut client, &["maxmemory-samples", "7", "port", &taken]);
        assert_eq!(many, expected_many, "{runtime:?}");
        assert_eq!(
            config_get(&mut client, "maxmemory-samples"),
            Frame::Array(vec![bulk("maxmemory-samples"), bulk("5")])
        );
        assert_eq!(
            config_get(&mut client, "port"),
            Frame::Array(vec![bulk("port"), bulk(&own)])
        );
        assert_eq!(info_field(&mut client, "server", "tcp_port"), own);
        // Still listening where it was: the rollback bound the old port again.
        let mut fresh = RawClient::connect(server.addr);
        assert_eq!(fresh.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        assert_eq!(client.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
    }
    drop(busy);
}

#[test]
fn config_set_bind_rebinds_and_an_unavailable_address_fails_as_in_redis() {
    // TEST-NET-1: an address this host does not have.
    let absent = "192.0.2.1";
    let redis = RedisServer::start();
    let mut reference = RawClient::connect(redis.addr);
    let expected = config_set(&mut reference, &["bind", absent]);
    assert_eq!(
        expected,
        Frame::error(
            "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to \
             specified addresses."
        )
    );
    // The failing step is named, in the order the parameters were given.
    let port_first = free_port().to_string();
    let expected_order = config_set(&mut reference, &["port", &port_first, "bind", absent]);
    assert!(TcpStream::connect(redis.addr).is_ok());
    // Adding an address on the same port rebinds the one in use too.
    let expected_more = config_set(&mut reference, &["bind", "127.0.0.1 -::1"]);
    assert_eq!(expected_more, Frame::ok());
    for runtime in RUNTIMES {
        let server = runtime.start();
        let mut client = RawClient::connect(server.addr);
        assert_eq!(
            config_set(&mut client, &["bind", absent]),
            expected,
            "{runtime:?}"
        );
        assert_eq!(
            config_get(&mut client, "bind"),
            Frame::Array(vec![bulk("bind"), bulk("127.0.0.1")])
        );
        let mut fresh = RawClient::connect(server.addr);
        assert_eq!(fresh.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        let port = free_port().to_string();
        let order = config_set(&mut client, &["port", &port, "bind", absent]);
        assert_eq!(order, expected_order, "{runtime:?}");
        let mut fresh = RawClient::connect(server.addr);
        assert_eq!(fresh.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        let more = config_set(&mut client, &["bind", "127.0.0.1 -::1"]);
        assert_eq!(more, expected_more, "{runtime:?}");
        let mut fresh = RawClient::connect(server.addr);
        assert_eq!(fresh.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        // Where this host has IPv6 loopback, the server now listens there too.
        if TcpListener::bind("[::1]:0").is_ok() {
            let ipv6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, server.addr.port()));
            let mut fresh = RawClient::connect(ipv6);
            assert_eq!(fresh.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
        }
        assert_eq!(client.cmd(&["PING"]), Frame::simple("PONG"), "{runtime:?}");
    }
}

#[test]
fn a_stopped_server_listens_no_more_while_its_state_lives() {
    for runtime in RUNTIMES {
        let server = runtime.start();
        let addr = server.addr;
        let state = server.server.clone();
        server.stop();
        assert!(refuses(addr), "{runtime:?}");
        drop(state);
    }
}
