# shellcheck shell=bash
# The platform on loopback for the browser tests, sourced by their run_*_test.sh: redis-server,
# iiifd with its TOML, a deposit through its API, and nginx with the module, each on a port the
# kernel picks, in a fresh temporary directory (kept with IIIF_KEEP_TEST_DIRS=1). Every process
# started here is stopped by its pid when the script exits, whatever the outcome; every wait is
# bounded.
#
#   source "$here/stack.sh"
#   stack_bounded 170 "$@"          # re-runs the script under timeout(1), at most 170 s
#   stack_name=run_foo_test         # what messages begin with
#   stack_require TOOL...           # prerequisites (executables), else a failure
#   stack_init IIIFD MODULE         # the work directory, the cleanup, the ports
#   stack_start_redis
#   stack_start_iiifd "$extra_toml"  # appended to the base TOML
#   ark=$(stack_deposit "$metadata_json" FILE...)
#   stack_start_nginx "$extra_server_conf" "$extra_iiif_conf"
#
# After stack_init: $stack_work (the directory), $stack_base (nginx's URL), $stack_api (iiifd's),
# $stack_key (the API key), $stack_www (nginx's static root), $stack_iiifd and $stack_module.

# The whole run is cut at SECONDS: the script runs again under timeout(1), which TERMs its
# process group (the script and what it started) then, so that the cleanup still runs.
stack_bounded() {
    local seconds=$1
    shift
    if [[ -z "${IIIF_BROWSER_TEST_BOUNDED:-}" ]]; then
        IIIF_BROWSER_TEST_BOUNDED=1 exec timeout -k 10 "$seconds" "$0" "$@"
    fi
}

stack_fail() {
    echo "${stack_name:-stack}: FAILED: $*" >&2
    exit 1
}

stack_require() {
    local tool
    for tool in "$@"; do
        [[ -x "$tool" ]] || stack_fail "$tool is missing (run scripts/install-deps)"
    done
}

stack_stop_pid() {
    local pid=$1 tries
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((tries = 0; tries < 100; tries++)); do # 10 s
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

stack_cleanup() {
    local status=$? i log
    trap - EXIT INT TERM
    for ((i = ${#stack_pids[@]} - 1; i >= 0; i--)); do
        stack_stop_pid "${stack_pids[i]}"
    done
    if ((status != 0)); then
        for log in "$stack_work"/nginx/error.log "$stack_work"/iiifd/iiifd.log \
            "$stack_work"/redis/redis.log; do
            [[ -s "$log" ]] || continue
            echo "---- the end of $log" >&2
            tail -n 25 "$log" >&2
        done
    fi
    if [[ "${IIIF_KEEP_TEST_DIRS:-0}" == 1 ]]; then
        echo "$stack_name: kept $stack_work" >&2
    else
        rm -rf "$stack_work"
    fi
    exit "$status"
}

# IIIFD MODULE: checks the binaries, makes the work directory, sets the cleanup and picks the
# ports.
stack_init() {
    stack_iiifd=$(realpath "$1")
    stack_module=$(realpath "$2")
    [[ -x "$stack_iiifd" ]] || stack_fail "no iiifd at $1"
    [[ -f "$stack_module" ]] || stack_fail "no module at $2"
    stack_work=$(mktemp -d /tmp/iiif-browser-XXXXXX)
    chmod 755 "$stack_work"
    stack_pids=() # started processes, stopped in reverse order
    trap stack_cleanup EXIT
    trap 'exit 130' INT TERM

    # Free loopback ports, chosen by the kernel (bound to port 0, then released).
    read -r stack_nginx_port stack_redis_port stack_api_port < <(python3 -c '
import socket
sockets = [socket.socket() for _ in range(3)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
for s in sockets:
    s.close()')
    stack_base="http://127.0.0.1:$stack_nginx_port"
    stack_api="http://127.0.0.1:$stack_api_port"
    stack_key=browser-test-key-0123456789abcdef
    stack_www=$stack_work/www
    mkdir -p "$stack_work"/{redis,iiifd,storage,images,www,cache,nginx/temp}
}

# A field of a JSON object, or "" (not JSON, no such field).
stack_json() {
    python3 -c 'import json, sys
try:
    print(json.loads(sys.argv[2]).get(sys.argv[1], ""))
except Exception:
    print("")' "$@"
}

stack_start_redis() {
    /usr/bin/redis-server --bind 127.0.0.1 --port "$stack_redis_port" --dir "$stack_work/redis" \
        --save "" --appendonly no --daemonize no --logfile "$stack_work/redis/redis.log" &
    stack_pids+=("$!")
}

# EXTRA_TOML: sections appended to the base configuration (storage, redis, a test NAAN, the
# public base URL of the nginx, the API on its port with $stack_key).
stack_start_iiifd() {
    local extra=${1:-} up tries
    cat >"$stack_work/iiifd/iiifd.toml" <<TOML
[storage]
root = "$stack_work/storage"
[redis]
host = "127.0.0.1"
port = $stack_redis_port
[ark]
naan = "99999"
check_profile = "noid"
default_shoulder = "fk4"
policy = "Test ARKs of the browser test: they last as long as the test."
[ark.shoulders.fk4]
name = "Browser tests"
[public]
base_url = "$stack_base"
institution = "Test Library"
landing_page = "/object.html?manifest={manifest}"
[http]
host = "127.0.0.1"
port = $stack_api_port
api_keys = ["$stack_key"]
[ingest]
workers = 2
$extra
TOML
    "$stack_iiifd" --check-config -c "$stack_work/iiifd/iiifd.toml" >/dev/null ||
        stack_fail "iiifd rejects its configuration (above)"

    up=0
    for ((tries = 0; tries < 100; tries++)); do # 10 s
        if [[ "$(redis-cli -h 127.0.0.1 -p "$stack_redis_port" ping 2>/dev/null)" == PONG ]]; then
            up=1
            break
        fi
        sleep 0.1
    done
    ((up)) || stack_fail "redis-server did not answer on port $stack_redis_port"

    "$stack_iiifd" -c "$stack_work/iiifd/iiifd.toml" >"$stack_work/iiifd/iiifd.log" 2>&1 &
    stack_iiifd_pid=$!
    stack_pids+=("$stack_iiifd_pid")
    up=0
    for ((tries = 0; tries < 100; tries++)); do # 10 s
        if curl -s -o /dev/null --max-time 1 "$stack_api/"; then
            up=1
            break
        fi
        kill -0 "$stack_iiifd_pid" 2>/dev/null || stack_fail "iiifd exited at start"
        sleep 0.1
    done
    ((up)) || stack_fail "iiifd did not answer on port $stack_api_port"
}

# METADATA_JSON FILE...: deposits the files as one object, waits (60 s at most) for its ingest,
# and prints its ARK. Run in $(...): a failure ends that subshell, and the assignment fails.
stack_deposit() {
    local metadata=$1 file answer job ark state job_status tries
    shift
    local files=()
    for file in "$@"; do
        files+=(-F "file=@$file")
    done
    answer=$(curl -s --max-time 60 -H "Authorization: Bearer $stack_key" "${files[@]}" \
        -F "metadata=$metadata;type=application/json" "$stack_api/api/v1/objects" || true)
    job=$(stack_json job "$answer")
    ark=$(stack_json ark "$answer")
    [[ -n "$job" && -n "$ark" ]] || stack_fail "the deposit was refused: $answer"

    state=queued
    for ((tries = 0; tries < 600; tries++)); do # 60 s
        kill -0 "$stack_iiifd_pid" 2>/dev/null ||
            stack_fail "iiifd exited during the ingest of job $job"
        job_status=$(curl -s --max-time 5 -H "Authorization: Bearer $stack_key" \
            "$stack_api/api/v1/jobs/$job" || true)
        state=$(stack_json state "$job_status")
        [[ "$state" == "done" || "$state" == "failed" ]] && break
        sleep 0.1
    done
    [[ "$state" == "done" ]] || stack_fail "job $job ended ${state:-nowhere}: $job_status"
    echo "$stack_name: deposited $ark (job $job, $# pages)" >&2
    echo "$ark"
}

# EXTRA_SERVER_CONF EXTRA_IIIF_CONF: directives added to the server block, and to the Image API
# locations (/iiif/3/ and /iiif/2/). Serves the catalog, the ARK resolver and $stack_www; the
# access log ($stack_work/nginx/access.log) has "METHOD URI STATUS CACHE_STATUS" lines.
stack_start_nginx() {
    local extra_server=${1:-} extra_iiif=${2:-} catalog=$stack_work/storage/catalog.mdb up tries
    if ((EUID == 0)); then
        # The workers run as nobody: they read the masters and register in the catalog's lock
        # file.
        chmod -R a+rX "$stack_work/storage"
        chmod a+rw "$catalog-lock"
        chown nobody "$stack_work/cache"
    fi
    chmod -R a+rX "$stack_www"

    cat >"$stack_work/nginx/nginx.conf" <<CONF
load_module $stack_module;
worker_processes 2;
pid $stack_work/nginx/nginx.pid;
error_log $stack_work/nginx/error.log info;
thread_pool iiif threads=4 max_queue=256;
events {
    worker_connections 256;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $stack_work/nginx/temp/client_body;
    proxy_temp_path $stack_work/nginx/temp/proxy;
    fastcgi_temp_path $stack_work/nginx/temp/fastcgi;
    uwsgi_temp_path $stack_work/nginx/temp/uwsgi;
    scgi_temp_path $stack_work/nginx/temp/scgi;
    log_format iiif '\$request_method \$request_uri \$status \$iiif_cache_status';
    access_log $stack_work/nginx/access.log iiif;
    server {
        listen 127.0.0.1:$stack_nginx_port;
        iiif_cache_path $stack_work/cache;
        iiif_thread_pool iiif;
        location /iiif/3/ {
            iiif 3;
            iiif_catalog $catalog;
            $extra_iiif
        }
        location /iiif/2/ {
            iiif 2;
            iiif_catalog $catalog;
            $extra_iiif
        }
        location /ark: {
            iiif_ark_resolver;
            iiif_catalog $catalog;
        }
        location / {
            root $stack_www;
        }
        $extra_server
    }
}
CONF
    /usr/sbin/nginx -t -q -p "$stack_work/nginx/" -c "$stack_work/nginx/nginx.conf" \
        -e "$stack_work/nginx/error.log" || stack_fail "nginx rejects its configuration (above)"
    /usr/sbin/nginx -p "$stack_work/nginx/" -c "$stack_work/nginx/nginx.conf" \
        -e "$stack_work/nginx/error.log" -g 'daemon off;' &
    stack_nginx_pid=$!
    stack_pids+=("$stack_nginx_pid")
    up=0
    for ((tries = 0; tries < 100; tries++)); do # 10 s
        if curl -s -o /dev/null --max-time 1 "$stack_base/"; then
            up=1
            break
        fi
        kill -0 "$stack_nginx_pid" 2>/dev/null || stack_fail "nginx exited at start"
        sleep 0.1
    done
    ((up)) || stack_fail "nginx did not answer on port $stack_nginx_port"
}
