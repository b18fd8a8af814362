//! redis-py (the Python client, RESP2 and RESP3) against both runtimes: the scenarios in
//! `tests/py/scenarios.py` run first against a real redis-server, which proves the script's
//! expectations, then against radish.
//!
//! redis-py must be installed (`.ci/run` installs it with pip): a missing module fails the test
//! rather than skipping it.

use radish_tests::python::{on_redis_then_radish, run_python};

#[test]
fn redis_py_scenarios_pass_on_redis_and_both_runtimes() {
    on_redis_then_radish(|addr| {
        for protocol in ["2", "3"] {
            run_python(
                "scenarios.py",
                addr,
                &[protocol],
                &format!("RESP{protocol}: ok"),
            )
            .map_err(|failure| format!("RESP{protocol}: {failure}"))?;
        }
        Ok(())
    });
}
