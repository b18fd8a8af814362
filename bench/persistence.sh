#!/usr/bin/env bash
# SET throughput with the append-only log on: radish-tokio and radish-smol against a real
# redis-server with the same settings (appendonly yes, the same appendfsync), in the same run.
#
# Usage: bench/persistence.sh [options]   (see usage_persistence() below or run with --help)
#
# Built on bench/compare.sh's helpers (servers on 127.0.0.1 only, each with its own directory
# under a temporary one that is removed at the end, finite -n, everything stopped on exit).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"

REQUESTS=100000 # -n of each run (a tenth of it for the one-client case: 10,000, about 1.6 s)
CLIENTS=50     # -c of the many-client cases
REPEATS=3
# appendfsync policy : clients. With `always` and many clients, group commit lets one fsync
# cover many clients' writes; with one client every write pays a whole fsync.
CASES=(everysec:many always:many always:1)

usage_persistence() {
    cat <<EOF
Usage: bench/persistence.sh [options]

SET throughput (redis-benchmark -t set -P 1) of redis-server, radish-tokio and radish-smol
with appendonly yes, at appendfsync everysec and always, side by side on 127.0.0.1; prints
each with its ratio to redis-server.

  --requests N   redis-benchmark -n (default $REQUESTS; the one-client case uses N/10)
  --clients C    redis-benchmark -c of the many-client cases (default $CLIENTS)
  --repeat R     measurements per cell, median reported (default $REPEATS)
  --no-build     use the already built release binaries
  -h, --help     this text
EOF
}

parse_persistence_options() {
    while (($# > 0)); do
        case "$1" in
            --requests) REQUESTS="$(positive_int "$1" "${2-}")"; shift ;;
            --clients) CLIENTS="$(positive_int "$1" "${2-}")"; shift ;;
            --repeat) REPEATS="$(positive_int "$1" "${2-}")"; shift ;;
            --no-build) DO_BUILD=0 ;;
            -h | --help) usage_persistence; exit 0 ;;
            *) usage_persistence >&2; die "unknown option: $1" ;;
        esac
        shift
    done
}

# Fills RESULT[policy,clients,server] with the median rps of SET at one appendfsync policy.
# The servers take turns for every measurement, the order rotating with each repeat.
measure_case() {
    local policy="$1" rep i server rps
    local -A samples=([redis]="" [tokio]="" [smol]="")
    SERVER_ARGS=(--appendonly yes --appendfsync "$policy")
    start_servers
    for ((rep = 0; rep < REPEATS; rep++)); do
        for ((i = 0; i < ${#SERVERS[@]}; i++)); do
            server="${SERVERS[$(((i + rep) % ${#SERVERS[@]}))]}"
            require_alive "$server"
            read -r rps _ <<<"$(run_benchmark "$server" set 1)"
            require_alive "$server"
            samples[$server]+="$rps "
            log "appendfsync $policy -c $CLIENTS -n $REQUESTS $server: $rps"
        done
    done
    stop_servers
    # The next case starts from empty logs.
    for server in "${SERVERS[@]}"; do rm -rf "${WORK_DIR:?}/$server"; done
    for server in "${SERVERS[@]}"; do
        # shellcheck disable=SC2086 # the samples are space-separated on purpose
        RESULT[$policy,$CLIENTS,$server]="$(median ${samples[$server]})"
    done
}

persistence_main() {
    parse_persistence_options "$@"
    install_redis
    build_radish
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-persistence.XXXXXX")"

    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start; files under ${TMPDIR:-/tmp}"
    local many_clients="$CLIENTS" many_requests="$REQUESTS" case policy rows=()
    for case in "${CASES[@]}"; do
        policy="${case%%:*}"
        CLIENTS="$many_clients"
        REQUESTS="$many_requests"
        if [[ "${case##*:}" != many ]]; then
            CLIENTS="${case##*:}"
            REQUESTS=$((many_requests / 10 > 0 ? many_requests / 10 : 1))
        fi
        measure_case "$policy"
        rows+=("$policy $CLIENTS $REQUESTS")
    done

    echo
    echo "SET with appendonly yes (requests/s, median of $REPEATS, -P 1; ratio = x / redis)"
    printf '%-12s %4s %7s %12s %12s %7s %12s %7s\n' appendfsync c n redis tokio ratio smol ratio
    local row clients requests redis tokio smol
    for row in "${rows[@]}"; do
        read -r policy clients requests <<<"$row"
        redis="${RESULT[$policy,$clients,redis]}"
        tokio="${RESULT[$policy,$clients,tokio]}"
        smol="${RESULT[$policy,$clients,smol]}"
        printf '%-12s %4s %7s %12s %12s %7s %12s %7s\n' "$policy" "$clients" "$requests" \
            "$(rounded "$redis")" "$(rounded "$tokio")" "$(ratio "$tokio" "$redis")" \
            "$(rounded "$smol")" "$(ratio "$smol" "$redis")"
    done
}

persistence_main "$@"
