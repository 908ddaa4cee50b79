#!/bin/bash
# The nginx module serving IIIF over HTTP, side by side in one run with its references: nginx
# serving the same bytes as static files, and IIPImage (iipsrv, Debian's iipimage-server, FastCGI
# behind the same nginx) with its cache, with its default 10 MB and without. The sources are made
# from one generated 10000x8000 picture: the TIFF master as iiifd writes it (bench_make_master:
# JPEG tiles in YCbCr 4:2:0, Q 90, 256x256), the same picture as libvips wrote masters before
# (RGB-coded tiles, one row of the tile mix and of the bytes), and two JPEG 2000 (1024x1024
# tiles, lossy Q 45 as iiifd writes them, and lossless). The load is wrk on 127.0.0.1.
#
# Workload groups (BENCH_ONLY=group,... runs some; tiff = hot,mix,cache,bytes,full,regions):
#   mix      the TIFF tile mix, every tile of every level as OpenSeadragon asks for them (IIIF
#            3.0: for each scale factor sf of info.json, regions stepping by 256*sf, size
#            ceil(w/sf),), each round in its own random order: cold (one pass on a name neither
#            server has seen), uncached (wrk: module without a cache, also on the RGB master, vs
#            iipsrv without a cache at the master's quality and with its 10 MB), warm (module
#            with a warm cache vs static nginx serving the module's bytes from files at the
#            URLs' paths vs iipsrv with its cache).
#   bytes    one pass over the tile mix: the module's bytes (the master's tiles passed through)
#            against iipsrv's at the master's quality setting (JPEG_QUALITY=90).
#   cache    the module's hit ratio with a cache of about half the working set, uniform and
#            skewed (10% of the tiles get 90% of the requests).
#   hot      one hot tile: module (warm cache) vs the same bytes as a static file (sendfile on,
#            and off) vs iipsrv.
#   full     full/1000,/0/default.jpg: module (a cache hit after the first); module without a
#            cache and iipsrv (1 GiB cache, and its default 10 MB) ask widths 968 to 1031 in
#            turn (no two requests in flight alike: the module shares one render among
#            identical requests in flight).
#   regions  random 1000x1000 regions scaled to 500, (distinct URLs per round): module without a
#            cache, iipsrv (both caches).
#   jp2      on each JPEG 2000 (lossy, lossless): the tile mix of its info.json, full/968..1031, and
#            random regions: module without a cache vs iipsrv (both caches).
# After each group and at the end, each nginx worker's VmRSS (nginx runs once for the whole run).
#
# Runs are interleaved: each round runs every side of a workload once, the order rotating from
# round to round, and the tables give medians over the rounds. After each run the servers are
# left to finish the requests wrk abandoned before the next starts. Any response but 200 (wrk's
# error counts, curl's codes, or a status in the access log other than 200 and 499 for the
# requests wrk abandons when it stops) fails the run. Results: bench/results/serve.md, with a
# table of issue 16's targets, each met or not.
#
#   bench/serve_bench.sh [ROUNDS] [SECONDS]      (default 3 rounds of 10 s runs; ~25 minutes)
#
# Environment: BENCH_ONLY (groups, default all), BENCH_CONNECTIONS (16), BENCH_JP2_CONNECTIONS
# (4, for the JPEG 2000 group's slow renders), BENCH_THREADS (wrk threads, 2), IIPSRV_PROCS (4 per pool), IIIF_BUILD_DIR (build), BENCH_BUILD_HEAD=1 builds the
# module and bench_make_master from a clean `git archive HEAD` instead (a few minutes; measures
# exactly the commit, whatever the working tree holds), BENCH_KEEP=1 keeps the work directory
# (configs, logs) for a look, BENCH_OUT (the report, bench/results/serve.md).
# Needs scripts/build and bench/install-deps. As root, nginx workers and iipsrv run as nobody.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rounds=${1:-3}
secs=${2:-10}
iip_procs=${IIPSRV_PROCS:-4}
jp2_conns=${BENCH_JP2_CONNECTIONS:-4}
build=${IIIF_BUILD_DIR:-build}
module=$(realpath -m "$build/ngx_module/ngx_http_iiif_module.so")
make_master=$(realpath -m "$build/bench/bench_make_master")
out=${BENCH_OUT:-bench/results/serve.md}
command_line=$(for v in BENCH_ONLY BENCH_CONNECTIONS BENCH_JP2_CONNECTIONS BENCH_THREADS IIPSRV_PROCS IIIF_BUILD_DIR BENCH_BUILD_HEAD; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/serve_bench.sh${*:+ $*}"

# ---- The groups to run --------------------------------------------------------------------
all_groups=(mix bytes cache hot full regions jp2)
declare -A run_group=()
IFS=, read -r -a asked <<<"${BENCH_ONLY:-all}"
for group in "${asked[@]}"; do
    case $group in
        all) for g in "${all_groups[@]}"; do run_group[$g]=1; done ;;
        tiff) for g in mix bytes cache hot full regions; do run_group[$g]=1; done ;;
        mix | bytes | cache | hot | full | regions | jp2) run_group[$group]=1 ;;
        *) fail "BENCH_ONLY: no group '$group' (groups: ${all_groups[*]}, tiff, all)" ;;
    esac
done
only() { [[ -n ${run_group[$1]:-} ]]; }
groups_run=$(for g in "${all_groups[@]}"; do if only "$g"; then printf '%s ' "$g"; fi; done)
groups_run=${groups_run% }

if [[ ${BENCH_BUILD_HEAD:-0} != 1 ]]; then
    [[ -f $module ]] || fail "no $module: build first (scripts/build)"
    [[ -x $make_master ]] || fail "no $make_master: build first (scripts/build)"
fi
bench_need_tools nginx wrk spawn-fcgi vips vipsheader curl python3 mdb_stat
iipsrv_bin=$(dpkg -L iipimage-server 2>/dev/null | grep '/iipsrv\.fcgi$' | head -1 || true)
[[ -x $iipsrv_bin ]] || fail "needs iipimage-server: bench/install-deps"

bench_begin
bench_make_work
if [[ ${BENCH_BUILD_HEAD:-0} == 1 ]]; then
    say "building the module and bench_make_master from git archive HEAD ($commit) in $work/src ..."
    mkdir -p "$work/src"
    git archive HEAD | tar -x -C "$work/src"
    # With ccache, and paths made relative to the tree, so that an earlier run, or a checkout
    # built with CCACHE_BASEDIR and the same flags, gives the objects of unchanged sources.
    launcher=()
    if command -v ccache >/dev/null; then
        launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
        export CCACHE_BASEDIR=$work/src
    fi
    if ! cmake -S "$work/src" -B "$work/src/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >"$work/build.log" 2>&1 ||
        ! cmake --build "$work/src/build" -j2 --target ngx_http_iiif_module bench_make_master >>"$work/build.log" 2>&1; then
        fail "building HEAD: $(tail -5 "$work/build.log")"
    fi
    module="$work/src/build/ngx_module/ngx_http_iiif_module.so"
    make_master="$work/src/build/bench/bench_make_master"
    module_source="built from a clean \`git archive\` of $commit"
else
    dirty=$(git status --porcelain -- common ngx_module daemon bench/make_master.cpp CMakeLists.txt 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
    module_source="$build/ngx_module/ngx_http_iiif_module.so, built $(date -u -r "$module" '+%Y-%m-%d %H:%M UTC') from the working tree${dirty:+ (uncommitted changes in: $dirty)}"
fi
bench_copy_module
declare -A iip_pids=()
gen_pids=()

# iipsrv_stop POOL
iipsrv_stop() {
    local pid
    for pid in ${iip_pids[$1]:-}; do stop_pid "$pid"; done
    iip_pids[$1]=""
}
cleanup() {
    set +e
    for pid in "${gen_pids[@]}"; do stop_pid "$pid"; done
    for pool in "${!iip_pids[@]}"; do iipsrv_stop "$pool"; done
    bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

declare -A iip_port
read -r port "iip_port[big]" "iip_port[default]" "iip_port[nocache]" < <(free_ports 4)
base="http://127.0.0.1:$port"
user_opt=()
if ((EUID == 0)); then user_opt=(-u nobody); fi

# ---- The sources ---------------------------------------------------------------------------
mkdir -p "$work/images" "$work/static" "$work/prefix/logs" "$work/prefix/temp" "$work/lists" \
    "$work/cache/main" "$work/cache/small" "$work/cache/sizing"
say "making the 10000x8000 picture and its sources in $work/images ..."
make_picture "$work/gen/picture.v"
"$make_master" --input "$work/gen/picture.v" --output "$work/images/pyramid.tif" 2>"$work/master.log" ||
    fail "bench_make_master: $(cat "$work/master.log")"
chmod 644 "$work/images/pyramid.tif"
master_line=$(sed 's/^bench_make_master: [^:]*: //' "$work/master.log")
images=(pyramid)
if only mix || only bytes; then
    vips_pyramid "$work/gen/picture.v" "$work/images/rgb.tif"
    images+=(rgb)
fi
if only jp2; then
    # Both at once: OpenJPEG's encoder keeps about one core busy.
    vips jp2ksave "$work/gen/picture.v" "$work/images/lossy.jp2" --tile-width 1024 --tile-height 1024 --Q 45 &
    gen_pids+=($!)
    vips jp2ksave "$work/gen/picture.v" "$work/images/lossless.jp2" --tile-width 1024 --tile-height 1024 --lossless &
    gen_pids+=($!)
    for pid in "${gen_pids[@]}"; do wait "$pid" || fail "vips jp2ksave failed"; done
    gen_pids=()
    chmod 644 "$work"/images/*.jp2
    images+=(lossy lossless)
fi
rm -rf "$work/gen"
declare -A image_file=([pyramid]=pyramid.tif [rgb]=rgb.tif [lossy]=lossy.jp2 [lossless]=lossless.jp2)
if ((EUID == 0)); then chown nobody "$work"/cache/* "$work/prefix/temp"; fi

# ---- The servers ---------------------------------------------------------------------------
small_mb=32
# shellcheck disable=SC2016 # nginx's variables, for nginx
WORK=$work SMALL_CACHE_MB=$small_mb IIP_BIG_PORT=${iip_port[big]} IIP_DEFAULT_PORT=${iip_port[default]} \
    IIP_NOCACHE_PORT=${iip_port[nocache]} bench_nginx_conf bench-serve.conf.in \
    '$iiif_cache_status $status $request_time $body_bytes_sent $request_uri'

# The module's JPEG quality (85) where iipsrv encodes what the module encodes too; the pool
# without a cache at the masters' 90, since the module passes their tiles through as stored. No
# memcached (iipsrv would try localhost); one OpenMP thread per process (as fast or faster than
# its default of one per core in a check of 2, 4 and 8 processes).
iipsrv_env=(FILESYSTEM_PREFIX="$work/images/" MEMCACHED_SERVERS= OMP_NUM_THREADS=1)
declare -A iip_settings=([big]="MAX_IMAGE_CACHE_SIZE=1024 JPEG_QUALITY=85" [default]="JPEG_QUALITY=85"
    [nocache]="MAX_IMAGE_CACHE_SIZE=0 JPEG_QUALITY=90")
declare -A iip_path=([big]=/fcgi-bin/iipsrv.fcgi [default]=/fcgi-default/iipsrv.fcgi
    [nocache]=/fcgi-nocache/iipsrv.fcgi)
# iipsrv_start POOL
iipsrv_start() {
    rm -f "$work/iipsrv-$1.pid"
    # shellcheck disable=SC2086 # the pool's settings, one word each
    env -i PATH=/usr/bin:/bin "${iipsrv_env[@]}" ${iip_settings[$1]} spawn-fcgi -a 127.0.0.1 \
        -p "${iip_port[$1]}" -F "$iip_procs" "${user_opt[@]}" -P "$work/iipsrv-$1.pid" -- \
        "$iipsrv_bin" >/dev/null
    iip_pids[$1]=$(tr '\n' ' ' <"$work/iipsrv-$1.pid")
    wait_port 127.0.0.1 "${iip_port[$1]}" 10 || fail "no answer from iipsrv on port ${iip_port[$1]}"
}

bench_nginx_start
for pool in big default nocache; do iipsrv_start "$pool"; done
say "nginx on $base (pid $nginx_pid); iipsrv pools on 127.0.0.1:${iip_port[big]} (1 GiB cache), :${iip_port[default]} (10 MB), :${iip_port[nocache]} (none)"

# The sides, each a path before the request's region for an image; their names in the report.
# side_prefix SIDE IMAGE
side_prefix() {
    case $1 in
        module) echo "/iiif/3/$2/" ;;
        nocache) echo "/nocache/3/$2/" ;;
        static) echo "/static/iiif/3/$2/" ;;
        iipsrv) echo "${iip_path[big]}?IIIF=${image_file[$2]}/" ;;
        iipsrv-default) echo "${iip_path[default]}?IIIF=${image_file[$2]}/" ;;
        iipsrv-nocache) echo "${iip_path[nocache]}?IIIF=${image_file[$2]}/" ;;
        *) fail "no side $1" ;;
    esac
}
declare -A side_label=([module]=module [nocache]="module, no cache" [static]="static nginx"
    [nosendfile]="static, sendfile off" [headers]="static, the module's headers" [iipsrv]=iipsrv [iipsrv-default]="iipsrv, 10 MB cache"
    [iipsrv-nocache]="iipsrv, no cache, Q 90")
# label SIDE IMAGE
label() {
    local text=${side_label[$1]}
    [[ $2 != rgb ]] || text+=", RGB master"
    echo "$text"
}

# ---- Checks: every side answers info.json and images of the sizes asked ---------------------
curl -sf "$base/iiif/3/pyramid/info.json" -o "$work/info.pyramid.json" || fail "module info.json"
curl -sf "$base$(side_prefix iipsrv pyramid)info.json" -o "$work/iip_info.json" || fail "iipsrv info.json"
python3 - "$work/info.pyramid.json" "$work/iip_info.json" <<'EOF' || fail "info.json differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda i: (i["width"], i["height"], i["tiles"][0]["width"], i["tiles"][0]["scaleFactors"])
print("module info.json:", key(a), " iipsrv info.json:", key(b), file=sys.stderr)
sys.exit(0 if key(a) == key(b) else 1)
EOF
# check_image URL WIDTH HEIGHT [SLACK]: a JPEG of WIDTHxHEIGHT; with SLACK, a size off by at most
# that many pixels is written down in $work/notes for the report instead of failing.
check_image() {
    local type size
    type=$(curl -sf -o "$work/check.jpg" -w '%{content_type}' "$1") || fail "$1: not 200"
    [[ $type == image/jpeg ]] || fail "$1: $type"
    size=$(vipsheader -f width "$work/check.jpg")x$(vipsheader -f height "$work/check.jpg")
    [[ $size != "$2x$3" ]] || return 0
    awk -v got="$size" -v w="$2" -v h="$3" -v slack="${4:-0}" 'BEGIN { split(got, g, "x");
        dw = g[1] - w; dh = g[2] - h; exit !(dw * dw <= slack * slack && dh * dh <= slack * slack) }' ||
        fail "$1: $size, not $2x$3"
    echo "- \`${1#"$base"}\`: ${size}, not $2x$3" >>"$work/notes"
}
for image in "${images[@]}"; do
    [[ $image == pyramid ]] || curl -sf "$base/nocache/3/$image/info.json" -o "$work/info.$image.json" ||
        fail "module info.json of $image"
    sides=(nocache iipsrv iipsrv-default)
    [[ $image != pyramid ]] || sides+=(module iipsrv-nocache)
    for side in "${sides[@]}"; do
        id=$base$(side_prefix "$side" "$image")
        slack=0
        [[ $side != iipsrv* ]] || slack=1 # iipsrv rounds some sizes down from levels of odd sizes
        check_image "${id}2560,2048,256,256/256,/0/default.jpg" 256 256 $slack
        check_image "${id}9984,7936,16,64/16,/0/default.jpg" 16 64 $slack
        check_image "${id}8192,0,1808,8000/29,/0/default.jpg" 29 128 $slack
        check_image "${id}full/1000,/0/default.jpg" 1000 800 $slack
        check_image "${id}3000,2000,1000,1000/500,/0/default.jpg" 500 500 $slack
    done
done
say "every side answers info.json and tiles, full and regions at the sizes asked (${images[*]})"

# ---- URL lists -----------------------------------------------------------------------------
lists="$work/lists"
infos=()
for image in "${images[@]}"; do infos+=("$image=$work/info.$image.json"); done
python3 bench/serve_lists.py tiles "$lists" "$rounds" "${infos[@]}"
ntiles=$(wc -l <"$lists/tiles.pyramid.txt")
# prefix_list SRC PREFIX DEST
prefix_list() { sed "s|^|$2|" "$1" >"$3"; }

# ---- Measuring -----------------------------------------------------------------------------
results="$work/results.tsv"
hits="$work/hits.tsv"
bytes="$work/bytes.tsv"
printf 'workload\tside\tround\trps\tmean_ms\tp50_ms\tp99_ms\trequests\tbody_bytes\thit\tmiss\tbypass\tothers_cpu\n' >"$results"
printf 'what\thit\tmiss\tbypass\textra\n' >"$hits"
printf 'side\turls\tbytes\tsame_list\n' >"$bytes"
printf 'after\tpid\trss_kb\tanon_kb\tfile_kb\thwm_kb\tarena_kb\n' >"$work/rss.tsv"
nginx_worker_rss start

# Other people's work on the machine during a run: bench/lib.sh's cpu_start and cpu_others;
# iipsrv's processes count as the benchmark's own CPU (bench/lib.sh's cpu_sample).
extra_pids() {
    local pool pid
    for pool in "${!iip_pids[@]}"; do
        for pid in ${iip_pids[$pool]}; do echo "$pid"; done
    done
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

# record WORKLOAD SIDE ROUND RPS MEAN_MS P50_MS P99_MS REQUESTS: a row of results.tsv, with what
# check_log and cpu_others found.
record() {
    printf '%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\t%d\n' "$@" "$body_avg" "$hit" "$miss" \
        "$bypass" "$others" >>"$results"
    say "$(tail -1 "$results" | awk -F'\t' '{printf "%-18s %-30s round %s: %9.1f req/s, mean %7.2f ms, p99 %7.2f ms, %6d B, HIT %d MISS %d, others %d%% CPU", $1, $2, $3, $4, $5, $7, $9, $10, $11, $13}')"
}

# run_wrk WORKLOAD SIDE ROUND URL [PATHS_FILE]
run_wrk() {
    local workload=$1 side=$2 round=$3 url=$4 paths=${5:-} first
    first=$(log_lines)
    wrk_run "$workload $side" "$url" "$paths"
    bench_settle
    check_log "$first" "$workload $side"
    ((n200 >= wrk[requests])) || fail "$workload $side: $n200 answers of 200 in the access log, wrk counted ${wrk[requests]}"
    record "$workload" "$side" "$round" "$(awk -v n="${wrk[requests]}" -v d="${wrk[duration_us]}" 'BEGIN { print n * 1e6 / d }')" \
        "$(awk -v x="${wrk[mean_us]}" 'BEGIN { print x / 1000 }')" "$(awk -v x="${wrk[p50_us]}" 'BEGIN { print x / 1000 }')" \
        "$(awk -v x="${wrk[p99_us]}" 'BEGIN { print x / 1000 }')" "${wrk[requests]}"
}

# fetch_all LABEL PATHS_FILE [ROOT]: each path once, $conns at a time (curl's parallel mode keeps
# the connections open); every answer must be 200. With ROOT, each body is saved as ROOT/PATH.
# Sets fetched_bytes (the bodies' bytes) and fetch_ns (the wall time); $work/fetch.out has each
# answer's code and time.
fetch_all() {
    local label=$1 paths=$2 root=${3:-} n start
    n=$(wc -l <"$paths")
    awk -v base="$base" -v root="$root" '{ printf "url = \"%s%s\"\noutput = \"%s\"\n", base, $0,
        root == "" ? "/dev/null" : root $0 }' "$paths" >"$work/fetch.cfg"
    start=$(date +%s%N)
    curl -s --globoff --create-dirs -Z --parallel-max "$conns" --parallel-immediate -K "$work/fetch.cfg" \
        -w '%{http_code} %{time_total} %{size_download}\n' >"$work/fetch.out" 2>"$work/fetch.err" ||
        fail "$label: curl failed: $(head -3 "$work/fetch.err")"
    fetch_ns=$(($(date +%s%N) - start))
    [[ $(awk '$1 == 200' "$work/fetch.out" | wc -l) == "$n" ]] ||
        fail "$label: not all $n answers are 200: $(awk '$1 != 200' "$work/fetch.out" | sort | uniq -c | head -3)"
    fetched_bytes=$(awk '{ b += $3 } END { printf "%d", b }' "$work/fetch.out")
}

# run_pass WORKLOAD SIDE ROUND PATHS_FILE: each URL once (fetch_all); throughput is URLs / wall
# time.
run_pass() {
    local workload=$1 side=$2 round=$3 paths=$4 first n rps mean p50 p99
    n=$(wc -l <"$paths")
    first=$(log_lines)
    cpu_start
    fetch_all "$workload $side" "$paths"
    cpu_others
    bench_settle
    check_log "$first" "$workload $side"
    ((n200 == n)) || fail "$workload $side: $n200 answers of 200 in the access log for $n URLs"
    read -r rps mean p50 p99 < <(sort -n -k2 "$work/fetch.out" | awk -v n="$n" -v wall="$fetch_ns" '
        { t[NR] = $2; sum += $2 }
        END { printf "%.1f %.3f %.3f %.3f\n", n * 1e9 / wall, sum / NR * 1000, t[int((NR + 1) / 2)] * 1000,
              t[int(NR * 0.99 + 0.5)] * 1000 }')
    record "$workload" "$side" "$round" "$rps" "$mean" "$p50" "$p99" "$n"
}

# list_rounds WORKLOAD LIST SIDE:IMAGE...: in each round, wrk over LIST for each side in turn
# (the order rotating), LIST's @IMAGE@ and @ROUND@ put as the side's image and the round.
list_rounds() {
    local workload=$1 pattern=$2 round spec side image list
    shift 2
    for ((round = 1; round <= rounds; round++)); do
        for spec in $(rotate "$round" "$@"); do
            side=${spec%%:*} image=${spec#*:}
            list=${pattern//@IMAGE@/$image}
            prefix_list "${list//@ROUND@/$round}" "$(side_prefix "$side" "$image")" "$lists/run"
            run_wrk "$workload" "$(label "$side" "$image")" "$round" "$base" "$lists/run"
        done
    done
}
# url_rounds WORKLOAD REQUEST SIDE:IMAGE...: the same for one request repeated.
url_rounds() {
    local workload=$1 request=$2 round spec side image
    shift 2
    for spec in "$@"; do
        curl -sf -o /dev/null "$base$(side_prefix "${spec%%:*}" "${spec#*:}")$request" || fail "$workload $spec"
    done
    for ((round = 1; round <= rounds; round++)); do
        for spec in $(rotate "$round" "$@"); do
            side=${spec%%:*} image=${spec#*:}
            run_wrk "$workload" "$(label "$side" "$image")" "$round" "$base$(side_prefix "$side" "$image")$request"
        done
    done
}

# ---- The groups ----------------------------------------------------------------------------

# The TIFF tile mix: cold, uncached, warm.
group_mix() {
    local round side first
    # Cold: one pass over every tile, in the round's order, on a name neither server has seen (a
    # hard link to the master), so the module's cache and iipsrv's (1 GiB) are empty for it.
    for ((round = 1; round <= rounds; round++)); do
        ln "$work/images/pyramid.tif" "$work/images/pyramid-cold$round.tif"
        image_file[pyramid-cold$round]=pyramid-cold$round.tif
        for side in $(rotate "$round" module iipsrv); do
            prefix_list "$lists/tiles.pyramid.$round.txt" "$(side_prefix "$side" "pyramid-cold$round")" "$lists/run"
            run_pass "mix cold" "${side_label[$side]}" "$round" "$lists/run"
        done
    done
    # Uncached: wrk over the tiles (each round its own order): the module without a cache, on
    # the master and on the RGB master, against iipsrv without a cache (the module's tiles are
    # the master's Q 90 as stored, so iipsrv encodes at 90) and with its 10 MB (about the whole
    # mix of its Q 85 tiles: cached after the first pass).
    list_rounds "mix uncached" "$lists/tiles.@IMAGE@.@ROUND@.txt" nocache:pyramid nocache:rgb \
        iipsrv-nocache:pyramid iipsrv-default:pyramid
    # Warm: every tile once from the module, whose cache then holds them all, each body saved
    # under static/ at its URL's path, so that static nginx serves the same bytes at the same
    # paths; iipsrv's pool gets the same pass.
    prefix_list "$lists/tiles.pyramid.txt" /iiif/3/pyramid/ "$lists/run"
    fetch_all "mix: the module's tiles into static/" "$lists/run" "$work/static"
    chmod -R a+rX "$work/static" # curl makes its directories 0750; nginx's workers are nobody
    mix_bytes=$fetched_bytes
    [[ $(find "$work/static/iiif" -type f -printf '%s\n' | awk '{ b += $1 } END { printf "%d", b }') == "$mix_bytes" ]] ||
        fail "the static tree does not hold the $mix_bytes bytes the module sent"
    first=$(head -1 "$lists/tiles.pyramid.txt")
    curl -sf -o "$work/check.jpg" "$base/static/iiif/3/pyramid/$first" || fail "static tile $first"
    curl -sf -o "$work/check2.jpg" "$base/iiif/3/pyramid/$first" || fail "tile $first"
    cmp -s "$work/check.jpg" "$work/check2.jpg" || fail "static nginx's $first differs from the module's"
    prefix_list "$lists/tiles.pyramid.txt" "$(side_prefix iipsrv pyramid)" "$lists/run"
    fetch_all "mix: iipsrv's warm-up" "$lists/run"
    bench_settle
    list_rounds "mix warm" "$lists/tiles.@IMAGE@.@ROUND@.txt" module:pyramid static:pyramid iipsrv:pyramid
}

# Bytes: one pass over every tile of the mix each, their bodies' total: the module's (the
# master's tiles passed through), iipsrv's at the master's quality (90) and at 85, and the RGB
# master's (over its own info.json's tiles).
group_bytes() {
    local spec side image same
    for spec in module:nocache:pyramid iipsrv-90:iipsrv-nocache:pyramid iipsrv-85:iipsrv:pyramid \
        module-rgb:nocache:rgb; do
        side=${spec#*:} image=${spec##*:}
        side=${side%:*}
        prefix_list "$lists/tiles.$image.txt" "$(side_prefix "$side" "$image")" "$lists/run"
        fetch_all "bytes: ${spec%%:*}" "$lists/run"
        same=yes
        cmp -s "$lists/tiles.$image.txt" "$lists/tiles.pyramid.txt" || same=no
        printf '%s\t%d\t%d\t%s\n' "${spec%%:*}" "$(wc -l <"$lists/run")" "$fetched_bytes" "$same" >>"$bytes"
        say "bytes: ${spec%%:*}: $fetched_bytes over $(wc -l <"$lists/run") tiles"
    done
    bench_settle
}

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

# A cache of about half the working set: the working set of one image's tiles in the cache's own
# measure (LMDB pages of entries and access stamps, after one pass through /sizing/), then as
# many copies of the image (hard links) as make twice the small cache's $small_mb MiB.
group_cache() {
    local k ids=()
    prefix_list "$lists/tiles.pyramid.txt" /sizing/3/pyramid/ "$lists/run"
    fetch_all "cache: sizing" "$lists/run"
    bench_settle
    ws_one=$(mdb_stat -e -a "$work/cache/sizing" | awk '
        /^  Page size:/ { psize = $3 }
        /^Status of / { db = $3 }
        (db == "entries" || db == "stamps") && /pages:/ { pages += $NF }
        END { print pages * psize }')
    copies=$(awk -v ws="$ws_one" -v mb="$small_mb" 'BEGIN { k = int(2 * mb * 1048576 / ws + 0.5); print (k < 2 ? 2 : k) }')
    say "one image's tiles take $ws_one bytes of cache; small cache of ${small_mb} MiB: $copies images"
    for ((k = 1; k <= copies; k++)); do
        ln "$work/images/pyramid.tif" "$work/images/small-$k.tif"
        ids+=("small-$k")
    done
    python3 bench/serve_lists.py small "$lists" "${ids[@]}"
    run_pass "cache fill" module 1 "$lists/small.fill"
    hit_ratio "small cache, first pass over all ${copies}x$ntiles tiles (fills and evicts)"
    run_wrk "cache uniform" module 1 "$base" "$lists/small.uniform"
    hit_ratio "small cache, uniform mix, warm ($secs s)"
    run_wrk "cache skewed warm-up" module 1 "$base" "$lists/small.skewed-warmup"
    hit_ratio "small cache, skewed mix, first $secs s" "$lists/small.hot"
    run_wrk "cache skewed" module 1 "$base" "$lists/small.skewed"
    hit_ratio "small cache, skewed mix, next $secs s" "$lists/small.hot"
    small_used=$(mdb_stat -e -a "$work/cache/small" | awk '
        /^  Page size:/ { psize = $3 }
        /^Status of / { db = $3 }
        (db == "entries" || db == "stamps") && /pages:/ { pages += $NF }
        db == "entries" && /Entries:/ { entries = $2 }
        END { printf "%d entries, %.1f MiB of pages", entries, pages * psize / 1048576 }')
}

# One hot tile: the module's bytes also saved as a file for static nginx.
group_hot() {
    local hot_tile="2560,2048,256,256/256,/0/default.jpg" round side
    curl -sf -o "$work/static/tile.jpg" "$base/iiif/3/pyramid/$hot_tile" || fail "hot tile"
    curl -sf -o "$work/check.jpg" "$base/iiif/3/pyramid/$hot_tile" || fail "hot tile"
    cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "the module's hot tile changed between requests"
    curl -sf -o "$work/check.jpg" "$base/static/tile.jpg" || fail "static tile"
    cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "static tile differs from the module's"
    curl -sf -o "$work/check.jpg" "$base/static-nosendfile/tile.jpg" || fail "static tile, sendfile off"
    cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "static tile (sendfile off) differs from the module's"
    curl -sf -o "$work/check.jpg" "$base/static-headers/tile.jpg" || fail "static tile, the module's headers"
    cmp -s "$work/static/tile.jpg" "$work/check.jpg" || fail "static tile (the module's headers) differs from the module's"
    curl -sf -o /dev/null "$base$(side_prefix iipsrv pyramid)$hot_tile" || fail "iipsrv hot tile"
    for ((round = 1; round <= rounds; round++)); do
        for side in $(rotate "$round" module static nosendfile headers iipsrv); do
            case $side in
                module | iipsrv) run_wrk hot "${side_label[$side]}" "$round" "$base$(side_prefix "$side" pyramid)$hot_tile" ;;
                static) run_wrk hot "${side_label[$side]}" "$round" "$base/static/tile.jpg" ;;
                nosendfile) run_wrk hot "${side_label[$side]}" "$round" "$base/static-nosendfile/tile.jpg" ;;
                headers) run_wrk hot "${side_label[$side]}" "$round" "$base/static-headers/tile.jpg" ;;
            esac
        done
    done
}

# The module with its cache asks full/1000, (a hit). The uncached sides ask widths 968 to 1031 in
# turn (the same pyramid level, about a million pixels each): one URL repeated by 16 connections
# would measure the module's sharing of one render among identical requests in flight, not a
# render.
full_list() {
    local w
    for ((w = 968; w <= 1031; w++)); do echo "full/$w,/0/default.jpg"; done >"$lists/full.txt"
}
group_full() {
    full_list
    url_rounds full "full/1000,/0/default.jpg" module:pyramid
    list_rounds full "$lists/full.txt" nocache:pyramid iipsrv:pyramid iipsrv-default:pyramid
}

# Each round has its own regions; within a round every side gets the same URLs. Every request is
# new, so the module with its cache would be the module without it plus a cache write.
group_regions() {
    list_rounds regions "$lists/regions.@ROUND@.txt" nocache:pyramid iipsrv:pyramid iipsrv-default:pyramid
}

# With $jp2_conns connections: a JPEG 2000 render takes about a second of CPU, so 16 would only
# queue (both sides keep 4 at work) and leave seconds of abandoned renders after each run. A
# request may take several seconds on a busy machine: wrk waits 60 s before it counts an error.
group_jp2() {
    local image load=$conns
    conns=$jp2_conns wrk_timeout=60
    full_list
    for image in lossy lossless; do
        list_rounds "$image mix" "$lists/tiles.@IMAGE@.@ROUND@.txt" nocache:$image iipsrv:$image iipsrv-default:$image
        list_rounds "$image full" "$lists/full.txt" nocache:$image iipsrv:$image iipsrv-default:$image
        list_rounds "$image regions" "$lists/regions.@ROUND@.txt" nocache:$image iipsrv:$image iipsrv-default:$image
    done
    conns=$load wrk_timeout=10
}

for group in "${all_groups[@]}"; do
    only "$group" || continue
    say "---- $group"
    "group_$group"
    nginx_worker_rss "$group"
done
nginx_worker_rss end

bench_end

# ---- Report --------------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
{
    bench_report_head "Serving IIIF: the nginx module against static nginx and IIPImage" 2-4
    echo "Workload groups run: $groups_run."
    echo
    echo "Servers, all on 127.0.0.1, the load generator on the same 2 cores; one nginx for the whole"
    echo "run (never restarted, so the workers' memory at the end is after every group):"
    echo
    echo "- **module**: $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian) with \`ngx_http_iiif_module.so\`,"
    echo "  \`worker_processes 2; thread_pool iiif threads=4 max_queue=1024;\`, Image API 3.0, LMDB"
    echo "  cache (default 1 GiB); JPEG quality 85 where it encodes (its default). **module, no cache**:"
    echo "  the same without \`iiif_cache_path\`, every request rendered (a stored tile passed through)."
    echo "- **static nginx**: a plain \`location /static/ { root ...; }\` of the same nginx"
    echo "  (\`sendfile on; tcp_nopush on;\` as in Debian's nginx.conf) serving the module's own bytes:"
    echo "  the hot tile saved to a file, and every tile of the mix saved at its URL's path, asked"
    echo "  in the same orders; **static, sendfile off**: the hot tile with \`sendfile off\` (read into"
    echo "  a buffer and written); **static, the module's headers**: the hot tile with \`add_header\`s of"
    echo "  the module's CORS, Cache-Control and Link (as long as the module's), so that the client"
    echo "  (wrk, on the same 2 cores) parses as many header bytes as from the module."
    echo "- **iipsrv**: IIPImage $(dpkg-query -W -f='${Version}' iipimage-server) (Debian; JPEG 2000 through OpenJPEG),"
    echo "  Image API 2 (the highest it speaks), the same URL paths after \`?IIIF=FILE/\`; three pools of"
    echo "  $iip_procs FastCGI processes from \`spawn-fcgi\` behind the same nginx (\`fastcgi_pass\`, a TCP"
    echo "  connection per request), each with \`${iipsrv_env[*]//$work/\$WORK}\` (no memcached, one"
    echo "  OpenMP thread per process, as fast or faster than its default in a quick check of 2, 4 and"
    echo "  8 processes): **iipsrv** \`${iip_settings[big]}\` (MB per process, as large as the"
    echo "  module's cache; that cache holds decoded source tiles as well as encoded ones), **iipsrv,"
    echo "  10 MB cache** \`${iip_settings[default]}\` (its default cache), **iipsrv, no cache, Q 90**"
    echo "  \`${iip_settings[nocache]}\` (iipsrv's Cache stores and finds nothing at size 0; quality"
    echo "  90 as the master's tiles the module passes through). Quality 85 elsewhere is the module's."
    echo
    echo "Sources, from one generated 10000x8000 picture (gradients and noise): **TIFF master**"
    echo "\`pyramid.tif\` written by \`bench_make_master\` (iiifd's \`write_tiff_master\`: JPEG tiles in"
    echo "YCbCr 4:2:0, $master_line)."
    if [[ -f $work/images/rgb.tif ]]; then
        echo "**RGB master** \`rgb.tif\`: \`vips tiffsave --tile --pyramid --compression jpeg --Q 90\`"
        echo "(256x256, RGB-coded tiles without chroma subsampling, as masters were written before),"
        echo "$(du -m "$work/images/rgb.tif" | cut -f1) MB."
    fi
    if [[ -f $work/images/lossy.jp2 ]]; then
        echo "**JPEG 2000**: \`vips jp2ksave --tile-width 1024 --tile-height 1024\` with \`--Q 45\` (lossy, as"
        echo "iiifd writes them; $(du -m "$work/images/lossy.jp2" | cut -f1) MB) and \`--lossless\` ($(du -m "$work/images/lossless.jp2" | cut -f1) MB)."
    fi
    echo "Tile mix: every tile of every level of the image's info.json ($ntiles for the TIFF), each"
    echo "round in its own random order. Cold: one pass on a new hard link of the master (a name"
    echo "neither server has seen). Warm: after one pass on each side."
    echo
    echo "Load: \`wrk -t$threads -c$conns -d${secs}s --timeout 10s -s bench/serve_bench.lua URL\` (with"
    echo "\`BENCH_PATHS=list\` for URL lists: $threads threads each cycling through the list from its own"
    echo "offset); the JPEG 2000 group with \`-c$jp2_conns --timeout 60s\` (a render there takes about a"
    echo "second of CPU: both sides keep 4 at work, more would only queue). Passes: \`curl -Z --parallel-max"
    echo "$conns --parallel-immediate -K list.cfg\`, each URL once, req/s = URLs / wall time. Latencies:"
    echo "wrk's (or curl's time_total) mean and 99th percentile. After each run, the next waits until"
    echo "nginx and iipsrv are idle (the requests wrk abandoned are finished first). All responses"
    echo "were 200 (checked in wrk's counts, curl's codes and the access log). nginx error log:"
    echo "$errors lines at level error or above."
    if [[ -s $work/notes ]]; then
        echo
        echo "Sizes off by a pixel in the checks before the run (iipsrv rounds down from the levels of"
        echo "odd sizes the masters have; the module answers the sizes the Image API asks):"
        echo
        cat "$work/notes"
    fi
    echo
    python3 bench/serve_report.py "$work" "$groups_run"
    if [[ -n ${copies:-} ]]; then
        echo
        echo "Small cache: the tile mix of $copies copies of the image ($copies x $ntiles tiles; one image's"
        echo "tiles take $((ws_one / 1024)) KiB of LMDB pages), \`iiif_cache_max_size ${small_mb}m\`, so about half"
        echo "fit (eviction brings the data down to 90% of the maximum). At the end it held $small_used."
        echo "Skewed mix: 10% of those tiles, drawn at random, get 90% of the requests."
    fi
    echo
    echo "<details><summary>nginx.conf (WORK = the run's mktemp directory)</summary>"
    echo
    echo '```nginx'
    sed "s|$work|\$WORK|g" "$work/prefix/conf/nginx.conf"
    echo '```'
    echo
    echo "iipsrv: \`env -i ${iipsrv_env[*]//$work/\$WORK} POOL_SETTINGS spawn-fcgi -a 127.0.0.1 -p PORT -F $iip_procs -u nobody -- $iipsrv_bin\`"
    echo "</details>"
} >"$out"
say "wrote $out in $((elapsed / 60)) min $((elapsed % 60)) s"
