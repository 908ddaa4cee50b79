#!/bin/bash
# The import page (web/dist/import.html) in Debian's headless Chromium against the real
# platform: the templates (the server's CSV, the .xlsx made in the page), an .xlsx of three
# documents whose second is wrong checked then deposited (two objects, nothing of the wrong row),
# a .csv in French with single images and the keyboard only (a deposit that fails, the next one
# deposited), a .csv with blank lines numbered as `iiifd import` numbers them and deposited once
# only, a phone's screen, axe-core.
#
#   run_import_test.sh IIIFD MODULE [ARTIFACT_DIR]
#
# Screenshots go to ARTIFACT_DIR (default build/test-artifacts/). The platform runs on
# 127.0.0.1 as stack.sh sets it up, behind nginx as scripts/demo sets it up: the pages at /,
# /api/ and /auth/ proxied to iiifd. The whole run is cut at 200 s.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=stack.sh
source "$here/stack.sh"
stack_bounded 200 "$@"

stack_setup run_import_test "$@"
stack_need_modules playwright-core axe-core
stack_need_pages import.html assets/import.js
[[ -d "$stack_root/web/node_modules/exceljs" ]] ||
    stack_fail "web/node_modules is missing (scripts/install-deps runs npm ci there)"
stack_init "$1" "$2"

access=$(stack_access_toml alice depositors)
stack_start_redis
stack_start_iiifd "max_files_per_object = 20
$access"

# ---- the images: a folder "scans" with the documents' subfolders ---------------------------------

# PATH W H R G B: a JPEG or PNG of that size and colour.
make_image() {
    local path=$1 t=$stack_work/images/t
    vips black "$t-black.v" "$2" "$3" --bands 3
    vips linear "$t-black.v" "$path" "1 1 1" "$4 $5 $6" --uchar
    rm -f "$t"-*.v
}
scans=$stack_work/images/scans
mkdir -p "$scans/rohan" "$scans/atlas" "$stack_work/images/single"
make_image "$scans/rohan/f001.jpg" 400 600 150 40 40
make_image "$scans/rohan/f002.jpg" 400 600 40 150 40
make_image "$scans/rohan/f003.jpg" 400 600 40 40 150
printf 'Notes: not an image, left out of the folder.\n' >"$scans/rohan/notes.txt"
make_image "$scans/atlas/plate-1.png" 600 400 200 160 40
make_image "$scans/atlas/plate-2.png" 600 400 40 160 200
make_image "$stack_work/images/single/cover.jpg" 300 400 90 90 90
make_image "$stack_work/images/single/back.jpg" 300 400 120 60 30
printf 'Not an image, though named as one: its deposit fails.\n' >"$stack_work/images/single/broken.jpg"

cp -r "$dist"/. "$stack_www/"
stack_start_nginx "$stack_key_file"

export IIIF_BASE=$stack_base IIIF_KEY=$stack_key IIIF_ARTIFACTS=$artifacts IIIF_CHROMIUM=$chromium
export IIIF_FILES=$stack_work/images IIIF_WEB_MODULES=$stack_root/web/node_modules
export IIIF_IIIFD=$stack_iiifd IIIF_IIIFD_CONFIG=$stack_work/iiifd/iiifd.toml
cd "$here"
# --foreground: a TERM from the outer timeout reaches node (and Playwright closes Chromium).
# TMPDIR: Chromium's fresh profiles (Playwright makes one per launch) go with the work directory.
TMPDIR=$stack_work timeout --foreground -k 5 160 node --test --test-reporter=spec \
    web_import.test.mjs
echo "run_import_test: passed (screenshots in $artifacts)"
