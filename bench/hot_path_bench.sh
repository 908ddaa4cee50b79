#!/bin/bash
# The tile cache's hit path against nginx serving the same bytes as files (issue 16, "a hot path
# with no copy"): the module with a warm cache, and a plain `location` of the same nginx with
# sendfile, side by side, in interleaved runs.
#
#   (a) one hot tile, repeated: 2560,2048,256,256/256, of the generated 10000x8000 pyramid
#       (bench/lib.sh's make_pyramid), against that tile's bytes as one file.
#   (b) the warm tile mix: every tile of every level (as OpenSeadragon asks for them), all
#       cached, in random order, against each tile's bytes as a file of its own, in the same order.
#
# Each round runs, for each workload, module and static one after the other (which goes first
# alternates from round to round); the report gives each run, the ratio of the medians, the ratio
# in each round, and nginx's CPU per request on each side (its workers' CPU time over the
# requests: less changed by other load on the machine than the throughput). Any response but
# 200, or a module response that is not a HIT, fails the run. Targets: (a) >= 1.0, (b) >= 0.9.
#
#   bench/hot_path_bench.sh [ROUNDS] [SECONDS]      (default 5 rounds of 10 s runs; ~4 minutes)
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (2), IIIF_BUILD_DIR (build), BENCH_KEEP=1
# keeps the work directory, BENCH_ONLY=a or b runs one workload. The report (markdown) goes to the
# standard output: bench/hot_path_bench.sh >bench/results/hot_path.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rounds=${1:-5}
secs=${2:-10}
build=${IIIF_BUILD_DIR:-build}
module=$(realpath -m "$build/ngx_module/ngx_http_iiif_module.so")
only=${BENCH_ONLY:-ab}
[[ -f $module ]] || fail "no $module: build first (scripts/build)"
command_line=$(for v in BENCH_CONNECTIONS BENCH_THREADS IIIF_BUILD_DIR BENCH_ONLY; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/hot_path_bench.sh${*:+ $*}"
bench_need_tools nginx wrk vips curl python3

bench_begin
bench_make_work
bench_module_source common ngx_module
bench_copy_module
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

read -r port < <(free_ports 1)
base="http://127.0.0.1:$port"
mkdir -p "$work/images" "$work/cache" "$work/static/mix" "$work/lists"
say "making the 10000x8000 pyramidal JPEG TIFF ..."
make_pyramid "$work/images/pyramid.tif"
if ((EUID == 0)); then chown nobody "$work/cache"; fi
# shellcheck disable=SC2016 # nginx's variables, for nginx
WORK=$work bench_nginx_conf bench-hot.conf.in '$iiif_cache_status $status $body_bytes_sent $request_uri'
bench_nginx_start
module_id="$base/iiif/3/pyramid"
say "nginx on $base (pid $nginx_pid)"

# ---- The bytes: every tile rendered once (the cache filled), each saved as a static file -------
curl -sf "$module_id/info.json" -o "$work/info.json" || fail "info.json"
python3 - "$work/info.json" "$work/lists" <<'PY'
import json, math, random, sys
info = json.load(open(sys.argv[1]))
out = sys.argv[2]
W, H = info["width"], info["height"]
tile = info["tiles"][0]
tw, th = tile["width"], tile.get("height", tile["width"])
tiles = []
for sf in tile["scaleFactors"]:
    for y in range(0, H, th * sf):
        for x in range(0, W, tw * sf):
            w, h = min(tw * sf, W - x), min(th * sf, H - y)
            tiles.append(f"{x},{y},{w},{h}/{math.ceil(w / sf)},/0/default.jpg")
random.Random(1).shuffle(tiles)
with open(f"{out}/module", "w") as module, open(f"{out}/static", "w") as static:
    for i, t in enumerate(tiles):
        module.write(f"/iiif/3/pyramid/{t}\n")
        static.write(f"/static/mix/{i}.jpg\n")
PY
ntiles=$(wc -l <"$work/lists/module")
paste -d' ' "$work/lists/module" "$work/lists/static" |
    awk -v base="$base" -v dir="$work" '{ printf "url = \"%s%s\"\noutput = \"%s%s\"\n", base, $1, dir, $2 }' >"$work/fill.cfg"
say "rendering and saving the $ntiles tiles of the mix ..."
curl -s --globoff -Z --parallel-max 16 -K "$work/fill.cfg" -w "%{http_code}\n" >"$work/fill.out" 2>"$work/fill.err" ||
    fail "filling the cache"
[[ $(grep -c '^200$' "$work/fill.out") == "$ntiles" ]] || fail "not every tile answered 200"
hot_tile="$module_id/2560,2048,256,256/256,/0/default.jpg"
curl -sf -o "$work/static/tile.jpg" "$hot_tile" || fail "hot tile"
# Every saved tile is what the module answers from its cache, and what static nginx serves.
sed -n '1p;100p;1000p' "$work/lists/module" | while read -r path; do
    n=$(grep -nxF "$path" "$work/lists/module" | cut -d: -f1)
    curl -sf -o "$work/check.jpg" "$base$path" || fail "$path"
    cmp -s "$work/check.jpg" "$work/static/mix/$((n - 1)).jpg" || fail "$path: not the saved bytes"
done
if ! curl -sf -o "$work/check.jpg" "$base/static/tile.jpg" || ! cmp -s "$work/check.jpg" "$work/static/tile.jpg"; then
    fail "static tile"
fi

# ---- Runs ---------------------------------------------------------------------------------------
results=$work/results.tsv
: >"$results"
# measure WORKLOAD SIDE ROUND URL [PATHS]: one wrk run; every module response must be a HIT.
# Records req/s, nginx's CPU per request (its workers' time, which other load on the machine
# changes less than the throughput) and the others' share of the CPU.
measure() {
    local first rps cpu hits total
    first=$(log_lines)
    wrk_run "$1 $2" "$4" "${5:-}"
    run_log "$first"
    read -r total hits < <(awk '$2 == 200 { n++; if ($1 == "HIT") h++ } END { print n + 0, h + 0 }' "$work/run.log")
    if [[ $2 == module ]] && ((hits < total)); then fail "$1 module: $((total - hits)) of $total not HIT"; fi
    rps=$(awk -v n="${wrk[requests]}" -v d="${wrk[duration_us]}" 'BEGIN { printf "%.0f", n * 1e6 / d }')
    cpu=$(awk -v t="$nginx_ticks" -v hz="$hz" -v n="${wrk[requests]}" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rps" "$cpu" "$others" >>"$results"
    say "$(printf '%-9s %-6s round %d: %6d req/s, nginx %5.2f us/req, others %d%% CPU' "$1" "$2" "$3" "$rps" \
        "$cpu" "$others")"
}
for ((round = 1; round <= rounds; round++)); do
    for workload in a b; do
        [[ $only == *$workload* ]] || continue
        for side in $(rotate "$round" module static); do
            case $workload/$side in
                a/module) measure "(a) hot" module "$round" "$hot_tile" ;;
                a/static) measure "(a) hot" static "$round" "$base/static/tile.jpg" ;;
                b/*) measure "(b) mix" "$side" "$round" "$base" "$work/lists/$side" ;;
            esac
        done
    done
done
bench_end

# ---- Report -------------------------------------------------------------------------------------
say "done in ${elapsed} s; nginx error log: $errors lines at level error or above"
echo "# A tile cache hit against the same bytes as a static file"
echo
echo "Command: \`${command_line}\` ($rounds interleaved rounds of ${secs} s wrk runs, \`wrk -t$threads"
echo "-c$conns\`; the whole run took $((elapsed / 60)) min $((elapsed % 60)) s)."
bench_machine
echo "Commit: $commit; module: $module_source."
echo "Load average (1, 5, 15 min) before the run: $load_start; after: $load_end. nginx error log:"
echo "$errors lines at level error or above."
echo
echo "One nginx (\`worker_processes 2\`, \`sendfile on; tcp_nopush on;\`), the module with a warm tile"
echo "cache (every module response a HIT) and a plain \`location\` serving the module's bytes saved as"
echo "files: (a) the hot tile \`2560,2048,256,256/256,\` repeated; (b) the $ntiles tiles of every level"
echo "of the generated 10000x8000 pyramid in random order, against one file per tile in the same"
echo "order. nginx us/req: the workers' CPU time over the requests. Others' CPU: the machine's busy"
echo "time other than nginx's and wrk's."
echo
python3 - "$results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    workload, side, rnd, rps, cpu, others = line.rstrip("\n").split("\t")
    runs.setdefault(workload, {}).setdefault(side, {})[int(rnd)] = (float(rps), float(cpu), int(others))
med = statistics.median
print("| workload | side | req/s, median (runs) | nginx us/req, median | others' CPU |")
print("| --- | --- | --- | ---: | --- |")
for workload, sides in runs.items():
    for side, by_round in sides.items():
        r = [by_round[k] for k in sorted(by_round)]
        print(f"| {workload} | {side} | {med(x[0] for x in r):.0f} ({', '.join(f'{x[0]:.0f}' for x in r)}) "
              f"| {med(x[1] for x in r):.2f} | {', '.join(f'{x[2]}%' for x in r)} |")
print()
print("| workload | module / static, ratio of median req/s | in each round | static / module, nginx CPU per request |")
print("| --- | ---: | --- | ---: |")
for workload, sides in runs.items():
    m, s = sides.get("module", {}), sides.get("static", {})
    rounds = sorted(set(m) & set(s))
    if not rounds:
        continue
    ratio = med(m[k][0] for k in rounds) / med(s[k][0] for k in rounds)
    each = ", ".join(f"{m[k][0] / s[k][0]:.2f}" for k in rounds)
    cpu = med(s[k][1] for k in rounds) / med(m[k][1] for k in rounds)
    print(f"| {workload} | {ratio:.2f} | {each} | {cpu:.2f} |")
PY
