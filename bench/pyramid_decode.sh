#!/bin/bash
# Level selection against decoding the full level: `iiif render SRC full/1000,/0/default.jpg` on
# a 10000x8000 pyramidal JPEG TIFF and a JPEG 2000, each timed against the same command with
# --full-level (the pyramid ignored, the full-resolution level decoded and scaled down).
# Runs are interleaved (A B A B ...) so machine noise hits both sides alike; the result is a
# ratio of medians, written to bench/results/.
#
#   bench/pyramid_decode.sh [RUNS]        (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-7}
iiif=build/cli/iiif
[[ -x $iiif ]] || { echo "build first: scripts/build" >&2; exit 1; }
command -v vips >/dev/null || { echo "needs vips (libvips-tools): scripts/install-deps" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "making the 10000x8000 sources in $work ..."
# Smooth gradients plus mild noise: compresses like a photograph, not like a flat colour.
vips xyz "$work/xy.v" 10000 8000
vips extract_band "$work/xy.v" "$work/x.v" 0
vips extract_band "$work/xy.v" "$work/y.v" 1
vips linear "$work/x.v" "$work/r.v" 0.0255 0 --uchar
vips linear "$work/y.v" "$work/g.v" 0.0318 0 --uchar
vips gaussnoise "$work/n.v" 10000 8000 --mean 128 --sigma 20
vips bandjoin "$work/r.v $work/g.v $work/n.v" "$work/rgb.v"
vips cast "$work/rgb.v" "$work/src.v" uchar
vips copy "$work/src.v" "$work/src2.v" --interpretation srgb
vips tiffsave "$work/src2.v" "$work/pyramid.tif" --tile --pyramid --compression jpeg --Q 90 \
    --tile-width 256 --tile-height 256
vips jp2ksave "$work/src2.v" "$work/image.jp2" --tile-width 1024 --tile-height 1024 --Q 45
rm -f "$work"/*.v
ls -l "$work/pyramid.tif" "$work/image.jp2"

now() { date +%s%N; }
# time_one CMD... -> milliseconds
time_one() {
    local start end
    start=$(now)
    "$@" >/dev/null 2>&1
    end=$(now)
    echo $(( (end - start) / 1000000 ))
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

request='full/1000,/0/default.jpg'
results=()
for source in pyramid.tif image.jp2; do
    pyramid_times=() full_times=()
    # One warm-up each, so the page cache holds the file for both sides.
    time_one "$iiif" render "$work/$source" "$request" -o "$work/out.jpg" >/dev/null
    time_one "$iiif" render "$work/$source" "$request" -o "$work/out.jpg" --full-level >/dev/null
    for ((i = 0; i < runs; i++)); do
        pyramid_times+=("$(time_one "$iiif" render "$work/$source" "$request" -o "$work/out.jpg")")
        full_times+=("$(time_one "$iiif" render "$work/$source" "$request" -o "$work/out.jpg" --full-level)")
    done
    p=$(printf '%s\n' "${pyramid_times[@]}" | median)
    f=$(printf '%s\n' "${full_times[@]}" | median)
    ratio=$(awk -v p="$p" -v f="$f" 'BEGIN {printf "%.1f", f / p}')
    echo "$source: level selection ${p} ms, full level ${f} ms, ${ratio}x faster"
    results+=("| $source | $p | $f | ${ratio}x |")
done

mkdir -p bench/results
out=bench/results/pyramid_decode.md
{
    echo "# full/1000,/0/default.jpg from a 10000x8000 source: level selection vs full level"
    echo
    echo "Command: \`bench/pyramid_decode.sh $runs\` (median of $runs interleaved runs each, wall"
    echo "time of one \`iiif render\` process, page cache warm)."
    echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
    echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)."
    echo "Commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo
    echo "| source | level selection (ms) | --full-level (ms) | speed-up |"
    echo "| --- | --- | --- | --- |"
    printf '%s\n' "${results[@]}"
} > "$out"
echo "wrote $out"
