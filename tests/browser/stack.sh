# shellcheck shell=bash
# The platform on loopback for the browser tests, sourced by their run_*_test.sh: redis-server,
# iiifd, a deposit through its API, and nginx with the module, each on a port the kernel picks,
# in a fresh temporary directory (kept with IIIF_KEEP_TEST_DIRS=1). nginx.conf and iiifd.toml
# are the demo's, rendered from conf/templates/ (scripts/lib/conf.sh). Every process started
# here is stopped by its pid when the script exits, whatever the outcome (scripts/lib/proc.sh);
# every wait is bounded.
#
#   source "$here/stack.sh"
#   stack_bounded 170 "$@"          # re-runs the script under timeout(1), at most 170 s
#   stack_setup run_foo_test "$@"   # the arguments, what messages begin with, the tools
#   stack_need_modules NAME...      # packages in tests/browser/node_modules, else a failure
#   stack_need_pages FILE...        # files of web/dist/, else a failure
#   stack_init IIIFD MODULE         # the work directory, the cleanup, the ports
#   stack_start_redis
#   access=$(stack_access_toml alice readers)  # [access], and a user with $stack_password
#   stack_start_iiifd "$more_toml"  # more keys of [ingest], then tables
#   ark=$(stack_deposit "$metadata_json" FILE...)
#   ark=$(STACK_PAGES="$pages_json" stack_deposit "$metadata_json" FILE...)  # with a pages part
#   stack_start_nginx ACCESS_KEY_FILE  # "": no access checks, no proxy to iiifd
#
# After stack_init: $stack_work (the directory), $stack_base (nginx's URL), $stack_api (iiifd's),
# $stack_key (the API key), $stack_www (nginx's static root), $stack_iiifd and $stack_module,
# $stack_key_file (the key session cookies and access tokens are signed with, once iiifd runs
# with stack_access_toml's [access]) and $stack_password (its user's).

stack_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/proc.sh
source "$stack_root/scripts/lib/proc.sh"
# shellcheck source=scripts/lib/conf.sh
source "$stack_root/scripts/lib/conf.sh"

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

# NAME IIIFD MODULE [ARTIFACT_DIR], the test's name and arguments: the usage; $stack_name, which
# messages begin with; $artifacts (made; build/test-artifacts/ of the repository by default),
# $chromium and $dist (web/dist/); the tools every test runs, else a failure.
stack_setup() {
    local tool
    stack_name=$1
    shift
    if (($# < 2)); then
        echo "usage: $0 IIIFD MODULE [ARTIFACT_DIR]" >&2
        exit 2
    fi
    artifacts=${3:-$stack_root/build/test-artifacts}
    chromium=/usr/bin/chromium
    dist=$stack_root/web/dist
    for tool in /usr/sbin/nginx "$chromium" /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/vips \
        /usr/bin/curl /usr/bin/node /usr/bin/python3; do
        [[ -x "$tool" ]] || stack_fail "$tool is missing (run scripts/install-deps)"
    done
    mkdir -p "$artifacts"
}

# Nothing is fetched here: scripts/install-deps installs the packages, scripts/build the pages.
stack_need_modules() {
    local name
    for name in "$@"; do
        [[ -d "$stack_root/tests/browser/node_modules/$name" ]] ||
            stack_fail "tests/browser/node_modules is missing (scripts/install-deps runs npm ci there)"
    done
}

stack_need_pages() {
    local file
    for file in "$@"; do
        [[ -f "$dist/$file" ]] || stack_fail "$dist is not built (scripts/build runs npm run build in web/)"
    done
}

stack_cleanup() {
    local status=$? i log
    trap - EXIT INT TERM
    for ((i = ${#stack_pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${stack_pids[i]}"
    done
    if ((status != 0)); then
        for log in "$stack_work"/nginx/logs/error.log "$stack_work"/iiifd/iiifd.log \
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

    read -r stack_nginx_port stack_redis_port stack_api_port < <(free_ports 3)
    stack_base="http://127.0.0.1:$stack_nginx_port"
    stack_api="http://127.0.0.1:$stack_api_port"
    stack_key=browser-test-key-0123456789abcdef
    stack_key_file=$stack_work/iiifd/access.key
    stack_password='correct horse battery staple'
    stack_www=$stack_work/www
    mkdir -p "$stack_work"/{redis,iiifd,storage,images,www,cache,nginx/conf,nginx/logs,nginx/temp}
}

# A field of a JSON object, or "" (not JSON, no such field).
stack_json() {
    python3 -c 'import json, sys
try:
    print(json.loads(sys.argv[2]).get(sys.argv[1], ""))
except Exception:
    print("")' "$@"
}

# With STACK_REDIS_AOF=1, Redis keeps its data in an append-only file, as a deployment would,
# so that a restart finds it again.
stack_start_redis() {
    local aof=no
    [[ "${STACK_REDIS_AOF:-0}" != 1 ]] || aof=yes
    /usr/bin/redis-server --bind 127.0.0.1 --port "$stack_redis_port" --dir "$stack_work/redis" \
        --save "" --appendonly "$aof" --daemonize no --logfile "$stack_work/redis/redis.log" &
    stack_redis_pid=$!
    stack_pids+=("$stack_redis_pid")
}

# MORE_TOML: more keys of [ingest], then tables, added to the demo's iiifd.toml (the test NAAN,
# storage, Redis, the public base URL of the nginx, the API on its port with $stack_key).
# shellcheck disable=SC2034 # the values of the templates' placeholders (render_template)
stack_start_iiifd() {
    local MORE=${1:-} STORAGE_ROOT=$stack_work/storage CATALOG=$stack_work/storage/catalog.mdb
    local REDIS_PORT=$stack_redis_port SHOULDER=fk4 SHOULDER_NAME="Browser tests"
    local ARK_POLICY="Test ARKs of the browser test: they last as long as the test."
    local BASE_URL=$stack_base INSTITUTION="Test Library" API_PORT=$stack_api_port
    local API_KEYS="\"$stack_key\""
    render_iiifd_conf >"$stack_work/iiifd/iiifd.toml" || stack_fail "no iiifd.toml (above)"
    "$stack_iiifd" --check-config -c "$stack_work/iiifd/iiifd.toml" >/dev/null ||
        stack_fail "iiifd rejects its configuration (above)"
    wait_port 127.0.0.1 "$stack_redis_port" 10 "$stack_redis_pid" ||
        stack_fail "redis-server did not answer on port $stack_redis_port"

    start_bg "$stack_work/iiifd/iiifd.log" "$stack_iiifd" -c "$stack_work/iiifd/iiifd.toml"
    stack_iiifd_pid=$!
    stack_pids+=("$stack_iiifd_pid")
    wait_port 127.0.0.1 "$stack_api_port" 10 "$stack_iiifd_pid" ||
        stack_fail "iiifd did not answer on port $stack_api_port (or exited at start)"
}

# USER GROUP...: iiifd.toml's [access] (the signing key $stack_key_file) and USER in GROUP...,
# whose password is $stack_password (iiifd-access.toml.in).
# shellcheck disable=SC2034 # the values of the template's placeholders (render_template)
stack_access_toml() {
    local ACCESS_KEY_FILE=$stack_key_file USER_NAME=$1 PASSWORD_HASH USER_GROUPS
    shift
    PASSWORD_HASH=$(printf '%s\n' "$stack_password" | "$stack_iiifd" hash-password) ||
        stack_fail "iiifd hash-password failed"
    USER_GROUPS=$(printf '"%s", ' "$@")
    USER_GROUPS=${USER_GROUPS%, }
    render_template iiifd-access.toml.in
}

# METADATA_JSON FILE...: deposits the files as one object, waits (60 s at most) for its ingest,
# and prints its ARK. Run in $(...): a failure ends that subshell, and the assignment fails.
# With $STACK_PAGES, the deposit has that pages part too (its pages' labels, given or by a rule).
stack_deposit() {
    local metadata=$1 file answer job ark state job_status tries
    shift
    local files=()
    for file in "$@"; do
        files+=(-F "file=@$file")
    done
    [[ -z "${STACK_PAGES:-}" ]] || files+=(-F "pages=$STACK_PAGES;type=application/json")
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

# ACCESS_KEY_FILE: nginx as the demo runs it (render_site_conf): the Image API and manifests
# from the catalog, the ARK resolver, $stack_www at /; with an ACCESS_KEY_FILE, access checks with
# that key and iiifd's /oai, /auth/ and /api/ (bodies up to 100 MB). The access log
# ($stack_work/nginx/logs/access.log) has "METHOD URI STATUS CACHE_STATUS" lines, or
# $STACK_LOG_FORMAT's.
# shellcheck disable=SC2034 # the values of the templates' placeholders (render_template)
stack_start_nginx() {
    local MODULE=$stack_module PORT=$stack_nginx_port ERROR_LOG_LEVEL=info
    # shellcheck disable=SC2016 # nginx's variables, for nginx
    local LOG_FORMAT=${STACK_LOG_FORMAT:-'$request_method $request_uri $status $iiif_cache_status'}
    local CATALOG=$stack_work/storage/catalog.mdb CACHE_DIR=$stack_work/cache WWW=$stack_www
    local SOURCE_DIR='' ACCESS_KEY_FILE=${1:-} API_PORT=$stack_api_port API_MAX_BODY=100m
    local prefix=$stack_work/nginx
    if ((EUID == 0)); then
        # The workers run as nobody: they read the masters and register in the catalog's lock
        # file.
        chmod -R a+rX "$stack_work/storage"
        chmod a+rw "$CATALOG-lock"
        chown nobody "$CACHE_DIR"
    fi
    chmod -R a+rX "$stack_www"

    render_site_conf >"$prefix/conf/nginx.conf" || stack_fail "no nginx.conf (above)"
    nginx_check "$prefix" || stack_fail "nginx rejects its configuration (above)"
    # In the foreground, so that it stays this script's child, in its process group.
    /usr/sbin/nginx -p "$prefix/" -c conf/nginx.conf -e logs/error.log -g 'daemon off;' &
    stack_nginx_pid=$!
    stack_pids+=("$stack_nginx_pid")
    wait_port 127.0.0.1 "$stack_nginx_port" 10 "$stack_nginx_pid" ||
        stack_fail "nginx did not answer on port $stack_nginx_port (or exited at start)"
}
