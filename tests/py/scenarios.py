"""redis-py scenarios, run by tests/tests/redis_py.rs against radish (and redis-server).

Usage: python3 scenarios.py PORT PROTOCOL   (PROTOCOL is 2 or 3)
Exits non-zero with a message on the first mismatch.
"""

import sys
import time

import redis


def check(label, got, want):
    if got != want:
        sys.exit(f"{label}: got {got!r}, want {want!r}")


def pairs(items):
    """RESP2 and RESP3 give pairs as tuples or lists: compare them as tuples."""
    return [tuple(item) for item in items]


def strings_and_keys(r):
    check("set", r.set("s", "v"), True)
    check("get", r.get("s"), "v")
    check("set nx", r.set("s", "w", nx=True), None)
    check("set get", r.set("s", "w", get=True), "v")
    check("incr", r.incr("n"), 1)
    check("incrby", r.incrby("n", 41), 42)
    check("incrbyfloat", r.incrbyfloat("f", 1.5), 1.5)
    check("mset", r.mset({"a": "1", "b": "2"}), True)
    check("mget", r.mget(["a", "b", "missing"]), ["1", "2", None])
    check("append", r.append("s", "!"), 2)
    check("getrange", r.getrange("s", 0, 0), "w")
    check("expire", r.expire("s", 100), True)
    ttl = r.ttl("s")
    check("ttl range", 0 < ttl <= 100, True)
    check("persist", r.persist("s"), True)
    check("ttl none", r.ttl("s"), -1)
    check("type", r.type("s"), "string")
    check("exists", r.exists("s", "a", "nope"), 2)
    check("rename", r.rename("a", "a2"), True)
    check("delete", r.delete("a2", "b"), 2)
    keys = set()
    for key in r.scan_iter(match="*", count=2):
        keys.add(key)
    check("scan_iter", keys, {"s", "n", "f"})
    check("dbsize", r.dbsize(), 3)
    check("info keyspace", r.info("keyspace")["db0"]["keys"], 3)
    try:
        r.incr("s")
        sys.exit("incr on a non-integer did not raise")
    except redis.ResponseError as error:
        check("incr error", str(error), "value is not an integer or out of range")
    try:
        r.lpush("s", "x")
        sys.exit("lpush on a string did not raise")
    except redis.ResponseError as error:
        check("wrongtype", str(error).startswith("WRONGTYPE"), True)


def collections(r):
    check("rpush", r.rpush("l", "a", "b", "c"), 3)
    check("lrange", r.lrange("l", 0, -1), ["a", "b", "c"])
    check("lpop count", r.lpop("l", 2), ["a", "b"])
    check("hset", r.hset("h", mapping={"f1": "1", "f2": "2"}), 2)
    check("hgetall", r.hgetall("h"), {"f1": "1", "f2": "2"})
    check("hincrbyfloat", r.hincrbyfloat("h", "f1", 0.5), 1.5)
    check("sadd", r.sadd("set", "x", "y", "z"), 3)
    check("smembers", r.smembers("set"), {"x", "y", "z"})
    check("sismember", r.sismember("set", "x"), True)
    check("smismember", r.smismember("set", ["x", "q"]), [True, False])
    check("zadd", r.zadd("z", {"a": 1, "b": 2.5, "c": 3}), 3)
    check("zrange withscores", pairs(r.zrange("z", 0, -1, withscores=True)),
          [("a", 1.0), ("b", 2.5), ("c", 3.0)])
    check("zscore", r.zscore("z", "b"), 2.5)
    check("zincrby", r.zincrby("z", 1, "a"), 2.0)
    check("zrank", r.zrank("z", "a"), 0)
    check("zpopmin", pairs(r.zpopmin("z", 1)), [("a", 2.0)])
    check("zrangebyscore", r.zrangebyscore("z", "(2.5", "+inf"), ["c"])
    check("blpop timeout", r.blpop(["nothing"], timeout=0.1), None)
    r.rpush("q", "job")
    check("blpop", list(r.blpop(["q"], timeout=1)), ["q", "job"])


def transactions(r):
    pipe = r.pipeline(transaction=True)
    pipe.set("t", 1).incr("t").get("t")
    check("multi/exec", pipe.execute(), [True, 2, "2"])
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"p{i}", i)
    check("pipeline", all(pipe.execute()), True)
    check("pipeline values", r.get("p99"), "99")

    def bump(p):
        value = int(p.get("w") or 0)
        p.multi()
        p.set("w", value + 1)

    check("transaction helper", r.transaction(bump, "w"), [True])
    check("watched value", r.get("w"), "1")


def pubsub(r):
    p = r.pubsub()
    p.subscribe("ch")
    p.psubscribe("pat.*")
    deadline = time.time() + 5
    confirmations = 0
    while confirmations < 2 and time.time() < deadline:
        message = p.get_message(timeout=0.5)
        if message and message["type"] in ("subscribe", "psubscribe"):
            confirmations += 1
    check("subscribed", confirmations, 2)
    check("publish", r.publish("ch", "hello"), 1)
    check("publish pattern", r.publish("pat.x", "world"), 1)
    got = []
    while len(got) < 2 and time.time() < deadline:
        message = p.get_message(timeout=0.5)
        if message and message["type"] in ("message", "pmessage"):
            got.append((message["type"], message["channel"], message["data"]))
    check("messages", got, [("message", "ch", "hello"), ("pmessage", "pat.x", "world")])
    check("numsub", pairs(r.pubsub_numsub("ch")), [("ch", 1)])
    p.close()


def connection(r, protocol):
    check("ping", r.ping(), True)
    check("echo", r.echo("hi"), "hi")
    check("client setname", r.client_setname("py"), True)
    check("client getname", r.client_getname(), "py")
    info = r.info("server")
    check("info redis_version", info["redis_version"].startswith("7."), True)
    check("config get", r.config_get("maxmemory"), {"maxmemory": "0"})
    check("time", len(r.time()), 2)


def main():
    port, protocol = int(sys.argv[1]), int(sys.argv[2])
    r = redis.Redis(port=port, protocol=protocol, decode_responses=True)
    r.flushall()
    connection(r, protocol)
    r = redis.Redis(port=port, protocol=protocol, decode_responses=True)
    strings_and_keys(r)
    collections(r)
    transactions(r)
    pubsub(r)
    print(f"redis-py {redis.__version__} RESP{protocol}: ok")


if __name__ == "__main__":
    main()
