//! Python clients against a real redis-server, then against both runtimes: each scenario is a
//! script under `tests/py/` taking the server's port, and redis-server passing it proves its
//! expectations.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{RedisServer, RUNTIMES};

/// The longest one script run may take; each normally takes a few seconds.
const LIMIT: Duration = Duration::from_secs(90);

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("py")
        .join(name)
}

/// Runs `python3 py/<name> <port> <extra…>`; `Err` with its output unless it exits 0 within
/// `LIMIT` printing `ok_line`.
pub fn run_python(
    name: &str,
    addr: SocketAddr,
    extra: &[&str],
    ok_line: &str,
) -> Result<(), String> {
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
pub fn on_redis_then_radish(scenario: impl Fn(SocketAddr) -> Result<(), String>) {
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
