# shellcheck shell=bash
# The process helpers of scripts/demo, the benchmarks (bench/lib.sh) and the browser tests
# (tests/browser/stack.sh). A process is only ever ended by the pid its starter recorded, never
# by its name; every wait is bounded.

# alive PID: the process exists and is not a zombie (in a container, PID 1 may not reap).
alive() {
    [[ -n $1 ]] && kill -0 "$1" 2>/dev/null && [[ $(ps -o stat= -p "$1" 2>/dev/null) != Z* ]]
}

# wait_gone PID SECONDS: until PID is gone; fails when it is still there after SECONDS.
wait_gone() {
    local pid=$1 tries
    for ((tries = $2 * 10; tries > 0; tries--)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    ! alive "$pid"
}

# stop_pid PID [SECONDS]: TERM, then KILL when PID outlives SECONDS (10); reaps it when it is
# this shell's child (and gone: wait has no bound).
stop_pid() {
    local pid=$1
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_gone "$pid" "${2:-10}"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 5 || true
    fi
    alive "$pid" || wait "$pid" 2>/dev/null || true
}

# start_bg LOG CMD...: CMD in the background, its output to LOG; its pid is then in $!.
start_bg() {
    local log=$1
    shift
    "$@" </dev/null >"$log" 2>&1 &
}

# wait_port HOST PORT SECONDS [PID]: until something accepts connections on HOST:PORT; fails
# after SECONDS, or as soon as PID (the process meant to listen there) is gone.
wait_port() {
    local host=$1 port=$2 pid=${4:-} tries
    for ((tries = $3 * 10; tries > 0; tries--)); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        [[ -z $pid ]] || alive "$pid" || return 1
        sleep 0.1
    done
    return 1
}

# free_ports N: N distinct free loopback ports, picked by the kernel (bound to port 0 together,
# then released), on one line.
free_ports() {
    python3 -c '
import socket, sys
sockets = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))
for s in sockets:
    s.close()' "$1"
}

# pid_from_file FILE PATTERN: the pid FILE holds, when that process is alive and its command
# line contains PATTERN (a pid file outlives its process, and the pid may have been reused).
pid_from_file() {
    local pid cmdline
    [[ -f $1 ]] || return 1
    pid=$(<"$1")
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$2"* ]] || return 1
    echo "$pid"
}

# stop_pid_file FILE PATTERN: stops (stop_pid) the process of pid_from_file FILE PATTERN, if
# any, removes FILE, and prints the pid it stopped.
stop_pid_file() {
    local pid
    if pid=$(pid_from_file "$1" "$2"); then
        stop_pid "$pid"
        echo "$pid"
    fi
    rm -f "$1"
}

# ---- nginx ------------------------------------------------------------------------------------

# An nginx prefix (-p) holds conf/nginx.conf, nginx.pid, logs/ and temp/, as
# conf/templates/nginx.conf.in names them.

# nginx_check PREFIX: nginx -t on PREFIX/conf/nginx.conf, its complaints on stderr.
nginx_check() {
    /usr/sbin/nginx -t -q -p "$1/" -c conf/nginx.conf -e logs/error.log
}

# nginx_start PREFIX: checks PREFIX/conf/nginx.conf, starts nginx on it as a daemon and prints
# its master's pid once PREFIX/nginx.pid names it (5 s at most).
nginx_start() {
    local tries
    nginx_check "$1" || return 1
    rm -f "$1/nginx.pid"
    /usr/sbin/nginx -p "$1/" -c conf/nginx.conf -e logs/error.log || return 1
    for ((tries = 50; tries > 0; tries--)); do
        [[ -s $1/nginx.pid ]] && break
        sleep 0.1
    done
    [[ -s $1/nginx.pid ]] || return 1
    echo "$(<"$1/nginx.pid")"
}

# nginx_stop PID: QUIT, nginx's graceful shutdown (workers finish the requests in flight: a
# render holds its worker for a few seconds at most); after 20 s, TERM then KILL, the workers
# too, since a killed master leaves them running.
nginx_stop() {
    local pid=$1 workers worker
    alive "$pid" || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    wait_gone "$pid" 20 && return 0
    workers=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
    stop_pid "$pid" 5
    for worker in $workers; do
        stop_pid "$worker" 5
    done
}
