#!/usr/bin/env bash
# Memory per key and per element: radish-tokio and radish-smol against a real redis-server in
# the same run, for strings (with and without a TTL), small hashes, sorted sets, sets and lists,
# and one large key of each aggregate type.
#
# Usage: bench/memory.sh [options]   (see usage_memory() below or run with --help)
#
# Built on bench/compare.sh's helpers (servers on 127.0.0.1 only, each with its own directory
# under a temporary one that is removed at the end, everything stopped on exit). Every dataset
# gets fresh server processes, so that what one dataset freed does not blur the next.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=compare.sh
source "$(dirname "${BASH_SOURCE[0]}")/compare.sh"

STRING_KEYS=1000000 # keys of the two string datasets
KEYS=200000         # keys of the small aggregate datasets (10 elements each)
ELEMENTS=1000000    # elements of each large aggregate (one key)
BATCH=1000          # elements per command when loading a large aggregate
LOAD_SECONDS=300    # time limit of one redis-cli --pipe load

DATASETS=(strings strings_ex hashes zsets sets lists big_hash big_zset big_set big_list)
ONLY=("${DATASETS[@]}")

usage_memory() {
    cat <<EOF
Usage: bench/memory.sh [options]

Resident memory (VmRSS) of redis-server, radish-tokio and radish-smol side by side on
127.0.0.1 after loading each dataset through redis-cli --pipe into fresh processes; prints the
bytes per key (per element for the big_* ones) and MEMORY USAGE of one sample key, each with
its ratio to redis-server.

Datasets: strings     $STRING_KEYS x SET key:<12 digits> xxx
          strings_ex  the same with EX 100000
          hashes      N x HSET hash:<12 digits> field0 value00000 ... field9 value00009
          zsets       N x ZADD zset:<12 digits> 0 member0 1.5 member1 ... 13.5 member9
          sets        N x SADD set:<12 digits> 0 1 ... 9
          lists       N x RPUSH list:<12 digits> item0000 ... item0009
          big_hash, big_zset, big_set, big_list: one key of E elements each
          (f<i> v<i>; score <i> m<i>; m<i>; item<i>), $BATCH per command

  --keys N           N, the keys of the small aggregate datasets (default $KEYS)
  --quick            N = 20000, E = 100000 and 100000 string keys (default E = $ELEMENTS)
  --only NAME[,...]  run only these datasets
  --no-build         use the already built release binaries
  -h, --help         this text
EOF
}

parse_memory_options() {
    while (($# > 0)); do
        case "$1" in
            --keys) KEYS="$(positive_int "$1" "${2-}")"; shift ;;
            --quick) KEYS=20000 ELEMENTS=100000 STRING_KEYS=100000 ;;
            --only) IFS=, read -r -a ONLY <<<"${2-}"; shift ;;
            --no-build) DO_BUILD=0 ;;
            -h | --help) usage_memory; exit 0 ;;
            *) usage_memory >&2; die "unknown option: $1" ;;
        esac
        shift
    done
    local name
    ((${#ONLY[@]} > 0)) || die "--only needs dataset names"
    for name in "${ONLY[@]}"; do
        [[ " ${DATASETS[*]} " == *" $name "* ]] \
            || die "unknown dataset '$name' (one of: ${DATASETS[*]})"
    done
}

# ---------------------------------------------------------------------------------------------
# Datasets.

# How many keys a dataset creates: DBSIZE must say the same.
dataset_keys() {
    case "$1" in
        strings*) echo "$STRING_KEYS" ;;
        big_*) echo 1 ;;
        *) echo "$KEYS" ;;
    esac
}

# The key whose MEMORY USAGE is reported, and the command that gives its length.
sample_key() {
    case "$1" in
        strings*) echo key:000000000000 ;;
        hashes) echo hash:000000000000 ;;
        zsets) echo zset:000000000000 ;;
        sets) echo set:000000000000 ;;
        lists) echo list:000000000000 ;;
        big_*) echo "big:${1#big_}" ;;
    esac
}

length_command() {
    case "$1" in
        strings*) echo STRLEN ;;
        *hash*) echo HLEN ;;
        *zset*) echo ZCARD ;;
        *set*) echo SCARD ;;
        *list*) echo LLEN ;;
    esac
}

# The length the sample key must have.
sample_length() {
    case "$1" in
        strings*) echo 3 ;;
        big_*) echo "$ELEMENTS" ;;
        *) echo 10 ;;
    esac
}

# Writes the RESP that loads one dataset. The strings are compare.sh's set_commands; the rest
# repeat one ten-element tail after every key, or stream a large key's elements $BATCH at a
# time (printed as they come: building a 1000-element command as one awk string would copy it
# a thousand times).
dataset_commands() {
    local dataset="$1"
    if [[ "$dataset" == strings ]]; then
        set_commands "$STRING_KEYS"
        return
    fi
    LC_ALL=C awk -v dataset="$dataset" -v strings="$STRING_KEYS" -v keys="$KEYS" \
        -v elements="$ELEMENTS" -v batch="$BATCH" '
        function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
        function per_key(name, prefix, n, args, tail,   i) {
            for (i = 0; i < n; i++)
                printf "*%d\r\n%s%s%s", args, bulk(name), bulk(sprintf("%s:%012d", prefix, i)), tail
        }
        function element(j) {
            if (dataset == "big_hash") return bulk("f" j) bulk("v" j)
            if (dataset == "big_zset") return bulk(j) bulk("m" j)
            if (dataset == "big_set") return bulk("m" j)
            return bulk("item" j)
        }
        function big(name, key, width,   i, j, end) {
            for (i = 0; i < elements; i = end) {
                end = i + batch < elements ? i + batch : elements
                printf "*%d\r\n%s%s", 2 + width * (end - i), bulk(name), bulk(key)
                for (j = i; j < end; j++) printf "%s", element(j)
            }
        }
        BEGIN {
            for (f = 0; f < 10; f++) {
                hash = hash bulk("field" f) bulk(sprintf("value%05d", f))
                zset = zset bulk(f * 1.5) bulk("member" f)
                set = set bulk(f)
                list = list bulk(sprintf("item%04d", f))
            }
            ttl = bulk("xxx") bulk("EX") bulk("100000")
            if (dataset == "strings_ex") per_key("SET", "key", strings, 5, ttl)
            else if (dataset == "hashes") per_key("HSET", "hash", keys, 22, hash)
            else if (dataset == "zsets") per_key("ZADD", "zset", keys, 22, zset)
            else if (dataset == "sets") per_key("SADD", "set", keys, 12, set)
            else if (dataset == "lists") per_key("RPUSH", "list", keys, 12, list)
            else if (dataset == "big_hash") big("HSET", "big:hash", 2)
            else if (dataset == "big_zset") big("ZADD", "big:zset", 2)
            else if (dataset == "big_set") big("SADD", "big:set", 1)
            else if (dataset == "big_list") big("RPUSH", "big:list", 1)
        }'
}

# ---------------------------------------------------------------------------------------------
# Measurement.

declare -A KEYS_OF=() GROWTH_OF=() BYTES_OF=() USAGE_OF=()
NOTES=()

# Empties one server, reads its RSS, loads the dataset from its RESP file, and reads RSS, DBSIZE,
# the sample key's MEMORY USAGE and length again.
load_into() {
    local dataset="$1" server="$2" file="$3" empty loaded report count usage length
    local key expected_keys expected_length
    key="$(sample_key "$dataset")"
    expected_keys="$(dataset_keys "$dataset")"
    expected_length="$(sample_length "$dataset")"
    cli "$server" FLUSHALL >/dev/null
    sleep 0.5
    empty="$(rss_kb "${PID[$server]}")"
    log "$dataset: loading into $server"
    report="$(timeout --foreground "$LOAD_SECONDS" redis-cli -h 127.0.0.1 -p "${PORT[$server]}" \
        --pipe <"$file" 2>&1)" || die "loading $dataset into $server failed: $report"
    grep -q 'errors: 0,' <<<"$report" || die "loading $dataset into $server failed: $report"
    require_alive "$server"
    sleep 1 # lets a server finish freeing its input buffers before we read RSS
    loaded="$(rss_kb "${PID[$server]}")"
    count="$(cli "$server" DBSIZE)"
    usage="$(cli "$server" MEMORY USAGE "$key" 2>&1 || true)"
    [[ "$usage" =~ ^[0-9]+$ ]] || usage=ERR
    length="$(cli "$server" "$(length_command "$dataset")" "$key" 2>&1 || true)"

    KEYS_OF[$dataset,$server]="$count"
    GROWTH_OF[$dataset,$server]=$((loaded - empty))
    USAGE_OF[$dataset,$server]="$usage"
    # Per element for the large keys, per key for the rest.
    local items="$count"
    if [[ "$dataset" == big_* ]]; then items="$ELEMENTS"; fi
    BYTES_OF[$dataset,$server]="$(awk -v kib=$((loaded - empty)) -v n="$items" \
        'BEGIN { if (n > 0) printf "%.1f", kib * 1024 / n; else print "ERR" }')"

    if [[ "$count" != "$expected_keys" ]]; then
        NOTES+=("$dataset: $server holds $count keys, expected $expected_keys")
    fi
    if [[ "$length" != "$expected_length" ]]; then
        NOTES+=("$dataset: $server's $key has length $length, expected $expected_length")
    fi
}

measure_dataset() {
    local dataset="$1" server file="$WORK_DIR/$1.resp"
    log "$dataset: generating the commands"
    dataset_commands "$dataset" >"$file"
    start_servers
    for server in "${SERVERS[@]}"; do load_into "$dataset" "$server" "$file"; done
    stop_servers
    rm -f "$file"
}

print_memory() {
    local dataset server per
    echo
    echo "Memory per key (RSS = VmRSS; fresh servers for every dataset; ratio = x / redis)"
    printf '%-10s %-6s %8s %9s %8s %-4s %6s %9s %6s\n' dataset server DBSIZE "RSS +KiB" bytes per \
        ratio "MEM USAGE" ratio
    for dataset in "${ONLY[@]}"; do
        per=key
        if [[ "$dataset" == big_* ]]; then per=elem; fi
        for server in "${SERVERS[@]}"; do
            printf '%-10s %-6s %8s %9s %8s %-4s %6s %9s %6s\n' "$dataset" "$server" \
                "${KEYS_OF[$dataset,$server]}" "${GROWTH_OF[$dataset,$server]}" \
                "${BYTES_OF[$dataset,$server]}" "$per" \
                "$(ratio "${BYTES_OF[$dataset,$server]}" "${BYTES_OF[$dataset,redis]}")" \
                "${USAGE_OF[$dataset,$server]}" \
                "$(ratio "${USAGE_OF[$dataset,$server]}" "${USAGE_OF[$dataset,redis]}")"
        done
    done
    echo "(RSS +KiB: loaded - empty RSS; bytes: that per key, or per element for big_*;" \
        "MEM USAGE: MEMORY USAGE of the dataset's first key, e.g. $(sample_key hashes))"
    local note
    for note in ${NOTES[@]+"${NOTES[@]}"}; do echo "WARNING: $note"; done
}

memory_main() {
    parse_memory_options "$@"
    install_redis
    build_radish
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-memory.XXXXXX")"

    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start;" \
        "$STRING_KEYS string keys, $KEYS small aggregates, $ELEMENTS-element big ones"
    local dataset
    for dataset in "${ONLY[@]}"; do measure_dataset "$dataset"; done
    print_memory
}

memory_main "$@"
