#!/bin/bash
# Replication's figures (docs/replication.md), written to bench/results/replication.md:
#   - the multi-node chain tests (tests/chain/replication_test.cpp): the lag (a writer, three
#     delivery nodes, 200 deposits one after another at the rate this machine ingests them) from
#     each job done to all three nodes serving its manifest, and each node's own measure from
#     the writer's commit to its own (iiifd_replica_apply_delay_seconds, bucket bounds); tiles
#     through a balancer while a node restarts; deposits and images across a Redis failover;
#     jobs converted by the nodes' workers and recorded by the writer, across its SIGKILL;
#   - catch-up: bench_replication_catchup, OBJECTS deposits' changes applied by a replica from
#     the writer's log, then through a Redis stream (appended as the publisher appends, read as
#     the follower reads); what the catalog, a snapshot and the stream hold per object.
#
#   bench/replication_bench.sh [OBJECTS]      (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

objects=${1:-20000}
tool=build/bench/bench_replication_catchup
chain=build/tests/iiif_chain_tests
[[ -x $tool && -x $chain ]] || fail "build first: scripts/build"
bench_need_tools redis-server
bench_begin

work=$(mktemp -d)
redis_pid=''
cleanup() {
    stop_pid "$redis_pid"
    rm -rf "$work"
}
trap cleanup EXIT

say "the multi-node chain tests (lag, a node restarting behind the balancer, a Redis failover) ..."
"$chain" '[replication]' >"$work/chain.txt" 2>&1 ||
    fail "the chain tests failed: $(tail -20 "$work/chain.txt")"
lag=$(grep '^replication:' "$work/chain.txt")

say "catch-up of $objects deposits from the log ..."
"$tool" --dir "$work/log" --objects "$objects" >"$work/log.txt"
read -r port < <(free_ports 1)
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$port" --dir "$work/redis" --save '' --appendonly no \
    >"$work/redis.log" 2>&1 &
redis_pid=$!
wait_port 127.0.0.1 "$port" 10 "$redis_pid" || fail "redis-server did not start"
say "catch-up of $objects deposits through Redis ..."
"$tool" --dir "$work/redis-run" --objects "$objects" --redis-port "$port" >"$work/redis.txt"

{
    echo "# Replication (issue 21)"
    echo
    echo "Written by \`bench/replication_bench.sh $objects\` at commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC'),"
    echo "on this machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
    echo "load average at the start $load_start. Everything runs on this one machine (writer, nodes, Redis)."
    echo
    echo "## The multi-node chain tests"
    echo
    echo "The lag (a writer and three delivery nodes, 200 deposits one after another), tiles"
    echo "through a balancer while a node restarts, the Redis master killed during deposits,"
    echo "jobs converted by two nodes' workers and recorded by the writer (which converts none),"
    echo "six of them while the writer was killed."
    echo
    echo '```'
    echo "$lag"
    echo '```'
    echo
    echo "## Catch-up, from the writer's log (LMDB alone)"
    echo
    echo '```'
    cat "$work/log.txt"
    echo '```'
    echo
    echo "## Catch-up through a Redis stream"
    echo
    echo '```'
    cat "$work/redis.txt"
    echo '```'
} >bench/results/replication.md
say "written bench/results/replication.md"
