#!/bin/bash
# The cost of the access policy check on the hot cached tile: the module serving one tile from
# its warm cache (a HIT) in catalog mode, where every image request reads the image record, the
# access settings memo, looks the policy up and, for policies other than public, checks the
# requester (networks, API keys, the HMAC of a session cookie) before the cache lookup. Four
# sides, the same tile of the same master (a generated 10000x8000 pyramidal JPEG TIFF: the
# picture of bench/serve_bench.sh as libvips writes it, make_pyramid), each from a catalog of
# its own made by bench_make_catalog with a configuration as iiifd reads it
# (CatalogWriter::set_access, as at iiifd's start-up):
#
#   (a) no policies: a configuration without [access], [policies] or [watermarks]; the object
#       public.
#   (b) policies configured, public tile: a configuration with a network policy (IPv4 and IPv6
#       networks), a token policy (groups, degraded_size), a restricted one, a watermark, a set's
#       policy and several API keys; the object public (the default policy).
#       Target: (b) >= 0.95 x (a).
#   (c) token policy, signed-in reader: the object under the token policy, asked with a valid
#       session cookie (bench_sign_credential, signed with the key nginx reads), so the HMAC
#       check is on the path.
#   (d) network policy, inside: the object under the network policy, asked from an address of
#       its last network (nginx's realip module, X-Forwarded-For from 127.0.0.1).
#
# One nginx (worker_processes 2), a location per side, each with its own catalog and tile
# cache; wrk on 127.0.0.1. Before measuring, each side's answer is checked: (a) to (d) give the
# same bytes, (c) without the cookie is 401, (d) without X-Forwarded-For or from outside is
# 403. Runs are interleaved: each round runs every side once, the order rotating from round to
# round, and the tables give medians over the rounds and the ratio to (a) in each round. Any
# response but 200 (wrk's error counts, or a status in the access log other than 200, and 499
# for the requests wrk abandons when it stops) fails the run, as does a cache status other than
# HIT. Results: bench/results/access.md.
#
#   bench/access_bench.sh [ROUNDS] [SECONDS]      (default 3 rounds of 10 s runs; ~3 minutes)
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (wrk threads, 2), IIIF_BUILD_DIR (build;
# the module, bench/bench_make_catalog, bench/bench_sign_credential and daemon/iiifd, which
# checks the generated configurations, are taken from it), BENCH_KEEP=1 keeps the work
# directory (configurations, logs, catalogs) for a look.
# Builds nothing: run scripts/build first (or point IIIF_BUILD_DIR at a build). Needs nginx,
# wrk, curl, vips and python3 (scripts/install-deps, bench/install-deps). As root, nginx
# workers run as nobody.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rounds=${1:-3}
secs=${2:-10}
build=${IIIF_BUILD_DIR:-build}
module=$(realpath -m "$build/ngx_module/ngx_http_iiif_module.so")
maker=$(realpath -m "$build/bench/bench_make_catalog")
signer=$(realpath -m "$build/bench/bench_sign_credential")
iiifd=$(realpath -m "$build/daemon/iiifd")
command_line=$(for v in BENCH_CONNECTIONS BENCH_THREADS IIIF_BUILD_DIR; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/access_bench.sh${*:+ $*}"

[[ -f $module ]] || fail "no $module: build first (scripts/build), or set IIIF_BUILD_DIR"
for tool in "$maker" "$signer" "$iiifd"; do
    [[ -x $tool ]] || fail "no $tool: build first (scripts/build), or set IIIF_BUILD_DIR"
done
bench_need_tools nginx wrk curl vips python3

bench_begin
bench_make_work
bench_module_source common ngx_module daemon bench CMakeLists.txt
bench_copy_module

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_ports 1)
base="http://127.0.0.1:$port"
sides=(a b c d)
mkdir -p "$work/images" "$work/gen" "$work/static" "$work/prefix/logs" "$work/prefix/temp" \
    "$work/catalogs" "$work/storage"
for side in "${sides[@]}"; do mkdir -p "$work/cache/$side"; done
if ((EUID == 0)); then chown nobody "$work/prefix/temp" "$work"/cache/*; fi

# ---- The master --------------------------------------------------------------------------------
say "making the 10000x8000 pyramidal JPEG TIFF in $work/images ..."
make_pyramid "$work/images/pyramid.tif"

# ---- The configurations and catalogs -------------------------------------------------------------
# The signing key shared by the auth services and nginx (iiifd makes it the same way).
python3 -c 'import secrets; print(secrets.token_hex(32))' >"$work/access.key"
chmod 600 "$work/access.key"
# write_iiifd_conf NAME API_KEYS MORE: $work/NAME.toml, what iiifd requires (a storage root, a
# NAAN, an API key; Redis and the API where iiifd looks by default: it is never started here),
# then MORE.
# shellcheck disable=SC2034 # the values of the templates' placeholders (render_template)
write_iiifd_conf() {
    local STORAGE_ROOT=$work/storage CATALOG=$work/storage/catalog.mdb REDIS_PORT=6379
    local API_PORT=8081 SHOULDER=b3n SHOULDER_NAME=Bench ARK_POLICY=$bench_ark_policy
    local BASE_URL=$base INSTITUTION="Bibliothèque d'essai" API_KEYS=$2 MORE=$3
    render_iiifd_conf >"$work/$1.toml"
}
policies=$(WORK=$work render_template bench-access-policies.toml.in)
write_iiifd_conf none '"bench-api-key-0000000000000001"' ""
write_iiifd_conf policies '"bench-api-key-0000000000000001", "bench-api-key-0000000000000002",
            "bench-api-key-0000000000000003", "bench-api-key-0000000000000004"' "$policies"
for conf in none policies; do
    "$iiifd" --check-config -c "$work/$conf.toml" >"$work/check.out" 2>&1 ||
        fail "iiifd --check-config $conf.toml: $(cat "$work/check.out")"
done
# make_catalog SIDE CONFIG [POLICY]: one object of one page, the master above.
make_catalog() {
    "$maker" --config "$work/$2.toml" --catalog "$work/catalogs/$1.mdb" --objects 1 --pages 1 \
        --master "$work/images/pyramid.tif" ${3:+--access "$3"} --arks-out "$work/$1.ark" \
        2>>"$work/make_catalog.log" || fail "bench_make_catalog for ($1): $(tail -2 "$work/make_catalog.log")"
    # The workers read the file and register as readers in its lock file.
    chmod o+r "$work/catalogs/$1.mdb"
    chmod o+rw "$work/catalogs/$1.mdb-lock"
}
make_catalog a none
make_catalog b policies
make_catalog c policies readers
make_catalog d policies campus
declare -A id
for side in "${sides[@]}"; do
    ark=$(cat "$work/$side.ark")
    id[$side]="${ark//\//%2F}%2Ff1"
done
cookie=$("$signer" --key-file "$work/access.key" --subject bench-reader --group readers) ||
    fail "bench_sign_credential"
inside=192.0.2.10     # in the last network of the campus policy
outside=198.51.100.7  # in none

# ---- nginx -------------------------------------------------------------------------------------
sides_conf=''
for side in "${sides[@]}"; do
    sides_conf+=$(SIDE=$side WORK=$work render_template bench-access-side.conf.in)$'\n'
done
# shellcheck disable=SC2016 # nginx's variables, for nginx
WORK=$work SIDES=$sides_conf bench_nginx_conf bench-access.conf.in \
    '$iiif_cache_status $status $body_bytes_sent $remote_addr $request_uri'
bench_nginx_start
say "nginx on $base (pid $nginx_pid)"

# ---- Checks: each side's answer, with and without its credential --------------------------------
tile="2560,2048,256,256/256,/0/default.jpg"
declare -A url header
for side in "${sides[@]}"; do url[$side]="$base/$side/3/${id[$side]}/$tile"; done
header[c]="Cookie: iiif_access=$cookie"
header[d]="X-Forwarded-For: $inside"
# status_of URL [HEADER]: the status, the body into $work/check.jpg, the headers into $work/h.
status_of() {
    curl -s -o "$work/check.jpg" -D "$work/h.raw" -w '%{http_code}' ${2:+-H "$2"} "$1"
    tr -d '\r' <"$work/h.raw" | grep -v '^Date:' | sed '/^$/d' >"$work/h"
}
expect() {
    local got
    got=$(status_of "$2" "${3:-}")
    [[ $got == "$1" ]] || fail "$4: $got, not $1 ($(head -c 200 "$work/check.jpg"))"
}
# The tile: rendered by the first request (a MISS), a HIT after, the same bytes on every side.
expect 200 "${url[a]}" "" "(a) the tile"
cp "$work/check.jpg" "$work/static/tile.jpg"
for side in "${sides[@]}"; do
    expect 200 "${url[$side]}" "${header[$side]:-}" "($side) the tile"
    expect 200 "${url[$side]}" "${header[$side]:-}" "($side) the tile again"
    cmp -s "$work/check.jpg" "$work/static/tile.jpg" || fail "($side): not the bytes of (a)"
    cp "$work/h" "$work/h.$side"
done
expect 401 "${url[c]}" "" "(c) without the cookie"
cp "$work/h" "$work/h.c-none"
altered=${cookie:0:20}$([[ ${cookie:20:1} == A ]] && echo B || echo A)${cookie:21}
expect 401 "${url[c]}" "Cookie: iiif_access=$altered" "(c) with an altered cookie"
expect 403 "${url[d]}" "" "(d) from 127.0.0.1"
expect 403 "${url[d]}" "X-Forwarded-For: $outside" "(d) from $outside"
cp "$work/h" "$work/h.d-outside"
expect 200 "${url[b]}" "X-Forwarded-For: $outside" "(b) from $outside"
say "the four sides give the tile's $(stat -c %s "$work/static/tile.jpg") bytes; (c) 401 without the cookie, (d) 403 from outside"

# ---- Measuring -----------------------------------------------------------------------------------
results="$work/results.tsv"
printf 'side\tround\trps\tmean_ms\tp50_ms\tp99_ms\trequests\tbody_bytes\tothers_cpu\tnginx_us\n' >"$results"

# check_log FIRST_LINE LABEL ADDRESS: fails on any status in the access log since FIRST_LINE but
# 200 (and 499, requests abandoned by wrk when it stops, at most one per connection), on a
# cache status but HIT, and on a client address but ADDRESS. Sets body_avg.
check_log() {
    run_log "$1"
    read -r n_ok n499 nother nmiss naddr body_avg < <(awk -v addr="$3" '
        $2 == 200 { ok++; body += $3; if ($1 != "HIT") miss++; if ($4 != addr) other_addr++ }
        $2 == 499 { n499++ }
        $2 != 200 && $2 != 499 { other++ }
        END { printf "%d %d %d %d %d %.0f\n", ok, n499, other, miss, other_addr, ok ? body / ok : 0 }' "$work/run.log")
    ((n_ok > 0)) || fail "$2: no response 200"
    ((nother == 0)) || fail "$2: $nother responses neither 200 nor 499: $(awk '$2 != 200 && $2 != 499' "$work/run.log" | head -3)"
    ((n499 <= conns)) || fail "$2: $n499 requests abandoned (499)"
    ((nmiss == 0)) || fail "$2: $nmiss answers not from the cache: $(awk '$2 == 200 && $1 != "HIT"' "$work/run.log" | head -3)"
    ((naddr == 0)) || fail "$2: $naddr answers to another address than $3"
}

# run_wrk SIDE ROUND
run_wrk() {
    local side=$1 round=$2 first address=127.0.0.1
    local extra=()
    [[ -z ${header[$side]:-} ]] || extra=(-H "${header[$side]}")
    [[ $side != d ]] || address=$inside
    first=$(log_lines)
    wrk_run "($side)" "${url[$side]}" "" "${extra[@]}"
    check_log "$first" "($side) round $round" "$address"
    awk -v s="$side" -v rd="$round" -v n="${wrk[requests]}" -v d="${wrk[duration_us]}" \
        -v mean="${wrk[mean_us]}" -v p50="${wrk[p50_us]}" -v p99="${wrk[p99_us]}" -v body="$body_avg" \
        -v o="$others" -v t="$nginx_ticks" -v hz="$hz" 'BEGIN {
            printf "%s\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%.2f\n",
                s, rd, n * 1e6 / d, mean / 1000, p50 / 1000, p99 / 1000, n, body, o, t / hz * 1e6 / n }' >>"$results"
    say "$(tail -1 "$results" | awk -F'\t' '{printf "(%s) round %s: %9.1f req/s, mean %6.3f ms, p99 %6.3f ms, nginx %6.2f us/req, others %d%% CPU", $1, $2, $3, $4, $6, $10, $9}')"
}

for ((round = 1; round <= rounds; round++)); do
    for side in $(rotate "$round" "${sides[@]}"); do run_wrk "$side" "$round"; done
done

bench_end

# ---- Report ------------------------------------------------------------------------------------
mkdir -p bench/results
out=bench/results/access.md
unport() {
    sed "s|$work|\$WORK|g; s|127\.0\.0\.1:$port|127.0.0.1:PORT|g; s|$cookie|\$COOKIE|g" "$@"
}
{
    bench_report_head "The cost of the access policy check on the hot cached tile" 2-3
    echo
    echo "Server: $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian) with \`ngx_http_iiif_module.so\`,"
    echo "\`worker_processes 2\`, on 127.0.0.1 with the load generator on the same cores; a location per"
    echo "side, each with its own catalog (\`iiif_catalog\`) and tile cache (\`iiif_cache_path\`), all with"
    echo "\`iiif_access_key_file\` and the realip module (\`set_real_ip_from 127.0.0.1; real_ip_header"
    echo "X-Forwarded-For;\`, in the server). Each catalog holds one object of one page made by"
    echo "\`bench_make_catalog --config ... --master pyramid.tif [--access POLICY]\` (the access settings"
    echo "recorded with \`CatalogWriter::set_access\` before the object, as at iiifd's start-up), the master"
    echo "a 10000x8000 pyramidal JPEG TIFF (256x256 tiles, Q 90; \`make_pyramid\` of \`bench/lib.sh\`)."
    echo "The tile: \`$tile\`, $(stat -c %s "$work/static/tile.jpg") bytes, the same bytes on"
    echo "every side, a cache HIT in every measured request."
    echo
    echo "- **(a) no policies**: \`none.toml\` (no \`[access]\`, \`[policies]\`, \`[watermarks]\`; the one API"
    echo "  key iiifd requires); the object public."
    echo "- **(b) policies configured, public tile**: \`policies.toml\` (a network policy of 5 IPv4 and"
    echo "  IPv6 networks, a token policy with groups and \`degraded_size\`, a restricted one with a"
    echo "  watermark, a set's policy, 4 API keys); the object public (the default policy)."
    echo "- **(c) token policy, signed-in reader**: the same configuration, the object under \`readers\`"
    echo "  (token), asked with \`Cookie: iiif_access=...\`, a session of a user in group \`readers\` signed"
    echo "  with the access key by \`bench_sign_credential\` (\`iiif::sign_credential\`, as iiifd's sign-in"
    echo "  page signs it). Without the cookie, or with one altered character: 401."
    echo "- **(d) network policy, inside**: the object under \`campus\` (network), asked with"
    echo "  \`X-Forwarded-For: $inside\` (in its last network, so every network is tried; nginx's"
    echo "  \`\$remote_addr\` checked in every log line). From 127.0.0.1 or $outside: 403."
    echo
    echo "Load: \`wrk -t$threads -c$conns -d${secs}s --timeout 10s -s bench/serve_bench.lua URL\` (plus"
    echo "\`-H 'Cookie: ...'\` for (c), \`-H 'X-Forwarded-For: $inside'\` for (d)). Every response was"
    echo "200 and a HIT (wrk's counts and the access log). nginx error log: $errors lines at level"
    echo "error or above."
    echo
    python3 - "$results" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
med = statistics.median
titles = {"a": "(a) no policies", "b": "(b) policies configured, public tile",
          "c": "(c) token policy, signed-in reader", "d": "(d) network policy, inside"}
groups = {}
for r in rows:
    groups.setdefault(r["side"], []).append(r)
def stat(s):
    g = groups[s]
    rps = [float(r["rps"]) for r in g]
    return dict(rps=med(rps), lo=min(rps), hi=max(rps), mean=med([float(r["mean_ms"]) for r in g]),
                p99=med([float(r["p99_ms"]) for r in g]), cpu=med([float(r["nginx_us"]) for r in g]),
                others=med([float(r["others_cpu"]) for r in g]),
                by_round={r["round"]: float(r["rps"]) for r in g},
                cpu_by_round={r["round"]: float(r["nginx_us"]) for r in g})
st = {s: stat(s) for s in titles if s in groups}
print("## Throughput and latency (medians over the rounds)\n")
print("| side | req/s | req/s min–max | mean latency (ms) | p99 latency (ms) | nginx CPU (µs/req) | others' CPU |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for s, t in titles.items():
    x = st[s]
    print(f"| {t} | {x['rps']:.0f} | {x['lo']:.0f}–{x['hi']:.0f} | {x['mean']:.3f} | {x['p99']:.3f} | "
          f"{x['cpu']:.1f} | {x['others']:.0f}% |")
print("\nnginx CPU: the master's and workers' CPU time (user and system, /proc) per request, which")
print("other load on the machine changes much less than req/s. Others' CPU: the share of both cores")
print("used by processes that are not part of the benchmark (the machine's busy time minus nginx's")
print("and wrk's), median over the rounds.")
print("\n## Against (a), no policies\n")
print("| side | ratio of median req/s | ratio in each round | median of the rounds' ratios | target | nginx CPU per request, (a) / side |")
print("| --- | ---: | --- | ---: | --- | ---: |")
a = st["a"]
for s in ("b", "c", "d"):
    x = st[s]
    per_round = [x["by_round"][k] / a["by_round"][k] for k in sorted(x["by_round"], key=int) if k in a["by_round"]]
    ratio = x["rps"] / a["rps"]
    target = f"≥ 0.95: **{'met' if ratio >= 0.95 else 'NOT met'}**" if s == "b" else ""
    print(f"| {titles[s]} | {ratio:.3f} | {', '.join(f'{v:.3f}' for v in per_round)} | "
          f"{med(per_round):.3f} | {target} | {a['cpu'] / x['cpu']:.3f} |")
EOF
    echo
    echo "## The responses (headers as sent, the Date line left out)"
    echo
    report_responses "a:(a)" "b:(b)" "c:(c), with the cookie" "c-none:(c), without the cookie" \
        "d:(d), from $inside" "d-outside:(d), from $outside"
    for conf in none policies; do
        unport "$work/$conf.toml" |
            report_block "$conf.toml (side $([[ $conf == none ]] && echo "(a)" || echo "(b), (c), (d)"))" toml
        echo
    done
    unport "$work/prefix/conf/nginx.conf" |
        report_block "nginx.conf (WORK = the run's mktemp directory, PORT its port)" nginx
} >"$out"
say "wrote $out in $((elapsed / 60)) min $((elapsed % 60)) s"
