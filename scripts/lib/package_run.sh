#!/bin/bash
# The half of scripts/test-packages that runs inside its namespaces: PID 1 of a PID namespace
# (everything started here ends with it), a network namespace with only its own loopback, a
# private mount table. $1: the Debian root the packages were installed into.
set -euo pipefail
root=$1
host=images.example.org
work=$(mktemp -d)

fail() {
    echo "test-packages: $*" >&2
    for log in "$work"/iiifd.log "$root"/var/log/nginx/iiif.error.log; do
        [[ -f "$log" ]] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }
    done
    exit 1
}
expect() {  # expect WHAT GOT WANTED
    [[ "$2" == "$3" ]] || fail "$1: expected '$3', got '$2'"
    echo "test-packages: ok: $1 = $3"
}
in_root() { chroot "$root" "$@"; }
site() {  # site PATH [curl options...]: through nginx, as a client of the site would
    local path=$1
    shift
    curl -s --resolve "$host:80:127.0.0.1" "$@" "http://$host$path"
}
wait_for() {  # wait_for SECONDS COMMAND...: until it succeeds
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

ip link set lo up
mount --make-rprivate /
# A proc of this PID namespace, here and in the root: pgrep and kill see only what the test
# started.
mount -t proc proc /proc
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount -t tmpfs tmpfs "$root/run"
mount -t tmpfs tmpfs "$root/tmp"

# What the packages set up.
expect "iiifd.toml's mode and owner" "$(in_root stat -c '%a %U:%G' /etc/iiifd/iiifd.toml)" \
    "640 root:iiifd"
expect "/var/lib/iiifd's mode and owner" "$(in_root stat -c '%a %U:%G' /var/lib/iiifd)" \
    "2750 iiifd:iiif-data"
expect "/var/cache/iiifd's mode and owner" "$(in_root stat -c '%a %U:%G' /var/cache/iiifd)" \
    "2770 iiifd:iiif-data"
expect "www-data's groups" "$(in_root id -nG www-data)" "www-data iiif-data"
expect "iiifd's groups" "$(in_root id -nG iiifd)" "iiifd iiif-data"
expect "iiifd not started by the install" "$(pgrep -xc iiifd || true)" 0
expect "the module's load file enabled" \
    "$(readlink "$root/etc/nginx/modules-enabled/50-mod-http-iiif.conf")" \
    /usr/share/nginx/modules-available/mod-http-iiif.conf
expect "the load file's thread pool" \
    "$(grep -c '^thread_pool iiif ' "$root/usr/share/nginx/modules-available/mod-http-iiif.conf")" 1

# The unit as systemd reads it: any unknown or misspelt key, or a command that is not there,
# would be reported.
expect "systemd-analyze verify iiifd.service" \
    "$(in_root systemd-analyze verify /lib/systemd/system/iiifd.service 2>&1)" ""

# The quick start (README.md, docs/operations.md): iiifd.toml, redis-server, iiifd, the site.
sed -i 's/^institution = .*/institution = "Package Test Library"/' "$root/etc/iiifd/iiifd.toml"

mkdir -p "$root/run/redis"
in_root chown redis:redis /run/redis
in_root setpriv --reuid=redis --regid=redis --init-groups \
    redis-server /etc/redis/redis.conf --daemonize yes --supervised no
wait_for 20 redis-cli -p 6379 ping || fail "redis-server did not answer"

# iiifd as its unit runs it: its user, group, umask, the check before the start.
unit=$root/lib/systemd/system/iiifd.service
unit_value() { sed -n "s/^$1=//p" "$unit" | head -n 1; }
as_unit() {
    in_root setpriv --reuid="$(unit_value User)" --regid="$(unit_value Group)" --init-groups \
        sh -c "umask $(unit_value UMask); exec $1"
}
expect "ExecStartPre's check" "$(as_unit "$(unit_value ExecStartPre)" 2>&1)" ok
as_unit "$(unit_value ExecStart)" > "$work/iiifd.log" 2>&1 &
wait_for 30 curl -sf http://127.0.0.1:8081/health || fail "iiifd's /health did not answer 200"

as_unit "iiifd account create admin --role administrator -c /etc/iiifd/iiifd.toml < /dev/null" \
    > "$work/account.txt"
key=$(as_unit "iiifd account key admin -c /etc/iiifd/iiifd.toml" | tail -n 1)
[[ ${#key} -ge 16 ]] || fail "iiifd account key printed no key: '$key'"

cp "$root/usr/share/iiifd/nginx-site.conf" "$root/etc/nginx/sites-available/iiif"
sed -i "s/images\.example\.org/$host/g" "$root/etc/nginx/sites-available/iiif"
ln -s ../sites-available/iiif "$root/etc/nginx/sites-enabled/iiif"
rm -f "$root/etc/nginx/sites-enabled/default"
in_root nginx -t -q || fail "nginx -t refused the shipped site"
in_root nginx
wait_for 10 site / -f || fail "nginx did not answer"

expect "the catalog's mode and owner" \
    "$(in_root stat -c '%a %U:%G' /var/lib/iiifd/catalog.mdb)" "640 iiifd:iiif-data"
expect "the catalog lock's mode and owner" \
    "$(in_root stat -c '%a %U:%G' /var/lib/iiifd/catalog.mdb-lock)" "660 iiifd:iiif-data"

# A deposit through nginx, its manifest and a tile.
vips black "$work/black.v" 1200 900 --bands 3
vips linear "$work/black.v" "$work/page.jpg[Q=95]" "1 1 1" "200 30 40" --uchar
status=$(site /api/v1/objects -o "$work/deposit.json" -w '%{http_code}' \
    -H "Authorization: Bearer $key" -F "file=@$work/page.jpg" \
    -F 'metadata={"title": [{"value": "A page deposited by the package test"}]}')
expect "the deposit's status" "$status" 202
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["job"])' "$work/deposit.json")
ark=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ark"])' "$work/deposit.json")
job_state() {
    site "/api/v1/jobs/$job" -H "Authorization: Bearer $key" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'
}
deadline=$((SECONDS + 120))
until [[ "$(job_state)" == done ]]; do
    ((SECONDS < deadline)) || fail "job $job not done in 120 s: $(job_state)"
    sleep 0.5
done

status=$(site "/$ark/manifest" -L -o "$work/manifest.json" -w '%{http_code}')
expect "the manifest's status" "$status" 200
service=$(python3 - "$work/manifest.json" <<'EOF'
import json, sys
manifest = json.load(open(sys.argv[1]))
body = manifest["items"][0]["items"][0]["items"][0]["body"]
service = body["service"][0]
print(service.get("id") or service["@id"])
EOF
)
expect "the manifest's type" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["type"])' "$work/manifest.json")" Manifest
status=$(site "${service#http://$host}/0,0,256,256/256,/0/default.jpg" -o "$work/tile.jpg" \
    -w '%{http_code} %{content_type}')
expect "the tile's status and type" "$status" "200 image/jpeg"
colour=$(vips getpoint "$work/tile.jpg" 100 100)
python3 - "$colour" <<'EOF' || fail "the tile's colour is $colour, not about 200 30 40"
import sys
got = [float(v) for v in sys.argv[1].split()]
sys.exit(0 if all(abs(g - w) <= 4 for g, w in zip(got, [200, 30, 40])) else 1)
EOF
echo "test-packages: ok: the tile's colour ($colour) is the page's"
expect "the tile cache's data file, shared with iiifd's group" \
    "$(in_root stat -c '%a %U:%G' /var/cache/iiifd/tiles/data.mdb)" "664 www-data:iiif-data"

# Both metrics endpoints; iiifd's own routes are not reachable through nginx.
site /iiif-metrics > "$work/module-metrics.txt"
expect "the module's tiles counted" \
    "$(grep -c '^iiif_requests_total{kind="tile",status="200"} 1$' "$work/module-metrics.txt")" 1
curl -s http://127.0.0.1:8081/metrics > "$work/iiifd-metrics.txt"
expect "iiifd's jobs counted" \
    "$(grep -c '^iiifd_jobs_total{state="done"} 1$' "$work/iiifd-metrics.txt")" 1
expect "iiifd's /metrics through nginx" "$(site /metrics -o /dev/null -w '%{http_code}')" 404
expect "iiifd's /health through nginx" "$(site /health -o /dev/null -w '%{http_code}')" 404

# Stop, then remove as docs/operations.md says: the site first, then the packages, purged.
in_root nginx -s stop
kill -TERM "$(pgrep -x iiifd)"
wait_for 40 sh -c '! pgrep -x iiifd' || fail "iiifd did not stop on SIGTERM"
redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true
rm "$root/etc/nginx/sites-enabled/iiif" "$root/etc/nginx/sites-available/iiif"
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q \
    libnginx-mod-http-iiif iiifd iiif-tools iiif-web > "$work/purge.log" 2>&1 ||
    { cat "$work/purge.log" >&2; fail "apt-get purge failed"; }
in_root nginx -t -q || fail "nginx -t fails once the packages are purged"

# Left: the archive (/var/lib/iiifd) and the iiifd user and group that own it; nginx's own
# logs of the site. Nothing else named after the platform.
left=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path './var/lib/iiifd/*' \) \
    -prune -o -iname '*iiif*' -print | sort | tr '\n' ' ')
expect "what the purge leaves" "$left" \
    "./var/lib/iiifd ./var/log/nginx/iiif.access.log ./var/log/nginx/iiif.error.log "
expect "the catalog kept" "$(test -s "$root/var/lib/iiifd/catalog.mdb" && echo kept)" kept
expect "the iiifd user kept" "$(in_root getent passwd iiifd | cut -d: -f1)" iiifd
expect "www-data's groups after the purge" "$(in_root id -nG www-data)" www-data
echo "test-packages: the packages install, serve and purge"
