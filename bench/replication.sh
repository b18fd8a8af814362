#!/usr/bin/env bash
# Replicas of one real redis-server primary, side by side: how long a redis-server, a
# radish-tokio and a radish-smol replica take to complete a full synchronisation of KEYS keys,
# and how far each lags behind while the primary takes SETs from redis-benchmark -P 16.
#
# Usage: bench/replication.sh [--keys N] [--repeat R] [--requests N] [--no-build]
#
# Built on bench/compare.sh's helpers (servers on 127.0.0.1 only, each with its own directory
# under a temporary one that is removed at the end, finite -n, everything stopped on exit).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"

KEYS=1000000   # keys the primary holds (DEBUG POPULATE)
REPEATS=3
LOAD_REQUESTS=2000000 # -n of the SET load the lag is measured under
PRIMARY_PORT=""
PRIMARY_PID=""

usage_replication() {
    cat <<EOF
Usage: bench/replication.sh [options]

Full synchronisation time of a redis-server, radish-tokio and radish-smol replica of one
redis-server primary holding --keys keys (median of --repeat, ratio to redis-server's), then
each replica's lag in bytes (mean and largest, sampled every 100 ms) while the primary takes
redis-benchmark -t set -P 16 -n --requests.

  --keys N       keys on the primary (default $KEYS)
  --repeat R     synchronisations per replica, median reported (default $REPEATS)
  --requests N   SETs of the load the lag is measured under (default $LOAD_REQUESTS)
  --no-build     use the already built release binaries
  -h, --help     this text
EOF
}

parse_replication_options() {
    while (($# > 0)); do
        case "$1" in
            --keys) KEYS="$(positive_int "$1" "${2-}")"; shift ;;
            --repeat) REPEATS="$(positive_int "$1" "${2-}")"; shift ;;
            --requests) LOAD_REQUESTS="$(positive_int "$1" "${2-}")"; shift ;;
            --no-build) DO_BUILD=0 ;;
            -h | --help) usage_replication; exit 0 ;;
            *) usage_replication >&2; die "unknown option: $1" ;;
        esac
        shift
    done
}

primary() {
    redis-cli -h 127.0.0.1 -p "$PRIMARY_PORT" "$@"
}

# A field of INFO replication of `server` (or of the primary).
repl_field() {
    local server="$1" field="$2"
    if [[ "$server" == primary ]]; then
        primary info replication
    else
        cli "$server" info replication
    fi | tr -d '\r' | sed -n "s/^$field://p"
}

start_primary() {
    mkdir -p "$WORK_DIR/primary"
    PRIMARY_PORT="$(free_port)"
    redis-server --port "$PRIMARY_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$WORK_DIR/primary" --enable-debug-command yes \
        --repl-diskless-sync-delay 0 >"$WORK_DIR/primary.log" 2>&1 &
    PRIMARY_PID=$!
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(primary ping 2>/dev/null)" == PONG ]] && return
        sleep 0.1
    done
    die "the primary did not start"
}

now_ms() {
    date +%s%3N
}

# Milliseconds for `server` (started empty) to be an up-to-date replica of the primary.
time_full_sync() {
    local server="$1" start end i
    start="$(now_ms)"
    cli "$server" replicaof 127.0.0.1 "$PRIMARY_PORT" >/dev/null
    for ((i = 0; i < 6000; i++)); do
        if [[ "$(repl_field "$server" master_link_status)" == up ]]; then
            end="$(now_ms)"
            echo $((end - start))
            return
        fi
        sleep 0.01
    done
    die "$server did not finish its synchronisation in 60 s"
}

replication_main() {
    parse_replication_options "$@"
    install_redis
    build_radish
    trap 'stop_servers; [[ -n "$PRIMARY_PID" ]] && kill "$PRIMARY_PID" 2>/dev/null; cleanup' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-replication.XXXXXX")"
    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start; files under ${TMPDIR:-/tmp}"

    start_primary
    primary debug populate "$KEYS" key 16 >/dev/null
    log "primary: $(primary dbsize) keys"

    local -A samples=([redis]="" [tokio]="" [smol]="")
    local rep i server ms
    for ((rep = 0; rep < REPEATS; rep++)); do
        for ((i = 0; i < ${#SERVERS[@]}; i++)); do
            server="${SERVERS[$(((i + rep) % ${#SERVERS[@]}))]}"
            start_server "$server"
            ms="$(time_full_sync "$server")"
            require_alive "$server"
            [[ "$(cli "$server" dbsize)" == "$KEYS" ]] || die "$server has $(cli "$server" dbsize) keys"
            samples[$server]+="$ms "
            log "full sync of $KEYS keys, $server: $ms ms"
            stop_server "$server"
            rm -rf "${WORK_DIR:?}/$server"
        done
    done

    echo
    echo "Full synchronisation of $KEYS keys from redis-server (ms, median of $REPEATS; ratio = x / redis, lower is better)"
    local redis tokio smol
    # shellcheck disable=SC2086 # the samples are space-separated on purpose
    redis="$(median ${samples[redis]})"
    # shellcheck disable=SC2086
    tokio="$(median ${samples[tokio]})"
    # shellcheck disable=SC2086
    smol="$(median ${samples[smol]})"
    printf '%10s %10s %7s %10s %7s\n' redis tokio ratio smol ratio
    printf '%10s %10s %7s %10s %7s\n' "$redis" "$tokio" "$(ratio "$tokio" "$redis")" \
        "$smol" "$(ratio "$smol" "$redis")"

    # Lag under load: all three follow at once.
    for server in "${SERVERS[@]}"; do
        start_server "$server"
        time_full_sync "$server" >/dev/null
    done
    redis-benchmark -h 127.0.0.1 -p "$PRIMARY_PORT" -t set -P 16 -n "$LOAD_REQUESTS" \
        -r 1000000 -q >/dev/null 2>&1 &
    local load=$! offset lag
    local -A lag_sum=([redis]=0 [tokio]=0 [smol]=0) lag_max=([redis]=0 [tokio]=0 [smol]=0)
    local count=0
    while kill -0 "$load" 2>/dev/null; do
        for server in "${SERVERS[@]}"; do
            # The replica first, then the primary: the lag read is never less than the real.
            offset="$(repl_field "$server" slave_repl_offset)"
            lag=$(($(repl_field primary master_repl_offset) - offset))
            ((lag < 0)) && lag=0
            lag_sum[$server]=$((lag_sum[$server] + lag))
            ((lag > lag_max[$server])) && lag_max[$server]=$lag
        done
        count=$((count + 1))
        sleep 0.1
    done
    wait "$load" || true
    ((count > 0)) || count=1
    echo
    echo "Lag behind the primary under redis-benchmark -t set -P 16 -n $LOAD_REQUESTS (bytes, $count samples)"
    printf '%-8s %12s %12s\n' replica mean largest
    for server in "${SERVERS[@]}"; do
        printf '%-8s %12s %12s\n' "$server" $((lag_sum[$server] / count)) "${lag_max[$server]}"
    done
}

replication_main "$@"
