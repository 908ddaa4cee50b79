#!/bin/bash
# A deposit seen through IIIF viewers: a 3-page object deposited through the real iiifd (with a
# real redis-server) is shown by Mirador in Debian's headless Chromium from its Presentation 3.0
# manifest, its bare ARK leads to that landing page, and its Presentation 2.1 manifest is read
# by manifesto.js (the parser of Mirador and the Universal Viewer) with image services that
# match their info.json.
#
#   run_manifest_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# IIIFD is the iiifd binary, MODULE ngx_http_iiif_module.so; screenshots go to ARTIFACT_DIR
# (default build/test-artifacts/ of the repository). Everything runs on 127.0.0.1 on ports
# the kernel picks, in a fresh temporary directory (kept with IIIF_KEEP_TEST_DIRS=1); every
# process started here is stopped by its pid on exit, whatever the outcome. Each wait below is
# bounded, and the whole run is cut at 170 s: the script runs under timeout(1), which TERMs its
# process group (this script and what it started) then, so the cleanup still runs.
set -euo pipefail

if [[ -z "${IIIF_BROWSER_TEST_BOUNDED:-}" ]]; then
    IIIF_BROWSER_TEST_BOUNDED=1 exec timeout -k 10 170 "$0" "$@"
fi

if (($# < 2)); then
    echo "usage: $0 IIIFD MODULE [ARTIFACT_DIR]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
iiifd=$(realpath "$1")
module=$(realpath "$2")
artifacts=${3:-$root/build/test-artifacts}
nginx=/usr/sbin/nginx
chromium=/usr/bin/chromium
mirador_bundle=$root/web/node_modules/mirador/dist/mirador.min.js

fail() {
    echo "run_manifest_test: FAILED: $*" >&2
    exit 1
}

# ---- prerequisites: nothing is fetched here; scripts/install-deps installs them --------------

for tool in "$nginx" "$chromium" /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/vips \
    /usr/bin/curl /usr/bin/node /usr/bin/python3; do
    [[ -x "$tool" ]] || fail "$tool is missing (run scripts/install-deps)"
done
[[ -x "$iiifd" ]] || fail "no iiifd at $1"
[[ -f "$module" ]] || fail "no module at $2"
[[ -d "$here/node_modules/playwright-core" && -d "$here/node_modules/manifesto.js" ]] ||
    fail "tests/browser/node_modules is missing (scripts/install-deps runs npm ci there)"
[[ -f "$mirador_bundle" ]] ||
    fail "$mirador_bundle is missing (scripts/install-deps runs npm ci in web/)"

# ---- cleanup: stop exactly what was started, by pid -------------------------------------------

work=$(mktemp -d /tmp/iiif-browser-XXXXXX)
chmod 755 "$work"
pids=() # started processes, stopped in reverse order

stop_pid() {
    local pid=$1 tries
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((tries = 0; tries < 100; tries++)); do # 10 s
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$? i
    trap - EXIT INT TERM
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${pids[i]}"
    done
    if ((status != 0)); then
        for log in "$work"/nginx/error.log "$work"/iiifd/iiifd.log "$work"/redis/redis.log; do
            [[ -s "$log" ]] || continue
            echo "---- the end of $log" >&2
            tail -n 25 "$log" >&2
        done
    fi
    if [[ "${IIIF_KEEP_TEST_DIRS:-0}" == 1 ]]; then
        echo "run_manifest_test: kept $work" >&2
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports, chosen by the kernel (bound to port 0, then released).
read -r nginx_port redis_port api_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
for s in sockets:
    s.close()')
base="http://127.0.0.1:$nginx_port"
key=browser-test-key-0123456789abcdef
mkdir -p "$work"/{redis,iiifd,storage,images,www/mirador,cache,nginx/temp} "$artifacts"

# ---- Redis and iiifd --------------------------------------------------------------------------

/usr/bin/redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work/redis" \
    --save "" --appendonly no --daemonize no --logfile "$work/redis/redis.log" &
pids+=("$!")

cat >"$work/iiifd/iiifd.toml" <<TOML
[storage]
root = "$work/storage"
[redis]
host = "127.0.0.1"
port = $redis_port
[ark]
naan = "99999"
check_profile = "noid"
default_shoulder = "fk4"
policy = "Test ARKs of the browser test: they last as long as the test."
[ark.shoulders.fk4]
name = "Browser tests"
[public]
base_url = "$base"
institution = "Test Library"
landing_page = "/object.html?manifest={manifest}"
[http]
host = "127.0.0.1"
port = $api_port
api_keys = ["$key"]
[ingest]
workers = 2
TOML
"$iiifd" --check-config -c "$work/iiifd/iiifd.toml" >/dev/null ||
    fail "iiifd rejects its configuration (above)"

up=0
for ((tries = 0; tries < 100; tries++)); do # 10 s
    if [[ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" == PONG ]]; then
        up=1
        break
    fi
    sleep 0.1
done
((up)) || fail "redis-server did not answer on port $redis_port"

"$iiifd" -c "$work/iiifd/iiifd.toml" >"$work/iiifd/iiifd.log" 2>&1 &
iiifd_pid=$!
pids+=("$iiifd_pid")
up=0
for ((tries = 0; tries < 100; tries++)); do # 10 s
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$api_port/"; then
        up=1
        break
    fi
    kill -0 "$iiifd_pid" 2>/dev/null || fail "iiifd exited at start"
    sleep 0.1
done
((up)) || fail "iiifd did not answer on port $api_port"

# ---- the object: three pages of different colours and sizes, labelled ------------------------

# Page n: WIDTHxHEIGHT, colour R G B, "Page n" in white in its top-left corner (the centre
# stays the plain colour, which the Mirador test reads back from its screenshots).
pages=("2000 1500 200 40 40" "1500 2000 30 150 60" "1800 1200 40 70 200")
files=()
for n in 1 2 3; do
    read -r w h r g b <<<"${pages[n - 1]}"
    t=$work/images/t$n
    vips black "$t-black.v" "$w" "$h" --bands 3
    vips linear "$t-black.v" "$t-colour.v" "1 1 1" "$r $g $b" --uchar
    vips text "$t-text.v" "Page $n" --dpi 900 --font "DejaVu Sans Bold"
    vips embed "$t-text.v" "$t-mask.v" 80 80 "$w" "$h"
    vips linear "$t-black.v" "$t-white.v" "1 1 1" "255 255 255" --uchar
    vips ifthenelse "$t-mask.v" "$t-white.v" "$t-colour.v" "$work/images/page$n.jpg[Q=92]" --blend
    files+=(-F "file=@$work/images/page$n.jpg")
done

answer=$(curl -s --max-time 60 -H "Authorization: Bearer $key" "${files[@]}" \
    -F 'metadata={"title": [{"value": "Three colours", "lang": "en"}]};type=application/json' \
    "http://127.0.0.1:$api_port/api/v1/objects" || true)
# A field of a JSON object, or "" (not JSON, no such field).
json() {
    python3 -c 'import json, sys
try:
    print(json.loads(sys.argv[2]).get(sys.argv[1], ""))
except Exception:
    print("")' "$@"
}
job=$(json job "$answer")
ark=$(json ark "$answer")
[[ -n "$job" && -n "$ark" ]] || fail "the deposit was refused: $answer"

state=queued
for ((tries = 0; tries < 600; tries++)); do # 60 s
    kill -0 "$iiifd_pid" 2>/dev/null || fail "iiifd exited during the ingest of job $job"
    job_status=$(curl -s --max-time 5 -H "Authorization: Bearer $key" \
        "http://127.0.0.1:$api_port/api/v1/jobs/$job" || true)
    state=$(json state "$job_status")
    [[ "$state" == "done" || "$state" == "failed" ]] && break
    sleep 0.1
done
[[ "$state" == "done" ]] || fail "job $job ended ${state:-nowhere}: $job_status"
echo "run_manifest_test: deposited $ark (job $job, 3 pages)"

# ---- nginx: the Image API and manifests from the catalog, the ARK resolver, the page ----------

catalog=$work/storage/catalog.mdb
if ((EUID == 0)); then
    # The workers run as nobody: they read the masters and register in the catalog's lock file.
    chmod -R a+rX "$work/storage"
    chmod a+rw "$catalog-lock"
    chown nobody "$work/cache"
fi
cp "$root"/web/object.{html,js,css} "$work/www/"
cp "$mirador_bundle" "$work/www/mirador/"
chmod -R a+rX "$work/www"

cat >"$work/nginx/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log info;
thread_pool iiif threads=4 max_queue=256;
events {
    worker_connections 256;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $work/nginx/temp/client_body;
    proxy_temp_path $work/nginx/temp/proxy;
    fastcgi_temp_path $work/nginx/temp/fastcgi;
    uwsgi_temp_path $work/nginx/temp/uwsgi;
    scgi_temp_path $work/nginx/temp/scgi;
    log_format iiif '\$request_method \$request_uri \$status \$iiif_cache_status';
    access_log $work/nginx/access.log iiif;
    server {
        listen 127.0.0.1:$nginx_port;
        iiif_cache_path $work/cache;
        iiif_thread_pool iiif;
        location /iiif/3/ {
            iiif 3;
            iiif_catalog $catalog;
        }
        location /iiif/2/ {
            iiif 2;
            iiif_catalog $catalog;
        }
        location /ark: {
            iiif_ark_resolver;
            iiif_catalog $catalog;
        }
        location / {
            root $work/www;
        }
    }
}
CONF
"$nginx" -t -q -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" ||
    fail "nginx rejects its configuration (above)"
"$nginx" -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
    -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")
up=0
for ((tries = 0; tries < 100; tries++)); do # 10 s
    if curl -s -o /dev/null --max-time 1 "$base/object.html"; then
        up=1
        break
    fi
    kill -0 "$nginx_pid" 2>/dev/null || fail "nginx exited at start"
    sleep 0.1
done
((up)) || fail "nginx did not answer on port $nginx_port"

# ---- the viewers --------------------------------------------------------------------------------

export IIIF_BASE=$base IIIF_ARK=$ark IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
IIIF_PAGES=$(printf '%s;' "${pages[@]}")
export IIIF_PAGES
export IIIF_BROWSER_PROFILE=$work/chromium-profile
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
timeout --foreground -k 5 100 node --test --test-reporter=spec mirador.test.mjs p2_parse.test.mjs
echo "run_manifest_test: passed (screenshots in $artifacts)"
