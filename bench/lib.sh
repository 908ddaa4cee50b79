# shellcheck shell=bash disable=SC2154,SC2034
# Pieces the bench scripts share; sourced, after `set -euo pipefail` and with $work set.

# A process is gone when kill -0 fails or it is a zombie (in a container, PID 1 may not reap).
alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]; }
# wait_gone PID...: each gone within 10 s, else killed.
wait_gone() {
    local pid
    for pid in "$@"; do
        for _ in $(seq 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}
# Stops the nginx whose master is $nginx_pid (QUIT: graceful), and forgets it.
nginx_stop() {
    [[ -n $nginx_pid ]] || return 0
    kill -QUIT "$nginx_pid" 2>/dev/null || true
    wait_gone "$nginx_pid"
    nginx_pid=""
}

# make_pyramid OUT: the generated 10000x8000 pyramidal JPEG TIFF (256x256 tiles, Q 90) that
# serve_bench.sh and access_bench.sh serve. Smooth gradients plus mild noise: it compresses
# like a photograph, not like a flat colour.
make_pyramid() {
    local out=$1
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
        vips copy src.v src2.v --interpretation srgb
        vips tiffsave src2.v "$out" --tile --pyramid --compression jpeg --Q 90 \
            --tile-width 256 --tile-height 256
    )
    rm -rf "$work/gen"
    chmod 644 "$out"
}

# Other people's work on the machine during a run: the machine's busy CPU time (/proc/stat)
# minus nginx's ($nginx_pid and its workers; plus the pids a function `extra_pids` prints, when
# the script defines one) and this shell's children's (wrk), as a percentage of all cores over
# the run; and nginx's own CPU time, which other load barely changes.
# cpu_start before a run, cpu_others after it sets $others and $nginx_ticks; both in this shell,
# not in $(...).
hz=$(getconf CLK_TCK)
ncpu=$(nproc)
cpu_sample() {
    local pids machine ours children pid
    mapfile -t pids < <(
        pgrep -P "$nginx_pid" 2>/dev/null || true
        if declare -F extra_pids >/dev/null; then extra_pids; fi
    )
    pids+=("$nginx_pid")
    machine=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
    ours=$(for pid in "${pids[@]}"; do
        [[ -r /proc/$pid/stat ]] && sed 's/.*) //' "/proc/$pid/stat" || true
    done | awk '{ s += $12 + $13 } END { print s + 0 }')
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
