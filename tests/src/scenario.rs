//! Running a `redis` crate scenario on both runtimes and in both protocols.

use redis::{Connection, RedisResult};

use crate::{TestServer, RUNTIMES};

/// The protocols every scenario runs in, as the `redis` crate's URL names them.
pub const PROTOCOLS: [&str; 2] = ["resp2", "resp3"];

/// A connection in `protocol`, on an emptied server.
pub fn connect(server: &TestServer, protocol: &str) -> RedisResult<Connection> {
    let url = format!("redis://{}/?protocol={protocol}", server.addr);
    let mut con = redis::Client::open(url)?.get_connection()?;
    redis::cmd("FLUSHALL").exec(&mut con)?;
    Ok(con)
}

/// Runs `scenario` on both runtimes and in both protocols, with the server at hand (for
/// scenarios that open more connections).
pub fn everywhere_with_server(
    scenario: impl Fn(&mut Connection, &TestServer, &str) -> RedisResult<()>,
) {
    for runtime in RUNTIMES {
        let server = runtime.start();
        for protocol in PROTOCOLS {
            let mut con = connect(&server, protocol).expect("connect");
            if let Err(err) = scenario(&mut con, &server, protocol) {
                panic!("{runtime:?} {protocol}: {err}");
            }
        }
    }
}

/// Runs `scenario` on both runtimes and in both protocols.
pub fn everywhere(scenario: fn(&mut Connection, &str) -> RedisResult<()>) {
    everywhere_with_server(|con, _, protocol| scenario(con, protocol));
}
