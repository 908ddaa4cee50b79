#!/bin/bash
# Harvesting (issue 18): `iiifd harvest PARTNER` over N metadata-only oai_dc records served by
# tests/harvest/fixture_provider.py on loopback (pages of 100, as DSpace sends them): records
# per second, and iiifd's resident memory through the run (flat from the first page to the last:
# the target is within 50 MB, with at least 2,000 records/s).
#
#   bench/harvest_bench.sh [RECORDS]      (default 100000)
#
# BENCH_DRY_RUN=1: `--dry-run`, which reads, parses and normalises every record but makes no
# object (the harvester and the normaliser alone). Otherwise each record becomes an object
# (object.json, the catalog, an event in a real redis-server's stream).
# Environment: IIIF_BUILD_DIR (build), BENCH_KEEP=1 keeps the work directory. The report
# (markdown) goes to the standard output: bench/harvest_bench.sh >bench/results/harvest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

records=${1:-100000}
build=${IIIF_BUILD_DIR:-build}
iiifd=$(realpath -m "$build/daemon/iiifd")
[[ -x $iiifd ]] || fail "no $iiifd: build first (scripts/build)"
command_line="${BENCH_DRY_RUN:+BENCH_DRY_RUN=$BENCH_DRY_RUN }bench/harvest_bench.sh${*:+ $*}"
bench_need_tools python3 redis-server
dry_run=${BENCH_DRY_RUN:-0}

bench_begin
bench_make_work
fixture_pid=""
redis_pid=""
cleanup() {
    set +e
    [[ -n $fixture_pid ]] && kill "$fixture_pid" 2>/dev/null && wait "$fixture_pid" 2>/dev/null
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    bench_remove_work
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "the fixture provider: $records records, pages of 100"
python3 tests/harvest/fixture_provider.py --port-file "$work/port" --log "$work/requests.log" \
    --config "{\"records\": $records, \"page_size\": 100, \"granularity\": \"seconds\"}" &
fixture_pid=$!
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
[[ -s $work/port ]] || fail "the fixture provider did not start"
port=$(cat "$work/port")

mkdir -p "$work/root" "$work/redis"
read -r redis_port < <(free_ports 1)
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$work/redis" --logfile "$work/redis.log" &
redis_pid=$!
wait_port 127.0.0.1 "$redis_port" 10 "$redis_pid" || fail "no answer from redis-server"
# shellcheck disable=SC2034 # the values of the templates' placeholders (render_template)
write_conf() {
    local STORAGE_ROOT=$work/root CATALOG=$work/root/catalog.mdb REDIS_PORT=$redis_port API_PORT=8081
    local SHOULDER=h7q SHOULDER_NAME="Harvested records" ARK_POLICY="Harvested for the benchmark." BASE_URL=http://127.0.0.1:8080
    local INSTITUTION="Bench Library" API_KEYS='"harvest-bench-0123456789"' FIXTURE_PORT=$port
    local MORE
    MORE=$(render_template bench-harvest.toml.in) || return 1
    render_iiifd_conf >"$work/iiifd.toml"
}
write_conf

harvest_args=(harvest bench)
[[ $dry_run == 1 ]] && harvest_args+=(--dry-run)
say "iiifd ${harvest_args[*]}"
start_ns=$(date +%s%N)
"$iiifd" -c "$work/iiifd.toml" --log-level warn "${harvest_args[@]}" >"$work/run.json" 2>"$work/iiifd.err" &
harvest_pid=$!
# Every 0.2 s: the requests the fixture has answered by then, VmRSS, RssAnon (the heap),
# RssFile (pages of mapped files: the catalog's map) in kB, and iiifd's CPU time in ticks.
: >"$work/rss.tsv"
: >>"$work/requests.log"
while kill -0 "$harvest_pid" 2>/dev/null; do
    memory=$(awk '/^(VmRSS|RssAnon|RssFile)/ {printf "%s ", $2}' "/proc/$harvest_pid/status" \
        2>/dev/null || true)
    ticks=$(awk '{print $14 + $15}' "/proc/$harvest_pid/stat" 2>/dev/null || true)
    [[ -n $memory && -n $ticks ]] &&
        echo "$(wc -l <"$work/requests.log") $memory$ticks" >>"$work/rss.tsv"
    sleep 0.2
done
status=0
wait "$harvest_pid" || status=$?
end_ns=$(date +%s%N)
[[ $status -eq 0 ]] || fail "iiifd harvest failed ($status): $(cat "$work/iiifd.err")"
fixture_ticks=$(awk '{print $14 + $15}' "/proc/$fixture_pid/stat")
bench_end_load=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$(($(date +%s) - started))

count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['counts'][sys.argv[2]])" "$work/run.json" "$1"; }
harvested=$(count records)
created=$(count created)
[[ $harvested -eq $records ]] || fail "$harvested records harvested, not $records"
if [[ $dry_run == 1 ]]; then expected=0; else expected=$records; fi
[[ $created -eq $expected ]] || fail "$created objects made, not $expected"
seconds=$(awk -v ns=$((end_ns - start_ns)) 'BEGIN {printf "%.2f", ns / 1e9}')
rate=$(awk -v n="$records" -v s="$seconds" 'BEGIN {printf "%.0f", n / s}')
pages=$(wc -l <"$work/requests.log")
# Resident memory once the first ListRecords page is in (a request past Identify), and at the
# last sample; the peak.
first_rss=$(awk '$1 >= 3 {print $2; exit}' "$work/rss.tsv")
last_rss=$(tail -1 "$work/rss.tsv" | cut -d' ' -f2)
peak_rss=$(sort -k2 -n "$work/rss.tsv" | tail -1 | cut -d' ' -f2)
growth=$(((last_rss - first_rss) / 1024))
first_anon=$(awk '$1 >= 3 {print $3; exit}' "$work/rss.tsv")
last_anon=$(tail -1 "$work/rss.tsv" | cut -d' ' -f3)
first_file=$(awk '$1 >= 3 {print $4; exit}' "$work/rss.tsv")
last_file=$(tail -1 "$work/rss.tsv" | cut -d' ' -f4)
iiifd_cpu=$(tail -1 "$work/rss.tsv" |
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", $5 / hz}')
fixture_cpu=$(awk -v t="$fixture_ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz}')

cat <<EOF
# Harvesting: metadata-only records from an OAI-PMH provider

Command: \`$command_line\` (the whole run took $((elapsed / 60)) min $((elapsed % 60)) s).
$(bench_machine)
Commit: $commit; iiifd: $iiifd.
Load average (1, 5, 15 min) before the run: $load_start; after: $bench_end_load.

\`iiifd ${harvest_args[*]}\` against \`tests/harvest/fixture_provider.py\` on loopback:
$records generated oai_dc records (title, creator, date, type, identifier, sets), pages of 100,
seconds granularity, no politeness delay. Each record is read, parsed (libxml2's reader) and
normalised (dc_normalise)$([[ $dry_run == 1 ]] && echo "; a dry run makes no object" || echo ", then made an object: its ARK minted and noted, object.json, the catalog's records, an event in redis-server's stream (\`--save '' --appendonly no\`)").
The provider is a Python script: its CPU time is given so that a rate it limits is seen as such.

| | |
| --- | ---: |
| records harvested | $harvested |
| objects made | $created |
| requests (Identify and ListRecords pages) | $pages |
| wall time | $seconds s |
| records per second | **$rate** (target ≥ 2,000) |
| provider's CPU time (Python) | $fixture_cpu s |
| iiifd's CPU time (at the last sample) | $iiifd_cpu s |
| iiifd's resident memory after the first page | $((first_rss / 1024)) MB |
| iiifd's resident memory at the end | $((last_rss / 1024)) MB |
| from the first page to the last | $growth MB (target: within 50 MB) |
| iiifd's peak resident memory (sampled every 0.2 s) | $((peak_rss / 1024)) MB |
| of it, its heap (RssAnon), after the first page and at the end | $((first_anon / 1024)) MB, $((last_anon / 1024)) MB |
| of it, mapped files' pages (RssFile: the catalog's map, libraries), same | $((first_file / 1024)) MB, $((last_file / 1024)) MB |
EOF
