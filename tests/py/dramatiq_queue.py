"""A Dramatiq job queue end to end, run by tests/tests/lua_clients.rs against redis-server first
(which proves the expectations) and then radish.

Dramatiq's Redis broker keeps a queue's state in lists, hashes, sets and sorted sets and
changes it only through one Lua script, `dispatch.lua`, sent by EVALSHA: enqueue, fetch, ack,
nack (to the dead-letter queue), requeue, purge and qsize are each one call, and with
maintenance on (every call here) each call also looks for dead workers (ZRANGEBYSCORE on the
heartbeats, SMEMBERS of their ack sets, KEYS inside the script) and expires dead letters. A
second script, `maxstack.lua`, finds how many values `unpack` takes by calling it under
`pcall` until it fails. No stream command is used.

The scenario: plain jobs, a pipeline of two jobs, delayed jobs (through the delay queue and
back), a job that fails once and is retried, a job that fails until it is dead-lettered, and
jobs fetched by a worker that then dies, which the live worker's maintenance requeues, all run
by an in-process worker (threads); results come back through Dramatiq's Redis result backend.
Every EVALSHA the clients send is counted and must match the server's INFO commandstats.

Usage: python3 dramatiq_queue.py PORT
Exits non-zero with a message on the first mismatch; gives up after 45 s.
"""

import json
import logging
import os
import sys
import threading
import time
import traceback

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis
from dramatiq.middleware import CurrentMessage, Retries
from dramatiq.results import Results, ResultFailure
from dramatiq.results.backends import RedisBackend

NS = "radish-e2e"
QUEUE = "jobs"
# The scenario as a whole stops itself past this, whatever hangs.
WATCHDOG_SECONDS = 45
# Each wait for the worker to get somewhere.
WAIT_SECONDS = 20
# A worker that sends no heartbeat for this long is dead to the others' maintenance.
HEARTBEAT_MS = 1500
MIN_BACKOFF_MS = 200
MAX_BACKOFF_MS = 400
DELAY_MS = 600

PLAIN = 30
DELAYED = 3
ORPHANS = 2


class Mismatch(Exception):
    pass


def check(label, got, want):
    if got != want:
        raise Mismatch(f"{label}: got {got!r}, want {want!r}")


def check_true(label, condition, detail):
    if not condition:
        raise Mismatch(f"{label}: {detail}")


class Recording(redis.Redis):
    """Counts the EVALSHA and EVAL commands it sends, to compare with INFO commandstats."""

    sent = {"EVALSHA": 0, "EVAL": 0}
    lock = threading.Lock()

    def execute_command(self, *args, **options):
        name = str(args[0]).upper()
        if name in self.sent:
            with self.lock:
                self.sent[name] += 1
        return super().execute_command(*args, **options)


class CountingBroker(RedisBroker):
    """Counts the broker's dispatch.lua calls by command (enqueue, fetch, ack, ...)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = {}
        self.calls_lock = threading.Lock()

    def _dispatch(self, command):
        dispatch = super()._dispatch(command)

        def counted(queue_name, *args):
            with self.calls_lock:
                self.calls[command] = self.calls.get(command, 0) + 1
            return dispatch(queue_name, *args)

        return counted


class Errors(logging.Handler):
    """Keeps Dramatiq's error logs but the expected ones (the actors that fail on purpose):
    a consumer that cannot talk to the server logs CRITICAL and retries forever."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        expected = record.getMessage().startswith("Failed to process message") and (
            record.exc_info and isinstance(record.exc_info[1], Planned)
        )
        if not expected:
            self.records.append(self.format(record))


class Planned(Exception):
    """What the failing actors raise."""


def client(port):
    return Recording(host="127.0.0.1", port=port, socket_timeout=10)


def wait_until(label, condition, errors, describe):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if errors.records:
            raise Mismatch(f"{label}: dramatiq logged errors:\n" + "\n".join(errors.records))
        if time.monotonic() > deadline:
            raise Mismatch(f"{label}: gave up after {WAIT_SECONDS} s: {describe()}")
        time.sleep(0.02)


def keys(r, pattern):
    return sorted(key.decode() for key in r.scan_iter(match=pattern, count=1000))


def scenario(port):
    r = client(port)
    check("PING", r.ping(), True)
    for key in keys(r, f"{NS}*"):
        r.delete(key)
    # A fresh script cache: each script's first EVALSHA gets NOSCRIPT, then redis-py loads it.
    r.script_flush()
    r.config_resetstat()
    Recording.sent.update(EVALSHA=0, EVAL=0)

    errors = Errors()
    errors.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger("dramatiq").addHandler(errors)

    broker = CountingBroker(
        client=client(port),
        namespace=NS,
        maintenance_chance=1_000_000,  # maintenance on every call but ack and nack
        heartbeat_timeout=HEARTBEAT_MS,
    )
    backend = RedisBackend(
        client=client(port), namespace=f"{NS}-results", use_namespace_prefix_keys=True
    )
    broker.add_middleware(Results(backend=backend))
    broker.add_middleware(CurrentMessage())
    for middleware in broker.middleware:
        if isinstance(middleware, Retries):
            middleware.min_backoff = MIN_BACKOFF_MS
            middleware.max_backoff = MAX_BACKOFF_MS
    dramatiq.set_broker(broker)

    # maxstack.lua: Lua 5.1's unpack takes at most LUAI_MAXCSTACK (8000) values, so the
    # doubling search stops at 7992; the broker uses half.
    check("maxstack.lua", broker.scripts["maxstack"](), 7992)
    check("max unpack size", broker._max_unpack_size(), 3996)

    lock = threading.Lock()
    runs = {}  # (actor, key) -> [(ms, retries option), ...]

    def note(actor, key):
        message = CurrentMessage.get_current_message()
        with lock:
            # In whole milliseconds, as Dramatiq stamps heartbeats and etas.
            runs.setdefault((actor, key), []).append(
                (current_millis(), message.options.get("retries", 0))
            )
            return len(runs[(actor, key)])

    def add(a, b):
        note("add", (a, b))
        return a + b

    def stamp(tag):
        note("stamp", tag)
        return f"stamped {tag}"

    def flaky(key):
        if note("flaky", key) == 1:
            raise Planned(f"flaky {key} fails its first run")
        return f"{key} succeeded"

    def doomed(key):
        note("doomed", key)
        raise Planned(f"doomed {key} always fails")

    add = dramatiq.actor(add, queue_name=QUEUE, store_results=True)
    stamp = dramatiq.actor(stamp, queue_name=QUEUE, store_results=True)
    flaky = dramatiq.actor(flaky, queue_name=QUEUE, store_results=True, max_retries=3)
    doomed = dramatiq.actor(doomed, queue_name=QUEUE, store_results=True, max_retries=1)

    queue_key, msgs_key = f"{NS}:{QUEUE}", f"{NS}:{QUEUE}.msgs"
    delay_key, delay_msgs_key = f"{NS}:{QUEUE}.DQ", f"{NS}:{QUEUE}.DQ.msgs"
    dead_key, dead_msgs_key = f"{NS}:{QUEUE}.XQ", f"{NS}:{QUEUE}.XQ.msgs"
    heartbeats = f"{NS}:__heartbeats__"

    # A worker that fetches two jobs and dies without acking them.
    orphans = [add.send(1000 + i, 1) for i in range(ORPHANS)]
    check("LLEN queue after 2 enqueues", r.llen(queue_key), ORPHANS)
    check("HLEN messages after 2 enqueues", r.hlen(msgs_key), ORPHANS)
    ghost = CountingBroker(client=client(port), namespace=NS, heartbeat_timeout=HEARTBEAT_MS)
    ghost.declare_queue(QUEUE)
    consumer = ghost.consume(QUEUE, prefetch=ORPHANS, timeout=100)
    fetched = [next(consumer) for _ in range(ORPHANS)]
    check(
        "ghost fetched",
        sorted(message.args for message in fetched),
        sorted(message.args for message in orphans),
    )
    ghost_acks = f"{NS}:__acks__.{ghost.broker_id}.{QUEUE}"
    check(
        "ghost's ack set",
        sorted(member.decode() for member in r.smembers(ghost_acks)),
        sorted(message.options["redis_message_id"] for message in fetched),
    )
    check("LLEN queue after the ghost's fetch", r.llen(queue_key), 0)
    check("HLEN messages after the ghost's fetch", r.hlen(msgs_key), ORPHANS)
    # The ghost's last heartbeat: the time its fetch was sent (the client's clock).
    ghost_died = r.zscore(heartbeats, ghost.broker_id)
    check_true("ghost's heartbeat", ghost_died is not None, "missing")

    plain = [add.send(i, i) for i in range(PLAIN)]
    pipe = dramatiq.pipeline([add.message(1, 2), add.message(10)]).run()
    delayed = [stamp.send_with_options(args=(i,), delay=DELAY_MS) for i in range(DELAYED)]
    etas = {message.args[0]: message.options["eta"] for message in delayed}
    retried = flaky.send("f")
    dead = doomed.send("d")
    # The orphans are out of the list (fetched) but not acked; the pipeline's second job is
    # enqueued only once the first is done.
    queued = ORPHANS + PLAIN + 1 + 2
    check("LLEN queue before the worker", r.llen(queue_key), queued - ORPHANS)
    check("HLEN messages before the worker", r.hlen(msgs_key), queued)
    check("LLEN delay queue before the worker", r.llen(delay_key), DELAYED)
    check("HLEN delay messages before the worker", r.hlen(delay_msgs_key), DELAYED)
    check("qsize before the worker", broker.do_qsize(QUEUE), queued + DELAYED)

    worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=100)
    worker.start()
    started = time.monotonic()
    try:
        expected_runs = {("add", (i, i)) for i in range(PLAIN)}
        expected_runs |= {("add", (1000 + i, 1)) for i in range(ORPHANS)}
        expected_runs |= {("add", (1, 2)), ("add", (10, 3))}  # the pipeline passes 3 on
        expected_runs |= {("stamp", i) for i in range(DELAYED)}
        expected_runs |= {("flaky", "f"), ("doomed", "d")}

        def done():
            with lock:
                return (
                    set(runs) == expected_runs
                    and len(runs[("flaky", "f")]) == 2
                    and len(runs[("doomed", "d")]) == 2
                    and r.zcard(dead_key) == 1
                    and broker.do_qsize(QUEUE) == 0
                )

        def progress():
            with lock:
                missing = sorted(map(str, expected_runs - set(runs)))
                counts = {key: len(times) for key, times in runs.items() if len(times) > 1}
            return f"missing {missing}, repeated {counts}, qsize {broker.do_qsize(QUEUE)}"

        wait_until("all jobs done", done, errors, progress)
        elapsed = time.monotonic() - started
    finally:
        worker.stop(timeout=10_000)

    # Each job ran once, but the retried ones; the orphans only once their worker was dead.
    for key, times in sorted(runs.items(), key=str):
        want = 2 if key[0] in ("flaky", "doomed") else 1
        check(f"runs of {key}", len(times), want)
    for i in range(ORPHANS):
        ran = runs[("add", (1000 + i, 1))][0][0]
        check_true(
            f"orphan {i}",
            ran >= ghost_died + HEARTBEAT_MS,
            f"ran {ran - ghost_died} ms after its worker died, before the "
            f"{HEARTBEAT_MS} ms heartbeat timeout",
        )
    check("ghost's ack set after maintenance", r.exists(ghost_acks), 0)
    check(
        "heartbeats after maintenance",
        sorted(member.decode() for member in r.zrange(heartbeats, 0, -1)),
        [broker.broker_id],
    )

    # Results, through the result backend (BRPOPLPUSH when blocking, LINDEX when not).
    for i, message in enumerate(plain):
        check(f"result of add({i}, {i})", message.get_result(), 2 * i)
    check("blocking result", plain[0].get_result(block=True, timeout=2000), 0)
    for message in orphans:
        check(f"result of orphan {message.args}", message.get_result(), message.args[0] + 1)
    check("pipeline result", pipe.get_result(block=True, timeout=2000), 13)
    check("pipeline results", list(pipe.get_results()), [3, 13])
    for message in delayed:
        tag = message.args[0]
        check(f"result of stamp({tag})", message.get_result(), f"stamped {tag}")
        ran = runs[("stamp", tag)][0][0]
        check_true(
            f"stamp({tag}) delay", ran >= etas[tag], f"ran {etas[tag] - ran} ms before its eta"
        )
    check("result of flaky", retried.get_result(), "f succeeded")
    (first, _), (second, retries) = runs[("flaky", "f")]
    check("retries option on the second run", retries, 1)
    check_true(
        "retry backoff",
        second - first >= MIN_BACKOFF_MS,
        f"second run {second - first} ms after the first, want at least {MIN_BACKOFF_MS}",
    )
    check(
        "retries options of doomed",
        [retries for _, retries in runs[("doomed", "d")]],
        [0, 1],
    )
    try:
        got = dead.get_result()
    except ResultFailure as failure:
        check(
            "doomed's stored failure", str(failure), "actor raised Planned: doomed d always fails"
        )
    else:
        raise Mismatch(f"doomed returned {got!r} instead of failing")

    # The dead-lettered message: in the dead-letter queue, with the options it was enqueued with.
    check("ZCARD dead letters", r.zcard(dead_key), 1)
    check("HLEN dead letters", r.hlen(dead_msgs_key), 1)
    (letter_id,) = r.zrange(dead_key, 0, -1)
    letter = json.loads(r.hget(dead_msgs_key, letter_id))
    check("dead letter's actor", letter["actor_name"], "doomed")
    check("dead letter's message id", letter["message_id"], dead.message_id)
    check("dead letter's retries", letter["options"]["retries"], 1)

    # Everything else is gone: acked messages leave the queues and the message hashes.
    for key in (queue_key, msgs_key, delay_key, delay_msgs_key):
        check(f"EXISTS {key} after the worker", r.exists(key), 0)
    check("ack sets after the worker", keys(r, f"{NS}:__acks__*"), [])

    # Exactly the dispatch calls the jobs take (fetch depends on timing: polling).
    enqueues = (
        ORPHANS + PLAIN + 2  # plain jobs, the pipeline's two
        + 2 * DELAYED  # to the delay queue, then back at their eta
        + 3  # flaky: first, the retry to the delay queue, back from it
        + 3  # doomed: the same, then dead-lettered (a nack)
    )
    acks = ORPHANS + PLAIN + 2 + 2 * DELAYED + 3 + 2
    calls = dict(broker.calls)
    check("enqueue calls", calls.get("enqueue"), enqueues)
    check("ack calls", calls.get("ack"), acks)
    check("nack calls", calls.get("nack"), 1)
    check("requeue calls", calls.get("requeue", 0), 0)
    check("ghost's calls", ghost.calls, {"fetch": 1})

    # The janitor's maintenance expires dead letters (those older than its TTL, 1 ms).
    janitor = CountingBroker(
        client=client(port), namespace=NS, dead_message_ttl=1, maintenance_chance=1_000_000
    )
    time.sleep(0.01)
    check("qsize seen by a janitor", janitor.do_qsize(QUEUE), 0)
    check("EXISTS dead letters after expiry", r.exists(dead_key, dead_msgs_key), 0)

    # Every script call the clients sent ran on the server, and no stream command did.
    stats = r.info("commandstats")
    evalsha = stats.get("cmdstat_evalsha", {}).get("calls", 0)
    check("EVALSHA calls (INFO commandstats)", evalsha, Recording.sent["EVALSHA"])
    check("EVAL calls (INFO commandstats)", stats.get("cmdstat_eval", {}).get("calls", 0), 0)
    streams = sorted(name for name in stats if name.startswith("cmdstat_x"))
    check("stream commands", streams, [])
    check("SCRIPT LOAD calls", stats.get("cmdstat_script|load", {}).get("calls"), 2)
    check("EVALSHA failed calls (NOSCRIPT)", stats["cmdstat_evalsha"]["failed_calls"], 2)

    # Clean up: purge the queue (dispatch.lua's purge), then what else the namespace holds.
    broker.flush_all()
    results = keys(r, f"{NS}-results:*")
    # One result per job that stored one: plain, orphans, pipeline, delayed, flaky, doomed.
    check("result keys", len(results), PLAIN + ORPHANS + 2 + DELAYED + 2)
    r.delete(*results)
    check("namespace after the purge", keys(r, f"{NS}*"), [heartbeats])
    r.delete(heartbeats)
    check("namespace after cleanup", keys(r, f"{NS}*"), [])
    if errors.records:
        raise Mismatch("dramatiq logged errors:\n" + "\n".join(errors.records))

    jobs = PLAIN + ORPHANS + 2 + DELAYED + 2
    print(
        f"dramatiq: {jobs} jobs in {elapsed:.2f} s, {Recording.sent['EVALSHA']} EVALSHA "
        f"({dict(sorted(calls.items()))} dispatch calls by the worker's broker)"
    )


def main():
    port = int(sys.argv[1])
    logging.basicConfig(level=logging.CRITICAL, format="%(name)s %(levelname)s %(message)s")

    def give_up():
        print(f"dramatiq: gave up after {WATCHDOG_SECONDS} s", file=sys.stderr, flush=True)
        os._exit(3)

    watchdog = threading.Timer(WATCHDOG_SECONDS, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        scenario(port)
    except Mismatch as mismatch:
        print(f"dramatiq: {mismatch}", file=sys.stderr, flush=True)
        os._exit(1)
    except Exception:
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(2)
    print("dramatiq: ok", flush=True)
    # Worker threads are daemons; leave without waiting on anything left.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
