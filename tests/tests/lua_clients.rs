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
//! fails the test rather than skipping it. Each script run is killed after a time limit.

use radish_tests::python::{on_redis_then_radish, run_python};

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
