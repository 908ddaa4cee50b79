#!/bin/bash
# OAI-PMH from iiifd over HTTP, on a generated catalog of BENCH_RECORDS records (1,000,000):
# bench_make_catalog writes them through CatalogWriter as iiifd does, one page each, French
# Dublin Core, sets "collection:lot1".."collection:lot4", "institution:bnf" or
# "institution:inist", every third also "theme:maps", datestamps spread evenly over 30 days (so
# many records share a second, as in a bulk load), every BENCH_WITHDRAWN_EVERY-th (100th)
# withdrawn: a deleted record. A real redis-server and iiifd run on loopback, iiifd with a
# configuration written here (its [oai] page_size: 100 records, ListIdentifiers 500 headers).
#
#   (a) a page near the end of the list against the first page, ListRecords oai_dc, each
#       timed BENCH_REPEAT times (curl's time_total), interleaved: the first page against the
#       page the resumptionToken of page 1 of `from=` (a datestamp at 99 % of the span) leads
#       to; and the page the token of page 1 leads to (page 2) against the page at 99 % of the
#       list, both tokens recorded while walking the list in (b) and asked again. Medians, and
#       end / first. Target: at most 1.2 (keyset paging: a page costs the same anywhere).
#   (b) the whole list harvested, ListRecords oai_dc then ListIdentifiers, from the first page
#       to the last following resumptionTokens, one request at a time (a curl each, as a
#       simple harvester): wall time and records/s, and the sum of the responses' times
#       (iiifd's share, without curl's start and this script's). iiifd's memory (VmRSS, anon
#       and file-backed, from /proc) every 0.5 s, its peak (VmHWM, reset before each list) and
#       before the harvest. The pages are then read with python3's xml.etree: every record
#       exactly once, the withdrawn ones (and only they) with status="deleted", the count
#       equal to completeListSize; anything else fails the run.
#
#   bench/oai_bench.sh     (1,000,000 records: about 20 min to generate, then the harvests)
#
# Environment: BENCH_RECORDS (1000000), BENCH_REPEAT (20), BENCH_WITHDRAWN_EVERY (100),
# BENCH_BATCH (objects per write transaction of the generator, 1000), IIIF_BUILD_DIR (build;
# iiifd and bench/bench_make_catalog are taken from it), BENCH_WORK (the work directory,
# /tmp/oai_bench), BENCH_REUSE=1 reuses the catalog an earlier run left in BENCH_WORK when it
# was made with the same parameters (and leaves it there for the next), BENCH_KEEP=1 keeps the
# whole work directory (configuration, logs, pages, catalog).
# Builds nothing: run scripts/build first (or point IIIF_BUILD_DIR at a build). Needs
# redis-server and redis-cli, curl, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

records=${BENCH_RECORDS:-1000000}
repeat=${BENCH_REPEAT:-20}
withdrawn_every=${BENCH_WITHDRAWN_EVERY:-100}
batch=${BENCH_BATCH:-1000}
build=${IIIF_BUILD_DIR:-build}
work=${BENCH_WORK:-${TMPDIR:-/tmp}/oai_bench}
iiifd=$(realpath -m "$build/daemon/iiifd")
maker=$(realpath -m "$build/bench/bench_make_catalog")
# 2025-01-01T00:00:00Z and 30 days: fixed, so a reused catalog is the same one, and in the past,
# since a list is fixed at the second of its first request.
start_date=1735689600
spread=$((30 * 86400))
page_size=100
command_line=$(for v in BENCH_RECORDS BENCH_REPEAT BENCH_WITHDRAWN_EVERY BENCH_BATCH IIIF_BUILD_DIR BENCH_REUSE; do
    [[ -z ${!v:-} ]] || printf '%s=%s ' "$v" "${!v}"
done)"bench/oai_bench.sh"

[[ -x $iiifd ]] || fail "no $iiifd: build first (scripts/build), or set IIIF_BUILD_DIR"
[[ -x $maker ]] || fail "no $maker: build first (scripts/build), or set IIIF_BUILD_DIR"
bench_need_tools redis-server redis-cli curl python3
((records >= 2 * page_size)) || fail "BENCH_RECORDS must be at least $((2 * page_size))"
((withdrawn_every >= 1)) || fail "BENCH_WITHDRAWN_EVERY must be at least 1"

bench_begin
dirty=$(git status --porcelain -- common daemon bench CMakeLists.txt ':!bench/results' 2>/dev/null | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')
built="$build/daemon/iiifd, built $(date -u -r "$iiifd" '+%Y-%m-%d %H:%M UTC')"

# The work directory: a catalog kept for BENCH_REUSE (root/, catalog.params, generate.log) and
# this run's files (run/). Only a directory this script made (the marker) is ever emptied.
if [[ -e $work && ! -f $work/.oai_bench ]] && [[ -n $(ls -A "$work" 2>/dev/null) ]]; then
    fail "$work exists and is not an oai_bench work directory: set BENCH_WORK"
fi
mkdir -p "$work"
touch "$work/.oai_bench"
run="$work/run"
rm -rf "$run"
mkdir -p "$run/redis" "$run/pages"
redis_pid=""
iiifd_pid=""
sampler_pid=""

cleanup() {
    set +e
    stop_pid "$sampler_pid"
    stop_pid "$iiifd_pid"
    stop_pid "$redis_pid"
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        say "kept $work"
    elif [[ ${BENCH_REUSE:-0} == 1 ]]; then
        rm -rf "$run"
        say "kept the catalog in $work for the next BENCH_REUSE=1"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r port redis_port < <(free_ports 2)
base="http://127.0.0.1:$port"

# ---- Configuration -------------------------------------------------------------------------------
# The documents' addresses (base_url, the ARK settings) are fixed, so that a reused catalog's
# publication settings are the ones iiifd derives from this file: a change would make iiifd
# remake every document at start-up. The ports are not among them.
conf="$run/iiifd.toml"
# write_conf with-oai|without-oai: with the [oai] and [sets] sections (bench-oai.toml.in) or not.
# shellcheck disable=SC2034 # the values of the templates' placeholders (render_template)
write_conf() {
    local STORAGE_ROOT=$work/root CATALOG=$work/root/catalog.mdb REDIS_PORT=$redis_port
    local API_PORT=$port SHOULDER=b7q SHOULDER_NAME="Bench records" ARK_POLICY=$bench_ark_policy
    local SHOULDER_SUBJECT="Generated objects" BASE_URL=http://127.0.0.1:8080
    local SHOULDER_DESCRIPTION="Objects generated by bench_make_catalog for the OAI-PMH benchmark."
    local INSTITUTION="Bibliothèque d'essai" OAI_REPOSITORY_IDENTIFIER=bench.example.org
    local API_KEYS='"oai-bench-0123456789abcdef"' PAGE_SIZE=$page_size MORE=''
    if [[ $1 == with-oai ]]; then
        MORE=$(render_template bench-oai.toml.in) || return 1
    fi
    render_iiifd_conf >"$conf"
}
oai_section="as written"
write_conf with-oai
if ! check=$("$iiifd" --check-config -c "$conf" 2>&1); then
    [[ $check == *"[oai]"* || $check == *"[sets"* ]] || fail "iiifd --check-config: $check"
    say "iiifd does not take the [oai] and [sets] sections ($check): left out"
    oai_section="left out: iiifd answered \`$check\`"
    write_conf without-oai
fi

# ---- The catalog ---------------------------------------------------------------------------------
catalog="$work/root/catalog.mdb"
gen_args=(--objects "$records" --withdrawn-every "$withdrawn_every" --batch "$batch"
    --start-date "$start_date" --spread "$spread" --sets 4 --set-prefix collection
    --institution-sets "bnf,inist" --theme-every 3)
# A catalog is reused when made with the same arguments, by whatever build: remove BENCH_WORK
# (or run without BENCH_REUSE) to make it again after a change to what the catalog holds.
params="${gen_args[*]}"
if [[ ${BENCH_REUSE:-0} == 1 && -f $catalog && -f $work/catalog.params &&
    $(cat "$work/catalog.params") == "$params" ]]; then
    say "reusing the catalog of $records records in $work/root"
    reused=1
else
    rm -rf "$work/root" "$work/catalog.params" "$work/generate.log"
    mkdir -p "$work/root"
    say "making a catalog of $records records ..."
    gen_start=$(date +%s.%N)
    "$maker" --config "$conf" "${gen_args[@]}" 2>&1 | tee "$work/generate.log" >&2 ||
        fail "bench_make_catalog"
    gen_end=$(date +%s.%N)
    awk -v a="$gen_start" -v b="$gen_end" 'BEGIN {printf "wall %.1f\n", b - a}' >>"$work/generate.log"
    echo "by $maker at $commit${dirty:+ (uncommitted changes in: $dirty)}" >>"$work/generate.log"
    echo "$params" >"$work/catalog.params"
    reused=0
fi
generated=$(grep '^bench_make_catalog: .* objects/s' "$work/generate.log" | tail -1 | sed 's/^bench_make_catalog: //')
gen_wall=$(awk '$1 == "wall" {print $2}' "$work/generate.log")
gen_by=$(sed -n 's/^by //p' "$work/generate.log")
gen_date=$(date -u -r "$work/catalog.params" '+%Y-%m-%d %H:%M UTC')
catalog_bytes=$(stat -c %s "$catalog")
catalog_disk=$(du -k "$catalog" | cut -f1)
withdrawn=$((records / withdrawn_every))

# ---- redis-server and iiifd ----------------------------------------------------------------------
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --dir "$run/redis" --logfile "$run/redis.log" &
redis_pid=$!
wait_port 127.0.0.1 "$redis_port" 10 "$redis_pid" ||
    fail "no answer from redis-server: $(tail -3 "$run/redis.log")"

iiifd_start=$(date +%s.%N)
start_bg "$run/iiifd.log" "$iiifd" -c "$conf"
iiifd_pid=$!
# Up to 10 minutes: on a catalog made with other settings, iiifd remakes every document first.
wait_port 127.0.0.1 "$port" 600 "$iiifd_pid" || fail "iiifd stopped: $(tail -5 "$run/iiifd.log")"
code=$(curl -s -o "$run/identify.xml" -w '%{http_code}' "$base/oai?verb=Identify" || true)
if [[ $code == 404 ]]; then
    say "iiifd answers 404 on /oai: this build has no OAI-PMH provider yet; nothing measured"
    exit 2
fi
[[ $code == 200 ]] || fail "Identify: HTTP $code"
iiifd_ready=$(awk -v a="$iiifd_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
grep -q '<Identify>' "$run/identify.xml" || fail "Identify: $(head -c 300 "$run/identify.xml")"
say "iiifd on $base (pid $iiifd_pid) answered Identify after $iiifd_ready s; redis on port $redis_port (pid $redis_pid)"

# ---- Helpers -------------------------------------------------------------------------------------
# get URL FILE: the body into FILE; prints "http_code time_total size_download".
get() { curl -s -o "$2" -w '%{http_code} %{time_total} %{size_download}\n' "$1"; }
# The resumptionToken at the end of a page (URL-safe characters), or nothing on the last page.
token_of() {
    local tail
    tail=$(tail -c 2048 "$1")
    if [[ $tail =~ \<resumptionToken[^\>]*\>([A-Za-z0-9_-]+)\</resumptionToken\> ]]; then
        echo "${BASH_REMATCH[1]}"
    fi
}
memory() { awk '/^(VmRSS|RssAnon|RssFile|VmHWM):/ {v[$1] = $2} END {
    printf "%d %d %d %d\n", v["VmRSS:"], v["RssAnon:"], v["RssFile:"], v["VmHWM:"] }' "/proc/$iiifd_pid/status"; }
sample_memory() {
    while alive "$iiifd_pid"; do
        echo "$(date +%s.%N) $(memory)"
        sleep 0.5
    done
}

# ---- (b) The whole lists -------------------------------------------------------------------------
# walk NAME QUERY: follows the list from its first page to its last; pages go to
# $run/pages/NAME.N.xml, and "page code time size token" lines to $run/NAME.walk.
results="$run/walks.tsv"
printf 'list\tpages\twall_s\tresponses_s\tbytes\trss_before_kb\trss_max_kb\tanon_max_kb\tfile_max_kb\thwm_kb\n' >"$results"
walk() {
    local name=$1 query=$2 n=1 url token line code t size before t0 t1
    url="$base/oai?$query"
    read -r before _ < <(memory)
    # The peak since now: VmHWM reset (clear_refs 5), when the kernel lets us.
    echo 5 >"/proc/$iiifd_pid/clear_refs" 2>/dev/null || true
    sample_memory >"$run/$name.memory" &
    sampler_pid=$!
    : >"$run/$name.walk"
    t0=$(date +%s%N)
    for (( ; ; n++)); do
        line=$(get "$url" "$run/pages/$name.$n.xml") || fail "$name page $n: curl failed"
        read -r code t size <<<"$line"
        [[ $code == 200 ]] || fail "$name page $n: HTTP $code"
        token=$(token_of "$run/pages/$name.$n.xml")
        echo "$n $code $t $size $token" >>"$run/$name.walk"
        [[ -n $token ]] || break
        url="$base/oai?${query%%&*}&resumptionToken=$token"
        ((n % 1000)) || say "$name: $n pages"
    done
    t1=$(date +%s%N)
    stop_pid "$sampler_pid"
    sampler_pid=""
    read -r _ _ _ hwm < <(memory)
    awk -v name="$name" -v wall="$(((t1 - t0) / 1000000))" -v before="$before" -v hwm="$hwm" \
        -v mem="$run/$name.memory" '
        { s += $3; bytes += $4; pages++ }
        END {
            while ((getline line < mem) > 0) { split(line, m, " ");
                if (m[2] > rss) rss = m[2]; if (m[3] > anon) anon = m[3]; if (m[4] > file) file = m[4] }
            printf "%s\t%d\t%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\t%d\n", name, pages, wall / 1000, s, bytes,
                before, rss, anon, file, hwm }' "$run/$name.walk" >>"$results"
    say "$(tail -1 "$results" | awk -F'\t' '{printf "%s: %d pages in %.1f s (responses %.1f s), RSS %d MB before, %d MB at most (anon %d MB), VmHWM %d MB",
        $1, $2, $3, $4, $6 / 1024, $7 / 1024, $8 / 1024, $10 / 1024}')"
}
say "harvesting ListRecords oai_dc ..."
walk records "verb=ListRecords&metadataPrefix=oai_dc"
say "harvesting ListIdentifiers oai_dc ..."
walk identifiers "verb=ListIdentifiers&metadataPrefix=oai_dc"

# ---- (a) First page against a page near the end -------------------------------------------------
# The from= datestamp: at 99 % of the span, or earlier when 1 % of the records is less than
# two pages, so that its first page has a token.
tail_records=$((records / 100 > 2 * page_size ? records / 100 : 2 * page_size))
from_ts=$((start_date + spread * (records - tail_records) / records))
from_iso=$(date -u -d "@$from_ts" '+%Y-%m-%dT%H:%M:%SZ')
line=$(get "$base/oai?verb=ListRecords&metadataPrefix=oai_dc&from=$from_iso" "$run/from.xml")
[[ ${line%% *} == 200 ]] || fail "from=$from_iso: HTTP ${line%% *}"
from_token=$(token_of "$run/from.xml")
[[ -n $from_token ]] || fail "from=$from_iso: no resumptionToken on its first page"
from_size=$(grep -o 'completeListSize="[0-9]*"' "$run/from.xml" | grep -o '[0-9]*')
pages=$(wc -l <"$run/records.walk")
end_page=$((pages * 99 / 100))
((end_page > 2)) || end_page=$pages
# The token that led to page N is on page N - 1.
first_token=$(awk '$1 == 1 {print $5}' "$run/records.walk")
end_token=$(awk -v n=$((end_page - 1)) '$1 == n {print $5}' "$run/records.walk")
[[ -n $first_token && -n $end_token ]] || fail "no tokens recorded for pages 2 and $end_page"

declare -A urls=(
    [first]="$base/oai?verb=ListRecords&metadataPrefix=oai_dc"
    [from]="$base/oai?verb=ListRecords&resumptionToken=$from_token"
    [page2]="$base/oai?verb=ListRecords&resumptionToken=$first_token"
    [end]="$base/oai?verb=ListRecords&resumptionToken=$end_token"
)
timings="$run/timings.tsv"
printf 'side\tround\tseconds\tbytes\n' >"$timings"
for round in $(seq 0 "$repeat"); do
    for side in first from page2 end; do
        line=$(get "${urls[$side]}" "$run/a.$side.xml") || fail "(a) $side: curl failed"
        read -r code t size <<<"$line"
        [[ $code == 200 ]] || fail "(a) $side: HTTP $code"
        # Round 0 warms up and is not counted.
        ((round == 0)) || printf '%s\t%d\t%s\t%s\n' "$side" "$round" "$t" "$size" >>"$timings"
    done
done
say "(a) timed $repeat rounds"

# ---- Checks: every record exactly once, the withdrawn ones deleted, the pages asked again equal --
python3 - "$run" "$records" "$withdrawn" "$page_size" "$end_page" >"$run/counts.tsv" <<'EOF' || fail "the lists' counts (above)"
import os, sys, xml.etree.ElementTree as ET
run, records, withdrawn, page_size, end_page = sys.argv[1], *map(int, sys.argv[2:])
NS = "{http://www.openarchives.org/OAI/2.0/}"
problems = []
def headers(path):
    """(identifier, deleted) of each record's or header's header, the error code, the token."""
    root = ET.parse(path).getroot()
    error = root.find(NS + "error")
    items = []
    for header in root.iter(NS + "header"):
        items.append((header.findtext(NS + "identifier"), header.get("status") == "deleted"))
    token = root.find(f".//{NS}resumptionToken")
    return items, (error.get("code") if error is not None else None), token
lists = {}
for name, per_page in (("records", page_size), ("identifiers", 5 * page_size)):
    walk = [line.split() for line in open(os.path.join(run, name + ".walk"))]
    seen, deleted, total, size = set(), 0, 0, None
    for fields in walk:
        n = int(fields[0])
        path = os.path.join(run, "pages", f"{name}.{n}.xml")
        items, error, token = headers(path)
        if error: problems.append(f"{name} page {n}: error {error}"); break
        if token is not None:
            if size is None: size = int(token.get("completeListSize"))
            if int(token.get("cursor", -1)) != total:
                problems.append(f"{name} page {n}: cursor {token.get('cursor')}, {total} given before")
            if (token.text or "") != (fields[4] if len(fields) > 4 else ""):
                problems.append(f"{name} page {n}: the token read differs from the XML's")
        if n < len(walk) and len(items) != per_page:
            problems.append(f"{name} page {n}: {len(items)} items, not {per_page}")
        for identifier, is_deleted in items:
            if identifier in seen: problems.append(f"{name}: {identifier} given twice")
            seen.add(identifier)
        deleted += sum(d for _, d in items)
        total += len(items)
        if name == "records" and n == end_page: end_items = items
    lists[name] = seen
    duplicates = total - len(seen)
    print(f"{name}\t{len(walk)}\t{total}\t{deleted}\t{len(seen)}\t{duplicates}\t{size}")
    if total != records: problems.append(f"{name}: {total} items, not {records}")
    if deleted != withdrawn: problems.append(f"{name}: {deleted} deleted, not {withdrawn}")
    if size != records: problems.append(f"{name}: completeListSize {size}, not {records}")
if lists["records"] != lists["identifiers"]:
    problems.append("ListRecords and ListIdentifiers give different identifiers")
# Tokens are idempotent: the pages asked again in (a) are those the walk got.
again, _, _ = headers(os.path.join(run, "a.end.xml"))
if again != end_items: problems.append(f"page {end_page} asked again differs from the walk's")
again, _, _ = headers(os.path.join(run, "a.page2.xml"))
if again != headers(os.path.join(run, "pages", "records.2.xml"))[0]:
    problems.append("page 2 asked again differs from the walk's")
for side, least in (("first", page_size), ("from", 1)):
    items, error, _ = headers(os.path.join(run, f"a.{side}.xml"))
    if error or len(items) < least: problems.append(f"(a) {side}: {error or len(items)} items")
for p in problems[:20]: print("oai_bench:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
say "counts: $(awk -F'\t' '{printf "%s %d items (%d deleted, %d distinct) in %d pages; ", $1, $3, $4, $5, $2}' "$run/counts.tsv")"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
errors=$(grep -ciE ' (error|critical) ' "$run/iiifd.log" || true)
elapsed=$(($(date +%s) - started))

# ---- Report --------------------------------------------------------------------------------------
mkdir -p bench/results
out=bench/results/oai.md
{
    echo "# OAI-PMH: paging and whole-list harvests from iiifd"
    echo
    echo "Command: \`$command_line\` (the whole run took $((elapsed / 60)) min $((elapsed % 60)) s)."
    bench_machine
    echo "Commit: $commit; iiifd: $built${dirty:+ (uncommitted changes in: $dirty)}."
    echo "Load average (1, 5, 15 min) before the run: $load_start; after: $load_end (the run itself"
    echo "keeps about one core busy: curl and this script, then iiifd)."
    echo
    echo "## The catalog"
    echo
    echo "$records records made by \`bench_make_catalog --config iiifd.toml ${gen_args[*]}\`"
    if ((reused)); then
        echo "on $gen_date by an earlier run (reused, \`BENCH_REUSE=1\`):"
    else
        echo "in this run:"
    fi
    echo "$generated; wall time with start-up ${gen_wall:-?} s; made by $gen_by. One page each,"
    echo "French Dublin Core; sets \`collection:lot1\`..\`collection:lot4\`, \`institution:bnf\` or"
    echo "\`institution:inist\` in turn, every third also \`theme:maps\` (each also in its parent);"
    echo "datestamps spread evenly from $(date -u -d "@$start_date" '+%Y-%m-%dT%H:%M:%SZ') over 30 days, every"
    echo "${withdrawn_every}th record withdrawn ($withdrawn deleted records, datestamp: its batch's last)."
    echo "Catalog file: $(awk -v b="$catalog_bytes" 'BEGIN {printf "%.2f GB", b / 1e9}') ($catalog_bytes bytes, $(awk -v k="$catalog_disk" 'BEGIN {printf "%.2f GB", k * 1024 / 1e9}') on disk); about"
    echo "$(awk -v b="$catalog_bytes" -v n="$records" 'BEGIN {printf "%.1f", b / n / 1024}') KiB a record, two manifests, a resolver record and the indexes included."
    echo
    echo "iiifd (\`-c iiifd.toml\`, [oai] section $oai_section; page_size $page_size: 100 records a"
    echo "ListRecords page, 500 headers a ListIdentifiers page) answered Identify ${iiifd_ready} s after its start,"
    echo "with redis-server (\`--save '' --appendonly no\`), both on 127.0.0.1. Requests by curl,"
    echo "without Accept-Encoding (no gzip), one at a time. iiifd log: $errors lines at level error"
    echo "or above."
    echo
    python3 - "$timings" "$results" "$run/counts.tsv" "$records" "$end_page" "$pages" "$from_iso" "$from_size" "$repeat" <<'EOF'
import csv, statistics, sys
timings, walks, counts = sys.argv[1:4]
records, end_page, pages = map(int, sys.argv[4:7])
from_iso, from_size, repeat = sys.argv[7], int(sys.argv[8]), int(sys.argv[9])
t = {}
for r in csv.DictReader(open(timings), delimiter="\t"):
    t.setdefault(r["side"], []).append(float(r["seconds"]) * 1000)
med = statistics.median
print("## (a) A page near the end against the first page (ListRecords oai_dc)\n")
print(f"curl's time_total over {repeat} interleaved rounds (after one round not counted), in ms.\n")
print("| request | median | min | max | ratio end / first | target ≤ 1.2 |")
print("| --- | ---: | ---: | ---: | ---: | --- |")
rows = [("first", f"first page: `verb=ListRecords&metadataPrefix=oai_dc`", None),
        ("from", f"near the end: the token of page 1 of `from={from_iso}` (a list of {from_size})", "first"),
        ("page2", "page 2: the token the walk got on page 1", None),
        ("end", f"page {end_page} of {pages} (99 %): the token the walk got on page {end_page - 1}", "page2")]
for side, title, against in rows:
    v = t[side]
    ratio = med(v) / med(t[against]) if against else None
    r = f"{ratio:.2f}" if ratio else ""
    target = f"**{'met' if ratio <= 1.2 else 'NOT met'}**" if ratio else ""
    print(f"| {title} | {med(v):.2f} | {min(v):.2f} | {max(v):.2f} | {r} | {target} |")
print("\nThe pages asked again with the walk's tokens are those the walk got (same identifiers).\n")
print("## (b) Whole-list harvests\n")
c = {r[0]: r for r in (line.split("\t") for line in open(counts).read().splitlines())}
print("| list | pages | records | deleted | distinct identifiers | wall time (s) | records/s | "
      "responses' time (s) | records/s (responses) | MB received |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
mem = []
for w in csv.DictReader(open(walks), delimiter="\t"):
    name = w["list"]
    n = int(c[name][2])
    title = {"records": "ListRecords oai_dc", "identifiers": "ListIdentifiers oai_dc"}[name]
    wall, resp = float(w["wall_s"]), float(w["responses_s"])
    print(f"| {title} | {w['pages']} | {n} | {c[name][3]} | {c[name][4]} | {wall:.1f} | {n / wall:.0f} | "
          f"{resp:.1f} | {n / resp:.0f} | {int(w['bytes']) / 1e6:.0f} |")
    mem.append((title, w))
overhead = [(float(w["wall_s"]) - float(w["responses_s"])) / int(w["pages"]) * 1000 for _, w in mem]
print("\nWall time: from the first request to the last answer, curl's start and this script's work")
span = f"{min(overhead):.0f}" if round(min(overhead)) == round(max(overhead)) else \
    f"{min(overhead):.0f}–{max(overhead):.0f}"
print(f"between pages included (one page at a time, as a simple harvester): {span} ms a page here.")
print("Responses' time: the sum of curl's time_total, what iiifd and the loopback took. Every record")
print("came exactly once, the withdrawn ones as deleted headers, and the count equals completeListSize.\n")
print("## iiifd's memory during the harvests\n")
print("| list | VmRSS before (MB) | VmRSS at most (MB) | of it anonymous (MB) | of it file-backed (MB) | VmHWM, peak (MB) |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for title, w in mem:
    print(f"| {title} | {int(w['rss_before_kb']) / 1024:.0f} | {int(w['rss_max_kb']) / 1024:.0f} | "
          f"{int(w['anon_max_kb']) / 1024:.0f} | {int(w['file_max_kb']) / 1024:.0f} | {int(w['hwm_kb']) / 1024:.0f} |")
print("\nSampled from /proc/PID/status every 0.5 s; VmHWM reset (clear_refs) before each list.")
print("File-backed pages are the catalog's, mapped read-only by LMDB and shared with the page cache:")
print("they count what a harvest has touched, and more, since a page fault maps the neighbouring")
print("pages already cached (the kernel's fault-around) and a record's neighbours in the file are")
print("mostly other databases' pages (documents); the kernel drops them under pressure. The")
print("anonymous part is iiifd's own memory.")
EOF
    echo
    sed "s|$work|\$WORK|g" "$conf" |
        report_block "iiifd.toml (WORK = the work directory, ports as in this run)" toml
} >"$out"
say "wrote $out in $((elapsed / 60)) min $((elapsed % 60)) s"
