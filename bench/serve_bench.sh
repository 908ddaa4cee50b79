#!/bin/bash
# The nginx module serving IIIF over HTTP, side by side on the same source with two references:
# nginx serving the same bytes as a static file, and IIPImage (iipsrv, Debian's iipimage-server,
# FastCGI behind the same nginx). The source is a generated 10000x8000 pyramidal JPEG TIFF with
# 256x256 tiles (the generator of bench/pyramid_decode.sh); the load is wrk on 127.0.0.1.
#
#   (a) one hot tile, repeated: module (warm cache) vs the same bytes as a static file (nginx
#       with sendfile, and without: the module sends from memory) vs iipsrv.
#   (b) every tile of every level as OpenSeadragon asks for them (IIIF 3.0: for each scale factor
#       sf of info.json, regions stepping by 256*sf, size ceil(w/sf),) in random order: cold (one
#       pass over all tiles after an empty cache and a restart of both servers), then warm. The
#       module's cache hit ratio, also with a cache that holds about half of the working set,
#       under a uniform and under a skewed mix (10% of the tiles get 90% of the requests).
#   (c) full/1000,/0/default.jpg repeated: module (a cache hit after the first), module without
#       a cache (every request rendered), iipsrv (1 GiB tile cache, and its default 10 MB).
#   (d) random 1000x1000 regions scaled to 500, (fixed seed, distinct URLs, so misses): module,
#       module without a cache, iipsrv (both caches).
#
# iipsrv runs as two pools of FastCGI processes: "iipsrv" with a 1 GiB tile cache, as large as
# the module's, and "iipsrv, 10 MB cache" with its default. Its cache holds decoded source tiles
# as well as encoded ones, so for regions it saves the decoding, which the module's cache of
# responses does not.
#
# Runs are interleaved: each round runs every side of a workload once, the order rotating from
# round to round, and the tables give medians over the rounds. Any response but 200 (wrk's error
# counts, or a status in the access log other than 200 and 499 for the requests wrk abandons when
# it stops) fails the run. Results: bench/results/serve.md.
#
#   bench/serve_bench.sh [ROUNDS] [SECONDS]      (default 3 rounds of 10 s runs; ~10 minutes)
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (wrk threads, 2), IIPSRV_PROCS (4),
# IIIF_BUILD_DIR (build), BENCH_BUILD_HEAD=1 builds the module from a clean `git archive HEAD`
# instead (about a minute; measures exactly the commit, whatever the working tree holds),
# BENCH_KEEP=1 keeps the work directory (configs, logs) for a look.
# Needs scripts/build and bench/install-deps. As root, nginx workers and iipsrv run as nobody.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rounds=${1:-3}
secs=${2:-10}
iip_procs=${IIPSRV_PROCS:-4}
build=${IIIF_BUILD_DIR:-build}
module=$(realpath -m "$build/ngx_module/ngx_http_iiif_module.so")
command_line=$(for v in BENCH_CONNECTIONS BENCH_THREADS IIPSRV_PROCS IIIF_BUILD_DIR BENCH_BUILD_HEAD; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/serve_bench.sh${*:+ $*}"

if [[ ${BENCH_BUILD_HEAD:-0} != 1 ]]; then
    [[ -f $module ]] || fail "no $module: build first (scripts/build)"
fi
bench_need_tools nginx wrk spawn-fcgi vips vipsheader curl python3 mdb_stat
iipsrv_bin=$(dpkg -L iipimage-server 2>/dev/null | grep '/iipsrv\.fcgi$' | head -1 || true)
[[ -x $iipsrv_bin ]] || fail "needs iipimage-server: bench/install-deps"

bench_begin
bench_make_work
if [[ ${BENCH_BUILD_HEAD:-0} == 1 ]]; then
    say "building the module from git archive HEAD ($commit) in $work/src ..."
    mkdir -p "$work/src"
    git archive HEAD | tar -x -C "$work/src"
    cmake -S "$work/src" -B "$work/src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$work/build.log" 2>&1 &&
        cmake --build "$work/src/build" -j2 --target ngx_http_iiif_module >>"$work/build.log" 2>&1 ||
        fail "building HEAD: $(tail -5 "$work/build.log")"
    module="$work/src/build/ngx_module/ngx_http_iiif_module.so"
    module_source="built from a clean \`git archive\` of $commit"
else
    dirty=$(git status --porcelain -- common ngx_module cli CMakeLists.txt 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
    module_source="$build/ngx_module/ngx_http_iiif_module.so, built $(date -u -r "$module" '+%Y-%m-%d %H:%M UTC') from the working tree${dirty:+ (uncommitted changes in: $dirty)}"
fi
bench_copy_module
declare -A iip_pids=()

# iipsrv_stop POOL
iipsrv_stop() {
    local pid
    for pid in ${iip_pids[$1]:-}; do stop_pid "$pid"; done
    iip_pids[$1]=""
}
cleanup() {
    set +e
    for pool in "${!iip_pids[@]}"; do iipsrv_stop "$pool"; done
    bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A iip_port
read -r port "iip_port[big]" "iip_port[default]" < <(free_ports 3)
base="http://127.0.0.1:$port"
user_opt=()
if ((EUID == 0)); then user_opt=(-u nobody); fi

# ---- The source ----------------------------------------------------------------------------
mkdir -p "$work/images" "$work/static" "$work/gen" "$work/prefix/logs" "$work/prefix/temp" \
    "$work/cache/main" "$work/cache/small" "$work/lists"
say "making the 10000x8000 pyramidal JPEG TIFF in $work/images ..."
make_pyramid "$work/images/pyramid.tif"
if ((EUID == 0)); then chown nobody "$work/cache/main" "$work/cache/small" "$work/prefix/temp"; fi

# ---- The servers ---------------------------------------------------------------------------
# write_nginx_conf SMALL_CACHE_MB: bench-serve.conf.in's locations.
write_nginx_conf() {
    # shellcheck disable=SC2016 # nginx's variables, for nginx
    WORK=$work SMALL_CACHE_MB=$1 IIP_BIG_PORT=${iip_port[big]} IIP_DEFAULT_PORT=${iip_port[default]} \
        bench_nginx_conf bench-serve.conf.in \
        '$iiif_cache_status $status $request_time $body_bytes_sent $request_uri'
}

# JPEG quality as the module's; no memcached (iipsrv would try localhost); one OpenMP thread per
# process (as fast or faster than its default of one per core in a check of 2, 4 and 8 processes).
iipsrv_env=(FILESYSTEM_PREFIX="$work/images/" JPEG_QUALITY=85 MEMCACHED_SERVERS= OMP_NUM_THREADS=1)
declare -A iip_cache=([big]="MAX_IMAGE_CACHE_SIZE=1024" [default]="")
# iipsrv_start POOL
iipsrv_start() {
    rm -f "$work/iipsrv-$1.pid"
    env -i PATH=/usr/bin:/bin "${iipsrv_env[@]}" ${iip_cache[$1]} spawn-fcgi -a 127.0.0.1 \
        -p "${iip_port[$1]}" -F "$iip_procs" "${user_opt[@]}" -P "$work/iipsrv-$1.pid" -- \
        "$iipsrv_bin" >/dev/null
    iip_pids[$1]=$(tr '\n' ' ' <"$work/iipsrv-$1.pid")
    wait_port 127.0.0.1 "${iip_port[$1]}" 10 || fail "no answer from iipsrv on port ${iip_port[$1]}"
}

write_nginx_conf 16
bench_nginx_start
iipsrv_start big
iipsrv_start default
say "nginx on $base (pid $nginx_pid); iipsrv on 127.0.0.1:${iip_port[big]} (pids ${iip_pids[big]}) and 127.0.0.1:${iip_port[default]} (pids ${iip_pids[default]})"

# ---- Checks: both answer info.json and images of the sizes asked ----------------------------
module_id="$base/iiif/3/pyramid"
iip_id="$base/fcgi-bin/iipsrv.fcgi?IIIF=pyramid.tif"
iip_default_id="$base/fcgi-default/iipsrv.fcgi?IIIF=pyramid.tif"
curl -sf "$module_id/info.json" -o "$work/info3.json" || fail "module info.json"
curl -sf "$iip_id/info.json" -o "$work/iip_info.json" || fail "iipsrv info.json"
python3 - "$work/info3.json" "$work/iip_info.json" <<'EOF' || fail "info.json differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda i: (i["width"], i["height"], i["tiles"][0]["width"], i["tiles"][0]["scaleFactors"])
print("module info.json:", key(a), " iipsrv info.json:", key(b), file=sys.stderr)
sys.exit(0 if key(a) == key(b) else 1)
EOF
# check_image URL WIDTH HEIGHT
check_image() {
    local type
    type=$(curl -sf -o "$work/check.jpg" -w '%{content_type}' "$1") || fail "$1: not 200"
    [[ $type == image/jpeg ]] || fail "$1: $type"
    [[ $(vipsheader -f width "$work/check.jpg")x$(vipsheader -f height "$work/check.jpg") == "$2x$3" ]] ||
        fail "$1: not $2x$3"
}
for id in "$module_id" "$base/nocache/3/pyramid" "$iip_id" "$iip_default_id"; do
    check_image "$id/2560,2048,256,256/256,/0/default.jpg" 256 256
    check_image "$id/9984,7936,16,64/16,/0/default.jpg" 16 64
    check_image "$id/8192,0,1808,8000/29,/0/default.jpg" 29 128
    check_image "$id/full/1000,/0/default.jpg" 1000 800
    check_image "$id/3000,2000,1000,1000/500,/0/default.jpg" 500 500
done
say "both servers answer info.json and tiles, full and regions at the sizes asked"

# ---- URL lists -------------------------------------------------------------------------------
python3 - "$work/info3.json" "$work/lists" <<'EOF'
import json, math, random, sys
info = json.load(open(sys.argv[1]))
out = sys.argv[2]
W, H = info["width"], info["height"]
tile = info["tiles"][0]
tw, th = tile["width"], tile.get("height", tile["width"])
tiles = []
# As OpenSeadragon's IIIF 3.0 tile source asks for them.
for sf in tile["scaleFactors"]:
    for y in range(0, H, th * sf):
        for x in range(0, W, tw * sf):
            w, h = min(tw * sf, W - x), min(th * sf, H - y)
            tiles.append(f"{x},{y},{w},{h}/{math.ceil(w / sf)},/0/default.jpg")
random.Random(1).shuffle(tiles)
open(f"{out}/tiles.txt", "w").write("\n".join(tiles) + "\n")
# (d): per round, distinct random 1000x1000 regions.
for r in range(1, 33):
    rnd = random.Random(1000 + r)
    regions = [f"{rnd.randrange(0, W - 1000 + 1)},{rnd.randrange(0, H - 1000 + 1)},1000,1000/500,/0/default.jpg"
               for _ in range(6000)]
    open(f"{out}/regions{r}.txt", "w").write("\n".join(regions) + "\n")
print(f"{len(tiles)} tiles over scale factors {tile['scaleFactors']}", file=sys.stderr)
EOF
ntiles=$(wc -l <"$work/lists/tiles.txt")
# prefix_list SRC PREFIX DEST
prefix_list() { sed "s|^|$2|" "$1" >"$3"; }

# ---- Measuring -------------------------------------------------------------------------------
results="$work/results.tsv"
hits="$work/hits.tsv"
printf 'workload\tside\tround\trps\tmean_ms\tp50_ms\tp99_ms\trequests\tbody_bytes\thit\tmiss\tbypass\tothers_cpu\n' >"$results"
printf 'what\thit\tmiss\tbypass\textra\n' >"$hits"

# Other people's work on the machine during a run: bench/lib.sh's cpu_start and cpu_others;
# iipsrv's processes count as the benchmark's own CPU (bench/lib.sh's cpu_sample).
extra_pids() {
    local pid
    for pid in ${iip_pids[big]:-} ${iip_pids[default]:-}; do echo "$pid"; done
}

# check_log FIRST_LINE LABEL: the access log since FIRST_LINE into $work/run.log; fails on any
# status but 200 (and 499, requests abandoned by wrk when it stops, at most one per connection).
# Sets n200 hit miss bypass body_avg.
check_log() {
    run_log "$1"
    read -r n200 n499 nother hit miss bypass body_avg < <(awk '
        $2 == 200 { n200++; body += $4; if ($1 == "HIT") hit++; else if ($1 == "MISS") miss++;
                    else if ($1 == "BYPASS") bypass++ }
        $2 == 499 { n499++ }
        $2 != 200 && $2 != 499 { other++ }
        END { printf "%d %d %d %d %d %d %.0f\n", n200, n499, other, hit, miss, bypass,
              n200 ? body / n200 : 0 }' "$work/run.log")
    ((nother == 0)) || fail "$2: $nother responses neither 200 nor 499: $(awk '$2 != 200 && $2 != 499' "$work/run.log" | head -3)"
    ((n499 <= conns)) || fail "$2: $n499 requests abandoned (499)"
}

# run_wrk WORKLOAD SIDE ROUND URL [PATHS_FILE]
run_wrk() {
    local workload=$1 side=$2 round=$3 url=$4 paths=${5:-} first
    first=$(log_lines)
    wrk_run "$workload $side" "$url" "$paths"
    check_log "$first" "$workload $side"
    awk -v w="$workload" -v s="$side" -v rd="$round" -v n="${wrk[requests]}" -v d="${wrk[duration_us]}" \
        -v mean="${wrk[mean_us]}" -v p50="${wrk[p50_us]}" -v p99="${wrk[p99_us]}" -v body="$body_avg" \
        -v h="$hit" -v m="$miss" -v b="$bypass" -v o="$others" 'BEGIN {
            printf "%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\t%d\n",
                w, s, rd, n * 1e6 / d, mean / 1000, p50 / 1000, p99 / 1000, n, body, h, m, b, o }' >>"$results"
    say "$(tail -1 "$results" | awk -F'\t' '{printf "%-22s %-19s round %s: %9.1f req/s, mean %7.2f ms, p99 %7.2f ms, HIT %d MISS %d, others %d%% CPU", $1, $2, $3, $4, $5, $7, $10, $11, $13}')"
}

# run_pass WORKLOAD SIDE ROUND PATHS_FILE: each URL once, $conns at a time (curl's parallel
# mode keeps the connections open); throughput is URLs / wall time.
run_pass() {
    local workload=$1 side=$2 round=$3 paths=$4 first start end n
    n=$(wc -l <"$paths")
    awk -v base="$base" '{printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, $0}' "$paths" >"$work/pass.cfg"
    first=$(log_lines)
    cpu_start
    start=$(date +%s%N)
    curl -s --globoff -Z --parallel-max "$conns" --parallel-immediate -K "$work/pass.cfg" \
        -w '%{http_code} %{time_total}\n' >"$work/pass.out" 2>"$work/pass.err" ||
        fail "$workload $side: curl failed: $(head -3 "$work/pass.err")"
    end=$(date +%s%N)
    cpu_others
    [[ $(awk '$1 == 200' "$work/pass.out" | wc -l) == "$n" ]] ||
        fail "$workload $side: not all $n answers are 200: $(awk '$1 != 200' "$work/pass.out" | sort | uniq -c | head -3)"
    check_log "$first" "$workload $side"
    sort -n -k2 "$work/pass.out" | awk -v w="$workload" -v s="$side" -v rd="$round" -v n="$n" \
        -v wall="$((end - start))" -v body="$body_avg" -v h="$hit" -v m="$miss" -v b="$bypass" \
        -v o="$others" '
        { t[NR] = $2; sum += $2 }
        END { printf "%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\t%d\n",
                w, s, rd, n * 1e9 / wall, sum / NR * 1000, t[int((NR + 1) / 2)] * 1000,
                t[int(NR * 0.99 + 0.5)] * 1000, n, body, h, m, b, o }' >>"$results"
    say "$(tail -1 "$results" | awk -F'\t' '{printf "%-22s %-19s round %s: %9.1f req/s, mean %7.2f ms, p99 %7.2f ms, HIT %d MISS %d, others %d%% CPU", $1, $2, $3, $4, $5, $7, $10, $11, $13}')"
}

lists="$work/lists"
prefix_list "$lists/tiles.txt" /iiif/3/pyramid/ "$lists/tiles.module"
prefix_list "$lists/tiles.txt" "/fcgi-bin/iipsrv.fcgi?IIIF=pyramid.tif/" "$lists/tiles.iipsrv"

# ---- (b) the tile mix, cold: empty cache, both servers restarted, one pass over every tile -----
for ((round = 1; round <= rounds; round++)); do
    for side in $(rotate "$round" module iipsrv); do
        if [[ $side == module ]]; then
            bench_nginx_stop
            find "$work/cache/main" -mindepth 1 -delete
            bench_nginx_start
            run_pass "b tiles cold" module "$round" "$lists/tiles.module"
        else
            iipsrv_stop big
            iipsrv_start big
            run_pass "b tiles cold" iipsrv "$round" "$lists/tiles.iipsrv"
        fi
    done
done

# The working set in the cache's own measure (LMDB pages of entries and access stamps), for the
# small cache: enough copies of the image that it is over twice the 16 MiB minimum, and a cache
# of half of it.
ws_one=$(mdb_stat -e -a "$work/cache/main" | awk '
    /^  Page size:/ { psize = $3 }
    /^Status of / { db = $3 }
    (db == "entries" || db == "stamps") && /pages:/ { pages += $NF }
    END { print pages * psize }')
copies=$(awk -v ws="$ws_one" 'BEGIN { k = int(2 * 16 * 1048576 * 1.05 / ws) + 1; print (k < 2 ? 2 : k) }')
small_mb=$(awk -v ws="$ws_one" -v k="$copies" 'BEGIN { print int(k * ws / 2 / 1048576 + 0.999) }')
((small_mb >= 16)) || small_mb=16
say "one image's tiles take $ws_one bytes of cache; small cache: $copies images, iiif_cache_max_size ${small_mb}m"
ids=(pyramid)
for ((k = 2; k <= copies; k++)); do
    cp "$work/images/pyramid.tif" "$work/images/pyramid-$k.tif"
    ids+=("pyramid-$k")
done
python3 - "$lists" "${ids[@]}" <<'EOF'
import random, sys
out, ids = sys.argv[1], sys.argv[2:]
tiles = open(f"{out}/tiles.txt").read().split()
every = [f"/small/3/{i}/{t}" for i in ids for t in tiles]
random.Random(2).shuffle(every)
# The first pass (fill) asks for every tile once, in this order.
open(f"{out}/small.fill", "w").write("\n".join(every) + "\n")
# Uniform: independent random draws, not the fill order again (cycling through a list longer
# than the cache is LRU's worst case, a different experiment).
rnd = random.Random(5)
uniform = [rnd.choice(every) for _ in range(100000)]
open(f"{out}/small.uniform", "w").write("\n".join(uniform) + "\n")
# Skewed: 10% of the tiles (all images, all levels) get 90% of the requests. The warm-up and the
# measured run draw their own sequences (wrk starts each run at the same offsets), long enough
# that neither wraps around.
rnd = random.Random(3)
hot = rnd.sample(every, len(every) // 10)
hot_set = set(hot)
rest = [u for u in every if u not in hot_set]
for name, seed in (("skewed-warmup", 4), ("skewed", 6)):
    rnd = random.Random(seed)
    mix = [rnd.choice(hot) if rnd.random() < 0.9 else rnd.choice(rest) for _ in range(300000)]
    open(f"{out}/small.{name}", "w").write("\n".join(mix) + "\n")
open(f"{out}/small.hot", "w").write("\n".join(hot) + "\n")
EOF
write_nginx_conf "$small_mb"
bench_nginx_stop
bench_nginx_start

# ---- (b) the tile mix, warm ------------------------------------------------------------------
for ((round = 1; round <= rounds; round++)); do
    for side in $(rotate "$round" module iipsrv); do
        run_wrk "b tiles warm" "$side" "$round" "$base" "$lists/tiles.$side"
    done
done

# ---- (b) a cache of about half the working set: uniform, then skewed -------------------------
# hit_ratio LABEL [HOT_FILE]: from $work/run.log, into hits.tsv.
hit_ratio() {
    local extra=""
    if [[ -n ${2:-} ]]; then
        extra=$(awk 'NR == FNR { hot[$0] = 1; next }
            $2 == 200 { h = ($5 in hot) ? "hot" : "rest"; n[h]++; if ($1 == "HIT") k[h]++ }
            END { printf "hot tiles (10%%, 90%% of requests) %.1f%% of %d; the others %.1f%% of %d",
                  100 * k["hot"] / n["hot"], n["hot"], 100 * k["rest"] / n["rest"], n["rest"] }' \
            "$2" "$work/run.log")
    fi
    printf '%s\t%d\t%d\t%d\t%s\n' "$1" "$hit" "$miss" "$bypass" "$extra" >>"$hits"
    say "$1: HIT $hit MISS $miss ${extra}"
}
run_pass "b small cache fill" module 1 "$lists/small.fill"
hit_ratio "small cache, first pass over all ${copies}x$ntiles tiles (fills and evicts)"
run_wrk "b small uniform" module 1 "$base" "$lists/small.uniform"
hit_ratio "small cache, uniform mix, warm ($secs s)"
run_wrk "b small skewed warm-up" module 1 "$base" "$lists/small.skewed-warmup"
hit_ratio "small cache, skewed mix, first $secs s" "$lists/small.hot"
run_wrk "b small skewed" module 1 "$base" "$lists/small.skewed"
hit_ratio "small cache, skewed mix, next $secs s" "$lists/small.hot"
small_used=$(mdb_stat -e -a "$work/cache/small" | awk '
    /^  Page size:/ { psize = $3 }
    /^Status of / { db = $3 }
    (db == "entries" || db == "stamps") && /pages:/ { pages += $NF }
    db == "entries" && /Entries:/ { entries = $2 }
    END { printf "%d entries, %.1f MiB of pages", entries, pages * psize / 1048576 }')

# ---- (a) one hot tile --------------------------------------------------------------------------
hot_tile="2560,2048,256,256/256,/0/default.jpg"
curl -sf -o "$work/static/tile.jpg" "$module_id/$hot_tile" || fail "hot tile"
curl -sf -o "$work/check.jpg" "$module_id/$hot_tile" || fail "hot tile"
cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "the module's hot tile changed between requests"
curl -sf -o "$work/check.jpg" "$base/static/tile.jpg" || fail "static tile"
cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "static tile differs from the module's"
curl -sf -o "$work/check.jpg" "$base/static-nosendfile/tile.jpg" || fail "static tile, sendfile off"
cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "static tile (sendfile off) differs from the module's"
curl -sf -o /dev/null "$iip_id/$hot_tile" || fail "iipsrv hot tile"
for ((round = 1; round <= rounds; round++)); do
    for side in $(rotate "$round" module static nosendfile iipsrv); do
        case $side in
            module) run_wrk "a hot tile" module "$round" "$module_id/$hot_tile" ;;
            static) run_wrk "a hot tile" "static nginx" "$round" "$base/static/tile.jpg" ;;
            nosendfile) run_wrk "a hot tile" "static, sendfile off" "$round" "$base/static-nosendfile/tile.jpg" ;;
            iipsrv) run_wrk "a hot tile" iipsrv "$round" "$iip_id/$hot_tile" ;;
        esac
    done
done

# ---- (c) full/1000, --------------------------------------------------------------------------
full="full/1000,/0/default.jpg"
curl -sf -o /dev/null "$module_id/$full" && curl -sf -o /dev/null "$iip_id/$full" &&
    curl -sf -o /dev/null "$iip_default_id/$full" || fail "full"
for ((round = 1; round <= rounds; round++)); do
    for side in $(rotate "$round" module nocache iipsrv iipsrv-default); do
        case $side in
            module) run_wrk "c full/1000," module "$round" "$module_id/$full" ;;
            nocache) run_wrk "c full/1000," "module, no cache" "$round" "$base/nocache/3/pyramid/$full" ;;
            iipsrv) run_wrk "c full/1000," iipsrv "$round" "$iip_id/$full" ;;
            iipsrv-default) run_wrk "c full/1000," "iipsrv, 10 MB cache" "$round" "$iip_default_id/$full" ;;
        esac
    done
done

# ---- (d) random regions --------------------------------------------------------------------------
# Each round has its own list; within a round the three sides get the same URLs.
for ((round = 1; round <= rounds; round++)); do
    regions="$lists/regions$(((round - 1) % 32 + 1)).txt"
    prefix_list "$regions" /iiif/3/pyramid/ "$lists/regions.module"
    prefix_list "$regions" /nocache/3/pyramid/ "$lists/regions.nocache"
    prefix_list "$regions" "/fcgi-bin/iipsrv.fcgi?IIIF=pyramid.tif/" "$lists/regions.iipsrv"
    prefix_list "$regions" "/fcgi-default/iipsrv.fcgi?IIIF=pyramid.tif/" "$lists/regions.iipsrv-default"
    for side in $(rotate "$round" module nocache iipsrv iipsrv-default); do
        case $side in
            module) run_wrk "d regions" module "$round" "$base" "$lists/regions.module" ;;
            nocache) run_wrk "d regions" "module, no cache" "$round" "$base" "$lists/regions.nocache" ;;
            iipsrv) run_wrk "d regions" iipsrv "$round" "$base" "$lists/regions.iipsrv" ;;
            iipsrv-default) run_wrk "d regions" "iipsrv, 10 MB cache" "$round" "$base" "$lists/regions.iipsrv-default" ;;
        esac
    done
done

bench_end

# ---- Report ------------------------------------------------------------------------------------
mkdir -p bench/results
out=bench/results/serve.md
{
    bench_report_head "Serving IIIF: the nginx module against static nginx and IIPImage" 2-4
    echo
    echo "Servers, all on 127.0.0.1, the load generator on the same 2 cores:"
    echo
    echo "- **module**: $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian) with \`ngx_http_iiif_module.so\`,"
    echo "  \`worker_processes 2; thread_pool iiif threads=4 max_queue=1024;\`, Image API 3.0, LMDB"
    echo "  cache (default 1 GiB); JPEG quality 85 where it encodes (its default). **module, no cache**: the same"
    echo "  without \`iiif_cache_path\`, every request rendered."
    echo "- **static nginx**: a plain \`location /static/ { root ...; }\` of the same nginx"
    echo "  (\`sendfile on; tcp_nopush on;\` as in Debian's nginx.conf) serving the module's own bytes"
    echo "  for the hot tile, saved to a file; **static, sendfile off**: the same file with"
    echo "  \`sendfile off\` (read into a buffer and written, as the module writes from memory)."
    echo "- **iipsrv**: IIPImage $(dpkg-query -W -f='${Version}' iipimage-server) (Debian), Image API 2 (the"
    echo "  highest it speaks), the same URL paths after \`?IIIF=pyramid.tif/\`; $iip_procs FastCGI processes"
    echo "  from \`spawn-fcgi\` behind the same nginx (\`fastcgi_pass\`, a TCP connection per request),"
    echo "  \`${iipsrv_env[*]//$work/\$WORK}\`: JPEG quality matched to the"
    echo "  module's 85, no memcached, one OpenMP thread per process (as fast or faster than its default"
    echo "  in a quick check of 2, 4 and 8 processes). **iipsrv** has \`MAX_IMAGE_CACHE_SIZE=1024\`"
    echo "  (MB, per process), as large as the module's cache; **iipsrv, 10 MB cache** is a second pool"
    echo "  with its default. That cache holds decoded source tiles as well as encoded ones."
    echo
    echo "Source: 10000x8000 pyramidal JPEG TIFF, 256x256 tiles, Q 90 (generator of"
    echo "\`bench/pyramid_decode.sh\`), $(du -m "$work/images/pyramid.tif" | cut -f1) MB. Tile mix: $ntiles tiles (every level)."
    echo
    echo "Load: \`wrk -t$threads -c$conns -d${secs}s --timeout 10s -s bench/serve_bench.lua URL\` (with"
    echo "\`BENCH_PATHS=list\` for URL lists: $threads threads each cycling through the list from its own"
    echo "offset). Cold passes: \`curl -Z --parallel-max $conns --parallel-immediate -K list.cfg\`, each URL"
    echo "once, req/s = URLs / wall time. Latencies: wrk's (or curl's time_total) mean and 99th"
    echo "percentile. All responses were 200 (checked in wrk's counts and the access log)."
    echo "nginx error log: $errors lines at level error or above."
    echo
    python3 - "$results" "$hits" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(xs): return statistics.median(xs)
groups = {}
for r in rows:
    groups.setdefault((r["workload"], r["side"]), []).append(r)
def stat(w, s):
    g = groups.get((w, s))
    if not g: return None
    rps = [float(r["rps"]) for r in g]
    hit = sum(int(r["hit"]) for r in g); miss = sum(int(r["miss"]) for r in g)
    return dict(rps=med(rps), lo=min(rps), hi=max(rps), n=len(g),
                mean=med([float(r["mean_ms"]) for r in g]), p99=med([float(r["p99_ms"]) for r in g]),
                body=med([float(r["body_bytes"]) for r in g]), hit=hit, miss=miss,
                others=med([float(r["others_cpu"]) for r in g]),
                by_round={r["round"]: float(r["rps"]) for r in g})
order = ["a hot tile", "b tiles cold", "b tiles warm", "c full/1000,", "d regions"]
titles = {"a hot tile": "(a) one hot tile `2560,2048,256,256/256,`",
          "b tiles cold": "(b) tile mix, cold (one pass)", "b tiles warm": "(b) tile mix, warm",
          "c full/1000,": "(c) `full/1000,/0/default.jpg`",
          "d regions": "(d) random `x,y,1000,1000/500,`"}
sides = ["module", "module, no cache", "static nginx", "static, sendfile off", "iipsrv", "iipsrv, 10 MB cache"]
print("## Throughput and latency (medians over the rounds)\n")
print("| workload | server | req/s | req/s min–max | mean latency (ms) | p99 latency (ms) | body (KB) | module cache HIT/MISS | others' CPU |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
for w in order:
    for s in sides:
        st = stat(w, s)
        if not st: continue
        cache = f"{st['hit']}/{st['miss']}" if s == "module" else ""
        print(f"| {titles[w]} | {s} | {st['rps']:.0f} | {st['lo']:.0f}–{st['hi']:.0f} | {st['mean']:.2f} | "
              f"{st['p99']:.2f} | {st['body'] / 1024:.1f} | {cache} | {st['others']:.0f}% |")
print("\nOthers' CPU: the share of both cores used by processes that are not part of the benchmark")
print("(the machine's busy time minus nginx's, iipsrv's and wrk's), median over the rounds.")
print("\n## Module / reference (ratio of median req/s)\n")
print("| workload | module side | reference | module req/s | reference req/s | ratio | ratio in each round | target |")
print("| --- | --- | --- | ---: | ---: | ---: | --- | --- |")
pairs = [("a hot tile", "module", "static nginx", 0.9), ("a hot tile", "module", "static, sendfile off", None),
         ("a hot tile", "module", "iipsrv", None),
         ("b tiles cold", "module", "iipsrv", None), ("b tiles warm", "module", "iipsrv", None),
         ("c full/1000,", "module", "iipsrv", None), ("c full/1000,", "module, no cache", "iipsrv", None),
         ("c full/1000,", "module, no cache", "iipsrv, 10 MB cache", None),
         ("d regions", "module", "iipsrv", None), ("d regions", "module, no cache", "iipsrv", None),
         ("d regions", "module, no cache", "iipsrv, 10 MB cache", None)]
for w, m, ref, target in pairs:
    a, b = stat(w, m), stat(w, ref)
    if not a or not b: continue
    ratio = a["rps"] / b["rps"]
    rounds = [a["by_round"][k] / b["by_round"][k] for k in sorted(a["by_round"], key=int) if k in b["by_round"]]
    t = ""
    if target:
        t = f"≥ {target}: **{'met' if ratio >= target else 'NOT met'}**"
    print(f"| {titles[w]} | {m} | {ref} | {a['rps']:.0f} | {b['rps']:.0f} | {ratio:.2f} | "
          f"{', '.join(f'{x:.2f}' for x in rounds)} | {t} |")
print("\n## Module cache hit ratios\n")
print("| run | HIT | MISS | hit ratio | detail |")
print("| --- | ---: | ---: | ---: | --- |")
for w in order:
    st = stat(w, "module")
    if st and st["hit"] + st["miss"]:
        print(f"| {titles[w]}, all rounds | {st['hit']} | {st['miss']} | "
              f"{100 * st['hit'] / (st['hit'] + st['miss']):.1f}% | |")
for r in csv.DictReader(open(sys.argv[2]), delimiter="\t"):
    h, m = int(r["hit"]), int(r["miss"])
    print(f"| {r['what']} | {h} | {m} | {100 * h / max(1, h + m):.1f}% | {r['extra']} |")
small = [(r["workload"], r) for r in rows if r["workload"].startswith("b small")]
if small:
    print("\nSmall-cache runs (module only, one run each, in this order):\n")
    print("| run | req/s | mean latency (ms) | p99 latency (ms) | HIT | MISS | others' CPU |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for w, r in small:
        print(f"| {w} | {float(r['rps']):.0f} | {float(r['mean_ms']):.2f} | {float(r['p99_ms']):.2f} | "
              f"{r['hit']} | {r['miss']} | {r['others_cpu']}% |")
EOF
    echo
    echo "Small cache: the tile mix of $copies copies of the image ($copies x $ntiles tiles; one image's"
    echo "tiles take $((ws_one / 1024)) KiB of LMDB pages), \`iiif_cache_max_size ${small_mb}m\`, so about half"
    echo "fit (eviction brings the data down to 90% of the maximum). At the end it held $small_used."
    echo "Skewed mix: 10% of those tiles, drawn at random, get 90% of the requests."
    echo
    echo "<details><summary>nginx.conf (WORK = the run's mktemp directory)</summary>"
    echo
    echo '```nginx'
    sed "s|$work|\$WORK|g" "$work/prefix/conf/nginx.conf"
    echo '```'
    echo
    echo "iipsrv: \`env -i ${iipsrv_env[*]//$work/\$WORK} [MAX_IMAGE_CACHE_SIZE=1024] spawn-fcgi -a 127.0.0.1 -p PORT -F $iip_procs -u nobody -- $iipsrv_bin\`"
    echo "</details>"
} >"$out"
say "wrote $out in $((elapsed / 60)) min $((elapsed % 60)) s"
