#!/bin/bash
# End-to-end test of the `iiif` CLI: exit status, stderr and output of real invocations on
# images generated here with the vips command-line tool. Run by CTest as
#   tests/cli_test.sh /path/to/iiif
# Every check asserts an exact value; the first failure stops the test.
set -euo pipefail

iiif=${1:?usage: tests/cli_test.sh /path/to/iiif}
[[ -x "$iiif" ]] || { echo "cli_test: $iiif is not an executable" >&2; exit 1; }
for tool in vips vipsheader python3; do
    command -v "$tool" >/dev/null || { echo "cli_test: $tool not found (scripts/install-deps)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

checks=0
pass() { checks=$((checks + 1)); echo "ok   $*"; }
fail() {
    echo "FAIL $*" >&2
    if [[ -s "$work/stderr" ]]; then
        echo "     stderr of the last command:" >&2
        sed 's/^/     | /' "$work/stderr" >&2
    fi
    exit 1
}

# The test image: 2000x1500 sRGB, four flat 1000x750 quadrants so that pixels say where they
# came from: red top-left, green top-right, blue bottom-left, white bottom-right.
make_images() {
    vips black "$work/q.v" 1000 750 --bands 3
    vips linear "$work/q.v" "$work/red.v" "1 1 1" "255 0 0" --uchar
    vips linear "$work/q.v" "$work/green.v" "1 1 1" "0 255 0" --uchar
    vips linear "$work/q.v" "$work/blue.v" "1 1 1" "0 0 255" --uchar
    vips linear "$work/q.v" "$work/white.v" "1 1 1" "255 255 255" --uchar
    vips arrayjoin "$work/red.v $work/green.v $work/blue.v $work/white.v" "$work/quad.v" --across 2
    vips copy "$work/quad.v" "$work/src.v" --interpretation srgb

    vips tiffsave "$work/src.v" "$work/pyramid.tif" --tile --pyramid --compression jpeg \
        --tile-width 256 --tile-height 256
    vips tiffsave "$work/src.v" "$work/plain.tif"
    vips jp2ksave "$work/src.v" "$work/image.jp2"
    vips jpegsave "$work/src.v" "$work/image.jpg"
    vips pngsave "$work/src.v" "$work/image.png"

    # Sources the core must refuse.
    echo "this is not an image" >"$work/text.jpg"
    { printf '\377\330\377\340'; head -c 2000 /dev/zero; } >"$work/corrupt.jpg"
    vips black "$work/huge.png" 100001 1
}

# run ARGS...: runs the CLI, keeping stdout and stderr; sets $rc.
run() {
    rc=0
    "$iiif" "$@" >"$work/stdout" 2>"$work/stderr" || rc=$?
}

header() { vipsheader -f "$2" "$1"; }

# expect_size W H SOURCE REQUEST [OPTIONS...]: render succeeds with exactly W x H pixels.
expect_size() {
    local want_w=$1 want_h=$2 src=$3 request=$4
    shift 4
    local out="$work/out.${request##*.}" label
    label="render $(basename "$src") '$request'${*:+ $*}"
    rm -f "$out"
    run render "$src" "$request" -o "$out" "$@"
    ((rc == 0)) || fail "$label: exit $rc, expected 0"
    local got_w got_h
    got_w=$(header "$out" width)
    got_h=$(header "$out" height)
    [[ "$got_w x $got_h" == "$want_w x $want_h" ]] ||
        fail "$label: ${got_w}x${got_h}, expected ${want_w}x${want_h}"
    pass "$label -> ${want_w}x${want_h}"
}

# expect_error STATUS ARGS...: the CLI exits 1 and prints "iiif: STATUS reason" on stderr.
expect_error() {
    local status=$1
    shift
    local label="iiif $*"
    label=${label//"$work/"/}
    run "$@"
    ((rc == 1)) || fail "$label: exit $rc, expected 1 (status $status)"
    grep -q "^iiif: $status " "$work/stderr" ||
        fail "$label: stderr has no line starting with 'iiif: $status '"
    pass "$label -> exit 1, $(grep -m1 "^iiif: $status " "$work/stderr")"
}

# expect_pixel "R G B" X Y SOURCE REQUEST: the pixel at (X, Y) of a lossless render.
expect_pixel() {
    local want=$1 x=$2 y=$3 src=$4 request=$5
    local out="$work/pixel.${request##*.}"
    rm -f "$out"
    run render "$src" "$request" -o "$out"
    ((rc == 0)) || fail "render $(basename "$src") '$request': exit $rc, expected 0"
    local got
    got=$(vips getpoint "$out" "$x" "$y" | xargs)
    [[ "$got" == "$want" ]] ||
        fail "render $(basename "$src") '$request': pixel ($x,$y) is '$got', expected '$want'"
    pass "render $(basename "$src") '$request' -> pixel ($x,$y) = $want"
}

# json_value FILE PATH: the JSON value at PATH ("tiles.0.width"), as compact JSON; null if absent.
json_value() {
    python3 - "$1" "$2" <<'PY'
import json, sys
value = json.load(open(sys.argv[1]))
for key in sys.argv[2].split("."):
    if isinstance(value, list) and key.isdigit() and int(key) < len(value):
        value = value[int(key)]
    else:
        value = value.get(key) if isinstance(value, dict) else None
print(json.dumps(value, separators=(",", ":")))
PY
}

# expect_json FILE PATH VALUE: VALUE is compact JSON ('2000', '"ImageService3"', '[1,2]').
expect_json() {
    local got
    got=$(json_value "$1" "$2") || fail "$(basename "$1") is not valid JSON"
    [[ "$got" == "$3" ]] || fail "$(basename "$1"): $2 is $got, expected $3"
    pass "$(basename "$1"): $2 == $3"
}

# info_to FILE ARGS...: runs `iiif info ARGS...` and keeps its stdout in FILE.
info_to() {
    local file=$1
    shift
    run info "$@"
    ((rc == 0)) || fail "iiif info $*: exit $rc, expected 0"
    cp "$work/stdout" "$file"
}

make_images
tif="$work/pyramid.tif"
sources=("$tif" "$work/plain.tif" "$work/image.jp2" "$work/image.jpg" "$work/image.png")

echo "== sizes, every source"
for src in "${sources[@]}"; do
    expect_size 500 375 "$src" 'full/500,/0/default.jpg'
    expect_size 1500 2000 "$src" 'full/max/90/default.png'
done

echo "== sizes and regions, Image API 3.0"
expect_size 2000 1500 "$tif" 'full/max/0/default.jpg'
expect_size 400 300 "$tif" 'full/,300/0/default.jpg'
expect_size 500 375 "$tif" 'full/pct:25/0/default.jpg'
expect_size 300 300 "$tif" 'full/300,300/0/default.jpg'
expect_size 400 300 "$tif" 'full/!400,400/0/default.jpg'
expect_size 256 256 "$tif" 'square/256,/0/default.jpg'
expect_size 1500 1500 "$tif" 'square/max/0/default.jpg'
expect_size 100 50 "$tif" '100,200,100,50/max/0/default.jpg'
expect_size 10 10 "$tif" '1990,1490,100,100/max/0/default.jpg'
expect_size 1000 750 "$tif" 'pct:50,50,50,50/max/0/default.jpg'
expect_size 2000 1500 "$tif" 'full/max/180/default.jpg'
expect_size 2000 1500 "$tif" 'full/max/!0/default.jpg'
expect_size 4000 3000 "$tif" 'full/^4000,/0/default.jpg'
expect_size 4000 3000 "$tif" 'full/^pct:200/0/default.jpg'

echo "== output formats"
for format in jpg png webp tif gif; do
    expect_size 500 375 "$tif" "full/500,/0/default.$format"
done

echo "== qualities"
expect_size 500 375 "$tif" 'full/500,/0/color.png'
expect_size 500 375 "$tif" 'full/500,/0/gray.png'
[[ $(header "$work/out.png" bands) == 1 ]] || fail "gray.png has $(header "$work/out.png" bands) bands, expected 1"
pass "gray.png has 1 band"
expect_size 500 375 "$tif" 'full/500,/0/bitonal.png'

echo "== pixels (lossless PNG source and output)"
png="$work/image.png"
expect_pixel "255 0 0" 0 0 "$png" 'full/max/0/default.png'
expect_pixel "255 255 255" 1999 1499 "$png" 'full/max/0/default.png'
expect_pixel "0 0 255" 0 0 "$png" 'full/max/90/default.png'
expect_pixel "255 255 255" 0 0 "$png" 'full/max/180/default.png'
expect_pixel "0 255 0" 0 0 "$png" 'full/max/270/default.png'
expect_pixel "0 255 0" 0 0 "$png" 'full/max/!0/default.png'
expect_pixel "255 255 255" 0 0 "$png" 'full/max/!90/default.png'
expect_pixel "255 255 255" 0 0 "$png" '1000,750,1000,750/max/0/default.png'
expect_pixel "0 0 255" 999 749 "$png" '0,750,1000,750/max/0/default.png'

echo "== limits"
expect_size 1000 750 "$tif" 'full/max/0/default.jpg' --max-width 1000
expect_size 1000 750 "$tif" 'full/max/0/default.jpg' --max-height 750
expect_size 1000 750 "$tif" 'full/max/0/default.jpg' --max-area 750000
expect_error 400 render "$tif" 'full/1200,/0/default.jpg' -o "$work/x.jpg" --max-width 1000
expect_error 400 render "$tif" 'full/,800/0/default.jpg' -o "$work/x.jpg" --max-height 750
expect_error 400 render "$tif" 'full/1001,750/0/default.jpg' -o "$work/x.jpg" --max-area 750000

echo "== output to stdout"
run render "$tif" 'full/100,/0/default.png'
((rc == 0)) || fail "render to stdout: exit $rc, expected 0"
cp "$work/stdout" "$work/stdout.png"
[[ "$(header "$work/stdout.png" width)x$(header "$work/stdout.png" height)" == 100x75 ]] ||
    fail "render to stdout: not a 100x75 PNG"
pass "render $(basename "$tif") 'full/100,/0/default.png' (stdout) -> 100x75"

echo "== Image API 2.1"
expect_size 2000 1500 "$tif" 'full/full/0/default.jpg' --api 2
expect_size 2000 1500 "$tif" 'full/max/0/default.jpg' --api 2
expect_size 500 375 "$tif" 'full/pct:25/0/default.jpg' --api 2
expect_size 400 300 "$tif" 'full/!400,400/0/default.jpg' --api 2
expect_size 1500 2000 "$tif" 'full/full/90/color.png' --api 2

echo "== errors"
expect_error 400 render "$tif" 'bogus/max/0/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/max/0/default' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/max/0/fancy.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/max/361/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/full/0/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" '2000,0,10,10/max/0/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" '0,0,0,10/max/0/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/0,/0/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/4000,/0/default.jpg' -o "$work/x.jpg"
expect_error 400 render "$tif" 'full/^4000,/0/default.jpg' -o "$work/x.jpg" --api 2
expect_error 501 render "$tif" 'full/max/0/default.jp2' -o "$work/x.jpg"
expect_error 501 render "$tif" 'full/max/0/default.pdf' -o "$work/x.jpg"
expect_error 415 render "$tif" 'full/max/0/default.jp2' -o "$work/x.jpg" --api 2
expect_error 404 render "$work/missing.tif" 'full/max/0/default.jpg' -o "$work/x.jpg"
expect_error 404 info "$work/missing.tif"
expect_error 415 render "$work/text.jpg" 'full/max/0/default.jpg' -o "$work/x.jpg"
expect_error 422 render "$work/corrupt.jpg" 'full/max/0/default.jpg' -o "$work/x.jpg"
expect_error 422 info "$work/huge.png"

echo "== probe"
run probe "$tif"
((rc == 0)) || fail "iiif probe pyramid.tif: exit $rc, expected 0"
expected_probe='format: tiff
size: 2000x1500
tiled: 256x256
level: scale 1 2000x1500
level: scale 2 1000x750
level: scale 4 500x375
level: scale 8 250x187'
[[ "$(cat "$work/stdout")" == "$expected_probe" ]] ||
    fail "iiif probe pyramid.tif printed:
$(cat "$work/stdout")
expected:
$expected_probe"
pass "iiif probe pyramid.tif -> tiff, 2000x1500, 256x256 tiles, levels 1 2 4 8"
run probe "$png"
((rc == 0)) || fail "iiif probe image.png: exit $rc, expected 0"
[[ "$(cat "$work/stdout")" == $'format: png\nsize: 2000x1500\ntiled: no\nlevel: scale 1 2000x1500' ]] ||
    fail "iiif probe image.png printed: $(cat "$work/stdout")"
pass "iiif probe image.png -> png, 2000x1500, untiled, one level"

echo "== info.json, Image API 3.0"
id3=http://127.0.0.1/iiif/3/x
for src in "${sources[@]}"; do
    info_to "$work/info3-$(basename "$src").json" "$src" --api 3 --id "$id3"
    expect_json "$work/info3-$(basename "$src").json" width 2000
    expect_json "$work/info3-$(basename "$src").json" height 1500
done
info_to "$work/info3.json" "$tif" --api 3 --id "$id3"
expect_json "$work/info3.json" '@context' '"http://iiif.io/api/image/3/context.json"'
expect_json "$work/info3.json" id "\"$id3\""
expect_json "$work/info3.json" type '"ImageService3"'
expect_json "$work/info3.json" protocol '"http://iiif.io/api/image"'
expect_json "$work/info3.json" profile '"level2"'
# The four levels, then 125x94: the halving below them whose longer side is still 64 or more.
expect_json "$work/info3.json" sizes \
    '[{"width":125,"height":94},{"width":250,"height":187},{"width":500,"height":375},{"width":1000,"height":750},{"width":2000,"height":1500}]'
expect_json "$work/info3.json" tiles.0.width 256
expect_json "$work/info3.json" tiles.0.scaleFactors '[1,2,4,8]'
expect_json "$work/info3.json" maxWidth null
info_to "$work/limits3.json" "$tif" --api 3 --id "$id3" --max-width 1000 --max-height 900 \
    --max-area 800000 --rights http://creativecommons.org/licenses/by/4.0/
expect_json "$work/limits3.json" maxWidth 1000
expect_json "$work/limits3.json" maxHeight 900
expect_json "$work/limits3.json" maxArea 800000
expect_json "$work/limits3.json" rights '"http://creativecommons.org/licenses/by/4.0/"'
expect_json "$work/limits3.json" sizes \
    '[{"width":125,"height":94},{"width":250,"height":187},{"width":500,"height":375},{"width":1000,"height":750}]'
info_to "$work/pretty3.json" "$tif" --api 3 --id "$id3" --pretty
python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
    "$work/info3.json" "$work/pretty3.json" || fail "--pretty changes the document"
(($(wc -l <"$work/pretty3.json") > 1)) || fail "--pretty prints a single line"
pass "--pretty prints the same document on several lines"

echo "== info.json, Image API 2.1"
id2=http://127.0.0.1/iiif/2/x
info_to "$work/info2.json" "$tif" --api 2 --id "$id2"
expect_json "$work/info2.json" '@context' '"http://iiif.io/api/image/2/context.json"'
expect_json "$work/info2.json" '@id' "\"$id2\""
expect_json "$work/info2.json" protocol '"http://iiif.io/api/image"'
expect_json "$work/info2.json" profile.0 '"http://iiif.io/api/image/2/level2.json"'
expect_json "$work/info2.json" width 2000
expect_json "$work/info2.json" height 1500
expect_json "$work/info2.json" id null
expect_json "$work/info2.json" tiles.0.width 256
expect_json "$work/info2.json" tiles.0.scaleFactors '[1,2,4,8]'
info_to "$work/limits2.json" "$tif" --api 2 --id "$id2" --max-width 1000 \
    --rights http://creativecommons.org/licenses/by/4.0/
expect_json "$work/limits2.json" profile.1.maxWidth 1000
expect_json "$work/limits2.json" license '"http://creativecommons.org/licenses/by/4.0/"'

echo "cli_test: all $checks checks passed"
