//! Limits and security at the Session level, with explicit time: `maxclients`, protected
//! mode, AUTH, `timeout`, output buffer limits, `maxmemory` with every policy, LRU and LFU.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use radish_store::{Config, Millis, Server, Status};
use support::{resp, Conn, T0};

const OOM: &str = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/// A server with `directives`, and no connection yet.
fn server(directives: &[&str]) -> Arc<Server> {
    let mut config = Config::default();
    config
        .apply_text(&directives.join("\n"))
        .expect("valid directives");
    Arc::new(Server::new(config, T0))
}

fn peer(text: &str) -> Option<SocketAddr> {
    Some(text.parse().expect("address"))
}

/// INFO `field` (from any section) as a number.
fn info_number(conn: &mut Conn, now: Millis, field: &str) -> u64 {
    conn.info(now, "everything", field)
        .parse()
        .expect("a number")
}

fn pipeline(commands: &[&[&str]]) -> Vec<u8> {
    commands.iter().flat_map(|args| resp(args)).collect()
}

// --- maxclients and protected mode -----------------------------------------------------------

#[test]
fn maxclients_turns_away_the_next_connection_until_one_leaves() {
    let server = server(&["maxclients 2"]);
    let mut first = Conn::open(&server, None, T0);
    let second = Conn::open(&server, None, T0);
    let mut third = Conn::open(&server, None, T0);
    assert_eq!(
        third.session.refusal(),
        Some(&b"-ERR max number of clients reached\r\n"[..])
    );
    assert_eq!(
        third.feed(T0, b"PING\r\n"),
        (
            "-ERR max number of clients reached\r\n".to_string(),
            Status::Close
        )
    );
    assert_eq!(server.clients.len(), 2);
    assert_eq!(first.cmd(&["PING"]), "+PONG\r\n");
    drop(second);
    let mut fourth = Conn::open(&server, None, T0);
    assert_eq!(fourth.session.refusal(), None);
    assert_eq!(fourth.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(info_number(&mut first, T0, "rejected_connections"), 1);
    // The refused connection does not count as received, as in Redis.
    assert_eq!(info_number(&mut first, T0, "total_connections_received"), 3);
    // CONFIG SET applies at once.
    first.cmd(&["CONFIG", "SET", "maxclients", "3"]);
    assert_eq!(Conn::open(&server, None, T0).session.refusal(), None);
}

/// An open-files limit that lets 20,000 clients in, as the pump's would on such a system.
fn twenty_thousand_fit(wanted: u64) -> u64 {
    wanted.min(20_000)
}

#[test]
fn config_set_maxclients_beyond_the_open_files_limit_is_refused_with_what_fits() {
    let server = Server::new(Config::default(), T0).with_open_files(twenty_thousand_fit);
    let mut conn = Conn::open(&Arc::new(server), None, T0);
    let huge: u64 = u32::MAX as u64;
    let fits = 20_000;
    // As Redis: nothing of the CONFIG SET stays set.
    assert_eq!(
        conn.cmd(&[
            "CONFIG",
            "SET",
            "timeout",
            "5",
            "maxclients",
            &huge.to_string()
        ]),
        format!(
            "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - The \
             operating system is not able to handle the specified number of clients, try with \
             {fits}\r\n"
        )
    );
    assert_eq!(
        conn.cmd(&["CONFIG", "GET", "timeout"]),
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n"
    );
    assert_eq!(
        conn.cmd(&["CONFIG", "GET", "maxclients"]),
        "*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
    // What fits is taken.
    assert_eq!(
        conn.cmd(&["CONFIG", "SET", "maxclients", &fits.to_string()]),
        "+OK\r\n"
    );
}

#[test]
fn a_server_opened_where_fewer_clients_fit_lowers_maxclients() {
    // Its files in a directory of its own, with no save rules: nothing to load, nothing saved.
    let dir = std::env::temp_dir().join(format!("radish-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let mut config = Config::default();
    config
        .apply_text(&format!("dir {}\nsave \"\"", dir.display()))
        .expect("valid directives");
    let server = Server::new(config, T0)
        .with_open_files(|_| 64)
        .load(T0)
        .expect("no file to load");
    let _ = std::fs::remove_dir_all(&dir);
    let mut conn = Conn::open(&Arc::new(server), None, T0);
    assert_eq!(
        conn.cmd(&["CONFIG", "GET", "maxclients"]),
        "*2\r\n$10\r\nmaxclients\r\n$2\r\n64\r\n"
    );
}

#[test]
fn protected_mode_turns_away_other_hosts_while_no_password_is_set() {
    let denied = Conn::open(&server(&[]), peer("192.0.2.7:4000"), T0);
    let refusal = String::from_utf8_lossy(denied.session.refusal().expect("denied")).to_string();
    assert!(refusal.starts_with("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface."), "{refusal}");
    assert!(refusal
        .ends_with("in order for the server to start accepting connections from the outside.\r\n"));
    for local in [
        "127.0.0.1:1",
        "127.8.9.10:1",
        "[::1]:1",
        "[::ffff:127.0.0.1]:1",
    ] {
        let conn = Conn::open(&server(&[]), peer(local), T0);
        assert_eq!(conn.session.refusal(), None, "{local}");
    }
    assert_eq!(Conn::open(&server(&[]), None, T0).session.refusal(), None);
    let open = server(&["protected-mode no"]);
    assert_eq!(
        Conn::open(&open, peer("192.0.2.7:4000"), T0)
            .session
            .refusal(),
        None
    );
    let with_password = server(&["requirepass secret"]);
    let mut remote = Conn::open(&with_password, peer("[2001:db8::1]:4000"), T0);
    assert_eq!(remote.session.refusal(), None);
    assert_eq!(
        remote.cmd(&["GET", "k"]),
        "-NOAUTH Authentication required.\r\n"
    );
    // A denied connection counts as rejected, not as received.
    let shared = server(&[]);
    drop(Conn::open(&shared, peer("10.1.2.3:9"), T0));
    let mut local = Conn::open(&shared, None, T0);
    assert_eq!(info_number(&mut local, T0, "rejected_connections"), 1);
    assert_eq!(info_number(&mut local, T0, "total_connections_received"), 1);
    assert_eq!(shared.clients.len(), 1);
}

#[test]
fn config_set_lifts_protected_mode_for_the_next_connections() {
    let server = server(&[]);
    let outside = peer("192.0.2.7:4000");
    let mut admin = Conn::open(&server, None, T0);
    assert!(Conn::open(&server, outside, T0).session.refusal().is_some());
    // A password lets other hosts in, to authenticate.
    admin.cmd(&["CONFIG", "SET", "requirepass", "secret"]);
    let mut remote = Conn::open(&server, outside, T0);
    assert_eq!(remote.session.refusal(), None);
    assert_eq!(
        remote.cmd(&["PING"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(remote.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(remote.cmd(&["PING"]), "+PONG\r\n");
    // Without the password, protected mode turns them away again, unless it is off.
    admin.cmd(&["AUTH", "secret"]);
    admin.cmd(&["CONFIG", "SET", "requirepass", ""]);
    assert!(Conn::open(&server, outside, T0).session.refusal().is_some());
    admin.cmd(&["CONFIG", "SET", "protected-mode", "no"]);
    let mut remote = Conn::open(&server, outside, T0);
    assert_eq!(remote.session.refusal(), None);
    assert_eq!(remote.cmd(&["PING"]), "+PONG\r\n");
    // Connections already in are not affected by a later change.
    admin.cmd(&["CONFIG", "SET", "protected-mode", "yes"]);
    assert_eq!(remote.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(info_number(&mut admin, T0, "rejected_connections"), 2);
}

// --- AUTH ------------------------------------------------------------------------------------

#[test]
fn requirepass_gates_every_command_with_redis_errors() {
    let server = server(&["requirepass secret"]);
    let mut conn = Conn::open(&server, None, T0);
    assert_eq!(
        conn.cmd(&["SET", "k", "v"]),
        "-NOAUTH Authentication required.\r\n"
    );
    assert_eq!(
        conn.cmd(&["AUTH", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(
        conn.cmd(&["AUTH", "default", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(conn.cmd(&["AUTH", "a", "b", "c"]), "-ERR syntax error\r\n");
    assert_eq!(
        conn.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    assert_eq!(conn.cmd(&["HELLO", "3"]), "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n");
    assert_eq!(conn.cmd(&["AUTH", "secret"]), "+OK\r\n");
    assert_eq!(conn.cmd(&["SET", "k", "v"]), "+OK\r\n");
    let mut other = Conn::open(&server, None, T0);
    assert!(other
        .cmd(&["HELLO", "3", "AUTH", "default", "secret"])
        .starts_with("%7\r\n"));
    assert_eq!(other.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn hello_acts_on_each_option_as_it_reads_it_as_redis_7_0_does() {
    let server = server(&["requirepass pw"]);
    let name = |conn: &mut Conn| {
        conn.cmd(&["AUTH", "pw"]);
        conn.cmd(&["CLIENT", "GETNAME"])
    };
    // A name before a failing AUTH, or from a client not authenticated, is set all the same.
    let mut conn = Conn::open(&server, None, T0);
    assert!(conn
        .cmd(&["HELLO", "2", "SETNAME", "foo"])
        .starts_with("-NOAUTH HELLO"));
    assert_eq!(name(&mut conn), "$3\r\nfoo\r\n");
    let mut conn = Conn::open(&server, None, T0);
    let reply = conn.cmd(&["HELLO", "2", "SETNAME", "foo", "AUTH", "default", "bad"]);
    assert!(reply.starts_with("-WRONGPASS"), "{reply}");
    assert_eq!(name(&mut conn), "$3\r\nfoo\r\n");
    // After a failing AUTH, nothing more is read.
    let mut conn = Conn::open(&server, None, T0);
    let reply = conn.cmd(&["HELLO", "2", "AUTH", "default", "bad", "SETNAME", "foo"]);
    assert!(reply.starts_with("-WRONGPASS"), "{reply}");
    assert_eq!(name(&mut conn), "$-1\r\n");
}

#[test]
fn auth_without_a_password_configured() {
    let mut conn = Conn::open(&server(&[]), None, T0);
    assert_eq!(conn.cmd(&["AUTH", "x"]), "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n");
    // The default user has no password: any password is accepted for it.
    assert_eq!(conn.cmd(&["AUTH", "default", "x"]), "+OK\r\n");
    assert_eq!(
        conn.cmd(&["AUTH", "nobody", "x"]),
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
}

#[test]
fn unauthenticated_clients_get_redis_tighter_protocol_limits_until_auth() {
    let server = server(&["requirepass secret"]);
    let (out, status) = Conn::open(&server, None, T0).feed(T0, b"*11\r\n");
    assert_eq!(
        (out.as_str(), status),
        (
            "-ERR Protocol error: unauthenticated multibulk length\r\n",
            Status::Close
        )
    );
    let (out, status) = Conn::open(&server, None, T0).feed(T0, b"*2\r\n$3\r\nGET\r\n$16385\r\n");
    assert_eq!(
        (out.as_str(), status),
        (
            "-ERR Protocol error: unauthenticated bulk length\r\n",
            Status::Close
        )
    );
    // AUTH lifts them for the rest of the same batch.
    let mut conn = Conn::open(&server, None, T0);
    let big = "v".repeat(20_000);
    let mut many: Vec<&str> = vec!["DEL"];
    many.extend(std::iter::repeat("k").take(12));
    let batch = pipeline(&[&["AUTH", "secret"], &["SET", "k", &big], &many]);
    let (out, status) = conn.feed(T0, &batch);
    assert_eq!(
        (out.as_str(), status),
        ("+OK\r\n+OK\r\n:1\r\n", Status::Open)
    );
}

// --- timeout ---------------------------------------------------------------------------------

#[test]
fn timeout_closes_idle_clients_but_not_blocked_or_subscribed_ones() {
    let server = server(&["timeout 10"]);
    let mut idle = Conn::open(&server, None, T0);
    let mut in_multi = Conn::open(&server, None, T0);
    let mut blocked = Conn::open(&server, None, T0);
    let mut subscriber = Conn::open(&server, None, T0);
    let mut active = Conn::open(&server, None, T0);
    idle.cmd(&["PING"]);
    in_multi.cmd(&["MULTI"]);
    assert_eq!(blocked.cmd(&["BLPOP", "list", "0"]), "");
    subscriber.cmd(&["SUBSCRIBE", "news"]);
    let list = active.at(T0 + 5_000, &["CLIENT", "LIST"]);
    let idle_line = list
        .lines()
        .find(|l| l.starts_with(&format!("id={} ", idle.session.client().id)))
        .expect("listed");
    assert!(idle_line.contains(" idle=5 "), "{idle_line}");
    // Idle means more than `timeout` whole seconds, as Redis counts them.
    server.tick(T0 + 10_999);
    assert!(!idle.session.client().is_killed());
    active.at(T0 + 10_000, &["PING"]);
    server.tick(T0 + 11_000);
    assert!(idle.session.client().is_killed());
    assert_eq!(idle.feed(T0 + 11_000, b""), (String::new(), Status::Close));
    // MULTI does not protect a client: Redis's clientsCronHandleTimeout does not exempt it.
    assert!(in_multi.session.client().is_killed());
    assert!(!blocked.session.client().is_killed());
    assert!(!subscriber.session.client().is_killed());
    assert!(!active.session.client().is_killed());
    server.tick(T0 + 21_000);
    assert!(active.session.client().is_killed());
    assert!(!blocked.session.client().is_killed());
}

#[test]
fn timeout_zero_never_closes() {
    let server = server(&[]);
    let conn = Conn::open(&server, None, T0);
    server.tick(T0 + 86_400_000);
    assert!(!conn.session.client().is_killed());
}

// --- output buffer limits --------------------------------------------------------------------

#[test]
fn a_pipeline_past_the_hard_output_limit_closes_the_client_without_its_replies() {
    let server = server(&["client-output-buffer-limit normal 1mb 0 0"]);
    let mut conn = Conn::open(&server, None, T0);
    let value = "x".repeat(100 * 1024);
    conn.cmd(&["SET", "big", &value]);
    let gets: Vec<&[&str]> = vec![&["GET", "big"]; 9];
    let (out, status) = conn.feed(T0, &pipeline(&gets));
    assert_eq!(status, Status::Open, "900 KiB is under the limit");
    assert_eq!(out.len(), 9 * (value.len() + "$102400\r\n\r\n".len()));
    let gets: Vec<&[&str]> = vec![&["GET", "big"]; 1000];
    let (out, status) = conn.feed(T0, &pipeline(&gets));
    assert_eq!((out.len(), status), (0, Status::Close));
    assert!(conn.session.client().is_killed());
    let mut other = Conn::open(&server, None, T0);
    assert_eq!(other.cmd(&["STRLEN", "big"]), ":102400\r\n");
}

#[test]
fn output_over_the_soft_limit_gets_a_deadline_that_sending_it_lifts() {
    let server = server(&["client-output-buffer-limit normal 0 300kb 2"]);
    let mut conn = Conn::open(&server, None, T0);
    conn.cmd(&["SET", "big", &"x".repeat(100 * 1024)]);
    let over: Vec<&[&str]> = vec![&["GET", "big"]; 4];
    let (out, status) = conn.feed(T0 + 500, &pipeline(&over));
    assert_eq!((out.len() > 400 * 1024, status), (true, Status::Open));
    // The adapter closes the client if that output is still unsent when the soft limit's
    // seconds are over (more than 2 whole seconds, as Redis counts them).
    assert_eq!(conn.session.client().output_deadline(), Some(T0 + 3_000));
    // The adapter only runs the session again once it has sent everything: under the limit.
    conn.at(T0 + 1_000, &["PING"]);
    assert_eq!(conn.session.client().output_deadline(), None);
    assert!(!conn.session.client().is_killed());
}

#[test]
fn replies_that_fit_the_reply_buffer_do_not_count_against_the_limits() {
    // As Redis, whose 16 KiB static reply buffer is not output buffer memory.
    let server = server(&["client-output-buffer-limit normal 10 10 0 pubsub 100 0 0"]);
    let mut conn = Conn::open(&server, None, T0);
    assert!(conn
        .cmd(&["CONFIG", "GET", "client-output-buffer-limit"])
        .contains("normal 10 10 0"));
    let mut subscriber = Conn::open(&server, None, T0);
    subscriber.cmd(&["SUBSCRIBE", "ch"]);
    assert_eq!(conn.cmd(&["PUBLISH", "ch", &"m".repeat(200)]), ":1\r\n");
    assert!(!subscriber.session.client().is_killed());
    assert!(!conn.session.client().is_killed());
    // Beyond it, the limits apply.
    conn.cmd(&["SET", "big", &"x".repeat(20_000)]);
    let (out, status) = conn.feed(T0, &resp(&["GET", "big"]));
    assert_eq!((out.len(), status), (0, Status::Close));
}

#[test]
fn a_subscriber_left_over_the_soft_limit_is_closed_by_the_tick_with_no_more_traffic() {
    let server = server(&["client-output-buffer-limit pubsub 0 20kb 1"]);
    let mut publisher = Conn::open(&server, None, T0);
    let mut subscriber = Conn::open(&server, None, T0);
    subscriber.cmd(&["SUBSCRIBE", "ch"]);
    // 40 KB waits for a subscriber that does not read: more than the reply buffer holds.
    assert_eq!(
        publisher.at(T0, &["PUBLISH", "ch", &"m".repeat(40_000)]),
        ":1\r\n"
    );
    let omem = |conn: &mut Conn| {
        let list = conn.cmd(&["CLIENT", "LIST"]);
        let line = list
            .lines()
            .find(|l| l.contains(" sub=1 "))
            .unwrap()
            .to_string();
        line.split(" omem=")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    let usage = omem(&mut publisher);
    assert!((40_000..40_100).contains(&usage), "omem={usage}");
    // Nothing more is published: the tick closes it once it was over for more than a second.
    server.tick(T0 + 1_000);
    assert!(!subscriber.session.client().is_killed());
    server.tick(T0 + 2_000);
    assert!(subscriber.session.client().is_killed());
}

#[test]
fn queued_messages_count_in_used_memory_until_the_subscriber_leaves() {
    let server = server(&[]);
    let mut publisher = Conn::open(&server, None, T0);
    let mut subscriber = Conn::open(&server, None, T0);
    subscriber.cmd(&["SUBSCRIBE", "ch"]);
    let before = info_number(&mut publisher, T0, "used_memory");
    publisher.cmd(&["PUBLISH", "ch", &"m".repeat(100_000)]);
    assert!(info_number(&mut publisher, T0, "mem_clients_normal") >= 100_000);
    assert!(info_number(&mut publisher, T0, "used_memory") >= before + 100_000);
    // It leaves without reading them (a closed socket): no longer counted.
    drop(subscriber);
    assert_eq!(info_number(&mut publisher, T0, "mem_clients_normal"), 0);
}

#[test]
fn maxmemory_clients_closes_the_clients_holding_the_most_but_not_no_evict_ones() {
    // 1% of 10 MB: about 100 KB of clients' buffers at most.
    let server = server(&["maxmemory 10mb", "maxmemory-clients 1%"]);
    let mut publisher = Conn::open(&server, None, T0);
    let mut greedy = Conn::open(&server, None, T0);
    let mut protected = Conn::open(&server, None, T0);
    greedy.cmd(&["SUBSCRIBE", "ch"]);
    protected.cmd(&["CLIENT", "NO-EVICT", "on"]);
    assert!(protected.cmd(&["CLIENT", "INFO"]).contains(" flags=e "));
    protected.cmd(&["SUBSCRIBE", "ch"]);
    // 80 KB queued for each of the two: over the limit; the one that may go, goes.
    assert_eq!(
        publisher.cmd(&["PUBLISH", "ch", &"m".repeat(80_000)]),
        ":2\r\n"
    );
    assert!(greedy.session.client().is_killed());
    assert!(!protected.session.client().is_killed());
    assert_eq!(info_number(&mut publisher, T0, "evicted_clients"), 1);
    assert_eq!(info_number(&mut publisher, T0, "evicted_keys"), 0);
    // Off, nothing is closed.
    publisher.cmd(&["CONFIG", "SET", "maxmemory-clients", "0"]);
    publisher.cmd(&["PUBLISH", "ch", &"m".repeat(80_000)]);
    server.tick(T0 + 100);
    assert!(!protected.session.client().is_killed());
}

#[test]
fn normal_clients_are_unlimited_by_default() {
    let server = server(&[]);
    let mut conn = Conn::open(&server, None, T0);
    conn.cmd(&["SET", "big", &"x".repeat(1024 * 1024)]);
    let gets: Vec<&[&str]> = vec![&["GET", "big"]; 40];
    let (out, status) = conn.feed(T0, &pipeline(&gets));
    assert_eq!(status, Status::Open);
    assert!(out.len() > 40 * 1024 * 1024);
}

// --- maxmemory -------------------------------------------------------------------------------

#[test]
fn a_maxmemory_of_one_megabyte_leaves_room_for_data_as_in_redis() {
    // Redis 7.0 takes about 480 SETs of 100-byte values under `maxmemory 1mb` before OOM,
    // and with allkeys-lru keeps taking them by evicting.
    let mut conn = Conn::open(&server(&["maxmemory 1mb"]), None, T0);
    let value = "x".repeat(100);
    let taken = (0..5_000)
        .take_while(|i| conn.cmd(&["SET", &format!("key{i}"), &value]) == "+OK\r\n")
        .count();
    assert!((400..5_000).contains(&taken), "{taken} SETs before OOM");
    assert_eq!(conn.cmd(&["SET", "more", &value]), OOM);
    conn.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    for i in 0..500 {
        assert_eq!(conn.cmd(&["SET", &format!("new{i}"), &value]), "+OK\r\n");
    }
    let evicted = info_number(&mut conn, T0, "evicted_keys");
    assert!(evicted >= 450, "{evicted}");
}

/// Sets `maxmemory` to what is used now plus `headroom` bytes.
fn limit_memory(conn: &mut Conn, now: Millis, headroom: u64) -> u64 {
    let limit = info_number(conn, now, "used_memory") + headroom;
    let reply = conn.at(now, &["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    assert_eq!(reply, "+OK\r\n");
    limit
}

#[test]
fn noeviction_refuses_writes_that_grow_memory_but_serves_reads_and_deletes() {
    let server = server(&[]);
    let mut conn = Conn::open(&server, None, T0);
    conn.cmd(&["SET", "keep", "me"]);
    limit_memory(&mut conn, T0, 64 * 1024);
    let mut queued = conn.connect();
    queued.cmd(&["MULTI"]);
    assert_eq!(queued.cmd(&["SET", "late", "v"]), "+QUEUED\r\n");
    let value = "v".repeat(1000);
    let mut stored = 0;
    let error = loop {
        let reply = conn.cmd(&["SET", &format!("k{stored}"), &value]);
        if reply != "+OK\r\n" {
            break reply;
        }
        stored += 1;
        assert!(stored < 1000, "never ran out of memory");
    };
    assert_eq!(error, OOM);
    assert!(stored > 30, "only {stored} keys fit");
    assert_eq!(conn.cmd(&["GET", "keep"]), "$2\r\nme\r\n");
    assert_eq!(conn.cmd(&["LPUSH", "l", "x"]), OOM);
    assert_eq!(conn.cmd(&["EXISTS", "k0"]), ":1\r\n");
    // Inside MULTI anything but EXEC, DISCARD, QUIT and RESET is refused, which dooms EXEC.
    assert_eq!(conn.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(conn.cmd(&["GET", "keep"]), OOM);
    assert_eq!(
        conn.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // An EXEC holding a write queued before memory ran out is refused, and discards it.
    assert_eq!(
        queued.cmd(&["EXEC"]),
        format!("-EXECABORT Transaction discarded because of: {}", &OOM[1..])
    );
    assert_eq!(queued.cmd(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
    let mut other = Conn::open(&server, None, T0);
    assert_eq!(other.cmd(&["SET", "x", "y"]), OOM);
    assert_eq!(other.cmd(&["DEL", "k0", "k1", "k2", "k3", "k4"]), ":5\r\n");
    assert_eq!(other.cmd(&["SET", "x", "y"]), "+OK\r\n");
    assert_eq!(info_number(&mut other, T0, "evicted_keys"), 0);
}

/// Fills the server past a limit of `headroom` bytes over what it uses now, with `count`
/// keys of 1000 bytes named `new:<i>` whose TTL (when `ttl`) grows with `i`.
fn overfill(conn: &mut Conn, now: Millis, headroom: u64, count: usize, ttl: bool) -> u64 {
    let limit = limit_memory(conn, now, headroom);
    let value = "v".repeat(1000);
    for i in 0..count {
        let key = format!("new:{i}");
        let mut args = vec!["SET", key.as_str(), value.as_str()];
        let seconds = (1000 + i).to_string();
        if ttl {
            args.extend(["EX", seconds.as_str()]);
        }
        assert_eq!(conn.at(now, &args), "+OK\r\n");
    }
    limit
}

fn present(conn: &mut Conn, now: Millis, keys: impl Iterator<Item = String>) -> usize {
    keys.filter(|key| conn.at(now, &["EXISTS", key]) == ":1\r\n")
        .count()
}

#[test]
fn evicting_policies_keep_memory_under_the_limit_and_count_evictions() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let server = server(&[&format!("maxmemory-policy {policy}")]);
        let mut conn = Conn::open(&server, None, T0);
        let limit = overfill(&mut conn, T0, 200 * 1024, 1000, false);
        let used = info_number(&mut conn, T0, "used_memory");
        assert!(used <= limit, "{policy}: {used} > {limit}");
        let evicted = info_number(&mut conn, T0, "evicted_keys");
        let left = present(&mut conn, T0, (0..1000).map(|i| format!("new:{i}")));
        assert_eq!(left as u64 + evicted, 1000, "{policy}");
        assert!(evicted > 500, "{policy}: {evicted}");
    }
}

#[test]
fn volatile_policies_evict_only_keys_with_a_deadline_and_fail_without_them() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let server = server(&[&format!("maxmemory-policy {policy}")]);
        let mut conn = Conn::open(&server, None, T0);
        for i in 0..100 {
            conn.cmd(&["SET", &format!("persistent:{i}"), &"p".repeat(1000)]);
        }
        overfill(&mut conn, T0, 100 * 1024, 400, true);
        assert_eq!(
            present(&mut conn, T0, (0..100).map(|i| format!("persistent:{i}"))),
            100,
            "{policy}"
        );
        assert!(info_number(&mut conn, T0, "evicted_keys") > 200, "{policy}");
        // With no key left to evict, writes get the OOM error.
        let mut refused = false;
        for i in 0..400 {
            let reply = conn.cmd(&["SET", &format!("more:{i}"), &"m".repeat(1000)]);
            if reply == OOM {
                refused = true;
                break;
            }
        }
        assert!(refused, "{policy}");
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines_first() {
    // Sampling every key gives the exact order; Redis's default of 5 samples approximates it.
    for samples in ["1000", "5"] {
        let server = server(&[
            "maxmemory-policy volatile-ttl",
            &format!("maxmemory-samples {samples}"),
        ]);
        let mut conn = Conn::open(&server, None, T0);
        // 400 keys whose TTL grows with their number.
        overfill(&mut conn, T0, 1024 * 1024, 400, true);
        let lower = info_number(&mut conn, T0, "used_memory") - 100 * 1024;
        conn.cmd(&["CONFIG", "SET", "maxmemory", &lower.to_string()]);
        let evicted = info_number(&mut conn, T0, "evicted_keys") as usize;
        assert!(evicted >= 50, "{evicted}");
        let gone: Vec<usize> = (0..400)
            .filter(|i| conn.cmd(&["EXISTS", &format!("new:{i}")]) == ":0\r\n")
            .collect();
        assert_eq!(gone.len(), evicted);
        if samples == "1000" {
            assert_eq!(gone, (0..evicted).collect::<Vec<_>>());
        } else {
            // Mostly the nearest: their numbers average about 60; random picks, 200.
            let average = gone.iter().sum::<usize>() / gone.len();
            assert!(average < 100, "evicted {gone:?}");
        }
    }
}

#[test]
fn allkeys_lru_keeps_recently_used_keys() {
    let server = server(&["maxmemory-policy allkeys-lru"]);
    let mut conn = Conn::open(&server, None, T0);
    let value = "c".repeat(1000);
    for i in 0..1000 {
        conn.cmd(&["SET", &format!("cold:{i}"), &value]);
    }
    // Every tenth key is read 100 s later; new keys come 200 s in.
    for i in (0..1000).step_by(10) {
        conn.at(T0 + 100_000, &["GET", &format!("cold:{i}")]);
    }
    overfill(&mut conn, T0 + 200_000, 0, 500, false);
    let now = T0 + 200_000;
    assert!(info_number(&mut conn, now, "evicted_keys") >= 450);
    let hot = present(
        &mut conn,
        now,
        (0..1000).step_by(10).map(|i| format!("cold:{i}")),
    );
    assert_eq!(hot, 100, "recently used keys were evicted");
    let idle = conn.at(now, &["OBJECT", "IDLETIME", "cold:0"]);
    assert_eq!(idle, ":100\r\n");
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let server = server(&["maxmemory-policy allkeys-lfu"]);
    let mut conn = Conn::open(&server, None, T0);
    let value = "c".repeat(1000);
    for i in 0..1000 {
        conn.cmd(&["SET", &format!("key:{i}"), &value]);
    }
    for _ in 0..20 {
        for i in (0..1000).step_by(10) {
            conn.cmd(&["GET", &format!("key:{i}")]);
        }
    }
    overfill(&mut conn, T0, 0, 500, false);
    assert!(info_number(&mut conn, T0, "evicted_keys") >= 450);
    let frequent = present(
        &mut conn,
        T0,
        (0..1000).step_by(10).map(|i| format!("key:{i}")),
    );
    assert_eq!(frequent, 100, "frequently used keys were evicted");
}

// --- LRU and LFU fields ----------------------------------------------------------------------

#[test]
fn object_idletime_follows_the_lru_clock() {
    let mut conn = Conn::open(&server(&[]), None, T0);
    conn.cmd(&["SET", "k", "v"]);
    assert_eq!(
        conn.at(T0 + 42_500, &["OBJECT", "IDLETIME", "k"]),
        ":42\r\n"
    );
    conn.at(T0 + 50_000, &["GET", "k"]);
    assert_eq!(
        conn.at(T0 + 60_000, &["OBJECT", "IDLETIME", "k"]),
        ":10\r\n"
    );
    assert_eq!(
        conn.at(T0, &["OBJECT", "FREQ", "k"]),
        "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
    );
}

#[test]
fn object_freq_counts_logarithmically_and_decays_with_time() {
    let mut conn = Conn::open(&server(&["maxmemory-policy allkeys-lfu"]), None, T0);
    conn.cmd(&["SET", "k", "v"]);
    assert_eq!(conn.cmd(&["OBJECT", "FREQ", "k"]), ":5\r\n");
    conn.cmd(&["GET", "k"]);
    assert_eq!(conn.cmd(&["OBJECT", "FREQ", "k"]), ":6\r\n");
    // An overwrite keeps the counter, as in Redis 7.0.
    conn.cmd(&["SET", "k", "w"]);
    let after_set = conn.cmd(&["OBJECT", "FREQ", "k"]);
    assert!(
        after_set == ":6\r\n" || after_set == ":7\r\n",
        "{after_set}"
    );
    let counter: u64 = after_set[1..after_set.len() - 2].parse().expect("integer");
    // lfu-decay-time 1: one less per minute idle.
    let later = conn.at(T0 + 4 * 60_000, &["OBJECT", "FREQ", "k"]);
    assert_eq!(later, format!(":{}\r\n", counter - 4));
    conn.at(T0, &["CONFIG", "SET", "lfu-decay-time", "0"]);
    let never = conn.at(T0 + 600 * 60_000, &["OBJECT", "FREQ", "k"]);
    assert_eq!(never, format!(":{counter}\r\n"));
    assert_eq!(
        conn.cmd(&["OBJECT", "IDLETIME", "k"]),
        "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
    );
}

// --- memory accounting -----------------------------------------------------------------------

#[test]
fn used_memory_follows_the_data() {
    let mut conn = Conn::open(&server(&[]), None, T0);
    let empty = info_number(&mut conn, T0, "used_memory");
    let value = "v".repeat(1000);
    for i in 0..1000 {
        conn.cmd(&["SET", &format!("k{i}"), &value]);
    }
    for i in 0..100 {
        conn.cmd(&["RPUSH", "list", &value]);
        conn.cmd(&["HSET", "hash", &format!("f{i}"), &value]);
        conn.cmd(&["SADD", "set", &format!("{i}{value}")]);
        conn.cmd(&["ZADD", "zset", &i.to_string(), &format!("{i}{value}")]);
    }
    let full = info_number(&mut conn, T0, "used_memory");
    // 1400 values of 1000 bytes, each in a 1024-byte malloc chunk, plus keys and tables.
    let grown = full - empty;
    assert!((1400 * 1024..1400 * 1400).contains(&grown), "{grown}");
    conn.cmd(&["FLUSHALL"]);
    assert_eq!(info_number(&mut conn, T0, "used_memory"), empty);
}
