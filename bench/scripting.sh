#!/usr/bin/env bash
# EVALSHA throughput: radish-tokio and radish-smol against a real redis-server in the same
# run, for a script making one redis.call (INCR) and one making 100, at -P 1 and -P 16.
#
# Usage: bench/scripting.sh [options]   (see usage_scripting() below or run with --help)
#
# Built on bench/compare.sh's helpers (servers on 127.0.0.1 only, each with its own directory
# under a temporary one that is removed at the end, finite -n, everything stopped on exit).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"

REQUESTS=200000 # -n of the one-call script; the 100-call one runs a tenth of it
REPEATS=3

# The scripts, by test name.
declare -A SCRIPT_OF=(
    [evalsha_incr]="return redis.call('INCR', KEYS[1])"
    [evalsha_100]="for i = 1, 100 do redis.call('INCR', KEYS[1]) end return 1"
)

usage_scripting() {
    cat <<EOF
Usage: bench/scripting.sh [options]

EVALSHA throughput of redis-server, radish-tokio and radish-smol side by side on 127.0.0.1,
for a script making one redis.call and one making 100, at -P 1 and -P 16; prints each with
its ratio to redis-server.

  --requests N   redis-benchmark -n of the one-call script (default $REQUESTS; N/10 for the
                 100-call one)
  --clients C    redis-benchmark -c (default $CLIENTS)
  --repeat R     measurements per cell, median reported (default $REPEATS)
  --quick        -n 20000, 1 repeat
  --no-build     use the already built release binaries
  -h, --help     this text
EOF
}

# Loads every script into every server (its SHA-1 is the same everywhere) and sets the
# command each test runs.
load_scripts() {
    local test server sha
    for test in "${!SCRIPT_OF[@]}"; do
        for server in "${SERVERS[@]}"; do
            sha="$(cli "$server" SCRIPT LOAD "${SCRIPT_OF[$test]}")"
            [[ "$sha" =~ ^[0-9a-f]{40}$ ]] || die "SCRIPT LOAD on $server answered: $sha"
        done
        COMMAND_OF[$test]="EVALSHA $sha 1 bench:counter"
    done
    REQUESTS_OF[evalsha_100]=$((REQUESTS / 10 > 0 ? REQUESTS / 10 : 1))
}

scripting_main() {
    parse_run_options usage_scripting "$@"
    install_redis
    build_radish
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-scripting.XXXXXX")"

    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
    start_servers
    load_scripts
    local tests=(evalsha_incr evalsha_100)
    measure_throughput "${tests[@]}"
    print_throughput "${tests[@]}"
    echo "(evalsha_incr: EVALSHA of \"${SCRIPT_OF[evalsha_incr]}\", -n $REQUESTS;" \
        "evalsha_100: \"${SCRIPT_OF[evalsha_100]}\", -n ${REQUESTS_OF[evalsha_100]})"
}

scripting_main "$@"
