# shellcheck shell=bash disable=SC2154,SC2034
# Pieces the bench scripts share; sourced after `set -euo pipefail` (the functions use $work). The
# process helpers are scripts/lib/proc.sh's, the configuration files are rendered from
# conf/templates/ by scripts/lib/conf.sh.

# shellcheck source=scripts/lib/proc.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/proc.sh"
# shellcheck source=scripts/lib/conf.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/conf.sh"

# The script's name begins its messages; fail ends the run.
bench_name=$(basename "$0" .sh)
say() { echo "$bench_name: $*" >&2; }
fail() {
    echo "$bench_name: FAIL: $*" >&2
    exit 1
}

# bench_need_tools TOOL...: each on the PATH, else the run fails.
bench_need_tools() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || fail "needs $tool: scripts/install-deps and bench/install-deps"
    done
}

# bench_begin: the start of a run, for the report: $started, $load_start (the load average),
# $commit.
bench_begin() {
    started=$(date +%s)
    load_start=$(cut -d' ' -f1-3 /proc/loadavg)
    commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
}

# bench_make_work: $work, a fresh directory in /tmp that nginx's workers (nobody, as root) can
# enter.
bench_make_work() {
    work=$(mktemp -d "/tmp/$bench_name.XXXXXX")
    chmod 755 "$work"
}

# The persistence statement of the benchmarks' ARKs (iiifd.toml's [ark] policy).
bench_ark_policy="Benchmark ARKs: they last as long as the benchmark's work directory."

# ---- nginx: prefix $work/prefix, port $port, module $module, master $nginx_pid ---------------

nginx_pid=""

# bench_module_source PATH...: $module_source, for the report: when and from what $module (of
# the build $build) was built: the working tree, with the uncommitted changes in PATH..., or
# another tree (e.g. a `git archive` of a commit, so that the numbers belong to it while others
# edit the checkout), whose common/ and ngx_module/ are then compared with HEAD's.
bench_module_source() {
    local built source_dir differ dirty
    built="$build/ngx_module/ngx_http_iiif_module.so, built $(date -u -r "$module" '+%Y-%m-%d %H:%M UTC')"
    source_dir=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
    if [[ -n $source_dir && $(realpath "$source_dir") != "$(realpath .)" ]]; then
        mkdir -p "$work/head"
        git archive HEAD -- common ngx_module | tar -x -C "$work/head"
        differ=$(for dir in common ngx_module; do diff -rq "$work/head/$dir" "$source_dir/$dir" 2>&1 || true; done |
            sed -E "s|^Files $work/head/([^ ]*) and .*|\1|; s|^Only in $work/head/|missing |; s|^Only in $source_dir/|extra |" | tr '\n' ' ' | sed 's/ $//')
        rm -rf "$work/head"
        module_source="$built from $source_dir, whose common/ and ngx_module/ ${differ:+differ from $commit in: $differ}"
        [[ -n $differ ]] || module_source+="are those of $commit"
    else
        dirty=$(git status --porcelain -- "$@" 2>/dev/null | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')
        module_source="$built from the working tree${dirty:+ (uncommitted changes in: $dirty)}"
    fi
}

# bench_copy_module: $module copied into the work directory, so that a rebuild during the run
# cannot change it between nginx restarts; $module is the copy from then on.
bench_copy_module() {
    cp "$module" "$work/ngx_http_iiif_module.so"
    module=$work/ngx_http_iiif_module.so
}

# bench_nginx_conf SERVER_TEMPLATE LOG_FORMAT: $work/prefix/conf/nginx.conf, with the
# benchmarks' connection settings (http-bench.conf.in) and a render queue of 1024, the server
# rendered from SERVER_TEMPLATE with the caller's variables. Every side logs with LOG_FORMAT,
# unbuffered, so that each run's lines can be counted exactly.
bench_nginx_conf() {
    local MODULE=$module PORT=$port ERROR_LOG_LEVEL=warn THREAD_QUEUE=1024 LOG_FORMAT=$2 HTTP
    local SERVER
    HTTP=$(render_template http-bench.conf.in) || return 1
    SERVER=$(render_template "$1") || return 1
    mkdir -p "$work/prefix/conf" "$work/prefix/logs" "$work/prefix/temp"
    render_nginx_conf >"$work/prefix/conf/nginx.conf"
}
# Starts nginx on it: up when its port accepts.
bench_nginx_start() {
    nginx_pid=$(nginx_start "$work/prefix") ||
        fail "nginx did not start: $(tail -2 "$work/prefix/logs/error.log")"
    wait_port 127.0.0.1 "$port" 10 "$nginx_pid" || fail "no answer from nginx on port $port"
}
# Stops it (nginx_stop: graceful), and forgets it.
bench_nginx_stop() {
    nginx_stop "$nginx_pid"
    nginx_pid=""
}

# make_picture OUT.v: the generated 10000x8000 picture every pyramid of the benchmarks is made
# from, as a libvips .v file (8-bit sRGB, 240 MB). Smooth gradients plus mild noise: it
# compresses like a photograph, not like a flat colour.
make_picture() {
    local out
    out=$(realpath -m "$1")
    mkdir -p "$work/gen"
    (
        cd "$work/gen" || exit 1
        vips xyz xy.v 10000 8000
        vips extract_band xy.v x.v 0
        vips extract_band xy.v y.v 1
        vips linear x.v r.v 0.0255 0 --uchar
        vips linear y.v g.v 0.0318 0 --uchar
        vips gaussnoise n.v 10000 8000 --mean 128 --sigma 20
        vips bandjoin "r.v g.v n.v" rgb.v
        vips cast rgb.v src.v uchar
        vips copy src.v "$out" --interpretation srgb
        rm -f xy.v x.v y.v r.v g.v n.v rgb.v src.v
    )
}

# vips_pyramid PICTURE OUT: PICTURE as a pyramidal JPEG TIFF written by libvips (256x256 tiles,
# Q 90), which codes the tiles as RGB without chroma subsampling: the masters iiifd wrote before
# its own writer (bench_make_master gives those of today).
vips_pyramid() {
    vips tiffsave "$1" "$2" --tile --pyramid --compression jpeg --Q 90 \
        --tile-width 256 --tile-height 256
    chmod 644 "$2"
}

# make_pyramid OUT: the generated picture as vips_pyramid writes it, the source access_bench.sh
# serves.
make_pyramid() {
    make_picture "$work/gen/picture.v"
    vips_pyramid "$work/gen/picture.v" "$1"
    rm -rf "$work/gen"
}

# Other people's work on the machine during a run: the machine's busy CPU time (/proc/stat)
# minus nginx's ($nginx_pid and its workers; plus the pids a function `extra_pids` prints, when
# the script defines one) and this shell's children's (wrk), as a percentage of all cores over
# the run; and nginx's own CPU time, which other load barely changes.
# cpu_start before a run, cpu_others after it sets $others and $nginx_ticks; both in this shell,
# not in $(...).
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
# bench_pids: nginx's master and workers, and the pids a function `extra_pids` prints.
bench_pids() {
    pgrep -P "$nginx_pid" 2>/dev/null || true
    if declare -F extra_pids >/dev/null; then extra_pids; fi
    echo "$nginx_pid"
}
# bench_ticks: the CPU time (user and system, in ticks) bench_pids have used.
bench_ticks() {
    local pid
    for pid in $(bench_pids); do
        if [[ -r /proc/$pid/stat ]]; then sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null || true; fi
    done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
cpu_sample() {
    local machine ours children
    machine=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
    ours=$(bench_ticks)
    children=$(awk -v hz="$hz" 'NR == 2 { for (i = 1; i <= 2; i++) { sub(/s$/, "", $i); split($i, a, "m");
        t += a[1] * 60 + a[2] } print t * hz }' "$work/times")
    echo "$machine $ours $children $(date +%s%N)"
}
cpu_start() {
    times >"$work/times"
    cpu_before=$(cpu_sample)
}
cpu_others() {
    local after
    times >"$work/times"
    after=$(cpu_sample)
    read -r others nginx_ticks < <(awk -v b="$cpu_before" -v a="$after" -v hz="$hz" -v n="$ncpu" 'BEGIN {
        split(b, x, " "); split(a, y, " ");
        other = (y[1] - x[1]) - (y[2] - x[2]) - (y[3] - x[3]);
        wall = (y[4] - x[4]) / 1e9;
        p = 100 * other / (wall * hz * n); if (p < 0) p = 0; printf "%.0f %d\n", p, y[2] - x[2] }')
}

# bench_settle: waits until bench_pids have been idle (at most a tick of CPU per 0.2 s) twice in
# a row, 60 s at most. When wrk stops, the requests it abandons are still being rendered (a
# render cannot be cancelled, and iipsrv finishes its request); without this their work would
# be counted against whatever runs next.
bench_settle() {
    local before after quiet=0 tries
    before=$(bench_ticks)
    for ((tries = 300; tries > 0; tries--)); do
        sleep 0.2
        after=$(bench_ticks)
        if ((after - before <= 1)); then
            ((++quiet < 2)) || return 0
        else
            quiet=0
        fi
        before=$after
    done
    say "warning: the servers were still busy 60 s after a run"
}

# nginx_worker_rss LABEL: for each nginx worker of $nginx_pid, a line "LABEL PID VmRSS RssAnon
# RssFile VmHWM ARENA" (kB, from /proc/PID/status) appended to $work/rss.tsv. RssFile counts the
# pages of mapped files (the LMDB caches, the sources) the worker has touched; ARENA the bytes of
# its send arena's memory files (shmem the worker never maps, so not in VmRSS: count it beside).
nginx_worker_rss() {
    local pid fd arena
    for pid in $(pgrep -P "$nginx_pid" 2>/dev/null || true); do
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"worker process"* ]] || continue
        arena=0
        for fd in /proc/"$pid"/fd/*; do
            [[ $(readlink "$fd" 2>/dev/null) == /memfd:iiif-send-arena* ]] || continue
            arena=$((arena + $(stat -L -c %s "$fd" 2>/dev/null || echo 0) / 1024))
        done
        awk -v label="$1" -v pid="$pid" -v arena="$arena" '/^VmRSS:/ { rss = $2 }
            /^RssAnon:/ { anon = $2 } /^RssFile:/ { file = $2 } /^VmHWM:/ { hwm = $2 }
            END { printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", label, pid, rss, anon, file, hwm, arena }' \
            "/proc/$pid/status" 2>/dev/null || true
    done >>"$work/rss.tsv"
}

# ---- wrk ----------------------------------------------------------------------------------------

# The load: BENCH_CONNECTIONS (16) connections from BENCH_THREADS (2) wrk threads, with the
# script bench/serve_bench.lua (one RESULT line; URL lists with BENCH_PATHS).
conns=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}
lua=$(realpath "$(dirname "${BASH_SOURCE[0]}")/serve_bench.lua")

# wrk_run LABEL URL PATHS_FILE [WRK_OPTION...]: wrk for $secs s on URL (PATHS_FILE, when not
# empty: its paths in turn), a request unanswered after $wrk_timeout s (10) an error, with the CPU
# accounting (cpu_start, cpu_others); the fields of its RESULT line into the associative array
# wrk. Any error wrk counts fails the run.
declare -A wrk=()
wrk_run() {
    local label=$1 url=$2 paths=$3 out line kv
    shift 3
    cpu_start
    out=$(env ${paths:+BENCH_PATHS="$paths"} BENCH_THREADS="$threads" \
        wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout "${wrk_timeout:-10}s" "$@" -s "$lua" "$url") ||
        fail "$label: wrk failed"
    cpu_others
    line=$(grep '^RESULT ' <<<"$out") || fail "$label: no RESULT from wrk: $out"
    wrk=()
    for kv in ${line#RESULT }; do wrk[${kv%%=*}]=${kv#*=}; done
    ((wrk[status_errors] == 0 && wrk[socket_errors] == 0)) ||
        fail "$label: wrk counted ${wrk[status_errors]} error statuses, ${wrk[socket_errors]} socket errors"
    ! grep -q 'Non-2xx' <<<"$out" || fail "$label: $(grep 'Non-2xx' <<<"$out")"
}

# log_lines: how many lines nginx's access log has.
log_lines() {
    local log=$work/prefix/logs/access.log
    if [[ -f $log ]]; then wc -l <"$log"; else echo 0; fi
}

# run_log FIRST_LINE: the access log's lines after FIRST_LINE (a run's), into $work/run.log,
# 0.3 s after the run, once nginx has written the last of them.
run_log() {
    sleep 0.3
    tail -n +"$(($1 + 1))" "$work/prefix/logs/access.log" >"$work/run.log"
}

# rotate ROUND ITEMS...: the items, rotated by ROUND - 1, so each side leads in turn.
rotate() {
    local by=$1
    shift
    local items=("$@") i n=$#
    for ((i = 0; i < n; i++)); do echo "${items[$(((i + by - 1) % n))]}"; done
}

# ---- the end of a run ---------------------------------------------------------------------------

# bench_remove_work: the work directory removed, or kept with BENCH_KEEP=1.
bench_remove_work() {
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
}

# bench_cleanup: the trap on EXIT of a benchmark of nginx alone: nginx stopped, the work
# directory removed (or kept).
bench_cleanup() {
    set +e
    bench_nginx_stop
    bench_remove_work
}

# bench_end: $load_end (the load average now), $errors (lines of nginx's error log at level
# error or above) and $elapsed (seconds since $started), for the report.
bench_end() {
    load_end=$(cut -d' ' -f1-3 /proc/loadavg)
    errors=$(grep -cE '\[(alert|crit|emerg|error)\]' "$work/prefix/logs/error.log" || true)
    elapsed=$(($(date +%s) - started))
}

# report_block SUMMARY LANGUAGE: the standard input as a collapsed code block of the report (a
# configuration file, with the run's directory and ports put as names).
report_block() {
    echo "<details><summary>$1</summary>"
    echo
    echo "\`\`\`$2"
    cat
    echo '```'
    echo "</details>"
}

# bench_report_head TITLE BUSY: the report's title and how the run went: the command with its
# rounds, the machine, the commit and the module, the load average before and after (BUSY: how
# many cores the run itself keeps busy).
bench_report_head() {
    echo "# $1"
    echo
    echo "Command: \`$command_line\` ($rounds interleaved rounds, ${secs} s per wrk run; the whole"
    echo "run took $((elapsed / 60)) min $((elapsed % 60)) s)."
    bench_machine
    echo "Commit: $commit; module: $module_source."
    echo "Load average (1, 5, 15 min) before the run: $load_start; after: $load_end (the run itself"
    echo "keeps about $2 busy; more means other work shared the machine)."
}

# report_responses NAME:TITLE...: under each TITLE, the headers of a response kept in
# $work/h.NAME, through the script's unport (the run's directory and port put as names).
report_responses() {
    local pair
    for pair in "$@"; do
        echo "${pair#*:}:"
        echo
        echo '```http'
        unport "$work/h.${pair%%:*}"
        echo '```'
        echo
    done
}

# bench_machine: the report's lines on the machine (cores, memory, CPU model, kernel, date).
bench_machine() {
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), $(date -u '+%Y-%m-%d %H:%M UTC')."
}
