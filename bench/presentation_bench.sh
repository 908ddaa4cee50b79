#!/bin/bash
# The module's ARK resolver and its Presentation documents over HTTP, each against what nginx
# does with no module at all, in the same nginx, on the same catalog: a generated catalog
# (bench_make_catalog) of BENCH_OBJECTS objects of one page and one book of BENCH_PAGES pages.
#
#   (a) ARK resolution: the same bare ARK repeated, then the ARKs of every object in turn,
#       against nginx's own `return 302` with the very Location the resolver gives (for the
#       mix, a regex location that builds each ARK's Location from its name), the same headers
#       added. Target: resolver >= 0.9 x return 302.
#   (b) the book's Presentation 3.0 manifest (BENCH_PAGES canvases) from the catalog, against
#       the same bytes as a static file with the same Content-Type and headers, with sendfile
#       and with `sendfile off` (the module writes from memory). Target: module >= 0.9 x static.
#   (c) `?info` (the ERC record, 200) for one ARK against `return 200` of the same text, and
#       for every ARK in turn (module only).
#
# Runs are interleaved: each round runs every side of a workload once, the order rotating from
# round to round, and the tables give medians over the rounds. Any response but the expected
# one (302 for resolutions, 200 otherwise; wrk's error counts and every status in the access
# log, bar a 499 for a request wrk abandons when it stops) fails the run, and so do a Location
# or a body that differs from the reference's. Results: bench/results/presentation.md.
#
#   bench/presentation_bench.sh [ROUNDS] [SECONDS]   (default 3 rounds of 10 s runs; ~6 minutes)
#
# Environment: BENCH_CONNECTIONS (16), BENCH_THREADS (wrk threads, 2), BENCH_OBJECTS (1000),
# BENCH_PAGES (500), IIIF_BUILD_DIR (build; the module and bench/bench_make_catalog are taken
# from it; a build of another tree, e.g. a `git archive` of a commit, is reported with how its
# common/ and ngx_module/ differ from HEAD), BENCH_KEEP=1 keeps the work directory (configs,
# logs, catalog) for a look.
# Builds nothing: run scripts/build first (or point IIIF_BUILD_DIR at a build). Needs nginx,
# wrk and curl (scripts/install-deps, bench/install-deps). As root, nginx workers run as nobody.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

rounds=${1:-3}
secs=${2:-10}
objects=${BENCH_OBJECTS:-1000}
pages=${BENCH_PAGES:-500}
build=${IIIF_BUILD_DIR:-build}
module=$(realpath -m "$build/ngx_module/ngx_http_iiif_module.so")
maker=$(realpath -m "$build/bench/bench_make_catalog")
command_line=$(for v in BENCH_CONNECTIONS BENCH_THREADS BENCH_OBJECTS BENCH_PAGES IIIF_BUILD_DIR; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/presentation_bench.sh${*:+ $*}"

[[ -f $module ]] || fail "no $module: build first (scripts/build), or set IIIF_BUILD_DIR"
[[ -x $maker ]] || fail "no $maker: build first (scripts/build), or set IIIF_BUILD_DIR"
bench_need_tools nginx wrk curl python3

bench_begin
bench_make_work
bench_module_source common ngx_module bench CMakeLists.txt
bench_copy_module

trap bench_cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_ports 1)
base="http://127.0.0.1:$port"
mkdir -p "$work/static" "$work/prefix/logs" "$work/prefix/temp" "$work/lists"
if ((EUID == 0)); then chown nobody "$work/prefix/temp"; fi

# ---- The catalog -------------------------------------------------------------------------------
# The documents' URLs point at this nginx, as iiifd's would at its public address.
catalog="$work/catalog.mdb"
say "making a catalog of $objects objects of 1 page and one of $pages pages ..."
"$maker" --catalog "$catalog" --objects "$objects" --pages 1 --base-url "$base" \
    --arks-out "$work/arks.txt" || fail "bench_make_catalog"
"$maker" --catalog "$catalog" --objects 1 --pages "$pages" --base-url "$base" \
    --arks-out "$work/book.txt" || fail "bench_make_catalog"
# The workers read the file and register as readers in its lock file.
chmod o+r "$catalog"
chmod o+rw "$catalog-lock"
ark=$(head -1 "$work/arks.txt")
book=$(cat "$work/book.txt")

# ---- nginx -------------------------------------------------------------------------------------
# write_nginx_conf REFERENCES: the module's locations (bench-presentation.conf.in), plus the
# references, which need what the module answers, once they are known.
write_nginx_conf() {
    # shellcheck disable=SC2016 # nginx's variables, for nginx
    CATALOG=$catalog REFERENCES=$1 bench_nginx_conf bench-presentation.conf.in \
        '$status $request_time $body_bytes_sent $bytes_sent $request_uri'
}

write_nginx_conf ""
bench_nginx_start
say "nginx on $base (pid $nginx_pid)"

# ---- What the module answers, and the references made from it ---------------------------------
# headers_of URL FILE: the response's status line and headers (the Date line dropped), as sent.
headers_of() { curl -s -D - -o /dev/null "$1" | tr -d '\r' | grep -v '^Date:' | sed '/^$/d' >"$2"; }
# header NAME FILE
header() { awk -v n="$1" 'tolower($0) ~ "^" tolower(n) ":" { sub(/^[^:]*: /, ""); print; exit }' "$2"; }

headers_of "$base/$ark" "$work/h.ark"
[[ $(head -1 "$work/h.ark") == "HTTP/1.1 302 "* ]] || fail "$ark: $(head -1 "$work/h.ark")"
location=$(header Location "$work/h.ark")
ark_cache_control=$(header Cache-Control "$work/h.ark")
[[ $location == "$base/"* ]] || fail "$ark: Location $location"
curl -sf -o "$work/static/manifest.json" "$base/iiif/3/$book/manifest" || fail "$book/manifest"
headers_of "$base/iiif/3/$book/manifest" "$work/h.manifest"
manifest_type=$(header Content-Type "$work/h.manifest")
manifest_cache_control=$(header Cache-Control "$work/h.manifest")
python3 - "$work/static/manifest.json" "$pages" <<'EOF' || fail "the book's manifest"
import json, sys
manifest = json.load(open(sys.argv[1]))
assert manifest["type"] == "Manifest" and len(manifest["items"]) == int(sys.argv[2]), "canvases"
EOF
curl -s -o "$work/info.txt" -D "$work/h.info.raw" "$base/$ark?info"
tr -d '\r' <"$work/h.info.raw" | grep -v '^Date:' | sed '/^$/d' >"$work/h.info"
[[ $(head -1 "$work/h.info") == "HTTP/1.1 200 "* ]] || fail "$ark?info: $(head -1 "$work/h.info")"
info_type=$(header Content-Type "$work/h.info")
info_cache_control=$(header Cache-Control "$work/h.info")

# The references, in nginx's configuration language: the Location with the ARK's name made a
# capture for the mix; the record as a quoted string.
name=${ark#ark:/*/}
[[ $location == *"$name"* ]] || fail "the Location does not hold the ARK's name: $location"
location_head=${location%%"$name"*}
location_tail=${location#*"$name"}
# nginx_quote FILE: the file's text as one quoted nginx string ("$" has no escape there).
nginx_quote() {
    ! grep -q '[$]' "$1" || return 1
    python3 -c 'import sys; t = open(sys.argv[1]).read(); print("\"" + t.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")' "$1"
}
info_quoted=$(nginx_quote "$work/info.txt") || fail "the record holds a \"\$\", which no nginx string can"
# shellcheck disable=SC2034 # the values of the template's placeholders (render_template)
references=$(ARK_CACHE_CONTROL=$ark_cache_control LOCATION=$location LOCATION_HEAD=$location_head \
    LOCATION_TAIL=$location_tail INFO_TYPE=$info_type INFO_CACHE_CONTROL=$info_cache_control \
    INFO_QUOTED=$info_quoted WORK=$work MANIFEST_TYPE=$manifest_type \
    MANIFEST_CACHE_CONTROL=$manifest_cache_control \
    render_template bench-presentation-references.conf.in)
write_nginx_conf "$references"
bench_nginx_stop
bench_nginx_start

# ---- Checks: the references answer as the module does ------------------------------------------
headers_of "$base/bench/return302" "$work/h.return302"
[[ $(head -1 "$work/h.return302") == "HTTP/1.1 302 "* ]] || fail "return 302: $(head -1 "$work/h.return302")"
[[ $(header Location "$work/h.return302") == "$location" ]] || fail "return 302: another Location"
# Every ARK of the mix: the resolver's Location and the regex location's, in the same order.
sed "s|^|$base/|" "$work/arks.txt" >"$work/lists/ark.urls"
sed "s|^ark:/[^/]*/|$base/bench/r/|" "$work/arks.txt" >"$work/lists/r.urls"
for side in ark r; do
    awk '{printf "url = \"%s\"\noutput = \"/dev/null\"\n", $0}' "$work/lists/$side.urls" >"$work/lists/$side.cfg"
    curl -s --globoff -K "$work/lists/$side.cfg" -w '%{http_code} %{redirect_url}\n' >"$work/lists/$side.locations" ||
        fail "curl over the $side list"
done
[[ $(awk '$1 == 302' "$work/lists/ark.locations" | wc -l) == "$objects" ]] ||
    fail "not every ARK resolves with 302: $(awk '$1 != 302' "$work/lists/ark.locations" | head -3)"
cmp -s "$work/lists/ark.locations" "$work/lists/r.locations" ||
    fail "the regex location's Locations differ from the resolver's: $(diff "$work/lists/ark.locations" "$work/lists/r.locations" | head -4)"
for url in "$base/static/manifest.json" "$base/static-nosendfile/manifest.json"; do
    curl -sf -o "$work/check.json" "$url" || fail "$url"
    cmp -s "$work/check.json" "$work/static/manifest.json" || fail "$url differs from the module's manifest"
done
curl -sf -o "$work/check.json" "$base/iiif/3/$book/manifest" || fail "$book/manifest"
cmp -s "$work/check.json" "$work/static/manifest.json" || fail "the module's manifest changed between requests"
headers_of "$base/static/manifest.json" "$work/h.static"
[[ $(header Content-Type "$work/h.static") == "$manifest_type" ]] || fail "static Content-Type"
curl -sf -o "$work/check.txt" "$base/bench/info" || fail "return 200"
cmp -s "$work/check.txt" "$work/info.txt" || fail "return 200 differs from the module's record"
headers_of "$base/bench/info" "$work/h.return200"
manifest_bytes=$(stat -c %s "$work/static/manifest.json")
say "the references answer as the module: $objects Locations, the manifest ($manifest_bytes bytes), the record"

# ---- Measuring -----------------------------------------------------------------------------------
results="$work/results.tsv"
printf 'workload\tside\tround\trps\tmean_ms\tp50_ms\tp99_ms\trequests\tbody_bytes\tbytes_sent\tothers_cpu\tnginx_us\n' >"$results"

# check_log FIRST_LINE STATUS LABEL: fails on any status in the access log since FIRST_LINE but
# STATUS (and 499, requests abandoned by wrk when it stops, at most one per connection). Sets
# body_avg and sent_avg.
check_log() {
    run_log "$1"
    read -r n_ok n499 nother body_avg sent_avg < <(awk -v want="$2" '
        $1 == want { ok++; body += $3; sent += $4 }
        $1 == 499 { n499++ }
        $1 != want && $1 != 499 { other++ }
        END { printf "%d %d %d %.0f %.0f\n", ok, n499, other, ok ? body / ok : 0, ok ? sent / ok : 0 }' "$work/run.log")
    ((n_ok > 0)) || fail "$3: no response $2"
    ((nother == 0)) || fail "$3: $nother responses neither $2 nor 499: $(awk -v want="$2" '$1 != want && $1 != 499' "$work/run.log" | head -3)"
    ((n499 <= conns)) || fail "$3: $n499 requests abandoned (499)"
}

# run_wrk WORKLOAD SIDE ROUND STATUS URL [PATHS_FILE]
run_wrk() {
    local workload=$1 side=$2 round=$3 status=$4 url=$5 paths=${6:-} first
    first=$(log_lines)
    wrk_run "$workload $side" "$url" "$paths"
    check_log "$first" "$status" "$workload $side"
    awk -v w="$workload" -v s="$side" -v rd="$round" -v n="${wrk[requests]}" -v d="${wrk[duration_us]}" \
        -v mean="${wrk[mean_us]}" -v p50="${wrk[p50_us]}" -v p99="${wrk[p99_us]}" -v body="$body_avg" \
        -v sent="$sent_avg" -v o="$others" -v t="$nginx_ticks" -v hz="$hz" 'BEGIN {
            printf "%s\t%s\t%s\t%.1f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%.2f\n",
                w, s, rd, n * 1e6 / d, mean / 1000, p50 / 1000, p99 / 1000, n, body, sent, o,
                t / hz * 1e6 / n }' >>"$results"
    say "$(tail -1 "$results" | awk -F'\t' '{printf "%-16s %-24s round %s: %9.1f req/s, mean %6.2f ms, p99 %6.2f ms, nginx %6.2f us/req, others %d%% CPU", $1, $2, $3, $4, $5, $7, $12, $11}')"
}

sed 's|^|/|' "$work/arks.txt" >"$work/lists/ark.paths"
sed 's|^ark:/[^/]*/|/bench/r/|' "$work/arks.txt" >"$work/lists/r.paths"
sed 's|^\(.*\)$|/\1?info|' "$work/arks.txt" >"$work/lists/info.paths"
# A first pass over everything, so no side meets a cold page of the catalog.
curl -s --globoff -K "$work/lists/ark.cfg" >/dev/null
for ((round = 1; round <= rounds; round++)); do
    for side in $(rotate "$round" module return302); do
        case $side in
            module) run_wrk "a one ARK" "resolver" "$round" 302 "$base/$ark" ;;
            return302) run_wrk "a one ARK" "return 302" "$round" 302 "$base/bench/return302" ;;
        esac
    done
    for side in $(rotate "$round" module return302); do
        case $side in
            module) run_wrk "a ARK mix" "resolver" "$round" 302 "$base" "$work/lists/ark.paths" ;;
            return302) run_wrk "a ARK mix" "return 302 (regex)" "$round" 302 "$base" "$work/lists/r.paths" ;;
        esac
    done
    for side in $(rotate "$round" module static nosendfile); do
        case $side in
            module) run_wrk "b manifest" "module" "$round" 200 "$base/iiif/3/$book/manifest" ;;
            static) run_wrk "b manifest" "static nginx" "$round" 200 "$base/static/manifest.json" ;;
            nosendfile) run_wrk "b manifest" "static, sendfile off" "$round" 200 "$base/static-nosendfile/manifest.json" ;;
        esac
    done
    for side in $(rotate "$round" module return200 mix); do
        case $side in
            module) run_wrk "c ?info" "resolver" "$round" 200 "$base/$ark?info" ;;
            return200) run_wrk "c ?info" "return 200" "$round" 200 "$base/bench/info" ;;
            mix) run_wrk "c ?info mix" "resolver" "$round" 200 "$base" "$work/lists/info.paths" ;;
        esac
    done
done

bench_end

# ---- Report ------------------------------------------------------------------------------------
mkdir -p bench/results
out=bench/results/presentation.md
unport() { sed "s|$work|\$WORK|g; s|127\.0\.0\.1:$port|127.0.0.1:PORT|g; s|127\.0\.0\.1%3A$port|127.0.0.1%3APORT|g" "$@"; }
{
    bench_report_head "The ARK resolver and Presentation manifests: the module against nginx alone" 2-3
    echo
    echo "Server: $(nginx -v 2>&1 | sed 's/^nginx version: //') (Debian) with \`ngx_http_iiif_module.so\`,"
    echo "\`worker_processes 2\`, on 127.0.0.1 with the load generator on the same cores. Catalog:"
    echo "$objects objects of one page and a book of $pages pages, made by \`bench_make_catalog\`"
    echo "(CatalogWriter, as iiifd writes it; French Dublin Core, 4 sets)."
    echo
    echo "- **resolver**: \`location /ark: { iiif_ark_resolver; iiif_catalog ...; }\`. **return 302**:"
    echo "  \`location = /bench/return302 { return 302 \"<the resolver's Location>\"; }\` with the"
    echo "  resolver's \`Access-Control-Allow-Origin\` and \`Cache-Control\` added; for the mix,"
    echo "  **return 302 (regex)**: \`location ~ ^/bench/r/([0-9a-z-]+)\$\` (inside \`location /bench/r/\`),"
    echo "  whose Location is the resolver's with \`\$1\` for the ARK's name (all $objects Locations"
    echo "  checked equal to the resolver's)."
    echo "  nginx adds its default HTML page to a 302 (the resolver sends no body), so its responses"
    echo "  are a little longer (bytes per response below)."
    echo "- **module** (manifest): \`location /iiif/3/ { iiif 3; iiif_catalog ...; }\`, the stored"
    echo "  Presentation 3.0 manifest of the book, $manifest_bytes bytes ($(awk -v b="$manifest_bytes" 'BEGIN {printf "%.0f", b / 1024}') KB, $pages canvases)."
    echo "  **static nginx**: the same bytes saved to a file, \`location /static/ { root ...; }\`"
    echo "  (\`sendfile on; tcp_nopush on;\`), the same Content-Type and added headers; **static,"
    echo "  sendfile off**: the same with \`sendfile off\` (read into a buffer and written, as the"
    echo "  module writes from memory)."
    echo "- **?info**: the ERC record of one ARK (and of each in turn, \"mix\"), against \`return 200\`"
    echo "  of the same text with the same headers."
    echo
    echo "Load: \`wrk -t$threads -c$conns -d${secs}s --timeout 10s -s bench/serve_bench.lua URL\` (with"
    echo "\`BENCH_PATHS=list\` for the mixes: each thread cycles through the $objects ARKs from its own"
    echo "offset). Every response was the expected status (302 or 200; wrk's counts and the access"
    echo "log). nginx error log: $errors lines at level error or above."
    echo
    python3 - "$results" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
groups = {}
for r in rows:
    groups.setdefault((r["workload"], r["side"]), []).append(r)
def stat(w, s):
    g = groups.get((w, s))
    if not g: return None
    rps = [float(r["rps"]) for r in g]
    med = statistics.median
    return dict(rps=med(rps), lo=min(rps), hi=max(rps), mean=med([float(r["mean_ms"]) for r in g]),
                p99=med([float(r["p99_ms"]) for r in g]), body=med([float(r["body_bytes"]) for r in g]),
                sent=med([float(r["bytes_sent"]) for r in g]), others=med([float(r["others_cpu"]) for r in g]),
                cpu=med([float(r["nginx_us"]) for r in g]),
                by_round={r["round"]: float(r["rps"]) for r in g})
order = [("a one ARK", "(a) one bare ARK, repeated"), ("a ARK mix", "(a) every ARK in turn"),
         ("b manifest", "(b) the book's manifest"), ("c ?info", "(c) `?info`, one ARK"),
         ("c ?info mix", "(c) `?info`, every ARK in turn")]
sides = ["resolver", "module", "return 302", "return 302 (regex)", "static nginx",
         "static, sendfile off", "return 200"]
print("## Throughput and latency (medians over the rounds)\n")
print("| workload | server | req/s | req/s min–max | mean latency (ms) | p99 latency (ms) | nginx CPU (µs/req) | body (bytes) | bytes sent | others' CPU |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for w, title in order:
    for s in sides:
        st = stat(w, s)
        if not st: continue
        print(f"| {title} | {s} | {st['rps']:.0f} | {st['lo']:.0f}–{st['hi']:.0f} | {st['mean']:.2f} | "
              f"{st['p99']:.2f} | {st['cpu']:.1f} | {st['body']:.0f} | {st['sent']:.0f} | {st['others']:.0f}% |")
print("\nnginx CPU: the master's and workers' CPU time (user and system, /proc) per request, which")
print("other load on the machine changes much less than req/s. Bytes sent: headers and body of one")
print("response, from nginx's `$bytes_sent`. Others' CPU: the share of both cores used by processes")
print("that are not part of the benchmark (the machine's busy time, the hypervisor's steal included,")
print("minus nginx's and wrk's), median over the rounds.")
print("\n## Module / reference (ratio of median req/s)\n")
print("| workload | module | reference | module req/s | reference req/s | ratio | ratio in each round | target | nginx CPU per request, reference / module |")
print("| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: |")
pairs = [("a one ARK", "resolver", "return 302", 0.9), ("a ARK mix", "resolver", "return 302 (regex)", 0.9),
         ("b manifest", "module", "static nginx", 0.9), ("b manifest", "module", "static, sendfile off", None),
         ("c ?info", "resolver", "return 200", None)]
titles = dict(order)
for w, m, ref, target in pairs:
    a, b = stat(w, m), stat(w, ref)
    if not a or not b: continue
    ratio = a["rps"] / b["rps"]
    per_round = [a["by_round"][k] / b["by_round"][k] for k in sorted(a["by_round"], key=int) if k in b["by_round"]]
    t = f"≥ {target}: **{'met' if ratio >= target else 'NOT met'}**" if target else ""
    print(f"| {titles[w]} | {m} | {ref} | {a['rps']:.0f} | {b['rps']:.0f} | {ratio:.2f} | "
          f"{', '.join(f'{x:.2f}' for x in per_round)} | {t} | {b['cpu'] / a['cpu']:.2f} |")
EOF
    echo
    echo "## The responses compared (headers as sent, the Date line left out)"
    echo
    report_responses "ark:resolver, \`GET /$ark\`" "return302:return 302, \`GET /bench/return302\`" \
        "manifest:module, \`GET /iiif/3/$book/manifest\`" "static:static nginx, \`GET /static/manifest.json\`" \
        "info:resolver, \`GET /$ark?info\`" "return200:return 200, \`GET /bench/info\`"
    unport "$work/prefix/conf/nginx.conf" |
        report_block "nginx.conf (WORK = the run's mktemp directory, PORT its port)" nginx
} >"$out"
say "wrote $out in $((elapsed / 60)) min $((elapsed % 60)) s"
