#!/usr/bin/env bash
# Memory per key and per element: radish-tokio and radish-smol against a real redis-server in
# the same run, for strings (with and without a TTL), small hashes, sorted sets, sets, lists and
# streams, and one large key of each aggregate type; and how far memory rises while BGSAVE runs under
# write load (Redis forks; radish snapshots from threads).
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
STREAM_KEYS=1000    # keys of the streams dataset
STREAM_ENTRIES=100  # entries of each of them
ELEMENTS=1000000    # elements of each large aggregate (one key)
BATCH=1000          # elements per command when loading a large aggregate
LOAD_SECONDS=300    # time limit of one redis-cli --pipe load
BGSAVE_KEYS=1000000     # keys of the bgsave dataset, which the write load overwrites at random
BGSAVE_VALUE=100        # bytes per value of the bgsave dataset and of the load's SETs
BGSAVE_CLIENTS=50       # redis-benchmark -c of the write load
BGSAVE_REQUESTS=3000000 # redis-benchmark -n of the write load (stopped when the save ends)
BGSAVE_SECONDS=120      # time limit of one BGSAVE
SAMPLE_MS=20            # interval between two samples of the memory during BGSAVE

DATASETS=(strings strings_ex hashes zsets sets lists streams big_hash big_zset big_set big_list
    big_stream bgsave)
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
          streams     $STREAM_KEYS x $STREAM_ENTRIES x XADD stream:<12 digits> <i>-1 sensor s<i % 10> value <i>
          big_hash, big_zset, big_set, big_list: one key of E elements each
          (f<i> v<i>; score <i> m<i>; m<i>; item<i>), $BATCH per command
          big_stream  one stream of E entries, XADD big:stream <i>-1 sensor s<i % 10> value <i>
          bgsave      B x SET key:<12 digits> <$BGSAVE_VALUE bytes>, then BGSAVE while
                      $BGSAVE_CLIENTS clients overwrite them (redis-benchmark -P 16); prints
                      a second table: the peak PSS of the server and its children during
                      the save, against PSS just before it

  --keys N           N, the keys of the small aggregate datasets (default $KEYS)
  --quick            N = 20000, E = 100000, 100000 string keys and B = 200000
                     (default E = $ELEMENTS, B = $BGSAVE_KEYS)
  --only NAME[,...]  run only these datasets
  --no-build         use the already built release binaries
  -h, --help         this text
EOF
}

parse_memory_options() {
    while (($# > 0)); do
        case "$1" in
            --keys) KEYS="$(positive_int "$1" "${2-}")"; shift ;;
            --quick) KEYS=20000 ELEMENTS=100000 STRING_KEYS=100000 BGSAVE_KEYS=200000 ;;
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
        streams) echo "$STREAM_KEYS" ;;
        big_*) echo 1 ;;
        bgsave) echo "$BGSAVE_KEYS" ;;
        *) echo "$KEYS" ;;
    esac
}

# The key whose MEMORY USAGE is reported, and the command that gives its length.
sample_key() {
    case "$1" in
        strings* | bgsave) echo key:000000000000 ;;
        hashes) echo hash:000000000000 ;;
        zsets) echo zset:000000000000 ;;
        sets) echo set:000000000000 ;;
        lists) echo list:000000000000 ;;
        streams) echo stream:000000000000 ;;
        big_*) echo "big:${1#big_}" ;;
    esac
}

length_command() {
    case "$1" in
        strings* | bgsave) echo STRLEN ;;
        *stream*) echo XLEN ;;
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
        streams) echo "$STREAM_ENTRIES" ;;
        big_*) echo "$ELEMENTS" ;;
        bgsave) echo "$BGSAVE_VALUE" ;;
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
        -v elements="$ELEMENTS" -v batch="$BATCH" -v bgsave_keys="$BGSAVE_KEYS" \
        -v value_size="$BGSAVE_VALUE" -v stream_keys="$STREAM_KEYS" \
        -v stream_entries="$STREAM_ENTRIES" '
        function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
        function per_key(name, prefix, n, args, tail,   i) {
            for (i = 0; i < n; i++)
                printf "*%d\r\n%s%s%s", args, bulk(name), bulk(sprintf("%s:%012d", prefix, i)), tail
        }
        # One XADD per entry (XADD adds one): entry i of a stream gets ID <i>-1.
        function stream(key, n,   i) {
            for (i = 1; i <= n; i++)
                printf "*7\r\n%s%s%s%s%s%s%s", bulk("XADD"), bulk(key), bulk(i "-1"),
                    bulk("sensor"), bulk("s" (i % 10)), bulk("value"), bulk(i)
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
            # As long as the values of redis-benchmark -d, so that its SETs keep the size.
            for (c = 0; c < value_size; c++) value = value "x"
            if (dataset == "strings_ex") per_key("SET", "key", strings, 5, ttl)
            else if (dataset == "bgsave") per_key("SET", "key", bgsave_keys, 3, bulk(value))
            else if (dataset == "hashes") per_key("HSET", "hash", keys, 22, hash)
            else if (dataset == "zsets") per_key("ZADD", "zset", keys, 22, zset)
            else if (dataset == "sets") per_key("SADD", "set", keys, 12, set)
            else if (dataset == "lists") per_key("RPUSH", "list", keys, 12, list)
            else if (dataset == "big_hash") big("HSET", "big:hash", 2)
            else if (dataset == "big_zset") big("ZADD", "big:zset", 2)
            else if (dataset == "big_set") big("SADD", "big:set", 1)
            else if (dataset == "big_list") big("RPUSH", "big:list", 1)
            else if (dataset == "streams")
                for (k = 0; k < stream_keys; k++) stream(sprintf("stream:%012d", k), stream_entries)
            else if (dataset == "big_stream") stream("big:stream", elements)
        }'
}

# ---------------------------------------------------------------------------------------------
# Measurement.

declare -A KEYS_OF=() GROWTH_OF=() BYTES_OF=() USAGE_OF=() DATASET_KB_OF=()
NOTES=()

# The memory that bgsave measures: PSS, the proportional set size (a page that n processes share
# counts 1/n in each, so that the copy-on-write pages Redis shares with its BGSAVE child count
# once), or VmRSS where the kernel has no smaps_rollup (then those pages count twice).
if [[ -r /proc/self/smaps_rollup ]]; then
    MEMORY_KIND=PSS MEMORY_FILE=smaps_rollup MEMORY_FIELD=Pss:
else
    MEMORY_KIND=VmRSS MEMORY_FILE=status MEMORY_FIELD=VmRSS:
fi

# KiB of MEMORY_KIND of a process and all its descendants: Redis forks a child for BGSAVE
# (radish's threads are part of its process). A process that exits meanwhile counts as nothing.
# Each file is read whole: bash's `read` seeks back after every line, and each seek makes the
# kernel build smaps_rollup again (20 ms a sample for a 200 MiB process instead of 1).
tree_kb() {
    local pids=("$1") i file kids text total=0
    for ((i = 0; i < ${#pids[@]}; i++)); do
        if [[ -e "/proc/${pids[i]}/task/${pids[i]}/children" ]]; then
            for file in "/proc/${pids[i]}"/task/*/children; do
                kids=()
                { read -r -d '' -a kids <"$file"; } 2>/dev/null || true
                pids+=(${kids[@]+"${kids[@]}"})
            done
        else
            mapfile -t -O "${#pids[@]}" pids < <(pgrep -P "${pids[i]}" || true)
        fi
        text=""
        { text="$(<"/proc/${pids[i]}/$MEMORY_FILE")"; } 2>/dev/null || true
        if [[ "$text" =~ (^|$'\n')"$MEMORY_FIELD"[[:space:]]+([0-9]+) ]]; then
            total=$((total + BASH_REMATCH[2]))
        fi
    done
    echo "$total"
}

# Empties one server, reads its RSS, loads the dataset from its RESP file, and reads RSS, DBSIZE,
# the sample key's MEMORY USAGE and length again (and MEMORY_KIND before and after, for bgsave).
load_into() {
    local dataset="$1" server="$2" file="$3" empty loaded report count usage length
    local key expected_keys expected_length empty_tree
    key="$(sample_key "$dataset")"
    expected_keys="$(dataset_keys "$dataset")"
    expected_length="$(sample_length "$dataset")"
    cli "$server" FLUSHALL >/dev/null
    sleep 0.5
    empty="$(rss_kb "${PID[$server]}")"
    empty_tree="$(tree_kb "${PID[$server]}")"
    log "$dataset: loading into $server"
    report="$(timeout --foreground "$LOAD_SECONDS" redis-cli -h 127.0.0.1 -p "${PORT[$server]}" \
        --pipe <"$file" 2>&1)" || die "loading $dataset into $server failed: $report"
    grep -q 'errors: 0,' <<<"$report" || die "loading $dataset into $server failed: $report"
    require_alive "$server"
    sleep 1 # lets a server finish freeing its input buffers before we read RSS
    loaded="$(rss_kb "${PID[$server]}")"
    DATASET_KB_OF[$dataset,$server]=$(($(tree_kb "${PID[$server]}") - empty_tree))
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

# One field of an INFO reply.
info_field() {
    awk -F: -v name="$2" '$1 == name { sub(/\r$/, "", $2); print $2 }' <<<"$1"
}

declare -A BEFORE_KB_OF=() PEAK_KB_OF=() SAVE_SECONDS_OF=() SAMPLES_OF=()

# BGSAVE under write load on one server that holds the bgsave dataset: starts redis-benchmark
# overwriting those keys, gives it half a second, reads the memory, sends BGSAVE and samples the
# memory until INFO says that the save is over, then stops the load. The load is bounded in
# requests and in time, and stop_server (which works for any process in PID) ends it here or,
# on an early exit, in memory_cleanup.
bgsave_under_load() {
    local server="$1" pid="${PID[$1]}" saves info reply kb peak=0 taken=0 deadline
    local start next now pause
    info="$(cli "$server" INFO persistence)"
    saves="$(info_field "$info" rdb_saves)"
    log "bgsave: BGSAVE on $server under $BGSAVE_CLIENTS clients' SETs"
    timeout $((BGSAVE_SECONDS + 30)) redis-benchmark -h 127.0.0.1 -p "${PORT[$server]}" \
        -c "$BGSAVE_CLIENTS" -n "$BGSAVE_REQUESTS" -r "$BGSAVE_KEYS" -d "$BGSAVE_VALUE" \
        -t set -P 16 -q >"$WORK_DIR/load.log" 2>&1 &
    PID[load]=$!
    sleep 0.5
    BEFORE_KB_OF[$server]="$(tree_kb "$pid")"
    reply="$(cli "$server" BGSAVE 2>&1)"
    start="${EPOCHREALTIME//[!0-9]/}" # microseconds
    next="$start"
    deadline=$((SECONDS + BGSAVE_SECONDS))
    info=""
    if [[ "$reply" != "Background saving started" ]]; then
        NOTES+=("bgsave: $server answered BGSAVE with '$reply'")
        info="rdb_bgsave_in_progress:0"
    fi
    # Sample, then ask: the last sample is taken while the save still runs.
    while [[ "$info" != *rdb_bgsave_in_progress:0* ]]; do
        kb="$(tree_kb "$pid")"
        if ((kb > peak)); then peak="$kb"; fi
        taken=$((taken + 1))
        info="$(cli "$server" INFO persistence 2>&1)" || true
        if [[ "$info" != *rdb_bgsave_in_progress:0* ]] && ((SECONDS >= deadline)); then
            NOTES+=("bgsave: $server's BGSAVE still ran after $BGSAVE_SECONDS s")
            break
        fi
        # Every SAMPLE_MS from the start, or at once when sampling took longer than that.
        now="${EPOCHREALTIME//[!0-9]/}"
        next=$((next + SAMPLE_MS * 1000))
        if ((next > now)); then
            printf -v pause '0.%06d' $((next - now))
            sleep "$pause"
        else
            next="$now"
        fi
    done
    now=$((${EPOCHREALTIME//[!0-9]/} - start))
    printf -v "SAVE_SECONDS_OF[$server]" '%d.%02d' $((now / 1000000)) $((now % 1000000 / 10000))
    if ! kill -0 "${PID[load]}" 2>/dev/null; then
        NOTES+=("bgsave: the write load on $server ended before the save did")
    fi
    stop_server load
    if grep -q 'Error' "$WORK_DIR/load.log"; then
        NOTES+=("bgsave: the write load on $server: $(grep -m 1 'Error' "$WORK_DIR/load.log")")
    fi
    require_alive "$server"
    PEAK_KB_OF[$server]="$peak"
    SAMPLES_OF[$server]="$taken"
    if [[ "$(info_field "$info" rdb_last_bgsave_status)" != ok \
        || "$(info_field "$info" rdb_saves)" != $((saves + 1)) ]]; then
        NOTES+=("bgsave: $server's BGSAVE did not succeed: $(grep -E \
            'rdb_saves|rdb_last_bgsave_status' <<<"$info" | tr -d '\r' | tr '\n' ' ')")
    fi
    log "bgsave: $server saved in ${SAVE_SECONDS_OF[$server]} s ($taken samples):" \
        "$(find "$WORK_DIR/$server" -name '*.rdb' -printf '%f %s bytes ')"
    rm -f "$WORK_DIR/$server"/*.rdb
}

measure_dataset() {
    local dataset="$1" server file="$WORK_DIR/$1.resp"
    log "$dataset: generating the commands"
    dataset_commands "$dataset" >"$file"
    start_servers
    for server in "${SERVERS[@]}"; do load_into "$dataset" "$server" "$file"; done
    rm -f "$file"
    if [[ "$dataset" == bgsave ]]; then
        for server in "${SERVERS[@]}"; do bgsave_under_load "$server"; done
    fi
    stop_servers
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
    if [[ " ${ONLY[*]} " == *" bgsave "* ]]; then print_bgsave; fi
    local note
    for note in ${NOTES[@]+"${NOTES[@]}"}; do echo "WARNING: $note"; done
}

print_bgsave() {
    local server
    echo
    echo "BGSAVE under write load (bgsave: $BGSAVE_KEYS keys of $BGSAVE_VALUE bytes, overwritten" \
        "meanwhile by redis-benchmark -c $BGSAVE_CLIENTS -P 16 -t set; MiB of $MEMORY_KIND)"
    printf '%-6s %11s %10s %8s %8s %9s %6s %7s %7s\n' server "dataset MiB" "before MiB" \
        "peak MiB" "rise MiB" "% dataset" ratio "save s" samples
    for server in "${SERVERS[@]}"; do
        awk -v server="$server" -v dataset="${DATASET_KB_OF[bgsave,$server]}" \
            -v before="${BEFORE_KB_OF[$server]}" -v peak="${PEAK_KB_OF[$server]}" \
            -v redis=$((PEAK_KB_OF[redis] - BEFORE_KB_OF[redis])) \
            -v seconds="${SAVE_SECONDS_OF[$server]}" -v samples="${SAMPLES_OF[$server]}" '
            BEGIN {
                rise = peak - before
                if (samples == 0) { # no save to sample: see the warnings
                    printf "%-6s %11.1f %10.1f %8s %8s %9s %6s %7s %7s\n", server,
                        dataset / 1024, before / 1024, "-", "-", "-", "-", "-", 0
                    exit
                }
                printf "%-6s %11.1f %10.1f %8.1f %8.1f %9s %6s %7s %7s\n", server,
                    dataset / 1024, before / 1024, peak / 1024, rise / 1024,
                    (dataset > 0 ? sprintf("%.1f%%", 100 * rise / dataset) : "-"),
                    (redis > 0 && samples > 0 ? sprintf("%.2f", rise / redis) : "-"),
                    seconds, samples
            }'
    done
    echo "(the server's process and its children: Redis's fork; dataset: loaded - empty;" \
        "before: just before BGSAVE, the load running; peak: the highest of samples every" \
        "$SAMPLE_MS ms until INFO says rdb_bgsave_in_progress:0; rise: peak - before;" \
        "ratio: rise / redis-server's rise)"
    if [[ "$MEMORY_KIND" != PSS ]]; then
        echo "WARNING: no /proc/<pid>/smaps_rollup: VmRSS instead of PSS, so the pages Redis" \
            "shares with its fork count twice"
    fi
}

# compare.sh's cleanup, after stopping bgsave's write load if it still runs; cleanup exits with
# the status it finds in $?, so that is restored first.
memory_cleanup() {
    local status=$?
    set +e
    stop_server load
    (exit "$status")
    cleanup
}

memory_main() {
    parse_memory_options "$@"
    install_redis
    build_radish
    trap memory_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/radish-memory.XXXXXX")"

    echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores," \
        "load average $(cut -d' ' -f1-3 /proc/loadavg) at start;" \
        "$STRING_KEYS string keys, $KEYS small aggregates, $ELEMENTS-element big ones," \
        "$BGSAVE_KEYS for bgsave"
    local dataset
    for dataset in "${ONLY[@]}"; do measure_dataset "$dataset"; done
    print_memory
}

memory_main "$@"
