#!/bin/bash
# The soak and chaos test (issue 17): the whole platform on loopback (Redis with its append-only
# file, iiifd, nginx with the module, as scripts/demo runs them: tests/browser/stack.sh) under
# load for SECONDS while it is disturbed, then checked (tests/soak/soak.py has the load and the
# verdict).
#
#   tests/soak/soak.sh IIIFD MODULE [SECONDS]      (default 60; ctest runs it for 45 s: soak_short)
#   tests/soak/run [SECONDS]                       (the long one, from a built tree; default 600)
#
# The load: wrk over cached tiles of a deposited image, a deposit of a new image every ~0.3 s,
# OAI-PMH harvests and manifest reads, all through nginx. The chaos, every 40 s from the 8th:
# iiifd killed with SIGKILL and started again, Redis stopped and started again, nginx reloaded
# (SIGHUP), and 30 expensive renders sent at once. Then every accepted deposit must exist
# exactly once with its bytes, the harvests must list each record once, no answer may be a 5xx
# other than 503 with Retry-After, the tiles' p99 must stay under 50 ms, and no temporary file
# may be left. Everything runs in a fresh temporary directory, on ports the kernel picks, and is
# stopped by its pid at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${3:-60}
# shellcheck source=tests/browser/stack.sh
source "$root/tests/browser/stack.sh"
# Its own bound comes before CTest's (TIMEOUT 500 for 45 s): CTest's kill would leave the soak's
# nginx, iiifd and Redis running, where this one stops them.
stack_bounded $((seconds + 400)) "$@"
stack_name=soak
if (($# < 2)); then
    echo "usage: $0 IIIFD MODULE [SECONDS]" >&2
    exit 2
fi
for tool in /usr/sbin/nginx /usr/bin/redis-server /usr/bin/vips /usr/bin/curl /usr/bin/python3 \
    /usr/bin/wrk; do
    [[ -x "$tool" ]] || stack_fail "$tool is missing (run scripts/install-deps)"
done
stack_init "$1" "$2"
results=${SOAK_RESULTS:-$stack_work}

STACK_REDIS_AOF=1 stack_start_redis
access=$(stack_access_toml reader readers)
stack_start_iiifd "$access"
# shellcheck disable=SC2016 # nginx's variables, for nginx
STACK_LOG_FORMAT='$request_method $request_uri $status $iiif_cache_status $sent_http_retry_after' \
    stack_start_nginx "$stack_key_file"

# ---- An image whose tiles are the cached load -------------------------------------------------
vips black "$stack_work/images/black.v" 3000 2000 --bands 3
vips gaussnoise "$stack_work/images/noise.v" 3000 2000 --mean 128 --sigma 40
vips bandjoin "$stack_work/images/noise.v $stack_work/images/noise.v $stack_work/images/noise.v" \
    "$stack_work/images/rgb.v"
vips cast "$stack_work/images/rgb.v" "$stack_work/images/tiles.jpg[Q=90]" uchar
ark=$(stack_deposit '{"title": [{"value": "Tiles", "lang": "en"}]}' "$stack_work/images/tiles.jpg")
chmod -R a+rX "$stack_work/storage"
page=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1] + "/f1", safe=""))' "$ark")
image="$stack_base/iiif/3/$page"
curl -sf "$image/info.json" -o "$stack_work/info.json" || stack_fail "no info.json for $ark"
python3 - "$stack_work/info.json" "/iiif/3/$page" >"$stack_work/tiles.txt" <<'PY'
import json, math, sys
info = json.load(open(sys.argv[1]))
W, H = info["width"], info["height"]
tile = info["tiles"][0]
tw = tile["width"]
th = tile.get("height", tw)
for sf in tile["scaleFactors"]:
    for y in range(0, H, th * sf):
        for x in range(0, W, tw * sf):
            w, h = min(tw * sf, W - x), min(th * sf, H - y)
            print(f"{sys.argv[2]}/{x},{y},{w},{h}/{math.ceil(w / sf)},/0/default.jpg")
PY
while read -r path; do
    curl -sf -o /dev/null "$stack_base$path" || stack_fail "tile $path"
done <"$stack_work/tiles.txt"
echo "soak: $(wc -l <"$stack_work/tiles.txt") tiles of $ark cached" >&2

# ---- The chaos --------------------------------------------------------------------------------
# In a subshell: the processes it starts are written to chaos.pids, for the cleanup.
chaos_pids=$stack_work/chaos.pids
: >"$chaos_pids"
soak_cleanup() {
    local status=$? pid
    while read -r pid; do stack_pids+=("$pid"); done <"$chaos_pids"
    (exit "$status")
    stack_cleanup
}
trap soak_cleanup EXIT

# at OFFSET: sleeps until OFFSET seconds after the cycle began; fails once the soak is over.
at() {
    local until=$((cycle_start + $1))
    while ((SECONDS < until)); do sleep 0.2; done
    ((SECONDS < soak_end))
}
chaos() {
    local i
    cycle_start=$SECONDS
    soak_end=$((SECONDS + seconds))
    while :; do
        at 8 || return 0
        echo "soak: $(date +%s.%N | cut -c8-12): chaos: iiifd killed (SIGKILL) and started again" >&2
        kill -KILL "$stack_iiifd_pid" 2>/dev/null || true
        wait_gone "$stack_iiifd_pid" 5 || true
        sleep 1
        stack_start_iiifd "$access"
        echo "$stack_iiifd_pid" >>"$chaos_pids"
        at 16 || return 0
        echo "soak: $(date +%s.%N | cut -c8-12): chaos: Redis stopped and started again" >&2
        stop_pid "$stack_redis_pid"
        STACK_REDIS_AOF=1 stack_start_redis
        echo "$stack_redis_pid" >>"$chaos_pids"
        at 24 || return 0
        echo "soak: $(date +%s.%N | cut -c8-12): chaos: nginx reloaded (SIGHUP)" >&2
        kill -HUP "$stack_nginx_pid"
        at 30 || return 0
        echo "soak: $(date +%s.%N | cut -c8-12): chaos: 30 expensive renders at once" >&2
        for ((i = 1; i <= 30; i++)); do
            # Not on the test's standard error: one still running when the soak fails would
            # hold ctest's pipe open until its --max-time.
            curl -s -o /dev/null --max-time 120 \
                "$image/full/$((1500 + cycle_start % 97 + i)),/$((i * 7 % 360))/default.png" \
                2>/dev/null </dev/null &
        done
        at 40 || return 0
        cycle_start=$((cycle_start + 40))
    done
}
chaos &
chaos_pid=$!
stack_pids+=("$chaos_pid")

# The masters iiifd writes are read by nginx's workers (nobody, as root): open them as they come.
(while :; do
    chmod -R a+rX "$stack_work/storage" 2>/dev/null || true
    sleep 1
done) &
stack_pids+=("$!")

status=0
python3 "$here/soak.py" "$stack_base" "$stack_key" "$stack_work/storage" \
    "$stack_work/nginx/logs/access.log" "$seconds" "$stack_work/tiles.txt" "$results" || status=$?
# The chaos ends with the soak's time; one stuck in a step (a restart under heavy load) must not
# hold the cleanup, which stops what it started (chaos.pids).
kill "$chaos_pid" 2>/dev/null || true
wait "$chaos_pid" 2>/dev/null || true
((status == 0)) || stack_fail "the soak found problems (above)"
echo "soak: passed ($seconds s)"
