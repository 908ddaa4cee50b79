#!/bin/bash
# Ingest throughput: iiifd (Redis stream, 2 workers) turning N JPEGs of ~50 Mpx into pyramidal
# JPEG TIFF masters, against `vips tiffsave` doing the same conversion (tiled 256, pyramid,
# JPEG Q90) from the command line, 2 at a time — the same parallelism as iiifd's 2 workers.
# iiifd's side is from the first `iiifd ingest` to the last job done, and includes what the
# command line does not: the copy of each original kept byte for byte, SHA-256 of originals and
# masters, fsyncs, object.json and the catalog. The two sides alternate (vips, iiifd, vips,
# iiifd) and the result is the ratio of medians, written to bench/results/ingest.md.
#
#   bench/ingest_bench.sh [FILES] [ROUNDS]      (default 20 files, 2 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

files=${1:-20}
rounds=${2:-2}
iiifd=build/daemon/iiifd
[[ -x $iiifd ]] || { echo "build first: scripts/build" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "needs redis-server: scripts/install-deps" >&2; exit 1; }

work=$(mktemp -d)
redis_pid=''
iiifd_pid=''
cleanup() {
    stop_pid "$iiifd_pid"
    stop_pid "$redis_pid"
    rm -rf "$work"
}
trap cleanup EXIT

echo "making $files JPEGs of 8660x5773 (50 Mpx) in $work/in ..."
mkdir -p "$work/in"
vips xyz "$work/xy.v" 8660 5773
vips extract_band "$work/xy.v" "$work/x.v" 0
vips extract_band "$work/xy.v" "$work/y.v" 1
vips linear "$work/x.v" "$work/r.v" 0.0294 0 --uchar
vips linear "$work/y.v" "$work/g.v" 0.0441 0 --uchar
vips gaussnoise "$work/n.v" 8660 5773 --mean 128 --sigma 20
vips bandjoin "$work/r.v $work/g.v $work/n.v" "$work/rgb.v"
vips cast "$work/rgb.v" "$work/src.v" uchar
vips copy "$work/src.v" "$work/srgb.v" --interpretation srgb
for ((i = 0; i < files; i++)); do
    # Each file different (a shifted copy), so no two originals share a checksum.
    vips embed "$work/srgb.v" "$work/in/page-$i.jpg[Q=90]" "$i" 0 8660 5773 --extend mirror
done
rm -f "$work"/*.v
du -sh "$work/in"

now() { date +%s%N; }
elapsed_ms() { echo $((($(now) - $1) / 1000000)); }

run_vips() {
    rm -rf "$work/vips-out"
    mkdir -p "$work/vips-out"
    local start
    start=$(now)
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
    find "$work/in" -name '*.jpg' -print0 | sort -z |
        xargs -0 -P 2 -I{} sh -c 'vips tiffsave "$1" "$2/$(basename "$1" .jpg).tif" --tile \
            --pyramid --compression jpeg --Q 90 --tile-width 256 --tile-height 256' _ {} "$work/vips-out"
    elapsed_ms "$start"
}

# write_conf DIR: DIR/iiifd.toml, its storage in DIR/root.
# shellcheck disable=SC2034 # the values of the templates' placeholders (render_template)
write_conf() {
    local STORAGE_ROOT=$1/root CATALOG=$1/root/catalog.mdb REDIS_PORT=$redis_port
    local API_PORT=$api_port SHOULDER=b3n SHOULDER_NAME=Bench SHOULDER_SUBJECT=Benchmark
    local SHOULDER_DESCRIPTION="Benchmark objects." SHOULDER_SERVICE=http://127.0.0.1/
    local ARK_POLICY=$bench_ark_policy BASE_URL=http://127.0.0.1 INSTITUTION=Bench
    local API_KEYS='"bench-key-0123456789abcdef"'
    render_iiifd_conf >"$1/iiifd.toml"
}

# run_iiifd ROUND: prints iiifd's time. Run in $(...), a subshell, whose exit stops what it
# started (the main shell's cleanup does not see its pids).
run_iiifd() {
    local dir=$work/iiifd-$1 redis_port api_port start done_count tries
    trap 'stop_pid "$iiifd_pid"; stop_pid "$redis_pid"' EXIT
    mkdir -p "$dir/redis" "$dir/root"
    read -r redis_port api_port < <(free_ports 2)
    start_bg "$dir/redis.log" redis-server --bind 127.0.0.1 --port "$redis_port" \
        --dir "$dir/redis" --appendonly yes --save ""
    redis_pid=$!
    wait_port 127.0.0.1 "$redis_port" 10 "$redis_pid" || { echo "no redis-server; see $dir/redis.log" >&2; exit 1; }
    write_conf "$dir"
    start_bg "$dir/iiifd.log" "$iiifd" -c "$dir/iiifd.toml"
    iiifd_pid=$!
    wait_port 127.0.0.1 "$api_port" 10 "$iiifd_pid" || { echo "no iiifd; see $dir/iiifd.log" >&2; exit 1; }

    start=$(now)
    for file in "$work"/in/*.jpg; do
        "$iiifd" ingest -c "$dir/iiifd.toml" "$file" --title "$(basename "$file")" >/dev/null
    done
    # Done when every job has left the stream's pending list and the stream is drained: iiifd
    # acknowledges (and deletes) an entry only once its object is in the catalog.
    for ((tries = 0; tries < 36000; tries++)); do
        done_count=$(redis-cli -p "$redis_port" --raw keys 'iiif:job:*' |
            while read -r key; do redis-cli -p "$redis_port" --raw hget "$key" state; done |
            grep -c -x 'done' || true)
        ((done_count == files)) && break
        sleep 0.1
    done
    elapsed_ms "$start"
    stop_pid "$iiifd_pid"
    iiifd_pid=''
    stop_pid "$redis_pid"
    redis_pid=''
    if ((done_count != files)); then
        echo "iiifd finished only $done_count of $files jobs; see $dir/iiifd.log" >&2
        exit 1
    fi
    rm -rf "$dir"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

vips_times=() iiifd_times=()
for ((round = 0; round < rounds; round++)); do
    vips_times+=("$(run_vips)")
    echo "round $round: vips tiffsave ${vips_times[-1]} ms"
    iiifd_times+=("$(run_iiifd "$round")")
    echo "round $round: iiifd ${iiifd_times[-1]} ms"
done
v=$(printf '%s\n' "${vips_times[@]}" | median)
d=$(printf '%s\n' "${iiifd_times[@]}" | median)
ratio=$(awk -v v="$v" -v d="$d" 'BEGIN {printf "%.2f", v / d}')
per_file=$(awk -v d="$d" -v n="$files" 'BEGIN {printf "%.2f", d / n / 1000}')

mkdir -p bench/results
{
    echo "# Ingest: iiifd against \`vips tiffsave\` on $files JPEGs of 50 Mpx"
    echo
    echo "Command: \`bench/ingest_bench.sh $files $rounds\` (median of $rounds alternating rounds)."
    bench_machine
    echo "Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo "| side | wall time for $files files (ms) | per file (s) |"
    echo "| --- | ---: | ---: |"
    echo "| \`vips tiffsave\`, 2 in parallel | $v | $(awk -v v="$v" -v n="$files" 'BEGIN {printf "%.2f", v / n / 1000}') |"
    echo "| iiifd, 2 workers (deposit to catalog) | $d | $per_file |"
    echo
    echo "Throughput of iiifd relative to the command line: **$ratio** (1.00 = as fast)."
} >bench/results/ingest.md
cat bench/results/ingest.md
