#!/usr/bin/env bash
# Stream throughput: radish-tokio and radish-smol against a real redis-server in the same run,
# for XADD (an entry of two small fields, IDs made by the server), XRANGE of a 100-entry
# stream, and a consumer group's work (XREADGROUP of one new entry, XACK), at -P 1 and -P 16.
#
# Usage: bench/streams.sh [options]   (see usage_streams() below or run with --help)
#
# Built on bench/compare.sh's helpers (servers on 127.0.0.1 only, each with its own directory
# under a temporary one that is removed at the end, finite -n, everything stopped on exit).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"

REQUESTS=200000 # -n of XADD; XRANGE of 100 entries runs a fifth of it
REPEATS=3
RANGE_ENTRIES=100

usage_streams() {
    cat <<EOF
Usage: bench/streams.sh [options]

XADD, XRANGE, XREADGROUP and XACK throughput of redis-server, radish-tokio and radish-smol
side by side on 127.0.0.1, at -P 1 and -P 16; prints each with its ratio to redis-server.
XREADGROUP reads one new entry per call from a stream filled with enough for every run; XACK
acknowledges random IDs of it (pending once each, as XREADGROUP left them).

  --requests N   redis-benchmark -n of XADD (default $REQUESTS; N/5 for XRANGE)
  --clients C    redis-benchmark -c (default $CLIENTS)
  --repeat R     measurements per cell, median reported (default $REPEATS)
  --quick        -n 20000, 1 repeat
  --no-build     use the already built release binaries
  -h, --help     this text
EOF
}

# Fills the streams XRANGE and XREADGROUP read, with explicit IDs (the same entries on every
# server), and sets the command each test runs.
prepare_streams() {
    local server i report group_entries=$((REQUESTS * REPEATS * 2))
    for server in "${SERVERS[@]}"; do
        report="$(LC_ALL=C awk -v n="$group_entries" 'BEGIN {
            for (i = 1; i <= n; i++)
                printf "*7\r\n$4\r\nXADD\r\n$11\r\nbench:group\r\n$%d\r\n%d-1\r\n$6\r\nsensor\r\n$2\r\ns%d\r\n$5\r\nvalue\r\n$%d\r\n%d\r\n",
                    length(i "-1"), i, i % 10, length(i ""), i
        }' | redis-cli -h 127.0.0.1 -p "${PORT[$server]}" --pipe 2>&1)"
        grep -q 'errors: 0,' <<<"$report" || die "filling bench:group on $server failed: $report"
        [[ "$(cli "$server" XGROUP CREATE bench:group g 0)" == OK ]] \
            || die "XGROUP CREATE on $server failed"
        for ((i = 1; i <= RANGE_ENTRIES; i++)); do
            echo "XADD bench:range $i-1 sensor s$((i % 10)) value $i"
        done | redis-cli -h 127.0.0.1 -p "${PORT[$server]}" >/dev/null
        [[ "$(cli "$server" XLEN bench:range)" == "$RANGE_ENTRIES" ]] \
            || die "filling bench:range on $server failed"
    done
    COMMAND_OF[xadd]="XADD bench:stream * sensor s1 value 42"
    COMMAND_OF[xrange_100]="XRANGE bench:range - +"
    REQUESTS_OF[xrange_100]=$((REQUESTS / 5 > 0 ? REQUESTS / 5 : 1))
    COMMAND_OF[xreadgroup]="XREADGROUP GROUP g c COUNT 1 STREAMS bench:group >"
    # redis-benchmark -r puts a 12-digit number in place of __rand_int__ (leading zeros and
    # all, which the ID syntax accepts).
    COMMAND_OF[xack]="-r $group_entries XACK bench:group g __rand_int__-1"
}

streams_main() {
    parse_run_options usage_streams "$@"
    install_redis
    build_radish
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-streams.XXXXXX")"

    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
    start_servers
    prepare_streams
    local tests=(xadd xrange_100 xreadgroup xack)
    measure_throughput "${tests[@]}"
    print_throughput "${tests[@]}"
    echo "(xadd: \"${COMMAND_OF[xadd]}\", -n $REQUESTS; xrange_100: \"${COMMAND_OF[xrange_100]}\"" \
        "over $RANGE_ENTRIES entries, -n ${REQUESTS_OF[xrange_100]};" \
        "xreadgroup: \"${COMMAND_OF[xreadgroup]}\"; xack: \"${COMMAND_OF[xack]#-r * }\" with -r)"
}

streams_main "$@"
