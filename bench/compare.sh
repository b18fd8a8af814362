#!/usr/bin/env bash
# Compares radish-tokio and radish-smol with a real redis-server: throughput with
# redis-benchmark and resident memory after loading many small keys.
#
# Usage: bench/compare.sh [options]   (see usage() below or run with --help)
#
# Every server listens on 127.0.0.1 only, every redis-benchmark run has a finite -n, and all
# servers are stopped on exit, whatever the reason (error, Ctrl-C, normal end).
set -euo pipefail

# ---------------------------------------------------------------------------------------------
# Settings (changed by the options below).

REQUESTS=200000      # -n of each redis-benchmark run
CLIENTS=50           # -c of each redis-benchmark run
REPEATS=3            # measurements per (test, pipeline, server); the median is reported
PIPELINES="1 16"     # -P values
MEMORY_KEYS=1000000  # keys loaded for the memory comparison
DO_MEMORY=1
DO_BUILD=1
TYPES=auto           # auto | yes | no: the data-type tests
CORE_TESTS="set get incr mset"
TYPE_TESTS="lpush lpop sadd hset zadd lrange_100"
SERVER_ARGS=()       # more directives for every server

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVERS=(redis tokio smol)
declare -A PORT=() PID=()
WORK_DIR=""

usage() {
    cat <<EOF
Usage: bench/compare.sh [options]

Benchmarks redis-server, radish-tokio and radish-smol side by side on 127.0.0.1.

  --quick          fast functional check: -n 20000, 1 repeat, 100000 keys for memory
  --repeat R       measurements per cell, median reported (default $REPEATS)
  --requests N     redis-benchmark -n (default $REQUESTS)
  --clients C      redis-benchmark -c (default $CLIENTS)
  --keys K         keys loaded for the memory comparison (default $MEMORY_KEYS)
  --types          also run the data-type tests ($TYPE_TESTS)
  --no-types       skip them (default: run them only if radish answers LPUSH)
  --no-memory      skip the memory comparison
  --no-build       use the already built release binaries
  -h, --help       this text
EOF
}

parse_options() {
    while (($# > 0)); do
        case "$1" in
            --quick) REQUESTS=20000 REPEATS=1 MEMORY_KEYS=100000 ;;
            --repeat) REPEATS="$(positive_int "$1" "${2-}")"; shift ;;
            --requests) REQUESTS="$(positive_int "$1" "${2-}")"; shift ;;
            --clients) CLIENTS="$(positive_int "$1" "${2-}")"; shift ;;
            --keys) MEMORY_KEYS="$(positive_int "$1" "${2-}")"; shift ;;
            --types) TYPES=yes ;;
            --no-types) TYPES=no ;;
            --no-memory) DO_MEMORY=0 ;;
            --no-build) DO_BUILD=0 ;;
            -h | --help) usage; exit 0 ;;
            *) usage >&2; die "unknown option: $1" ;;
        esac
        shift
    done
}

# ---------------------------------------------------------------------------------------------
# Small helpers.

# The options of the scripts that measure a few commands with compare.sh's helpers
# (bench/scripting.sh, bench/streams.sh): --requests, --clients, --repeat, --quick,
# --no-build, --help. $1 names the function that prints the script's usage.
parse_run_options() {
    local usage="$1"
    shift
    while (($# > 0)); do
        case "$1" in
            --requests) REQUESTS="$(positive_int "$1" "${2-}")"; shift ;;
            --clients) CLIENTS="$(positive_int "$1" "${2-}")"; shift ;;
            --repeat) REPEATS="$(positive_int "$1" "${2-}")"; shift ;;
            --quick) REQUESTS=20000 REPEATS=1 ;;
            --no-build) DO_BUILD=0 ;;
            -h | --help) "$usage"; exit 0 ;;
            *) "$usage" >&2; die "unknown option: $1" ;;
        esac
        shift
    done
}

die() {
    echo "compare.sh: $*" >&2
    exit 1
}

# Progress goes to stderr so that stdout holds only the results.
log() {
    echo "# $*" >&2
}

positive_int() {
    [[ "${2-}" =~ ^[1-9][0-9]*$ ]] || die "$1 needs a positive integer, got '${2-}'"
    echo "$2"
}

cli() {
    local server="$1"
    shift
    redis-cli -h 127.0.0.1 -p "${PORT[$server]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# Setup: tools and binaries.

install_redis() {
    if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null \
        && command -v redis-cli >/dev/null; then
        return
    fi
    log "installing redis-server and redis-tools with apt-get"
    local sudo=()
    if ((EUID != 0)); then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q redis-server redis-tools >&2
}

# Sets RADISH_TOKIO and RADISH_SMOL to the release binaries, building them unless --no-build.
build_radish() {
    if ((DO_BUILD)); then
        log "building radish-tokio and radish-smol (release)"
        (cd "$REPO" && cargo build --release -q -p radish-tokio -p radish-smol) >&2
    fi
    # Ask cargo where its target directory is: CARGO_TARGET_DIR or a config file may move it.
    local target
    target="$(cd "$REPO" && cargo metadata --format-version 1 --no-deps \
        | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
    RADISH_TOKIO="$target/release/radish-tokio"
    RADISH_SMOL="$target/release/radish-smol"
    [[ -x "$RADISH_TOKIO" && -x "$RADISH_SMOL" ]] \
        || die "no release binaries in $target/release (run without --no-build)"
}

# ---------------------------------------------------------------------------------------------
# Server lifecycle.

# A loopback port on which nothing answers right now. start_server retries with another port
# if the server still fails to bind (another process may take it in between).
free_port() {
    local port
    while true; do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# Starts one server in the background; the same Redis-style command line works for all three,
# each with a directory of its own for its files, then SERVER_ARGS (bench/persistence.sh).
launch() {
    local server="$1" port="$2"
    mkdir -p "$WORK_DIR/$server"
    local args=(--port "$port" --bind 127.0.0.1 --save '' --appendonly no
        --dir "$WORK_DIR/$server" "${SERVER_ARGS[@]}")
    case "$server" in
        redis) redis-server "${args[@]}" >"$WORK_DIR/$server.log" 2>&1 & ;;
        # NO_COLOR: plain log lines, for when we show the end of a log after a failure.
        tokio) NO_COLOR=1 "$RADISH_TOKIO" "${args[@]}" >"$WORK_DIR/$server.log" 2>&1 & ;;
        smol) NO_COLOR=1 "$RADISH_SMOL" "${args[@]}" >"$WORK_DIR/$server.log" 2>&1 & ;;
    esac
    PID[$server]=$!
    PORT[$server]=$port
}

# Waits up to 10 s for PONG; fails early if the process died (e.g. port taken).
wait_for_ping() {
    local server="$1" i
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "${PID[$server]}" 2>/dev/null; then
            return 1
        fi
        if [[ "$(cli "$server" ping 2>/dev/null)" == PONG ]]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

start_server() {
    local server="$1" attempt
    for attempt in 1 2 3 4 5; do
        launch "$server" "$(free_port)"
        if wait_for_ping "$server"; then
            log "$server: pid ${PID[$server]}, port ${PORT[$server]}"
            return
        fi
        log "$server did not answer PING on port ${PORT[$server]} (attempt $attempt):"
        tail -n 5 "$WORK_DIR/$server.log" >&2 || true
        stop_server "$server"
    done
    die "cannot start $server"
}

# SIGTERM first so that each server shuts down cleanly, SIGKILL if it is still there after 5 s.
stop_server() {
    local server="$1" pid i
    pid="${PID[$server]-}"
    [[ -n "$pid" ]] || return 0
    unset "PID[$server]"
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Stops the whole comparison if a server has exited: its numbers would be meaningless.
require_alive() {
    local server="$1"
    if ! kill -0 "${PID[$server]}" 2>/dev/null; then
        log "$server (pid ${PID[$server]}) has exited; the end of its log:"
        tail -n 10 "$WORK_DIR/$server.log" >&2 || true
        die "$server is no longer running"
    fi
}

start_servers() {
    local server
    for server in "${SERVERS[@]}"; do start_server "$server"; done
}

stop_servers() {
    local server
    for server in "${SERVERS[@]}"; do stop_server "$server"; done
}

# Runs on every exit (normal, error, or a signal turned into an exit below).
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_servers
    if [[ -n "$WORK_DIR" ]]; then rm -rf "$WORK_DIR"; fi
    exit "$status"
}

# ---------------------------------------------------------------------------------------------
# Throughput.

# Whether both radish servers implement LPUSH, the sign that the data-type commands are there.
# Benchmarking a missing command would only give ERR cells (redis-benchmark stops at the first
# error reply), so by default those tests run only when it answers.
radish_has_types() {
    local server key="compare.sh:probe" ok=0
    for server in tokio smol; do
        if ! [[ "$(cli "$server" LPUSH "$key" a 2>&1)" =~ ^[0-9]+$ ]]; then ok=1; fi
        cli "$server" DEL "$key" >/dev/null 2>&1 || true
    done
    return "$ok"
}

# Nanoseconds of CPU the process `pid` has used so far, over all its threads (the first field
# of each thread's schedstat): fine-grained enough for a run of a tenth of a second, where
# /proc/PID/stat's clock ticks are 10 ms each.
cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ sum += $1 } END { printf "%.0f", sum }'
}

# Prints four fields for one redis-benchmark run of one test: requests per second, the
# server's CPU microseconds per request during the run, and the p50 and p99 latencies in ms;
# ERR for each if the server answered a request with an error. With --csv, redis-benchmark
# 7.0 prints a header line and one quoted line per test:
# "SET","rps","avg","min","p50","p95","p99","max". On an error reply it prints "Error from
# server: ..." and stops at once, leaving only the header.
#
# redis-benchmark's own lrange_N tests first fill the list with as many LPUSHes as they then
# run LRANGEs, which would count in the CPU figure: the list is filled beforehand instead, and
# the same `LRANGE mylist 0 N-1` runs as a command.
#
# redis-benchmark spins forever if its server dies mid-run, so each run also has a time limit:
# a minute plus a millisecond per request, far above any sane run. --foreground keeps it in our
# process group, so that Ctrl-C reaches redis-benchmark as well.
#
# A test named in COMMAND_OF runs that command (redis-benchmark runs any command given after
# its options) instead of one of redis-benchmark's own tests, with REQUESTS_OF's -n if set
# (bench/scripting.sh).
declare -A COMMAND_OF=() REQUESTS_OF=()
run_benchmark() {
    local server="$1" test="$2" pipeline="$3" output status=0 pid="${PID[$1]}"
    local requests="${REQUESTS_OF[$test]-$REQUESTS}" what=(-t "$test")
    if [[ -n "${COMMAND_OF[$test]-}" ]]; then
        read -r -a what <<<"${COMMAND_OF[$test]}"
    elif [[ "$test" =~ ^lrange_([0-9]+)$ ]]; then
        what=(LRANGE mylist 0 $((BASH_REMATCH[1] - 1)))
        timeout --foreground 60 redis-benchmark -h 127.0.0.1 -p "${PORT[$server]}" -c 10 \
            -n "${BASH_REMATCH[1]}" -P 16 -t lpush -q >/dev/null 2>&1 || true
    fi
    local cpu_before cpu_after
    cpu_before="$(cpu_ns "$pid")"
    output="$(timeout --foreground $((60 + requests / 1000)) redis-benchmark -h 127.0.0.1 \
        -p "${PORT[$server]}" -c "$CLIENTS" -n "$requests" -P "$pipeline" --csv \
        "${what[@]}" 2>&1)" || status=$?
    cpu_after="$(cpu_ns "$pid")"
    if ((status == 124)); then
        log "redis-benchmark $test on $server timed out"
        echo ERR ERR ERR ERR
        return
    fi
    if grep -q 'Error from server' <<<"$output"; then
        echo ERR ERR ERR ERR
        return
    fi
    local fields
    fields="$(grep '^"' <<<"$output" | tail -n 1 | awk -F'"' '{print $4, $10, $14}')"
    local rps p50 p99
    read -r rps p50 p99 <<<"$fields"
    if [[ "$rps" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        echo "$rps" "$(awk -v ns=$((cpu_after - cpu_before)) -v n="$requests" \
            'BEGIN { printf "%.3f", ns / n / 1000 }')" "${p50:-ERR}" "${p99:-ERR}"
    else
        log "unexpected redis-benchmark output for $test on $server:"
        echo "$output" | tail -n 5 >&2
        echo ERR ERR ERR ERR
    fi
}

# The median of the arguments, or ERR if any measurement failed.
median() {
    local value
    for value in "$@"; do
        if [[ "$value" == ERR ]]; then
            echo ERR
            return
        fi
    done
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
        END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Fills RESULT, CPU, P50 and P99[test,pipeline,server] with the medians of requests/s, CPU
# microseconds per request and latencies. The servers take turns for every single
# measurement, and the order rotates with each repeat, so that background load from other work
# on the machine falls on all three alike instead of on whichever ran last.
declare -A RESULT=() CPU=() P50=() P99=()
# shellcheck disable=SC2034 # RESULT and CPU are read through namerefs (print_table)
measure_throughput() {
    local tests=("$@") test pipeline rep i server rps cpu p50 p99 total done_runs=0
    local -A samples=() cpus=() p50s=() p99s=()
    total=$((${#tests[@]} * $(wc -w <<<"$PIPELINES") * REPEATS * ${#SERVERS[@]}))
    for test in "${tests[@]}"; do
        for pipeline in $PIPELINES; do
            samples=() cpus=() p50s=() p99s=()
            for ((rep = 0; rep < REPEATS; rep++)); do
                for ((i = 0; i < ${#SERVERS[@]}; i++)); do
                    server="${SERVERS[$(((i + rep) % ${#SERVERS[@]}))]}"
                    require_alive "$server"
                    read -r rps cpu p50 p99 <<<"$(run_benchmark "$server" "$test" "$pipeline")"
                    require_alive "$server"
                    samples[$server]+="$rps " cpus[$server]+="$cpu "
                    p50s[$server]+="$p50 " p99s[$server]+="$p99 "
                    done_runs=$((done_runs + 1))
                    log "[$done_runs/$total] $test -P $pipeline $server: $rps req/s, $cpu us CPU/req"
                done
            done
            for server in "${SERVERS[@]}"; do
                # shellcheck disable=SC2086 # the samples are space-separated on purpose
                RESULT[$test,$pipeline,$server]="$(median ${samples[$server]})"
                # shellcheck disable=SC2086
                CPU[$test,$pipeline,$server]="$(median ${cpus[$server]})"
                # shellcheck disable=SC2086
                P50[$test,$pipeline,$server]="$(median ${p50s[$server]})"
                # shellcheck disable=SC2086
                P99[$test,$pipeline,$server]="$(median ${p99s[$server]})"
            done
        done
    done
}

# "x / y" to two decimals, or "-" if either is missing.
ratio() {
    if [[ "$1" == ERR || "$2" == ERR ]]; then
        echo "-"
    else
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    fi
}

print_throughput() {
    local tests=("$@") test
    echo
    echo "Throughput (requests/s, median of $REPEATS; -c $CLIENTS -n $REQUESTS; ratio = x / redis)"
    print_table RESULT rounded "${tests[@]}"
    echo
    echo "Server CPU per request (microseconds of the server process's CPU time during the run"
    echo "divided by its requests, median of $REPEATS; ratio = x / redis, lower is better)"
    print_table CPU decimals "${tests[@]}"
    echo
    echo "Latency at -P 1 (ms, redis-benchmark's percentiles, median of $REPEATS)"
    printf '%-12s %9s %9s %9s %9s %9s %9s\n' test 'p50 redis' tokio smol 'p99 redis' tokio smol
    for test in "${tests[@]}"; do
        printf '%-12s %9s %9s %9s %9s %9s %9s\n' "$test" \
            "${P50[$test,1,redis]-}" "${P50[$test,1,tokio]-}" "${P50[$test,1,smol]-}" \
            "${P99[$test,1,redis]-}" "${P99[$test,1,tokio]-}" "${P99[$test,1,smol]-}"
    done
}

# One table of the values in the associative array named $1, formatted by the function named
# $2, for every pipeline and test: redis, then each radish with its ratio to redis; then each
# radish's geometric mean of those ratios per pipeline.
print_table() {
    local -n values="$1"
    local name="$1" format="$2" test pipeline server
    shift 2
    printf '%-12s %4s %12s %12s %7s %12s %7s\n' test P redis tokio ratio smol ratio
    for pipeline in $PIPELINES; do
        for test in "$@"; do
            local redis="${values[$test,$pipeline,redis]}"
            local tokio="${values[$test,$pipeline,tokio]}"
            local smol="${values[$test,$pipeline,smol]}"
            printf '%-12s %4s %12s %12s %7s %12s %7s\n' "$test" "$pipeline" \
                "$("$format" "$redis")" "$("$format" "$tokio")" "$(ratio "$tokio" "$redis")" \
                "$("$format" "$smol")" "$(ratio "$smol" "$redis")"
        done
    done
    echo
    for server in tokio smol; do
        local line
        line="$(printf 'geomean %-12s / redis:' "radish-$server")"
        for pipeline in $PIPELINES; do
            line+="  P$pipeline $(geomean_ratio "$name" "$server" "$pipeline" "$@")"
        done
        echo "$line"
    done
}

decimals() {
    if [[ "$1" == ERR ]]; then echo ERR; else awk -v x="$1" 'BEGIN { printf "%.3f", x }'; fi
}

rounded() {
    if [[ "$1" == ERR ]]; then echo ERR; else awk -v x="$1" 'BEGIN { printf "%.0f", x }'; fi
}

# The geometric mean of server/redis, in the associative array named $1, over the tests where
# both have a number.
geomean_ratio() {
    local -n values="$1"
    local server="$2" pipeline="$3" test pairs=""
    shift 3
    for test in "$@"; do
        local redis="${values[$test,$pipeline,redis]}" mine="${values[$test,$pipeline,$server]}"
        if [[ "$redis" != ERR && "$mine" != ERR ]]; then pairs+="$mine $redis"$'\n'; fi
    done
    awk 'NF == 2 && $2 > 0 { sum += log($1 / $2); n++ }
        END { if (n) printf "%.2f (%d tests)", exp(sum / n), n; else print "-" }' <<<"$pairs"
}

# ---------------------------------------------------------------------------------------------
# Memory.

# RESP for `SET key:<12 digits> xxx`, N times: the same 16-byte keys and 3-byte values that
# redis-benchmark's SET uses. Loading through redis-cli --pipe (instead of redis-benchmark -r,
# which draws keys at random) gives every server exactly the same N keys.
set_commands() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i++)
            printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$3\r\nxxx\r\n", i
    }'
}

rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

measure_memory() {
    local server count
    # Fresh processes: the throughput runs leave allocator caches and freed pages behind, which
    # would blur both the baseline and the loaded size.
    log "restarting the servers for the memory comparison"
    stop_servers
    start_servers
    local -A empty=() loaded=() keys=()
    for server in "${SERVERS[@]}"; do
        cli "$server" FLUSHALL >/dev/null
        sleep 0.5
        empty[$server]="$(rss_kb "${PID[$server]}")"
        log "$server: loading $MEMORY_KEYS keys"
        local report
        report="$(set_commands "$MEMORY_KEYS" | cli "$server" --pipe 2>&1)" \
            || die "loading keys into $server failed: $report"
        grep -q 'errors: 0,' <<<"$report" || die "loading keys into $server failed: $report"
        sleep 1 # lets a server finish freeing its input buffers before we read RSS
        count="$(cli "$server" DBSIZE)"
        loaded[$server]="$(rss_kb "${PID[$server]}")"
        keys[$server]="$count"
        # Every server got the same N distinct keys, so each must hold exactly N.
        if [[ "$count" != "$MEMORY_KEYS" ]]; then
            log "WARNING: $server holds $count keys, expected $MEMORY_KEYS"
        fi
    done

    echo
    echo "Memory after loading $MEMORY_KEYS string keys (16-byte key, 3-byte value; RSS = VmRSS)"
    printf '%-8s %10s %12s %12s %10s %10s\n' server DBSIZE "empty KiB" "loaded KiB" "ratio" \
        "B/key"
    for server in "${SERVERS[@]}"; do
        printf '%-8s %10s %12s %12s %10s %10s\n' "$server" "${keys[$server]}" \
            "${empty[$server]}" "${loaded[$server]}" \
            "$(ratio "${loaded[$server]}" "${loaded[redis]}")" \
            "$(awk -v a="${empty[$server]}" -v b="${loaded[$server]}" -v k="${keys[$server]}" \
                'BEGIN { if (k > 0) printf "%.1f", (b - a) * 1024 / k; else print "-" }')"
    done
    echo "(ratio: loaded RSS / redis-server's; B/key: (loaded - empty) RSS per key)"
}

# ---------------------------------------------------------------------------------------------

main() {
    parse_options "$@"
    install_redis
    build_radish

    trap cleanup EXIT
    # Turn signals into a normal exit so that the EXIT trap stops the servers.
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-compare.XXXXXX")"

    # Context for reading the numbers: on a busy machine they say little.
    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
    start_servers

    local tests
    read -r -a tests <<<"$CORE_TESTS"
    if [[ "$TYPES" == auto ]]; then
        if radish_has_types; then
            TYPES=yes
            log "radish answers LPUSH: running the data-type tests too"
        else
            TYPES=no
            log "radish does not answer LPUSH yet: skipping the data-type tests (--types forces them)"
        fi
    fi
    if [[ "$TYPES" == yes ]]; then
        local extra
        read -r -a extra <<<"$TYPE_TESTS"
        tests+=("${extra[@]}")
    fi

    measure_throughput "${tests[@]}"
    print_throughput "${tests[@]}"

    if ((DO_MEMORY)); then
        measure_memory
    fi
}

# bench/persistence.sh sources this file for its helpers.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
