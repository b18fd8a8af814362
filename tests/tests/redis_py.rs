//! redis-py (the Python client, RESP2 and RESP3) against both runtimes: the scenarios in
//! `tests/py/scenarios.py` run first against a real redis-server, which proves the script's
//! expectations, then against radish.
//!
//! redis-py must be installed (`.ci/run` installs it with pip): a missing module fails the test
//! rather than skipping it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;

use radish_tests::{RedisServer, RUNTIMES};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py/scenarios.py")
}

/// Runs the scenarios in one protocol against `addr`; panics with the script's message on a
/// mismatch.
fn run_scenarios(addr: SocketAddr, protocol: u8, against: &str) {
    let output = Command::new("python3")
        .arg(script())
        .arg(addr.port().to_string())
        .arg(protocol.to_string())
        .output()
        .expect("python3 must be installed (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "redis-py RESP{protocol} against {against} failed:\n{stdout}{stderr}"
    );
    assert!(
        stdout.contains(&format!("RESP{protocol}: ok")),
        "unexpected output from the scenarios against {against}: {stdout}"
    );
}

#[test]
fn redis_py_scenarios_pass_on_redis_and_both_runtimes() {
    let reference = RedisServer::start();
    for protocol in [2, 3] {
        run_scenarios(reference.addr, protocol, "redis-server");
    }
    for runtime in RUNTIMES {
        let server = runtime.start();
        for protocol in [2, 3] {
            run_scenarios(server.addr, protocol, &format!("{runtime:?}"));
        }
    }
}
