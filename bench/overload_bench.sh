#!/bin/bash
# Overload (issue 17): expensive requests, without credentials, beside a load of cached tiles.
# One nginx (2 workers, a thread pool of 4, the module's default admission), the generated
# 10000x8000 pyramid, every tile of it in the cache. Then, in one run:
#
#   (a) the baseline: wrk over the cached tile mix for SECONDS, nothing else;
#   (b) the overload: the same tile load while 50 expensive requests are sent at once, 25 of one
#       `full/max/34/default.png` (identical: one render should answer them all) and 25
#       distinct `full/4000,/{n}/default.png` (n = 1..25 degrees: each a render of its own).
#
# Reported: the cached tiles' p99 and rate in each, the expensive requests' statuses (200, 503
# with Retry-After), the time until every one was answered or refused, and the workers' peak
# resident memory (VmHWM) before and after the overload. Targets (issue 17's soak): the tiles'
# p99 under 50 ms throughout, no status but 200 and 503 (with Retry-After).
#
#   bench/overload_bench.sh [SECONDS]     (default 30; the whole run takes about 2 minutes more)
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (2), IIIF_BUILD_DIR (build), BENCH_KEEP=1
# keeps the work directory. The report (markdown) goes to the standard output:
# bench/overload_bench.sh >bench/results/overload.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

secs=${1:-30}
build=${IIIF_BUILD_DIR:-build}
module=$(realpath -m "$build/ngx_module/ngx_http_iiif_module.so")
[[ -f $module ]] || fail "no $module: build first (scripts/build)"
command_line=$(for v in BENCH_CONNECTIONS BENCH_THREADS IIIF_BUILD_DIR; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/overload_bench.sh${*:+ $*}"
bench_need_tools nginx wrk vips curl python3

bench_begin
bench_make_work
bench_module_source common ngx_module
bench_copy_module
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

read -r port < <(free_ports 1)
base="http://127.0.0.1:$port"
mkdir -p "$work/images" "$work/cache" "$work/lists" "$work/expensive"
say "making the 10000x8000 pyramidal JPEG TIFF ..."
make_pyramid "$work/images/pyramid.tif"
if ((EUID == 0)); then chown nobody "$work/cache"; fi
# shellcheck disable=SC2016 # nginx's variables, for nginx
WORK=$work bench_nginx_conf bench-hot.conf.in '$iiif_cache_status $status $body_bytes_sent $request_uri'
bench_nginx_start
module_id="$base/iiif/3/pyramid"
say "nginx on $base (pid $nginx_pid)"

# ---- Every tile in the cache ----------------------------------------------------------------------
curl -sf "$module_id/info.json" -o "$work/info.json" || fail "info.json"
python3 - "$work/info.json" "$work/lists/tiles" <<'PY'
import json, math, random, sys
info = json.load(open(sys.argv[1]))
W, H = info["width"], info["height"]
tile = info["tiles"][0]
tw, th = tile["width"], tile.get("height", tile["width"])
tiles = []
for sf in tile["scaleFactors"]:
    for y in range(0, H, th * sf):
        for x in range(0, W, tw * sf):
            w, h = min(tw * sf, W - x), min(th * sf, H - y)
            tiles.append(f"/iiif/3/pyramid/{x},{y},{w},{h}/{math.ceil(w / sf)},/0/default.jpg")
random.Random(1).shuffle(tiles)
open(sys.argv[2], "w").write("\n".join(tiles) + "\n")
PY
ntiles=$(wc -l <"$work/lists/tiles")
awk -v base="$base" '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, $1 }' \
    "$work/lists/tiles" >"$work/fill.cfg"
say "rendering the $ntiles tiles of the mix into the cache ..."
curl -s --globoff -Z --parallel-max 16 -K "$work/fill.cfg" -w "%{http_code}\n" >"$work/fill.out" 2>/dev/null ||
    fail "filling the cache"
[[ $(grep -c '^200$' "$work/fill.out") == "$ntiles" ]] || fail "not every tile answered 200"
bench_settle

# ---- Runs -------------------------------------------------------------------------------------------
wrk_timeout=10
# tile_load LABEL: wrk over the cached tiles; every response must be a HIT.
declare -A load=()
tile_load() {
    local first total hits
    first=$(log_lines)
    wrk_run "$1" "$base" "$work/lists/tiles"
    run_log "$first"
    read -r total hits < <(awk '$4 ~ /^\/iiif\/3\/pyramid\/[0-9]/ && $3 != "" {
        if ($2 == 200) n++; if ($1 == "HIT") h++ } END { print n + 0, h + 0 }' "$work/run.log")
    load[$1_rps]=$(awk -v n="${wrk[requests]}" -v d="${wrk[duration_us]}" 'BEGIN { printf "%.0f", n * 1e6 / d }')
    load[$1_p50]=${wrk[p50_us]}
    load[$1_p99]=${wrk[p99_us]}
    load[$1_requests]=${wrk[requests]}
    say "$(printf '%-9s %6d req/s, p50 %d us, p99 %d us' "$1" "${load[$1_rps]}" "${wrk[p50_us]}" "${wrk[p99_us]}")"
}

nginx_worker_rss before
tile_load baseline
bench_settle

# The 50 expensive requests, all at once, each its own curl: status, Retry-After, time.
expensive() {
    local i url
    for ((i = 1; i <= 25; i++)); do
        echo "$module_id/full/max/34/default.png"
        echo "$module_id/full/4000,/$i/default.png"
    done
}
say "overload: 50 expensive requests beside the tile load ..."
overload_start=$(date +%s%N)
i=0
while read -r url; do
    i=$((i + 1))
    (
        curl -s -o /dev/null -D "$work/expensive/$i.headers" --max-time 600 \
            -w "%{http_code} %{time_total}\n" "$url" >"$work/expensive/$i.out" 2>/dev/null || true
        date +%s%N >"$work/expensive/$i.done"
    ) &
done < <(expensive)
tile_load overload
say "waiting for the expensive requests ..."
wait
overload_end=$(for f in "$work"/expensive/*.done; do cat "$f"; done | sort -n | tail -1)
drain_s=$(awk -v a="$overload_start" -v b="$overload_end" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
nginx_worker_rss after
bench_end

statuses=$(cat "$work"/expensive/*.out | awk '{ print $1 }' | sort | uniq -c | awk '{ printf "%s x %s, ", $1, $2 }' | sed 's/, $//')
refused=$(cat "$work"/expensive/*.out | awk '$1 == 503' | wc -l)
refused_retry=$(grep -li '^retry-after: [0-9]' "$work"/expensive/*.headers 2>/dev/null | wc -l)
other=$(cat "$work"/expensive/*.out | awk '$1 != 200 && $1 != 503' | wc -l)
shared=$(awk '$1 == "SHARED"' "$work/prefix/logs/access.log" | wc -l)
rendered=$(awk '$1 == "MISS" && $4 ~ /\/full\/(max\/34|4000,)/' "$work/prefix/logs/access.log" | wc -l)

# ---- Report ----------------------------------------------------------------------------------------
say "done in ${elapsed} s; nginx error log: $errors lines at level error or above"
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }
echo "# Overload: 50 expensive requests beside a load of cached tiles"
echo
echo "Command: \`${command_line}\` (${secs} s wrk runs, \`wrk -t$threads -c$conns\`; the whole run"
echo "took $((elapsed / 60)) min $((elapsed % 60)) s)."
bench_machine
echo "Commit: $commit; module: $module_source."
echo "Load average (1, 5, 15 min) before the run: $load_start; after: $load_end. nginx error log:"
echo "$errors lines at level error or above."
echo
echo "One nginx (\`worker_processes 2\`, \`thread_pool iiif threads=4\`, the module's default"
echo "admission: \`iiif_render_slots 2\`, \`iiif_render_budget 64m\`, \`iiif_render_queue 64\`,"
echo "\`iiif_render_queue_timeout 10s\`), the generated 10000x8000 pyramid, its $ntiles tiles cached."
echo "(a) wrk over the cached tiles alone; (b) the same while 50 expensive requests arrive at once"
echo "(25 identical \`full/max/34/default.png\`, 25 distinct \`full/4000,/{1..25}/default.png\`)."
echo
echo "| cached tiles | req/s | p50 | p99 |"
echo "| --- | ---: | ---: | ---: |"
echo "| (a) alone | ${load[baseline_rps]} | $(ms "${load[baseline_p50]}") ms | $(ms "${load[baseline_p99]}") ms |"
echo "| (b) during the overload | ${load[overload_rps]} | $(ms "${load[overload_p50]}") ms | $(ms "${load[overload_p99]}") ms |"
echo
echo "| the 50 expensive requests | |"
echo "| --- | --- |"
echo "| statuses | $statuses |"
echo "| 503 with a numeric Retry-After | $refused_retry of $refused |"
echo "| statuses other than 200 and 503 | $other |"
echo "| renders (MISS) / answered by another's render (SHARED) | $rendered / $shared |"
echo "| all answered or refused after | $drain_s s |"
echo
echo "| nginx worker | VmRSS before | VmHWM (peak) before | VmRSS after | VmHWM (peak) after |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk -F'\t' '$1 == "before" { rss[$2] = $3; hwm[$2] = $6 } $1 == "after" { printf "| %s | %.0f MB | %.0f MB | %.0f MB | %.0f MB |\n",
    $2, rss[$2] / 1024, hwm[$2] / 1024, $3 / 1024, $6 / 1024 }' "$work/rss.tsv"
echo
echo "Targets: the cached tiles' p99 under 50 ms during the overload: $(awk -v p="${load[overload_p99]}" 'BEGIN { print (p < 50000) ? "met" : "NOT met" }');"
echo "no status but 200 and 503 with Retry-After: $( ((other == 0 && refused_retry == refused)) && echo met || echo "NOT met")."
