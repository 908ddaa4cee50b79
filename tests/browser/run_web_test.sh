#!/bin/bash
# The web front end (web/, built into web/dist/ by `npm run build`) in Debian's headless
# Chromium against the real platform: the deposit page (drop, progress, refusals, the ARK and
# its copy button), the document's page (Mirador's tiles, the description, licence and source),
# the list page (recent documents, collections, title search), in English with the mouse and in
# French with the keyboard only, on a desktop and a phone screen, each page checked by axe-core.
#
#   run_web_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# Screenshots go to ARTIFACT_DIR (default build/test-artifacts/). The platform runs on
# 127.0.0.1 as stack.sh sets it up (ports the kernel picks, a fresh temporary directory, every
# process stopped by its pid, every wait bounded), behind nginx as scripts/demo sets it up: the
# pages at /, /api/ and /auth/ proxied to iiifd. The whole run is cut at 240 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 240 "$@"

stack_setup run_web_test "$@"
stack_need_modules playwright-core axe-core
stack_need_pages deposit.html vendor/mirador/mirador.min.js
stack_init "$1" "$2"

# ---- iiifd: files up to 3 MB, 20 per document; alice may deposit; a collection "maps" ----------

access=$(stack_access_toml alice depositors)
stack_start_redis
stack_start_iiifd "max_file_bytes = 3000000
max_files_per_object = 20
$access
[sets.\"maps\"]
name = \"Maps\"
description = \"Maps and plans\""

# ---- the files people drop: two images, a text, and an image over the limit -------------------

# NAME W H R G B: a JPEG or PNG of that size and colour, its name in white at its top left.
make_image() {
    local name=$1 w=$2 h=$3 r=$4 g=$5 b=$6 t=$stack_work/images/t-$1
    vips black "$t-black.v" "$w" "$h" --bands 3
    vips linear "$t-black.v" "$t-colour.v" "1 1 1" "$r $g $b" --uchar
    vips text "$t-text.v" "$name" --dpi 600 --font "DejaVu Sans Bold"
    vips embed "$t-text.v" "$t-mask.v" 60 60 "$w" "$h"
    vips linear "$t-black.v" "$t-white.v" "1 1 1" "255 255 255" --uchar
    vips ifthenelse "$t-mask.v" "$t-white.v" "$t-colour.v" "$stack_work/images/$name" --blend
    rm -f "$t"-*.v
}
make_image north.jpg 1600 1200 170 60 40
make_image south.png 1200 1600 40 110 70
printf 'Notes on the maps: these words are not an image.\n' >"$stack_work/images/notes.txt"
head -c 4500000 /dev/urandom >"$stack_work/images/huge.jpg"

# ---- nginx: the pages, the images, /api/ and /auth/ to iiifd ------------------------------------

cp -r "$dist"/. "$stack_www/"
stack_start_nginx "$stack_key_file"

# ---- the browser ----------------------------------------------------------------------------------

export IIIF_BASE=$stack_base IIIF_KEY=$stack_key IIIF_PASSWORD=$stack_password IIIF_ARTIFACTS=$artifacts
export IIIF_CHROMIUM=$chromium IIIF_FILES=$stack_work/images IIIF_ACCESS_LOG=$stack_work/nginx/logs/access.log
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 200 node --test --test-reporter=spec \
    web_deposit.test.mjs
echo "run_web_test: passed (screenshots in $artifacts)"
