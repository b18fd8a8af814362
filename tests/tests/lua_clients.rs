//! Lua scripting as real client libraries use it, on a real redis-server first (which proves
//! each scenario's expectations) and then on both runtimes:
//!
//! - `tests/py/scripting.py` (redis-py, RESP2 and RESP3): `Lock` (its release, extend and
//!   reacquire are scripts), `register_script` Script objects (EVALSHA, NOSCRIPT, SCRIPT LOAD,
//!   in pipelines and MULTI, after SCRIPT FLUSH), a rate limiter run from several connections at
//!   once, Lua values and libraries, RESP3 replies from scripts byte for byte, and the FUNCTION
//!   API.
//! - `tests/py/dramatiq_queue.py`: a Dramatiq job queue end to end, its Redis broker changing
//!   the queue only through its `dispatch.lua` script (one EVALSHA per enqueue, fetch, ack,
//!   nack, with maintenance that requeues a dead worker's jobs and expires dead letters): plain,
//!   pipelined, delayed and retried jobs, a dead-lettered one, results through the Redis result
//!   backend, an in-process worker.
//!
//! redis-py and dramatiq must be installed (`.ci/test` installs them with pip): a missing module
//! fails the test rather than skipping it. Each script run is killed after `LIMIT`.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use radish_tests::{RedisServer, RUNTIMES};

/// The longest one script run may take; each normally takes a few seconds.
const LIMIT: Duration = Duration::from_secs(90);

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("py")
        .join(name)
}

/// Runs `python3 py/<name> <port> <extra…>`; `Err` with its output unless it exits 0 within
/// `LIMIT` printing `ok_line`.
fn run_python(name: &str, addr: SocketAddr, extra: &[&str], ok_line: &str) -> Result<(), String> {
    let mut child = Command::new("python3")
        .arg(script(name))
        .arg(addr.port().to_string())
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be installed (.ci/test installs it)");
    // Read both pipes on threads, so that a chatty script cannot block on a full pipe while
    // the test waits for it to exit.
    let readers = [
        drain(child.stdout.take().expect("stdout")),
        drain(child.stderr.take().expect("stderr")),
    ];
    let deadline = Instant::now() + LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for python3") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let [stdout, stderr] = readers.map(|reader| reader.join().expect("pipe reader"));
    match status {
        Some(status) if status.success() && stdout.contains(ok_line) => Ok(()),
        Some(status) => Err(format!("{status}\n{stdout}{stderr}")),
        None => Err(format!("killed after {LIMIT:?}\n{stdout}{stderr}")),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Runs `scenario` against redis-server (which must pass: it proves the expectations), then
/// against each runtime; reports every runtime's failure at once.
fn on_redis_then_radish(scenario: impl Fn(SocketAddr) -> Result<(), String>) {
    let reference = RedisServer::start();
    if let Err(failure) = scenario(reference.addr) {
        // Not radish's fault: the scenario or the setup (a missing module, say) is wrong.
        panic!("against redis-server, which must pass:\n{failure}");
    }
    drop(reference);
    let mut failures = Vec::new();
    for runtime in RUNTIMES {
        let server = runtime.start();
        if let Err(failure) = scenario(server.addr) {
            failures.push(format!("against {runtime:?}:\n{failure}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn redis_py_scripting_passes_on_redis_and_both_runtimes() {
    on_redis_then_radish(|addr| {
        for protocol in ["2", "3"] {
            run_python(
                "scripting.py",
                addr,
                &[protocol],
                &format!("scripting RESP{protocol}: ok"),
            )
            .map_err(|failure| format!("RESP{protocol}: {failure}"))?;
        }
        Ok(())
    });
}

#[test]
fn dramatiq_queue_passes_on_redis_and_both_runtimes() {
    on_redis_then_radish(|addr| run_python("dramatiq_queue.py", addr, &[], "dramatiq: ok"));
}
